//! `forewarn eval`: how well a scan found what the simulator hid.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use forewarn_sim::score::{read_truth, score, ScanOutput, Score};

use crate::summary::{clean, thousands};

/// Score a scan's output against a simulation's ground truth.
///
/// Reads SCAN_OUT/accounts.jsonl and SCAN_OUT/campaigns.json (what `forewarn scan --out`
/// writes) and the truth.json of `forewarn simulate`. Prints, per stage, precision, recall and
/// F1 over accounts; false-positive accounts per 10,000 accounts no campaign touched; campaign
/// purity; and each true campaign's funnel beside the scan's best-matching campaign.
///
/// Score a scan of one vendor format against DIR/truth/<format>.json: it holds only what that
/// format's records show (Okta, for one, logs no address lookups).
///
/// Examples:
///   forewarn eval --truth sim/truth.json --out scan/
///   forewarn eval --truth sim/truth/okta.json --out scan-okta/ --json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct EvalArgs {
    /// The simulation's truth.json (or truth/<format>.json).
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,

    /// The scan's output folder.
    #[arg(long = "out", value_name = "SCAN_OUT")]
    scan: PathBuf,

    /// Print the scores as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let truth = read_truth(&args.truth)?;
    let scan = ScanOutput::read(&args.scan)?;
    let result = score(&truth, &scan);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print_score(&result);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn print_score(score: &Score) {
    println!(
        "{:<12} {:>8} {:>8} {:>8} {:>10} {:>8} {:>7}",
        "stage", "truth", "found", "correct", "precision", "recall", "F1"
    );
    for s in &score.stages {
        println!(
            "{:<12} {:>8} {:>8} {:>8} {:>10.3} {:>8.3} {:>7.3}",
            s.stage.name(),
            thousands(s.truth as u64),
            thousands(s.found as u64),
            thousands(s.correct as u64),
            s.precision,
            s.recall,
            s.f1
        );
    }
    println!();
    println!(
        "false positives: {} accounts, {:.2} per 10,000 benign accounts ({} benign)",
        thousands(score.false_positives as u64),
        score.false_positives_per_10k_benign,
        thousands(score.benign_accounts as u64)
    );
    if score.nonexistent_flagged > 0 {
        println!(
            "non-existent addresses flagged (not counted): {}",
            thousands(score.nonexistent_flagged as u64)
        );
    }
    match score.purity {
        Some(p) => println!("campaign purity: {p:.3}"),
        None => println!("campaign purity: - (the scan reports no campaign)"),
    }
    println!();
    println!(
        "{:<12} {:<16} {:>21} {:>17} {:>17} {:>7}",
        "campaign", "found as", "identified", "attacked", "compromised", "error"
    );
    for c in &score.campaigns {
        let pair =
            |t: usize, f: usize| format!("{} / {}", thousands(t as u64), thousands(f as u64));
        println!(
            "{:<12} {:<16} {:>21} {:>17} {:>17} {:>6.1}%",
            clean(&c.id),
            clean(c.matched.as_deref().unwrap_or("(not found)")),
            pair(c.truth.identified, c.found.identified),
            pair(c.truth.attacked, c.found.attacked),
            pair(c.truth.compromised, c.found.compromised),
            c.funnel_error * 100.0
        );
    }
    println!("(funnels: truth / found)");
}
