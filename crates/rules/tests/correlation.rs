//! Each correlation type against hand-counted expectations, with the window's edges: a match
//! exactly `timespan` before the event is inside the window, one second more is outside.

mod common;

use forewarn_formats::Format;
use forewarn_rules::{Correlator, RuleSet, Scratch};
use jiff::{SignedDuration, Timestamp};

/// Two detection rules over native records: `fail` (a failed password) and `ok` (a session).
const DETECTIONS: &str = r#"
title: failed password
id: fail
name: fail
logsource:
    product: forewarn
detection:
    selection:
        event: auth.password
        outcome: failure
    condition: selection
---
title: session started
id: ok
name: ok
logsource:
    product: forewarn
detection:
    selection:
        event: session.start
    condition: selection
"#;

fn set(correlation: &str) -> RuleSet {
    common::rules(&format!("{correlation}\n---\n{DETECTIONS}"))
}

fn start() -> Timestamp {
    "2024-05-01T10:00:00Z".parse().unwrap()
}

/// A failed password for `user` from `ip`, `bytes` long, at `secs` after the start.
fn fail(secs: i64, user: &str, ip: &str, bytes: u64) -> (i64, String) {
    (
        secs,
        format!(
            r#"{{"event":"auth.password","outcome":"failure","user":"{user}","ip":"{ip}","bytes":{bytes}}}"#
        ),
    )
}

fn ok(secs: i64, user: &str) -> (i64, String) {
    (
        secs,
        format!(r#"{{"event":"session.start","outcome":"success","user":"{user}"}}"#),
    )
}

/// Feeds the events in order; returns, per alert, the index of the event that raised it and
/// the correlation's group values.
fn alerts_with(
    set: &RuleSet,
    correlator: &mut Correlator,
    events: &[(i64, String)],
) -> Vec<(usize, Vec<String>)> {
    let mut scratch = Scratch::new();
    let mut alerts = Vec::new();
    for (index, (secs, record)) in events.iter().enumerate() {
        let time = start() + SignedDuration::from_secs(*secs);
        let mut matches = Vec::new();
        set.evaluate(
            Format::Native,
            record.as_bytes(),
            time,
            &mut scratch,
            &mut matches,
        );
        for matched in &matches {
            for alert in correlator.observe(set, matched) {
                if alert.report {
                    alerts.push((index, alert.group.iter().map(|(_, v)| v.clone()).collect()));
                }
            }
        }
    }
    alerts
}

fn alerts(set: &RuleSet, events: &[(i64, String)]) -> Vec<(usize, Vec<String>)> {
    alerts_with(set, &mut Correlator::new(), events)
}

fn indices(alerts: &[(usize, Vec<String>)]) -> Vec<usize> {
    alerts.iter().map(|(i, _)| *i).collect()
}

const EVENT_COUNT: &str = r#"
title: three failures in a minute
correlation:
    type: event_count
    rules: [fail]
    group-by: [user]
    timespan: 60s
    condition:
        gte: 3
"#;

#[test]
fn event_count_window_edges() {
    let set = set(EVENT_COUNT);
    // The first failure is exactly 60 s before the third: inside.
    let events = [
        fail(0, "al", "a", 1),
        fail(30, "al", "a", 1),
        fail(60, "al", "a", 1),
    ];
    assert_eq!(alerts(&set, &events), [(2, vec!["al".to_owned()])]);
    // One second later it has left the window.
    let events = [
        fail(0, "al", "a", 1),
        fail(30, "al", "a", 1),
        fail(61, "al", "a", 1),
    ];
    assert_eq!(alerts(&set, &events), []);
}

#[test]
fn event_count_groups_resets_and_skips_ungrouped_matches() {
    let set = set(EVENT_COUNT);
    let events = [
        fail(0, "al", "a", 1),
        fail(10, "bo", "a", 1),
        fail(20, "al", "a", 1),
        fail(30, "bo", "a", 1),
        fail(40, "al", "a", 1),
    ];
    assert_eq!(alerts(&set, &events), [(4, vec!["al".to_owned()])]);
    // Six failures: fires at the third, starts over, fires at the sixth.
    let events: Vec<_> = (0..6).map(|i| fail(i, "al", "a", 1)).collect();
    assert_eq!(indices(&alerts(&set, &events)), [2, 5]);
    // Sessions are not failures, and a failure without a user has no group.
    let events = [
        fail(0, "al", "a", 1),
        ok(1, "al"),
        (
            2,
            r#"{"event":"auth.password","outcome":"failure","ip":"a"}"#.to_owned(),
        ),
        fail(3, "al", "a", 1),
    ];
    assert_eq!(alerts(&set, &events), []);
}

#[test]
fn value_count_counts_distinct_values_in_the_window() {
    let set = set(r#"
title: one account, three source addresses in a minute
correlation:
    type: value_count
    rules: [fail]
    group-by: [user]
    timespan: 1m
    condition:
        field: ip
        gte: 3
"#);
    let events = [
        fail(0, "al", "198.51.100.1", 1),
        fail(10, "al", "198.51.100.1", 1),
        fail(20, "al", "198.51.100.2", 1),
        fail(60, "al", "198.51.100.3", 1),
    ];
    assert_eq!(indices(&alerts(&set, &events)), [3]);
    // The first address is 61 s old when the third arrives; the repeat at 10 s keeps it in.
    let events = [
        fail(0, "al", "198.51.100.1", 1),
        fail(20, "al", "198.51.100.2", 1),
        fail(61, "al", "198.51.100.3", 1),
    ];
    assert_eq!(alerts(&set, &events), []);
}

const TEMPORAL: &str = r#"
title: a failure and a session within a minute
correlation:
    type: temporal
    rules: [fail, ok]
    group-by: [user]
    timespan: 1m
"#;

#[test]
fn temporal_needs_every_rule_in_any_order() {
    let set = set(TEMPORAL);
    assert_eq!(
        indices(&alerts(&set, &[fail(0, "al", "a", 1), ok(60, "al")])),
        [1]
    );
    assert_eq!(
        indices(&alerts(&set, &[fail(0, "al", "a", 1), ok(61, "al")])),
        Vec::<usize>::new()
    );
    assert_eq!(
        indices(&alerts(&set, &[ok(0, "al"), fail(30, "al", "a", 1)])),
        [1]
    );
    assert_eq!(
        indices(&alerts(&set, &[fail(0, "al", "a", 1), ok(5, "bo")])),
        Vec::<usize>::new()
    );
}

#[test]
fn temporal_ordered_needs_the_listed_order() {
    let set = set(&TEMPORAL.replace("type: temporal", "type: temporal_ordered"));
    assert_eq!(
        indices(&alerts(&set, &[fail(0, "al", "a", 1), ok(30, "al")])),
        [1]
    );
    assert_eq!(
        indices(&alerts(&set, &[ok(0, "al"), fail(30, "al", "a", 1)])),
        Vec::<usize>::new()
    );
    assert_eq!(
        indices(&alerts(
            &set,
            &[ok(0, "al"), fail(10, "al", "a", 1), ok(20, "al")]
        )),
        [2]
    );
    assert_eq!(
        indices(&alerts(&set, &[fail(0, "al", "a", 1), ok(60, "al")])),
        [1]
    );
    assert_eq!(
        indices(&alerts(&set, &[fail(0, "al", "a", 1), ok(61, "al")])),
        Vec::<usize>::new()
    );
}

#[test]
fn value_sum_and_value_avg() {
    let sum = set(r#"
title: more than 100 bytes of failures in a minute
correlation:
    type: value_sum
    rules: [fail]
    group-by: [user]
    timespan: 1m
    condition:
        field: bytes
        gt: 100
"#);
    // 50 + 40 + 20 = 110 > 100 at the third.
    let events = [
        fail(0, "al", "a", 50),
        fail(30, "al", "a", 40),
        fail(60, "al", "a", 20),
    ];
    assert_eq!(indices(&alerts(&sum, &events)), [2]);
    // At 61 s the 50 has left: 40 + 20 = 60.
    let events = [
        fail(0, "al", "a", 50),
        fail(30, "al", "a", 40),
        fail(61, "al", "a", 20),
    ];
    assert_eq!(indices(&alerts(&sum, &events)), Vec::<usize>::new());

    let avg = set(r#"
title: failures averaging over 100 bytes
correlation:
    type: value_avg
    rules: [fail]
    group-by: [user]
    timespan: 1m
    condition:
        field: bytes
        gt: 100
"#);
    // Averages 100, 100, 110.
    let events = [
        fail(0, "al", "a", 100),
        fail(1, "al", "a", 100),
        fail(2, "al", "a", 130),
    ];
    assert_eq!(indices(&alerts(&avg, &events)), [2]);
}

#[test]
fn value_percentile_uses_the_nearest_rank() {
    let p90 = set(r#"
title: the 90th percentile of failure sizes reaches 1000
correlation:
    type: value_percentile
    rules: [fail]
    group-by: [user]
    timespan: 1h
    condition:
        field: bytes
        percentile: 90
        gte: 1000
"#);
    // Sizes 10, 20, 30, 40: p90 is 40. Then 2000: p90 of five values is the 5th, 2000.
    let events: Vec<_> = [10, 20, 30, 40, 2000]
        .iter()
        .enumerate()
        .map(|(i, b)| fail(i as i64, "al", "a", *b))
        .collect();
    assert_eq!(indices(&alerts(&p90, &events)), [4]);

    let median = set(r#"
title: median failure size reaches 1000
correlation:
    type: value_percentile
    rules: [fail]
    group-by: [user]
    timespan: 1h
    condition:
        field: bytes
        gte: 1000
"#);
    // Medians (nearest rank): 10, 10, 2000 (of 10, 2000, 3000).
    let events = [
        fail(0, "al", "a", 10),
        fail(1, "al", "a", 2000),
        fail(2, "al", "a", 3000),
    ];
    assert_eq!(indices(&alerts(&median, &events)), [2]);
}

#[test]
fn aliases_group_different_fields_together() {
    let set = set(r#"
title: failure from an address, then a session for an account of that name
correlation:
    type: temporal
    rules: [fail, ok]
    group-by: [who]
    timespan: 1m
    aliases:
        who:
            fail: ip
            ok: user
"#);
    let events = [fail(0, "al", "bo", 1), ok(10, "bo")];
    assert_eq!(alerts(&set, &events), [(1, vec!["bo".to_owned()])]);
    let events = [fail(0, "al", "cy", 1), ok(10, "bo")];
    assert_eq!(alerts(&set, &events), []);
}

#[test]
fn generate_decides_whether_correlated_rules_report_alone() {
    let quiet = set(EVENT_COUNT);
    let loud = set(&format!("{EVENT_COUNT}    generate: true\n"));
    let mut scratch = Scratch::new();
    for (set, report) in [(&quiet, false), (&loud, true)] {
        let mut matches = Vec::new();
        let (_, record) = fail(0, "al", "a", 1);
        set.evaluate(
            Format::Native,
            record.as_bytes(),
            start(),
            &mut scratch,
            &mut matches,
        );
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].report, report);
        assert_eq!(
            matches[0].value("user"),
            Some("al"),
            "the group-by value travels"
        );
    }
}

#[test]
fn state_checkpoints_and_expires() {
    let set = set(EVENT_COUNT);
    let events = [
        fail(0, "al", "a", 1),
        fail(10, "al", "a", 1),
        fail(20, "al", "a", 1),
    ];
    let mut correlator = Correlator::new();
    assert_eq!(alerts_with(&set, &mut correlator, &events[..2]), []);
    // Save after two failures, restore, and the third still completes the window.
    let saved = serde_json::to_string(&correlator).unwrap();
    let mut restored: Correlator = serde_json::from_str(&saved).unwrap();
    assert_eq!(restored.group_count(), 1);
    assert_eq!(
        indices(&alerts_with(&set, &mut restored, &events[2..])),
        [0]
    );

    let mut correlator = Correlator::new();
    alerts_with(&set, &mut correlator, &events[..1]);
    correlator.expire(&set, start() + SignedDuration::from_secs(60));
    assert_eq!(
        correlator.group_count(),
        1,
        "still inside its window at 60 s"
    );
    correlator.expire(&set, start() + SignedDuration::from_secs(61));
    assert_eq!(correlator.group_count(), 0);
}

#[test]
fn a_correlation_of_a_correlation_fires_and_runs_on_its_formats() {
    // The outer rule comes first in the file and correlates only the inner one.
    let set = set(&format!(
        r#"
title: two bursts of failures within ten minutes
id: outer
correlation:
    type: event_count
    rules: [burst]
    group-by: [user]
    timespan: 10m
    condition:
        gte: 2
---
title: burst
id: burst
name: burst
{}"#,
        EVENT_COUNT
            .trim_start()
            .trim_start_matches("title: three failures in a minute\n")
    ));
    let outer = set.rules().iter().find(|r| r.id == "outer").unwrap();
    assert_eq!(outer.formats, [Format::Native]);
    // Bursts complete at the 3rd and 6th failure; the second burst makes the outer fire.
    // The inner correlation only feeds the outer (generate: false), so it does not report.
    let events: Vec<_> = (0..6).map(|i| fail(i * 10, "al", "a", 1)).collect();
    assert_eq!(alerts(&set, &events), [(5, vec!["al".to_owned()])]);
}

#[test]
fn matches_fed_as_owned_fields_carry_their_places_and_values_bounded() {
    let set = set(r#"
title: one account, many source addresses in a minute
correlation:
    type: value_count
    rules: [fail]
    group-by: [user]
    timespan: 1m
    condition:
        field: ip
        gte: 12
"#);
    let fail_rule = set.rules().iter().position(|r| r.id == "fail").unwrap();
    let mut correlator = Correlator::new();
    let mut fired = Vec::new();
    for i in 0..12u64 {
        let ip = format!("198.51.100.{i}");
        let fields = [("user", Some("al")), ("ip", Some(ip.as_str()))];
        let place = forewarn_model::RawRef {
            input: 1,
            line: 100 + i,
            index: 0,
        };
        let time = start() + SignedDuration::from_secs(i as i64);
        fired.extend(correlator.observe_fields(&set, fail_rule, time, &fields, Some(place)));
    }
    assert_eq!(fired.len(), 1);
    let alert = &fired[0];
    assert_eq!(alert.events, 12);
    assert_eq!(alert.value, 12.0);
    // The first nine places and the last: twelve matches make a ten-place alert.
    let lines: Vec<u64> = alert.evidence.iter().map(|r| r.line).collect();
    assert_eq!(lines, [100, 101, 102, 103, 104, 105, 106, 107, 108, 111]);
    assert_eq!(alert.values.len(), forewarn_rules::EVIDENCE);
    assert_eq!(alert.values[0], "198.51.100.0");
    assert_eq!(alert.group, [("user", "al".to_owned())]);
}
