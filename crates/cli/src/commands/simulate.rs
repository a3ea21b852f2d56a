//! `forewarn simulate`: a labelled synthetic month of sign-ins with campaigns inside.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use forewarn_formats::Format;
use forewarn_sim::render::FORMATS;
use forewarn_sim::simulate::{parse_scenarios, simulate, Progress, Report, SimConfig};

use crate::summary::thousands;

/// Simulate a world of sign-ins and account recoveries with attack campaigns hidden inside.
///
/// Writes DIR/<format>/... logs in each chosen format, from the same world, and DIR/truth.json:
/// which accounts each campaign identified, attacked and compromised, its infrastructure, the
/// addresses it probed that do not exist, and the honest look-alike behaviours (travellers,
/// office NAT, forgotten passwords...) with their accounts. The same arguments always write
/// byte-identical files. See docs/simulator.md for the world, scenarios and parameters.
///
/// Scenarios: phosphorus, spray, stuffing, brute_force, mfa_fatigue, sim_swap (or all).
/// Formats: native, okta, entra, gws, auth0, m365, ocsf, ecs (or all).
///
/// Examples:
///   forewarn simulate --out sim/
///   forewarn simulate --accounts 200000 --days 30 --scenario phosphorus --out big/
///   forewarn simulate --format okta,entra --set phosphorus.attacked=50 --out vendor/
///   forewarn simulate --scenario spray --set spray.targets=500 --seed 7 --out spray/
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct SimulateArgs {
    /// Folder to write into (created; must be empty or hold an earlier simulation).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Seed of every random choice: same seed and arguments, same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Accounts in the world.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    accounts: u32,

    /// Days simulated.
    #[arg(long, value_name = "N", default_value_t = 30)]
    days: u32,

    /// First day (UTC), as YYYY-MM-DD.
    #[arg(long, value_name = "DATE", default_value = "2019-08-13")]
    start: String,

    /// Attack scenarios, separated by commas, or `all`.
    #[arg(long = "scenario", value_name = "LIST", default_value = "all")]
    scenarios: String,

    /// Formats to write, separated by commas, or `all`.
    #[arg(long = "format", value_name = "LIST", default_value = "native")]
    formats: String,

    /// Override a scenario parameter, e.g. `phosphorus.attacked=50` (repeatable; see
    /// docs/simulator.md for every parameter).
    #[arg(long = "set", value_name = "SCENARIO.PARAM=N")]
    overrides: Vec<String>,

    /// The identity provider's domain.
    #[arg(long, default_value = "example.com")]
    domain: String,

    /// Compress each file with zstd (`events.jsonl.zst`): a month of 200,000 accounts in a
    /// vendor format is tens of gigabytes raw. `forewarn scan` reads the files as they are.
    #[arg(long)]
    zstd: bool,

    /// No progress and no summary.
    #[arg(short, long)]
    quiet: bool,
}

pub fn parse_formats(list: &str) -> anyhow::Result<Vec<Format>> {
    let mut formats = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "all" {
            return Ok(FORMATS.to_vec());
        }
        let format: Format = name.parse()?;
        if !FORMATS.contains(&format) {
            anyhow::bail!(
                "the simulator does not write {format}; it writes: {}",
                FORMATS
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    if formats.is_empty() {
        anyhow::bail!("--format is empty; name at least one format, or `all`");
    }
    Ok(formats)
}

/// The configuration the arguments describe.
pub fn config(args: &SimulateArgs) -> anyhow::Result<SimConfig> {
    let mut config = SimConfig::new(args.seed, args.accounts, args.days);
    config.start = format!("{}T00:00:00Z", args.start.trim())
        .parse::<forewarn_model::Timestamp>()
        .map_err(|e| {
            anyhow::anyhow!(
                "--start {}: expected a date as YYYY-MM-DD ({e})",
                args.start
            )
        })?;
    config.domain = args.domain.to_lowercase();
    config.scenarios = parse_scenarios(&args.scenarios)?;
    config.formats = parse_formats(&args.formats)?;
    config.zstd = args.zstd;
    config.overrides = args
        .overrides
        .iter()
        .map(|o| o.parse())
        .collect::<Result<_, _>>()?;
    Ok(config)
}

pub fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let config = config(&args)?;
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let report = run_with_progress(&config, &args.out, show_progress)?;
    if !args.quiet {
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a simulation, drawing a one-line progress display on stderr when asked.
pub fn run_with_progress(
    config: &SimConfig,
    out: &std::path::Path,
    show: bool,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let mut progress = |p: Progress| {
        if show {
            let rate = p.events as f64 / started.elapsed().as_secs_f64().max(1e-9);
            eprint!(
                "\rsimulating day {}/{}: {} events ({:.0} k events/s)   ",
                p.day,
                p.days,
                thousands(p.events),
                rate / 1000.0
            );
            let _ = std::io::stderr().flush();
        }
    };
    let report = simulate(config, out, &mut progress)?;
    if show {
        eprintln!(
            "\rsimulated {} days in {:.1} s{:30}",
            config.days,
            started.elapsed().as_secs_f64(),
            ""
        );
    }
    Ok(report)
}

pub fn print_report(report: &Report) {
    let world = &report.truth.world;
    println!(
        "{} accounts, {} days from {}: {} events",
        thousands(world.accounts as u64),
        world.days,
        &world.start[..10],
        thousands(world.events)
    );
    println!();
    println!(
        "{:<12} {:>11} {:>9} {:>12} {:>12}  infrastructure",
        "campaign", "identified", "attacked", "compromised", "nonexistent"
    );
    for c in &report.truth.campaigns {
        println!(
            "{:<12} {:>11} {:>9} {:>12} {:>12}  {} addresses, {} ASNs",
            c.id,
            thousands(c.funnel.identified as u64),
            thousands(c.funnel.attacked as u64),
            thousands(c.funnel.compromised as u64),
            thousands(c.nonexistent_probed.len() as u64),
            c.infrastructure.ips.len(),
            c.infrastructure.asns.len()
        );
    }
    println!();
    for (format, path, size) in &report.files {
        println!(
            "{:<8} {:>10} KB  {}",
            format.name(),
            thousands(size / 1024),
            path.display()
        );
    }
    if let Some((_, path, _)) = report.files.first() {
        if let Some(out) = path.parent().and_then(|p| p.parent()) {
            println!("truth              {}", out.join("truth.json").display());
        }
    }
}
