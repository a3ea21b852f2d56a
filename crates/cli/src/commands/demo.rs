//! `forewarn demo`: the main job on the embedded default.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use forewarn_formats::input::Input;
use forewarn_formats::{ReadOptions, Reader};
use forewarn_sim::simulate::SimConfig;

use forewarn_sim::score::{read_truth, score, ScanOutput};

use crate::commands::eval::print_score;
use crate::commands::scan::{load_rules, print_campaigns, print_top_rules, scan};
use crate::commands::simulate::{print_report, run_with_progress};
use crate::summary::{clean, thousands};

/// Show forewarn working end to end, with nothing to install or download.
///
/// Simulates a month at an email provider: thousands of people signing in and recovering
/// accounts from homes, offices, campuses, phones and hotels, with a Phosphorus-style
/// campaign and five other attacks hidden inside. Prints what the campaigns did (the ground
/// truth) and how one takeover looks in the logs.
///
///
/// Then scans the month with `forewarn scan`, prints the campaigns it found, and scores them
/// against the truth as `forewarn eval` does.
///
/// Examples:
///   forewarn demo
///   forewarn demo --accounts 50000 --out demo/
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DemoArgs {
    /// Accounts in the simulated world.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    accounts: u32,

    /// Seed of the world.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Where to write the simulated logs (default: forewarn-demo in the temporary folder).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Thresholds and allowlists for the scan (TOML; see `forewarn config print-default`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Also run these Sigma rules in the scan (files or directories; rules for the simulated
    /// native logs name `product: forewarn`, see docs/rules.md).
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    // A bad configuration fails before a minute of simulating, not after.
    let detection = crate::commands::config::load(args.config.as_deref())?;
    let rules = load_rules(&args.rules, None, false)?;
    let out = args
        .out
        .unwrap_or_else(|| std::env::temp_dir().join("forewarn-demo"));
    let config = SimConfig::new(args.seed, args.accounts, 30);
    println!(
        "forewarn demo: a simulated month at an email provider with {} accounts,",
        thousands(u64::from(args.accounts))
    );
    println!("with a Phosphorus-style campaign and five other attacks hidden in honest traffic.");
    println!();
    let report = run_with_progress(
        &config,
        &out,
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
    )?;
    print_report(&report);
    println!();
    let benign = &report.truth.benign;
    let count = |name: &str| thousands(benign.get(name).map_or(0, Vec::len) as u64);
    println!(
        "Honest look-alikes in the same month: {} accounts behind office NAT, {} on campus, {} on \
         carrier CGNAT, {} travellers, {} VPN users, {} forgotten passwords, {} new phones, {} \
         helped by the help desk.",
        count("corporate_nat"),
        count("university"),
        count("carrier_cgnat"),
        count("traveller"),
        count("vpn_user"),
        count("forgot_password"),
        count("new_phone"),
        count("helpdesk_assisted"),
    );

    if let Some(phosphorus) = report
        .truth
        .campaigns
        .iter()
        .find(|c| c.scenario == "phosphorus")
    {
        if let Some(victim) = phosphorus.accounts.compromised.first() {
            println!();
            println!(
                "How one Phosphorus takeover looks in the logs ({}):",
                clean(victim)
            );
            show_takeover(&out, victim, &phosphorus.infrastructure.ips)?;
        }
    }
    println!();
    let scan_out = out.join("scan");
    println!("Scanning the month with `forewarn scan`...");
    let started = std::time::Instant::now();
    let options = super::scan::ScanOptions {
        threads: super::scan::default_threads(),
        config: detection,
        rules,
        ..Default::default()
    };
    let scanned = scan(&[out.join("native")], &scan_out, &options)?;
    println!("done in {:.1} s:", started.elapsed().as_secs_f64());
    println!();
    print_campaigns(&scanned);
    print_top_rules(&scanned);
    println!();
    println!("Scored against the truth (`forewarn eval`):");
    println!();
    let truth = read_truth(&out.join("truth").join("native.json"))?;
    let found = ScanOutput::read(&scan_out)?;
    print_score(&score(&truth, &found));
    println!();
    println!("Simulated logs and truth: {}", out.display());
    println!(
        "Scan results (accounts.jsonl, campaigns.json, findings.jsonl): {}",
        scan_out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints the campaign's events about `victim`, and its guesses at the victim's address.
fn show_takeover(
    out: &std::path::Path,
    victim: &str,
    infrastructure: &[String],
) -> anyhow::Result<()> {
    let infrastructure: HashSet<&str> = infrastructure.iter().map(String::as_str).collect();
    let local = victim.split('@').next().unwrap_or(victim);
    let tokens: Vec<&str> = local
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|t| t.len() >= 3)
        .collect();
    let mut reader = Reader::new(ReadOptions::default());
    let mut lines = Vec::new();
    reader.read(
        &Input::Path(out.join("native/events.jsonl")),
        &mut |event| {
            let from_campaign = event
                .ip
                .is_some_and(|ip| infrastructure.contains(ip.to_string().as_str()));
            let about_victim = event.account == victim
                || (event.account_exists == Some(false)
                    && tokens.iter().any(|t| event.account.contains(t)));
            if from_campaign && about_victim {
                let ip = event.ip.map(|ip| ip.to_string()).unwrap_or_default();
                lines.push(format!(
                    "  {}  {:<30} {:<8} {:<34} {}",
                    event.time.strftime("%Y-%m-%d %H:%M:%S"),
                    event.kind.as_str(),
                    event.outcome.as_str(),
                    clean(&event.account),
                    ip
                ));
            }
            Ok(())
        },
    )?;
    for line in lines.iter().take(24) {
        println!("{line}");
    }
    if lines.len() > 24 {
        println!("  ... {} more", lines.len() - 24);
    }
    Ok(())
}
