//! `forewarn rules`: check Sigma rules and run the tests they carry.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use forewarn_rules::{format_names, testing, LoadReport, LoadStatus, Mappings, RuleSet};

/// Check Sigma rules, or run the test events they carry.
///
/// forewarn runs Sigma detection and correlation rules (SigmaHQ's for Okta, Entra ID,
/// Microsoft 365, Google Workspace, AWS and sshd, and your own) on the raw records of every
/// format it reads. A rule's `logsource` picks the formats; the mapping files (built in, and
/// yours with --mappings) say where each field is. See docs/rules.md.
///
/// Examples:
///   forewarn rules check sigma/rules/
///   forewarn rules check --mappings my-mappings/ rules/ --json
///   forewarn rules test rules/okta_custom.yml
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    Check(CheckArgs),
    Test(TestArgs),
}

/// Load rules and report, per rule: loaded (and on which formats), not applicable (forewarn
/// reads no log of its logsource) or unsupported, with the reason.
///
/// Exit status: 0 when every file parses (whether or not each rule applies), 1 when a rule
/// fails to parse, 2 when a path cannot be read.
///
/// Examples:
///   forewarn rules check sigma/rules/
///   forewarn rules check --quiet --mappings my-mappings/ rules/ team-rules/
///   forewarn rules check --json rules/ | jq 'select(.status != "loaded")'
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct CheckArgs {
    /// Rule files or directories (searched recursively for *.yml and *.yaml).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// A directory of mapping files laid over the built-in ones.
    #[arg(long, value_name = "DIR")]
    mappings: Option<PathBuf>,

    /// Print one JSON object per rule instead of the table.
    #[arg(long)]
    json: bool,

    /// Print only the rules that did not load, and the totals.
    #[arg(long, short)]
    quiet: bool,
}

/// Run the test records rules carry in their `forewarn_tests` field and show pass or fail.
///
/// A test lists records the rule must and must not match, or, for a correlation, events and
/// the number of alerts they must raise (docs/rules.md, "Rule tests").
///
/// Exit status: 0 when every test passes, 1 when one fails or a rule does not parse, 2 when a
/// path cannot be read.
///
/// Examples:
///   forewarn rules test rules/okta_custom.yml
///   forewarn rules test sigma/rules/ team-rules/
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct TestArgs {
    /// Rule files or directories; correlation tests need the rules they correlate here too.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// A directory of mapping files laid over the built-in ones.
    #[arg(long, value_name = "DIR")]
    mappings: Option<PathBuf>,
}

pub fn run(args: RulesArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RulesCommand::Check(args) => check(args),
        RulesCommand::Test(args) => test(args),
    }
}

pub(crate) fn load(
    paths: &[PathBuf],
    mappings: Option<&Path>,
) -> anyhow::Result<(RuleSet, Vec<LoadReport>)> {
    let mut loaded = Mappings::builtin();
    if let Some(dir) = mappings {
        loaded = loaded.with_dir(dir)?;
    }
    Ok(RuleSet::load(paths, &loaded)?)
}

/// The file as the user named it: relative to the argument it was found under.
pub(crate) fn shown(file: &Path, roots: &[PathBuf]) -> String {
    roots
        .iter()
        .filter(|root| root.is_dir())
        .find_map(|root| file.strip_prefix(root).ok())
        .unwrap_or(file)
        .display()
        .to_string()
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let (_, reports) = load(&args.paths, args.mappings.as_deref())?;
    match print_reports(&args, &reports) {
        // `forewarn rules check --json | head` is not an error (the exit status still is).
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {}
        result => result.context("writing the report")?,
    }
    let count =
        |wanted: fn(&LoadStatus) -> bool| reports.iter().filter(|r| wanted(&r.status)).count();
    let parse_errors = count(|s| matches!(s, LoadStatus::ParseError { .. }));
    eprintln!(
        "{} rule(s): {} loaded, {} not applicable, {} unsupported, {parse_errors} parse error(s)",
        reports.len(),
        count(|s| matches!(s, LoadStatus::Loaded { .. })),
        count(|s| matches!(s, LoadStatus::NotApplicable { .. })),
        count(|s| matches!(s, LoadStatus::Unsupported { .. })),
    );
    Ok(if parse_errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_reports(args: &CheckArgs, reports: &[LoadReport]) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for report in reports {
        let file = shown(&report.file, &args.paths);
        let title = report.title.as_deref().unwrap_or("");
        if args.json {
            serde_json::to_writer(&mut out, report)?;
            writeln!(out)?;
            continue;
        }
        match &report.status {
            LoadStatus::Loaded { formats, notes } => {
                if !args.quiet {
                    writeln!(
                        out,
                        "loaded          {file}: {title} [{}]",
                        format_names(formats)
                    )?;
                    for note in notes {
                        writeln!(out, "                  note: {note}")?;
                    }
                }
            }
            LoadStatus::NotApplicable { reason } => writeln!(
                out,
                "not applicable  {file}: {title}\n                  {reason}"
            )?,
            LoadStatus::Unsupported { reason } => writeln!(
                out,
                "unsupported     {file}: {title}\n                  {reason}"
            )?,
            LoadStatus::ParseError { reason } => writeln!(out, "parse error     {file}: {reason}")?,
        }
    }
    out.flush()
}

fn test(args: TestArgs) -> anyhow::Result<ExitCode> {
    let (set, reports) = load(&args.paths, args.mappings.as_deref())?;
    let mut failed = false;
    for report in reports.iter().filter(|r| r.is_parse_error()) {
        failed = true;
        if let LoadStatus::ParseError { reason } = &report.status {
            println!(
                "parse error  {}: {reason}",
                shown(&report.file, &args.paths)
            );
        }
    }
    let results = testing::run(&set);
    let mut passed = 0;
    for result in &results {
        let rule = set.rule(result.rule);
        let file = shown(&rule.file, &args.paths);
        let case = if result.case.is_empty() {
            String::new()
        } else {
            format!(" {}", result.case)
        };
        match &result.failure {
            None => {
                passed += 1;
                println!("pass  {file}: {} — {}{case}", rule.title, result.test);
            }
            Some(failure) => {
                failed = true;
                println!(
                    "FAIL  {file}: {} — {}{case}: {failure}",
                    rule.title, result.test
                );
            }
        }
    }
    eprintln!(
        "{} test case(s): {passed} passed, {} failed",
        results.len(),
        results.len() - passed
    );
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
