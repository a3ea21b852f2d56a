//! The Auth0 tenant log decoder on fixtures written from Auth0's documentation and log schemas
//! (`tests/data/auth0/`), through the reader.

mod common;

use forewarn_formats::{decoder_for, detect, DecodeContext, Decoded, Format};
use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, Reason, Risk};

type Case = (&'static str, Kind, Outcome, Option<Reason>, Option<Channel>);

fn check(events: &[AuthEvent<'static>], cases: &[Case]) {
    for (time, kind, outcome, reason, channel) in cases {
        let event = common::at(events, time);
        assert_eq!(
            (event.kind, event.outcome, event.reason, event.channel),
            (*kind, *outcome, *reason, *channel),
            "{time}"
        );
    }
}

#[test]
fn typical_login_fills_every_field_auth0_carries() {
    let (events, summary) = common::decode_fixture("auth0/typical.json");
    assert_eq!(common::counts_as(&summary, Format::Auth0), (1, 0, 0));
    let event = &events[0];
    assert_eq!(event.time, "2024-05-02T08:14:07.312Z".parse().unwrap());
    assert_eq!(
        (event.kind, event.outcome),
        (Kind::SessionStart, Outcome::Success)
    );
    assert_eq!(event.account, "jane.doe@example.com");
    assert_eq!(event.account_exists, Some(true));
    assert_eq!(event.ip, Some("198.51.100.23".parse().unwrap()));
    assert_eq!(
        event.user_agent.as_deref(),
        Some("Chrome 124.0.0 / Windows 10.0.0")
    );
    assert_eq!(
        event.session.as_deref(),
        Some("Xy9vTn3QhK2mP8rW1sD4fG6jL0aZ5cB7")
    );
    // Adaptive MFA is highly confident the login is Jane's own: low risk.
    assert_eq!(event.risk, Some(Risk::Low));
}

#[test]
fn login_type_codes() {
    let (events, summary) = common::decode_fixture("auth0/logins.jsonl");
    assert_eq!(common::counts_as(&summary, Format::Auth0), (15, 6, 0));
    let skipped: Vec<_> = summary.inputs[0]
        .skipped
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        skipped,
        [
            "event type limit_mu",
            "event type pwd_leak",
            "event type sapi",
            "event type slo",
            "event type ssa",
            "event type w",
        ]
    );
    use Kind::*;
    use Outcome::*;
    check(
        &events,
        &[
            (
                "2024-05-02T08:20:10Z",
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                None,
            ),
            (
                "2024-05-02T08:20:11.004Z",
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                None,
            ),
            (
                "2024-05-02T08:20:14.517Z",
                AuthPassword,
                Failure,
                Some(Reason::UnknownAccount),
                None,
            ),
            (
                "2024-05-02T08:20:30Z",
                AuthPassword,
                Failure,
                Some(Reason::Blocked),
                None,
            ),
            (
                "2024-05-02T08:20:40Z",
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                None,
            ),
            (
                "2024-05-02T08:20:50Z",
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                None,
            ),
            ("2024-05-02T08:14:05Z", AuthPassword, Success, None, None),
            ("2024-05-02T09:00:00Z", AuthPassword, Success, None, None),
            (
                "2024-05-02T08:21:00Z",
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                None,
            ),
            (
                "2024-05-02T08:21:10Z",
                AuthPassword,
                Failure,
                Some(Reason::Blocked),
                None,
            ),
            ("2024-05-02T08:21:20Z", AccountLockout, Success, None, None),
            (
                "2024-05-02T08:21:30Z",
                AuthPassword,
                Failure,
                Some(Reason::Blocked),
                None,
            ),
            (
                "2024-05-02T08:22:00Z",
                AccountLookup,
                Success,
                None,
                Some(Channel::Sms),
            ),
            (
                "2024-05-02T08:22:10Z",
                AccountLookup,
                Success,
                None,
                Some(Channel::Email),
            ),
        ],
    );
    let fp = common::at(&events, "2024-05-02T08:20:11.004Z");
    assert_eq!(fp.account_exists, Some(true));
    assert_eq!(fp.risk, Some(Risk::High), "low Adaptive MFA confidence");
    let fu = common::at(&events, "2024-05-02T08:20:14.517Z");
    assert_eq!(fu.account, "j.doe@example.com");
    assert_eq!(fu.account_exists, Some(false));
    let connector = common::at(&events, "2024-05-02T08:20:40Z");
    assert_eq!(connector.account, "jsmith");
    let passwordless = common::at(&events, "2024-05-02T08:22:00Z");
    assert_eq!(passwordless.account, "+14155550123");
    assert_eq!(passwordless.channel_target.as_deref(), Some("+14155550123"));
}

#[test]
fn guardian_mfa_type_codes() {
    let (events, summary) = common::decode_fixture("auth0/mfa.jsonl");
    assert_eq!(common::counts_as(&summary, Format::Auth0), (22, 2, 0));
    use Kind::*;
    use Outcome::*;
    let app = Some(Channel::App);
    let sms = Some(Channel::Sms);
    let email = Some(Channel::Email);
    check(
        &events,
        &[
            ("2024-05-02T08:23:10Z", AuthMfa, Success, None, app),
            (
                "2024-05-02T08:23:25Z",
                AuthMfa,
                Failure,
                Some(Reason::MfaDenied),
                app,
            ),
            ("2024-05-02T08:23:40Z", AuthMfa, Failure, None, app),
            ("2024-05-02T08:23:50Z", AuthMfa, Success, None, sms),
            ("2024-05-02T08:23:55Z", AuthMfa, Failure, None, sms),
            ("2024-05-02T08:24:00Z", AuthMfa, Success, None, app),
            ("2024-05-02T08:24:05Z", AuthMfa, Failure, None, app),
            ("2024-05-02T08:24:10Z", AuthMfa, Success, None, email),
            ("2024-05-02T08:24:12Z", AuthMfa, Failure, None, email),
            (
                "2024-05-02T08:24:20Z",
                AuthMfa,
                Failure,
                Some(Reason::BadCode),
                None,
            ),
            (
                "2024-05-02T08:24:40Z",
                AuthMfa,
                Failure,
                Some(Reason::Blocked),
                None,
            ),
            (
                "2024-05-02T08:25:00Z",
                AuthMfa,
                Failure,
                Some(Reason::BadCode),
                None,
            ),
            (
                "2024-05-02T08:25:10Z",
                AuthMfa,
                Failure,
                Some(Reason::Blocked),
                None,
            ),
            ("2024-05-02T08:25:20Z", AuthMfa, Failure, None, None),
            ("2024-05-02T08:14:06.5Z", AuthMfa, Success, None, None),
            ("2024-05-02T08:26:00Z", AuthMfa, Success, None, None),
            ("2024-05-02T08:27:00Z", AccountMfaChange, Success, None, sms),
            ("2024-05-02T08:27:30Z", AccountMfaChange, Success, None, app),
            (
                "2024-05-02T08:28:00Z",
                AccountMfaChange,
                Success,
                None,
                None,
            ),
            ("2024-05-02T09:01:00Z", AuthMfa, Success, None, None),
            (
                "2024-05-02T08:28:30Z",
                AuthMfa,
                Failure,
                Some(Reason::BadCode),
                None,
            ),
            (
                "2024-05-02T08:28:40Z",
                AuthMfa,
                Failure,
                Some(Reason::MfaDenied),
                None,
            ),
        ],
    );
    let sms_sent = common::at(&events, "2024-05-02T08:23:50Z");
    assert_eq!(sms_sent.channel_target.as_deref(), Some("+1XXXXXXXX0123"));
    // Guardian logs name the user by id only.
    assert_eq!(sms_sent.account, "auth0|6634a1b2c3d4e5f6a7b8c9d0");
    let enrolled = common::at(&events, "2024-05-02T08:27:00Z");
    assert_eq!(enrolled.channel_target.as_deref(), Some("+4XXXXXXXXX789"));
}

#[test]
fn recovery_type_codes() {
    let (events, summary) = common::decode_fixture("auth0/recovery.jsonl");
    assert_eq!(common::counts_as(&summary, Format::Auth0), (10, 0, 0));
    use Kind::*;
    use Outcome::*;
    check(
        &events,
        &[
            (
                "2024-05-02T08:30:00Z",
                RecoveryCodeSent,
                Success,
                None,
                Some(Channel::Email),
            ),
            (
                "2024-05-02T08:30:05Z",
                RecoveryCodeSent,
                Failure,
                Some(Reason::UnknownAccount),
                Some(Channel::Email),
            ),
            (
                "2024-05-02T08:30:08Z",
                RecoveryCodeSent,
                Failure,
                None,
                Some(Channel::Email),
            ),
            ("2024-05-02T08:33:41Z", RecoveryReset, Success, None, None),
            ("2024-05-02T08:33:20Z", RecoveryReset, Failure, None, None),
            (
                "2024-05-02T08:35:00Z",
                AccountRecoveryInfoChange,
                Success,
                None,
                Some(Channel::Email),
            ),
            (
                "2024-05-02T08:34:50Z",
                AccountRecoveryInfoChange,
                Failure,
                None,
                Some(Channel::Email),
            ),
            (
                "2024-05-02T08:36:00Z",
                AccountRecoveryInfoChange,
                Success,
                None,
                Some(Channel::Sms),
            ),
            (
                "2024-05-02T08:35:50Z",
                AccountRecoveryInfoChange,
                Failure,
                None,
                Some(Channel::Sms),
            ),
        ],
    );
    // A reset asked for an address: the account is the address in the request.
    let requested = common::at(&events, "2024-05-02T08:30:00Z");
    assert_eq!(requested.account, "jane.doe@example.com");
    let unknown = common::at(&events, "2024-05-02T08:30:05Z");
    assert_eq!(unknown.account, "j.doe@example.com");
    assert_eq!(unknown.account_exists, Some(false));
    let legacy = common::at(&events, "2019-08-14T03:20:00Z");
    assert_eq!(legacy.country, Some(Country::new("IR").unwrap()));
}

#[test]
fn api_page_array_and_log_stream_wrappers() {
    let (events, summary) = common::decode_fixture("auth0/api_page.json");
    assert_eq!(common::counts_as(&summary, Format::Auth0), (3, 0, 0));
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [Kind::AuthPassword, Kind::SessionStart, Kind::AuthMfa]
    );

    let (events, summary) = common::decode_fixture("auth0/log_stream.jsonl");
    assert_eq!(common::counts_as(&summary, Format::Auth0), (3, 0, 0));
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [Kind::AuthPassword, Kind::AuthMfa, Kind::RecoveryCodeSent]
    );
}

#[test]
fn bad_records_are_rejected_with_the_field_to_fix() {
    let (events, summary) = common::decode_fixture("auth0/bad.jsonl");
    assert_eq!(events.len(), 1, "the good first line");
    let input = &summary.inputs[0];
    let rejected = common::rejected_by_reason(&summary);
    assert_eq!(
        rejected,
        [
            ("invalid JSON", 1),
            ("invalid `date`", 2),
            ("missing field `date`", 1),
            ("missing field `type`", 1),
            ("missing field `user_name`", 1),
        ]
    );
    let reasons: Vec<_> = input.examples.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons[3],
        "invalid `date`: expected a string, found an object"
    );
    let skipped: Vec<_> = input.skipped.keys().map(String::as_str).collect();
    assert_eq!(
        skipped,
        [
            "event type f without a user",
            "event type fp with `date` redacted"
        ]
    );
}

#[test]
fn sniff_claims_auth0_records_only() {
    let auth0 = include_bytes!("data/auth0/typical.json");
    assert_eq!(detect(auth0).map(|d| d.format()), Some(Format::Auth0));
    let okta = include_bytes!("data/okta/typical.json");
    assert!(!decoder_for(Format::Auth0).unwrap().sniff(okta));
    let m365 = br#"{"CreationTime":"2024-05-02T08:00:00","Id":"8e5b7c1a","Operation":"UserLoggedIn","Workload":"AzureActiveDirectory","UserId":"jane.doe@example.com","ClientIP":"203.0.113.66"}"#;
    assert!(!decoder_for(Format::Auth0).unwrap().sniff(m365));
}

#[test]
fn a_phone_number_written_as_a_number_does_not_lose_the_record() {
    // As in Panther's Auth0 samples.
    let record = br#"{"data":{"date":"2025-10-03 14:09:32.149000000","type":"gd_enrollment_complete","description":"Guardian - Enrollment complete (sms)","details":{"authenticator":{"phone_number":1234567891}},"ip":"198.51.100.23","user_id":"auth0|abc"}}"#;
    let decoded = decoder_for(Format::Auth0)
        .unwrap()
        .decode(record, &DecodeContext::default())
        .unwrap();
    let Decoded::One(event) = decoded else {
        panic!("one event, got {decoded:?}")
    };
    assert_eq!(event.kind, Kind::AccountMfaChange);
    assert_eq!(event.channel, Some(Channel::Sms));
    assert_eq!(event.channel_target, None);
    assert_eq!(event.time, "2025-10-03T14:09:32.149Z".parse().unwrap());
}

#[test]
fn never_panics_on_truncated_records() {
    common::decode_every_prefix(
        Format::Auth0,
        [&include_bytes!("data/auth0/typical.json")[..]],
    );
}

#[test]
fn snapshot_of_every_fixture() {
    let mut all = Vec::new();
    for fixture in [
        "typical.json",
        "logins.jsonl",
        "mfa.jsonl",
        "recovery.jsonl",
        "api_page.json",
        "log_stream.jsonl",
        "bad.jsonl",
    ] {
        let (events, _) = common::decode_fixture(&format!("auth0/{fixture}"));
        all.extend(events);
    }
    insta::assert_snapshot!(common::native_lines(&all));
}
