//! `forewarn scan`: find the campaigns in a set of logs and write the output contract.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use forewarn_detect::engine_state::State;
use forewarn_detect::{Config, Engine, ScanOutcome};
use forewarn_formats::input;
use forewarn_formats::{Format, ReadError, ReadOptions, Reader, Summary};
use forewarn_model::Timestamp;

use crate::summary::{clean, thousands};

/// Find targeted account-takeover campaigns in authentication and recovery logs.
///
/// Reads every input (files, directories, `-` for stdin; any format forewarn reads, detected
/// per file), follows each source address and account through time, and writes to DIR:
///   accounts.jsonl   one line per account a campaign reached, with its furthest stage
///   campaigns.json   each campaign: funnel (identified / attacked / compromised), accounts,
///                    source addresses, ASNs, user agents, ATT&CK techniques
///   findings.jsonl   one OCSF Detection Finding (class 2004) per verdict, with evidence
///                    (input, line, record) and the signals behind it
/// and prints each campaign's funnel. Exit status 0 whether or not anything was found; 1 when
/// an input could not be read; 2 on a usage or output error.
///
/// Examples:
///   forewarn scan logs/ --out results/
///   forewarn scan okta/*.json.gz entra/ --out results/ --since 2019-08-01
///   forewarn simulate --out sim/ && forewarn scan sim/native --out scan/ &&
///     forewarn eval --truth sim/truth/native.json --out scan/
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ScanArgs {
    /// Files, directories or `-` (stdin).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    /// Folder to write the results into (created).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Read every record as this format instead of detecting it.
    #[arg(short, long, value_name = "NAME")]
    format: Option<Format>,

    /// Ignore events before this time (RFC 3339, or a date).
    #[arg(long, value_name = "TIME", value_parser = parse_when)]
    since: Option<Timestamp>,

    /// Ignore events at or after this time (RFC 3339, or a date).
    #[arg(long, value_name = "TIME", value_parser = parse_when)]
    until: Option<Timestamp>,

    /// Thresholds and allowlists (TOML; `forewarn config print-default` shows every key).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

fn parse_when(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    forewarn_model::parse_time(&full)
        .map_err(|e| format!("{e}; expected e.g. 2019-08-01 or 2019-08-01T12:00:00Z"))
}

/// What a scan found, for the caller to print or score.
pub struct Scanned {
    pub state: State,
    pub outcome: ScanOutcome,
    pub summary: Summary,
    pub input_failed: bool,
}

/// Progress is redrawn every this many events.
const PROGRESS_EVERY: u64 = 1 << 18;

/// Reads the inputs through the engine and writes the results into `out`; draws progress on
/// stderr when `show_progress`.
pub fn scan(
    inputs: &[PathBuf],
    out: &Path,
    format: Option<Format>,
    window: (Option<Timestamp>, Option<Timestamp>),
    config: Config,
    show_progress: bool,
) -> anyhow::Result<Scanned> {
    // An input that cannot be listed is reported and the others are still scanned.
    let mut input_failed = false;
    let mut expanded = Vec::new();
    for argument in inputs {
        match input::expand(std::slice::from_ref(argument)) {
            Ok(found) => expanded.extend(found),
            Err(error) => {
                eprintln!("forewarn: {error}");
                input_failed = true;
            }
        }
    }
    let inputs = expanded;
    let mut reader = Reader::new(ReadOptions {
        format,
        ..ReadOptions::default()
    });
    let mut engine = Engine::new(config);
    let started = Instant::now();
    let mut seen: u64 = 0;
    for (number, input) in inputs.iter().enumerate() {
        let name = input.name();
        let result = reader.read(input, &mut |event| {
            seen += 1;
            if show_progress && seen % PROGRESS_EVERY == 0 {
                let rate = seen as f64 / started.elapsed().as_secs_f64().max(1e-9);
                eprint!(
                    "\rinput {}/{} {}: {} events ({:.0} k events/s), at {}   ",
                    number + 1,
                    inputs.len(),
                    clean(&name),
                    thousands(seen),
                    rate / 1000.0,
                    event.time.strftime("%Y-%m-%d"),
                );
            }
            if window.0.is_some_and(|since| event.time < since)
                || window.1.is_some_and(|until| event.time >= until)
            {
                return Ok(());
            }
            engine.push(event);
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(ReadError::Input(error)) => {
                eprintln!("forewarn: {error}");
                input_failed = true;
            }
            Err(error) => return Err(error.into()),
        }
    }
    let names: Vec<String> = (0..reader.summary().inputs.len() as u32)
        .map(|i| reader.input_name(i).unwrap_or("?").to_owned())
        .collect();
    if show_progress && seen >= PROGRESS_EVERY {
        eprintln!("\r{:100}\r", "");
    }
    let summary = reader.into_summary()?;
    let (state, outcome) = engine.finish();
    let name = |i: u32| names.get(i as usize).cloned().unwrap_or_default();
    forewarn_report::write(out, &state, &outcome.campaigns, &outcome.verdicts, &name)
        .with_context(|| format!("cannot write the results into {}", out.display()))?;
    Ok(Scanned {
        state,
        outcome,
        summary,
        input_failed,
    })
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let config = crate::commands::config::load(args.config.as_deref())?;
    let started = Instant::now();
    let show_progress = !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let scanned = scan(
        &args.inputs,
        &args.out,
        args.format,
        (args.since, args.until),
        config,
        show_progress,
    )?;
    if !args.quiet {
        let events: u64 = scanned.summary.inputs.iter().map(|i| i.events()).sum();
        let rejected: u64 = scanned.summary.inputs.iter().map(|i| i.rejected()).sum();
        println!(
            "read {} events from {} inputs in {:.1} s ({} rejected; `forewarn decode --stats` lists them)",
            thousands(events),
            scanned.summary.inputs.len(),
            started.elapsed().as_secs_f64(),
            thousands(rejected)
        );
        println!();
        print_campaigns(&scanned);
        println!();
        println!("results: {}", args.out.display());
    }
    Ok(if scanned.input_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn print_campaigns(scanned: &Scanned) {
    let entries = forewarn_report::campaign_entries(&scanned.state, &scanned.outcome.campaigns);
    if entries.is_empty() {
        println!("no campaign found");
        return;
    }
    println!(
        "{:<12} {:>11} {:>9} {:>12} {:>8}  {:<21} techniques",
        "campaign", "identified", "attacked", "compromised", "sources", "first seen"
    );
    for c in &entries {
        println!(
            "{:<12} {:>11} {:>9} {:>12} {:>8}  {:<21} {}",
            clean(&c.id),
            thousands(c.funnel.identified as u64),
            thousands(c.funnel.attacked as u64),
            thousands(c.funnel.compromised as u64),
            thousands(c.sources.ips.len() as u64),
            c.first_seen.get(..19).unwrap_or(&c.first_seen),
            c.techniques.join(" ")
        );
    }
}
