//! The `forewarn` command: a thin layer of argument parsing and printing over the library
//! crates, which do the work.

// The commands' doc comments are their `--help` text, written for a terminal: `DIR/<format>`
// there is a placeholder, not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

mod commands;
mod summary;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Finds targeted account-takeover campaigns in authentication and account-recovery logs.
///
/// forewarn reads sign-in and recovery logs (its native JSON lines, Okta, Microsoft Entra ID,
/// Google Workspace, Auth0, Microsoft 365, AWS CloudTrail, OCSF, ECS, sshd) and tells who was
/// identified, attacked and compromised, by which campaign, with evidence.
#[derive(Debug, Parser)]
#[command(name = "forewarn", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Config(commands::config::ConfigArgs),
    Decode(commands::decode::DecodeArgs),
    Demo(commands::demo::DemoArgs),
    Eval(commands::eval::EvalArgs),
    Formats(commands::formats::FormatsArgs),
    Rules(commands::rules::RulesArgs),
    Scan(commands::scan::ScanArgs),
    Simulate(commands::simulate::SimulateArgs),
}

/// Lets a closed pipe end the process quietly, as it ends `cat` or `grep`: Rust ignores
/// SIGPIPE, so `forewarn eval ... | head` would otherwise panic in `println!`. Only for the
/// batch commands here; a long-running server must keep ignoring it.
#[cfg(unix)]
fn die_quietly_on_closed_pipe() {
    // SAFETY: called first thing in `main`, before any thread exists; restoring a signal's
    // default disposition touches no Rust state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn die_quietly_on_closed_pipe() {}

fn main() -> ExitCode {
    die_quietly_on_closed_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Config(args) => commands::config::run(args),
        Command::Decode(args) => commands::decode::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Formats(args) => commands::formats::run(args),
        Command::Rules(args) => commands::rules::run(args),
        Command::Scan(args) => commands::scan::run(args),
        Command::Simulate(args) => commands::simulate::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("forewarn: error: {}", explain(&error));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, each cause once: the libraries' messages already
/// name their cause ("cannot open x: No such file"), which `{:#}` would print again.
fn explain(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let error = anyhow::Error::new(io).context("out/x: No such file");
        let error = error.context("cannot write the results into out");
        assert_eq!(
            explain(&error),
            "cannot write the results into out: out/x: No such file"
        );
        let error = anyhow::anyhow!("disk full").context("cannot save the state");
        assert_eq!(explain(&error), "cannot save the state: disk full");
    }
}
