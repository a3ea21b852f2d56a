//! The reader: inputs → records → events, with every record accounted for.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use forewarn_model::{AuthEvent, RawRef, Timestamp};
use serde::Serialize;

use crate::decoders::{decoder_for, detect};
use crate::framing::{self, Layout};
use crate::input::{self, Input, InputError};
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

/// How many rejected records each input keeps as examples for the summary.
const EXAMPLES_PER_INPUT: usize = 5;

/// Deepest nesting of arrays and objects a record may have. Vendor records nest a handful of
/// levels; the parsers recurse per level, so a record built to nest thousands deep would
/// overflow the stack.
const MAX_NESTING: usize = 128;

/// Records up to this size are not checked for nesting: at a few hundred bytes of stack per
/// level they cannot nest deep enough to overflow even a worker thread's stack.
const DEEP_CHECK_BYTES: usize = 4096;

/// Bytes of an input looked at to decide its layout and whether it is binary.
const HEAD_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Decode every record as this format instead of detecting it.
    pub format: Option<Format>,
    /// Records longer than this are rejected without being held in memory.
    pub max_record_bytes: usize,
    /// Stop the run once more records than this have been rejected in all.
    pub max_rejected: Option<u64>,
    /// Counts the bytes read from inputs as stored (compressed, if they are), for progress.
    pub bytes_read: Option<Arc<AtomicU64>>,
    /// Inputs read at once when several are merged by time, at most: each holds a thread and
    /// a few MiB of blocks and batches. Inputs beyond it that cover the same time (hundreds
    /// of per-server logs) are opened as others end, and their events are used out of time
    /// order (the engine counts them late).
    pub max_open_inputs: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            max_record_bytes: 4 * 1024 * 1024,
            max_rejected: None,
            bytes_read: None,
            max_open_inputs: 64,
        }
    }
}

/// Why a run stopped. A bad record never stops a run; these do.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("cannot write events: {0}")]
    Sink(io::Error),
    #[error("cannot write the quarantine file: {0}")]
    Quarantine(io::Error),
    #[error("{rejected} records rejected, over the limit of {limit} (--max-rejected)")]
    TooManyRejected { rejected: u64, limit: u64 },
}

/// What happened to every record of every input read so far.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub inputs: Vec<InputSummary>,
}

impl Summary {
    pub fn decoded(&self) -> u64 {
        self.inputs.iter().map(InputSummary::decoded).sum()
    }
    pub fn events(&self) -> u64 {
        self.inputs.iter().map(InputSummary::events).sum()
    }
    pub fn skipped(&self) -> u64 {
        self.inputs.iter().map(InputSummary::skipped).sum()
    }
    pub fn rejected(&self) -> u64 {
        self.inputs.iter().map(InputSummary::rejected).sum()
    }
}

/// One input's accounting. `records = blank + decoded + skipped + rejected`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputSummary {
    pub name: String,
    pub records: u64,
    pub blank: u64,
    pub formats: BTreeMap<Format, FormatCounts>,
    /// Skipped records by what they were (`event type user.session.end`).
    pub skipped: BTreeMap<String, u64>,
    /// Rejected records by reason.
    pub rejected: BTreeMap<String, u64>,
    /// The first few rejections, with position and full reason.
    pub examples: Vec<Rejection>,
}

impl InputSummary {
    /// Adds the accounting of a later part of the same input.
    pub(crate) fn merge(&mut self, later: InputSummary) {
        self.records += later.records;
        self.blank += later.blank;
        for (format, counts) in later.formats {
            let mine = self.formats.entry(format).or_default();
            mine.decoded += counts.decoded;
            mine.events += counts.events;
            mine.skipped += counts.skipped;
        }
        for (what, n) in later.skipped {
            *self.skipped.entry(what).or_default() += n;
        }
        for (why, n) in later.rejected {
            *self.rejected.entry(why).or_default() += n;
        }
        let room = EXAMPLES_PER_INPUT.saturating_sub(self.examples.len());
        self.examples.extend(later.examples.into_iter().take(room));
    }

    pub fn decoded(&self) -> u64 {
        self.formats.values().map(|c| c.decoded).sum()
    }
    pub fn events(&self) -> u64 {
        self.formats.values().map(|c| c.events).sum()
    }
    pub fn skipped(&self) -> u64 {
        self.formats.values().map(|c| c.skipped).sum()
    }
    pub fn rejected(&self) -> u64 {
        self.rejected.values().sum()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FormatCounts {
    /// Records that became events.
    pub decoded: u64,
    /// Events they became (a record can hold several steps).
    pub events: u64,
    /// Well-formed records of types forewarn does not use.
    pub skipped: u64,
}

/// A rejected record: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub line: u64,
    /// 0 when the record is the whole line; n when it is the n-th record of a line.
    #[serde(skip_serializing_if = "is_zero")]
    pub index: u32,
    pub reason: String,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            0 => write!(f, "line {}: {}", self.line, self.reason),
            n => write!(f, "line {}, record {n}: {}", self.line, self.reason),
        }
    }
}

impl Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Receives each decoded event; an error ends the run (stdout closed, say).
pub type EventSink<'s> = dyn FnMut(&AuthEvent<'_>) -> io::Result<()> + 's;

/// A record the reader decoded or skipped, as it was read: what a consumer that looks at raw
/// records (Sigma rules) sees beside the events. Rejected and blank records are never shown.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'r> {
    /// The record's bytes: one JSON object (an element of an array or API page on its own),
    /// or one text line without its line end.
    pub bytes: &'r [u8],
    /// The format it was read as.
    pub format: Format,
    /// Where it is; its events carry the same reference.
    pub raw: RawRef,
    /// Its first event; `None` when the decoder skipped the record (a type forewarn does not
    /// turn into events).
    pub event: Option<&'r AuthEvent<'r>>,
}

/// Where the reader delivers what it read: every event, and every record decoded or skipped
/// (after its events).
pub(crate) trait Sink {
    fn event(&mut self, event: &AuthEvent<'_>) -> io::Result<()>;

    fn record(&mut self, _record: &RawRecord<'_>) {}
}

/// A plain event sink: records are not looked at.
pub(crate) struct Events<'a, 's>(pub(crate) &'a mut EventSink<'s>);

impl Sink for Events<'_, '_> {
    fn event(&mut self, event: &AuthEvent<'_>) -> io::Result<()> {
        (self.0)(event)
    }
}

/// Reads inputs into events, accounting for every record.
pub struct Reader {
    pub(crate) options: ReadOptions,
    forced: Option<&'static dyn Decoder>,
    pub(crate) summary: Summary,
    pub(crate) quarantine: Option<Box<dyn Write + Send>>,
    /// The id the events of this reader's first input carry ([`RawRef::input`]): its later
    /// inputs count on from it.
    pub(crate) first_input: u32,
    /// Rejections of every reader of a run read at once ([`Reader::read_merged`]), which
    /// `max_rejected` bounds together; `None`: this reader's own count.
    pub(crate) rejected_in_run: Option<Arc<AtomicU64>>,
}

/// Per-input state while reading it.
pub(crate) struct Cursor {
    /// Where the input's accounting lives in this reader's summary.
    pub(crate) input: u32,
    /// The input id events carry in their [`RawRef`]: the summary index, counted on from the
    /// reader's first input id (inputs merged by time each have a reader of their own), and
    /// on a parallel worker, which accounts for one block of an input at a time, the id of
    /// the input the block is from.
    pub(crate) raw_input: u32,
    pub(crate) context: DecodeContext,
    /// The format the input was found to be in; records of other formats are still detected
    /// one by one.
    pub(crate) current: Option<&'static dyn Decoder>,
    /// Whether this input's lines may be API pages (Azure Event Hub captures hold one
    /// `{"records":[…]}` a line). Decided on its first record, so that plain JSON lines do not
    /// pay for the check on every line.
    pub(crate) lines_may_be_pages: bool,
    pub(crate) pages_seen: bool,
}

impl Cursor {
    pub(crate) fn new(input: u32, raw_input: u32, reference_time: Timestamp) -> Self {
        Cursor {
            input,
            raw_input,
            context: DecodeContext { reference_time },
            current: None,
            lines_may_be_pages: true,
            pages_seen: false,
        }
    }
}

impl Reader {
    pub fn new(options: ReadOptions) -> Self {
        let forced = options.format.and_then(decoder_for);
        Reader {
            options,
            forced,
            summary: Summary::default(),
            quarantine: None,
            first_input: 0,
            rejected_in_run: None,
        }
    }

    /// Writes each rejected record, verbatim, with its input, line and reason, as one JSON line.
    pub fn with_quarantine(mut self, out: Box<dyn Write + Send>) -> Self {
        self.quarantine = Some(out);
        self
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    pub fn into_summary(mut self) -> Result<Summary, ReadError> {
        if let Some(q) = self.quarantine.as_mut() {
            q.flush().map_err(ReadError::Quarantine)?;
        }
        Ok(self.summary)
    }

    /// The name of the input an event's [`RawRef::input`] points at.
    pub fn input_name(&self, input: u32) -> Option<&str> {
        self.summary
            .inputs
            .get(input as usize)
            .map(|s| s.name.as_str())
    }

    /// Reads one input to its end. Bad records are counted, never fatal; an input that cannot
    /// be opened is an error (and is listed in the summary with nothing read).
    pub fn read(&mut self, input: &Input, sink: &mut EventSink<'_>) -> Result<(), ReadError> {
        let reference_time = input.modified().unwrap_or_else(Timestamp::now);
        let (mut stream, _) = match input::open_counted(input, self.options.bytes_read.clone()) {
            Ok(opened) => opened,
            Err(error) => {
                self.start_input(input.name());
                return Err(error.into());
            }
        };
        self.read_stream(
            &input.name(),
            &mut stream,
            reference_time,
            &mut Events(sink),
        )
    }

    /// Reads an in-memory input (tests, benchmarks, HTTP bodies).
    pub fn read_bytes(
        &mut self,
        name: &str,
        bytes: &[u8],
        sink: &mut EventSink<'_>,
    ) -> Result<(), ReadError> {
        if input::is_compressed(bytes) {
            let (mut stream, _) = input::decompress(Box::new(io::Cursor::new(bytes.to_vec())))
                .map_err(|source| InputError::Open {
                    path: name.into(),
                    source,
                })?;
            return self.read_stream(name, &mut stream, Timestamp::now(), &mut Events(sink));
        }
        self.read_stream(name, &mut &bytes[..], Timestamp::now(), &mut Events(sink))
    }

    pub(crate) fn start_input(&mut self, name: String) -> u32 {
        self.summary.inputs.push(InputSummary {
            name,
            ..InputSummary::default()
        });
        (self.summary.inputs.len() - 1) as u32
    }

    pub(crate) fn read_stream(
        &mut self,
        name: &str,
        stream: &mut dyn BufRead,
        reference_time: Timestamp,
        sink: &mut dyn Sink,
    ) -> Result<(), ReadError> {
        match self.begin(name, stream, reference_time)? {
            Some((mut cursor, head, Layout::Lines)) => {
                self.read_lines(&mut cursor, head, stream, sink)
            }
            Some((mut cursor, head, Layout::Document)) => {
                self.read_document(&mut cursor, head, stream, sink)
            }
            None => Ok(()),
        }
    }

    /// Starts an input: reads its head and decides its layout. `None` when the input is over
    /// already (unreadable, or binary: rejected whole).
    pub(crate) fn begin(
        &mut self,
        name: &str,
        stream: &mut dyn BufRead,
        reference_time: Timestamp,
    ) -> Result<Option<(Cursor, Vec<u8>, Layout)>, ReadError> {
        let id = self.start_input(name.to_owned());
        let cursor = Cursor::new(id, self.first_input.saturating_add(id), reference_time);
        let head = match fill_head(stream) {
            Ok(head) => head,
            Err(error) => return self.reject_input(&cursor, 1, &error).map(|()| None),
        };
        if let Some(reason) = binary_reason(&head) {
            self.summary.inputs[id as usize].records += 1;
            return self
                .reject(&cursor, 1, 0, None, &RecordError::Shape(reason))
                .map(|()| None);
        }
        let layout = framing::detect_layout(&head);
        Ok(Some((cursor, head, layout)))
    }

    pub(crate) fn read_lines(
        &mut self,
        cursor: &mut Cursor,
        head: Vec<u8>,
        stream: &mut dyn BufRead,
        sink: &mut dyn Sink,
    ) -> Result<(), ReadError> {
        let mut stream = io::Cursor::new(head).chain(stream);
        let mut line = Vec::with_capacity(64 * 1024);
        let limit = self.options.max_record_bytes;
        for number in 1u64.. {
            // Most lines lie whole in the read buffer: decode them there, without a copy.
            if let Ok(available) = stream.fill_buf() {
                if let Some(end) = memchr::memchr(b'\n', available).filter(|&end| end <= limit) {
                    self.line(cursor, number, trim_line_end(&available[..end]), sink)?;
                    stream.consume(end + 1);
                    continue;
                }
            }
            let status = match read_line_limited(&mut stream, &mut line, limit) {
                Ok(Some(status)) => status,
                Ok(None) => break,
                Err(error) => return self.reject_input(cursor, number, &error),
            };
            if let LineStatus::TooLong(size) = status {
                self.count_record(cursor.input);
                let error = RecordError::TooLarge {
                    size,
                    limit: limit as u64,
                };
                self.reject(cursor, number, 0, None, &error)?;
                continue;
            }
            self.line(cursor, number, trim_line_end(&line), sink)?;
        }
        Ok(())
    }

    /// One line of a line-oriented input: a record, or an array or API page of records.
    pub(crate) fn line(
        &mut self,
        cursor: &mut Cursor,
        number: u64,
        record: &[u8],
        sink: &mut dyn Sink,
    ) -> Result<(), ReadError> {
        let starts_array = record.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        if (starts_array || cursor.lines_may_be_pages) && framing::line_may_hold_several(record) {
            let split = framing::split_document(record);
            let whole = split.records.len() == 1 && split.records[0].len() == record.len();
            if !whole && !split.records.is_empty() {
                cursor.pages_seen = true;
                for (i, range) in split.records.into_iter().enumerate() {
                    self.process(cursor, number, i as u32 + 1, &record[range], sink)?;
                }
                if let Some(error) = split.error {
                    self.count_record(cursor.input);
                    let reason = format!(
                        "invalid JSON at byte {}: {}",
                        error.offset + 1,
                        error.message
                    );
                    self.reject(cursor, number, 0, Some(record), &RecordError::Shape(reason))?;
                }
                return Ok(());
            }
        }
        if cursor.current.is_some() && !cursor.pages_seen {
            cursor.lines_may_be_pages = false;
        }
        self.process(cursor, number, 0, record, sink)
    }

    pub(crate) fn read_document(
        &mut self,
        cursor: &mut Cursor,
        mut buffer: Vec<u8>,
        stream: &mut dyn BufRead,
        sink: &mut dyn Sink,
    ) -> Result<(), ReadError> {
        let read_error = stream.read_to_end(&mut buffer).err();
        let split = framing::split_document(&buffer);
        let mut line = 1u64;
        let mut counted_to = 0usize;
        let lines: Vec<u64> = split
            .records
            .iter()
            .map(|range| {
                line += memchr::memchr_iter(b'\n', &buffer[counted_to..range.start]).count() as u64;
                counted_to = range.start;
                line
            })
            .collect();
        let mut index_in_line = 0u32;
        for (i, range) in split.records.into_iter().enumerate() {
            let line = lines[i];
            let shares_line = |j: usize| lines.get(j) == Some(&line);
            index_in_line = match (
                i.checked_sub(1).is_some_and(shares_line),
                shares_line(i + 1),
            ) {
                (true, _) => index_in_line + 1,
                (false, true) => 1,
                (false, false) => 0,
            };
            let record = &buffer[range];
            if record.len() > self.options.max_record_bytes {
                self.count_record(cursor.input);
                let error = RecordError::TooLarge {
                    size: record.len() as u64,
                    limit: self.options.max_record_bytes as u64,
                };
                self.reject(cursor, line, index_in_line, None, &error)?;
                continue;
            }
            self.process(cursor, line, index_in_line, record, sink)?;
        }
        if let Some(error) = split.error {
            let at = error.offset.min(buffer.len());
            let line = 1 + memchr::memchr_iter(b'\n', &buffer[..at]).count() as u64;
            let reason = format!(
                "invalid JSON document: {}; the {} bytes from here on were not read",
                error.message,
                buffer.len() - at
            );
            self.count_record(cursor.input);
            self.reject(
                cursor,
                line,
                0,
                Some(&buffer[at..]),
                &RecordError::Shape(reason),
            )?;
        }
        if let Some(error) = read_error {
            let line = 1 + memchr::memchr_iter(b'\n', &buffer).count() as u64;
            return self.reject_input(cursor, line, &error);
        }
        Ok(())
    }

    /// Decodes one record with the input's format, falling back to detection for records of
    /// another format in a mixed stream.
    fn process(
        &mut self,
        cursor: &mut Cursor,
        line: u64,
        index: u32,
        record: &[u8],
        sink: &mut dyn Sink,
    ) -> Result<(), ReadError> {
        let summary = &mut self.summary.inputs[cursor.input as usize];
        summary.records += 1;
        if record.iter().all(u8::is_ascii_whitespace) {
            summary.blank += 1;
            return Ok(());
        }
        // Only a large record can nest deep enough to matter; real ones are far shallower.
        if record.len() > DEEP_CHECK_BYTES && framing::nests_deeper_than(record, MAX_NESTING) {
            let error = RecordError::Shape(format!(
                "JSON nested more than {MAX_NESTING} levels deep; not read"
            ));
            return self.reject(cursor, line, index, Some(record), &error);
        }
        let Some(decoder) = self.forced.or(cursor.current).or_else(|| detect(record)) else {
            let error = RecordError::UnknownFormat(describe(record));
            return self.reject(cursor, line, index, Some(record), &error);
        };
        let mut chosen = decoder;
        let mut result = decoder.decode(record, &cursor.context);
        // A record the input's format skips is another format's only if it does not look like
        // its own: skip-heavy logs (CloudTrail is mostly S3 and EC2) then cost one sniff, not
        // a detection round, per skipped record.
        let settled = match &result {
            Ok(Decoded::One(_) | Decoded::Many(_)) => true,
            Ok(Decoded::Skipped(_)) => decoder.sniff(record),
            Err(_) => false,
        };
        if self.forced.is_none() && !settled {
            if let Some(other) = detect(record).filter(|d| d.format() != decoder.format()) {
                let retry = other.decode(record, &cursor.context);
                if retry.is_ok() {
                    chosen = other;
                    result = retry;
                }
            }
        }
        let raw = RawRef {
            input: cursor.raw_input,
            line,
            index,
        };
        let decoded = match result {
            Ok(decoded) => decoded,
            Err(error) => return self.reject(cursor, line, index, Some(record), &error),
        };
        cursor.current = Some(chosen);
        let counts = summary.formats.entry(chosen.format()).or_default();
        match decoded {
            Decoded::One(mut event) => {
                counts.decoded += 1;
                counts.events += 1;
                event.raw = raw;
                sink.event(&event).map_err(ReadError::Sink)?;
                sink.record(&RawRecord {
                    bytes: record,
                    format: chosen.format(),
                    raw,
                    event: Some(&event),
                });
                Ok(())
            }
            Decoded::Many(mut events) => {
                counts.decoded += 1;
                counts.events += events.len() as u64;
                for event in &mut events {
                    event.raw = raw;
                    sink.event(event).map_err(ReadError::Sink)?;
                }
                sink.record(&RawRecord {
                    bytes: record,
                    format: chosen.format(),
                    raw,
                    event: events.first(),
                });
                Ok(())
            }
            Decoded::Skipped(what) => {
                counts.skipped += 1;
                match summary.skipped.get_mut(what.as_ref()) {
                    Some(n) => *n += 1,
                    None => {
                        summary.skipped.insert(what.into_owned(), 1);
                    }
                }
                sink.record(&RawRecord {
                    bytes: record,
                    format: chosen.format(),
                    raw,
                    event: None,
                });
                Ok(())
            }
        }
    }

    pub(crate) fn count_record(&mut self, input: u32) {
        self.summary.inputs[input as usize].records += 1;
    }

    /// Counts a rejected record (already counted in `records`), keeps an example, quarantines it.
    pub(crate) fn reject(
        &mut self,
        cursor: &Cursor,
        line: u64,
        index: u32,
        record: Option<&[u8]>,
        error: &RecordError,
    ) -> Result<(), ReadError> {
        let summary = &mut self.summary.inputs[cursor.input as usize];
        *summary
            .rejected
            .entry(error.category().into_owned())
            .or_default() += 1;
        let rejection = Rejection {
            line,
            index,
            reason: error.to_string(),
        };
        if let Some(out) = self.quarantine.as_mut() {
            write_quarantine(out, &summary.name, &rejection, record)
                .map_err(ReadError::Quarantine)?;
        }
        if summary.examples.len() < EXAMPLES_PER_INPUT {
            summary.examples.push(rejection);
        }
        self.count_rejected(1)
    }

    /// Checks the rejections against `max_rejected` once `added` more were counted in this
    /// reader's summary.
    pub(crate) fn count_rejected(&self, added: u64) -> Result<(), ReadError> {
        let Some(limit) = self.options.max_rejected else {
            return Ok(());
        };
        let rejected = match &self.rejected_in_run {
            Some(run) => run.fetch_add(added, Ordering::Relaxed) + added,
            None => self.summary.rejected(),
        };
        if rejected > limit {
            return Err(ReadError::TooManyRejected { rejected, limit });
        }
        Ok(())
    }

    /// The input broke off (a corrupt gzip stream, a read error): what was read stays decoded,
    /// the rest is reported as one rejection.
    pub(crate) fn reject_input(
        &mut self,
        cursor: &Cursor,
        line: u64,
        error: &io::Error,
    ) -> Result<(), ReadError> {
        self.count_record(cursor.input);
        let reason = format!("input could not be read past this point: {error}");
        self.reject(cursor, line, 0, None, &RecordError::Shape(reason))
    }
}

fn write_quarantine(
    out: &mut dyn Write,
    input: &str,
    rejection: &Rejection,
    record: Option<&[u8]>,
) -> io::Result<()> {
    #[derive(Serialize)]
    struct Quarantined<'a> {
        input: &'a str,
        line: u64,
        #[serde(skip_serializing_if = "is_zero")]
        index: u32,
        reason: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        record: Option<&'a str>,
        /// Records that are not UTF-8 are kept byte for byte, base64-encoded.
        #[serde(skip_serializing_if = "Option::is_none")]
        record_base64: Option<String>,
    }
    let (text, base64) = match record.map(std::str::from_utf8) {
        None => (None, None),
        Some(Ok(text)) => (Some(text), None),
        Some(Err(_)) => (None, record.map(base64)),
    };
    let line = Quarantined {
        input,
        line: rejection.line,
        index: rejection.index,
        reason: &rejection.reason,
        record: text,
        record_base64: base64,
    };
    serde_json::to_writer(&mut *out, &line).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What an unrecognised record looks like, for the rejection reason.
fn describe(record: &[u8]) -> String {
    if record.first() == Some(&b'{') {
        let keys: Vec<String> =
            sonic_rs::from_slice::<BTreeMap<String, serde::de::IgnoredAny>>(record)
                .map(|map| {
                    map.into_keys()
                        .take(6)
                        .map(|k| format!("`{}`", truncate(&k)))
                        .collect()
                })
                .unwrap_or_default();
        if keys.is_empty() {
            "a JSON object forewarn cannot parse".to_owned()
        } else {
            format!("a JSON object with keys {}", keys.join(", "))
        }
    } else {
        let text = String::from_utf8_lossy(&record[..record.len().min(60)]);
        format!("text starting `{}`", text.escape_debug())
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(40).flat_map(char::escape_debug).collect()
}

pub(crate) fn fill_head(stream: &mut dyn BufRead) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    stream.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Why an input is not a text log, judged from its first bytes.
pub(crate) fn binary_reason(head: &[u8]) -> Option<String> {
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Some(
            "the input is UTF-16 text; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)".into(),
        );
    }
    memchr::memchr(0, head).map(|at| {
        format!("the input is binary (a NUL byte at offset {at}), not a text log; nothing was read")
    })
}

enum LineStatus {
    Complete,
    TooLong(u64),
}

/// Reads one line into `line` (without the newline). A line longer than `limit` is consumed but
/// not kept, so one huge line costs no memory. `None` at the end of input.
fn read_line_limited(
    stream: &mut dyn BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Option<LineStatus>> {
    line.clear();
    let mut total = 0usize;
    let mut read_any = false;
    loop {
        let available = match stream.fill_buf() {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            break;
        }
        read_any = true;
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(n) => (n, true),
            None => (available.len(), false),
        };
        if total + take <= limit {
            line.extend_from_slice(&available[..take]);
        }
        total += take;
        stream.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    if !read_any {
        return Ok(None);
    }
    if total > limit {
        line.clear();
        return Ok(Some(LineStatus::TooLong(total as u64)));
    }
    Ok(Some(LineStatus::Complete))
}

pub(crate) fn trim_line_end(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
