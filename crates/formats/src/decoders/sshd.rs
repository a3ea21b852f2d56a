//! OpenSSH, PAM and Dropbear authentication lines, as syslog writes them to `auth.log` /
//! `secure` / `syslog`, and as `journalctl -o json` exports them.
//!
//! Line shapes read (see `docs/formats.md (sshd)` for every message and its mapping):
//! - traditional BSD syslog, RFC 3164 (`Jun 21 16:47:48 host sshd[13709]: message`), with or
//!   without the host, with or without a `<PRI>` in front; it has no year and no zone (see
//!   [`bsd_time`]);
//! - RFC 3339 timestamps as rsyslog's high-precision template writes them
//!   (`2024-01-15T10:00:00.123456+00:00 host sshd[123]: message`), also with a space between
//!   date and time and a `-0700` offset;
//! - RFC 5424 (`<34>1 2024-01-15T10:00:00Z host sshd 123 - - message`), structured data skipped;
//! - journald JSON export records (`__REALTIME_TIMESTAMP`, `MESSAGE`, `_HOSTNAME`,
//!   `SYSLOG_IDENTIFIER` / `_COMM`, `SYSLOG_PID` / `_PID`), freedesktop.org's
//!   systemd.journal-fields(7).
//!
//! Messages are parsed by hand, not with regular expressions: every message is a fixed format
//! string of OpenSSH (`auth.c` `auth_log`, `auth2.c`, `auth-pam.c`), Linux-PAM (`pam_unix`
//! `support.c`) or Dropbear (`svr-auth.c`, `svr-authpasswd.c`) with attacker-chosen user names in
//! it. A user name can hold spaces and the word `from`, so each message is split from the right,
//! where only the server writes: the source is the right-most ` from HOST port N` that ends the
//! message as sshd's format allows (see [`split_from`]).
//!
//! Lines of other programs are skipped as `program NAME`, sshd lines that are not an
//! authentication step as `sshd message CLASS`; a line that is not syslog at all is an error.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use forewarn_model::{AuthEvent, Kind, Outcome, Reason, Timestamp};
use jiff::civil::DateTime;
use jiff::tz::Offset;
use jiff::SignedDuration;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::common::{account, contains, parse_time, truncate};
use super::lenient::visit_strings;
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Sshd;

impl Decoder for Sshd {
    fn format(&self) -> Format {
        Format::Sshd
    }

    fn sniff(&self, record: &[u8]) -> bool {
        let start = record
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(record.len());
        let record = &record[start..];
        match record.first() {
            None | Some(b'[') => false,
            Some(b'{') => {
                contains(record, b"\"__REALTIME_TIMESTAMP\"")
                    || (contains(record, b"\"SYSLOG_IDENTIFIER\"")
                        && contains(record, b"\"MESSAGE\""))
            }
            // No other format forewarn reads is text, so any syslog-shaped line is ours: an
            // auth.log that starts with a cron line must still be recognised.
            _ => looks_like_syslog(record) || MARKERS.iter().any(|m| contains(record, m)),
        }
    }

    fn decode<'a>(
        &self,
        record: &'a [u8],
        context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        let start = record
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(record.len());
        if record.get(start) == Some(&b'{') {
            return decode_journal(record);
        }
        // sshd escapes what it logs, but other programs in the same file may write Latin-1;
        // such a line is still read rather than lost.
        match String::from_utf8_lossy(record) {
            Cow::Borrowed(line) => decode_syslog(line, context),
            Cow::Owned(line) => decode_syslog(&line, context).map(into_owned),
        }
    }
}

/// Program tags that mark a line as ours even when its header is unusual.
const MARKERS: &[&[u8]] = &[
    b"sshd[",
    b"sshd-session[",
    b" sshd:",
    b"pam_unix",
    b"dropbear[",
];

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A syslog header without parsing it: `<PRI>`, `Mmm d hh:`, or `YYYY-MM-DD[T ]hh:`.
fn looks_like_syslog(b: &[u8]) -> bool {
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if b.first() == Some(&b'<') && digit(1) {
        return true;
    }
    if b.len() >= 10 && MONTHS.iter().any(|m| b[..3] == m[..]) && b[3] == b' ' {
        // `Jun 21 16:`, `Jun  7 16:` and `Feb 7 16:` all have a colon at 8 or 9.
        return b[7..10].contains(&b':');
    }
    b.len() >= 14
        && (0..4).all(digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
}

/// What the header says about a line, besides its message.
struct Meta<'h> {
    time: Timestamp,
    host: Option<&'h str>,
    /// The program tag as written (`sshd`, `su(pam_unix)`, `/usr/sbin/sshd`).
    program: &'h str,
    pid: Option<&'h str>,
}

fn into_owned(decoded: Decoded<'_>) -> Decoded<'static> {
    match decoded {
        Decoded::One(event) => Decoded::One(event.into_owned()),
        Decoded::Many(events) => {
            Decoded::Many(events.into_iter().map(AuthEvent::into_owned).collect())
        }
        Decoded::Skipped(what) => Decoded::Skipped(Cow::Owned(what.into_owned())),
    }
}

// ---------------------------------------------------------------------------------------------
// Syslog headers

fn decode_syslog<'m>(line: &'m str, context: &DecodeContext) -> Result<Decoded<'m>, RecordError> {
    let line = line.trim_start_matches('\u{feff}').trim();
    let (meta, message) = header(line, context)?;
    Ok(decode_message(&meta, message))
}

/// Splits a syslog line into its header and message.
fn header<'m>(line: &'m str, context: &DecodeContext) -> Result<(Meta<'m>, &'m str), RecordError> {
    let mut rest = line;
    if let Some(after) = strip_priority(rest) {
        if let Some(body) = after.strip_prefix("1 ") {
            return rfc5424(body);
        }
        rest = after;
    }
    let (time, after_time) = if let Some((time, len)) = bsd_time(rest.as_bytes(), context) {
        (time, &rest[len..])
    } else if let Some((time, len)) = iso_time(rest)? {
        (time, &rest[len..])
    } else {
        return Err(not_syslog(line));
    };
    let (host, tag, message) = host_and_tag(after_time.trim_start());
    let Some((program, pid)) = tag else {
        // A timestamped line without a program tag is syslog we cannot attribute.
        let meta = Meta {
            time,
            host,
            program: "",
            pid: None,
        };
        return Ok((meta, message));
    };
    Ok((
        Meta {
            time,
            host,
            program,
            pid,
        },
        message,
    ))
}

/// Why a line without a timestamp was refused: a syslog-shaped line that lost its timestamp is
/// missing a field; anything else is not syslog.
fn not_syslog(line: &str) -> RecordError {
    if line.starts_with("type=") && line.contains(" msg=audit(") {
        return RecordError::UnknownFormat(
            "a Linux audit record, not syslog; forewarn reads sshd's syslog lines, not auditd logs"
                .into(),
        );
    }
    let (_, tag, _) = host_and_tag(line);
    if tag.is_some() {
        return RecordError::MissingField("timestamp");
    }
    RecordError::UnknownFormat(format!(
        "not a syslog line (no `Jun 21 16:47:48`, RFC 3339 or `<34>1` timestamp at the start): \
         text starting `{}`",
        truncate(line, 40).escape_debug()
    ))
}

/// `<PRI>` as RFC 3164 §4.1.1 and RFC 5424 §6.2.1 write it.
fn strip_priority(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('<')?;
    let end = inner.find('>')?;
    let digits = (1..=3).contains(&end) && inner[..end].bytes().all(|b| b.is_ascii_digit());
    digits.then(|| &inner[end + 1..])
}

/// Up to this much after the reference time is still "not after" it: syslog times have no zone
/// and are read as UTC, so a host east of UTC writes times up to 14 hours ahead of the file's
/// modification time.
const ZONE_SLACK: SignedDuration = SignedDuration::from_hours(26);

/// `Mmm dd hh:mm:ss[.fraction]` (RFC 3164 §4.1.2; the day space-padded or not) or with a year
/// after the day. Returns the time and the bytes used.
///
/// Without a year the decoder picks the latest year that does not put the event after
/// [`DecodeContext::reference_time`] (plus [`ZONE_SLACK`]): a file modified in January holding
/// `Dec 31` lines is last year's. The time is read as UTC, since the line does not say its zone.
fn bsd_time(b: &[u8], context: &DecodeContext) -> Option<(Timestamp, usize)> {
    let month = MONTHS.iter().position(|m| b.get(..3) == Some(&m[..]))? as i8 + 1;
    let mut at = 3;
    let spaces = b[at..].iter().take_while(|&&c| c == b' ').count();
    if spaces == 0 {
        return None;
    }
    at += spaces;
    let (day, n) = number(&b[at..], 2)?;
    at += n;
    at += expect(&b[at..], b' ')?;
    let mut year = None;
    if let Some((y, 4)) = number(&b[at..], 4) {
        if b.get(at + 4) == Some(&b' ') {
            year = Some(y as i16);
            at += 5;
        }
    }
    let (hour, n) = number(&b[at..], 2)?;
    at += n;
    at += expect(&b[at..], b':')?;
    let (minute, n) = number(&b[at..], 2)?;
    at += n;
    at += expect(&b[at..], b':')?;
    let (second, n) = number(&b[at..], 2)?;
    at += n;
    let mut nanos = 0i32;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        for (i, c) in b[at + 1..at + 1 + digits.min(9)].iter().enumerate() {
            nanos += i32::from(c - b'0') * 10i32.pow(8 - i as u32);
        }
        at += 1 + digits;
    }
    if !matches!(b.get(at), None | Some(b' ')) {
        return None;
    }
    let (day, hour, minute, second) = (day as i8, hour as i8, minute as i8, second as i8);
    let at_year = |year: i16| {
        DateTime::new(year, month, day, hour, minute, second, nanos)
            .ok()
            .and_then(|dt| Offset::UTC.to_timestamp(dt).ok())
    };
    if let Some(year) = year {
        return Some((at_year(year)?, at));
    }
    let reference = context.reference_time;
    let limit = reference.checked_add(ZONE_SLACK).unwrap_or(reference);
    let this_year = Offset::UTC.to_datetime(reference).year();
    // Eight years back reaches the previous 29 February whatever the reference year.
    let time = (this_year.saturating_sub(8)..=this_year.saturating_add(1))
        .rev()
        .filter_map(at_year)
        .find(|time| *time <= limit)?;
    Some((time, at))
}

/// Up to `max` leading digits as a number, and how many there were.
fn number(b: &[u8], max: usize) -> Option<(u32, usize)> {
    let n = b
        .iter()
        .take(max)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n == 0 {
        return None;
    }
    let value = b[..n]
        .iter()
        .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
    Some((value, n))
}

fn expect(b: &[u8], c: u8) -> Option<usize> {
    (b.first() == Some(&c)).then_some(1)
}

/// An RFC 3339 timestamp at the start of the line (rsyslog's `RSYSLOG_FileFormat`), also with a
/// space for the `T` and a `+hhmm` offset. `Ok(None)` when the line does not start with a date.
fn iso_time(line: &str) -> Result<Option<(Timestamp, usize)>, RecordError> {
    let b = line.as_bytes();
    let is_date = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit);
    if !is_date {
        return Ok(None);
    }
    let mut end = line.find(' ').unwrap_or(line.len());
    if end == 10 && line.len() > 11 {
        // `2020-03-23 06:47:42.801612-0700`: the time is the next token.
        let time_len = line[11..].find(' ').unwrap_or(line.len() - 11);
        end = 11 + time_len;
    }
    let text = &line[..end];
    let time = match parse_time("timestamp", text) {
        Ok(time) => time,
        Err(error) => with_colon_offset(text)
            .and_then(|fixed| parse_time("timestamp", &fixed).ok())
            .ok_or(error)?,
    };
    Ok(Some((time, end)))
}

/// `…-0700` → `…-07:00`, the basic-format offset some syslog templates write.
fn with_colon_offset(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let n = b.len();
    let sign = *b.get(n.checked_sub(5)?)?;
    ((sign == b'+' || sign == b'-') && b[n - 4..].iter().all(u8::is_ascii_digit)).then(|| {
        let mut fixed = String::with_capacity(n + 1);
        fixed.push_str(&text[..n - 2]);
        fixed.push(':');
        fixed.push_str(&text[n - 2..]);
        fixed
    })
}

type Tag<'m> = (&'m str, Option<&'m str>);

/// After the timestamp: an optional host, then the tag (`sshd[123]:`, `sshd:`, `[sshd]`,
/// `su(pam_unix)[42]:`), then the message. A line can lack the host (`sshd[8148]: …`, as
/// some daemons write to a local socket).
fn host_and_tag(rest: &str) -> (Option<&str>, Option<Tag<'_>>, &str) {
    let (first, after_first) = token(rest);
    if let Some(tag) = tag(first) {
        return (None, Some(tag), after_first);
    }
    let (second, after_second) = token(after_first);
    match tag(second) {
        Some(tag) => (non_empty(first), Some(tag), after_second),
        None => (non_empty(first), None, after_first),
    }
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// The first space-separated token and what follows it, leading spaces removed.
fn token(text: &str) -> (&str, &str) {
    let text = text.trim_start_matches(' ');
    match text.find(' ') {
        Some(at) => (&text[..at], text[at + 1..].trim_start_matches(' ')),
        None => (text, ""),
    }
}

fn tag(token: &str) -> Option<Tag<'_>> {
    let body = match token.strip_suffix(':') {
        Some(body) => body,
        None if token.ends_with(']') => token,
        None => return None,
    };
    if let Some(inner) = body.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
        return non_empty(inner).map(|program| (program, None));
    }
    if let Some(open) = body.rfind('[') {
        let pid = body[open + 1..].strip_suffix(']')?;
        return non_empty(&body[..open]).map(|program| (program, non_empty(pid)));
    }
    // `host:` is not a tag, but `sshd:` is; a tag without a pid must end with the colon.
    (token.ends_with(':') && !body.is_empty()).then_some((body, None))
}

/// RFC 5424 §6: `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`, after `<PRI>1 `.
fn rfc5424(body: &str) -> Result<(Meta<'_>, &str), RecordError> {
    let (time, rest) = token(body);
    let (host, rest) = token(rest);
    let (app, rest) = token(rest);
    let (procid, rest) = token(rest);
    let (_msgid, rest) = token(rest);
    if time == "-" || time.is_empty() {
        return Err(RecordError::MissingField("timestamp"));
    }
    let time = parse_time("timestamp", time)?;
    let message = skip_structured_data(rest).trim_start_matches('\u{feff}');
    let present = |text: &str| text != "-" && !text.is_empty();
    let meta = Meta {
        time,
        host: Some(host).filter(|h| present(h)),
        program: if present(app) { app } else { "" },
        pid: Some(procid).filter(|p| present(p)),
    };
    Ok((meta, message))
}

/// Skips `-` or `[id param="value"]…`, where values may hold `\]`, `\"` and `]` inside quotes.
fn skip_structured_data(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix('-') {
        return rest.trim_start_matches(' ');
    }
    let b = text.as_bytes();
    let mut at = 0;
    while b.get(at) == Some(&b'[') {
        let mut quoted = false;
        let mut escaped = false;
        at += 1;
        loop {
            let Some(&c) = b.get(at) else {
                return "";
            };
            at += 1;
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
        }
    }
    text[at..].trim_start_matches(' ')
}

// ---------------------------------------------------------------------------------------------
// journald

/// One record of `journalctl -o json`: the fields of systemd.journal-fields(7) forewarn reads.
#[derive(Deserialize)]
struct JournalEntry<'a> {
    #[serde(rename = "__REALTIME_TIMESTAMP", default, borrow)]
    realtime: Option<Cow<'a, str>>,
    #[serde(rename = "MESSAGE", default, borrow)]
    message: Option<JournalText<'a>>,
    #[serde(rename = "_HOSTNAME", default, borrow)]
    hostname: Option<Cow<'a, str>>,
    #[serde(rename = "SYSLOG_IDENTIFIER", default, borrow)]
    identifier: Option<Cow<'a, str>>,
    #[serde(rename = "_COMM", default, borrow)]
    comm: Option<Cow<'a, str>>,
    #[serde(rename = "SYSLOG_PID", default, borrow)]
    syslog_pid: Option<Cow<'a, str>>,
    #[serde(rename = "_PID", default, borrow)]
    pid: Option<Cow<'a, str>>,
}

/// A journald field value: a string, or (for values that are not valid UTF-8) an array of
/// bytes, as `journalctl -o json` writes them.
struct JournalText<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for JournalText<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = JournalText<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of bytes")
            }
            visit_strings!('de, JournalText);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut bytes = Vec::new();
                while let Some(byte) = seq.next_element::<u8>()? {
                    bytes.push(byte);
                }
                Ok(JournalText(Cow::Owned(
                    String::from_utf8_lossy(&bytes).into_owned(),
                )))
            }
        }
        deserializer.deserialize_any(Text)
    }
}

fn decode_journal(record: &[u8]) -> Result<Decoded<'_>, RecordError> {
    let entry: JournalEntry<'_> = sonic_rs::from_slice(record)?;
    let program = entry.identifier.as_deref().or(entry.comm.as_deref());
    let Some(JournalText(message)) = entry.message else {
        if entry.realtime.is_none() && program.is_none() {
            return Err(RecordError::UnknownFormat(
                "a JSON object that is not a journald export record (no `__REALTIME_TIMESTAMP`, \
                 `MESSAGE` or `SYSLOG_IDENTIFIER`)"
                    .into(),
            ));
        }
        return Err(RecordError::MissingField("MESSAGE"));
    };
    let realtime = entry
        .realtime
        .as_deref()
        .ok_or(RecordError::MissingField("__REALTIME_TIMESTAMP"))?;
    let time = realtime
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|micros| Timestamp::from_microsecond(micros).ok())
        .ok_or_else(|| {
            RecordError::invalid(
                "__REALTIME_TIMESTAMP",
                format!(
                    "`{}` is not microseconds since 1970",
                    truncate(realtime, 32)
                ),
            )
        })?;
    let meta = Meta {
        time,
        host: entry.hostname.as_deref(),
        program: program.unwrap_or(""),
        pid: entry.syslog_pid.as_deref().or(entry.pid.as_deref()),
    };
    Ok(match message {
        Cow::Borrowed(message) => decode_message(&meta, message.trim()),
        Cow::Owned(message) => into_owned(decode_message(&meta, message.trim())),
    })
}

// ---------------------------------------------------------------------------------------------
// Messages

/// One authentication step a message describes, before it becomes an event.
struct Step<'m> {
    kind: Kind,
    outcome: Outcome,
    reason: Option<Reason>,
    user: &'m str,
    exists: Option<bool>,
    source: Option<&'m str>,
    actor: Option<&'m str>,
    /// A password accepted: the event is an `auth.password` success followed by the
    /// `session.start` it led to.
    then_session: bool,
}

impl<'m> Step<'m> {
    fn failure(kind: Kind, reason: Option<Reason>, user: &'m str) -> Self {
        Step {
            kind,
            outcome: Outcome::Failure,
            reason,
            user,
            exists: None,
            source: None,
            actor: None,
            then_session: false,
        }
    }
    fn exists(mut self, exists: Option<bool>) -> Self {
        self.exists = exists;
        self
    }
    fn from(mut self, source: Option<&'m str>) -> Self {
        self.source = source;
        self
    }
}

enum Parsed<'m> {
    Step(Step<'m>),
    Skip(Cow<'static, str>),
}

fn skip(what: &'static str) -> Parsed<'static> {
    Parsed::Skip(Cow::Borrowed(what))
}

/// rsyslog folds identical lines into `message repeated N times: [ MESSAGE]`; each repeat was
/// a real attempt, so the message decodes N times. N is rsyslog's, but bounded all the same.
const MAX_REPEATS: usize = 1000;

fn decode_message<'m>(meta: &Meta<'_>, message: &'m str) -> Decoded<'m> {
    let message = message.trim();
    if let Some((times, inner)) = repeated(message) {
        return match decode_one_message(meta, inner) {
            Decoded::One(event) => Decoded::Many(vec![event; times]),
            Decoded::Many(events) => {
                let count = events.len() * times;
                Decoded::Many(events.into_iter().cycle().take(count).collect())
            }
            skipped => skipped,
        };
    }
    decode_one_message(meta, message)
}

/// `message repeated 3 times: [ Failed password for root from 203.0.113.1 port 22 ssh2]`.
fn repeated(message: &str) -> Option<(usize, &str)> {
    let rest = message.strip_prefix("message repeated ")?;
    let (times, rest) = rest.split_once(" times: [")?;
    let times: usize = times.parse().ok()?;
    let inner = rest.strip_suffix(']')?.trim();
    Some((times.clamp(1, MAX_REPEATS), inner))
}

fn decode_one_message<'m>(meta: &Meta<'_>, message: &'m str) -> Decoded<'m> {
    let message = strip_solaris_id(strip_kernel_time(message));
    let (program, pam_tag) = program_name(meta.program);
    let parsed = if program.is_empty() {
        skip("syslog line without a program tag")
    } else if program == "sshd" || program.starts_with("sshd-") {
        sshd_message(message)
    } else if program == "dropbear" {
        dropbear_message(message)
    } else if program == "su" && !pam_tag {
        su_message(message).unwrap_or_else(|| pam_or_skip(program, message))
    } else {
        pam_or_skip(program, message)
    };
    match parsed {
        Parsed::Skip(what) => Decoded::Skipped(what),
        Parsed::Step(step) => events(meta, step),
    }
}

/// The program's base name (`/usr/sbin/sshd` → `sshd`) and whether the tag named PAM
/// (`sshd(pam_unix)`, as old Linux-PAM wrote it).
fn program_name(tag: &str) -> (&str, bool) {
    let base = tag.rsplit('/').next().unwrap_or(tag);
    match base.find('(') {
        Some(open) => (&base[..open], base[open..].starts_with("(pam_")),
        None => (base, false),
    }
}

/// Solaris writes `[ID 800047 auth.info] ` before the message.
fn strip_solaris_id(message: &str) -> &str {
    if let Some(rest) = message.strip_prefix("[ID ") {
        if let Some(end) = rest.find("] ") {
            return rest[end + 2..].trim_start();
        }
    }
    message
}

/// Messages relayed through the kernel log carry `kernel: [  970.699396]` (or
/// `kernel:[12970.699398]:`) before the program's own text.
fn strip_kernel_time(message: &str) -> &str {
    let Some(rest) = message.strip_prefix("kernel:") else {
        return message;
    };
    let Some(rest) = rest.trim_start().strip_prefix('[') else {
        return message;
    };
    let Some((stamp, rest)) = rest.split_once(']') else {
        return message;
    };
    if !stamp
        .trim()
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.')
    {
        return message;
    }
    rest.strip_prefix(':').unwrap_or(rest).trim_start()
}

/// Another program's line: a PAM authentication failure, or skipped under the program's name
/// (lower-cased, so `CRON` and `cron` count together).
fn pam_or_skip<'m>(program: &str, message: &'m str) -> Parsed<'m> {
    pam_failure(message).unwrap_or_else(|| {
        Parsed::Skip(Cow::Owned(format!(
            "program {}",
            truncate(&program.to_ascii_lowercase(), 32)
        )))
    })
}

fn events<'m>(meta: &Meta<'_>, step: Step<'m>) -> Decoded<'m> {
    let Some(user) = account(Cow::Borrowed(step.user)) else {
        return Decoded::Skipped(Cow::Borrowed("sshd message without a user name"));
    };
    let mut event = AuthEvent::new(meta.time, step.kind, step.outcome, user);
    event.account_exists = step.exists;
    event.reason = step.reason;
    if let Some(source) = step.source {
        let (ip, host) = source_of(source);
        event.ip = ip;
        event.source_host = host;
    }
    event.actor = step
        .actor
        .and_then(|actor| account(Cow::Borrowed(actor)))
        .filter(|actor| *actor != event.account);
    // The process id names the connection: every line sshd writes for one client carries it.
    event.session = meta.pid.map(|pid| {
        Cow::Owned(match meta.host {
            Some(host) => format!("{}[{pid}]@{host}", program_name(meta.program).0),
            None => format!("{}[{pid}]", program_name(meta.program).0),
        })
    });
    if step.then_session {
        let mut session = event.clone();
        session.kind = Kind::SessionStart;
        return Decoded::Many(vec![event, session]);
    }
    Decoded::One(event)
}

/// An address becomes `ip` (IPv4-mapped IPv6 as IPv4); anything else that names a host, such
/// as a DNS name under `UseDNS yes` or `192.030.0.6`, is kept as written in `source_host`.
fn source_of(text: &str) -> (Option<IpAddr>, Option<Cow<'_, str>>) {
    let text = text.trim();
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    if let Ok(ip) = inner.parse::<IpAddr>() {
        return (Some(ip.to_canonical()), None);
    }
    if inner.is_empty() || inner == "?" || inner.eq_ignore_ascii_case("unknown") {
        return (None, None);
    }
    (None, Some(Cow::Borrowed(inner)))
}

// ---------------------------------------------------------------------------------------------
// OpenSSH

/// Classifies one sshd message. The formats are OpenSSH's (portable 3.x to 10.x).
fn sshd_message(message: &str) -> Parsed<'_> {
    let message = message
        .strip_suffix("[preauth]")
        .or_else(|| message.strip_suffix("[postauth]"))
        .unwrap_or(message)
        .trim_end();
    let message = message
        .strip_prefix("error: ")
        .or_else(|| message.strip_prefix("fatal: "))
        .unwrap_or(message);

    if let Some(rest) = message.strip_prefix("Failed ") {
        return failed(rest).unwrap_or_else(|| skip("sshd message failed (unparsed)"));
    }
    if let Some(rest) = message.strip_prefix("Accepted ") {
        return accepted(rest).unwrap_or_else(|| skip("sshd message accepted (unparsed)"));
    }
    if let Some(rest) = message
        .strip_prefix("Invalid user ")
        .or_else(|| message.strip_prefix("Illegal user "))
    {
        return invalid_user(rest);
    }
    if let Some(rest) = message.strip_prefix("User ") {
        if let Some(parsed) = not_allowed(rest) {
            return parsed;
        }
    }
    if let Some(rest) = message.strip_prefix("PAM: ") {
        if let Some(parsed) = pam_error(rest) {
            return parsed;
        }
    }
    if let Some(parsed) = pam_failure(message) {
        return parsed;
    }
    if let Some(rest) = message.strip_prefix("maximum authentication attempts exceeded for ") {
        return max_attempts(rest);
    }
    if let Some(user) = message.strip_prefix("Disconnecting: Too many authentication failures for ")
    {
        // OpenSSH before 7.x: the only record of MaxAuthTries, without the source.
        let step = Step::failure(Kind::AuthPassword, Some(Reason::Blocked), user.trim());
        return Parsed::Step(step);
    }
    if let Some(rest) = message.strip_prefix("Disconnecting ") {
        if let Some(parsed) = disconnecting(rest) {
            return parsed;
        }
    }
    for prefix in [
        "Connection closed by ",
        "Connection reset by ",
        "Disconnected from ",
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some(parsed) = closed_during_auth(rest) {
                return parsed;
            }
        }
    }
    if let Some(rest) = message.strip_prefix("ROOT LOGIN REFUSED FROM ") {
        // Old sshd with `PermitRootLogin no`: a root sign-in refused by policy.
        let (host, _) = token(rest);
        let step = Step::failure(Kind::AuthPassword, Some(Reason::Blocked), "root")
            .exists(Some(true))
            .from(non_empty(host));
        return Parsed::Step(step);
    }
    skip(sshd_class(message))
}

/// What the sshd messages that are not authentication steps are, for the summary.
fn sshd_class(message: &str) -> &'static str {
    const CLASSES: &[(&str, &str)] = &[
        ("Received disconnect", "sshd message received disconnect"),
        ("Disconnected from", "sshd message disconnected"),
        ("Disconnecting", "sshd message disconnecting"),
        ("Connection closed", "sshd message connection closed"),
        ("Connection reset", "sshd message connection reset"),
        ("Connection from", "sshd message connection"),
        (
            "Did not receive identification",
            "sshd message no identification string",
        ),
        ("Bad protocol version", "sshd message bad protocol version"),
        ("kex_exchange_identification", "sshd message key exchange"),
        ("banner exchange", "sshd message key exchange"),
        ("Unable to negotiate", "sshd message key exchange"),
        ("no matching", "sshd message key exchange"),
        ("Postponed", "sshd message postponed"),
        ("Partial", "sshd message partial success"),
        ("reverse mapping", "sshd message reverse mapping"),
        ("Address ", "sshd message reverse mapping"),
        (
            "input_userauth_request",
            "sshd message invalid user (repeated)",
        ),
        ("Invalid user", "sshd message invalid user"),
        ("Timeout before authentication", "sshd message timeout"),
        ("refused connect", "sshd message tcp wrappers"),
        ("Read error", "sshd message read error"),
        ("Read from socket failed", "sshd message read error"),
        ("ssh_dispatch_run_fatal", "sshd message protocol error"),
        ("Corrupted MAC", "sshd message protocol error"),
        ("Bad packet length", "sshd message protocol error"),
        ("Authentication refused", "sshd message key file refused"),
        ("Server listening", "sshd message server"),
        ("Received signal", "sshd message server"),
        ("Starting session", "sshd message session"),
        ("pam_unix(sshd:session)", "sshd message session"),
        ("pam_systemd", "sshd message session"),
        ("subsystem request", "sshd message session"),
        ("Close session", "sshd message session"),
        ("PAM: ", "sshd message pam"),
        ("pam_", "sshd message pam"),
        ("debug", "sshd message debug"),
        ("SSH: Server;", "sshd message debug"),
    ];
    CLASSES
        .iter()
        .find(|(prefix, _)| message.starts_with(prefix))
        .map_or("sshd message other", |(_, class)| class)
}

/// `Failed METHOD for [invalid user ]USER from HOST port N ssh2[: INFO]` (`auth.c`, `auth_log`).
fn failed(rest: &str) -> Option<Parsed<'_>> {
    let (method, after) = rest.split_once(" for ")?;
    if method.contains(' ') {
        return None;
    }
    let (who, host) = split_from(after, carries_info(method))?;
    let (user, invalid) = strip_invalid(who);
    let (kind, reason) = match method {
        // `none` asks whether an account needs no credential: the name, not a credential.
        "none" => (Kind::AccountLookup, None),
        _ if carries_info(method) => (Kind::AuthPassword, None),
        _ => (Kind::AuthPassword, Some(Reason::BadPassword)),
    };
    let reason = if invalid {
        Some(Reason::UnknownAccount)
    } else {
        reason
    };
    let step = Step::failure(kind, reason, user)
        .exists(Some(!invalid))
        .from(Some(host));
    Some(Parsed::Step(step))
}

/// `Accepted METHOD for USER from HOST port N ssh2[: INFO]`.
fn accepted(rest: &str) -> Option<Parsed<'_>> {
    let (method, after) = rest.split_once(" for ")?;
    if method.contains(' ') {
        return None;
    }
    let (user, host) = split_from(after, carries_info(method))?;
    let password = method == "password" || method.starts_with("keyboard-interactive");
    let step = Step {
        kind: if password {
            Kind::AuthPassword
        } else {
            Kind::SessionStart
        },
        outcome: Outcome::Success,
        reason: None,
        user,
        exists: Some(true),
        source: Some(host),
        actor: None,
        then_session: password,
    };
    Some(Parsed::Step(step))
}

/// Methods after whose `ssh2` sshd appends `: ` and the key or client details.
fn carries_info(method: &str) -> bool {
    method == "publickey" || method == "hostbased" || method.starts_with("gssapi")
}

/// `invalid user NAME` (and the older `illegal user`); Solaris writes `<invalid username>`.
fn strip_invalid(who: &str) -> (&str, bool) {
    for prefix in ["invalid user", "illegal user"] {
        if let Some(rest) = who.strip_prefix(prefix) {
            if rest.is_empty() {
                return ("", true);
            }
            if let Some(name) = rest.strip_prefix(' ') {
                return (name, true);
            }
        }
    }
    (who, who == "<invalid username>")
}

/// `Invalid user USER from HOST[ port N]`: the name does not exist (or is not allowed to
/// exist, `Illegal user` in old versions).
fn invalid_user(rest: &str) -> Parsed<'_> {
    let Some((user, host)) = split_from(rest, false) else {
        return skip("sshd message invalid user (unparsed)");
    };
    if user.trim().is_empty() {
        return skip("sshd message invalid user without a name");
    }
    let step = Step::failure(Kind::AccountLookup, Some(Reason::UnknownAccount), user)
        .exists(Some(false))
        .from(Some(host));
    Parsed::Step(step)
}

/// `User USER from HOST not allowed because REASON` (`auth.c`, `allowed_user`). USER is the
/// passwd entry's name, so the account exists; REASON is sshd's own text.
fn not_allowed(rest: &str) -> Option<Parsed<'_>> {
    let (left, why) = rest.rsplit_once(" not allowed because ")?;
    let (user, host) = match left.rsplit_once(" from ") {
        Some((user, host)) if !host.contains(' ') => (user, Some(host)),
        _ => (left, None),
    };
    let reason = if why.starts_with("account is locked") {
        Reason::Locked
    } else {
        Reason::Blocked
    };
    let step = Step::failure(Kind::AccountLookup, Some(reason), user)
        .exists(Some(true))
        .from(host);
    Some(Parsed::Step(step))
}

/// `PAM: <pam_strerror> for [illegal user ]USER from HOST[ via LOCAL]` (`auth-pam.c`), as
/// FreeBSD and macOS log a failed PAM password check.
fn pam_error(rest: &str) -> Option<Parsed<'_>> {
    let (what, after) = rest.split_once(" for ")?;
    let after = match after.rsplit_once(" via ") {
        Some((before, local)) if !local.contains(' ') => before,
        _ => after,
    };
    let (who, host) = split_from(after, false)?;
    let (user, invalid) = strip_invalid(who);
    let what = what.to_ascii_lowercase();
    let unknown = invalid || what.contains("not known") || what.contains("unknown user");
    let reason = if unknown {
        Reason::UnknownAccount
    } else if what.contains("expired") {
        Reason::Blocked
    } else {
        Reason::BadPassword
    };
    let step = Step::failure(Kind::AuthPassword, Some(reason), user)
        .exists(unknown.then_some(false))
        .from(Some(host));
    Some(Parsed::Step(step))
}

/// `maximum authentication attempts exceeded for [invalid user ]USER from HOST port N ssh2`
/// (`auth.c`, `auth_maxtries_exceeded`): the connection reached `MaxAuthTries` and is cut.
///
/// An `auth.password` failure with reason `blocked`, not `account.lockout`: the account is not
/// locked (the next connection may try again), and sshd logs it after the attempt's own
/// `Failed` line, so a burst of N connections counts N extra blocked failures.
fn max_attempts(rest: &str) -> Parsed<'_> {
    let Some((who, host)) = split_from(rest, false) else {
        return skip("sshd message maximum attempts (unparsed)");
    };
    let (user, invalid) = strip_invalid(who);
    let step = Step::failure(Kind::AuthPassword, Some(Reason::Blocked), user)
        .exists(Some(!invalid))
        .from(Some(host));
    Parsed::Step(step)
}

/// `Disconnecting {authenticating|invalid} user USER HOST port N: REASON`. Only the change of
/// user name in one connection (a client trying several accounts, which sshd forbids) is an
/// authentication step; `Too many authentication failures` repeats the line before it.
fn disconnecting(rest: &str) -> Option<Parsed<'_>> {
    let (valid, rest) = if let Some(rest) = rest.strip_prefix("authenticating user ") {
        (true, rest)
    } else {
        (false, rest.strip_prefix("invalid user ")?)
    };
    const CHANGE: &str = "Change of username or service not allowed: (";
    let mut from = 0;
    // USER is the client's and may hold anything; REASON repeats USER after `(`, so the right
    // split is the one where they agree.
    while let Some(found) = rest[from..].find(": ") {
        let colon = from + found;
        from = colon + 2;
        let reason = &rest[colon + 2..];
        let Some(names) = reason.strip_prefix(CHANGE) else {
            continue;
        };
        let Some((before_port, port)) = rest[..colon].rsplit_once(" port ") else {
            continue;
        };
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Some((user, host)) = before_port.rsplit_once(' ') else {
            continue;
        };
        if names.starts_with(user) && names[user.len()..].starts_with(',') {
            let reason = Some(Reason::Blocked);
            let step = Step::failure(Kind::AccountLookup, reason, user)
                .exists(Some(valid))
                .from(Some(host));
            return Some(Parsed::Step(step));
        }
    }
    None
}

/// `Connection closed by authenticating user USER HOST port N`, and the same after
/// `Connection reset by` and `Disconnected from` (OpenSSH 7.x+): a client that named an
/// existing account and left before authenticating. It is the only trace of a sign-in started
/// and abandoned (a scanner checking which methods `root` may use), so it is an
/// `account.lookup` failure. The `invalid user` form repeats the `Invalid user` line.
fn closed_during_auth(rest: &str) -> Option<Parsed<'_>> {
    if rest.starts_with("invalid user ") {
        return Some(skip("sshd message connection closed (invalid user)"));
    }
    let rest = rest.strip_prefix("authenticating user ")?;
    let (before_port, port) = rest.rsplit_once(" port ")?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (user, host) = before_port.rsplit_once(' ')?;
    let step = Step::failure(Kind::AccountLookup, None, user)
        .exists(Some(true))
        .from(Some(host));
    Some(Parsed::Step(step))
}

/// Splits `USER from HOST[ port N][ sshN[: INFO]]` at the ` from ` that starts a well-formed
/// tail, searching from the right: sshd writes the user name (the client's, which may hold
/// ` from ` and anything after it) before the address, and nothing the client chooses after it
/// except the key details of `publickey` / `hostbased` (`info`) and the `ruser` of the long-gone
/// ssh1 rhosts methods. A tail with a port is preferred over a bare one, which only versions
/// before 5.x wrote.
fn split_from(text: &str, info: bool) -> Option<(&str, &str)> {
    const FROM: &str = " from ";
    let mut bare = None;
    let mut end = text.len();
    while let Some(at) = text[..end].rfind(FROM) {
        if let Some((host, with_port)) = tail(&text[at + FROM.len()..], info) {
            if with_port {
                return Some((&text[..at], host));
            }
            bare.get_or_insert((&text[..at], host));
        }
        // Occurrences may overlap (`from from `): the next one may end one byte before this.
        end = at + FROM.len() - 1;
    }
    bare
}

/// `HOST[ port N][ ssh1|ssh2[: INFO]]` to the end of the message: the host and whether a port
/// was there. INFO is allowed after `ssh1` and, when `info`, after `ssh2`.
fn tail(text: &str, info: bool) -> Option<(&str, bool)> {
    let (host, rest) = match text.find(' ') {
        Some(at) => (&text[..at], &text[at..]),
        None => (text, ""),
    };
    if host.is_empty() {
        return None;
    }
    if rest.is_empty() {
        return Some((host, false));
    }
    let rest = rest.strip_prefix(" port ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let rest = &rest[digits..];
    if rest.is_empty() {
        return Some((host, true));
    }
    let (rest, ssh1) = if let Some(rest) = rest.strip_prefix(" ssh2") {
        (rest, false)
    } else {
        (rest.strip_prefix(" ssh1")?, true)
    };
    if rest.is_empty() || (rest.starts_with(": ") && (info || ssh1)) {
        return Some((host, true));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Linux-PAM

/// `[pam_unix(SERVICE:auth): ]authentication failure; logname=L uid=N euid=N tty=T ruser=R
/// rhost=H[  user=U]` (pam_unix `support.c`), its old `(pam_unix) ` form, and
/// `[PAM ]N more authentication failures; …`, the summary pam_unix writes when the
/// conversation ends. pam_unix leaves `user=` out when the name is unknown to the system; the
/// name the client gave is then in `ruser` when the application set it.
fn pam_failure(message: &str) -> Option<Parsed<'_>> {
    let (head, fields) = message
        .split_once("authentication failure; ")
        .or_else(|| message.split_once("authentication failures; "))?;
    let head = head.trim();
    let pam_like = head.is_empty()
        || head.starts_with("pam_")
        || head.starts_with("(pam_")
        || head.starts_with("PAM ")
        || head.starts_with(|c: char| c.is_ascii_digit());
    if !pam_like {
        return None;
    }
    let (ruser, rhost, user) = pam_fields(fields);
    let step = match (user, ruser) {
        (Some(user), ruser) => Step {
            actor: ruser,
            ..Step::failure(Kind::AuthPassword, Some(Reason::BadPassword), user)
        },
        (None, Some(ruser)) => {
            Step::failure(Kind::AuthPassword, Some(Reason::UnknownAccount), ruser)
                .exists(Some(false))
        }
        (None, None) => return Some(skip("pam message authentication failure without a user")),
    };
    Some(Parsed::Step(step.from(rhost)))
}

/// `ruser`, `rhost` and `user` from pam_unix's fields. `user` is last and may be the client's
/// (with spaces and ` rhost=` in it), `ruser` may be too; `rhost` is a single token. The
/// `rhost=` chosen is the first one followed by nothing or by `user=`.
fn pam_fields(fields: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let ruser_start = fields.find("ruser=").map(|at| at + "ruser=".len());
    let search_from = ruser_start.unwrap_or(0);
    let mut from = search_from;
    while let Some(found) = fields[from..].find("rhost=") {
        let at = from + found;
        from = at + 1;
        if at > 0 && fields.as_bytes()[at - 1] != b' ' {
            continue;
        }
        let value_start = at + "rhost=".len();
        let value_len = fields[value_start..]
            .find(' ')
            .unwrap_or(fields.len() - value_start);
        let host = &fields[value_start..value_start + value_len];
        let after = fields[value_start + value_len..].trim_start();
        let user = if after.is_empty() {
            None
        } else if let Some(user) = after.strip_prefix("user=") {
            non_empty(user.trim())
        } else {
            continue;
        };
        let ruser = ruser_start
            .filter(|&start| start < at)
            .and_then(|start| non_empty(fields[start..at].trim()));
        return (ruser, non_empty(host), user);
    }
    // No well-formed `rhost=`: a local service; `user=` is still last.
    let user = fields
        .rfind(" user=")
        .and_then(|at| non_empty(fields[at + 6..].trim()));
    (None, None, user)
}

/// util-linux and shadow `su`: `FAILED SU (to TARGET) USER on TTY`, and the older
/// `BAD SU USER to TARGET on TTY` and `failed: TTY changing from USER to TARGET`.
fn su_message(message: &str) -> Option<Parsed<'_>> {
    let (target, actor) = if let Some(rest) = message.strip_prefix("FAILED SU (to ") {
        let (target, rest) = rest.split_once(") ")?;
        let (actor, _) = rest.rsplit_once(" on ")?;
        (target, actor)
    } else if let Some(rest) = message.strip_prefix("BAD SU ") {
        let (pair, _) = rest.rsplit_once(" on ")?;
        let (actor, target) = pair.split_once(" to ")?;
        (target, actor)
    } else {
        let rest = message.strip_prefix("failed: ")?;
        let (_, pair) = rest.split_once(" changing from ")?;
        let (actor, target) = pair.rsplit_once(" to ")?;
        (target, actor)
    };
    let step = Step {
        actor: Some(actor),
        ..Step::failure(Kind::AuthPassword, Some(Reason::BadPassword), target)
    };
    Some(Parsed::Step(step))
}

// ---------------------------------------------------------------------------------------------
// Dropbear

/// Dropbear's messages (`svr-auth.c`, `svr-authpasswd.c`, `svr-authpubkey.c`, `common-session.c`).
/// User names are quoted (`'root'`), sources are `HOST:PORT` or `<HOST:PORT>`.
fn dropbear_message(message: &str) -> Parsed<'_> {
    let message = strip_dropbear_prefix(message);
    if let Some(rest) = message
        .strip_prefix("Bad password attempt for '")
        .or_else(|| message.strip_prefix("bad password attempt for '"))
    {
        return match quoted_then_from(rest) {
            Some((user, host)) => Parsed::Step(
                Step::failure(Kind::AuthPassword, Some(Reason::BadPassword), user)
                    .exists(Some(true))
                    .from(Some(host)),
            ),
            None => skip("dropbear message bad password (unparsed)"),
        };
    }
    if let Some(rest) = message
        .strip_prefix("Login attempt for nonexistent user")
        .or_else(|| message.strip_prefix("login attempt for nonexistent user"))
    {
        // Dropbear 2013.59+ no longer writes the name.
        return match rest.strip_prefix(" '").and_then(quoted_then_from) {
            Some((user, host)) => Parsed::Step(
                Step::failure(Kind::AccountLookup, Some(Reason::UnknownAccount), user)
                    .exists(Some(false))
                    .from(Some(host)),
            ),
            None => skip("dropbear message nonexistent user without a name"),
        };
    }
    if message.starts_with("Exit before auth") && message.contains("Max auth tries reached") {
        return dropbear_max_tries(message);
    }
    if let Some(rest) = message.strip_prefix("Password auth succeeded for '") {
        if let Some((user, host)) = quoted_then_from(rest) {
            return Parsed::Step(Step {
                outcome: Outcome::Success,
                exists: Some(true),
                source: Some(host),
                then_session: true,
                ..Step::failure(Kind::AuthPassword, None, user)
            });
        }
    }
    if let Some(rest) = message.strip_prefix("Pubkey auth succeeded for '") {
        if let Some((user, _)) = rest.split_once('\'') {
            let host = rest.rsplit_once(" from ").map(|(_, host)| host);
            return Parsed::Step(Step {
                outcome: Outcome::Success,
                exists: Some(true),
                source: host.map(strip_port),
                ..Step::failure(Kind::SessionStart, None, user)
            });
        }
    }
    if let Some(rest) = message.strip_prefix("User account '") {
        if let Some(user) = rest.strip_suffix("' is locked") {
            let step = Step::failure(Kind::AccountLookup, Some(Reason::Locked), user);
            return Parsed::Step(step.exists(Some(true)));
        }
    }
    skip(if message.starts_with("Exit before auth") {
        "dropbear message exit before auth"
    } else if message.starts_with("Child connection from") {
        "dropbear message connection"
    } else {
        "dropbear message other"
    })
}

/// Dropbear run under a supervisor logs `[PID] Mmm dd hh:mm:ss ` before its message.
fn strip_dropbear_prefix(message: &str) -> &str {
    let Some(rest) = message.strip_prefix('[') else {
        return message;
    };
    let Some((pid, rest)) = rest.split_once("] ") else {
        return message;
    };
    if !pid.bytes().all(|b| b.is_ascii_digit()) {
        return message;
    }
    let b = rest.as_bytes();
    // `Jul 10 23:53:52 ` is 16 bytes; a single-digit day may be padded either way.
    match rest.get(..16) {
        Some(stamp) if b.len() > 16 && stamp.as_bytes()[15] == b' ' && stamp.contains(':') => {
            &rest[16..]
        }
        _ => rest,
    }
}

/// `NAME' from HOST:PORT` after the opening quote. Dropbear writes the name before the source,
/// so the last `' from ` ends it.
fn quoted_then_from(rest: &str) -> Option<(&str, &str)> {
    let (user, host) = rest.rsplit_once("' from ")?;
    Some((user, strip_port(host)))
}

/// `HOST:PORT`, `<HOST:PORT>`, `[v6]:PORT` → `HOST`.
fn strip_port(text: &str) -> &str {
    let text = text.trim();
    let text = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(text);
    if let Some(inner) = text.strip_prefix('[') {
        if let Some((host, _)) = inner.split_once(']') {
            return host;
        }
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            let v6_without_port = host.contains(':') && host.parse::<IpAddr>().is_err();
            if v6_without_port {
                text
            } else {
                host
            }
        }
        _ => text,
    }
}

/// `Exit before auth[ from <HOST:PORT>]: [(user 'USER', N fails): ]Max auth tries reached - user
/// 'USER'[ from HOST:PORT]`, Dropbear's `MaxAuthTries`: mapped like sshd's (see
/// [`max_attempts`]). `user 'is invalid'` names no account.
fn dropbear_max_tries(message: &str) -> Parsed<'_> {
    let host = message
        .strip_prefix("Exit before auth from <")
        .and_then(|rest| rest.split_once('>'))
        .map(|(host, _)| host)
        .or_else(|| message.rsplit_once("' from ").map(|(_, host)| host));
    let user = message
        .split_once("(user '")
        .and_then(|(_, rest)| rest.split_once(" fails)"))
        .and_then(|(counted, _)| counted.rsplit_once("', "))
        .map(|(user, _)| user)
        .or_else(|| {
            let (_, rest) = message.split_once("Max auth tries reached - user '")?;
            Some(rest.rsplit_once("' from ").map_or(rest, |(user, _)| user))
                .map(|user| user.strip_suffix('\'').unwrap_or(user))
        });
    match user {
        Some(user) if user != "is invalid" && !user.is_empty() => Parsed::Step(
            Step::failure(Kind::AuthPassword, Some(Reason::Blocked), user)
                .from(host.map(strip_port)),
        ),
        _ => skip("dropbear message max auth tries without a user name"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// 2024-06-30T12:00:00Z: a reference time in the middle of a year.
    fn context() -> DecodeContext {
        DecodeContext {
            reference_time: Timestamp::from_str("2024-06-30T12:00:00Z").unwrap(),
        }
    }

    fn one(line: &str) -> AuthEvent<'_> {
        match Sshd.decode(line.as_bytes(), &context()).unwrap() {
            Decoded::One(event) => event,
            other => panic!("expected one event from {line:?}, got {other:?}"),
        }
    }

    fn skipped(line: &str) -> String {
        match Sshd.decode(line.as_bytes(), &context()).unwrap() {
            Decoded::Skipped(what) => what.into_owned(),
            other => panic!("expected a skip from {line:?}, got {other:?}"),
        }
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn failed_password_for_a_valid_and_an_invalid_user() {
        let event = one("Jun 21 16:47:48 web1 sshd[13709]: Failed password for Alice from 203.0.113.7 port 50273 ssh2");
        assert_eq!(event.kind, Kind::AuthPassword);
        assert_eq!(event.outcome, Outcome::Failure);
        assert_eq!(event.reason, Some(Reason::BadPassword));
        assert_eq!(event.account, "alice");
        assert_eq!(event.account_exists, Some(true));
        assert_eq!(event.ip, ip("203.0.113.7"));
        assert_eq!(event.session.as_deref(), Some("sshd[13709]@web1"));
        assert_eq!(event.time.to_string(), "2024-06-21T16:47:48Z");

        let event = one("Jun 21 16:47:48 web1 sshd[13709]: Failed password for invalid user ROOT from 2001:db8::7 port 50273 ssh2");
        assert_eq!(event.reason, Some(Reason::UnknownAccount));
        assert_eq!(event.account, "root");
        assert_eq!(event.account_exists, Some(false));
        assert_eq!(event.ip, ip("2001:db8::7"));
    }

    #[test]
    fn user_names_holding_from_are_split_from_the_right() {
        let event =
            one("Jan  5 01:31:41 h sshd[1]: Invalid user admin from 1.2.3.4 from 5.6.7.8 port 22");
        assert_eq!(event.account, "admin from 1.2.3.4");
        assert_eq!(event.ip, ip("5.6.7.8"));

        let event = one("Jan  5 01:31:41 h sshd[1]: Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from 192.0.2.1 port 58946 ssh2");
        assert_eq!(event.account, "test from 10.10.1.2 port 55555 ssh2");
        assert_eq!(event.ip, ip("192.0.2.1"));

        // sshd appends nothing after `ssh2` for a password, so this tail is the client's name.
        let event = one("Jan  5 01:31:41 h sshd[1]: Failed password for invalid user test from 192.0.2.1 port 58946 ssh2: from 198.51.100.2 port 55555 ssh2");
        assert_eq!(event.ip, ip("198.51.100.2"));

        let event = one("Jan  5 01:31:41 h sshd[1]: Failed password for invalid user from 10.10.1.1 from 192.0.2.1 port 58946 ssh2");
        assert_eq!(event.account, "from 10.10.1.1");
        assert_eq!(event.ip, ip("192.0.2.1"));

        let event = one("Jan  5 01:31:41 h sshd[1]: Invalid user from from 192.0.2.9 port 1");
        assert_eq!(event.account, "from");

        let event = one("Jan  5 01:31:41 h sshd[1]: Connection closed by authenticating user test 127.0.0.1 port 12345 192.0.2.11 port 46039 [preauth]");
        assert_eq!(event.account, "test 127.0.0.1 port 12345");
        assert_eq!(event.ip, ip("192.0.2.11"));
    }

    #[test]
    fn key_details_after_ssh2_are_not_part_of_the_source() {
        let event = one("Jul 05 18:22:44 mercury sshd[4669]: Failed publickey for invalid user graysky from 192.0.2.4 port 37954 ssh2: RSA SHA256:v3dpapGleDaUKf$4V1vKyR9ZyUgjaJAmoCTcb2PLljI");
        assert_eq!(event.ip, ip("192.0.2.4"));
        assert_eq!(event.reason, Some(Reason::UnknownAccount));
        let event = one("Sep 29 17:15:02 h sshd[12946]: Failed password for user from 192.0.2.1 port 20000 ssh1: ruser x from 1.2.3.4");
        assert_eq!(event.ip, ip("192.0.2.1"));
    }

    #[test]
    fn accepted_password_is_a_password_success_and_a_session() {
        let Decoded::Many(events) = Sshd
            .decode(
                b"Mar  7 18:53:24 bar sshd[1558]: Accepted password for known from 192.0.2.114 port 52100 ssh2",
                &context(),
            )
            .unwrap()
        else {
            panic!("two events")
        };
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].kind, Kind::AuthPassword);
        assert_eq!(events[1].kind, Kind::SessionStart);
        assert!(events.iter().all(|e| e.outcome == Outcome::Success));
        let event = one("Mar  7 18:53:24 bar sshd[1558]: Accepted publickey for git from 192.0.2.1 port 57904 ssh2: ED25519 SHA256:abc");
        assert_eq!(event.kind, Kind::SessionStart);
    }

    #[test]
    fn pam_unix_failures_keep_the_last_well_formed_rhost() {
        let event = one("Mar  7 18:53:20 bar sshd[1556]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.113  user=rda");
        assert_eq!(event.account, "rda");
        assert_eq!(event.reason, Some(Reason::BadPassword));
        assert_eq!(event.ip, ip("192.0.2.113"));
        let event = one("Jul 19 18:11:50 srv2 daemon: pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser=test rhost=192.0.2.151 rhost=192.0.2.1");
        assert_eq!(event.ip, ip("192.0.2.1"));
        let event = one("Jul 19 18:11:52 srv2 daemon: pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser= rhost=192.0.2.2 user=test rhost=192.0.2.152");
        assert_eq!(event.ip, ip("192.0.2.2"));
        assert_eq!(event.account, "test rhost=192.0.2.152");
        let event = one("May 12 09:47:54 vaio sshd[16004]: (pam_unix) authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=71-13-115-12.static.example.com  user=root");
        assert_eq!(
            event.source_host.as_deref(),
            Some("71-13-115-12.static.example.com")
        );
        assert_eq!(event.ip, None);
    }

    #[test]
    fn su_failures_name_the_target_and_the_actor() {
        let event = one("Nov 11 22:46:29 localhost su(pam_unix)[23164]: authentication failure; logname= uid=1342 euid=0 tty= ruser=dcid rhost=  user=osaudit");
        assert_eq!(event.account, "osaudit");
        assert_eq!(event.actor.as_deref(), Some("dcid"));
        assert_eq!(event.ip, None);
        let event = one("Apr 27 15:22:23 niban su[234]: BAD SU ger to fwmaster on /dev/ttyp0");
        assert_eq!(
            (event.account.as_ref(), event.actor.as_deref()),
            ("fwmaster", Some("ger"))
        );
        let event =
            one("Apr 27 15:22:23 niban su[2921936]: failed: ttyq4 changing from ldap to root");
        assert_eq!(
            (event.account.as_ref(), event.actor.as_deref()),
            ("root", Some("ldap"))
        );
    }

    #[test]
    fn max_attempts_is_a_blocked_password_failure() {
        let event = one("Nov 23 21:50:38 myhost sshd[109798]: error: maximum authentication attempts exceeded for invalid user xxx from 192.0.2.7 port 49941 ssh2 [preauth]");
        assert_eq!(event.kind, Kind::AuthPassword);
        assert_eq!(event.reason, Some(Reason::Blocked));
        assert_eq!(event.account_exists, Some(false));
        assert_eq!(skipped("Nov 23 21:50:38 myhost sshd[109798]: Disconnecting invalid user xxx 192.0.2.7 port 49941: Too many authentication failures [preauth]"), "sshd message disconnecting");
    }

    #[test]
    fn change_of_user_name_is_a_blocked_lookup() {
        let event = one("Mar 19 16:47:49 test sshd[5672]: Disconnecting invalid user admin 192.0.2.117 port 44004: Change of username or service not allowed: (admin,ssh-connection) -> (user,ssh-connection) [preauth]");
        assert_eq!(event.kind, Kind::AccountLookup);
        assert_eq!(event.account, "admin");
        assert_eq!(event.ip, ip("192.0.2.117"));
        assert_eq!(event.reason, Some(Reason::Blocked));
    }

    #[test]
    fn not_allowed_users_exist_and_are_blocked_or_locked() {
        let event = one("Apr 16 22:01:15 al-ribat sshd[5154]: User root from 46.45.128.3 not allowed because listed in DenyUsers");
        assert_eq!(event.reason, Some(Reason::Blocked));
        assert_eq!(event.account_exists, Some(true));
        let event =
            one("Apr 24 01:39:19 host sshd[3719]: User root not allowed because account is locked");
        assert_eq!(event.reason, Some(Reason::Locked));
        assert_eq!(event.ip, None);
    }

    #[test]
    fn non_canonical_addresses_and_names_are_kept_as_written() {
        let event = one("Jun 21 16:47:48 h sshd[13709]: error: PAM: Authentication failure for myhlj1374 from 192.030.0.6");
        assert_eq!(event.source_host.as_deref(), Some("192.030.0.6"));
        assert_eq!(event.ip, None);
        let event = one("Apr 29 17:16:20 mac sshd[62312]: error: PAM: authentication error for james from example.com via 192.168.1.201");
        assert_eq!(event.source_host.as_deref(), Some("example.com"));
        let event = one("Jan  5 01:31:41 www sshd[1643]: ROOT LOGIN REFUSED FROM ::ffff:1.2.3.4");
        assert_eq!(event.ip, ip("1.2.3.4"));
    }

    #[test]
    fn dropbear_messages() {
        let event = one("Mar 24 15:25:51 b1 dropbear[4092]: Bad password attempt for 'root' from 198.51.100.87:5543");
        assert_eq!(
            (event.account.as_ref(), event.ip),
            ("root", ip("198.51.100.87"))
        );
        let event = one("Jul 10 23:57:29 t dropbear[825]: [825] Jul 10 23:57:29 Exit before auth from <192.0.2.3:52289>: (user 'root', 10 fails): Max auth tries reached - user 'root'");
        assert_eq!(
            (event.reason, event.ip),
            (Some(Reason::Blocked), ip("192.0.2.3"))
        );
        let event = one("Jul 27 01:04:22 t dropbear[1335]: Exit before auth (user 'root', 10 fails): Max auth tries reached - user 'root' from 1.2.3.4:60588");
        assert_eq!(event.ip, ip("1.2.3.4"));
        let event = one("Feb 11 15:23:17 dropbear[1252]: Login attempt for nonexistent user 'oracle' from ::ffff:198.51.100.215:60495");
        assert_eq!(
            (event.account.as_ref(), event.ip),
            ("oracle", ip("198.51.100.215"))
        );
        assert_eq!(
            skipped("Feb 11 15:23:17 dropbear[1252]: login attempt for nonexistent user from ::ffff:198.51.100.215:60495"),
            "dropbear message nonexistent user without a name"
        );
    }

    #[test]
    fn header_shapes() {
        let event =
            one("2015-04-16T18:02:50.321974+00:00 host sshd[2716]: Invalid user a from 192.0.2.1");
        assert_eq!(event.time.to_string(), "2015-04-16T18:02:50.321974Z");
        let event = one(
            "2020-03-23 06:47:42.801612-0700  localhost sshd[3186]: Invalid user a from 192.0.2.1",
        );
        assert_eq!(event.time.to_string(), "2020-03-23T13:47:42.801612Z");
        let event = one(
            r#"<38>1 2019-07-08T17:40:17.954167-04:00 h.example.com sshd 55555 - [timeQuality tzKnown="1"][x@1 t="[b\"]"] Failed unknown for invalid user redmond from 192.0.2.2 port 55555 ssh2"#,
        );
        assert_eq!(event.ip, ip("192.0.2.2"));
        assert_eq!(event.session.as_deref(), Some("sshd[55555]@h.example.com"));
        let event = one("<38>Feb  7 16:01:07 sshd[5106]: Invalid user a from 192.0.2.1");
        assert_eq!(event.session.as_deref(), Some("sshd[5106]"));
        let event = one("Jun 25 23:53:34 [sshd] User root from 1.2.3.4 not allowed because not listed in AllowUsers");
        assert_eq!(event.ip, ip("1.2.3.4"));
        let event = one("Jul  3 14:59:17 host sshd-session[1571]: Failed password for root from 192.0.2.1 port 56502 ssh2");
        assert_eq!(event.account, "root");
        let event = one("Mar 29 05:59:23 dusky sshd[20878]: [ID 800047 auth.info] Failed keyboard-interactive for <invalid username> from 205.186.180.55 port 42742 ssh2");
        assert_eq!(event.account_exists, Some(false));
    }

    #[test]
    fn the_year_is_the_latest_that_is_not_after_the_reference() {
        let event = one("Dec 31 23:59:59 h sshd[1]: Invalid user a from 192.0.2.1");
        assert_eq!(event.time.to_string(), "2023-12-31T23:59:59Z");
        // A few hours ahead of the reference is a zone, not last year.
        let event = one("Jun 30 20:00:00 h sshd[1]: Invalid user a from 192.0.2.1");
        assert_eq!(event.time.to_string(), "2024-06-30T20:00:00Z");
        let event = one("Feb 29 10:00:00 h sshd[1]: Invalid user a from 192.0.2.1");
        assert_eq!(event.time.to_string(), "2024-02-29T10:00:00Z");
        let late = DecodeContext {
            reference_time: Timestamp::from_str("2025-03-01T00:00:00Z").unwrap(),
        };
        let Decoded::One(event) = Sshd
            .decode(
                b"Feb 29 10:00:00 h sshd[1]: Invalid user a from 192.0.2.1",
                &late,
            )
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(event.time.to_string(), "2024-02-29T10:00:00Z");
    }

    #[test]
    fn journald_records() {
        let record = br#"{"__REALTIME_TIMESTAMP":"1705312800123456","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"sshd","_PID":"123","MESSAGE":"Failed password for root from 203.0.113.9 port 2222 ssh2"}"#;
        assert!(Sshd.sniff(record));
        let Decoded::One(event) = Sshd.decode(record, &context()).unwrap() else {
            panic!()
        };
        assert_eq!(event.time.to_string(), "2024-01-15T10:00:00.123456Z");
        assert_eq!(event.session.as_deref(), Some("sshd[123]@web1"));
        // A message that is not UTF-8 comes as an array of bytes.
        let record = br#"{"__REALTIME_TIMESTAMP":"1705312800000000","SYSLOG_IDENTIFIER":"sshd","MESSAGE":[73,110,118,97,108,105,100,32,117,115,101,114,32,255,32,102,114,111,109,32,49,46,50,46,51,46,52]}"#;
        let Decoded::One(event) = Sshd.decode(record, &context()).unwrap() else {
            panic!()
        };
        assert_eq!(event.account, "\u{fffd}");
        let err = Sshd
            .decode(br#"{"SYSLOG_IDENTIFIER":"sshd","MESSAGE":"x"}"#, &context())
            .unwrap_err();
        assert_eq!(err, RecordError::MissingField("__REALTIME_TIMESTAMP"));
    }

    #[test]
    fn rsyslog_repeats_decode_once_per_repeat() {
        let line = "Jun 21 16:47:48 web1 sshd[13709]: message repeated 3 times: [ Failed password for root from 203.0.113.7 port 50273 ssh2]";
        let Decoded::Many(events) = Sshd.decode(line.as_bytes(), &context()).unwrap() else {
            panic!("three events")
        };
        assert_eq!(events.len(), 3);
        assert!(events
            .iter()
            .all(|e| e.account == "root" && e.reason == Some(Reason::BadPassword)));
        let line = "Jun 21 16:47:48 web1 sshd[13709]: message repeated 99999999999 times: [ Accepted password for root from 203.0.113.7 port 50273 ssh2]";
        let Decoded::Many(events) = Sshd.decode(line.as_bytes(), &context()).unwrap() else {
            panic!("bounded repeats")
        };
        assert_eq!(events.len(), 2 * MAX_REPEATS);
    }

    #[test]
    fn other_programs_and_other_sshd_messages_are_skipped() {
        assert_eq!(
            skipped("Jun 21 17:17:01 h CRON[1]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"),
            "program cron"
        );
        assert_eq!(
            skipped("Jun 21 17:17:01 h systemd[1]: Started Session 5."),
            "program systemd"
        );
        assert_eq!(
            skipped("Jun 21 17:17:01 h sshd[5]: Received disconnect from 192.0.2.1 port 5:11: Bye Bye [preauth]"),
            "sshd message received disconnect"
        );
        assert_eq!(
            skipped("Jun  6 04:17:04 host sshd[1189074]: Invalid user  from 192.0.2.68 port 34916"),
            "sshd message invalid user without a name"
        );
    }

    #[test]
    fn lines_that_are_not_syslog_say_why() {
        let err = Sshd
            .decode(b"not a log line at all", &context())
            .unwrap_err();
        assert!(
            matches!(err, RecordError::UnknownFormat(ref m) if m.contains("not a syslog line")),
            "{err}"
        );
        let err = Sshd
            .decode(
                b"srv sshd[13709]: Failed password for a from 1.2.3.4",
                &context(),
            )
            .unwrap_err();
        assert_eq!(err, RecordError::MissingField("timestamp"));
        let err = Sshd
            .decode(
                br#"{"eventid":"cowrie.session.connect","src_ip":"192.0.2.1"}"#,
                &context(),
            )
            .unwrap_err();
        assert!(matches!(err, RecordError::UnknownFormat(_)), "{err}");
    }

    #[test]
    fn sniffing_claims_syslog_but_not_json_of_other_formats() {
        assert!(Sshd.sniff(b"Jun 21 17:17:01 h CRON[1]: (root) CMD (run-parts)"));
        assert!(Sshd.sniff(b"Feb 7 16:01:07 h sshd[5106]: x"));
        assert!(Sshd.sniff(b"2024-01-15T10:00:00Z h sshd[1]: x"));
        assert!(Sshd.sniff(b"<34>1 2024-01-15T10:00:00Z h sshd 1 - - x"));
        assert!(!Sshd
            .sniff(br#"{"eventType":"user.session.start","published":"2024-01-15T10:00:00Z"}"#));
        assert!(!Sshd.sniff(b"[{\"a\":1}]"));
        assert!(!Sshd.sniff(b"hello world"));
    }

    #[test]
    fn garbage_never_panics() {
        let lines: &[&[u8]] = &[
            b"", b"<", b"<1", b"<999>1 ", b"<34>1 - - - - - -", b"Jan", b"Jan 1", b"Jan 99 99:99:99 h sshd[1]: x",
            b"Jan  1 00:00:00", b"Jan  1 00:00:00 ", b"Jan  1 00:00:00 h", b"Jan  1 00:00:00 h sshd[",
            b"Jan  1 00:00:00 h sshd[1]: Failed ", b"Jan  1 00:00:00 h sshd[1]: Failed password for ",
            b"Jan  1 00:00:00 h sshd[1]: Invalid user ", b"Jan  1 00:00:00 h sshd[1]: User  not allowed because ",
            b"Jan  1 00:00:00 h sshd[1]: Disconnecting invalid user a b port 1: Change of username or service not allowed: (",
            b"Jan  1 00:00:00 h dropbear[1]: [1] x", b"Jan  1 00:00:00 h dropbear[1]: Exit before auth from <: Max auth tries reached - user '",
            b"Jan  1 00:00:00 h x: authentication failure; ruser=rhost=", b"2024-01-15", b"2024-01-15 ", b"2024-01-15T",
            b"\xff\xfe Jan", b"{", b"{\"MESSAGE\":1}", b"<34>1 2024-01-15T10:00:00Z h sshd 1 - [unterminated",
        ];
        for line in lines {
            let _ = Sshd.sniff(line);
            let _ = Sshd.decode(line, &context());
        }
    }
}
