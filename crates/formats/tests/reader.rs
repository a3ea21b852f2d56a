//! The reader's promise: every record accounted for, bad input never fatal and never costing
//! the good records around it.

mod common;

use std::io::Write;

use common::{decode_bytes, decode_bytes_with};
use forewarn_formats::{Format, ReadOptions, Reader};

const GOOD: &str = r#"{"time":"2019-08-14T03:12:55Z","event":"auth.password","outcome":"failure","account":"Jane@Example.com","reason":"bad_password","ip":"203.0.113.7"}"#;

fn lines(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

#[test]
fn a_truncated_last_line_is_rejected_and_the_rest_kept() {
    let mut bytes = lines(&[GOOD, GOOD]);
    bytes.extend_from_slice(&GOOD.as_bytes()[..40]);
    let (events, summary) = decode_bytes("t.jsonl", &bytes);
    assert_eq!(events.len(), 2);
    let input = &summary.inputs[0];
    assert_eq!(
        (input.records, input.decoded(), input.rejected()),
        (3, 2, 1)
    );
    assert_eq!(input.examples[0].line, 3);
    assert!(
        input.examples[0].reason.starts_with("invalid JSON"),
        "{:?}",
        input.examples
    );
}

#[test]
fn invalid_utf8_costs_only_its_own_line() {
    let mut bytes = lines(&[GOOD]);
    bytes.extend_from_slice(b"{\"time\":\"2019-08-14T03:12:55Z\",\"event\":\"auth.password\",\"outcome\":\"failure\",\"account\":\"\xff\xfe\"}\n");
    bytes.extend(lines(&[GOOD]));
    let (events, summary) = decode_bytes("t.jsonl", &bytes);
    assert_eq!(events.len(), 2);
    assert_eq!(summary.rejected(), 1);
    assert_eq!(summary.inputs[0].examples[0].line, 2);
}

#[test]
fn a_binary_file_is_one_clear_rejection() {
    let bytes = [0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0];
    let (events, summary) = decode_bytes("a.out", &bytes);
    assert!(events.is_empty());
    assert_eq!(summary.rejected(), 1);
    assert!(
        summary.inputs[0].examples[0].reason.contains("binary"),
        "{:?}",
        summary.inputs[0]
    );
}

#[test]
fn a_line_over_the_limit_is_rejected_without_losing_its_neighbours() {
    let huge = format!(
        r#"{{"time":"2019-08-14T03:12:55Z","pad":"{}"}}"#,
        "x".repeat(10 << 20)
    );
    let bytes = lines(&[GOOD, &huge, GOOD]);
    let (events, summary) = decode_bytes("t.jsonl", &bytes);
    assert_eq!(events.len(), 2);
    let example = &summary.inputs[0].examples[0];
    assert_eq!(example.line, 2);
    assert!(
        example.reason.contains("over the 4194304-byte limit"),
        "{example}"
    );
    assert_eq!(events[1].raw.line, 3);
}

#[test]
fn an_empty_file_reads_as_nothing() {
    let (events, summary) = decode_bytes("empty.jsonl", b"");
    assert!(events.is_empty());
    assert_eq!((summary.inputs[0].records, summary.rejected()), (0, 0));
}

#[test]
fn blank_lines_and_crlf_are_fine() {
    let bytes = format!("{GOOD}\r\n\r\n   \n{GOOD}\r\n");
    let (events, summary) = decode_bytes("t.jsonl", bytes.as_bytes());
    assert_eq!(events.len(), 2);
    assert_eq!((summary.inputs[0].blank, summary.rejected()), (2, 0));
}

#[test]
fn gzip_and_zstd_inputs_decode_like_plain_ones() {
    let plain = lines(&[GOOD, GOOD, GOOD]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let zst = zstd::encode_all(&plain[..], 3).unwrap();
    for (name, bytes) in [("t.jsonl.gz", gz), ("t.jsonl.zst", zst)] {
        let (events, summary) = decode_bytes(name, &bytes);
        assert_eq!((events.len(), summary.rejected()), (3, 0), "{name}");
    }
}

#[test]
fn a_corrupt_gzip_stream_keeps_what_came_before() {
    let plain = lines(&[GOOD; 2000]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let mut gz = gz.finish().unwrap();
    let cut = gz.len() / 2;
    gz.truncate(cut);
    let (events, summary) = decode_bytes("t.jsonl.gz", &gz);
    assert!(
        !events.is_empty() && events.len() < 2000,
        "{}",
        events.len()
    );
    assert_eq!(summary.rejected(), 1);
    assert!(summary.inputs[0].examples[0]
        .reason
        .contains("could not be read past"));
}

#[test]
fn arrays_and_pretty_printed_pages_keep_line_numbers() {
    let doc = format!("[\n  {GOOD},\n  {{\"broken\": true}},\n  {GOOD}\n]\n");
    let (events, summary) = decode_bytes("page.json", doc.as_bytes());
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].raw.line, 2);
    assert_eq!(events[1].raw.line, 4);
    assert_eq!(summary.inputs[0].examples[0].line, 3);
}

#[test]
fn one_line_arrays_number_their_records() {
    let doc = format!("[{GOOD},{GOOD}]\n");
    let (events, _) = decode_bytes("one-line.json", doc.as_bytes());
    assert_eq!(
        events
            .iter()
            .map(|e| (e.raw.line, e.raw.index))
            .collect::<Vec<_>>(),
        [(1, 1), (1, 2)]
    );
}

#[test]
fn a_forced_format_is_used_for_every_record() {
    let options = ReadOptions {
        format: Some(Format::Native),
        ..ReadOptions::default()
    };
    let (events, summary) = decode_bytes_with(
        "t",
        lines(&[GOOD, "Jun 21 16:47:48 host sshd[1]: x"]).as_slice(),
        options,
    );
    assert_eq!(events.len(), 1);
    assert_eq!(
        summary.inputs[0].rejected.keys().collect::<Vec<_>>(),
        ["invalid JSON"]
    );
}

#[test]
fn unknown_records_say_what_they_look_like() {
    let (_, summary) = decode_bytes("t.jsonl", lines(&[r#"{"foo":1,"bar":2}"#]).as_slice());
    let reason = &summary.inputs[0].examples[0].reason;
    assert_eq!(
        reason,
        "not a record of any format forewarn reads: a JSON object with keys `bar`, `foo`"
    );
}

#[test]
fn the_quarantine_keeps_rejected_records_verbatim_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.jsonl");
    let file = std::fs::File::create(&path).unwrap();
    let mut reader = Reader::new(ReadOptions::default()).with_quarantine(Box::new(file));
    let bytes = lines(&[
        GOOD,
        r#"{"time":"yesterday","event":"auth.password","outcome":"failure","account":"a"}"#,
    ]);
    reader
        .read_bytes("in.jsonl", &bytes, &mut |_| Ok(()))
        .unwrap();
    reader.into_summary().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let entry: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(entry["input"], "in.jsonl");
    assert_eq!(entry["line"], 2);
    assert_eq!(
        entry["record"],
        r#"{"time":"yesterday","event":"auth.password","outcome":"failure","account":"a"}"#
    );
    assert_eq!(entry["reason"].as_str().unwrap(), "invalid `time`: `yesterday` is not an RFC 3339 time (like 2019-08-14T03:12:55Z) at line 1 column 20");
}

#[test]
fn max_rejected_stops_the_run() {
    let options = ReadOptions {
        max_rejected: Some(1),
        ..ReadOptions::default()
    };
    let mut reader = Reader::new(options);
    let bytes = lines(&["x", "y", GOOD]);
    let error = reader.read_bytes("t", &bytes, &mut |_| Ok(())).unwrap_err();
    assert_eq!(
        error.to_string(),
        "2 records rejected, over the limit of 1 (--max-rejected)"
    );
}

#[test]
fn json_lines_of_api_pages_are_split_on_every_line() {
    let page = format!(r#"{{"records":[{GOOD},{GOOD}]}}"#);
    let (events, summary) = decode_bytes("eventhub.jsonl", lines(&[&page, GOOD, &page]).as_slice());
    let positions: Vec<_> = events.iter().map(|e| (e.raw.line, e.raw.index)).collect();
    assert_eq!(positions, [(1, 1), (1, 2), (2, 0), (3, 1), (3, 2)]);
    assert_eq!(summary.rejected(), 0);
}

#[test]
fn a_stream_that_mixes_formats_is_detected_record_by_record() {
    use forewarn_formats::examples::TYPICAL;
    let mut bytes = Vec::new();
    for _ in 0..2 {
        for (_, record) in TYPICAL {
            bytes.extend_from_slice(record.trim_ascii());
            bytes.push(b'\n');
        }
    }
    let (events, summary) = decode_bytes("mixed.jsonl", &bytes);
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(input.formats.len(), TYPICAL.len(), "{:?}", input.formats);
    for counts in input.formats.values() {
        assert_eq!(counts.decoded, 2);
    }
    assert!(events.len() >= 2 * TYPICAL.len());
}

#[test]
fn a_record_nested_thousands_deep_is_rejected_not_a_crash() {
    let deep = format!(
        r#"{{"eventType":"user.session.start","published":"2019-08-14T03:12:55Z","debugContext":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    for record in [deep.as_str(), &"[".repeat(200_000)] {
        let bytes = lines(&[GOOD, record, GOOD]);
        let (events, summary) = decode_bytes("deep.jsonl", &bytes);
        assert_eq!(events.len(), 2, "the good lines around it are kept");
        assert_eq!(summary.rejected(), 1);
        assert!(
            summary.inputs[0].examples[0].reason.contains("nested"),
            "{:?}",
            summary.inputs[0].examples
        );
    }
}
