//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use forewarn_formats::{ReadOptions, Reader, Summary};
use forewarn_model::AuthEvent;

/// The shared samples' folder, when it is beside the checkout (see `forewarn_testkit`).
pub fn samples_dir() -> Option<PathBuf> {
    forewarn_testkit::sample("")
}

/// Decodes bytes with format detection, returning owned events and the summary.
pub fn decode_bytes(name: &str, bytes: &[u8]) -> (Vec<AuthEvent<'static>>, Summary) {
    decode_bytes_with(name, bytes, ReadOptions::default())
}

pub fn decode_bytes_with(
    name: &str,
    bytes: &[u8],
    options: ReadOptions,
) -> (Vec<AuthEvent<'static>>, Summary) {
    let mut reader = Reader::new(options);
    let mut events = Vec::new();
    reader
        .read_bytes(name, bytes, &mut |event| {
            events.push(event.clone().into_owned());
            Ok(())
        })
        .expect("reading from memory cannot fail");
    (events, reader.into_summary().expect("no quarantine"))
}

/// Decodes a fixture under `tests/data/`.
pub fn decode_fixture(relative: &str) -> (Vec<AuthEvent<'static>>, Summary) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode_bytes(relative, &bytes)
}

/// Events as native JSON lines, for snapshots.
pub fn native_lines(events: &[AuthEvent<'_>]) -> String {
    events
        .iter()
        .map(|e| serde_json::to_string(e).expect("events serialize") + "\n")
        .collect()
}

/// The one event at `time` (RFC 3339); fails the test when there are none or several.
pub fn at<'e>(events: &'e [AuthEvent<'static>], time: &str) -> &'e AuthEvent<'static> {
    let time: jiff::Timestamp = time.parse().expect("a valid time in the test");
    let found: Vec<_> = events.iter().filter(|e| e.time == time).collect();
    assert_eq!(found.len(), 1, "one event at {time}: {found:?}");
    found[0]
}

/// `(events, skipped, rejected)` of the first input, which must have been read as `format`
/// and nothing else.
pub fn counts_as(summary: &Summary, format: forewarn_formats::Format) -> (u64, u64, u64) {
    let input = &summary.inputs[0];
    assert_eq!(
        input.formats.keys().collect::<Vec<_>>(),
        [&format],
        "{input:?}"
    );
    let counts = input.formats[&format];
    (counts.events, counts.skipped, input.rejected())
}

/// Decodes every prefix of every record as `format`: a truncated record may be rejected, never
/// panic.
pub fn decode_every_prefix<'r>(
    format: forewarn_formats::Format,
    records: impl IntoIterator<Item = &'r [u8]>,
) {
    let decoder = forewarn_formats::decoder_for(format).expect("every format has a decoder");
    let context = forewarn_formats::DecodeContext::default();
    for record in records {
        for end in 0..record.len() {
            let _ = decoder.decode(&record[..end], &context);
        }
    }
}

/// The first input's rejections as `(reason, count)`, sorted by reason, for one assertion.
pub fn rejected_by_reason(summary: &Summary) -> Vec<(&str, u64)> {
    summary.inputs[0]
        .rejected
        .iter()
        .map(|(reason, n)| (reason.as_str(), *n))
        .collect()
}

/// A quarantine file in memory that the test keeps a handle on after the reader took it.
#[derive(Clone, Default)]
pub struct Shared(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
