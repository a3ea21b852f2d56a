//! `forewarn scan` merges inputs that cover the same time by event time: the engine sees what
//! it would see in one file sorted by time, and evidence still names each file and line.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{forewarn, simulate, text};
use serde_json::Value;

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

/// Scans `inputs` into `out`; the run's stderr.
fn scan(inputs: &[&str], out: &Path) -> String {
    let mut args = vec!["scan"];
    args.extend(inputs);
    let out = path(out);
    args.extend(["--out", &out]);
    let run = forewarn(&args);
    assert!(run.status.success(), "{run:?}");
    text(&run.stderr)
}

fn read(out: &Path, file: &str) -> String {
    std::fs::read_to_string(out.join(file)).unwrap()
}

/// The findings, with each evidence's input and line passed through `place`.
fn findings(out: &Path, place: &dyn Fn(&str, u64) -> (String, u64)) -> Vec<Value> {
    read(out, "findings.jsonl")
        .lines()
        .map(|line| {
            let mut finding: Value = serde_json::from_str(line).unwrap();
            for evidence in finding["evidences"].as_array_mut().unwrap() {
                let data = &mut evidence["data"];
                let (input, line) = place(
                    data["input"].as_str().unwrap(),
                    data["line"].as_u64().unwrap(),
                );
                data["input"] = input.into();
                data["line"] = line.into();
            }
            finding
        })
        .collect()
}

#[test]
fn inputs_that_overlap_in_time_give_what_one_file_sorted_by_time_gives() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    simulate(
        &sim,
        &["--accounts", "300", "--seed", "7", "--format", "native"],
    );
    let simulated = std::fs::read_to_string(sim.join("native/events.jsonl")).unwrap();
    let time = |line: &str| -> String {
        let record: Value = serde_json::from_str(line).unwrap();
        record["time"].as_str().unwrap().to_owned()
    };
    let mut lines: Vec<(String, &str)> = simulated.lines().map(|l| (time(l), l)).collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));

    // Two logs of the whole month, as two servers would write them: each in time order,
    // taking turns in runs of a few events (events of the same time stay in one file, so
    // that the order of the two is fixed whichever input comes first).
    let sorted = dir.path().join("sorted.jsonl");
    let (east, west) = (dir.path().join("east.jsonl"), dir.path().join("west.jsonl"));
    let (sorted_name, east_name, west_name) = (path(&sorted), path(&east), path(&west));
    let mut files: [Vec<&str>; 2] = [Vec::new(), Vec::new()];
    // Where each line of the sorted file is in the two logs.
    let mut places: Vec<(String, u64)> = Vec::new();
    let mut group = 0u64;
    for (i, (time, line)) in lines.iter().enumerate() {
        if i > 0 && lines[i - 1].0 != *time {
            group += 1;
        }
        let side = (group.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 61) as usize & 1;
        files[side].push(line);
        let name = if side == 0 { &east_name } else { &west_name };
        places.push((name.clone(), files[side].len() as u64));
    }
    assert!(
        files.iter().all(|f| f.len() > 1000),
        "both logs cover the month"
    );
    let all: Vec<&str> = lines.iter().map(|(_, l)| *l).collect();
    std::fs::write(&sorted, all.join("\n") + "\n").unwrap();
    std::fs::write(&east, files[0].join("\n") + "\n").unwrap();
    std::fs::write(&west, files[1].join("\n") + "\n").unwrap();

    let one = dir.path().join("one");
    let stderr = scan(&[&sorted_name], &one);
    assert!(!stderr.contains("lateness"), "{stderr}");
    let campaigns = read(&one, "campaigns.json");
    assert!(campaigns.contains("campaign-3"), "{campaigns}");
    let expected = findings(&one, &|input, line| {
        assert_eq!(input, sorted_name);
        places[line as usize - 1].clone()
    });
    assert!(expected.len() > 10, "{}", expected.len());
    let lines_of: HashMap<&str, &[&str]> = [
        (east_name.as_str(), &files[0][..]),
        (west_name.as_str(), &files[1][..]),
    ]
    .into();

    for (k, inputs) in [[&east_name, &west_name], [&west_name, &east_name]]
        .iter()
        .enumerate()
    {
        let out = dir.path().join(format!("two-{k}"));
        let stderr = scan(&[inputs[0], inputs[1]], &out);
        assert!(!stderr.contains("lateness"), "{inputs:?}: {stderr}");
        for file in ["accounts.jsonl", "campaigns.json"] {
            assert!(
                read(&one, file) == read(&out, file),
                "{inputs:?}: {file} differs"
            );
        }
        let found = findings(&out, &|input, line| {
            // Evidence cites a line of the log that holds it.
            assert!(lines_of[input].len() as u64 >= line, "{input}:{line}");
            (input.to_owned(), line)
        });
        assert_eq!(found.len(), expected.len(), "{inputs:?}");
        for (a, b) in expected.iter().zip(&found) {
            assert_eq!(a, b, "{inputs:?}");
        }
    }
}

#[test]
fn entra_ids_sign_in_and_audit_logs_are_read_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    simulate(&sim, &["--accounts", "300", "--format", "entra"]);
    let out = dir.path().join("results");
    let run = forewarn(&["scan", &path(&sim.join("entra")), "--out", &path(&out)]);
    assert!(run.status.success(), "{run:?}");
    let stdout = text(&run.stdout);
    assert!(stdout.contains("from 2 inputs"), "{stdout}");
    let stderr = text(&run.stderr);
    assert!(!stderr.contains("lateness"), "no event came late: {stderr}");

    // Evidence names both files, and each line it cites holds what the finding is about.
    let mut cited: HashMap<String, usize> = HashMap::new();
    let mut files: HashMap<String, Vec<String>> = HashMap::new();
    for finding in findings(&out, &|input, line| (input.to_owned(), line)) {
        let about: Vec<&str> = finding["observables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        for evidence in finding["evidences"].as_array().unwrap() {
            let input = evidence["data"]["input"].as_str().unwrap();
            let line = evidence["data"]["line"].as_u64().unwrap() as usize;
            let lines = files.entry(input.to_owned()).or_insert_with(|| {
                std::fs::read_to_string(input)
                    .unwrap()
                    .lines()
                    .map(str::to_owned)
                    .collect()
            });
            let record = &lines[line - 1];
            assert!(
                about.iter().any(|value| record.contains(value)),
                "{input}:{line} holds none of {about:?}"
            );
            let name = Path::new(input).file_name().unwrap().to_str().unwrap();
            *cited.entry(name.to_owned()).or_default() += 1;
        }
    }
    assert!(
        cited.get("signins.jsonl").is_some_and(|&n| n > 0)
            && cited.get("audit.jsonl").is_some_and(|&n| n > 0),
        "{cited:?}"
    );
}
