//! Microsoft 365 unified audit log records read through the reader: Entra sign-ins, Entra
//! directory changes, Exchange forwarding and inbox rules, records to skip and bad records.

mod common;

use forewarn_formats::{Format, Summary};
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};

fn read(name: &str) -> (Vec<AuthEvent<'static>>, Summary) {
    common::decode_fixture(&format!("m365/{name}"))
}

fn counts(summary: &Summary) -> (u64, u64, u64) {
    (summary.decoded(), summary.skipped(), summary.rejected())
}

#[test]
fn typical_failed_logon() {
    let (events, summary) = read("typical.json");
    assert_eq!(counts(&summary), (1, 0, 0));
    assert!(summary.inputs[0].formats.contains_key(&Format::M365));
    let e = &events[0];
    assert_eq!(
        (e.kind, e.outcome, e.reason),
        (
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::BadPassword)
        )
    );
    assert_eq!(e.account, "jonis@example.com");
    assert_eq!(e.ip, "198.51.100.31".parse().ok());
    assert_eq!(e.time.to_string(), "2024-03-05T10:12:44Z");
    assert_eq!(
        e.device_id.as_deref(),
        Some("5c4b3a29-1807-4f6e-8d5c-4b3a29180706")
    );
    assert_eq!(
        e.session.as_deref(),
        Some("9e8d7c6b-5a49-4382-b716-05f4e3d2c1b0")
    );
    assert!(e
        .user_agent
        .as_deref()
        .unwrap_or("")
        .starts_with("Mozilla/5.0"));
}

#[test]
fn logons_map_their_error_numbers() {
    let (events, summary) = read("logons.jsonl");
    assert_eq!(counts(&summary), (7, 1, 0));
    assert_eq!(
        summary.inputs[0].skipped.get("sign-in status 50140"),
        Some(&1)
    );
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.outcome, e.reason, e.account_exists))
        .collect();
    assert_eq!(
        got,
        [
            (Kind::SessionStart, Outcome::Success, None, Some(true)),
            (
                Kind::AuthPassword,
                Outcome::Failure,
                Some(Reason::BadPassword),
                None
            ),
            (
                Kind::AuthPassword,
                Outcome::Failure,
                Some(Reason::UnknownAccount),
                Some(false)
            ),
            (
                Kind::AuthPassword,
                Outcome::Failure,
                Some(Reason::Locked),
                None
            ),
            // 50074: the second factor was asked for; the answer is another record.
            (Kind::AuthMfa, Outcome::Success, None, Some(true)),
            (
                Kind::AuthMfa,
                Outcome::Failure,
                Some(Reason::MfaDenied),
                Some(true)
            ),
            (
                Kind::SessionStart,
                Outcome::Failure,
                Some(Reason::Blocked),
                Some(true)
            ),
        ]
    );
    // ClientIP with a port, and an IPv6 address in brackets with a port.
    assert_eq!(events[1].ip, "198.51.100.31".parse().ok());
    assert_eq!(events[3].ip, "2001:db8:85a3::8a2e:370:7334".parse().ok());
    assert_eq!(events[2].account, "ghost.user@example.com");
}

#[test]
fn exchange_forwarding_and_rules() {
    let (events, summary) = read("exchange.json");
    assert_eq!(counts(&summary), (7, 4, 0));
    let skipped = &summary.inputs[0].skipped;
    for name in [
        "operation MailItemsAccessed",
        "operation Set-InboxRule",
        "operation Set-Mailbox",
        "operation UpdateInboxRules",
    ] {
        assert_eq!(skipped.get(name), Some(&1), "{name}");
    }
    assert!(events.iter().all(|e| e.kind == Kind::MailboxRuleCreate));
    let got: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.account.as_ref(),
                e.outcome,
                e.channel,
                e.channel_target.as_deref(),
                e.actor.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // New-InboxRule forwarding and deleting.
            (
                "jonis@example.com",
                Outcome::Success,
                Some(Channel::Email),
                Some("j.smith.archive@example.net"),
                None
            ),
            // New-InboxRule hiding mail in RSS Subscriptions: forwards nothing, still a rule.
            ("jonis@example.com", Outcome::Success, None, None, None),
            // Set-InboxRule adding a redirect.
            (
                "jonis@example.com",
                Outcome::Success,
                Some(Channel::Email),
                Some("collect@example.org"),
                None
            ),
            // Set-Mailbox by an admin: the mailbox is the account, the admin the actor.
            (
                "lidiah@example.com",
                Outcome::Success,
                Some(Channel::Email),
                Some("lidia.backup@example.net"),
                Some("admin@example.com")
            ),
            (
                "lidiah@example.com",
                Outcome::Failure,
                Some(Channel::Email),
                Some("lidia.backup@example.net"),
                Some("admin@example.com")
            ),
            // UpdateInboxRules from Outlook, forwarding.
            (
                "jonis@example.com",
                Outcome::Success,
                Some(Channel::Email),
                None,
                None
            ),
            // Lower-cased keys.
            (
                "pattif@example.com",
                Outcome::Success,
                Some(Channel::Email),
                Some("pf.copies@example.net"),
                None
            ),
        ]
    );
    assert_eq!(events[0].ip, "203.0.113.17".parse().ok());
    assert_eq!(events[6].time.to_string(), "2024-03-05T10:27:00Z");
}

#[test]
fn entra_directory_changes() {
    let (events, summary) = read("directory.jsonl");
    assert_eq!(counts(&summary), (6, 2, 0));
    let skipped = &summary.inputs[0].skipped;
    assert_eq!(skipped.get("operation Update user"), Some(&1));
    assert_eq!(skipped.get("operation Add member to role"), Some(&1));
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.outcome, e.account.as_ref(), e.actor.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            // Written by the MFA service principal: no person acted on the user's behalf.
            (
                Kind::AccountMfaChange,
                Outcome::Success,
                "jonis@example.com",
                None
            ),
            (
                Kind::AccountMfaChange,
                Outcome::Success,
                "lidiah@example.com",
                Some("admin@example.com")
            ),
            (
                Kind::RecoveryReset,
                Outcome::Success,
                "lidiah@example.com",
                Some("helpdesk.ops@example.com")
            ),
            (
                Kind::AccountPasswordChange,
                Outcome::Success,
                "lidiah@example.com",
                None
            ),
            (
                Kind::AppConsent,
                Outcome::Success,
                "jonis@example.com",
                None
            ),
            (
                Kind::RecoveryReset,
                Outcome::Failure,
                "lidiah@example.com",
                Some("helpdesk.ops@example.com")
            ),
        ]
    );
    assert_eq!(events[0].ip, "192.0.2.10".parse().ok());
}

#[test]
fn bad_records_are_rejected_with_a_reason() {
    let (events, summary) = read("bad.jsonl");
    assert!(events.is_empty());
    assert_eq!(counts(&summary), (0, 0, 6));
    let rejected = &summary.inputs[0].rejected;
    for (reason, n) in [
        ("missing field `CreationTime`", 1),
        ("missing field `Operation`", 1),
        ("missing field `UserId`", 1),
        ("invalid `CreationTime`", 1),
    ] {
        assert_eq!(rejected.get(reason), Some(&n), "{reason}: {rejected:?}");
    }
    assert_eq!(rejected.values().sum::<u64>(), 6, "{rejected:?}");
}

#[test]
fn never_panics_on_truncated_records() {
    let records = [include_str!("data/m365/typical.json")]
        .into_iter()
        .chain(include_str!("data/m365/directory.jsonl").lines());
    common::decode_every_prefix(Format::M365, records.map(str::as_bytes));
}

#[test]
fn snapshots() {
    for name in [
        "typical.json",
        "logons.jsonl",
        "exchange.json",
        "directory.jsonl",
    ] {
        let (events, _) = read(name);
        insta::assert_snapshot!(name, common::native_lines(&events));
    }
}
