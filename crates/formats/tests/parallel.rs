//! A parallel read gives exactly what a serial one gives: the same events in the same order
//! with the same positions, the same accounting, the same quarantine file.

mod common;
use common::Shared;

use std::io::Write;

use forewarn_formats::input::Input;
use forewarn_formats::{Batcher, RawRecord, ReadOptions, Reader};
use forewarn_model::AuthEvent;

/// Keeps every event whole, with its position.
#[derive(Default)]
struct Keep(Vec<(AuthEvent<'static>, forewarn_model::RawRef)>);

impl Batcher for Keep {
    type Batch = Vec<(AuthEvent<'static>, forewarn_model::RawRef)>;

    fn add(&mut self, event: &AuthEvent<'_>) {
        self.0.push((event.clone().into_owned(), event.raw));
    }

    fn take(&mut self) -> Self::Batch {
        std::mem::take(&mut self.0)
    }
}

/// What a read produced: events with positions, the summary as JSON, the quarantine file.
type Read = (Vec<String>, String, Vec<u8>, u64);

fn read(path: &std::path::Path, options: &ReadOptions, threads: Option<usize>) -> Read {
    let quarantine = Shared::default();
    let mut reader = Reader::new(options.clone()).with_quarantine(Box::new(quarantine.clone()));
    let input = Input::Path(path.to_owned());
    let mut events = Vec::new();
    let mut batches = 0u64;
    let result = match threads {
        None => reader.read(&input, &mut |event| {
            events.push(format!("{:?} {}", event.raw, serde_json::to_string(event)?));
            Ok(())
        }),
        Some(threads) => reader.read_parallel(&input, threads, &Keep::default, &mut |batch| {
            batches += 1;
            for (event, raw) in batch {
                events.push(format!("{raw:?} {}", serde_json::to_string(&event)?));
            }
            Ok(())
        }),
    };
    result.unwrap();
    let summary = serde_json::to_string_pretty(&reader.into_summary().unwrap()).unwrap();
    let quarantined = quarantine.0.lock().unwrap().clone();
    (events, summary, quarantined, batches)
}

fn line(i: usize) -> String {
    format!(
        r#"{{"time":"2019-08-14T03:{:02}:{:02}Z","event":"auth.password","outcome":"failure","account":"user{i}@example.com","reason":"bad_password","ip":"203.0.113.{}","user_agent":"Mozilla/5.0 (X11; Linux x86_64) test agent {i}"}}"#,
        (i / 60) % 60,
        i % 60,
        i % 250
    )
}

/// Several megabytes of lines (many blocks) with every kind of trouble scattered through.
fn troubled_input() -> Vec<u8> {
    let mut bytes = Vec::new();
    for i in 0..30_000 {
        match i % 997 {
            1 => bytes.extend_from_slice(b"not json at all\n"),
            2 => bytes.extend_from_slice(b"\n"),
            3 => bytes.extend_from_slice(format!("{}\r\n", line(i)).as_bytes()),
            4 => bytes.extend_from_slice(b"{\"time\":\"2019-08-14T03:00:00Z\",\"event\":\"auth.password\",\"outcome\":\"failure\",\"account\":\"\xff\"}\n"),
            5 => {
                // A line over the record limit set below.
                bytes.extend_from_slice(&vec![b'x'; 9_000]);
                bytes.push(b'\n');
            }
            _ => bytes.extend_from_slice(format!("{}\n", line(i)).as_bytes()),
        }
    }
    // No newline at the very end.
    bytes.extend_from_slice(line(99_999).as_bytes());
    bytes
}

fn options() -> ReadOptions {
    ReadOptions {
        max_record_bytes: 8_192,
        ..ReadOptions::default()
    }
}

#[test]
fn parallel_reads_equal_the_serial_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    std::fs::write(&path, troubled_input()).unwrap();
    let serial = read(&path, &options(), None);
    assert!(serial.0.len() > 29_000, "{}", serial.0.len());
    assert!(!serial.2.is_empty(), "the quarantine holds the bad lines");
    for threads in [1, 2, 3] {
        let parallel = read(&path, &options(), Some(threads));
        assert_eq!(parallel.0.len(), serial.0.len(), "{threads} threads");
        assert!(
            parallel.0 == serial.0,
            "events differ with {threads} threads"
        );
        assert_eq!(parallel.1, serial.1, "summary with {threads} threads");
        assert!(parallel.2 == serial.2, "quarantine with {threads} threads");
        assert!(parallel.3 > 1, "several batches, not one");
    }
}

#[test]
fn a_line_longer_than_a_block_is_rejected_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jsonl");
    let mut bytes = format!("{}\n", line(1)).into_bytes();
    bytes.extend(vec![b'y'; 3 << 20]);
    bytes.push(b'\n');
    bytes.extend(format!("{}\n{}", line(2), line(3)).into_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let options = ReadOptions {
        max_record_bytes: 64 * 1024,
        ..ReadOptions::default()
    };
    let serial = read(&path, &options, None);
    let parallel = read(&path, &options, Some(2));
    assert_eq!(serial.0.len(), 3);
    assert!(parallel.0 == serial.0);
    assert_eq!(parallel.1, serial.1);
    assert!(parallel.1.contains("\"line\": 2"), "{}", parallel.1);
}

#[test]
fn compressed_and_document_inputs_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("events.jsonl.gz");
    let mut encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), Default::default());
    encoder.write_all(&troubled_input()).unwrap();
    encoder.finish().unwrap();
    let serial = read(&gz, &options(), None);
    let parallel = read(&gz, &options(), Some(2));
    assert!(parallel.0 == serial.0);
    assert_eq!(parallel.1, serial.1);

    let array = dir.path().join("events.json");
    let records: Vec<String> = (0..500).map(line).collect();
    std::fs::write(&array, format!("[\n{}\n]\n", records.join(",\n"))).unwrap();
    let serial = read(&array, &options(), None);
    let parallel = read(&array, &options(), Some(2));
    assert_eq!(serial.0.len(), 500);
    assert!(parallel.0 == serial.0);
    assert_eq!(parallel.1, serial.1);
}

#[test]
fn a_missing_input_is_an_error_named_in_the_summary() {
    let mut reader = Reader::new(ReadOptions::default());
    let input = Input::Path("/nonexistent/forewarn/events.jsonl".into());
    let error = reader
        .read_parallel(&input, 2, &Keep::default, &mut |_| Ok(()))
        .unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/forewarn"),
        "{error}"
    );
    assert_eq!(reader.summary().inputs.len(), 1);
}

#[test]
fn a_deeply_nested_record_costs_only_its_line_on_a_worker() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.jsonl");
    // Under the size that is checked for nesting, as deep as such a record can be.
    let deep = format!(
        r#"{{"eventType":"user.session.start","published":"2019-08-14T03:12:55Z","debugContext":{}1{}}}"#,
        "[".repeat(1_900),
        "]".repeat(1_900)
    );
    assert!(deep.len() <= 4096);
    let mut bytes = Vec::new();
    for i in 0..20_000 {
        let record = if i % 5_000 == 7 {
            deep.clone()
        } else {
            line(i)
        };
        bytes.extend_from_slice(format!("{record}\n").as_bytes());
    }
    std::fs::write(&path, bytes).unwrap();
    let serial = read(&path, &options(), None);
    let parallel = read(&path, &options(), Some(2));
    assert_eq!(serial.0.len(), 20_000 - 4);
    assert!(parallel.0 == serial.0);
    assert_eq!(parallel.1, serial.1);
}

/// Keeps what the record hook shows: place, format, whether the record had an event (and
/// whether that event is the one the events carry), and its bytes.
#[derive(Default)]
struct KeepRecords {
    events: Vec<forewarn_model::RawRef>,
    records: Vec<String>,
}

impl Batcher for KeepRecords {
    type Batch = (Vec<forewarn_model::RawRef>, Vec<String>);

    fn add(&mut self, event: &AuthEvent<'_>) {
        self.events.push(event.raw);
    }

    fn record(&mut self, record: &RawRecord<'_>) {
        // Its event carries its place.
        let event = record.event.map(|e| {
            assert_eq!(e.raw, record.raw);
            e.account.to_string()
        });
        self.records.push(format!(
            "{:?} {} {:?} {}",
            record.raw,
            record.format,
            event,
            String::from_utf8_lossy(record.bytes)
        ));
    }

    fn take(&mut self) -> Self::Batch {
        (
            std::mem::take(&mut self.events),
            std::mem::take(&mut self.records),
        )
    }
}

fn read_records(path: &std::path::Path, threads: usize) -> (Vec<String>, String) {
    let mut reader = Reader::new(options());
    let input = Input::Path(path.to_owned());
    let mut records = Vec::new();
    reader
        .read_parallel(&input, threads, &KeepRecords::default, &mut |(_, batch)| {
            records.extend(batch);
            Ok(())
        })
        .unwrap();
    let summary = serde_json::to_string(&reader.into_summary().unwrap()).unwrap();
    (records, summary)
}

/// An Okta event type forewarn does not decode (skipped, but shown to the hook).
fn skipped_okta(i: usize) -> String {
    format!(
        r#"{{"uuid":"u{i}","published":"2019-08-14T04:00:{:02}.000Z","eventType":"policy.rule.update","actor":{{"alternateId":"admin@example.com"}},"outcome":{{"result":"SUCCESS"}}}}"#,
        i % 60
    )
}

#[test]
fn the_record_hook_sees_every_decoded_and_skipped_record_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.jsonl");
    let mut bytes = troubled_input();
    bytes.push(b'\n');
    for i in 0..3_000 {
        let record = if i % 3 == 0 { skipped_okta(i) } else { line(i) };
        bytes.extend_from_slice(format!("{record}\n").as_bytes());
    }
    // Two records in one line (an array): each is shown on its own, with its index.
    bytes.extend_from_slice(format!("[{},{}]\n", skipped_okta(1), line(2)).as_bytes());
    std::fs::write(&path, &bytes).unwrap();

    let (serial, summary) = read_records(&path, 1);
    let accounted: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let input = &accounted["inputs"][0];
    let decoded_and_skipped: u64 = input["formats"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["decoded"].as_u64().unwrap() + c["skipped"].as_u64().unwrap())
        .sum();
    assert_eq!(
        serial.len() as u64,
        decoded_and_skipped,
        "one call per record"
    );
    assert!(input["rejected"].as_object().unwrap().values().count() > 0);
    let skipped = serial.iter().filter(|r| r.contains(" okta None ")).count();
    assert_eq!(
        skipped,
        1_000 + 1,
        "skipped records are shown, without an event"
    );
    assert!(
        serial.iter().all(|r| !r.contains("not json at all")),
        "rejected records are not shown"
    );
    assert!(serial
        .iter()
        .any(|r| r.starts_with("RawRef { input: 0, line: 33002, index: 1 } okta None")));
    assert!(serial
        .iter()
        .any(|r| r.starts_with("RawRef { input: 0, line: 33002, index: 2 } native Some")));
    for threads in [2, 3] {
        let (parallel, parallel_summary) = read_records(&path, threads);
        assert!(parallel == serial, "records differ with {threads} threads");
        assert_eq!(parallel_summary, summary);
    }
}
