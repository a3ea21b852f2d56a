#![no_main]
//! The whole reader on arbitrary input: layout detection, framing, format detection and every
//! decoder. Every byte must be accounted for, and nothing may panic.

use forewarn_formats::{ReadOptions, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = Reader::new(ReadOptions::default());
    let mut events = 0u64;
    let _ = reader.read_bytes("fuzz", data, &mut |_| {
        events += 1;
        Ok(())
    });
    let summary = reader.summary();
    let input = &summary.inputs[0];
    assert_eq!(
        input.records,
        input.blank + input.decoded() + input.skipped() + input.rejected()
    );
    assert_eq!(events, summary.events());
});
