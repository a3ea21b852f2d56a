//! `forewarn simulate`, `eval` and `demo` end to end: the real binary on a temporary folder.

mod common;
use common::{forewarn, text};

#[test]
fn simulates_vendor_formats_that_decode_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let out = out.to_str().unwrap();
    let run = forewarn(&[
        "simulate",
        "--accounts",
        "800",
        "--days",
        "3",
        "--format",
        "okta,native",
        "--set",
        "phosphorus.attacked=5",
        "--out",
        out,
    ]);
    assert!(run.status.success(), "{run:?}");
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("phosphorus") && stdout.contains("truth.json"),
        "{stdout}"
    );
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{out}/truth.json")).unwrap()).unwrap();
    assert_eq!(truth["campaigns"][0]["funnel"]["attacked"], 5);
    assert!(std::path::Path::new(&format!("{out}/truth/okta.json")).exists());

    let decode = forewarn(&["decode", "--stats", "--json", &format!("{out}/okta")]);
    assert!(decode.status.success(), "{decode:?}");
    let stats: serde_json::Value = serde_json::from_slice(&decode.stdout).unwrap();
    assert_eq!(
        stats["inputs"][0]["rejected"]
            .as_object()
            .map_or(0, |r| r.len()),
        0,
        "{stats}"
    );
}

#[test]
fn mistakes_in_arguments_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let run = forewarn(&["simulate", "--set", "phosphorus.atacked=5", "--out", out]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("no parameter `atacked`"), "{stderr}");
    let run = forewarn(&["simulate", "--format", "sshd", "--out", out]);
    assert!(text(&run.stderr).contains("does not write sshd"), "{run:?}");
}

#[test]
fn eval_scores_a_scan_output_against_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let run = forewarn(&[
        "simulate",
        "--accounts",
        "600",
        "--days",
        "2",
        "--scenario",
        "spray",
        "--out",
        sim.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{run:?}");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sim.join("truth.json")).unwrap()).unwrap();
    // A scan that found exactly the spray campaign.
    let scan = dir.path().join("scan");
    std::fs::create_dir(&scan).unwrap();
    let spray = &truth["campaigns"][0];
    let mut lines = String::new();
    for account in spray["accounts"]["attacked"].as_array().unwrap() {
        lines.push_str(&format!(
            "{{\"account\":{account},\"stage\":\"attacked\",\"campaigns\":[\"c1\"]}}\n"
        ));
    }
    std::fs::write(scan.join("accounts.jsonl"), lines).unwrap();
    std::fs::write(
        scan.join("campaigns.json"),
        format!("[{{\"id\":\"c1\",\"accounts\":{}}}]", spray["accounts"]),
    )
    .unwrap();
    let eval = forewarn(&[
        "eval",
        "--truth",
        sim.join("truth.json").to_str().unwrap(),
        "--out",
        scan.to_str().unwrap(),
    ]);
    assert!(eval.status.success(), "{eval:?}");
    let stdout = text(&eval.stdout);
    assert!(
        stdout.contains("attacked") && stdout.contains("purity: 1.000"),
        "{stdout}"
    );
    let json = forewarn(&[
        "eval",
        "--json",
        "--truth",
        sim.join("truth.json").to_str().unwrap(),
        "--out",
        scan.to_str().unwrap(),
    ]);
    let score: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(score["stages"][1]["recall"], 1.0);
    assert_eq!(score["false_positives"], 0);
}

#[test]
fn the_demo_simulates_a_month_and_shows_a_takeover() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = forewarn(&["demo", "--accounts", "2000", "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{run:?}");
    let stdout = text(&run.stdout);
    for expected in [
        "phosphorus",
        "sim_swap",
        "How one Phosphorus takeover",
        "recovery",
        "campaign-1",
        "precision",
        "purity",
    ] {
        assert!(stdout.contains(expected), "{expected} missing:\n{stdout}");
    }
    assert!(out.join("truth.json").exists());
    for file in ["accounts.jsonl", "campaigns.json", "findings.jsonl"] {
        assert!(out.join("scan").join(file).exists(), "{file}");
    }
}
