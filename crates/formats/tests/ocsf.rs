//! The OCSF decoder on its fixtures (tests/data/ocsf), read through the Reader as a user's file
//! would be: detection, layouts, kinds, outcomes, reasons, accounts and every record counted.

mod common;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason, Timestamp};

fn time(text: &str) -> Timestamp {
    text.parse().expect("valid time")
}

fn summary_of(events: &[AuthEvent<'_>]) -> Vec<(Kind, Outcome, Option<Reason>, String)> {
    events
        .iter()
        .map(|e| (e.kind, e.outcome, e.reason, e.account.to_string()))
        .collect()
}

#[test]
fn authentication_events() {
    let (events, summary) = common::decode_fixture("ocsf/authentication.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(input.formats.keys().collect::<Vec<_>>(), [&Format::Ocsf]);
    use Kind::*;
    use Outcome::*;
    let jane = "jane.doe@example.com".to_owned();
    assert_eq!(
        summary_of(&events),
        [
            (SessionStart, Success, None, jane.clone()),
            (AuthMfa, Success, None, jane.clone()),
            (SessionStart, Success, None, jane.clone()),
            (
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                jane.clone()
            ),
            (
                AuthPassword,
                Failure,
                Some(Reason::UnknownAccount),
                "ghost.user@example.com".to_owned()
            ),
            (AuthPassword, Failure, Some(Reason::Locked), jane.clone()),
            (AuthMfa, Failure, Some(Reason::MfaDenied), jane.clone()),
            (AuthMfa, Failure, Some(Reason::MfaTimeout), jane.clone()),
            (AuthMfa, Failure, Some(Reason::BadCode), jane.clone()),
            (AuthPassword, Failure, Some(Reason::Blocked), jane.clone()),
            (AuthPassword, Failure, None, jane.clone()),
            (
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                "svc_backup".to_owned()
            ),
            (
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                "a.smith".to_owned()
            ),
            (SessionStart, Success, None, "b.jones".to_owned()),
        ]
    );

    // Okta's own sample shape: `time` in seconds, a country name rather than a code.
    let first = &events[0];
    assert_eq!(first.time, time("2024-08-13T15:58:20Z"));
    assert_eq!(first.ip, "198.51.100.23".parse().ok());
    assert_eq!(first.country, None);
    assert_eq!(first.asn, Some(394089));
    assert_eq!(first.session.as_deref(), Some("102nQ3BKwt8SnCXnTcPUxBnUg"));
    assert_eq!(first.device_id.as_deref(), Some("guofdhyjex1feOgbN1d9"));
    assert!(first
        .user_agent
        .as_deref()
        .is_some_and(|ua| ua.contains("Safari")));

    // The MFA step of a sign-in with `is_mfa`, with its push factor.
    assert_eq!(events[1].channel, Some(Channel::App));
    assert_eq!(events[1].time, events[2].time);
    assert_eq!(
        events[2].country.map(|c| c.to_string()).as_deref(),
        Some("NL")
    );
    assert_eq!(events[2].asn, Some(64501));

    let unknown = &events[4];
    assert_eq!(unknown.account_exists, Some(false));
    let timeout = &events[7];
    assert_eq!(timeout.channel, Some(Channel::Sms));
    assert_eq!(timeout.channel_target.as_deref(), Some("+1 XXX-XXX-4821"));

    // Windows 4625 and 4771 as OCSF.
    assert_eq!(events[11].ip, "198.51.100.77".parse().ok());
    assert_eq!(events[12].ip, "198.51.100.78".parse().ok());
    // actor.user only, a host instead of an address, `time_dt` only.
    let vpn = &events[13];
    assert_eq!(vpn.time, time("2024-08-13T14:10:00Z"));
    assert_eq!(vpn.ip, None);
    assert_eq!(vpn.source_host.as_deref(), Some("vpn-gw1.example.com"));
    assert_eq!(vpn.session.as_deref(), Some("sess-7f3a"));

    assert_eq!(input.skipped(), 5);
    let skipped: Vec<(&str, u64)> = input
        .skipped
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        skipped,
        [
            ("event type Authentication: Account Switch", 1),
            ("event type Authentication: Logoff", 1),
            ("event type Authentication: Logon with status unknown", 1),
            ("event type Authentication: Service Ticket Request", 1),
            ("event type class_uid 4001", 1),
        ]
    );
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn account_change_events_in_a_pretty_printed_array() {
    let (events, summary) = common::decode_fixture("ocsf/account_change.json");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    use Kind::*;
    use Outcome::*;
    let jane = "jane.doe@example.com".to_owned();
    assert_eq!(
        summary_of(&events),
        [
            (AccountPasswordChange, Success, None, jane.clone()),
            (RecoveryReset, Success, None, jane.clone()),
            (RecoveryReset, Failure, None, jane.clone()),
            (AccountLockout, Success, None, "a.smith".to_owned()),
            (AccountMfaChange, Success, None, jane.clone()),
            (AccountMfaChange, Success, None, jane.clone()),
        ]
    );
    // The owner acting on their own account has no actor; the help desk has.
    assert_eq!(events[0].actor, None);
    assert_eq!(
        events[1].actor.as_deref(),
        Some("helpdesk.agent@example.com")
    );
    assert_eq!(events[1].ip, "192.0.2.10".parse().ok());
    assert_eq!(events[3].source_host.as_deref(), Some("WKS-0415"));
    assert_eq!(events[4].channel, Some(Channel::Sms));
    assert_eq!(events[4].channel_target.as_deref(), Some("+1 XXX-XXX-9907"));
    assert_eq!(events[5].channel, Some(Channel::App));
    assert_eq!(
        events[5].actor.as_deref(),
        Some("helpdesk.agent@example.com")
    );
    // Records 1 to 9 of a document: each event points at the line its record starts on.
    assert!(events.windows(2).all(|w| w[0].raw.line < w[1].raw.line));

    let skipped: Vec<(&str, u64)> = input
        .skipped
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        skipped,
        [
            ("event type Account Change: Create", 1),
            (
                "event type Account Change: Password Change with status unknown",
                1
            ),
            ("event type Account Change: Unlock", 1),
        ]
    );
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn api_page_envelope() {
    let (events, summary) = common::decode_fixture("ocsf/page.json");
    assert_eq!(summary.rejected(), 0);
    let kinds: Vec<Kind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [Kind::AccountPasswordChange, Kind::SessionStart]);
    assert_eq!(
        events.iter().map(|e| e.raw.index).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn the_typical_record_decodes() {
    let (events, summary) = common::decode_fixture("ocsf/typical.json");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, Kind::SessionStart);
    assert_eq!(events[0].account, "jane.doe@example.com");
}

#[test]
fn bad_records_are_rejected_with_a_reason_and_the_rest_still_read() {
    let (events, summary) = common::decode_fixture("ocsf/bad.jsonl");
    let input = &summary.inputs[0];
    assert!(events.is_empty());
    assert_eq!(input.records, 9);
    let reasons: Vec<&str> = input.rejected.keys().map(String::as_str).collect();
    assert_eq!(
        reasons,
        [
            "invalid JSON",
            "invalid `class_uid`",
            "invalid `status_id`",
            "invalid `time`",
            "invalid type: string \"jane.doe@example.com\", expected struct User",
            "missing field `activity_id`",
            "missing field `time`",
            "missing field `user.name`",
        ]
    );
    assert_eq!(input.rejected(), 9);
    assert_eq!(
        input.examples[0].to_string(),
        "line 1: missing field `time`"
    );
}

/// Every prefix of a full record, and the record with each byte replaced by characters that
/// change its structure or types, decodes or is rejected — never panics.
#[test]
fn truncated_and_mangled_records_never_panic() {
    let decoder = forewarn_formats::decoder_for(Format::Ocsf).expect("registered");
    let context = forewarn_formats::DecodeContext::default();
    let typical = include_bytes!("data/ocsf/typical.json").trim_ascii();
    for end in 0..typical.len() {
        let _ = decoder.decode(&typical[..end], &context);
    }
    let mut record = typical.to_vec();
    for at in 0..record.len() {
        let original = record[at];
        for replacement in [b'"', b'0', b'[', b'{', b'-', b'\\', 0xff] {
            record[at] = replacement;
            let _ = decoder.decode(&record, &context);
        }
        record[at] = original;
    }
}
