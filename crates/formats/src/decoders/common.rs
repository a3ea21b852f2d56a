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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoneless_times_are_utc_and_offsets_are_honoured() {
        let utc = parse_time("t", "2019-08-14T03:12:55Z").unwrap();
        assert_eq!(parse_time("t", "2019-08-14T03:12:55").unwrap(), utc);
        assert_eq!(parse_time("t", "2019-08-14T05:12:55+02:00").unwrap(), utc);
    }

    #[test]
    fn impossible_dates_are_errors_not_panics() {
        for text in [
            "2019-02-30T00:00:00Z",
            "2019-13-01T00:00:00Z",
            "yesterday",
            "",
        ] {
            let err = parse_time("published", text).unwrap_err();
            assert!(err.to_string().contains("invalid `published`"), "{err}");
        }
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
