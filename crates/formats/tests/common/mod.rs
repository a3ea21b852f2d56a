//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use forewarn_formats::{ReadOptions, Reader, Summary};
use forewarn_model::AuthEvent;

/// `../shared/samples` beside the checkout (or `$FOREWARN_SAMPLES`). CI always has it; a
/// developer machine without it skips the sample conformance with a notice, and CI fails.
pub fn samples_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FOREWARN_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples")
        });
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "samples not found at {}: CI must run beside ../shared",
        dir.display()
    );
    eprintln!(
        "samples not found at {}: conformance skipped",
        dir.display()
    );
    None
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
