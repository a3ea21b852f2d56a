//! Parsing the timestamps vendors write, fast for the common shape.

use jiff::Timestamp;

/// A time that is not RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 3339 time (like 2019-08-14T03:12:55Z)")]
pub struct InvalidTime(pub String);

/// Parses RFC 3339 with `Z` or an offset and up to nine fractional digits, `T` or a space
/// between date and time, or the same without a zone, which every format forewarn reads means
/// as UTC (Microsoft 365 `CreationTime`, for one).
pub fn parse_time(text: &str) -> Result<Timestamp, InvalidTime> {
    if let Some(time) = fast_utc(text.as_bytes()) {
        return Ok(time);
    }
    if let Ok(time) = text.parse::<Timestamp>() {
        return Ok(time);
    }
    if let Ok(civil) = text.parse::<jiff::civil::DateTime>() {
        if let Ok(zoned) = civil.to_zoned_datetime(jiff::tz::TimeZone::UTC) {
            return Ok(zoned.timestamp());
        }
    }
    let shown: String = text.chars().take(64).flat_map(char::escape_debug).collect();
    Err(InvalidTime(shown))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction][Z]`, the shape nearly every record has, without the
/// general parser's cost. Anything else returns `None` and takes the general path.
fn fast_utc(b: &[u8]) -> Option<Timestamp> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        b[range].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 59 || day > days_in_month(year, month) {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0i64;
    if let [b'.', tail @ ..] = rest {
        let count = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if count == 0 || count > 9 {
            return None;
        }
        for (i, c) in tail[..count].iter().enumerate() {
            nanos += i64::from(c - b'0') * 10i64.pow(8 - i as u32);
        }
        rest = &tail[count..];
    }
    if !(rest.is_empty() || rest == b"Z" || rest == b"z" || rest == b"+00:00") {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    Timestamp::new(seconds, nanos as i32).ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Timestamp, D::Error> {
    let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
    parse_time(&text).map_err(|e| serde::de::Error::custom(format!("invalid `time`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_the_general_parser() {
        for text in [
            "2019-08-14T03:12:55Z",
            "2019-08-14T03:12:55.123Z",
            "2024-02-29T23:59:59.1234567Z",
            "1999-12-31T00:00:00.000000001Z",
            "2019-08-14T03:12:55+00:00",
        ] {
            let general: Timestamp = text.parse().unwrap();
            assert_eq!(fast_utc(text.as_bytes()), Some(general), "{text}");
        }
    }

    #[test]
    fn zoneless_times_are_utc_and_offsets_are_honoured() {
        let utc = parse_time("2019-08-14T03:12:55Z").unwrap();
        assert_eq!(parse_time("2019-08-14T03:12:55").unwrap(), utc);
        assert_eq!(parse_time("2019-08-14 03:12:55").unwrap(), utc);
        assert_eq!(parse_time("2019-08-14T05:12:55+02:00").unwrap(), utc);
    }

    #[test]
    fn impossible_dates_are_errors_not_panics() {
        for text in [
            "2019-02-30T00:00:00Z",
            "2019-13-01T00:00:00Z",
            "yesterday",
            "",
        ] {
            assert!(parse_time(text).is_err(), "{text}");
        }
    }
}
