//! Google Workspace Reports API activities through the reader: every layout, every mapped event,
//! and bad records. Fixtures are in `tests/data/gws/`, written from the Reports API reference.

mod common;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, Reason, Risk};

fn find<'e>(events: &'e [AuthEvent<'static>], time: &str) -> Vec<&'e AuthEvent<'static>> {
    events
        .iter()
        .filter(|e| e.time.to_string().starts_with(time))
        .collect()
}

fn only<'e>(events: &'e [AuthEvent<'static>], time: &str) -> &'e AuthEvent<'static> {
    let found = find(events, time);
    assert_eq!(found.len(), 1, "events at {time}: {found:?}");
    found[0]
}

#[test]
fn login_activities() {
    let (events, summary) = common::decode_fixture("gws/login.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(input.formats.keys().collect::<Vec<_>>(), [&Format::Gws]);
    assert_eq!(
        input.skipped,
        [("event type login/logout".to_owned(), 1)].into()
    );
    assert_eq!(input.decoded(), 33);
    assert_eq!(events.len(), 34);

    let success = only(&events, "2024-05-14T08:21:37");
    assert_eq!(
        (success.kind, success.outcome),
        (Kind::SessionStart, Outcome::Success)
    );
    assert_eq!(success.account, "amira.haddad@example.com");
    assert_eq!(success.ip, "203.0.113.24".parse().ok());
    assert_eq!(success.country, Country::new("DE").ok());
    assert_eq!(success.asn, Some(64501));
    assert_eq!(success.risk, None);
    assert_eq!(
        only(&events, "2024-05-14T08:22:05").risk,
        Some(Risk::Medium)
    );

    type Case = (&'static str, Kind, Outcome, Option<Reason>, Option<Channel>);
    let cases: &[Case] = &[
        (
            "2024-05-14T08:23:11",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::BadPassword),
            None,
        ),
        (
            "2024-05-14T08:23:40",
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::BadCode),
            Some(Channel::App),
        ),
        (
            "2024-05-14T08:24:02",
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::MfaTimeout),
            Some(Channel::App),
        ),
        (
            "2024-05-14T08:24:30",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::Locked),
            None,
        ),
        (
            "2024-05-14T08:25:00",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::Blocked),
            None,
        ),
        (
            "2024-05-14T08:25:30",
            Kind::AuthPassword,
            Outcome::Failure,
            None,
            None,
        ),
        (
            "2024-05-14T08:26:00",
            Kind::AuthMfa,
            Outcome::Success,
            None,
            Some(Channel::Sms),
        ),
        (
            "2024-05-14T08:26:30",
            Kind::AuthMfa,
            Outcome::Failure,
            None,
            None,
        ),
        (
            "2024-05-14T08:27:00",
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::MfaDenied),
            Some(Channel::App),
        ),
        (
            "2024-05-14T08:27:20",
            Kind::AuthMfa,
            Outcome::Success,
            None,
            None,
        ),
        (
            "2024-05-14T12:00:00",
            Kind::AccountRecoveryInfoChange,
            Outcome::Success,
            None,
            Some(Channel::Email),
        ),
        (
            "2024-05-14T12:00:10",
            Kind::AccountRecoveryInfoChange,
            Outcome::Success,
            None,
            Some(Channel::Sms),
        ),
        (
            "2024-05-14T12:00:20",
            Kind::AccountRecoveryInfoChange,
            Outcome::Success,
            None,
            None,
        ),
        (
            "2024-05-14T12:01:00",
            Kind::AccountPasswordChange,
            Outcome::Success,
            None,
            None,
        ),
        (
            "2024-05-14T12:02:00",
            Kind::AccountMfaChange,
            Outcome::Success,
            None,
            None,
        ),
        (
            "2024-05-14T12:03:00",
            Kind::AccountMfaChange,
            Outcome::Success,
            None,
            None,
        ),
        (
            "2024-05-14T12:04:00",
            Kind::MailboxRuleCreate,
            Outcome::Success,
            None,
            Some(Channel::Email),
        ),
        (
            "2024-05-14T12:05:00",
            Kind::AuthMfa,
            Outcome::Success,
            None,
            None,
        ),
        (
            "2024-05-14T12:05:30",
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::Blocked),
            None,
        ),
    ];
    for &(time, kind, outcome, reason, channel) in cases {
        let event = only(&events, time);
        assert_eq!(
            (event.kind, event.outcome, event.reason, event.channel),
            (kind, outcome, reason, channel),
            "{time}"
        );
    }
    assert_eq!(
        only(&events, "2024-05-14T12:04:00")
            .channel_target
            .as_deref(),
        Some("l.vogt.archive@example.net")
    );

    // Account warnings: Google's verdict, about the affected user, at the sign-in's own time.
    let blocked = only(&events, "2024-05-14T08:03:00");
    assert_eq!(
        (blocked.kind, blocked.outcome, blocked.reason, blocked.risk),
        (
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::Blocked),
            Some(Risk::High)
        )
    );
    assert_eq!(blocked.account, "lena.vogt@example.com");
    let gov = find(&events, "2024-05-14T11:00:00")
        .into_iter()
        .find(|e| e.account == "amira.haddad@example.com")
        .expect("the government-backed attack warning");
    assert_eq!((gov.kind, gov.risk), (Kind::AuthPassword, Some(Risk::High)));
    assert_eq!(gov.ip, None);
    let lockouts: Vec<Option<Risk>> = events
        .iter()
        .filter(|e| e.kind == Kind::AccountLockout)
        .map(|e| e.risk)
        .collect();
    assert_eq!(
        lockouts,
        [
            Some(Risk::High),
            Some(Risk::High),
            Some(Risk::Medium),
            Some(Risk::Medium),
            None
        ]
    );
    // `account_disabled_hijacked` carries the sign-in time (2024-05-14T11:00:00Z).
    assert_eq!(find(&events, "2024-05-14T11:00:00").len(), 2);

    // One activity with three events: two used, one skipped, all at the activity's time.
    let several = find(&events, "2024-05-14T12:10:00");
    let kinds: Vec<(Kind, Outcome)> = several.iter().map(|e| (e.kind, e.outcome)).collect();
    assert_eq!(
        kinds,
        [
            (Kind::AuthPassword, Outcome::Failure),
            (Kind::AuthMfa, Outcome::Failure)
        ]
    );
    assert!(several
        .iter()
        .all(|e| e.ip == "2001:db8:4f2a::17".parse().ok()));
    assert!(several.iter().all(|e| e.raw == several[0].raw));

    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn user_accounts_activities() {
    let (events, summary) = common::decode_fixture("gws/user_accounts.jsonl");
    assert_eq!(summary.rejected() + summary.skipped(), 0);
    let kinds: Vec<(Kind, Option<Channel>)> = events.iter().map(|e| (e.kind, e.channel)).collect();
    assert_eq!(
        kinds,
        [
            (Kind::AccountMfaChange, None),
            (Kind::AccountMfaChange, None),
            (Kind::AccountPasswordChange, None),
            (Kind::AccountRecoveryInfoChange, Some(Channel::Email)),
            (Kind::AccountRecoveryInfoChange, Some(Channel::Sms)),
            (Kind::AccountRecoveryInfoChange, None),
            (Kind::AccountMfaChange, None),
            (Kind::AccountMfaChange, None),
            (Kind::MailboxRuleCreate, Some(Channel::Email)),
        ]
    );
    assert!(events.iter().all(|e| e.account == "noor.aziz@example.com"
        && e.actor.is_none()
        && e.outcome == Outcome::Success));
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn admin_actions_are_about_the_user_and_name_the_admin() {
    let (events, summary) = common::decode_fixture("gws/admin.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(
        input.skipped,
        [
            ("event type admin/CHANGE_APPLICATION_SETTING".to_owned(), 1),
            (
                "event type admin/CHANGE_PASSWORD_ON_NEXT_LOGIN".to_owned(),
                1
            ),
            ("event type admin/RESET_SIGNIN_COOKIES".to_owned(), 1),
        ]
        .into()
    );
    let reset = only(&events, "2024-05-16T09:00:00");
    assert_eq!(reset.kind, Kind::AccountPasswordChange);
    assert_eq!(reset.account, "lena.vogt@example.com");
    assert_eq!(reset.actor.as_deref(), Some("it.admin@example.com"));
    assert_eq!(reset.ip, "192.0.2.10".parse().ok());

    let kinds: Vec<Kind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::AccountPasswordChange,
            Kind::AccountRecoveryInfoChange,
            Kind::AccountRecoveryInfoChange,
            Kind::AccountRecoveryInfoChange,
            Kind::AccountMfaChange,
            Kind::AccountMfaChange,
            Kind::AccountMfaChange,
            Kind::AccountMfaChange,
            Kind::AccountLockout,
            Kind::MailboxRuleCreate,
            Kind::MailboxRuleCreate,
            Kind::AccountPasswordChange,
            Kind::AccountPasswordChange,
            Kind::AccountMfaChange,
        ]
    );
    let monitor = only(&events, "2024-05-16T09:04:00");
    assert_eq!(
        monitor.channel_target.as_deref(),
        Some("legal.hold@example.com")
    );
    let routing = only(&events, "2024-05-16T09:05:00");
    assert_eq!(routing.channel_target.as_deref(), Some("drop@example.net"));
    // An admin changing their own password is not acting on someone else.
    assert_eq!(only(&events, "2024-05-16T09:08:00").actor, None);
    let pair = find(&events, "2024-05-16T09:09:00");
    assert!(pair.iter().all(|e| e.account == "j.okafor@example.com"));
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn oauth_grants() {
    let (events, summary) = common::decode_fixture("gws/token.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0);
    assert_eq!(
        input.skipped,
        [
            ("event type token/activity".to_owned(), 1),
            ("event type token/revoke".to_owned(), 1),
        ]
        .into()
    );
    let kinds: Vec<(Kind, Outcome, &str)> = events
        .iter()
        .map(|e| (e.kind, e.outcome, e.account.as_ref()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Kind::AppConsent, Outcome::Success, "lena.vogt@example.com"),
            (
                Kind::AppConsent,
                Outcome::Failure,
                "amira.haddad@example.com"
            ),
        ]
    );
}

#[test]
fn pages_arrays_and_pretty_printing_decode_alike() {
    let (page, summary) = common::decode_fixture("gws/page.json");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(page.len(), 3);
    assert_eq!(
        summary.inputs[0].skipped,
        [("event type drive/view".to_owned(), 1)].into()
    );
    let (lines, _) = common::decode_fixture("gws/login.jsonl");
    // The same activities as the first three JSON lines (the raw reference is not serialized).
    assert_eq!(
        common::native_lines(&page),
        common::native_lines(&lines[..3])
    );

    let (array, summary) = common::decode_fixture("gws/array.json");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(summary.skipped(), 1);
    assert_eq!(array.len(), 2);
    assert_eq!(
        (array[0].kind, array[1].kind),
        (Kind::AccountPasswordChange, Kind::AppConsent)
    );

    let (pages, summary) = common::decode_fixture("gws/pages.jsonl");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(pages.len(), 4);
    assert_eq!((pages[0].raw.line, pages[0].raw.index), (1, 1));
    assert_eq!((pages[3].raw.line, pages[3].raw.index), (2, 2));
}

#[test]
fn flattened_exports() {
    let (events, summary) = common::decode_fixture("gws/flattened.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(
        input.skipped,
        [
            ("event type admin/CREATE_ROLE".to_owned(), 1),
            ("event type drive/rename".to_owned(), 1),
        ]
        .into()
    );
    let kinds: Vec<(Kind, Outcome, Option<Risk>)> =
        events.iter().map(|e| (e.kind, e.outcome, e.risk)).collect();
    assert_eq!(
        kinds,
        [
            (Kind::AuthPassword, Outcome::Failure, None),
            (Kind::SessionStart, Outcome::Success, Some(Risk::Medium)),
            (Kind::AccountRecoveryInfoChange, Outcome::Success, None),
            (Kind::AccountRecoveryInfoChange, Outcome::Success, None),
        ]
    );
    assert_eq!(events[0].account, "ravi.menon@example.com");
    assert_eq!(events[0].time.to_string(), "2024-05-18T06:12:40.118Z");
    assert_eq!(events[3].actor.as_deref(), Some("it.admin@example.com"));
}

#[test]
fn bad_records_are_rejected_with_a_reason_and_do_not_hide_good_ones() {
    let (events, summary) = common::decode_fixture("gws/bad.jsonl");
    let input = &summary.inputs[0];
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(
        input.skipped,
        [("event type drive/view".to_owned(), 1)].into()
    );
    let reasons: Vec<&str> = input.examples.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert_eq!(reasons[0], "missing field `id.time`");
    assert!(
        reasons[1].starts_with("invalid `id.time`"),
        "{}",
        reasons[1]
    );
    assert!(reasons[2].contains("invalid type"), "{}", reasons[2]);
    assert_eq!(reasons[3], "missing field `actor.email`");
    assert_eq!(reasons[4], "missing field `parameters.USER_EMAIL`");
    let by_reason = common::rejected_by_reason(&summary);
    assert_eq!(input.rejected(), 9, "{by_reason:?}");
    assert!(
        input.rejected.contains_key("missing field `events`"),
        "{by_reason:?}"
    );
    assert!(
        input
            .rejected
            .contains_key("missing field `id.applicationName`"),
        "{by_reason:?}"
    );
    assert!(input.rejected.contains_key("invalid JSON"), "{by_reason:?}");
}

#[test]
fn typical_record() {
    let (events, summary) = common::decode_fixture("gws/typical.json");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(
        (
            event.kind,
            event.outcome,
            event.reason,
            event.channel,
            event.risk
        ),
        (
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::BadCode),
            Some(Channel::Sms),
            Some(Risk::Medium)
        )
    );
}
