//! Accuracy on the simulator: every scenario, scored against the truth.

use forewarn_detect::{Config, Engine, Stage};
use forewarn_formats::{ReadOptions, Reader};
use forewarn_sim::score::{score, FoundAccount, FoundCampaign, ScanOutput, Score};
use forewarn_sim::simulate::{simulate, SimConfig};
use forewarn_sim::truth::{Stage as TruthStage, StageAccounts, Truth};

fn truth_stage(stage: Stage) -> TruthStage {
    match stage {
        Stage::Identified => TruthStage::Identified,
        Stage::Attacked => TruthStage::Attacked,
        Stage::Compromised => TruthStage::Compromised,
    }
}

/// Simulates, scans the native output, and scores the scan against the truth.
fn scan_and_score(config: &SimConfig) -> (Truth, Score) {
    let dir = tempfile::tempdir().unwrap();
    let report = simulate(config, dir.path(), &mut |_| {}).unwrap();
    let mut engine = Engine::new(Config::default());
    let mut reader = Reader::new(ReadOptions::default());
    let path = dir.path().join("native/events.jsonl");
    reader
        .read(&forewarn_formats::input::Input::Path(path), &mut |event| {
            engine.push(event);
            Ok(())
        })
        .unwrap();
    let (state, outcome) = engine.finish();
    let mut accounts = std::collections::BTreeMap::new();
    let mut campaigns = Vec::new();
    for campaign in &outcome.campaigns {
        let stages = campaign
            .accounts
            .iter()
            .map(|(&a, r)| (state.accounts.resolve(a), truth_stage(r.0)));
        let lists = StageAccounts::from_stages(stages);
        for (&a, r) in &campaign.accounts {
            let entry = accounts
                .entry(state.accounts.resolve(a).to_owned())
                .or_insert(r.0);
            *entry = (*entry).max(r.0);
        }
        campaigns.push(FoundCampaign {
            id: campaign.id.clone(),
            funnel: None,
            accounts: lists,
        });
    }
    let scan = ScanOutput {
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
    let result = score(&report.truth, &scan);
    (report.truth, result)
}

/// The bars of the detection issue, on small worlds of several seeds: F1 ≥ 0.95 at every
/// stage, every takeover found, at most one false positive per 10,000 honest accounts, pure
/// campaigns.
#[test]
fn finds_every_scenario_without_false_alarms() {
    for seed in [1, 2, 3] {
        let config = SimConfig::new(seed, 5_000, 30);
        let (truth, result) = scan_and_score(&config);
        for stage in &result.stages {
            eprintln!(
                "seed {seed} {:?}: P {:.3} R {:.3} F1 {:.3} ({} / {})",
                stage.stage, stage.precision, stage.recall, stage.f1, stage.correct, stage.truth
            );
        }
        eprintln!(
            "seed {seed}: fp {} purity {:?}",
            result.false_positives, result.purity
        );
        for c in &result.campaigns {
            eprintln!(
                "  {:<12} {:?} truth {:?} found {:?}",
                c.id, c.matched, c.truth, c.found
            );
        }
        for stage in &result.stages {
            assert!(stage.f1 >= 0.95, "seed {seed}: {stage:?}");
        }
        assert_eq!(
            result.stages[2].recall, 1.0,
            "seed {seed}: every takeover is found"
        );
        assert!(
            result.false_positives_per_10k_benign <= 1.0,
            "seed {seed}: {result:?}"
        );
        assert!(
            result.purity.unwrap_or(0.0) >= 0.9,
            "seed {seed}: {:?}",
            result.purity
        );
        // The campaigns that matter most are found whole.
        for c in result
            .campaigns
            .iter()
            .filter(|c| ["spray", "stuffing"].contains(&c.scenario.as_str()))
        {
            assert!(
                c.found.compromised == c.truth.compromised,
                "seed {seed}: {c:?}"
            );
        }
        assert_eq!(truth.campaigns.len(), 6);
    }
}
