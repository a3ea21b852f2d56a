//! A strict, zero-copy JSON reader for the fast paths of the busiest decoders (native, Okta,
//! Entra sign-ins).
//!
//! Why by hand: deserializing through serde with sonic-rs costs about 16 instructions a byte
//! on an Okta record, and sonic-rs's validating skip of the fields forewarn does not read
//! costs 11 of them alone — per-token overhead, not SIMD width (building sonic-rs for AVX2 saves
//! 7 %). Reading the same record with this module, field by field into the decoder's own
//! structs, costs about a third of that; see docs/performance.md.
//!
//! The contract that keeps it safe: a fast path either gives up ([`Bail::Unsupported`]) or
//! yields exactly what the decoder's serde path yields for the same record. It reads a strict
//! subset of JSON and gives up on everything outside it — any syntax error, a key with an
//! escape, a lone surrogate, a number it does not need to interpret, a field of an unexpected
//! type, a field the decoder reads given twice — so that the serde path decides those records,
//! with its own error messages. Every decoder that uses it has a test that runs both paths on
//! its test data and on thousands of mutations of it and checks they agree.
//!
//! It validates everything it passes over: UTF-8 up front, then the JSON grammar (strings
//! without control characters and with valid escapes, numbers, literals, nesting) as it
//! goes, with the nesting depth bounded so that no record can exhaust the stack.
//!
//! Reading methods return plain values, not `Result`s: the first reason to give up is kept in
//! the cursor, which then jumps to the end of the record so that every loop over it stops, and
//! [`Cursor::finish`] reports it. Whatever a reader built before that is thrown away. (Plain
//! values keep the hot path in registers: nested `Result<Option<Cow<str>>>`s were moved
//! through memory and stalled on store forwarding.)

use std::borrow::Cow;

/// Why a fast path stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bail {
    /// The record is outside what the fast path reads: let the serde path decide.
    Unsupported,
    /// Arrays and objects nested deeper than [`MAX_DEPTH`]: an error, not a fallback, because
    /// the serde path's recursive skip would exhaust the stack on such a record.
    TooDeep,
}

pub type Fast<T> = Result<T, Bail>;

/// The deepest nesting of arrays and objects a record may have. sonic-rs refuses typed values
/// nested deeper than 255 levels; no authentication log comes near either number.
pub const MAX_DEPTH: usize = 128;

/// The error for a record nested deeper than [`MAX_DEPTH`].
pub fn too_deep() -> crate::RecordError {
    crate::RecordError::Json(format!(
        "arrays and objects nested deeper than {MAX_DEPTH} levels"
    ))
}

/// Whether `record` nests arrays and objects deeper than [`MAX_DEPTH`], reading only brackets
/// and strings: the guard in front of the serde path, whose skipping of unread values
/// recurses once per level. Syntax errors are left for the parser to report.
pub fn nests_too_deep(record: &[u8]) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in record {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A position in one record. Methods that read a value first skip whitespace.
pub struct Cursor<'a> {
    /// The record, known to be UTF-8, so that strings are sliced from it without copying.
    text: &'a str,
    pos: usize,
    depth: usize,
    /// The first reason to give up, once there is one.
    failure: Option<Bail>,
}

/// The members of an object being read: call [`Members::next_key`] until it returns `None`,
/// reading or skipping each value in between.
pub struct Members {
    first: bool,
}

/// The elements of an array being read: call [`Elements::next`] until it returns `false`,
/// reading or skipping each element in between.
pub struct Elements {
    first: bool,
}

/// The offset of the first byte of `block` that ends a run of ordinary string contents — a
/// quote, a backslash or a control character — or 16 when there is none.
///
/// Strings are most of a record's bytes, so this is the innermost loop of the reader. SSE2 is
/// part of the x86-64 baseline, so every x86-64 machine has it; elsewhere two 64-bit words
/// are tested with bit tricks.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn first_stop(block: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: the intrinsics need SSE2, which every x86-64 processor has; the load reads the
    // 16 bytes `block` borrows, and `_mm_loadu_si128` allows any alignment.
    let stops = unsafe {
        let bytes = _mm_loadu_si128(block.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
        // A byte is at most 0x1F when the smaller of it and 0x1F is itself.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1F)), bytes);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
    };
    (stops as u32 | 1 << 16).trailing_zeros()
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn first_stop(block: &[u8; 16]) -> u32 {
    first_stop_portable(block)
}

/// [`first_stop`] with bit tricks on two 64-bit words, for other processors (and tested on
/// all).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn first_stop_portable(block: &[u8; 16]) -> u32 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte that is a quote, a backslash or below 0x20; borrows can set
    // spurious bits above the first, so only the lowest set bit is used.
    let stops = |word: u64| {
        let zero_byte = |w: u64| w.wrapping_sub(ONES) & !w;
        let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
        let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        (quote | backslash | control) & HIGHS
    };
    let (low, high) = block.split_at(8);
    let word = |half: &[u8]| half.try_into().map_or(0, u64::from_le_bytes);
    match (stops(word(low)), stops(word(high))) {
        (0, 0) => 16,
        (0, high) => 8 + high.trailing_zeros() / 8,
        (low, _) => low.trailing_zeros() / 8,
    }
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `record`; gives up on a record that is not UTF-8.
    pub fn new(record: &'a [u8]) -> Fast<Self> {
        let text = std::str::from_utf8(record).map_err(|_| Bail::Unsupported)?;
        Ok(Cursor {
            text,
            pos: 0,
            depth: 0,
            failure: None,
        })
    }

    /// Gives up on the record (the first reason is kept) and moves to its end, where every
    /// read finds nothing.
    #[cold]
    #[inline(never)]
    pub fn give_up(&mut self, why: Bail) {
        self.failure.get_or_insert(why);
        self.pos = self.text.len();
    }

    /// The end of the record: fine if nothing went wrong and only whitespace follows the
    /// value read.
    pub fn finish(mut self) -> Fast<()> {
        let rest = self.bytes().get(self.pos..).unwrap_or_default();
        if !rest
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.give_up(Bail::Unsupported);
        }
        self.failure.map_or(Ok(()), Err)
    }

    #[inline(always)]
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte that is not whitespace, not consumed; 0 (which starts no JSON token) at
    /// the end, having given up.
    #[inline(always)]
    fn peek(&mut self) -> u8 {
        // Records are mostly written without whitespace between tokens.
        match self.bytes().get(self.pos) {
            Some(&byte) if byte > b' ' => byte,
            _ => self.peek_past_whitespace(),
        }
    }

    #[cold]
    fn peek_past_whitespace(&mut self) -> u8 {
        let bytes = self.bytes();
        while let Some(&byte) = bytes.get(self.pos) {
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                _ => return byte,
            }
        }
        self.give_up(Bail::Unsupported);
        0
    }

    /// Consumes `byte`, or gives up.
    #[inline(always)]
    fn expect(&mut self, byte: u8) {
        if self.peek() == byte {
            self.pos += 1;
        } else {
            self.give_up(Bail::Unsupported);
        }
    }

    /// The first byte of the next value, not consumed: `"`, `{`, `[`, `t`, `f`, `n`, `-` or a
    /// digit for a well-formed value.
    #[inline(always)]
    pub fn peek_value(&mut self) -> u8 {
        self.peek()
    }

    fn enter(&mut self) {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.give_up(Bail::TooDeep);
        }
    }

    /// Starts reading an object (giving up if the value is not one).
    #[inline]
    pub fn object(&mut self) -> Members {
        self.expect(b'{');
        self.enter();
        Members { first: true }
    }

    /// Starts reading an array (giving up if the value is not one).
    #[inline]
    pub fn array(&mut self) -> Elements {
        self.expect(b'[');
        self.enter();
        Elements { first: true }
    }

    fn literal(&mut self, word: &[u8]) {
        let end = self.pos + word.len();
        if self.bytes().get(self.pos..end) == Some(word) {
            self.pos = end;
        } else {
            self.give_up(Bail::Unsupported);
        }
    }

    /// Whether the next value is `null`, consuming it if so.
    #[inline]
    pub fn null(&mut self) -> bool {
        if self.peek() == b'n' {
            self.literal(b"null");
            return true;
        }
        false
    }

    /// `true` or `false` (giving up on anything else).
    pub fn bool(&mut self) -> bool {
        match self.peek() {
            b't' => {
                self.literal(b"true");
                true
            }
            b'f' => {
                self.literal(b"false");
                false
            }
            _ => {
                self.give_up(Bail::Unsupported);
                false
            }
        }
    }

    /// Skips one value of any type, validating it.
    #[inline(always)]
    pub fn skip(&mut self) {
        // Most values are strings: those are skipped here, the rest out of line.
        if self.peek() == b'"' {
            self.pos += 1;
            self.string_end();
        } else {
            self.skip_other();
        }
    }

    #[inline(never)]
    fn skip_other(&mut self) {
        match self.peek() {
            b'{' => {
                let mut members = self.object();
                while members.next_key(self).is_some() {
                    self.skip();
                }
            }
            b'[' => {
                let mut elements = self.array();
                while elements.next(self) {
                    self.skip();
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => {
                self.number();
            }
            _ => self.give_up(Bail::Unsupported),
        }
    }

    /// After an opening quote: moves past the closing quote and returns where the contents
    /// end, and whether they hold escapes.
    #[inline(always)]
    fn string_end(&mut self) -> (usize, bool) {
        let bytes = self.bytes();
        let mut at = self.pos;
        let mut escaped = false;
        loop {
            // Sixteen bytes at a time while whole blocks last.
            while let Some(block) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
                let stop = first_stop(block);
                at += stop as usize;
                if stop < 16 {
                    break;
                }
            }
            match bytes.get(at) {
                Some(b'"') => {
                    self.pos = at + 1;
                    return (at, escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    match escape_len(bytes.get(at + 1..).unwrap_or_default()) {
                        Some(len) => at += len,
                        None => break,
                    }
                }
                // A control character, which JSON does not allow inside a string, or the end.
                Some(0..=0x1F) | None => break,
                // An ordinary byte among the last fifteen of the record.
                Some(_) => at += 1,
            }
        }
        self.give_up(Bail::Unsupported);
        (self.pos, false)
    }

    /// A string's value, borrowed from the record unless it has escapes.
    #[inline(always)]
    fn string_value(&mut self) -> Cow<'a, str> {
        self.pos += 1;
        let start = self.pos;
        let (end, escaped) = self.string_end();
        let raw = self.text.get(start..end).unwrap_or_default();
        if escaped {
            self.unescape(raw)
        } else {
            Cow::Borrowed(raw)
        }
    }

    #[cold]
    fn unescape(&mut self, raw: &str) -> Cow<'a, str> {
        match unescape(raw) {
            Some(text) => Cow::Owned(text),
            None => {
                self.give_up(Bail::Unsupported);
                Cow::Borrowed("")
            }
        }
    }

    /// A string, or `None` for `null`; gives up on other types (serde's `Option<Cow<str>>`).
    #[inline(always)]
    pub fn str(&mut self) -> Option<Cow<'a, str>> {
        match self.peek() {
            b'"' => Some(self.string_value()),
            b'n' => {
                self.literal(b"null");
                None
            }
            _ => {
                self.give_up(Bail::Unsupported);
                None
            }
        }
    }

    /// A string, or `None` after skipping a value of any other type (the lenient `Str`).
    #[inline(always)]
    pub fn str_or_skip(&mut self) -> Option<Cow<'a, str>> {
        if self.peek() == b'"' {
            return Some(self.string_value());
        }
        self.skip_other();
        None
    }

    /// A string, with no `null` or other type allowed (serde's `Cow<str>`).
    #[inline(always)]
    pub fn required_str(&mut self) -> Cow<'a, str> {
        if self.peek() == b'"' {
            return self.string_value();
        }
        self.give_up(Bail::Unsupported);
        Cow::Borrowed("")
    }

    /// A JSON number's text, validated against the JSON grammar.
    #[inline(never)]
    pub fn number(&mut self) -> &'a str {
        self.peek();
        let bytes = self.bytes();
        let start = self.pos;
        let digits_from = |mut at: usize| {
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            at
        };
        let mut at = start + usize::from(bytes.get(start) == Some(&b'-'));
        let mut valid = true;
        match bytes.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => at = digits_from(at + 1),
            _ => valid = false,
        }
        if bytes.get(at) == Some(&b'.') {
            let end = digits_from(at + 1);
            valid &= end > at + 1;
            at = end;
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            let end = digits_from(at);
            valid &= end > at;
            at = end;
        }
        match self.text.get(start..at) {
            Some(text) if valid => {
                self.pos = at;
                text
            }
            _ => {
                self.give_up(Bail::Unsupported);
                ""
            }
        }
    }

    /// A non-negative integer without fraction or exponent, of at most 18 digits (so that it
    /// fits `i64` and `u64` alike); gives up on any other number or type.
    pub fn small_uint(&mut self) -> u64 {
        let text = self.number();
        match text.parse() {
            Ok(value) if text.len() <= 18 && text.bytes().all(|b| b.is_ascii_digit()) => value,
            _ => {
                self.give_up(Bail::Unsupported);
                0
            }
        }
    }
}

impl Members {
    /// The next key, with the cursor after its colon; `None` after the closing brace (or
    /// once the cursor has given up).
    #[inline(always)]
    pub fn next_key<'a>(&mut self, cursor: &mut Cursor<'a>) -> Option<&'a [u8]> {
        let mut byte = cursor.peek();
        if byte == b'}' {
            cursor.pos += 1;
            cursor.depth -= 1;
            return None;
        }
        if self.first {
            self.first = false;
        } else if byte == b',' {
            cursor.pos += 1;
            byte = cursor.peek();
        } else {
            cursor.give_up(Bail::Unsupported);
            return None;
        }
        if byte != b'"' {
            cursor.give_up(Bail::Unsupported);
            return None;
        }
        cursor.pos += 1;
        let start = cursor.pos;
        let (end, escaped) = cursor.string_end();
        if escaped {
            cursor.give_up(Bail::Unsupported);
            return None;
        }
        cursor.expect(b':');
        cursor.bytes().get(start..end)
    }
}

impl Elements {
    /// Whether another element follows, with the cursor at it; `false` after the closing
    /// bracket (or once the cursor has given up).
    #[inline(always)]
    pub fn next(&mut self, cursor: &mut Cursor<'_>) -> bool {
        let byte = cursor.peek();
        match byte {
            b']' => {
                cursor.pos += 1;
                cursor.depth -= 1;
                return false;
            }
            0 => {
                cursor.give_up(Bail::Unsupported);
                return false;
            }
            _ => {}
        }
        if self.first {
            self.first = false;
        } else if byte == b',' {
            cursor.pos += 1;
        } else {
            cursor.give_up(Bail::Unsupported);
            return false;
        }
        true
    }
}

/// The length of the escape sequence at a backslash, given the bytes after the backslash.
#[inline]
fn escape_len(after: &[u8]) -> Option<usize> {
    match after.first() {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Some(2),
        Some(b'u') => match after.get(1..5) {
            Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => Some(6),
            _ => None,
        },
        _ => None,
    }
}

/// The value of a string's contents with escapes, as JSON defines them; gives up on a
/// surrogate that is not half of a pair.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest.as_bytes()[at + 1..];
        let (ch, len) = match after.first() {
            Some(b'"') => ('"', 2),
            Some(b'\\') => ('\\', 2),
            Some(b'/') => ('/', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => {
                let high = hex4(after.get(1..5))?;
                if (0xDC00..0xE000).contains(&high) {
                    return None;
                }
                if (0xD800..0xDC00).contains(&high) {
                    if after.get(5..7) != Some(b"\\u") {
                        return None;
                    }
                    let low = hex4(after.get(7..11))?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return None;
                    }
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    (char::from_u32(code)?, 12)
                } else {
                    (char::from_u32(high)?, 6)
                }
            }
            _ => return None,
        };
        out.push(ch);
        rest = rest.get(at + len..)?;
    }
    out.push_str(rest);
    Some(out)
}

fn hex4(digits: Option<&[u8]>) -> Option<u32> {
    digits?
        .iter()
        .try_fold(0u32, |acc, &d| Some(acc * 16 + (d as char).to_digit(16)?))
}

/// Reads an object into a struct the way serde's derived `Deserialize` does: each listed key
/// (`"name" | "alias"`) read by its statement, a listed field given twice a reason to give up
/// (serde refuses it), other keys skipped. Each arm carries a distinct bit number, below 64.
macro_rules! read_fields {
    ($cursor:ident, { $($bit:literal : $pattern:pat => $read:expr,)+ }) => {{
        let mut seen = 0u64;
        let mut members = $cursor.object();
        while let Some(key) = members.next_key($cursor) {
            match key {
                $($pattern => {
                    if seen & (1u64 << $bit) != 0 {
                        $cursor.give_up($crate::decoders::json::Bail::Unsupported);
                    }
                    seen |= 1u64 << $bit;
                    $read;
                })+
                _ => $cursor.skip(),
            }
        }
    }};
}
pub(crate) use read_fields;

/// The check every fast path must pass: on a format's test records, and on thousands of
/// mutations of them (bytes deleted, inserted, repeated, cut; values swapped for other types;
/// escapes and duplicate keys), the fast path either gives up or decodes exactly as the serde
/// path does.
#[cfg(test)]
pub mod differential {
    use std::path::{Path, PathBuf};

    use serde_json::Value;

    use super::{Bail, Fast};

    /// The records of every file under `tests/data/<dir>`, and the `event`s of Panther's
    /// samples of `panther_log_type` when `../shared/samples` is there.
    pub fn corpus(dir: &str, panther_log_type: &str) -> Vec<Vec<u8>> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut records = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(root.join("tests/data").join(dir))
            .expect("test data")
            .map(|entry| entry.expect("test data").path())
            .collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).expect("test data");
            let split = crate::framing::split_document(&bytes);
            records.extend(split.records.into_iter().map(|range| bytes[range].to_vec()));
        }
        let panther = root.join("../../../shared/samples/panther/panther-identity-tests.jsonl");
        records.extend(panther_events(&panther, panther_log_type));
        records
    }

    fn panther_events(path: &Path, log_type: &str) -> Vec<Vec<u8>> {
        let Ok(text) = std::fs::read_to_string(path) else {
            return Vec::new();
        };
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|sample| sample["log_type"] == log_type)
            .filter_map(|sample| serde_json::to_vec(&sample["event"]).ok())
            .collect()
    }

    /// A small deterministic generator (xorshift64*), so that a failure reproduces.
    struct Dice(u64);

    impl Dice {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }

        fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
            &items[self.below(items.len())]
        }
    }

    /// Bytes and snippets that make JSON wrong, odd or tricky.
    const SNIPPETS: &[&[u8]] = &[
        b"\"",
        b"\\",
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b" ",
        b"\n",
        b"\t",
        b"\0",
        b"\x1f",
        b"\xff",
        b"\xc3",
        b"\xc3\xa9",
        b"null",
        b"true",
        b"0",
        b"-",
        b"1e5",
        b".5",
        b"01",
        b"\\\"",
        b"\\u00e9",
        b"\\ud83d\\ude00",
        b"\\ud83d",
        b"\\u12",
        b"\\x",
        b"\\/",
        b"\\n",
        b"\"eventType\":\"user.session.start\",",
        b"\"published\":null,",
        b"\"createdDateTime\":\"2025-01-15T08:15:23Z\",",
        b"\"time\":\"2019-08-14T03:12:55Z\",",
        b"\"account\":\"A@B.C\",",
        b"\"actor\":{},",
        b"\"status\":{\"errorCode\":\"50126\"},",
    ];

    /// Values to put in place of any value of a record.
    const VALUES: &[&str] = &[
        "null",
        "true",
        "false",
        "0",
        "-1",
        "1.5",
        "4294967296",
        "99999999999999999999",
        "\"\"",
        "\"x\"",
        "\"3320\"",
        "\"  \"",
        "\"unknown\"",
        "\"\\u0041\"",
        "[]",
        "{}",
        "[{}]",
        "[null,1,\"User\"]",
        "{\"type\":\"User\",\"alternateId\":\"Jane@Example.com\"}",
        "\"2024-05-02T08:14:07.312+02:00\"",
        "\"redacted\"",
        "{\"a\":{\"b\":[1,2]}}",
    ];

    fn mutate(record: &[u8], dice: &mut Dice) -> Vec<u8> {
        let mut out = record.to_vec();
        let at = dice.below(out.len() + 1);
        match dice.below(7) {
            0 if !out.is_empty() => {
                out.remove(at.min(out.len() - 1));
            }
            1 => {
                let snippet = dice.pick(SNIPPETS);
                out.splice(at..at, snippet.iter().copied());
            }
            2 if !out.is_empty() => {
                let at = at.min(out.len() - 1);
                let snippet = dice.pick(SNIPPETS);
                out.splice(at..at + 1, snippet.iter().copied());
            }
            3 => {
                // Repeat a stretch elsewhere: duplicate keys, stray members.
                let from = dice.below(out.len());
                let len = dice.below(80).min(out.len() - from);
                let copy = out[from..from + len].to_vec();
                out.splice(at..at, copy);
            }
            4 => out.truncate(at),
            5 => {
                if let Some(letter) = out.iter_mut().skip(at).find(|b| b.is_ascii_alphabetic()) {
                    *letter ^= 0x20;
                }
            }
            _ => return replace_value(record, dice).unwrap_or(out),
        }
        out
    }

    /// The record with one of its values (at any depth) replaced by another JSON value.
    fn replace_value(record: &[u8], dice: &mut Dice) -> Option<Vec<u8>> {
        let mut value: Value = serde_json::from_slice(record).ok()?;
        let mut paths = Vec::new();
        collect_paths(&value, &mut String::new(), &mut paths);
        let path = dice.pick(&paths).clone();
        let text = VALUES[dice.below(VALUES.len())];
        let replacement = serde_json::from_str(text).ok()?;
        *value.pointer_mut(&path)? = replacement;
        serde_json::to_vec(&value).ok()
    }

    fn collect_paths(value: &Value, path: &mut String, out: &mut Vec<String>) {
        out.push(path.clone());
        let len = path.len();
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    path.push('/');
                    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    collect_paths(child, path, out);
                    path.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push_str(&format!("/{i}"));
                    collect_paths(child, path, out);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// Runs both paths on every record of `corpus` and on `mutants_each` mutations of each
    /// (some mutated twice), and panics on the first disagreement between their results'
    /// `Debug` forms. Returns how many records the fast path decoded, so that a caller can
    /// check it is not giving up on everything.
    pub fn check(
        corpus: &[Vec<u8>],
        mutants_each: usize,
        fast: impl Fn(&[u8]) -> Fast<String>,
        slow: impl Fn(&[u8]) -> String,
    ) -> usize {
        let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
        let mut decoded = 0;
        let mut compare = |record: &[u8]| match fast(record) {
            Ok(fast) => {
                let slow = slow(record);
                assert_eq!(
                    fast,
                    slow,
                    "fast and serde paths disagree on {:?}",
                    String::from_utf8_lossy(record)
                );
                decoded += 1;
            }
            Err(Bail::Unsupported | Bail::TooDeep) => {}
        };
        for record in corpus {
            compare(record);
            for _ in 0..mutants_each {
                let mut mutant = mutate(record, &mut dice);
                if dice.below(3) == 0 {
                    mutant = mutate(&mutant, &mut dice);
                }
                compare(&mutant);
            }
        }
        decoded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Skips one whole record as a value, as a fast path would.
    fn skips(text: &str) -> Fast<()> {
        let mut cursor = Cursor::new(text.as_bytes())?;
        cursor.skip();
        cursor.finish()
    }

    #[test]
    fn accepts_what_json_allows() {
        for text in [
            "{}",
            "[]",
            " { \"a\" : [ 1 , -2.5e+3 , true , false , null , \"x\" ] } \n",
            r#"{"a":{"b":{"c":[[],{}]}}}"#,
            r#""\" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00""#,
            "0",
            "-0.0E-0",
            "\"é漢字😀\"",
            "\"a string longer than eight bytes, crossing several words\"",
        ] {
            assert_eq!(skips(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn gives_up_on_what_json_does_not_allow() {
        for text in [
            "",
            "{",
            "}",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "[1,]",
            "[,1]",
            "{\"a\":1 \"b\":2}",
            "{a:1}",
            "[01]",
            "[1.]",
            "[.5]",
            "[-]",
            "[1e]",
            "[+1]",
            "[tru]",
            "[nul]",
            "[True]",
            "\"unterminated",
            "\"unterminated but long enough to scan by words",
            "\"bad escape \\x\"",
            "\"short \\u12\"",
            "\"bad hex \\u12G4 in a string\"",
            "\"tab\tinside\"",
            "\"newline\ninside a longer string\"",
            "{} {}",
            "[1] x",
            "\u{feff}{}",
        ] {
            assert_eq!(skips(text), Err(Bail::Unsupported), "{text:?}");
        }
    }

    #[test]
    fn gives_up_on_invalid_utf8() {
        assert!(Cursor::new(b"\"\xff\"").is_err());
        assert!(Cursor::new(b"\"\xc3\"").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert_eq!(skips(&ok), Ok(()));
        assert!(!nests_too_deep(ok.as_bytes()));
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(skips(&deep), Err(Bail::TooDeep));
        assert!(nests_too_deep(deep.as_bytes()));
        // Unclosed, and far deeper than any stack could recurse.
        let abyss = "{\"a\":".repeat(1_000_000);
        assert_eq!(skips(&abyss), Err(Bail::TooDeep));
        assert!(nests_too_deep(abyss.as_bytes()));
        // Brackets inside strings, escaped quotes included, do not count.
        let quoted = format!("[\"\\\"{}\"]", "[".repeat(1000));
        assert!(!nests_too_deep(quoted.as_bytes()));
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let record = br#"["plain", "esc\"aped\u00e9\ud83d\ude00", null, 5]"#;
        let mut cursor = Cursor::new(record).unwrap();
        let mut elements = cursor.array();
        assert!(elements.next(&mut cursor));
        assert!(matches!(cursor.str(), Some(Cow::Borrowed("plain"))));
        assert!(elements.next(&mut cursor));
        match cursor.str() {
            Some(Cow::Owned(s)) => assert_eq!(s, "esc\"apedé😀"),
            other => panic!("{other:?}"),
        }
        assert!(elements.next(&mut cursor));
        assert_eq!(cursor.str(), None);
        assert!(elements.next(&mut cursor));
        assert_eq!(cursor.failure, None);
        assert_eq!(cursor.str(), None);
        assert_eq!(
            cursor.finish(),
            Err(Bail::Unsupported),
            "a number is not a string"
        );
    }

    #[test]
    fn giving_up_ends_every_loop_and_is_reported_once() {
        let mut cursor = Cursor::new(br#"{"a":[1,2,{"b":tru}],"c":"d"}"#).unwrap();
        cursor.skip();
        assert_eq!(cursor.failure, Some(Bail::Unsupported));
        let mut members = cursor.object();
        assert_eq!(members.next_key(&mut cursor), None);
        let mut elements = cursor.array();
        assert!(!elements.next(&mut cursor));
        assert_eq!(cursor.str(), None);
        assert_eq!(cursor.finish(), Err(Bail::Unsupported));
        // The first reason is the one reported.
        let deep = "[".repeat(MAX_DEPTH + 1) + "x";
        let mut cursor = Cursor::new(deep.as_bytes()).unwrap();
        cursor.skip();
        assert_eq!(cursor.finish(), Err(Bail::TooDeep));
    }

    #[test]
    fn lone_surrogates_make_it_give_up() {
        for raw in [r"\ud83d", r"\ude00", r"\ud83d\u0041", r"\ud83dx"] {
            assert_eq!(unescape(raw), None, "{raw}");
        }
        assert_eq!(unescape(r"a\u0000b").as_deref(), Some("a\0b"));
    }

    #[test]
    fn keys_with_escapes_make_it_give_up() {
        let mut cursor = Cursor::new(br#"{"k\u0065y":1}"#).unwrap();
        let mut members = cursor.object();
        assert_eq!(members.next_key(&mut cursor), None);
        assert_eq!(cursor.finish(), Err(Bail::Unsupported));
    }

    #[test]
    fn small_unsigned_integers_only() {
        let read = |text: &str| {
            let mut cursor = Cursor::new(text.as_bytes())?;
            let value = cursor.small_uint();
            cursor.finish().map(|()| value)
        };
        assert_eq!(read("0"), Ok(0));
        assert_eq!(read("64500"), Ok(64500));
        assert_eq!(read("999999999999999999"), Ok(999_999_999_999_999_999));
        for text in ["-1", "1.0", "1e3", "9999999999999999999", "\"5\"", "null"] {
            assert_eq!(read(text), Err(Bail::Unsupported), "{text}");
        }
    }

    #[test]
    fn trailing_whitespace_is_fine_and_anything_else_is_not() {
        for (text, ok) in [
            ("{} \n", true),
            ("{}\t\r", true),
            ("{} x", false),
            ("{}\0", false),
        ] {
            let mut cursor = Cursor::new(text.as_bytes()).unwrap();
            cursor.skip();
            assert_eq!(cursor.finish().is_ok(), ok, "{text:?}");
        }
    }

    #[test]
    fn the_block_scanner_finds_the_first_stop() {
        // Every position of every kind of stop, in a block of otherwise ordinary bytes
        // (including non-ASCII ones, whose high bit must not be taken for a stop).
        for filler in [b'a', 0xC3, 0x7F, b' ', 0xFF] {
            for at in 0..16 {
                for stop in [b'"', b'\\', 0x00, 0x1F, b'\n'] {
                    let mut block = [filler; 16];
                    block[at] = stop;
                    assert_eq!(first_stop(&block), at as u32, "{block:?}");
                    assert_eq!(first_stop_portable(&block), at as u32, "{block:?}");
                    // A second stop later does not hide the first.
                    if at < 15 {
                        block[15] = b'"';
                        assert_eq!(first_stop(&block), at as u32, "{block:?}");
                        assert_eq!(first_stop_portable(&block), at as u32, "{block:?}");
                    }
                }
            }
            assert_eq!(first_stop(&[filler; 16]), 16);
            assert_eq!(first_stop_portable(&[filler; 16]), 16);
        }
    }
}
