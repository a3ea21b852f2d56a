//! The sshd fixtures (`tests/data/sshd/`) read through the reader, as `forewarn scan` reads
//! files: detection, every line accounted for, kinds, outcomes, reasons, accounts, sources.

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use forewarn_formats::{Format, Summary};
use forewarn_model::{AuthEvent, Kind, Outcome, Reason};

fn ip(text: &str) -> Option<IpAddr> {
    Some(text.parse().expect("an address"))
}

fn skipped(summary: &Summary) -> &BTreeMap<String, u64> {
    &summary.inputs[0].skipped
}

/// `(kind, outcome, reason, account)` of each event, the shape most assertions need.
fn steps(events: &[AuthEvent<'_>]) -> Vec<(Kind, Outcome, Option<Reason>, String)> {
    events
        .iter()
        .map(|e| (e.kind, e.outcome, e.reason, e.account.to_string()))
        .collect()
}

/// Syslog lines carry no year; the decoder picks it from the time of reading, so snapshots
/// show it as `YYYY`.
fn without_year(lines: String) -> String {
    lines
        .lines()
        .map(|line| match line.strip_prefix("{\"time\":\"") {
            Some(rest) if rest.len() > 4 => format!("{{\"time\":\"YYYY{}\n", &rest[4..]),
            _ => format!("{line}\n"),
        })
        .collect()
}

#[test]
fn auth_log_from_a_debian_host() {
    let (events, summary) = common::decode_fixture("sshd/auth.log");
    let input = &summary.inputs[0];
    assert_eq!(input.records, 37);
    assert_eq!(summary.rejected(), 0, "{:?}", input.examples);
    // The file starts with a cron line and is still read as sshd.
    assert_eq!(input.formats.keys().collect::<Vec<_>>(), [&Format::Sshd]);
    assert_eq!(summary.decoded() + summary.skipped(), 37);

    let failures = events
        .iter()
        .filter(|e| e.outcome == Outcome::Failure)
        .count();
    assert_eq!(failures, 24);
    let s = steps(&events);
    use Kind::*;
    use Outcome::*;
    assert!(s.contains(&(
        AccountLookup,
        Failure,
        Some(Reason::UnknownAccount),
        "oracle".into()
    )));
    assert!(s.contains(&(
        AuthPassword,
        Failure,
        Some(Reason::UnknownAccount),
        "oracle".into()
    )));
    assert!(s.contains(&(AuthPassword, Failure, Some(Reason::Blocked), "root".into())));
    assert!(s.contains(&(AccountLookup, Failure, None, "admin".into())));
    assert!(s.contains(&(AccountLookup, Failure, Some(Reason::Blocked), "git".into())));
    assert!(s.contains(&(
        AccountLookup,
        Failure,
        Some(Reason::Locked),
        "backup".into()
    )));
    assert!(s.contains(&(SessionStart, Success, None, "deploy".into())));
    assert!(s.contains(&(AuthPassword, Success, None, "jane".into())));
    assert!(s.contains(&(SessionStart, Success, None, "jane".into())));
    assert!(s.contains(&(
        AccountLookup,
        Failure,
        Some(Reason::UnknownAccount),
        "support".into()
    )));

    let connection = |session: &str| {
        events
            .iter()
            .filter(|e| e.session.as_deref() == Some(session))
            .collect::<Vec<_>>()
    };
    let root_failures = connection("sshd[48310]@bastion");
    // pam_unix's line, three `Failed password`, MaxAuthTries, and pam_unix's summary.
    assert_eq!(root_failures.len(), 6);
    assert!(root_failures
        .iter()
        .all(|e| e.account == "root" && e.ip == ip("203.0.113.45")));
    // rsyslog's `message repeated 2 times: [ … ]` is two attempts.
    assert_eq!(connection("sshd[48600]@bastion").len(), 2);

    let spoofed = events
        .iter()
        .find(|e| e.account == "admin from 192.0.2.250")
        .expect("the user name holding `from` is kept whole");
    assert_eq!(spoofed.ip, ip("203.0.113.99"));

    let su = events
        .iter()
        .filter(|e| e.actor.as_deref() == Some("jane"))
        .count();
    assert_eq!(
        su, 2,
        "su's PAM line and its own line name jane as the actor"
    );

    let v6 = events
        .iter()
        .find(|e| e.ip == ip("2001:db8:4::17"))
        .unwrap();
    assert_eq!(v6.session.as_deref(), Some("sshd-session[48580]@bastion"));

    for (what, count) in [
        ("program cron", 2),
        ("pam message authentication failure without a user", 1),
        ("sshd message pam", 1),
        ("sshd message received disconnect", 1),
        ("sshd message connection closed (invalid user)", 1),
        ("sshd message disconnecting", 1),
        ("sshd message no identification string", 1),
        ("sshd message key exchange", 1),
        ("sshd message session", 1),
        ("sshd message reverse mapping", 1),
        ("program systemd-logind", 1),
    ] {
        assert_eq!(skipped(&summary).get(what), Some(&count), "{what}");
    }
    insta::assert_snapshot!(without_year(common::native_lines(&events)));
}

#[test]
fn freebsd_pam_errors_and_host_names() {
    let (events, summary) = common::decode_fixture("sshd/freebsd.log");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(events.len(), 5);
    assert!(events.iter().all(|e| e.outcome == Outcome::Failure));
    assert_eq!(events[0].source_host.as_deref(), Some("gw.example.com"));
    assert_eq!(events[0].reason, Some(Reason::BadPassword));
    assert_eq!(events[1].reason, Some(Reason::UnknownAccount));
    assert_eq!(events[2].account_exists, Some(false));
    // Not a canonical address: kept as written, never guessed into an IP.
    assert_eq!(events[3].source_host.as_deref(), Some("192.030.0.6"));
    assert_eq!(events[3].ip, None);
    assert_eq!(events[4].reason, Some(Reason::Blocked));
    insta::assert_snapshot!(without_year(common::native_lines(&events)));
}

#[test]
fn rsyslog_high_precision_secure_log() {
    let (events, summary) = common::decode_fixture("sshd/secure.log");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(summary.skipped(), 4);
    let s = steps(&events);
    assert_eq!(
        s,
        [
            (
                Kind::AccountLookup,
                Outcome::Failure,
                Some(Reason::UnknownAccount),
                "postgres".into()
            ),
            (
                Kind::AuthPassword,
                Outcome::Failure,
                Some(Reason::UnknownAccount),
                "postgres".into()
            ),
            (Kind::AuthPassword, Outcome::Success, None, "alice".into()),
            (Kind::SessionStart, Outcome::Success, None, "alice".into()),
            (Kind::AccountLookup, Outcome::Failure, None, "alice".into()),
        ]
    );
    assert_eq!(
        events[0].time.to_string(),
        "2024-01-15T10:00:00.123456Z",
        "RFC 3339 times keep their fraction"
    );
    assert_eq!(
        events[2].time.to_string(),
        "2024-01-15T10:20:13.1002Z",
        "a `+0100` offset is honoured"
    );
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn rfc5424_lines() {
    let (events, summary) = common::decode_fixture("sshd/rfc5424.log");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(skipped(&summary).get("program cron"), Some(&1));
    assert_eq!(events.len(), 3);
    assert_eq!(events[1].time.to_string(), "2024-01-15T15:00:01.004Z");
    assert_eq!(
        events[1].session.as_deref(),
        Some("sshd[4413]@web02.example.com")
    );
    assert_eq!(events[2].reason, Some(Reason::Blocked));
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn journald_json_export() {
    let (events, summary) = common::decode_fixture("sshd/journal.jsonl");
    assert_eq!(summary.rejected(), 0, "{:?}", summary.inputs[0].examples);
    assert_eq!(
        summary.inputs[0].formats.keys().collect::<Vec<_>>(),
        [&Format::Sshd]
    );
    assert_eq!(skipped(&summary).get("program systemd-logind"), Some(&1));
    assert_eq!(events[0].time.to_string(), "2024-01-15T10:00:00.123456Z");
    assert_eq!(events[0].session.as_deref(), Some("sshd[91234]@bastion"));
    // Escaped JSON strings and byte-array messages are read too.
    assert_eq!(events[1].account, "\"admin\"");
    assert_eq!(events.last().unwrap().account, "j\u{fffd}rg");
    assert_eq!(events.len(), 5);
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn dropbear_lines() {
    let (events, summary) = common::decode_fixture("sshd/dropbear.log");
    assert_eq!(summary.rejected(), 0);
    let s = steps(&events);
    use Kind::*;
    use Outcome::*;
    assert_eq!(
        s,
        [
            (
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                "root".into()
            ),
            (AuthPassword, Failure, Some(Reason::Blocked), "root".into()),
            (
                AccountLookup,
                Failure,
                Some(Reason::UnknownAccount),
                "ubnt".into()
            ),
            (AuthPassword, Success, None, "admin".into()),
            (SessionStart, Success, None, "admin".into()),
            (SessionStart, Success, None, "root".into()),
        ]
    );
    assert_eq!(events[2].ip, ip("2001:db8::88"));
    assert_eq!(events[5].ip, ip("192.0.2.21"));
    assert_eq!(
        skipped(&summary).get("dropbear message nonexistent user without a name"),
        Some(&1)
    );
    insta::assert_snapshot!(without_year(common::native_lines(&events)));
}

#[test]
fn bad_lines_are_rejected_with_reasons_and_the_good_ones_around_them_kept() {
    let (events, summary) = common::decode_fixture("sshd/bad.log");
    let input = &summary.inputs[0];
    assert_eq!(input.records, 9);
    assert_eq!(events.len(), 1, "the last line still decodes");
    assert_eq!(summary.skipped(), 1);
    let rejected = common::rejected_by_reason(&summary);
    assert_eq!(
        rejected,
        [
            ("invalid `__REALTIME_TIMESTAMP`", 1),
            ("invalid `timestamp`", 1),
            (
                "invalid type: map, expected a string or an array of bytes",
                1
            ),
            ("missing field `__REALTIME_TIMESTAMP`", 1),
            ("missing field `timestamp`", 2),
            ("unknown format", 1),
        ]
    );
    assert_eq!(input.examples[0].line, 2);
    assert_eq!(input.examples[0].reason, "missing field `timestamp`");
}

#[test]
fn typical_record_is_one_journald_line() {
    let (events, summary) = common::decode_fixture("sshd/typical.json");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, Kind::AuthPassword);
    assert_eq!(events[0].ip, ip("203.0.113.45"));
}
