//! Every Sigma modifier and value rule against hand-counted expectations.
//!
//! The records are forewarn-native JSON lines (the rule logsource `product: forewarn`), whose
//! fields rules name as written; each expectation lists, by index, the records a rule must
//! match and was counted by reading the records below.

mod common;

use common::{hits, native_rule};
use forewarn_formats::Format;

const RECORDS: &[&str] = &[
    // 0
    r#"{"user":"Alice@Example.com","ip":"203.0.113.7","ua":"Mozilla/5.0 AzureHound/2.0","count":5,"ok":true,"tags":["vpn","tor"],"cmd":"powershell -enc SQBFAFgA","note":null,"empty":""}"#,
    // 1
    r#"{"user":"bob@example.org","ip":"198.51.100.20","ua":"curl/8.0","count":"12","ok":false,"tags":[],"cmd":"powershell /enc abc","nested":{"deep":{"v":"X1"}},"blob":"aGVsbG8gd29ybGQ="}"#,
    // 2
    r#"{"user":"carol","ip":"2001:db8::1","ua":"python-requests/2.31","count":0.5,"ok":"true","tags":["corp"],"cmd":"cmd.exe /c whoami","note":"n","lit":"a*b","b64":"eHlwaW5nIDguOC44Ljg="}"#,
    // 3
    r#"{"user":"dave@example.com","mail":"DAVE@example.com","ip":"not-an-ip","ua":"","count":100,"items":[{"k":"a","v":"1"},{"k":"b","v":"2"}]}"#,
];

fn check(detection: &str, expected: &[usize]) {
    let set = native_rule(detection);
    assert_eq!(
        hits(&set, Format::Native, RECORDS),
        expected,
        "detection:\n{detection}"
    );
}

#[test]
fn plain_values_compare_ignoring_case() {
    check("sel:\n  user: alice@example.com\ncondition: sel", &[0]);
    check("sel:\n  user: ALICE@EXAMPLE.COM\ncondition: sel", &[0]);
    check("sel:\n  user: alice\ncondition: sel", &[]);
}

#[test]
fn cased_compares_exactly() {
    check("sel:\n  user|cased: alice@example.com\ncondition: sel", &[]);
    check(
        "sel:\n  user|cased: Alice@Example.com\ncondition: sel",
        &[0],
    );
    check("sel:\n  ua|contains|cased: hound\ncondition: sel", &[]);
    check("sel:\n  ua|contains|cased: Hound\ncondition: sel", &[0]);
}

#[test]
fn contains_startswith_endswith() {
    check("sel:\n  ua|contains: hound\ncondition: sel", &[0]);
    check("sel:\n  ua|startswith: CURL\ncondition: sel", &[1]);
    check(
        "sel:\n  user|endswith: '@example.com'\ncondition: sel",
        &[0, 3],
    );
    check("sel:\n  cmd|contains: ' /'\ncondition: sel", &[1, 2]);
}

#[test]
fn value_lists_are_or_and_all_makes_them_and() {
    check(
        "sel:\n  user:\n    - carol\n    - dave@example.com\ncondition: sel",
        &[2, 3],
    );
    check(
        "sel:\n  ua|contains:\n    - hound\n    - curl\ncondition: sel",
        &[0, 1],
    );
    check(
        "sel:\n  ua|contains|all:\n    - mozilla\n    - hound\ncondition: sel",
        &[0],
    );
    check(
        "sel:\n  ua|contains|all:\n    - mozilla\n    - curl\ncondition: sel",
        &[],
    );
}

#[test]
fn wildcards_star_and_question_mark() {
    check("sel:\n  user: '*@example.*'\ncondition: sel", &[0, 1, 3]);
    check("sel:\n  user: 'car?l'\ncondition: sel", &[2]);
    check("sel:\n  user: 'ca?l'\ncondition: sel", &[]);
    check("sel:\n  user: '*'\ncondition: sel", &[0, 1, 2, 3]);
    // An escaped wildcard is a literal character.
    check("sel:\n  lit: 'a\\*b'\ncondition: sel", &[2]);
    check("sel:\n  lit: 'a\\*c'\ncondition: sel", &[]);
    check("sel:\n  lit: 'a?b'\ncondition: sel", &[2]);
}

#[test]
fn regular_expressions_search_case_sensitively_unless_i() {
    check("sel:\n  user|re: '^[a-z]+$'\ncondition: sel", &[2]);
    check("sel:\n  user|re: '^ALICE'\ncondition: sel", &[]);
    check("sel:\n  user|re|i: '^ALICE'\ncondition: sel", &[0]);
    // Unanchored: a match anywhere counts; record 0's "Example" has a capital E.
    check(
        "sel:\n  user|re: 'example\\.(com|org)'\ncondition: sel",
        &[1, 3],
    );
}

#[test]
fn cidr_matches_ipv4_and_ipv6_networks() {
    check("sel:\n  ip|cidr: 203.0.113.0/24\ncondition: sel", &[0]);
    check("sel:\n  ip|cidr: '2001:db8::/32'\ncondition: sel", &[2]);
    check(
        "sel:\n  ip|cidr:\n    - 198.51.100.0/24\n    - 203.0.113.0/24\ncondition: sel",
        &[0, 1],
    );
    check("sel:\n  ip|cidr: 0.0.0.0/0\ncondition: sel", &[0, 1]);
}

#[test]
fn base64_base64offset_and_wide() {
    check("sel:\n  blob|base64: 'hello world'\ncondition: sel", &[1]);
    check("sel:\n  blob|base64: 'Hello world'\ncondition: sel", &[]);
    // "SQBFAFgA" is "IEX" in UTF-16LE, base64-encoded.
    check(
        "sel:\n  cmd|wide|base64|contains: IEX\ncondition: sel",
        &[0],
    );
    check("sel:\n  cmd|base64|contains: IEX\ncondition: sel", &[]);
    // "eHlwaW5nIDguOC44Ljg=" is "xyping 8.8.8.8": "ping" at offset 2.
    check(
        "sel:\n  b64|base64offset|contains: ping\ncondition: sel",
        &[2],
    );
    check(
        "sel:\n  b64|base64offset|contains: pong\ncondition: sel",
        &[],
    );
}

#[test]
fn windash_accepts_every_flag_dash() {
    check(
        "sel:\n  cmd|windash|contains: ' -enc '\ncondition: sel",
        &[0, 1],
    );
    check("sel:\n  cmd|contains: ' -enc '\ncondition: sel", &[0]);
}

#[test]
fn exists_null_and_empty() {
    // `note` is null in 0, "n" in 2, absent in 1 and 3.
    check("sel:\n  note|exists: true\ncondition: sel", &[0, 2]);
    check("sel:\n  note|exists: false\ncondition: sel", &[1, 3]);
    check("sel:\n  note: null\ncondition: sel", &[0, 1, 3]);
    check("sel:\n  empty: ''\ncondition: sel", &[0]);
    check("sel:\n  ua: ''\ncondition: sel", &[3]);
}

#[test]
fn numbers_and_comparisons() {
    // count: 5, "12", 0.5, 100.
    check("sel:\n  count: 5\ncondition: sel", &[0]);
    check("sel:\n  count: 12\ncondition: sel", &[1]);
    check("sel:\n  count: '12'\ncondition: sel", &[1]);
    check("sel:\n  count|gt: 10\ncondition: sel", &[1, 3]);
    check("sel:\n  count|gte: 100\ncondition: sel", &[3]);
    check("sel:\n  count|lte: 5\ncondition: sel", &[0, 2]);
    check("sel:\n  count|lt: 1\ncondition: sel", &[2]);
}

#[test]
fn booleans_match_json_and_text() {
    check("sel:\n  ok: true\ncondition: sel", &[0, 2]);
    check("sel:\n  ok: 'false'\ncondition: sel", &[1]);
}

#[test]
fn arrays_match_on_any_element_and_nested_paths_resolve() {
    check("sel:\n  tags: tor\ncondition: sel", &[0]);
    check("sel:\n  tags: '[]'\ncondition: sel", &[1]);
    check("sel:\n  nested.deep.v: x1\ncondition: sel", &[1]);
    check("sel:\n  items.v: '2'\ncondition: sel", &[3]);
    check("sel:\n  items.k|contains: b\ncondition: sel", &[3]);
}

#[test]
fn keyword_searches_look_at_the_whole_record() {
    check("keywords:\n  - whoami\ncondition: keywords", &[2]);
    check(
        "keywords:\n  - WHOAMI\n  - 'curl/'\ncondition: keywords",
        &[1, 2],
    );
    check(
        "keywords:\n  '|all':\n    - powershell\n    - abc\ncondition: keywords",
        &[1],
    );
}

#[test]
fn fieldref_and_neq() {
    check("sel:\n  user|fieldref: mail\ncondition: sel", &[3]);
    check("sel:\n  user|neq: carol\ncondition: sel", &[0, 1, 3]);
}

#[test]
fn conditions_combine_detections() {
    let detections = "sel_mail:\n  user|contains: '@'\nsel_org:\n  user|endswith: '.org'\nfilter:\n  ip|cidr: 198.51.100.0/24\n";
    check(
        &format!("{detections}condition: sel_mail and not filter"),
        &[0, 3],
    );
    check(&format!("{detections}condition: all of sel_*"), &[1]);
    check(&format!("{detections}condition: 1 of sel_*"), &[0, 1, 3]);
    check(&format!("{detections}condition: 2 of them"), &[1]);
    check(
        &format!("{detections}condition: sel_org or (filter and not sel_mail)"),
        &[1],
    );
    // Several conditions: any of them.
    check(
        &format!("{detections}condition:\n  - sel_org\n  - sel_mail and not filter\n"),
        &[0, 1, 3],
    );
    // A list of maps in one detection is OR.
    check(
        "sel:\n  - user: carol\n  - count: 100\ncondition: sel",
        &[2, 3],
    );
}

#[test]
fn rules_indexed_by_a_required_value_match_as_unindexed_ones() {
    // Three rules require `user` values (so the set is indexed on `user`); one does not.
    let rule = |id: &str, detection: &str| {
        format!("title: {id}\nid: {id}\nlogsource:\n  product: forewarn\ndetection:\n{detection}  condition: sel\n")
    };
    let yaml = [
        rule("carol", "  sel:\n    user: CAROL\n"),
        rule(
            "alice_or_bob",
            "  sel:\n    user:\n      - alice@example.com\n      - bob@example.org\n",
        ),
        rule(
            "bob_curl",
            "  sel:\n    user: bob@example.org\n    ua|startswith: curl\n",
        ),
        rule("curl", "  sel:\n    ua|contains: curl\n"),
    ]
    .join("---\n");
    let set = common::rules(&yaml);
    let records: Vec<&[u8]> = RECORDS.iter().map(|r| r.as_bytes()).collect();
    let fired: Vec<(usize, &str)> = common::matches(&set, Format::Native, &records)
        .iter()
        .map(|(i, m)| (*i, m.rule.id.as_str()))
        .collect();
    assert_eq!(
        fired,
        [
            (0, "alice_or_bob"),
            (1, "alice_or_bob"),
            (1, "bob_curl"),
            (1, "curl"),
            (2, "carol")
        ]
    );
}
