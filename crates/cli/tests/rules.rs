//! `forewarn rules check` and `forewarn rules test` end to end: the real binary on rule files.

mod common;
use common::forewarn;

use std::path::{Path, PathBuf};

fn example_rules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/data/rules")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temp dir is writable");
    path.display().to_string()
}

const NOT_APPLICABLE: &str = "title: Windows logon\nlogsource:\n  product: windows\n  service: security\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel\n";

#[test]
fn check_reports_each_rule_and_fails_only_on_parse_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "windows.yml", NOT_APPLICABLE);
    let out = forewarn(&[
        "rules",
        "check",
        &dir.path().display().to_string(),
        &example_rules().display().to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("not applicable  windows.yml: Windows logon"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no forewarn format reads logsource product=windows service=security"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "loaded          okta_password_spray_then_success.yml: Okta Sign-in Failure [okta]"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains("6 rule(s): 5 loaded, 1 not applicable, 0 unsupported, 0 parse error(s)"),
        "{stderr}"
    );

    write(
        dir.path(),
        "broken.yml",
        "title: broken\ndetection:\n  sel: [\n",
    );
    let out = forewarn(&[
        "rules",
        "check",
        "--quiet",
        &dir.path().display().to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("parse error     broken.yml"), "{stdout}");
    assert!(
        !stdout.contains("loaded "),
        "--quiet hides loaded rules: {stdout}"
    );

    let out = forewarn(&[
        "rules",
        "check",
        "--json",
        &dir.path().display().to_string(),
    ]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().any(|l| l["status"] == "parse_error"));
    assert!(lines
        .iter()
        .any(|l| l["status"] == "not_applicable" && l["title"] == "Windows logon"));

    let out = forewarn(&["rules", "check", "/nonexistent/rules"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn test_runs_the_events_rules_carry() {
    let out = forewarn(&["rules", "test", &example_rules().display().to_string()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("pass  okta_password_spray_then_success.yml: Okta Sign-in Failures Followed By A Success — three failures then a success events"), "{stdout}");
    assert!(
        stderr.contains("8 test case(s): 8 passed, 0 failed"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let wrong = "title: Okta lockout\nlogsource:\n  product: okta\ndetection:\n  sel:\n    eventType: user.account.lock\n  condition: sel\nforewarn_tests:\n  - match:\n      - { eventType: user.session.start }\n";
    write(dir.path(), "wrong.yml", wrong);
    let out = forewarn(&["rules", "test", &dir.path().display().to_string()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  wrong.yml: Okta lockout — #1 match[0]: expected a match, got none"),
        "{stdout}"
    );
}

#[test]
fn every_rules_subcommand_teaches_with_an_example() {
    for sub in [
        &["rules", "--help"][..],
        &["rules", "check", "--help"],
        &["rules", "test", "--help"],
    ] {
        let out = forewarn(sub);
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Example"), "{sub:?}: {help}");
    }
}
