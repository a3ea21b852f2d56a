//! Small parsers every decoder shares: times, addresses, identifiers.

use std::borrow::Cow;
use std::net::IpAddr;

use forewarn_model::{normalize_account, Timestamp};

use crate::RecordError;

/// Parses the timestamps vendors write: RFC 3339 with `Z` or an offset and up to nine
/// fractional digits, or the same without a zone, which every format here means as UTC
/// (Microsoft 365 `CreationTime`, for one).
pub fn parse_time(field: &'static str, text: &str) -> Result<Timestamp, RecordError> {
    forewarn_model::parse_time(text).map_err(|e| RecordError::invalid(field, e.to_string()))
}

/// A Unix time in milliseconds, as OCSF and several JSON exports write it.
pub fn time_from_millis(field: &'static str, millis: i64) -> Result<Timestamp, RecordError> {
    Timestamp::from_millisecond(millis)
        .map_err(|_| RecordError::invalid(field, format!("{millis} ms is out of range")))
}

/// Parses a source address as vendors write it: plain v4 or v6, `[v6]`, or with a port.
/// `None` when the text is not an address (some logs write a host name).
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(inner) = text.strip_prefix('[') {
        let end = inner.find(']')?;
        return inner[..end].parse().ok();
    }
    let (host, port) = text.rsplit_once(':')?;
    if port.bytes().all(|b| b.is_ascii_digit()) && !host.contains(':') {
        return host.parse().ok();
    }
    None
}

/// The login identifier, lower-cased; `None` for the empty string.
pub fn account(raw: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let normal = normalize_account(raw);
    (!normal.is_empty()).then_some(normal)
}

/// Drops empty strings, which several vendors write instead of leaving a field out.
pub fn non_empty(value: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    value.filter(|v| !v.trim().is_empty())
}

/// Whether `needle` occurs in `haystack`: the building block of cheap sniffers.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// At most `max` characters of attacker-controlled text, for error messages.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((at, _)) => Cow::Owned(format!("{}…", &text[..at])),
        None => Cow::Borrowed(text),
    }
}

/// A time that an export replaced with a placeholder (`redacted`, `[REDACTED]`, `***`): the
/// record is well formed but carries no time to place it on.
pub fn is_redacted(value: &str) -> bool {
    let value = value.trim().trim_matches(['[', ']', '<', '>', '(', ')']);
    value.eq_ignore_ascii_case("redacted")
        || (!value.is_empty() && value.bytes().all(|b| b == b'*'))
}

pub fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Whether `needle` occurs in `haystack`, ASCII case ignored.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    find_ignore_case(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field() {
        let err = parse_time("published", "yesterday").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid `published`: `yesterday`"),
            "{err}"
        );
    }

    #[test]
    fn addresses_with_ports_and_brackets() {
        assert_eq!(parse_ip("203.0.113.7"), "203.0.113.7".parse().ok());
        assert_eq!(parse_ip("203.0.113.7:4433"), "203.0.113.7".parse().ok());
        assert_eq!(parse_ip("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("example.com"), None);
        assert_eq!(parse_ip("192.030.0.6"), None);
    }
}
