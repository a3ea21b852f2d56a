//! The Sigma rule stage: hits made on raw records by a `RuleRunner`, put in time order within
//! the lateness bound, correlated, grouped into findings, and checkpointed mid-stream.

use std::path::Path;
use std::sync::Arc;

use forewarn_detect::sigma::{RuleHit, RuleRunner, RuleStage};
use forewarn_formats::{Format, RawRecord};
use forewarn_model::RawRef;
use forewarn_rules::{LoadStatus, Mappings, RuleSet};

/// `step_a` then `step_b` for one account within ten minutes, and each step on its own.
const RULES: &str = r#"
title: step a
id: step_a
name: step_a
logsource:
    product: forewarn
detection:
    selection:
        event: recovery.start
    condition: selection
---
title: step b
id: step_b
name: step_b
logsource:
    product: forewarn
detection:
    selection:
        event: recovery.reset
    condition: selection
---
title: a recovery started, then a reset
id: a_then_b
correlation:
    type: temporal_ordered
    rules: [step_a, step_b]
    group-by: [account]
    timespan: 10m
    generate: true
level: high
"#;

fn rules() -> Arc<RuleSet> {
    let (set, reports) =
        RuleSet::from_sources(&[(Path::new("t.yml"), RULES)], &Mappings::builtin());
    for report in &reports {
        assert!(
            matches!(report.status, LoadStatus::Loaded { .. }),
            "{report:?}"
        );
    }
    Arc::new(set)
}

/// A native record at `minute` past 10:00 (no decoded event: the runner reads its time).
fn record(minute: u32, event: &str, account: &str) -> String {
    format!(
        r#"{{"time":"2024-05-01T10:{minute:02}:00Z","event":"{event}","outcome":"success","account":"{account}","ip":"203.0.113.7"}}"#
    )
}

/// Hits of one record, as a decoding thread makes them.
fn hits(rules: &RuleSet, input: u32, line: u64, text: &str) -> Vec<RuleHit> {
    let mut runner = RuleRunner::new(rules, None, None);
    runner.record(&RawRecord {
        bytes: text.as_bytes(),
        format: Format::Native,
        raw: RawRef {
            input,
            line,
            index: 0,
        },
        event: None,
    });
    runner.take()
}

fn fired(stage: RuleStage) -> Vec<(String, u64, Vec<u64>)> {
    let outcome = stage.finish(0);
    outcome
        .findings
        .iter()
        .filter(|f| f.correlation.is_some())
        .map(|f| {
            (
                outcome.rules.rule(f.rule).id.clone(),
                f.count,
                f.evidence.iter().map(|e| e.raw.line).collect(),
            )
        })
        .collect()
}

#[test]
fn hits_out_of_order_within_the_lateness_are_correlated_in_time_order() {
    let rules = rules();
    // Input 0 (read first) holds the reset at 10:05; input 1 the recovery start at 10:02.
    let reset = hits(
        &rules,
        0,
        1,
        &record(5, "recovery.reset", "ann@example.com"),
    );
    let start = hits(
        &rules,
        1,
        1,
        &record(2, "recovery.start", "ann@example.com"),
    );
    assert_eq!((reset.len(), start.len()), (1, 1));

    let mut stage = RuleStage::new(rules.clone(), 3600);
    for hit in reset.iter().chain(&start).cloned() {
        stage.push(hit);
    }
    assert_eq!(
        fired(stage),
        [("a_then_b".to_owned(), 2, vec![1, 1])],
        "put back in order: the start, then the reset"
    );

    // With no lateness allowed the start comes too late: out of order, nothing fires.
    let mut stage = RuleStage::new(rules, 0);
    for hit in reset.into_iter().chain(start) {
        stage.push(hit);
    }
    assert_eq!(fired(stage), []);
}

#[test]
fn a_rule_stage_saved_mid_stream_finds_what_one_stage_finds() {
    let rules = rules();
    let mut all = Vec::new();
    for (i, account) in ["ann", "bo", "cy"].iter().enumerate() {
        let account = format!("{account}@example.com");
        let i = i as u32;
        all.extend(hits(
            &rules,
            0,
            u64::from(i) + 1,
            &record(i, "recovery.start", &account),
        ));
        all.extend(hits(
            &rules,
            1,
            u64::from(i) + 1,
            &record(i + 3, "recovery.reset", &account),
        ));
    }
    // Many matches of one rule on one account: one finding, its evidence bounded.
    for minute in 20..40 {
        all.extend(hits(
            &rules,
            2,
            u64::from(minute),
            &record(minute, "recovery.start", "dee@example.com"),
        ));
    }
    let one = {
        let mut stage = RuleStage::new(rules.clone(), 3600);
        for hit in all.iter().cloned() {
            stage.push(hit);
        }
        stage.finish(0).findings
    };
    for cut in [1, 3, 5, all.len() - 1] {
        let mut first = RuleStage::new(rules.clone(), 3600);
        for hit in all[..cut].iter().cloned() {
            first.push(hit);
        }
        let saved = serde_json::to_string(&first.save().unwrap()).unwrap();
        let mut second = RuleStage::new(rules.clone(), 3600);
        second
            .restore(serde_json::from_str(&saved).unwrap())
            .unwrap();
        for hit in all[cut..].iter().cloned() {
            second.push(hit);
        }
        assert_eq!(second.finish(0).findings, one, "cut after {cut} hits");
    }
    let correlations = one.iter().filter(|f| f.correlation.is_some()).count();
    assert_eq!(correlations, 3, "one per account");
    let dee = one
        .iter()
        .find(|f| f.account.as_deref() == Some("dee@example.com"))
        .unwrap();
    assert_eq!(dee.count, 20);
    assert_eq!(dee.source.as_deref(), Some("203.0.113.7"));
    let lines: Vec<u64> = dee.evidence.iter().map(|e| e.raw.line).collect();
    assert_eq!(
        lines,
        [20, 21, 22, 23, 24, 25, 26, 27, 28, 39],
        "the first nine and the last"
    );
    assert_eq!(dee.evidence[0].fields[0].values, ["recovery.start"]);
}

#[test]
fn a_record_without_a_time_takes_the_time_before_it() {
    let rules = rules();
    let mut runner = RuleRunner::new(&rules, None, None);
    let place = |line| RawRef {
        input: 0,
        line,
        index: 0,
    };
    let timed = record(7, "recovery.start", "ann@example.com");
    let untimed = r#"{"event":"recovery.start","account":"bo@example.com"}"#;
    for (line, text) in [(1, untimed), (2, timed.as_str()), (3, untimed)] {
        runner.record(&RawRecord {
            bytes: text.as_bytes(),
            format: Format::Native,
            raw: place(line),
            event: None,
        });
    }
    let times: Vec<Option<i64>> = runner.take().iter().map(|h| h.time_ms).collect();
    let seven = "2024-05-01T10:07:00Z"
        .parse::<forewarn_model::Timestamp>()
        .unwrap()
        .as_millisecond();
    assert_eq!(times, [None, Some(seven), Some(seven)]);

    // The stage gives a hit with no time the latest time it knows.
    let mut stage = RuleStage::new(rules.clone(), 3600);
    let mut early = hits(&rules, 0, 1, untimed);
    early[0].time_ms = None;
    stage.push(early.remove(0));
    for hit in hits(&rules, 0, 2, &timed) {
        stage.push(hit);
    }
    let outcome = stage.finish(0);
    assert!(outcome.findings.iter().all(|f| f.first_ms == seven));
}

#[test]
fn records_outside_the_scan_window_are_not_evaluated() {
    let rules = rules();
    let since = "2024-05-01T10:05:00Z".parse().unwrap();
    let mut runner = RuleRunner::new(&rules, Some(since), None);
    for minute in [4, 5] {
        let text = record(minute, "recovery.start", "ann@example.com");
        runner.record(&RawRecord {
            bytes: text.as_bytes(),
            format: Format::Native,
            raw: RawRef::default(),
            event: None,
        });
    }
    assert_eq!(runner.take().len(), 1);
}
