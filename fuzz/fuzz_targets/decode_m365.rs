#![no_main]
//! The m365 decoder on arbitrary bytes: it may reject them, never panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| forewarn_fuzz::decode(forewarn_formats::Format::M365, data));
