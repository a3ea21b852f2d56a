//! The scorer against a perfect scan output and against broken ones, counted by hand.

use std::io::Write;
use std::path::Path;

use forewarn_sim::score::{read_truth, score, ScanOutput};
use forewarn_sim::simulate::{plan, SimConfig};
use forewarn_sim::truth::{CampaignTruth, Stage, Truth, WorldTruth};

fn truth() -> Truth {
    let planned = plan(&SimConfig::new(4, 3_000, 30)).unwrap();
    let targeted: std::collections::BTreeSet<_> = planned
        .campaigns
        .iter()
        .flat_map(|c| c.accounts.identified.clone())
        .collect();
    Truth {
        world: WorldTruth {
            seed: 4,
            accounts: 3_000,
            benign_accounts: 3_000 - targeted.len(),
            days: 30,
            start: "2019-08-13T00:00:00Z".into(),
            end: "2019-09-12T00:00:00Z".into(),
            domain: "example.com".into(),
            events: 0,
            scenarios: vec![],
            formats: vec![],
        },
        campaigns: planned.campaigns,
        benign: Default::default(),
    }
}

/// Writes a scan output folder: accounts.jsonl from `(account, stage, campaign)` and
/// campaigns.json from the campaigns.
fn write_scan(dir: &Path, campaigns: &[CampaignTruth], extra_accounts: &[(&str, Stage)]) {
    let mut accounts = std::fs::File::create(dir.join("accounts.jsonl")).unwrap();
    let mut found = Vec::new();
    for (i, c) in campaigns.iter().enumerate() {
        let id = format!("c-{i}");
        for account in &c.accounts.identified {
            let stage = if c.accounts.compromised.contains(account) {
                "compromised"
            } else if c.accounts.attacked.contains(account) {
                "attacked"
            } else {
                "identified"
            };
            writeln!(
                accounts,
                r#"{{"account":"{account}","stage":"{stage}","campaigns":["{id}"],"score":0.9}}"#
            )
            .unwrap();
        }
        found.push(serde_json::json!({"id": id, "funnel": c.funnel, "accounts": c.accounts}));
    }
    for (account, stage) in extra_accounts {
        writeln!(
            accounts,
            r#"{{"account":"{account}","stage":"{}","campaigns":[]}}"#,
            stage.name()
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("campaigns.json"),
        serde_json::to_vec(&found).unwrap(),
    )
    .unwrap();
}

#[test]
fn a_perfect_output_scores_perfectly() {
    let truth = truth();
    let dir = tempfile::tempdir().unwrap();
    write_scan(dir.path(), &truth.campaigns, &[]);
    let result = score(&truth, &ScanOutput::read(dir.path()).unwrap());
    for stage in &result.stages {
        assert_eq!(
            (stage.precision, stage.recall, stage.f1),
            (1.0, 1.0, 1.0),
            "{stage:?}"
        );
        assert!(stage.truth > 0);
    }
    assert_eq!(result.false_positives, 0);
    assert_eq!(result.purity, Some(1.0));
    for c in &result.campaigns {
        assert_eq!(c.funnel_error, 0.0, "{}", c.id);
        assert!(c.matched.is_some());
    }
}

#[test]
fn a_broken_output_scores_what_it_got_wrong() {
    let truth = truth();
    let mut campaigns = truth.campaigns.clone();
    // Phosphorus: one compromised account reported only as attacked.
    let phosphorus = &mut campaigns[0];
    phosphorus.accounts.compromised.remove(0);
    phosphorus.funnel.compromised -= 1;
    // Spray and stuffing merged into one campaign.
    let stuffing = campaigns.remove(2);
    let spray = &mut campaigns[1];
    for stage in Stage::ALL {
        let into = match stage {
            Stage::Identified => &mut spray.accounts.identified,
            Stage::Attacked => &mut spray.accounts.attacked,
            Stage::Compromised => &mut spray.accounts.compromised,
        };
        into.extend(stuffing.accounts.at(stage).iter().cloned());
    }
    spray.funnel = spray.accounts.funnel();
    let dir = tempfile::tempdir().unwrap();
    // Three honest accounts flagged, and one non-existent address (not counted).
    let ghost = truth.campaigns[0].nonexistent_probed[0].clone();
    write_scan(
        dir.path(),
        &campaigns,
        &[
            ("nobody.1@example.com", Stage::Identified),
            ("nobody.2@example.com", Stage::Attacked),
            ("nobody.3@example.com", Stage::Identified),
            (&ghost, Stage::Identified),
        ],
    );
    let result = score(&truth, &ScanOutput::read(dir.path()).unwrap());

    let compromised_truth: usize = truth.campaigns.iter().map(|c| c.funnel.compromised).sum();
    let compromised = &result.stages[2];
    assert_eq!(
        (compromised.truth, compromised.found, compromised.correct),
        (
            compromised_truth,
            compromised_truth - 1,
            compromised_truth - 1
        )
    );
    assert_eq!(compromised.precision, 1.0);
    assert!(
        (compromised.recall - (compromised_truth - 1) as f64 / compromised_truth as f64).abs()
            < 1e-12
    );
    assert!(!result.stages[2].f1.is_nan() && result.stages[2].f1 < 1.0);
    let identified = &result.stages[0];
    assert_eq!(identified.found, identified.truth + 3);
    assert_eq!(result.false_positives, 3);
    assert_eq!(result.nonexistent_flagged, 1);
    let expected_fp = 3.0 * 10_000.0 / truth.world.benign_accounts as f64;
    assert!((result.false_positives_per_10k_benign - expected_fp).abs() < 1e-9);
    // Purity: the merged campaign's majority is the larger of spray and stuffing.
    let sizes: Vec<usize> = truth
        .campaigns
        .iter()
        .map(|c| c.funnel.identified)
        .collect();
    let total: usize = sizes.iter().sum();
    let expected_purity = (total - sizes[1].min(sizes[2])) as f64 / total as f64;
    assert!(
        (result.purity.unwrap() - expected_purity).abs() < 1e-12,
        "{:?} vs {expected_purity}",
        result.purity
    );
    let phosphorus = &result.campaigns[0];
    assert_eq!(
        phosphorus.found.compromised,
        truth.campaigns[0].funnel.compromised - 1
    );
    assert!(phosphorus.funnel_error > 0.0);
    assert_eq!(
        result.campaigns[1].matched, result.campaigns[2].matched,
        "spray and stuffing found as one"
    );
}

#[test]
fn bad_lines_are_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("accounts.jsonl"), "{\"account\":\"a@x\",\"stage\":\"identified\"}\n{\"account\":\"b@x\",\"stage\":\"owned\"}\n").unwrap();
    std::fs::write(dir.path().join("campaigns.json"), "[]").unwrap();
    let err = ScanOutput::read(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("accounts.jsonl:2:") && err.contains("owned"),
        "{err}"
    );
    let err = read_truth(&dir.path().join("missing.json"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.json"), "{err}");
}
