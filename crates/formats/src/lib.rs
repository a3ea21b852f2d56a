//! Reads vendor authentication logs into forewarn's [`AuthEvent`](forewarn_model::AuthEvent)s.
//!
//! Three layers, each replaceable on its own:
//! - [`input`] opens files, directories and stdin, undoing gzip and zstd;
//! - [`framing`] cuts bytes into records: JSON lines, JSON arrays, API page envelopes
//!   (`{"value":[…]}`, `{"records":[…]}`, `{"items":[…]}`, `{"Records":[…]}`) or text lines;
//! - [`decoders`] holds one [`Decoder`] per format, registered in one list.
//!
//! [`Reader`] ties them together and accounts for every record: decoded, skipped (a type
//! forewarn does not use) or rejected with its input, line and reason. It reads one input on
//! several cores ([`Reader::read_parallel`]), or several at once merged by event time
//! ([`Reader::read_merged`]).
//!
//! This crate must not enrich, detect or keep state across records: it only reads.

mod decoder;
pub mod decoders;
pub mod examples;
mod format;
pub mod framing;
pub mod input;
mod merge;
mod parallel;
mod reader;

pub use decoder::{DecodeContext, Decoded, Decoder, RecordError};
pub use decoders::{decoder_for, detect, DECODERS};
pub use format::{Format, UnknownFormat};
pub use merge::{Run, Timed};
pub use parallel::Batcher;
pub use reader::{
    EventSink, FormatCounts, InputSummary, RawRecord, ReadError, ReadOptions, Reader, Rejection,
    Summary,
};
