//! Inputs read at once, merged by event time (`Reader::read_merged`): items reach the sink in
//! time order across inputs and in file order within each, every input keeps its accounting
//! and its id, and an input that cannot be read leaves the others whole.

mod common;
use common::Shared;

use std::path::{Path, PathBuf};

use forewarn_formats::input::{Input, InputError};
use forewarn_formats::{Batcher, ReadError, ReadOptions, Reader, Run, Timed};
use forewarn_model::AuthEvent;

/// What the merge delivered of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    time_ms: i64,
    input: u32,
    line: u64,
    account: String,
}

#[derive(Default)]
struct Events(Vec<Seen>);

impl Timed for Events {
    fn items(&self) -> usize {
        self.0.len()
    }

    fn time_ms(&self, item: usize) -> i64 {
        self.0[item].time_ms
    }
}

#[derive(Default)]
struct Keep(Events);

impl Batcher for Keep {
    type Batch = Events;

    fn add(&mut self, event: &AuthEvent<'_>) {
        self.0 .0.push(Seen {
            time_ms: event.time.as_millisecond(),
            input: event.raw.input,
            line: event.raw.line,
            account: event.account.to_string(),
        });
    }

    fn take(&mut self) -> Events {
        std::mem::take(&mut self.0)
    }
}

/// A native record at `second` seconds past 2019-08-14T00:00:00Z.
fn line(second: u64, account: &str) -> String {
    format!(
        r#"{{"time":"2019-08-14T{:02}:{:02}:{:02}Z","event":"auth.password","outcome":"failure","account":"{account}","reason":"bad_password","ip":"203.0.113.9"}}"#,
        second / 3600,
        second / 60 % 60,
        second % 60
    )
}

fn write(dir: &Path, name: &str, lines: &[String]) -> Input {
    let path = dir.join(name);
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    Input::Path(path)
}

/// A log of `account` at the given seconds.
fn log(dir: &Path, name: &str, account: &str, seconds: impl IntoIterator<Item = u64>) -> Input {
    let lines: Vec<String> = seconds.into_iter().map(|s| line(s, account)).collect();
    write(dir, name, &lines)
}

struct Merged {
    seen: Vec<Seen>,
    /// Each run: its input and how many items.
    runs: Vec<(usize, usize)>,
    failed: Vec<(usize, String)>,
    reader: Reader,
    result: Result<(), ReadError>,
}

fn merge_with(mut reader: Reader, inputs: &[Input], threads: usize) -> Merged {
    let mut seen = Vec::new();
    let mut runs = Vec::new();
    let mut failed = Vec::new();
    let result = reader.read_merged(
        inputs,
        threads,
        &Keep::default,
        &mut |run: Run<'_, Events>| {
            assert!(run.ends_batch || run.items.end < run.batch.items());
            runs.push((run.input, run.items.len()));
            seen.extend_from_slice(&run.batch.0[run.items]);
            Ok(())
        },
        &mut |input, error: InputError| failed.push((input, error.to_string())),
    );
    Merged {
        seen,
        runs,
        failed,
        reader,
        result,
    }
}

fn merge(inputs: &[Input], threads: usize) -> Merged {
    merge_with(Reader::new(ReadOptions::default()), inputs, threads)
}

/// In time order, equal times in input order.
fn in_order(seen: &[Seen]) -> bool {
    seen.windows(2)
        .all(|w| (w[0].time_ms, w[0].input) <= (w[1].time_ms, w[1].input))
}

fn names(reader: &Reader) -> Vec<String> {
    reader
        .summary()
        .inputs
        .iter()
        .map(|i| i.name.clone())
        .collect()
}

fn input_name(input: &Input) -> String {
    input.name()
}

#[test]
fn interleaved_inputs_come_out_in_time_order_with_their_own_ids_and_accounting() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = [
        log(dir.path(), "c.jsonl", "carol", (0..300).map(|i| i * 7 + 3)),
        log(dir.path(), "a.jsonl", "ana", (0..500).map(|i| i * 4)),
        log(dir.path(), "b.jsonl", "ben", (0..200).map(|i| 1000 + i * 2)),
    ];
    for threads in [1, 2, 3] {
        let merged = merge(&inputs, threads);
        merged.result.unwrap();
        assert!(merged.failed.is_empty());
        assert_eq!(merged.seen.len(), 1000, "{threads} threads");
        assert!(in_order(&merged.seen), "{threads} threads");
        // Each event carries its input's place in the list, and its own line.
        for (id, account, count) in [(0, "carol", 300), (1, "ana", 500), (2, "ben", 200)] {
            let lines: Vec<u64> = merged
                .seen
                .iter()
                .filter(|s| s.input == id)
                .inspect(|s| assert_eq!(s.account, account))
                .map(|s| s.line)
                .collect();
            assert_eq!(lines, (1..=count).collect::<Vec<u64>>(), "{account}");
        }
        // Runs take turns between the inputs, not a batch at a time.
        assert!(merged.runs.len() > 100, "{}", merged.runs.len());
        let summary = merged.reader.summary();
        assert_eq!(
            names(&merged.reader),
            inputs.iter().map(input_name).collect::<Vec<_>>()
        );
        let events: Vec<u64> = summary.inputs.iter().map(|i| i.events()).collect();
        assert_eq!(events, [300, 500, 200]);
        assert_eq!(summary.rejected(), 0);
    }
}

#[test]
fn large_inputs_read_in_blocks_are_merged_as_small_ones() {
    // Several megabytes each: many blocks in flight on the shared workers.
    let dir = tempfile::tempdir().unwrap();
    let inputs = [
        log(
            dir.path(),
            "a.jsonl",
            "a-long-account-name-for-bigger-lines",
            (0..40_000).map(|i| i * 2),
        ),
        log(
            dir.path(),
            "b.jsonl",
            "b-long-account-name-for-bigger-lines",
            (0..40_000).map(|i| i * 2 + 1),
        ),
        log(
            dir.path(),
            "c.jsonl",
            "c-long-account-name-for-bigger-lines",
            (0..20_000).map(|i| i * 4),
        ),
    ];
    assert!(std::fs::metadata(dir.path().join("a.jsonl")).unwrap().len() > 4 << 20);
    let one = merge(&inputs, 1);
    one.result.unwrap();
    assert_eq!(one.seen.len(), 100_000);
    assert!(in_order(&one.seen));
    for threads in [2, 3] {
        let merged = merge(&inputs, threads);
        merged.result.unwrap();
        assert!(merged.seen == one.seen, "{threads} threads");
    }
}

#[test]
fn inputs_that_follow_one_another_come_in_time_order_whatever_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let days = [
        log(dir.path(), "3.jsonl", "c", (0..100).map(|i| 80_000 + i)),
        log(dir.path(), "1.jsonl", "a", 0..100),
        log(dir.path(), "2.jsonl", "b", (0..100).map(|i| 40_000 + i)),
    ];
    let merged = merge(&days, 2);
    merged.result.unwrap();
    assert!(in_order(&merged.seen));
    let accounts: Vec<&str> = merged.seen.iter().map(|s| s.account.as_str()).collect();
    assert_eq!(accounts[0], "a");
    assert_eq!(accounts[299], "c");
    // One batch each: nothing to interleave.
    assert_eq!(merged.runs, [(1, 100), (2, 100), (0, 100)]);
    assert_eq!(
        names(&merged.reader),
        days.iter().map(input_name).collect::<Vec<_>>()
    );
}

#[test]
fn empty_inputs_and_inputs_without_events_are_listed_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = [
        write(dir.path(), "empty.jsonl", &[]),
        log(dir.path(), "a.jsonl", "ana", (0..50).map(|i| i * 3)),
        write(dir.path(), "blank.jsonl", &[String::new(), String::new()]),
        log(dir.path(), "b.jsonl", "ben", (0..50).map(|i| i * 3 + 1)),
    ];
    let merged = merge(&inputs, 2);
    merged.result.unwrap();
    assert_eq!(merged.seen.len(), 100);
    assert!(in_order(&merged.seen));
    assert!(merged.seen.iter().all(|s| s.input == 1 || s.input == 3));
    let summary = merged.reader.summary();
    assert_eq!(summary.inputs.len(), 4);
    assert_eq!(summary.inputs[0].records, 0);
    assert_eq!(summary.inputs[2].blank, 2);
    assert_eq!(summary.inputs[3].events(), 50);
}

#[test]
fn an_input_that_cannot_be_opened_is_reported_and_the_others_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let missing = Input::Path(dir.path().join("missing.jsonl"));
    let inputs = [
        log(dir.path(), "a.jsonl", "ana", (0..100).map(|i| i * 2)),
        missing.clone(),
        log(dir.path(), "b.jsonl", "ben", (0..100).map(|i| i * 2 + 1)),
    ];
    let merged = merge(&inputs, 2);
    merged.result.unwrap();
    assert_eq!(merged.failed.len(), 1);
    assert_eq!(merged.failed[0].0, 1);
    assert!(
        merged.failed[0].1.contains("missing.jsonl"),
        "{:?}",
        merged.failed
    );
    assert_eq!(merged.seen.len(), 200);
    assert!(in_order(&merged.seen));
    // The missing input keeps its place: the third input's events still carry id 2.
    assert!(merged
        .seen
        .iter()
        .any(|s| s.input == 2 && s.account == "ben"));
    assert_eq!(names(&merged.reader)[1], missing.name());
    assert_eq!(merged.reader.summary().inputs[1].records, 0);
}

/// Every `bad`-th line of a log of `account` is not a record.
fn troubled(dir: &Path, name: &str, account: &str, offset: u64, bad: u64) -> Input {
    let lines: Vec<String> = (0..3000)
        .map(|i| match i % bad {
            0 => format!("not a record {i}"),
            _ => line(i * 2 + offset, account),
        })
        .collect();
    write(dir, name, &lines)
}

#[test]
fn rejected_lines_are_counted_and_quarantined_per_input() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = [
        troubled(dir.path(), "a.jsonl", "ana", 0, 100),
        troubled(dir.path(), "b.jsonl", "ben", 1, 250),
    ];
    for threads in [1, 2] {
        let quarantine = Shared::default();
        let reader =
            Reader::new(ReadOptions::default()).with_quarantine(Box::new(quarantine.clone()));
        let merged = merge_with(reader, &inputs, threads);
        merged.result.unwrap();
        assert!(in_order(&merged.seen));
        assert_eq!(merged.seen.len(), 3000 - 30 + 3000 - 12);
        let summary = merged.reader.into_summary().unwrap();
        let rejected: Vec<u64> = summary.inputs.iter().map(|i| i.rejected()).collect();
        assert_eq!(rejected, [30, 12]);
        assert_eq!(summary.inputs[0].examples[0].line, 1);
        assert_eq!(summary.inputs[1].examples[1].line, 251);
        // Whole lines, each naming its input, in each input's order.
        let quarantined = String::from_utf8(quarantine.0.lock().unwrap().clone()).unwrap();
        let mut lines_of: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
        for line in quarantined.lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            let input = record["input"].as_str().unwrap();
            let k = inputs.iter().position(|i| i.name() == input).unwrap();
            lines_of[k].push(record["line"].as_u64().unwrap());
        }
        assert_eq!(
            lines_of[0],
            (0..30).map(|i| i * 100 + 1).collect::<Vec<_>>()
        );
        assert_eq!(
            lines_of[1],
            (0..12).map(|i| i * 250 + 1).collect::<Vec<_>>()
        );
    }
}

#[test]
fn max_rejected_counts_every_input_together() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = [
        troubled(dir.path(), "a.jsonl", "ana", 0, 1000),
        troubled(dir.path(), "b.jsonl", "ben", 1, 1000),
    ];
    let options = |limit| ReadOptions {
        max_rejected: Some(limit),
        ..ReadOptions::default()
    };
    // Three rejected in each: five allowed is too few for both, six enough.
    let merged = merge_with(Reader::new(options(5)), &inputs, 2);
    assert!(
        matches!(
            merged.result,
            Err(ReadError::TooManyRejected { limit: 5, .. })
        ),
        "{:?}",
        merged.result
    );
    let merged = merge_with(Reader::new(options(6)), &inputs, 2);
    merged.result.unwrap();
    assert_eq!(merged.reader.summary().rejected(), 6);
}

#[test]
fn a_document_is_merged_with_line_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<String> = (0..100).map(|i| line(i * 2 + 1, "doc")).collect();
    let path: PathBuf = dir.path().join("doc.json");
    std::fs::write(&path, format!("[\n{}\n]\n", records.join(",\n"))).unwrap();
    let inputs = [
        log(dir.path(), "a.jsonl", "ana", (0..100).map(|i| i * 2)),
        Input::Path(path),
    ];
    let merged = merge(&inputs, 2);
    merged.result.unwrap();
    assert_eq!(merged.seen.len(), 200);
    assert!(in_order(&merged.seen));
    let doc: Vec<u64> = merged
        .seen
        .iter()
        .filter(|s| s.input == 1)
        .map(|s| s.line)
        .collect();
    assert_eq!(doc, (2..102).collect::<Vec<u64>>());
}

#[test]
fn a_reader_that_read_before_numbers_merged_inputs_after_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let first = log(dir.path(), "first.jsonl", "zoe", 0..10);
    let inputs = [
        log(dir.path(), "a.jsonl", "ana", (0..10).map(|i| i * 2)),
        log(dir.path(), "b.jsonl", "ben", (0..10).map(|i| i * 2 + 1)),
    ];
    let mut reader = Reader::new(ReadOptions::default());
    reader.read(&first, &mut |_| Ok(())).unwrap();
    let merged = merge_with(reader, &inputs, 2);
    merged.result.unwrap();
    assert!(merged.seen.iter().all(|s| s.input == 1 || s.input == 2));
    assert_eq!(merged.seen[0].input, 1);
    assert_eq!(merged.reader.summary().inputs.len(), 3);
    assert_eq!(merged.reader.input_name(2), Some(inputs[1].name().as_str()));
}

#[test]
fn a_failing_sink_stops_every_input() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = [
        log(dir.path(), "a.jsonl", "ana", (0..20_000).map(|i| i * 2)),
        log(dir.path(), "b.jsonl", "ben", (0..20_000).map(|i| i * 2 + 1)),
    ];
    let mut reader = Reader::new(ReadOptions::default());
    let mut runs = 0;
    let result = reader.read_merged(
        &inputs,
        2,
        &Keep::default,
        &mut |_: Run<'_, Events>| {
            runs += 1;
            if runs == 100 {
                return Err(std::io::Error::other("disk full"));
            }
            Ok(())
        },
        &mut |_, _| {},
    );
    assert!(matches!(result, Err(ReadError::Sink(_))), "{result:?}");
    assert_eq!(runs, 100);
}

#[test]
fn inputs_beyond_the_open_limit_wait_for_one_to_end_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Three logs of the same hour, two open at most.
    let inputs = [
        log(dir.path(), "a.jsonl", "ana", (0..40).map(|i| i * 60)),
        log(dir.path(), "b.jsonl", "ben", (0..20).map(|i| 30 + i * 60)),
        log(dir.path(), "c.jsonl", "cy", (0..40).map(|i| 45 + i * 60)),
    ];
    let reader = Reader::new(ReadOptions {
        max_open_inputs: 2,
        ..ReadOptions::default()
    });
    let merged = merge_with(reader, &inputs, 2);
    merged.result.unwrap();
    let of = |account: &str| -> Vec<i64> {
        merged
            .seen
            .iter()
            .filter(|s| s.account == account)
            .map(|s| s.time_ms)
            .collect()
    };
    assert_eq!(
        (of("ana").len(), of("ben").len(), of("cy").len()),
        (40, 20, 40)
    );
    // The third opens once the shorter log ends: its first event after ben's last.
    let position = |account: &str, first: bool| {
        let mut at = merged
            .seen
            .iter()
            .enumerate()
            .filter(|(_, s)| s.account == account);
        if first { at.next() } else { at.next_back() }.unwrap().0
    };
    assert!(
        position("cy", true) > position("ben", false),
        "{:?}",
        merged.runs
    );
    // Each log is still whole and in its own order, with its accounting.
    for account in ["ana", "ben", "cy"] {
        let times = of(account);
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "{account}: {times:?}"
        );
    }
    let summary = merged.reader.summary();
    assert_eq!(summary.inputs.len(), 3);
    assert_eq!(summary.inputs[2].records, 40);
}
