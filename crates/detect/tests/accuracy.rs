//! Accuracy on the simulator: every scenario, scored against the truth.

use std::collections::{BTreeMap, BTreeSet};

use forewarn_detect::engine_state::State;
use forewarn_detect::{accounts, Config, Engine, Stage, Subject, Verdict};
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

/// Prints, per account-level detector, how many of its verdicts are about accounts the truth
/// says a campaign attacked, and how many about honest ones with which look-alike behaviour.
fn report_account_verdicts(truth: &Truth, state: &State, verdicts: &[Verdict]) {
    let attacked: BTreeSet<&str> = truth
        .campaigns
        .iter()
        .flat_map(|c| c.accounts.identified.iter().map(String::as_str))
        .collect();
    let mut counts: BTreeMap<&str, (usize, BTreeMap<&str, usize>)> = BTreeMap::new();
    for verdict in verdicts {
        let Subject::Account { account, .. } = verdict.subject else {
            continue;
        };
        let name = state.accounts.resolve(account);
        let entry = counts.entry(verdict.detector).or_default();
        if attacked.contains(name) {
            entry.0 += 1;
        } else {
            let behaviours: Vec<&str> = truth
                .benign
                .iter()
                .filter(|(_, accounts)| accounts.iter().any(|a| a == name))
                .map(|(b, _)| b.as_str())
                .filter(|b| !["typo", "marketing_burst"].contains(b))
                .collect();
            for b in if behaviours.is_empty() {
                vec!["none"]
            } else {
                behaviours
            } {
                *entry.1.entry(b).or_default() += 1;
            }
        }
    }
    for (detector, (on_attacked, honest)) in counts {
        eprintln!("  {detector}: {on_attacked} on attacked accounts, honest {honest:?}");
    }
}

/// Simulates, scans the native output, and scores the scan against the truth.
/// Also returns each recovery chain found, as (primary, secondary) account names, and every
/// flagged account's stage.
#[allow(clippy::type_complexity)]
fn scan_and_score(
    config: &SimConfig,
) -> (Truth, Score, Vec<(String, String)>, BTreeMap<String, Stage>) {
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
    let mut campaigns = Vec::new();
    for campaign in &outcome.campaigns {
        let stages = campaign
            .accounts
            .iter()
            .map(|(&a, r)| (state.accounts.resolve(a), truth_stage(r.0)));
        campaigns.push(FoundCampaign {
            id: campaign.id.clone(),
            funnel: None,
            accounts: StageAccounts::from_stages(stages),
        });
    }
    // What accounts.jsonl lists: every campaign's accounts and corroborated account verdicts.
    let scan = ScanOutput {
        accounts: accounts::flagged(&outcome.campaigns, &outcome.verdicts)
            .into_iter()
            .map(|line| FoundAccount {
                account: state.accounts.resolve(line.account).to_owned(),
                stage: truth_stage(line.stage),
                campaigns: vec![],
            })
            .collect(),
        campaigns,
    };
    report_account_verdicts(&report.truth, &state, &outcome.verdicts);
    let result = score(&report.truth, &scan);
    let chains = outcome
        .verdicts
        .iter()
        .filter(|v| v.detector == "recovery_chain")
        .filter_map(|v| match (v.subject, v.related_accounts.first()) {
            (Subject::Account { account, .. }, Some(&secondary)) => Some((
                state.accounts.resolve(account).to_owned(),
                state.accounts.resolve(secondary).to_owned(),
            )),
            _ => None,
        })
        .collect();
    let found = accounts::flagged(&outcome.campaigns, &outcome.verdicts)
        .into_iter()
        .map(|line| (state.accounts.resolve(line.account).to_owned(), line.stage))
        .collect();
    (report.truth, result, chains, found)
}

/// The bars of the detection issue, on small worlds of several seeds: F1 ≥ 0.95 at every
/// stage, every takeover found, at most one false positive per 10,000 honest accounts, pure
/// campaigns.
#[test]
fn finds_every_scenario_without_false_alarms() {
    for seed in [1, 2, 3] {
        let config = SimConfig::new(seed, 5_000, 30);
        let (truth, result, chains, found) = scan_and_score(&config);
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
        // Every SIM swap is found at its stage, the ones the carrier refused too.
        let sim_swap = truth
            .campaigns
            .iter()
            .find(|c| c.scenario == "sim_swap")
            .expect("sim_swap runs");
        for account in &sim_swap.accounts.attacked {
            let stage = found.get(account.as_str());
            assert!(
                stage.is_some_and(|s| *s >= Stage::Attacked),
                "seed {seed}: {account} {stage:?}"
            );
        }
        // Phosphorus's chain: the secondary mailbox taken, then the primary reset through it.
        let phosphorus = truth
            .campaigns
            .iter()
            .find(|c| c.scenario == "phosphorus")
            .expect("phosphorus runs");
        assert!(
            chains.iter().any(|(primary, secondary)| {
                let taken = &phosphorus.accounts.compromised;
                primary != secondary && taken.contains(primary) && taken.contains(secondary)
            }),
            "seed {seed}: chains {chains:?}, phosphorus took {:?}",
            phosphorus.accounts.compromised
        );
        assert_eq!(truth.campaigns.len(), 6);
    }
}
