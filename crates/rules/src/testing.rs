//! Test events carried in rule files (`forewarn rules test`).
//!
//! A rule may carry, in the top-level extension field `forewarn_tests`, records it must and
//! must not match, in a format forewarn reads:
//!
//! ```yaml
//! forewarn_tests:
//!   - name: a locked-out user            # optional
//!     format: okta                       # optional when the rule runs on one format only
//!     match:                             # each record alone must make the rule match
//!       - { eventType: user.account.lock, displayMessage: Max sign in attempts exceeded }
//!     no_match:                          # each record alone must not
//!       - { eventType: user.session.start }
//! ```
//!
//! A record is a YAML mapping (written to the rule as JSON) or a string taken verbatim (an
//! sshd line, or JSON as exported). A correlation rule's test lists `events` in order and
//! the number of `alerts` the correlation must raise over them; each event's time is read
//! from the record (the mapping's `time` paths), and the rules it correlates must be loaded
//! too:
//!
//! ```yaml
//! forewarn_tests:
//!   - format: okta
//!     events:
//!       - { eventType: user.session.start, outcome: { result: FAILURE }, published: "2024-05-01T10:00:00Z", actor: { alternateId: a@example.com } }
//!       - ...
//!     alerts: 1
//! ```
//!
//! Sigma tools ignore fields they do not know, so the tests travel with the rule.

use forewarn_formats::Format;
use serde::Serialize;
use yaml_serde::Value;

use crate::{Correlator, RuleId, RuleKind, RuleSet, Scratch};

/// The extension field that carries a rule's tests.
pub const TESTS_KEY: &str = "forewarn_tests";

/// The outcome of one test case.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub rule: RuleId,
    /// The test's `name`, or its position (`#1`).
    pub test: String,
    /// Which case: `match[0]`, `no_match[2]`, `events`.
    pub case: String,
    /// `None` when it passed; otherwise what went wrong.
    pub failure: Option<String>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Runs every test every loaded rule carries.
pub fn run(set: &RuleSet) -> Vec<TestResult> {
    let mut results = Vec::new();
    for rule in 0..set.rules().len() {
        let Some(tests) = set.tests(rule) else {
            continue;
        };
        let Some(tests) = tests.as_sequence() else {
            results.push(TestResult {
                rule,
                test: TESTS_KEY.into(),
                case: String::new(),
                failure: Some(format!("`{TESTS_KEY}` must be a list of tests")),
            });
            continue;
        };
        for (index, test) in tests.iter().enumerate() {
            run_one(set, rule, index, test, &mut results);
        }
    }
    results
}

fn run_one(set: &RuleSet, rule: RuleId, index: usize, test: &Value, results: &mut Vec<TestResult>) {
    let meta = set.rule(rule);
    let name = test
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("#{}", index + 1), str::to_owned);
    let mut result = |case: String, failure: Option<String>| {
        results.push(TestResult {
            rule,
            test: name.clone(),
            case,
            failure,
        })
    };
    if !test.is_mapping() {
        result(String::new(), Some("a test is a mapping".into()));
        return;
    }
    let format = match test.get("format") {
        Some(value) => match value.as_str().map(str::parse::<Format>) {
            Some(Ok(format)) => format,
            _ => {
                result(
                    String::new(),
                    Some(format!("`format` must be one of forewarn's: {value:?}")),
                );
                return;
            }
        },
        None => match meta.formats.as_slice() {
            [only] => *only,
            [] => {
                result(
                    String::new(),
                    Some("the rule is not loaded, so it cannot be tested".into()),
                );
                return;
            }
            several => {
                let names: Vec<&str> = several.iter().map(|f| f.name()).collect();
                result(
                    String::new(),
                    Some(format!(
                        "the rule runs on {}: say which with `format`",
                        names.join(", ")
                    )),
                );
                return;
            }
        },
    };
    if !meta.formats.contains(&format) {
        result(
            String::new(),
            Some(format!("the rule does not run on {format}")),
        );
        return;
    }
    let mut scratch = Scratch::new();
    match meta.kind {
        RuleKind::Detection => {
            for (key, want) in [("match", true), ("no_match", false)] {
                let records = test.get(key).and_then(Value::as_sequence);
                for (i, record) in records.into_iter().flatten().enumerate() {
                    let case = format!("{key}[{i}]");
                    let failure = match record_bytes(record) {
                        Err(error) => Some(error),
                        Ok(bytes) => {
                            let time = set
                                .record_time(format, &bytes, &mut scratch)
                                .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                            let mut matches = Vec::new();
                            set.evaluate(format, &bytes, time, &mut scratch, &mut matches);
                            let got = matches.iter().any(|m| m.rule_id == rule);
                            match (want, got) {
                                (true, false) => Some("expected a match, got none".into()),
                                (false, true) => Some("matched, but should not".into()),
                                _ => None,
                            }
                        }
                    };
                    result(case, failure);
                }
            }
        }
        RuleKind::Correlation => {
            let expected = test.get("alerts").and_then(Value::as_u64);
            let events = test.get("events").and_then(Value::as_sequence);
            let (Some(expected), Some(events)) = (expected, events) else {
                result(
                    "events".into(),
                    Some("a correlation test needs `events` and `alerts`".into()),
                );
                return;
            };
            let mut correlator = Correlator::new();
            let mut alerts = 0u64;
            let mut failure = None;
            for (i, event) in events.iter().enumerate() {
                let bytes = match record_bytes(event) {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        failure = Some(format!("events[{i}]: {error}"));
                        break;
                    }
                };
                let Some(time) = set.record_time(format, &bytes, &mut scratch) else {
                    failure = Some(format!(
                        "events[{i}] has no time where the {format} mapping looks for it"
                    ));
                    break;
                };
                let mut matches = Vec::new();
                set.evaluate(format, &bytes, time, &mut scratch, &mut matches);
                for matched in &matches {
                    alerts += correlator
                        .observe(set, matched)
                        .iter()
                        .filter(|c| c.rule_id == rule)
                        .count() as u64;
                }
            }
            if failure.is_none() && alerts != expected {
                failure = Some(format!("expected {expected} alert(s), got {alerts}"));
            }
            result("events".into(), failure);
        }
    }
}

fn record_bytes(record: &Value) -> Result<Vec<u8>, String> {
    match record {
        Value::String(text) => Ok(text.clone().into_bytes()),
        Value::Mapping(_) => {
            serde_json::to_vec(record).map_err(|e| format!("record is not JSON-able: {e}"))
        }
        other => Err(format!("a record is a mapping or a string, not {other:?}")),
    }
}
