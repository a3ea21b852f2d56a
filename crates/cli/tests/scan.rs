//! `forewarn scan` end to end on hand-written native records.

use std::process::Command;

fn line(time: &str, event: &str, outcome: &str, account: &str, exists: bool, ip: &str) -> String {
    let reason = if exists {
        ""
    } else {
        r#","reason":"unknown_account""#
    };
    format!(
        r#"{{"time":"{time}","event":"{event}","outcome":"{outcome}","account":"{account}","account_exists":{exists},"ip":"{ip}","user_agent":"probe/1.0"{reason}}}"#
    )
}

/// Someone signs in normally; one address guesses six addresses that do not exist and finds
/// two that do.
fn enumeration_lines() -> Vec<String> {
    let mut lines = Vec::new();
    // Someone signs in normally.
    lines.push(line(
        "2019-08-14T08:00:00Z",
        "account.lookup",
        "success",
        "ana@example.com",
        true,
        "198.51.100.7",
    ));
    lines.push(line(
        "2019-08-14T08:00:05Z",
        "session.start",
        "success",
        "ana@example.com",
        true,
        "198.51.100.7",
    ));
    // One address guesses six addresses that do not exist and finds two that do.
    for (i, guess) in ["jdoe", "j.doe", "janed", "doe.jane", "jane_d", "jdoe1"]
        .iter()
        .enumerate()
    {
        lines.push(line(
            &format!("2019-08-15T10:0{i}:00Z"),
            "account.lookup",
            "failure",
            &format!("{guess}@example.com"),
            false,
            "203.0.113.9",
        ));
    }
    lines.push(line(
        "2019-08-15T10:07:00Z",
        "account.lookup",
        "success",
        "jane.doe@example.com",
        true,
        "203.0.113.9",
    ));
    lines.push(line(
        "2019-08-15T10:08:00Z",
        "recovery.start",
        "success",
        "jane.doe@example.com",
        true,
        "203.0.113.9",
    ));
    lines.push(line(
        "2019-08-15T10:09:00Z",
        "account.lookup",
        "success",
        "ana@example.com",
        true,
        "203.0.113.9",
    ));
    lines
}

#[test]
fn an_enumerating_source_becomes_a_campaign_with_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let lines = enumeration_lines();
    let input = dir.path().join("events.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("results");

    let run = Command::new(env!("CARGO_BIN_EXE_forewarn"))
        .args([
            "scan",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("campaign-1") && stdout.contains("T1589.002"),
        "{stdout}"
    );

    let campaigns: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("campaigns.json")).unwrap()).unwrap();
    assert_eq!(campaigns.as_array().unwrap().len(), 1);
    let campaign = &campaigns[0];
    assert_eq!(campaign["funnel"]["identified"], 2);
    assert_eq!(campaign["funnel"]["attacked"], 0);
    assert_eq!(
        campaign["sources"]["ips"],
        serde_json::json!(["203.0.113.9"])
    );
    assert_eq!(campaign["nonexistent_probed"].as_array().unwrap().len(), 6);

    let accounts = std::fs::read_to_string(out.join("accounts.jsonl")).unwrap();
    let accounts: Vec<serde_json::Value> = accounts
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = accounts
        .iter()
        .map(|a| a["account"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ana@example.com", "jane.doe@example.com"]);
    assert!(accounts
        .iter()
        .all(|a| a["stage"] == "identified" && a["campaigns"][0] == "campaign-1"));

    let findings = std::fs::read_to_string(out.join("findings.jsonl")).unwrap();
    let finding: serde_json::Value =
        serde_json::from_str(findings.lines().next().unwrap()).unwrap();
    assert_eq!(finding["class_uid"], 2004);
    assert_eq!(finding["type_uid"], 200401);
    assert_eq!(finding["finding_info"]["analytic"]["name"], "enumeration");
    assert_eq!(finding["observables"][0]["value"], "203.0.113.9");
    // Evidence points at the lines of the input.
    assert_eq!(finding["evidences"][0]["data"]["line"], 3);
    assert!(finding["evidences"][0]["data"]["input"]
        .as_str()
        .unwrap()
        .ends_with("events.jsonl"));
}

#[test]
fn a_missing_input_fails_the_run_but_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    std::fs::write(
        &good,
        line(
            "2019-08-14T08:00:00Z",
            "session.start",
            "success",
            "ana@example.com",
            true,
            "198.51.100.7",
        ) + "\n",
    )
    .unwrap();
    let out = dir.path().join("results");
    let run = Command::new(env!("CARGO_BIN_EXE_forewarn"))
        .args([
            "scan",
            good.to_str().unwrap(),
            dir.path().join("missing.jsonl").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("missing.jsonl"));
    assert!(out.join("campaigns.json").exists());
}

#[test]
fn an_input_that_goes_back_in_time_is_said_to_be_read_out_of_order() {
    // Two servers' logs of the same day, each in time order, pasted one after the other into
    // one file: the second half is hours behind the first.
    let dir = tempfile::tempdir().unwrap();
    let server = |ip: &str| -> Vec<String> {
        (0..12)
            .map(|hour| {
                line(
                    &format!("2019-08-14T{hour:02}:00:00Z"),
                    "session.start",
                    "success",
                    "ana@example.com",
                    true,
                    ip,
                )
            })
            .collect()
    };
    let (a, b) = (server("198.51.100.7"), server("198.51.100.8"));
    let write = |name: &str, lines: &[String]| {
        let path = dir.path().join(name);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        path.to_str().unwrap().to_owned()
    };
    let pasted = write("pasted.jsonl", &[a.clone(), b.clone()].concat());
    let out = dir.path().join("results");
    let out = out.to_str().unwrap();
    let run = scan(&[&pasted, "--out", out]);
    assert!(run.status.success(), "{run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    // The second server's first ten hours are more than an hour behind the first's last event.
    assert!(
        stderr.contains("10 events came more than [engine] lateness_seconds"),
        "{stderr}"
    );
    // As two files they are merged by time, and in time order nothing is said.
    let (a, b) = (write("a.jsonl", &a), write("b.jsonl", &b));
    for inputs in [[&a, &b], [&b, &a]] {
        let run = scan(&[inputs[0], inputs[1], "--out", out]);
        assert!(run.status.success(), "{run:?}");
        assert!(
            !String::from_utf8_lossy(&run.stderr).contains("lateness"),
            "{run:?}"
        );
    }
}

fn scan(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_forewarn"))
        .arg("scan")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_scan_resumed_from_saved_state_follows_a_campaign_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let lines = enumeration_lines();
    // Monday's log holds the first guesses; Tuesday's the rest.
    let monday = dir.path().join("monday.jsonl");
    let tuesday = dir.path().join("tuesday.jsonl");
    std::fs::write(&monday, lines[..5].join("\n") + "\n").unwrap();
    std::fs::write(&tuesday, lines[5..].join("\n") + "\n").unwrap();
    let state = dir.path().join("state.zst");
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();

    let first = scan(&[
        &path(&monday),
        "--out",
        &path(&dir.path().join("r1")),
        "--save-state",
        &path(&state),
    ]);
    assert!(first.status.success(), "{first:?}");
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("no campaign found"),
        "three guesses are not yet a campaign: {first:?}"
    );
    assert!(state.exists());

    let out = dir.path().join("r2");
    let second = scan(&[
        &path(&tuesday),
        "--out",
        &path(&out),
        "--resume",
        &path(&state),
    ]);
    assert!(second.status.success(), "{second:?}");
    let campaigns: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("campaigns.json")).unwrap()).unwrap();
    assert_eq!(campaigns.as_array().unwrap().len(), 1, "{campaigns}");
    assert_eq!(campaigns[0]["funnel"]["identified"], 2);
    assert_eq!(
        campaigns[0]["nonexistent_probed"].as_array().unwrap().len(),
        6
    );
    // Evidence still points at Monday's file and line.
    let findings = std::fs::read_to_string(out.join("findings.jsonl")).unwrap();
    let finding: serde_json::Value =
        serde_json::from_str(findings.lines().next().unwrap()).unwrap();
    let evidence = &finding["evidences"][0]["data"];
    assert!(
        evidence["input"]
            .as_str()
            .unwrap()
            .ends_with("monday.jsonl"),
        "{evidence}"
    );
    assert_eq!(evidence["line"], 3);

    let missing = scan(&[
        &path(&tuesday),
        "--out",
        &path(&dir.path().join("r3")),
        "--resume",
        &path(&dir.path().join("nothing.zst")),
    ]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("nothing.zst"),
        "{missing:?}"
    );
}

/// Mistakes that would waste a long scan are refused before reading: a window that holds no
/// time, an output folder that cannot be made. Each names what is wrong, once.
#[test]
fn mistakes_are_refused_before_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    std::fs::write(&input, enumeration_lines().join("\n") + "\n").unwrap();
    let input = input.to_str().unwrap();
    let out = dir.path().join("results");
    let out = out.to_str().unwrap();

    let run = scan(&[
        input,
        "--out",
        out,
        "--since",
        "2019-09-10",
        "--until",
        "2019-09-01",
    ]);
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("--since") && stderr.contains("not before"),
        "{stderr}"
    );
    assert!(!std::path::Path::new(out).exists(), "nothing written");

    // A file where the folder should be.
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, "").unwrap();
    let target = blocked.join("results");
    let run = scan(&[input, "--out", target.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("cannot create the output folder"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("Not a directory").count(), 1, "{stderr}");
    assert!(
        !stderr.contains("read "),
        "stopped before reading: {stderr}"
    );
}
