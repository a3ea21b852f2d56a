//! Sigma filters: exclusions applied to the rules they name, without editing those rules.

mod common;

use std::path::Path;

use common::hits;
use forewarn_formats::Format;
use forewarn_rules::{DocumentKind, LoadStatus, Mappings, RuleSet};

const RULE: &str = "title: failed password\nid: fail\nlogsource:\n  product: forewarn\ndetection:\n  sel:\n    event: auth.password\n    outcome: failure\n  condition: sel\n";

const RECORDS: &[&str] = &[
    r#"{"event":"auth.password","outcome":"failure","user":"jo@example.com","ip":"198.51.100.7"}"#,
    r#"{"event":"auth.password","outcome":"failure","user":"scanner@example.com","ip":"192.0.2.10"}"#,
    r#"{"event":"auth.password","outcome":"success","user":"jo@example.com","ip":"198.51.100.7"}"#,
];

fn load(filter: &str) -> (RuleSet, Vec<forewarn_rules::LoadReport>) {
    RuleSet::from_sources(
        &[
            (Path::new("rule.yml"), RULE),
            (Path::new("filter.yml"), filter),
        ],
        &Mappings::builtin(),
    )
}

#[test]
fn a_filter_excludes_what_it_selects_from_the_rules_it_names() {
    let (set, reports) = load(
        "title: our vulnerability scanner\nlogsource:\n  product: forewarn\nfilter:\n  rules:\n    - fail\n  scanner:\n    ip|cidr: 192.0.2.0/24\n  condition: not scanner\n",
    );
    assert_eq!(hits(&set, Format::Native, RECORDS), [0]);
    let filter = reports
        .iter()
        .find(|r| r.kind == DocumentKind::Filter)
        .unwrap();
    assert!(
        matches!(&filter.status, LoadStatus::Loaded { notes, .. } if notes == &["applies to 1 rule(s)"]),
        "{filter:?}"
    );
}

#[test]
fn a_filter_for_another_logsource_or_rule_does_not_apply() {
    let (set, _) = load(
        "title: okta only\nlogsource:\n  product: okta\nfilter:\n  rules: any\n  scanner:\n    ip|cidr: 192.0.2.0/24\n  condition: not scanner\n",
    );
    assert_eq!(hits(&set, Format::Native, RECORDS), [0, 1]);

    let (set, reports) = load(
        "title: names a rule nobody has\nfilter:\n  rules:\n    - no-such-rule\n  scanner:\n    ip|cidr: 192.0.2.0/24\n  condition: not scanner\n",
    );
    assert_eq!(hits(&set, Format::Native, RECORDS), [0, 1]);
    let filter = reports
        .iter()
        .find(|r| r.kind == DocumentKind::Filter)
        .unwrap();
    assert!(
        matches!(&filter.status, LoadStatus::Unsupported { reason } if reason.contains("no-such-rule")),
        "{filter:?}"
    );
}

#[test]
fn the_rule_set_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    fn movable<T: Send>() {}
    shareable::<RuleSet>();
    movable::<forewarn_rules::Scratch>();
    movable::<forewarn_rules::Correlator>();
}
