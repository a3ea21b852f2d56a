//! Cutting bytes into records.
//!
//! Logs arrive as JSON lines, as one JSON array (an `/api/v1/logs` export), as API pages
//! (`{"value":[…]}` from Microsoft Graph, `{"records":[…]}` from Azure Monitor, `{"items":[…]}`
//! from the Google Reports API, `{"Records":[…]}` from CloudTrail), pretty-printed or not, or as
//! text lines. This module finds record boundaries with a structural scan (strings, escapes and
//! nesting only); it does not validate the records, so one malformed record does not hide its
//! neighbours: the decoder rejects it on its own.

use std::ops::Range;

/// Keys of a top-level object whose array value holds the records of an API page.
pub const ENVELOPE_KEYS: &[&[u8]] = &[b"value", b"records", b"Records", b"items"];

/// How an input is laid out, decided from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One record a line: JSON lines (a line may itself be an API page) or text.
    Lines,
    /// One or more JSON documents spanning lines: arrays, pretty-printed pages or objects.
    Document,
}

/// The records found in a JSON document, and where the scan stopped if it could not finish.
#[derive(Debug, Default)]
pub struct Split {
    pub records: Vec<Range<usize>>,
    pub error: Option<SplitError>,
}

/// A structural error that ended a document scan: the records after `offset` are lost, which
/// the reader reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub offset: usize,
    pub message: &'static str,
}

/// Decides the layout from the start of an input (a few hundred KiB is plenty).
pub fn detect_layout(head: &[u8]) -> Layout {
    let start = skip_ws(head, skip_bom(head));
    match head.get(start) {
        Some(b'[') => Layout::Document,
        Some(b'{') => {
            let line_end = memchr::memchr(b'\n', &head[start..]).map(|n| start + n);
            match skip_value(head, start) {
                // The first object closes on its own line: JSON lines.
                Ok(end) => match line_end {
                    Some(nl) if end > nl => Layout::Document,
                    _ => Layout::Lines,
                },
                // A first line longer than the head is one long JSON line, not a document.
                Err(_) if line_end.is_none() => Layout::Lines,
                Err(_) => Layout::Document,
            }
        }
        _ => Layout::Lines,
    }
}

/// Whether a JSON line needs [`split_document`]: an array, or an object that may be an API
/// page. A cheap test; the split itself decides.
pub fn line_may_hold_several(line: &[u8]) -> bool {
    match line.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => true,
        Some(b'{') => ENVELOPE_KEYS.iter().any(|key| {
            let mut quoted = [0u8; 16];
            let n = key.len() + 2;
            quoted[0] = b'"';
            quoted[1..n - 1].copy_from_slice(key);
            quoted[n - 1] = b'"';
            memchr::memmem::find(line, &quoted[..n]).is_some()
        }),
        _ => false,
    }
}

/// Finds the records in `buf`: the elements of top-level arrays, the elements under an
/// envelope key of top-level objects, and top-level objects without one. Several documents
/// may follow each other (concatenated pages).
pub fn split_document(buf: &[u8]) -> Split {
    let mut split = Split::default();
    let mut pos = skip_ws(buf, skip_bom(buf));
    while pos < buf.len() {
        let result = match buf[pos] {
            b'[' => split_array(buf, pos, &mut split.records),
            b'{' => split_object(buf, pos, &mut split.records),
            _ => Err(SplitError {
                offset: pos,
                message: "expected a JSON object or array",
            }),
        };
        match result {
            Ok(end) => pos = skip_ws(buf, end),
            Err(error) => {
                split.error = Some(error);
                break;
            }
        }
    }
    split
}

fn split_array(buf: &[u8], start: usize, out: &mut Vec<Range<usize>>) -> Result<usize, SplitError> {
    let mut i = skip_ws(buf, start + 1);
    if buf.get(i) == Some(&b']') {
        return Ok(i + 1);
    }
    loop {
        let element_start = i;
        i = skip_value(buf, i)?;
        out.push(element_start..i);
        i = skip_ws(buf, i);
        match buf.get(i) {
            Some(b',') => i = skip_ws(buf, i + 1),
            Some(b']') => return Ok(i + 1),
            Some(_) => return Err(error_at(i, "expected `,` or `]` after an array element")),
            None => {
                return Err(error_at(
                    i,
                    "unexpected end of input inside an array (truncated?)",
                ))
            }
        }
    }
}

fn split_object(
    buf: &[u8],
    start: usize,
    out: &mut Vec<Range<usize>>,
) -> Result<usize, SplitError> {
    let mut i = skip_ws(buf, start + 1);
    let mut is_envelope = false;
    if buf.get(i) != Some(&b'}') {
        loop {
            if buf.get(i) != Some(&b'"') {
                return Err(error_at(i, "expected a quoted key"));
            }
            let key_end = skip_string(buf, i)?;
            let key = &buf[i + 1..key_end - 1];
            i = skip_ws(buf, key_end);
            if buf.get(i) != Some(&b':') {
                return Err(error_at(i, "expected `:` after a key"));
            }
            i = skip_ws(buf, i + 1);
            if buf.get(i) == Some(&b'[') && ENVELOPE_KEYS.contains(&key) {
                i = split_array(buf, i, out)?;
                is_envelope = true;
            } else {
                i = skip_value(buf, i)?;
            }
            i = skip_ws(buf, i);
            match buf.get(i) {
                Some(b',') => i = skip_ws(buf, i + 1),
                Some(b'}') => break,
                Some(_) => return Err(error_at(i, "expected `,` or `}` after a value")),
                None => {
                    return Err(error_at(
                        i,
                        "unexpected end of input inside an object (truncated?)",
                    ))
                }
            }
        }
    }
    let end = i + 1;
    if !is_envelope {
        out.push(start..end);
    }
    Ok(end)
}

/// The end (exclusive) of the JSON value starting at `start`.
pub fn skip_value(buf: &[u8], start: usize) -> Result<usize, SplitError> {
    match buf.get(start) {
        Some(b'"') => skip_string(buf, start),
        Some(b'{' | b'[') => skip_container(buf, start),
        Some(_) => {
            let len = buf[start..]
                .iter()
                .position(|b| matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(buf.len() - start);
            Ok(start + len)
        }
        None => Err(error_at(
            start,
            "unexpected end of input where a value was expected",
        )),
    }
}

/// Whether JSON in `buf` nests arrays and objects deeper than `limit` (strings skipped). The
/// decoders' parsers recurse per level: a record built to nest thousands of levels deep would
/// overflow the stack and end the whole run, not just cost its own line.
pub fn nests_deeper_than(buf: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while i < buf.len() {
        match buf[i] {
            b'"' => match skip_string(buf, i) {
                Ok(end) => {
                    i = end;
                    continue;
                }
                Err(_) => return false,
            },
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

fn skip_container(buf: &[u8], start: usize) -> Result<usize, SplitError> {
    let mut depth = 0usize;
    let mut i = start;
    while i < buf.len() {
        match buf[i] {
            b'"' => {
                i = skip_string(buf, i)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err(error_at(
        start,
        "unexpected end of input inside a value (truncated?)",
    ))
}

fn skip_string(buf: &[u8], start: usize) -> Result<usize, SplitError> {
    let mut i = start + 1;
    while let Some(n) = memchr::memchr2(b'"', b'\\', &buf[i.min(buf.len())..]) {
        i += n;
        if buf[i] == b'\\' {
            i += 2;
        } else {
            return Ok(i + 1);
        }
    }
    Err(error_at(start, "unterminated string (truncated?)"))
}

fn skip_ws(buf: &[u8], mut i: usize) -> usize {
    while i < buf.len() && buf[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn skip_bom(buf: &[u8]) -> usize {
    if buf.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

fn error_at(offset: usize, message: &'static str) -> SplitError {
    SplitError { offset, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<&str> {
        let split = split_document(text.as_bytes());
        assert_eq!(split.error, None);
        split.records.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn arrays_and_every_envelope() {
        assert_eq!(
            records(r#"[{"a":1}, {"b":"]"}]"#),
            [r#"{"a":1}"#, r#"{"b":"]"}"#]
        );
        assert_eq!(
            records(
                r#"{"@odata.context":"x","value":[{"id":"1"},{"id":"2"}],"@odata.nextLink":"y"}"#
            ),
            [r#"{"id":"1"}"#, r#"{"id":"2"}"#]
        );
        assert_eq!(
            records(r#"{"records":[{"category":"SignInLogs"}]}"#),
            [r#"{"category":"SignInLogs"}"#]
        );
        assert_eq!(
            records(r#"{"kind":"admin#reports#activities","items":[{"x":1}]}"#),
            [r#"{"x":1}"#]
        );
        assert_eq!(
            records(r#"{"Records":[{"eventName":"ConsoleLogin"}]}"#),
            [r#"{"eventName":"ConsoleLogin"}"#]
        );
    }

    #[test]
    fn an_object_without_an_envelope_is_one_record() {
        let text = "{\n  \"eventType\": \"user.session.start\",\n  \"target\": [{\"value\": 1}]\n}";
        assert_eq!(records(text), [text]);
    }

    #[test]
    fn concatenated_pages_and_escaped_quotes() {
        assert_eq!(
            records("{\"value\":[{\"s\":\"a\\\"}\"}]}\n{\"value\":[{\"t\":2}]}\n"),
            [r#"{"s":"a\"}"}"#, r#"{"t":2}"#]
        );
    }

    #[test]
    fn a_truncated_array_keeps_the_records_before_the_cut() {
        let text = r#"[{"a":1},{"b":2},{"c":"#;
        let split = split_document(text.as_bytes());
        assert_eq!(split.records.len(), 2);
        let error = split.error.unwrap();
        assert!(error.message.contains("truncated"), "{error:?}");
    }

    #[test]
    fn nesting_depth() {
        assert!(!nests_deeper_than(br#"{"a":[{"b":[1,2]}]}"#, 4));
        assert!(nests_deeper_than(br#"{"a":[{"b":[[1]]}]}"#, 4));
        // Brackets inside strings are text.
        assert!(!nests_deeper_than(br#"{"a":"[[[[[[[[[["}"#, 2));
        let deep = "[".repeat(10_000);
        assert!(nests_deeper_than(deep.as_bytes(), 256));
    }

    #[test]
    fn layouts() {
        assert_eq!(detect_layout(b"{\"a\":1}\n{\"a\":2}\n"), Layout::Lines);
        assert_eq!(
            detect_layout(b"\xEF\xBB\xBF  [\n{\"a\":1}]"),
            Layout::Document
        );
        assert_eq!(detect_layout(b"{\n  \"value\": []\n}\n"), Layout::Document);
        assert_eq!(
            detect_layout(b"{\"a\":\"very long first line"),
            Layout::Lines
        );
        assert_eq!(
            detect_layout(b"Jun 21 16:47:48 host sshd[1]: Failed password"),
            Layout::Lines
        );
        assert_eq!(detect_layout(b""), Layout::Lines);
    }

    #[test]
    fn which_lines_may_hold_several_records() {
        assert!(line_may_hold_several(br#"[{"a":1}]"#));
        assert!(line_may_hold_several(br#"{"records":[{"a":1}]}"#));
        assert!(!line_may_hold_several(
            br#"{"eventType":"user.session.start"}"#
        ));
        assert!(!line_may_hold_several(b"sshd[1]: [preauth]"));
    }
}
