//! `forewarn scan --rules` end to end: SigmaHQ's rules and a team's own on hand-written Okta
//! and Entra ID records (`tests/data/rules_scan/`), and on every format forewarn reads.
//!
//! The Okta records are two exports that interleave in time (`okta_east`, `okta_west`): an
//! address sprays twelve accounts a minute apart, alternating between the files, and locks
//! one out; an honest person locks herself out; an administrator changes a policy rule and
//! creates an API token (event types forewarn's decoder skips).

mod common;
use common::{forewarn, simulate};

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rules_scan")
        .join(name)
        .display()
        .to_string()
}

/// SigmaHQ's rules in the shared samples, when they are beside the checkout (see
/// `forewarn_testkit`).
fn sigmahq_rules() -> Option<String> {
    forewarn_testkit::sample("sigma/rules").map(|dir| dir.display().to_string())
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn findings(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("findings.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The rule findings (analytic uid is a rule id, not a detector name).
fn rule_findings(out: &Path) -> Vec<Value> {
    findings(out)
        .into_iter()
        .filter(|f| {
            f["finding_info"]["types"][0]
                .as_str()
                .unwrap()
                .starts_with("sigma")
        })
        .collect()
}

fn by_rule<'f>(findings: &'f [Value], id: &str) -> Vec<&'f Value> {
    findings
        .iter()
        .filter(|f| f["finding_info"]["analytic"]["uid"] == id)
        .collect()
}

/// Input file name and line of each piece of evidence.
fn places(finding: &Value) -> Vec<(String, u64)> {
    finding["evidences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let input = e["data"]["input"].as_str().unwrap();
            let name = Path::new(input).file_name().unwrap().to_string_lossy();
            (name.into_owned(), e["data"]["line"].as_u64().unwrap())
        })
        .collect()
}

const LOCKED_OUT: &str = "14701da0-4b0f-4ee6-9c95-2ffb4e73bb9a";
const POLICY_RULE: &str = "0c97c1d3-4057-45c9-b148-1de94b631931";
const API_TOKEN: &str = "19951c21-229d-4ccb-8774-b993c3ff3c5c";
const ENTRA_LOCKOUT: &str = "2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a";
const SERVICE_PRINCIPAL: &str = "0ddcff6d-d262-40b0-804b-80eb592de8e3";
/// tests/data/rules_scan/rules: eight failed Okta sign-ins from one address in ten minutes.
const MANY_FAILURES: &str = "1f3e5d7c-9b8a-4c6d-8e0f-2a4b6c8d0e1f";

fn inputs() -> Vec<String> {
    [
        "okta_east.jsonl",
        "okta_west.jsonl",
        "entra_signins.json",
        "entra_audit.json",
    ]
    .iter()
    .map(|name| data(name))
    .collect()
}

fn scan_with_rules(sigmahq: &str, inputs: &[String], out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["scan".into()];
    args.extend(inputs.iter().cloned());
    args.extend(
        [
            "--out",
            &path(out),
            "--rules",
            sigmahq,
            "--rules",
            &data("rules"),
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = forewarn(&args);
    assert!(run.status.success(), "{run:?}");
    run
}

#[test]
fn sigmahq_rules_become_findings_with_their_evidence() {
    let Some(sigmahq) = sigmahq_rules() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = scan_with_rules(&sigmahq, &inputs(), &out, &[]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("sigma rules: 188 loaded, 10 not applicable, 3 unsupported"),
        "{stdout}"
    );
    assert!(stdout.contains("forewarn rules check"), "{stdout}");
    assert!(stdout.contains("rules that matched most"), "{stdout}");
    assert!(stdout.contains("Okta User Account Locked Out"), "{stdout}");

    let found = rule_findings(&out);
    // The sprayer's lock-out: one finding about its address and the account.
    let lockouts = by_rule(&found, LOCKED_OUT);
    assert_eq!(lockouts.len(), 2, "the sprayer's and the honest one");
    let sprayer = lockouts
        .iter()
        .find(|f| f["observables"][0]["value"] == "203.0.113.66")
        .unwrap();
    let info = &sprayer["finding_info"];
    assert_eq!(info["title"], "Okta User Account Locked Out");
    assert_eq!(info["analytic"]["name"], "Okta User Account Locked Out");
    assert_eq!(info["analytic"]["type"], "Rule");
    assert_eq!(info["attacks"][0]["technique"]["uid"], "T1531");
    assert_eq!(sprayer["class_uid"], 2004);
    assert_eq!(sprayer["severity"], "Medium");
    assert_eq!(sprayer["observables"][1]["value"], "chen.li@example.com");
    assert_eq!(places(sprayer), [("okta_east.jsonl".to_owned(), 8)]);
    assert_eq!(
        sprayer["evidences"][0]["data"]["fields"]["displayMessage"][0],
        "Max sign in attempts exceeded"
    );
    assert_eq!(sprayer["unmapped"]["rule"]["level"], "medium");

    // Entra ID: a sign-in refused for a locked account (Graph API page, line of the record).
    let entra = by_rule(&found, ENTRA_LOCKOUT);
    assert_eq!(entra.len(), 1);
    assert_eq!(places(entra[0]), [("entra_signins.json".to_owned(), 145)]);
    assert_eq!(entra[0]["unmapped"]["account"], "dave.martin@example.com");
}

#[test]
fn rules_match_event_types_the_decoders_skip() {
    let Some(sigmahq) = sigmahq_rules() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    scan_with_rules(&sigmahq, &inputs(), &out, &[]);
    let found = rule_findings(&out);
    for (rule, input, line) in [
        (POLICY_RULE, "okta_east.jsonl", 9),
        (API_TOKEN, "okta_west.jsonl", 12),
        (SERVICE_PRINCIPAL, "entra_audit.json", 4),
    ] {
        let matched = by_rule(&found, rule);
        assert_eq!(matched.len(), 1, "{rule}");
        assert_eq!(places(matched[0]), [(input.to_owned(), line)], "{rule}");
        // The mapping's account and source paths name who acted, and from where.
        let observed: Vec<&str> = matched[0]["observables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert_eq!(
            observed,
            ["198.51.100.200", "it.admin@example.com"],
            "{rule}"
        );
    }
}

#[test]
fn a_correlation_fires_across_two_interleaved_inputs() {
    let Some(sigmahq) = sigmahq_rules() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    scan_with_rules(&sigmahq, &inputs(), &out, &[]);
    let found = rule_findings(&out);
    let fired = by_rule(&found, MANY_FAILURES);
    // Twelve failures a minute apart: the eighth (08:07) makes eight within ten minutes; the
    // group starts over and four more are not enough.
    assert_eq!(fired.len(), 1, "{fired:?}");
    let correlation = &fired[0]["unmapped"]["correlation"];
    assert_eq!(correlation["events"], 8);
    assert_eq!(correlation["value"], 8.0);
    assert_eq!(correlation["timespan_seconds"], 600);
    assert_eq!(correlation["group"]["client.ipAddress"], "203.0.113.66");
    assert_eq!(
        correlation["window"]["last_seen"],
        "2024-05-02T08:07:12.107Z"
    );
    assert_eq!(fired[0]["severity"], "High");
    assert_eq!(fired[0]["finding_info"]["types"][0], "sigma correlation");
    let mut lines = places(fired[0]);
    lines.sort();
    let expect: Vec<(String, u64)> = ["okta_east.jsonl", "okta_west.jsonl"]
        .iter()
        .flat_map(|f| (2..6).map(move |line| ((*f).to_owned(), line)))
        .collect();
    assert_eq!(lines, expect, "four failures from each file");
    // The correlated rule only feeds the correlation (generate: false): no finding of its own.
    assert!(by_rule(&found, "6a9f2b7e-3c1d-4e5f-9a0b-1c2d3e4f5a60").is_empty());
}

#[test]
fn a_rule_finding_joins_a_campaign_and_flags_no_one_by_itself() {
    let Some(sigmahq) = sigmahq_rules() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("with");
    let without = dir.path().join("without");
    scan_with_rules(&sigmahq, &inputs(), &with, &[]);
    let mut args = vec!["scan".to_owned()];
    args.extend(inputs());
    args.extend(["--out".to_owned(), path(&without)]);
    let run = forewarn(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run.status.success(), "{run:?}");

    let campaigns = |out: &Path| -> Value {
        serde_json::from_slice(&std::fs::read(out.join("campaigns.json")).unwrap()).unwrap()
    };
    let (plain, joined) = (campaigns(&without), campaigns(&with));
    assert_eq!(plain.as_array().unwrap().len(), 1, "the spray");
    assert_eq!(
        joined.as_array().unwrap().len(),
        1,
        "rules make no campaign"
    );
    assert_eq!(
        plain[0]["accounts"], joined[0]["accounts"],
        "nor add accounts"
    );
    assert_eq!(plain[0]["techniques"], serde_json::json!(["T1110.003"]));
    assert_eq!(
        joined[0]["techniques"],
        serde_json::json!(["T1110.003", "T1531"]),
        "the lock-out rule's technique"
    );

    let accounts = |out: &Path| -> Vec<Value> {
        std::fs::read_to_string(out.join("accounts.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (plain, joined) = (accounts(&without), accounts(&with));
    let names = |lines: &[Value]| -> Vec<(String, String)> {
        lines
            .iter()
            .map(|l| {
                (
                    l["account"].as_str().unwrap().to_owned(),
                    l["stage"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        names(&plain),
        names(&joined),
        "the same accounts, the same stages"
    );
    for name in [
        "carol.white@example.com",
        "it.admin@example.com",
        "dave.martin@example.com",
    ] {
        assert!(
            !joined.iter().any(|l| l["account"] == name),
            "{name}: rule findings alone never flag an account"
        );
    }
    let detections = &joined[0]["detections"];
    assert!(
        detections
            .as_array()
            .unwrap()
            .contains(&Value::from(format!("sigma:{LOCKED_OUT}"))),
        "{detections}"
    );

    let found = rule_findings(&with);
    let campaign_of = |rule: &str, observable: &str| -> Value {
        by_rule(&found, rule)
            .into_iter()
            .find(|f| f["observables"][0]["value"] == observable)
            .map(|f| f["unmapped"]["campaign"].clone())
            .unwrap()
    };
    assert_eq!(campaign_of(LOCKED_OUT, "203.0.113.66"), "campaign-1");
    assert_eq!(campaign_of(MANY_FAILURES, "203.0.113.66"), "campaign-1");
    assert_eq!(campaign_of(LOCKED_OUT, "198.51.100.30"), Value::Null);
    assert_eq!(campaign_of(POLICY_RULE, "198.51.100.200"), Value::Null);

    // The built-in detectors' findings are those of a scan without rules.
    let verdicts = |out: &Path| -> Vec<Value> {
        findings(out)
            .into_iter()
            .filter(|f| {
                !f["finding_info"]["types"][0]
                    .as_str()
                    .unwrap()
                    .starts_with("sigma")
            })
            .collect()
    };
    assert_eq!(verdicts(&without), verdicts(&with));
}

/// The records of an Okta export before `cut` (its `published` time, RFC 3339 in UTC) and
/// from it on, written beside each other in `dir`.
fn split_okta(name: &str, cut: &str, dir: &Path) -> (String, String) {
    let text = std::fs::read_to_string(data(name)).unwrap();
    let (before, after): (Vec<&str>, Vec<&str>) = text.lines().partition(|line| {
        let record: Value = serde_json::from_str(line).unwrap();
        record["published"].as_str().unwrap() < cut
    });
    let write = |part: &str, lines: &[&str]| {
        let file = dir.join(format!("{part}_{name}"));
        std::fs::write(&file, lines.join("\n") + "\n").unwrap();
        path(&file)
    };
    (write("before", &before), write("after", &after))
}

#[test]
fn a_resumed_scan_finds_what_one_scan_finds() {
    let Some(sigmahq) = sigmahq_rules() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Logs cut in time, inside the correlation's window: its first matches wait in the saved
    // state. (Inputs that overlap in time are merged by one scan; a cut between two runs is
    // a cut in time.) The Entra ID logs come after the cut but for one sign-in a few minutes
    // before it, which the resumed engine still puts in order.
    let cut = "2024-05-02T08:04:00Z";
    let (east_before, east_after) = split_okta("okta_east.jsonl", cut, dir.path());
    let (west_before, west_after) = split_okta("okta_west.jsonl", cut, dir.path());
    let first_part = vec![east_before, west_before];
    let second_part = vec![
        east_after,
        west_after,
        data("entra_signins.json"),
        data("entra_audit.json"),
    ];
    let all: Vec<String> = first_part.iter().chain(&second_part).cloned().collect();
    let one = dir.path().join("one");
    scan_with_rules(&sigmahq, &all, &one, &[]);
    let state = dir.path().join("state.zst");
    let first = dir.path().join("first");
    scan_with_rules(
        &sigmahq,
        &first_part,
        &first,
        &["--save-state", &path(&state)],
    );
    assert!(by_rule(&rule_findings(&first), MANY_FAILURES).is_empty());
    let resumed = dir.path().join("resumed");
    scan_with_rules(
        &sigmahq,
        &second_part,
        &resumed,
        &["--resume", &path(&state)],
    );
    for file in ["findings.jsonl", "campaigns.json", "accounts.jsonl"] {
        let a = std::fs::read_to_string(one.join(file)).unwrap();
        let b = std::fs::read_to_string(resumed.join(file)).unwrap();
        assert!(a == b, "{file} differs:\n{a}\n---\n{b}");
    }
    assert_eq!(by_rule(&rule_findings(&resumed), MANY_FAILURES).len(), 1);
}

#[test]
fn every_format_runs_rules_in_scan() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    simulate(
        &sim,
        &["--accounts", "300", "--days", "2", "--format", "all"],
    );
    // The simulator does not write CloudTrail or sshd: the rule tests' records do.
    let rule_data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/data");
    let mut inputs = vec![path(&sim)];
    for name in ["cloudtrail.jsonl", "sshd.log"] {
        inputs.push(path(&rule_data.join(name)));
    }
    let out = dir.path().join("out");
    let mut args = vec!["scan".to_owned()];
    args.extend(inputs);
    args.extend(
        [
            "--out",
            &path(&out),
            "--rules",
            &data("formats"),
            "--rules",
            &path(&rule_data.join("rules/sshd_invalid_user.yml")),
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    if let Some(sigmahq) = sigmahq_rules() {
        args.extend(["--rules".to_owned(), sigmahq]);
    }
    let run = forewarn(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run.status.success(), "{run:?}");
    let found = rule_findings(&out);
    let inputs_of = |rule: &str| -> Vec<String> {
        let mut names: Vec<String> = by_rule(&found, rule)
            .iter()
            .flat_map(|f| places(f))
            .map(|(input, _)| input)
            .collect();
        names.sort();
        names.dedup();
        names
    };
    for (format, file) in [
        ("native", "events.jsonl"),
        ("auth0", "logs.jsonl"),
        ("ocsf", "events.jsonl"),
        ("ecs", "events.jsonl"),
        ("gws", "activities.jsonl"),
        ("m365", "audit.jsonl"),
        ("entra", "signins.jsonl"),
        ("okta", "events.jsonl"),
    ] {
        assert_eq!(
            inputs_of(&format!("test-failed-password-{format}")),
            [file],
            "{format}"
        );
    }
    let sshd = by_rule(&found, "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a");
    assert!(!sshd.is_empty(), "sshd");
    assert_eq!(places(sshd[0])[0].0, "sshd.log");
    if sigmahq_rules().is_some() {
        // SigmaHQ's AWS rules on CloudTrail: a console login without MFA, logging stopped.
        let aws: Vec<String> = found
            .iter()
            .filter(|f| {
                places(f)
                    .iter()
                    .any(|(input, _)| input == "cloudtrail.jsonl")
            })
            .map(|f| f["finding_info"]["title"].as_str().unwrap().to_owned())
            .collect();
        assert!(aws.len() >= 2, "{aws:?}");
    }
}

#[test]
fn rule_problems_are_named_with_their_file_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("broken.yml"), "title: [unclosed\n").unwrap();
    std::fs::copy(
        data("rules/okta_failed_signins_from_one_address.yml"),
        rules.join("mine.yml"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = forewarn(&[
        "scan",
        &data("okta_east.jsonl"),
        &data("okta_west.jsonl"),
        "--out",
        &path(&out),
        "--rules",
        &path(&rules),
    ]);
    // A rule that does not parse is reported; the scan runs with the others.
    assert!(run.status.success(), "{run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("rule file broken.yml:"), "{stderr}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout
            .contains("sigma rules: 2 loaded, 0 not applicable, 0 unsupported, 1 not valid Sigma"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Many failed Okta sign-ins from one address"),
        "{stdout}"
    );

    let missing = forewarn(&[
        "scan",
        &data("okta_east.jsonl"),
        "--out",
        &path(&out),
        "--rules",
        &path(&dir.path().join("nowhere")),
    ]);
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nowhere"));
}

#[test]
fn scan_help_teaches_rules_with_an_example() {
    let help = forewarn(&["scan", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--rules <PATH>"), "{text}");
    assert!(text.contains("--mappings <DIR>"), "{text}");
    assert!(
        text.contains("forewarn scan okta/ --out results/ --rules"),
        "{text}"
    );
}
