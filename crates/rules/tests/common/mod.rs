//! Helpers shared by the rule tests.

#![allow(dead_code)]

use std::path::Path;

use forewarn_formats::Format;
use forewarn_rules::{LoadStatus, Mappings, RuleMatch, RuleSet, Scratch};
use jiff::Timestamp;

/// Loads rule YAML (one or more documents) and panics unless every rule loaded.
pub fn rules(yaml: &str) -> RuleSet {
    let (set, reports) =
        RuleSet::from_sources(&[(Path::new("test.yml"), yaml)], &Mappings::builtin());
    for report in &reports {
        assert!(
            matches!(report.status, LoadStatus::Loaded { .. }),
            "{:?}: {:?}",
            report.title,
            report.status
        );
    }
    set
}

/// A detection rule over forewarn's native records with this `detection:` body.
pub fn native_rule(detection: &str) -> RuleSet {
    let mut yaml =
        String::from("title: test\nid: test\nlogsource:\n  product: forewarn\ndetection:\n");
    for line in detection.lines() {
        yaml.push_str("  ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    rules(&yaml)
}

pub fn time() -> Timestamp {
    "2024-05-01T00:00:00Z".parse().unwrap()
}

/// Which of `records` (by index) the rule set matches, in `format`.
pub fn hits(set: &RuleSet, format: Format, records: &[&str]) -> Vec<usize> {
    let mut scratch = Scratch::new();
    let mut matched = Vec::new();
    let mut out = Vec::new();
    for (index, record) in records.iter().enumerate() {
        out.clear();
        set.evaluate(format, record.as_bytes(), time(), &mut scratch, &mut out);
        if !out.is_empty() {
            matched.push(index);
        }
    }
    matched
}

/// Every match of every record, as (record index, rule title).
pub fn matches<'s>(
    set: &'s RuleSet,
    format: Format,
    records: &[&[u8]],
) -> Vec<(usize, RuleMatch<'s>)> {
    let mut scratch = Scratch::new();
    let mut all = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let mut out = Vec::new();
        set.evaluate(format, record, time(), &mut scratch, &mut out);
        all.extend(out.into_iter().map(|m| (index, m)));
    }
    all
}
