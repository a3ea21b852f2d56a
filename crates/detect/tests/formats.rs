//! The accuracy bars in every format: one simulated world (every scenario) written in each
//! format forewarn reads, each scanned on its own and scored against that format's own truth
//! (`truth/<format>.json`: what its records can show — Okta logs no lookups, Google Workspace
//! no recovery flow).
//!
//! The bars, per format: F1 ≥ 0.95 at each stage, every takeover found, at most one false
//! positive per 10,000 honest accounts, campaign purity ≥ 0.9, and each campaign's funnel
//! within 2 % of the truth. Formats whose logs carry no AS number or country are scanned as
//! `scan --asn-db --geo-db` would scan them with the shared samples' databases, where those
//! are beside the checkout (always in CI); without them, [`GAPS_UNENRICHED`] says which bars
//! are missed and why. A gap that closes fails the test too, so that the list only shrinks.

use std::path::Path;

use forewarn_detect::{Config, Engine, Stage};
use forewarn_enrich::{AsnDb, CountryDb, Enricher};
use forewarn_formats::{Format, ReadOptions, Reader};
use forewarn_sim::score::{read_truth, score, FoundAccount, FoundCampaign, ScanOutput, Score};
use forewarn_sim::simulate::{simulate, SimConfig};
use forewarn_sim::truth::{Stage as TruthStage, StageAccounts};

/// Small enough for a debug build on two cores; every scenario still has its campaign.
const ACCOUNTS: u32 = 3_000;
const SEED: u64 = 1;

/// A bar one format does not meet yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bar {
    /// F1 ≥ 0.95 at this stage.
    F1(Stage),
    /// Every compromised account found.
    EveryTakeover,
    /// This scenario's funnel within 2 % of the truth.
    Funnel(&'static str),
}

/// Bars not met yet when the log is scanned without an ASN and country database (`scan
/// --asn-db --geo-db`), by format, with why. With the shared samples' databases every format
/// meets every bar at this size.
const GAPS_UNENRICHED: &[(&str, Bar, &str)] = &[
    // Without lookups, Phosphorus shows only its attack: a few accounts from a few addresses
    // over a month. Where the log carries network numbers, its quiet tries from data centres
    // and VPNs are one operation (relay_attempts) and its takeovers join it by client, way in,
    // or the takeover's own failed try from there. Auth0 and the Office 365 audit carry no AS
    // number, so without an ASN database nothing says an address is a data centre.
    (
        "auth0",
        Bar::Funnel("phosphorus"),
        "no AS numbers: one address per account, nothing links them",
    ),
    (
        "m365",
        Bar::Funnel("phosphorus"),
        "no AS numbers: one address per account, nothing links them",
    ),
];

/// The ASN and country databases of the shared samples, as `scan --asn-db --geo-db` would load
/// them. CI always has them; elsewhere, without them, the formats are scanned as their logs
/// are.
fn sample_databases() -> Option<Enricher> {
    let geo = forewarn_testkit::sample("geo")?;
    let mut enricher = Enricher::new();
    for file in ["asn/asn-ipv4.csv", "asn/asn-ipv6.csv"] {
        enricher.add_asn(AsnDb::open(&geo.join(file)).unwrap().0);
    }
    let country = "geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb";
    enricher.add_country(CountryDb::open(&geo.join(country)).unwrap().0);
    Some(enricher)
}

const SCENARIOS: &[&str] = &[
    "phosphorus",
    "spray",
    "stuffing",
    "brute_force",
    "mfa_fatigue",
    "sim_swap",
];

const FORMATS: &[&str] = &[
    "native", "okta", "entra", "gws", "auth0", "m365", "ocsf", "ecs",
];

fn truth_stage(stage: Stage) -> TruthStage {
    match stage {
        Stage::Identified => TruthStage::Identified,
        Stage::Attacked => TruthStage::Attacked,
        Stage::Compromised => TruthStage::Compromised,
    }
}

/// Scans `DIR/<format>` (filling what the log lacks from `databases`, as `scan --asn-db`
/// does) and scores it against `DIR/truth/<format>.json`.
fn scan_and_score(dir: &Path, format: &str, databases: Option<&Enricher>) -> Score {
    let mut engine = Engine::new(Config::default());
    let mut reader = Reader::new(ReadOptions::default());
    for input in forewarn_formats::input::expand(&[dir.join(format)]).unwrap() {
        reader
            .read(&input, &mut |event| {
                match databases {
                    Some(databases) => {
                        let mut event = event.clone();
                        databases.enrich(&mut event);
                        engine.push(&event);
                    }
                    None => engine.push(event),
                }
                Ok(())
            })
            .unwrap();
    }
    let (state, outcome) = engine.finish();
    let mut accounts = std::collections::BTreeMap::new();
    let mut campaigns = Vec::new();
    for campaign in &outcome.campaigns {
        let stages = campaign
            .accounts
            .iter()
            .map(|(&a, r)| (state.accounts.resolve(a), truth_stage(r.0)));
        for (&a, r) in &campaign.accounts {
            let entry = accounts
                .entry(state.accounts.resolve(a).to_owned())
                .or_insert(r.0);
            *entry = (*entry).max(r.0);
        }
        campaigns.push(FoundCampaign {
            id: campaign.id.clone(),
            funnel: None,
            accounts: StageAccounts::from_stages(stages),
        });
    }
    let found = ScanOutput {
        accounts: accounts
            .into_iter()
            .map(|(account, stage)| FoundAccount {
                account,
                stage: truth_stage(stage),
                campaigns: vec![],
            })
            .collect(),
        campaigns,
    };
    let truth = read_truth(&dir.join("truth").join(format!("{format}.json"))).unwrap();
    score(&truth, &found)
}

/// Scores one format and holds it to the bars, less its known gaps.
fn check(dir: &Path, format: &str, databases: Option<&Enricher>) {
    let result = scan_and_score(dir, format, databases);
    let mut missed: Vec<Bar> = Vec::new();
    for (stage, s) in Stage::ALL.into_iter().zip(&result.stages) {
        eprintln!(
            "{format} {}: P {:.3} R {:.3} F1 {:.3} ({} of {})",
            stage.name(),
            s.precision,
            s.recall,
            s.f1,
            s.correct,
            s.truth
        );
        if s.f1 < 0.95 {
            missed.push(Bar::F1(stage));
        }
    }
    if result.stages[2].recall < 1.0 {
        missed.push(Bar::EveryTakeover);
    }
    for c in &result.campaigns {
        eprintln!(
            "{format}   {:<12} truth {:?} found {:?} ({:.1} %)",
            c.scenario,
            c.truth,
            c.found,
            c.funnel_error * 100.0
        );
        if c.funnel_error > 0.02 {
            let scenario = SCENARIOS
                .iter()
                .find(|s| **s == c.scenario)
                .expect("a scenario this test knows");
            missed.push(Bar::Funnel(scenario));
        }
    }
    // Bars no format may miss.
    assert!(
        result.false_positives_per_10k_benign <= 1.0,
        "{format}: {} false positives in {} honest accounts",
        result.false_positives,
        result.benign_accounts
    );
    assert!(
        result.purity.is_some_and(|p| p >= 0.9),
        "{format}: purity {:?}",
        result.purity
    );
    let known: Vec<Bar> = GAPS_UNENRICHED
        .iter()
        .filter(|(f, _, _)| *f == format && databases.is_none())
        .map(|(_, bar, _)| *bar)
        .collect();
    for bar in &missed {
        assert!(
            known.contains(bar),
            "{format}: misses {bar:?}, which is not a known gap"
        );
    }
    for bar in &known {
        assert!(
            missed.contains(bar),
            "{format}: now meets {bar:?}: take it off GAPS_UNENRICHED"
        );
    }
}

/// One world in every format, each format scanned and scored on its own thread. (One test
/// owns the world, so that its folder is removed when the test ends.)
#[test]
fn every_format_meets_the_bars_or_a_known_gap() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SimConfig::new(SEED, ACCOUNTS, 30);
    config.formats = Format::ALL
        .iter()
        .copied()
        .filter(|f| FORMATS.contains(&f.name()))
        .collect();
    simulate(&config, dir.path(), &mut |_| {}).unwrap();
    let databases = sample_databases();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let checks: Vec<_> = FORMATS
            .iter()
            .map(|&format| {
                let (dir, databases) = (dir.path(), databases.as_ref());
                (format, scope.spawn(move || check(dir, format, databases)))
            })
            .collect();
        checks
            .into_iter()
            .filter_map(|(format, check)| {
                let panic = check.join().err()?;
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|m| (*m).to_owned()))
                    .unwrap_or_default();
                Some(format!("{format}: {message}"))
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
