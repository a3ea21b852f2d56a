//! `forewarn config` and `--config` end to end.

mod common;
use common::forewarn;

#[test]
fn the_printed_default_checks_as_valid() {
    let dir = tempfile::tempdir().unwrap();
    let printed = forewarn(&["config", "print-default"]);
    assert!(printed.status.success());
    let text = String::from_utf8(printed.stdout).unwrap();
    assert!(text.contains("[detectors.credential_stuffing]"), "{text}");
    let file = dir.path().join("forewarn.toml");
    std::fs::write(&file, &text).unwrap();

    let checked = forewarn(&["config", "check", file.to_str().unwrap()]);
    assert!(checked.status.success(), "{checked:?}");
    let effective = String::from_utf8(checked.stdout).unwrap();
    assert!(effective.contains("min_failures = 20"), "{effective}");
}

#[test]
fn a_misspelt_key_stops_a_scan_before_it_reads_anything() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("forewarn.toml");
    std::fs::write(&file, "[detectors.brute_force]\n\nmin_failure = 5\n").unwrap();
    let out = dir.path().join("out");
    let run = forewarn(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--config",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    let error = String::from_utf8(run.stderr).unwrap();
    assert!(
        error.contains("forewarn.toml:3:1: detectors.brute_force.min_failure: unknown field"),
        "{error}"
    );
    assert!(!out.exists(), "nothing written");
}
