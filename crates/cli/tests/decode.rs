//! `forewarn decode` end to end: the real binary on real files in a temporary directory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const GOOD: &str = r#"{"time":"2019-08-14T03:12:55Z","event":"recovery.code_sent","outcome":"success","account":"Jane.Doe@example.com","ip":"203.0.113.7","channel":"email","channel_target":"j***@gmail.com"}"#;

fn forewarn(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_forewarn"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    pipe.write_all(stdin.unwrap_or_default())
        .expect("stdin accepts input");
    drop(pipe);
    child.wait_with_output().expect("the binary finishes")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temp dir is writable");
    path.display().to_string()
}

#[test]
fn prints_native_lines_with_the_raw_reference() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "a.jsonl",
        &format!("{GOOD}\nnot json\n{GOOD}\n"),
    );
    let out = forewarn(&["decode", &file], None);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["account"], "jane.doe@example.com");
    assert_eq!(
        events[1]["raw"],
        serde_json::json!({"input": file, "line": 3})
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("line 2: invalid JSON"), "{stderr}");
}

#[test]
fn reads_stdin_and_its_own_output() {
    let first = forewarn(&["decode", "-"], Some(format!("{GOOD}\n").as_bytes()));
    assert!(first.status.success());
    let again = forewarn(&["decode", "-"], Some(&first.stdout));
    assert!(again.status.success(), "{again:?}");
    let strip = |o: &[u8]| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_slice(o).unwrap();
        v.as_object_mut().unwrap().remove("raw");
        v
    };
    assert_eq!(strip(&first.stdout), strip(&again.stdout));
}

#[test]
fn stats_as_json_account_for_every_record() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.jsonl", &format!("{GOOD}\n{{\"x\":1}}\n\n"));
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    write(dir.path(), "nested/b.json", &format!("[{GOOD},\n{GOOD}]"));
    let out = forewarn(
        &[
            "decode",
            "--stats",
            "--json",
            &dir.path().display().to_string(),
        ],
        None,
    );
    assert!(out.status.success(), "{out:?}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inputs = summary["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0]["records"], 3);
    assert_eq!(inputs[0]["blank"], 1);
    assert_eq!(inputs[0]["formats"]["native"]["decoded"], 1);
    assert_eq!(
        inputs[0]["rejected"]["missing field `time`"], 1,
        "{summary}"
    );
    assert_eq!(inputs[1]["formats"]["native"]["events"], 2);
}

#[test]
fn a_missing_input_fails_the_run_but_the_others_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "a.jsonl", &format!("{GOOD}\n"));
    let out = forewarn(&["decode", "/no/such/input.jsonl", &file], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("cannot open /no/such/input.jsonl"),
        "{stderr}"
    );
}

#[test]
fn max_rejected_and_quarantine() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "a.jsonl", "bad 1\nbad 2\nbad 3\n");
    let quarantine = dir.path().join("q.jsonl");
    let q = quarantine.display().to_string();
    let out = forewarn(
        &["decode", "--quarantine", &q, "--max-rejected", "1", &file],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("over the limit of 1"), "{stderr}");
    let kept = std::fs::read_to_string(&quarantine).unwrap();
    assert_eq!(kept.lines().count(), 2, "{kept}");
    assert!(kept.contains(r#""record":"bad 1""#), "{kept}");
}

#[test]
fn an_unknown_format_name_lists_the_known_ones() {
    let out = forewarn(&["decode", "--format", "splunk", "-"], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("unknown format `splunk`") && stderr.contains("okta"),
        "{stderr}"
    );
}

#[test]
fn attacker_controlled_text_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "a.log",
        "\u{1b}]0;pwned\u{7}\u{1b}[2J not a log\n",
    );
    let out = forewarn(&["decode", "--stats", &file], None);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(stdout.contains("\\u{1b}"), "{stdout:?}");
}

#[test]
fn every_subcommand_teaches_with_an_example() {
    for sub in ["decode", "formats", "demo", "simulate", "eval", "scan"] {
        let out = forewarn(&[sub, "--help"], None);
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Example"), "{sub}: {help}");
    }
}

/// `forewarn ... | head` ends quietly when `head` has read enough: no panic from printing into
/// a closed pipe (Rust ignores SIGPIPE; `println!` panics on EPIPE).
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    for args in [&["formats"][..], &["config", "print-default"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_forewarn"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        // Closed before the command has printed anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("the binary finishes");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn asn_db_fills_the_network_the_log_left_out_and_keeps_what_it_gave() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(
        dir.path(),
        "asn.csv",
        "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n",
    );
    let input = write(
        dir.path(),
        "events.jsonl",
        concat!(
            r#"{"time":"2019-08-14T08:00:00Z","event":"account.lookup","outcome":"success","account":"ana@example.com","ip":"1.0.0.7"}"#,
            "\n",
            r#"{"time":"2019-08-14T08:00:01Z","event":"account.lookup","outcome":"success","account":"bo@example.com","ip":"1.0.0.8","asn":64500}"#,
            "\n",
        ),
    );
    let run = forewarn(&["decode", &input, "--asn-db", &table], None);
    assert!(run.status.success(), "{run:?}");
    let events: Vec<serde_json::Value> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("stdout holds only events"))
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["asn"], 13335, "filled: {:?}", events[0]);
    assert_eq!(
        events[1]["asn"], 64500,
        "the log's own kept: {:?}",
        events[1]
    );
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.contains("asn database asn.csv (ip-location-db CSV): 1 ranges"),
        "{stderr}"
    );
}
