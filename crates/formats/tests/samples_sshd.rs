//! Conformance on real sshd / PAM / Dropbear lines labelled by others (`../shared/samples/sshd`):
//!
//! - fail2ban's sshd filter test lines (`fail2ban-sshd-labelled.jsonl`): every line fail2ban
//!   counts as a failure (`expected_match`) must decode to a failed authentication from the
//!   labelled host at the labelled time, unless it is one of the documented kinds of line
//!   fail2ban bans on that are not an authentication step (connection-level noise of its `ddos`
//!   and `extra` modes), that it judges from earlier lines of the same connection (the decoder
//!   reads one line at a time), or that is not syslog at all (auditd records, honeypot JSON);
//!   every other line must decode or be skipped, and rejections are counted and explained.
//! - Wazuh's sshd / PAM / su rule tests (`wazuh-sshd-labelled.jsonl`): every line of a case whose
//!   rule is an authentication failure must decode to a failure; no line may be rejected.
//! - `wazuh/log-entries-sshd.log`, a real brute-force burst: every line decodes, none rejected.
//!
//! "A failed authentication" is an event with outcome `failure` and one of [`FAILURE_KINDS`]:
//! `account.lookup` (unknown, denied or locked account, a sign-in abandoned after naming an
//! account), `auth.password` (a credential refused, or `MaxAuthTries` reached), `auth.mfa`,
//! `account.lockout`. See docs/formats.md (sshd) for the mapping of each message.

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;

use forewarn_formats::{decoder_for, DecodeContext, Decoded, Format, RecordError};
use forewarn_model::{AuthEvent, Kind, Outcome, Timestamp};
use jiff::civil::DateTime;
use jiff::tz::Offset;
use serde_json::Value;

const FAILURE_KINDS: &[Kind] = &[
    Kind::AccountLookup,
    Kind::AuthPassword,
    Kind::AuthMfa,
    Kind::AccountLockout,
];

/// Skip reasons a line fail2ban bans on may get, and why it is not an authentication step.
const NOT_AUTHENTICATION: &[(&str, &str)] = &[
    (
        "sshd message received disconnect",
        "the client's own goodbye; fail2ban's `extra` mode and its multi-line rules ban on it",
    ),
    (
        "sshd message connection closed",
        "a connection closed without naming an account (or naming an invalid one, which the \
         `Invalid user` line already recorded)",
    ),
    (
        "sshd message connection closed (invalid user)",
        "repeats the `Invalid user` line of the same connection",
    ),
    (
        "sshd message connection reset",
        "connection-level (`ddos` mode)",
    ),
    (
        "sshd message disconnected",
        "connection-level (`ddos` mode)",
    ),
    (
        "sshd message no identification string",
        "a port scan (`ddos` mode)",
    ),
    (
        "sshd message bad protocol version",
        "a port scan (`ddos` mode)",
    ),
    (
        "sshd message key exchange",
        "no account named yet (`extra` / `ddos` modes)",
    ),
    ("sshd message read error", "connection-level (`ddos` mode)"),
    (
        "sshd message protocol error",
        "connection-level (`ddos` mode)",
    ),
    ("sshd message timeout", "connection-level (`ddos` mode)"),
    (
        "sshd message tcp wrappers",
        "TCP wrappers refused the connection: no account named",
    ),
    (
        "sshd message disconnecting",
        "`Too many authentication failures` without a user repeats the line before it",
    ),
    (
        "sshd message invalid user without a name",
        "an empty user name names no account",
    ),
    (
        "dropbear message nonexistent user without a name",
        "Dropbear 2013.59+ does not log the name, so there is no account",
    ),
    (
        "dropbear message max auth tries without a user name",
        "`user 'is invalid'` names no account",
    ),
    (
        "pam message authentication failure without a user",
        "pam_unix leaves `user=` out when the name is unknown; sshd's own `Invalid user` line \
         of the same attempt carries it",
    ),
];

/// Lines fail2ban bans on that decode to something else, each for a documented reason.
const DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "Accepted password for known from 192.0.2.11",
        "a success: fail2ban bans it because the same connection failed for other users before",
    ),
    (
        "Disconnecting: Too many authentication failures for",
        "the failure decodes, but the host is only on an earlier line of the connection",
    ),
    (
        "ssh2: from 10.10.1.2 port 55555 ssh2",
        "sshd appends nothing after `ssh2` for a password, so the tail is the client's user name \
         and the source is 10.10.1.2 (parsed from the right); fail2ban's label takes the first",
    ),
];

fn sshd() -> &'static dyn forewarn_formats::Decoder {
    decoder_for(Format::Sshd).expect("the sshd decoder is registered")
}

fn context() -> DecodeContext {
    DecodeContext {
        reference_time: Timestamp::from_str("2026-12-31T00:00:00Z").unwrap(),
    }
}

fn read_jsonl(name: &str) -> Option<Vec<Value>> {
    let path = common::samples_dir()?.join("sshd").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(
        text.lines()
            .map(|line| serde_json::from_str(line).expect("the sample file is JSON lines"))
            .collect(),
    )
}

fn events_of(decoded: &Decoded<'_>) -> Vec<AuthEvent<'static>> {
    match decoded {
        Decoded::One(event) => vec![event.clone().into_owned()],
        Decoded::Many(events) => events.iter().map(|e| e.clone().into_owned()).collect(),
        Decoded::Skipped(_) => Vec::new(),
    }
}

fn is_failure(event: &AuthEvent<'_>) -> bool {
    event.outcome == Outcome::Failure && FAILURE_KINDS.contains(&event.kind)
}

/// fail2ban stores its journal test lines as `HOST PROG[PID]: MESSAGE`, the fields journald
/// gives it; they reach forewarn as `journalctl -o json` records, so that is what is decoded.
fn as_journal_record(line: &str) -> String {
    let (host, rest) = line.split_once(' ').unwrap_or(("", line));
    let (tag, message) = rest.split_once(": ").unwrap_or((rest, ""));
    let (program, pid) = match tag.split_once('[') {
        Some((program, pid)) => (program, pid.trim_end_matches(']')),
        None => (tag, ""),
    };
    serde_json::json!({
        "__REALTIME_TIMESTAMP": "1705312800000000",
        "_HOSTNAME": host,
        "SYSLOG_IDENTIFIER": program,
        "_COMM": program,
        "_PID": pid,
        "MESSAGE": message,
    })
    .to_string()
}

/// fail2ban's test suite runs in Central European time: its labels for lines that carry a zone
/// (RFC 3339, RFC 5424) are that local time, those of zone-less syslog lines are as written.
fn central_european(time: Timestamp) -> DateTime {
    let utc = Offset::UTC.to_datetime(time);
    let last_sunday = |month: i8| {
        let last = jiff::civil::date(utc.year(), month, 31);
        let back = i64::from(last.weekday().to_sunday_zero_offset());
        last.checked_sub(jiff::Span::new().days(back))
            .unwrap()
            .at(1, 0, 0, 0)
    };
    let summer = utc >= last_sunday(3) && utc < last_sunday(10);
    let offset = Offset::constant(if summer { 2 } else { 1 });
    offset.to_datetime(time)
}

fn has_zone(line: &str) -> bool {
    let b = line.as_bytes();
    b.first() == Some(&b'<')
        || (b.len() > 4 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-')
}

fn same_host(event: &AuthEvent<'_>, label: &str) -> bool {
    match IpAddr::from_str(label) {
        Ok(ip) => event.ip == Some(ip),
        Err(_) => event.source_host.as_deref() == Some(label),
    }
}

/// Month, day, hour, minute and second agree: syslog has no year.
fn same_time(event: &AuthEvent<'_>, line: &str, label: &str) -> bool {
    let Ok(label) = DateTime::from_str(label) else {
        return false;
    };
    let seen = if has_zone(line) {
        central_european(event.time)
    } else {
        Offset::UTC.to_datetime(event.time)
    };
    let parts = |t: DateTime| (t.month(), t.day(), t.hour(), t.minute(), t.second());
    parts(seen) == parts(label)
}

#[derive(Default)]
struct Tally {
    matched: usize,
    not_authentication: BTreeMap<&'static str, usize>,
    disagreements: BTreeMap<&'static str, usize>,
    not_syslog_matched: usize,
    rejected: Vec<String>,
    problems: Vec<String>,
}

#[test]
fn fail2ban_failures_decode_to_failed_authentications_from_the_labelled_host() {
    let Some(cases) = read_jsonl("fail2ban-sshd-labelled.jsonl") else {
        return;
    };
    let mut tally = Tally::default();
    for case in &cases {
        let raw = case["log_line"].as_str().expect("log_line");
        let journal = case["file_options"]["logtype"] == "journal";
        let record = if journal {
            as_journal_record(raw)
        } else {
            raw.to_owned()
        };
        let expected = case["expected_match"].as_bool().unwrap_or(false);
        let label = case["labels"].get(0);
        let host = label.and_then(|l| {
            ["host", "ip4", "ip6"]
                .iter()
                .find_map(|key| l[*key].as_str())
        });
        let time = label.and_then(|l| l["time"].as_str());
        let result = sshd().decode(record.as_bytes(), &context());

        let decoded = match result {
            Ok(decoded) => decoded,
            Err(error) => {
                // Only lines that are not syslog at all may be refused.
                let explained = matches!(error, RecordError::UnknownFormat(_));
                if !explained {
                    tally.problems.push(format!("rejected ({error}): {raw}"));
                }
                tally.rejected.push(format!("{error}: {raw:.60}"));
                if expected {
                    tally.not_syslog_matched += 1;
                }
                continue;
            }
        };
        if !expected {
            continue;
        }
        let events = events_of(&decoded);
        let hit = events.iter().any(|event| {
            is_failure(event)
                && host.is_none_or(|h| same_host(event, h))
                && (journal || time.is_none_or(|t| same_time(event, raw, t)))
        });
        if hit {
            tally.matched += 1;
            continue;
        }
        if let Decoded::Skipped(what) = &decoded {
            if let Some((reason, _)) = NOT_AUTHENTICATION.iter().find(|(r, _)| r == what) {
                *tally.not_authentication.entry(reason).or_default() += 1;
                continue;
            }
        }
        if let Some((marker, _)) = DISAGREEMENTS.iter().find(|(m, _)| raw.contains(m)) {
            *tally.disagreements.entry(marker).or_default() += 1;
            continue;
        }
        tally.problems.push(format!(
            "expected a failure from {host:?} at {time:?}, got {decoded:?}: {raw}"
        ));
    }

    eprintln!(
        "fail2ban: {} lines; {} labelled failures decoded as failed authentications from the \
         labelled host; not authentication steps: {:?}; documented disagreements: {:?}; \
         {} labelled lines are not syslog; {} lines rejected:",
        cases.len(),
        tally.matched,
        tally.not_authentication,
        tally.disagreements,
        tally.not_syslog_matched,
        tally.rejected.len()
    );
    for rejection in &tally.rejected {
        eprintln!("  {rejection}");
    }
    assert!(
        tally.problems.is_empty(),
        "{} lines disagree:\n{}",
        tally.problems.len(),
        tally.problems.join("\n")
    );
    // Every documented exception is still needed, so the lists stay honest.
    for (marker, why) in DISAGREEMENTS {
        assert!(
            tally.disagreements.contains_key(marker),
            "disagreement no longer seen: {marker} ({why})"
        );
    }
    // The file holds Linux audit records, honeypot (cowrie) JSON and two plain text lines that
    // fail2ban's other filters read; those are the only lines refused.
    let explained = |r: &&String| {
        r.contains("a Linux audit record")
            || r.contains("not a journald export record")
            || r.contains("not a syslog line")
    };
    assert!(
        tally.rejected.iter().all(|r| explained(&r)),
        "unexplained rejections: {:?}",
        tally
            .rejected
            .iter()
            .filter(|r| !explained(r))
            .collect::<Vec<_>>()
    );
    assert!(
        tally.rejected.len() <= 19,
        "too many rejections: {}",
        tally.rejected.len()
    );
    assert!(
        tally.matched >= 125,
        "only {} labelled failures matched",
        tally.matched
    );
}

/// Wazuh rules whose alert is an authentication failure (wazuh-ruleset `0095-sshd_rules.xml`,
/// `0085-pam_rules.xml`, `0020-syslog_rules.xml`, `0090-su_rules.xml`): 5710 / 64251 non-existent
/// user, 5716 / 64253 authentication failed, 5718 / 64260 denied user, 5758 / 64254 maximum
/// authentication attempts, 5503 PAM login failed, 2502 password missed more than once,
/// 5301 / 5302 su failed.
const WAZUH_FAILURE_RULES: &[&str] = &[
    "5710", "64251", "5716", "64253", "5718", "64260", "5758", "64254", "5503", "2502", "5301",
    "5302",
];

/// Wazuh rules whose alert is a successful sign-in.
const WAZUH_SUCCESS_RULES: &[&str] = &["5715", "64256"];

/// Lines Wazuh's failure rules fire on that are not a failure step themselves.
const WAZUH_NOT_FAILURE: &[(&str, &str)] = &[(
    "sshd message postponed",
    "rule 5710 fires on any line naming an invalid user; `Postponed` is the step before the \
     answer, and the same case's `Failed … for invalid user` line decodes as the failure",
)];

#[test]
fn wazuh_authentication_failures_decode_to_failures() {
    let Some(cases) = read_jsonl("wazuh-sshd-labelled.jsonl") else {
        return;
    };
    let mut problems = Vec::new();
    let (mut failure_cases, mut failures, mut successes, mut skipped) = (0, 0, 0, 0);
    for case in &cases {
        let rule = case["expected_rule_id"].as_str().unwrap_or_default();
        let lines = case["log_lines"].as_array().expect("log_lines");
        let expect = case["log_line_expect"].as_array().expect("log_line_expect");
        let failure_rule = WAZUH_FAILURE_RULES.contains(&rule);
        let mut case_failures = 0;
        for (line, verdict) in lines.iter().zip(expect) {
            let line = line.as_str().unwrap_or_default();
            // `fail` marks a line the rule does not fire on: it need only decode.
            let fires = verdict == "pass";
            let decoded = match sshd().decode(line.as_bytes(), &context()) {
                Ok(decoded) => decoded,
                Err(error) => {
                    problems.push(format!("{rule}: rejected ({error}): {line}"));
                    continue;
                }
            };
            let events = events_of(&decoded);
            let failed = events.iter().any(is_failure);
            case_failures += usize::from(failed);
            if let Decoded::Skipped(what) = &decoded {
                skipped += 1;
                if fires && failure_rule && WAZUH_NOT_FAILURE.iter().any(|(r, _)| r == what) {
                    continue;
                }
            }
            if fires && failure_rule {
                if failed {
                    failures += 1;
                } else {
                    problems.push(format!(
                        "{rule}: expected a failure, got {decoded:?}: {line}"
                    ));
                }
            }
            if fires && WAZUH_SUCCESS_RULES.contains(&rule) {
                let session = events
                    .iter()
                    .any(|e| e.kind == Kind::SessionStart && e.outcome == Outcome::Success);
                if session {
                    successes += 1;
                } else {
                    problems.push(format!(
                        "{rule}: expected a session, got {decoded:?}: {line}"
                    ));
                }
            }
        }
        if failure_rule {
            failure_cases += 1;
            if case_failures == 0 {
                problems.push(format!("{rule}: no line of the case decodes to a failure"));
            }
        }
    }
    eprintln!(
        "wazuh: {} cases, {failure_cases} of them authentication failures; {failures} failure \
         lines and {successes} successes decoded as such, {skipped} lines skipped",
        cases.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(failures >= 17, "only {failures} failures");
}

#[test]
fn wazuh_brute_force_burst_decodes_whole() {
    let Some(dir) = common::samples_dir() else {
        return;
    };
    let path = dir.join("sshd/wazuh/log-entries-sshd.log");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    // Through the reader, with format detection, as `forewarn scan` reads a file.
    let (events, summary) = common::decode_bytes("log-entries-sshd.log", &bytes);
    let failures = events.iter().filter(|e| is_failure(e)).count();
    eprintln!(
        "wazuh burst: {lines} lines, {} decoded, {} skipped, {} rejected, {failures} failures, \
         {} distinct accounts",
        summary.decoded(),
        summary.skipped(),
        summary.rejected(),
        events
            .iter()
            .map(|e| e.account.as_ref())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    assert_eq!(summary.rejected(), 0, "{:?}", summary.inputs[0].examples);
    assert_eq!(summary.decoded() + summary.skipped(), lines as u64);
    assert_eq!(
        failures, lines,
        "every line of the burst is an `Invalid user`"
    );
    assert!(events.iter().all(|e| e.kind == Kind::AccountLookup
        && e.account_exists == Some(false)
        && e.ip.is_some()));
}
