//! Conformance on Panther's identity-rule test events (`../shared/samples/panther`), records
//! written by others for other tools: every event of a log type forewarn reads that carries a
//! timestamp must be detected as that format and decode (or be skipped as a type forewarn does
//! not use) — never rejected; and where the rule's name makes the meaning plain, the kind and
//! outcome listed in `tests/samples/expect_<format>.tsv` must agree.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use forewarn_formats::Format;
use serde_json::Value;

/// Panther log types forewarn reads, the format each is, and where its timestamp lives.
const LOG_TYPES: &[(&str, Format, &[&[&str]])] = &[
    ("Okta.SystemLog", Format::Okta, &[&["published"]]),
    ("GSuite.ActivityEvent", Format::Gws, &[&["id", "time"]]),
    ("AWS.CloudTrail", Format::CloudTrail, &[&["eventTime"]]),
    (
        "Auth0.Events",
        Format::Auth0,
        &[&["data", "date"], &["date"]],
    ),
    (
        "Azure.Audit",
        Format::Entra,
        &[
            &["time"],
            &["properties", "createdDateTime"],
            &["properties", "activityDateTime"],
        ],
    ),
    (
        "Microsoft365.Audit.Exchange",
        Format::M365,
        // Panther writes these with every key lower-cased.
        &[&["CreationTime"], &["creationtime"]],
    ),
    (
        "Microsoft365.Audit.AzureActiveDirectory",
        Format::M365,
        &[&["CreationTime"]],
    ),
];

struct Sample {
    rule: String,
    expected: bool,
    test_name: String,
    format: Format,
    has_timestamp: bool,
    event: Vec<u8>,
}

fn samples() -> Option<Vec<Sample>> {
    let path = common::samples_dir()?.join("panther/panther-identity-tests.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for line in text.lines() {
        let value: Value = serde_json::from_str(line).expect("the sample file is JSON lines");
        let Some((_, format, time_paths)) =
            LOG_TYPES.iter().find(|(t, ..)| value["log_type"] == *t)
        else {
            continue;
        };
        let event = &value["event"];
        let has_timestamp = time_paths.iter().any(|path| {
            let found = path.iter().try_fold(event, |v, key| v.get(key));
            matches!(found, Some(Value::String(s)) if !s.is_empty())
        });
        out.push(Sample {
            rule: value["source_rule"].as_str().unwrap_or_default().to_owned(),
            expected: value["expected"].as_bool().unwrap_or_default(),
            test_name: value["test_name"].as_str().unwrap_or_default().to_owned(),
            format: *format,
            has_timestamp,
            event: serde_json::to_vec(event).expect("serializes"),
        });
    }
    Some(out)
}

#[test]
fn every_timestamped_event_of_a_supported_type_decodes_as_its_format() {
    let Some(samples) = samples() else { return };
    let mut failures = Vec::new();
    let mut checked = BTreeMap::<Format, usize>::new();
    for sample in samples.iter().filter(|s| s.has_timestamp) {
        let (_, summary) = common::decode_bytes(&sample.rule, &sample.event);
        let input = &summary.inputs[0];
        *checked.entry(sample.format).or_default() += 1;
        if input.rejected() > 0 {
            failures.push(format!(
                "{} / {}: rejected: {:?}",
                sample.rule, sample.test_name, input.examples
            ));
        } else if !input.formats.contains_key(&sample.format) {
            failures.push(format!(
                "{} / {}: detected as {:?}, expected {}",
                sample.rule,
                sample.test_name,
                input.formats.keys().collect::<Vec<_>>(),
                sample.format
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("checked per format: {checked:?}");
}

#[test]
fn rules_whose_names_are_plain_decode_to_their_kind_and_outcome() {
    let Some(samples) = samples() else { return };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/samples");
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/samples exists") {
        let path = entry.expect("listable").path();
        if path.extension().is_none_or(|e| e != "tsv") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [rule, expected, kind, outcome] = fields[..] else {
                panic!(
                    "{}:{}: expected 4 tab-separated fields",
                    path.display(),
                    n + 1
                );
            };
            let expected: bool = expected.parse().expect("true or false");
            let matching: Vec<&Sample> = samples
                .iter()
                .filter(|s| s.rule == rule && s.expected == expected && s.has_timestamp)
                .collect();
            if matching.is_empty() {
                failures.push(format!(
                    "{}:{}: no timestamped sample of {rule} / {expected}",
                    path.display(),
                    n + 1
                ));
            }
            for sample in matching {
                checked += 1;
                let (events, _) = common::decode_bytes(rule, &sample.event);
                let found = events
                    .iter()
                    .any(|e| e.kind.as_str() == kind && e.outcome.as_str() == outcome);
                if !found {
                    let got: Vec<String> = events
                        .iter()
                        .map(|e| format!("{} {}", e.kind, e.outcome))
                        .collect();
                    failures.push(format!(
                        "{rule} / {}: expected {kind} {outcome}, got {got:?}",
                        sample.test_name
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} sample events checked against their rule's meaning");
}
