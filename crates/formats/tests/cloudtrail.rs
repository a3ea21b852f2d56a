//! AWS CloudTrail through the reader: console sign-in, root password recovery, IAM Identity
//! Center sign-in, IAM password and MFA calls, every layout, and bad records. Fixtures are in
//! `tests/data/cloudtrail/`, written from the CloudTrail and IAM user guides.

mod common;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};

type Row<'e> = (Kind, Outcome, Option<Reason>, &'e str);

fn rows<'e>(events: &'e [AuthEvent<'static>]) -> Vec<Row<'e>> {
    events
        .iter()
        .map(|e| (e.kind, e.outcome, e.reason, e.account.as_ref()))
        .collect()
}

#[test]
fn console_sign_in_and_root_recovery() {
    let (events, summary) = common::decode_fixture("cloudtrail/signin.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(
        input.formats.keys().collect::<Vec<_>>(),
        [&Format::CloudTrail]
    );
    assert_eq!(
        input.skipped,
        [
            ("event type ExternalIdPDirectoryLogin".to_owned(), 1),
            ("event type SwitchRole".to_owned(), 1),
        ]
        .into()
    );
    use Kind::*;
    use Outcome::*;
    assert_eq!(
        rows(&events),
        [
            (SessionStart, Success, None, "111122223333:anaya"),
            (
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                "111122223333:anaya"
            ),
            (
                AuthPassword,
                Failure,
                Some(Reason::UnknownAccount),
                "111122223333:hidden_due_to_security_reasons"
            ),
            // MFAUsed: Yes on a failure: the password was right, the second factor was not.
            (AuthMfa, Failure, None, "111122223333:deploy-bot"),
            (SessionStart, Success, None, "111122223333:root"),
            (
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                "111122223333:root"
            ),
            (SessionStart, Success, None, "jane.doe@example.com"),
            (AccountLookup, Success, None, "111122223333:anaya"),
            (SessionStart, Success, None, "ops-session"),
            (RecoveryStart, Success, None, "111122223333:root"),
            (RecoveryCodeSent, Success, None, "111122223333:root"),
            (RecoveryReset, Success, None, "111122223333:root"),
            (AccountPasswordChange, Success, None, "111122223333:root"),
            (RecoveryStart, Failure, None, "111122223333:root"),
        ]
    );
    let ok = &events[0];
    assert_eq!(ok.ip, "203.0.113.45".parse().ok());
    assert!(ok
        .user_agent
        .as_deref()
        .is_some_and(|ua| ua.contains("Chrome/124")));
    let unknown = &events[2];
    assert_eq!(unknown.account_exists, Some(false));
    assert_eq!(events[1].account_exists, None);
    // The reset link goes to the root user's email address.
    assert_eq!(
        (events[9].channel, events[10].channel),
        (None, Some(Channel::Email))
    );
    // Both events of one record point at it.
    assert_eq!(events[9].raw, events[10].raw);
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn identity_center_sign_in() {
    let (events, summary) = common::decode_fixture("cloudtrail/identity_center.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(
        input.skipped,
        [
            ("event type CredentialChallenge (TOTP)".to_owned(), 1),
            (
                "event type CredentialVerification (EXTERNAL_IDP)".to_owned(),
                1
            ),
        ]
        .into()
    );
    use Kind::*;
    use Outcome::*;
    assert_eq!(
        rows(&events),
        [
            (AccountLookup, Success, None, "m.rossi"),
            (AuthPassword, Success, None, "m.rossi"),
            (AuthMfa, Failure, Some(Reason::BadCode), "m.rossi"),
            (AuthMfa, Success, None, "m.rossi"),
            (SessionStart, Success, None, "m.rossi"),
            (AccountLookup, Success, None, "s.khan"),
            (AuthPassword, Failure, Some(Reason::BadPassword), "s.khan"),
            (AuthMfa, Failure, None, "s.khan"),
        ]
    );
    // The sign-in workflow id ties the steps of one sign-in together.
    assert!(events[..5]
        .iter()
        .all(|e| e.session.as_deref() == Some("9de74b32-8362-4a01-a524-de21df59fd83")));
    assert_eq!(events[2].channel, Some(Channel::App));
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn iam_password_and_mfa_calls() {
    let (events, summary) = common::decode_fixture("cloudtrail/iam.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(
        input.skipped,
        [
            ("event type CreateVirtualMFADevice".to_owned(), 1),
            ("event type DeleteLoginProfile".to_owned(), 1),
            ("event type DeleteVirtualMFADevice".to_owned(), 1),
            ("event type ListUsers".to_owned(), 1),
        ]
        .into()
    );
    use Kind::*;
    use Outcome::*;
    assert_eq!(
        rows(&events),
        [
            (AccountPasswordChange, Success, None, "111122223333:anaya"),
            (AccountPasswordChange, Failure, None, "111122223333:anaya"),
            (
                AccountPasswordChange,
                Success,
                None,
                "111122223333:deploy-bot"
            ),
            (
                AccountPasswordChange,
                Success,
                None,
                "111122223333:svc-reports"
            ),
            (
                AccountPasswordChange,
                Failure,
                Some(Reason::Blocked),
                "111122223333:anaya"
            ),
            (AccountMfaChange, Success, None, "111122223333:anaya"),
            (AccountMfaChange, Success, None, "111122223333:deploy-bot"),
            (AccountMfaChange, Success, None, "111122223333:anaya"),
            (AccountMfaChange, Success, None, "111122223333:root"),
        ]
    );
    let actors: Vec<Option<&str>> = events.iter().map(|e| e.actor.as_deref()).collect();
    assert_eq!(
        actors,
        [
            None,
            None,
            Some("111122223333:it-admin"),
            Some("111122223333:it-admin"),
            Some("111122223333:intern"),
            None,
            Some("111122223333:it-admin"),
            None,
            None,
        ]
    );
    // Calls the console makes for a user can name a service as their source, not an address.
    assert_eq!(events[2].source_host.as_deref(), Some("AWS Internal"));
    assert_eq!(events[2].ip, None);
    assert_eq!(events[0].ip, "203.0.113.45".parse().ok());
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn a_log_file_an_eventbridge_delivery_and_json_lines_decode_alike() {
    let (file, summary) = common::decode_fixture("cloudtrail/records.json");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(
        input.skipped,
        [
            ("event type DescribeInstances".to_owned(), 1),
            ("event type GetObject".to_owned(), 1),
        ]
        .into()
    );
    let (lines, _) = common::decode_fixture("cloudtrail/signin.jsonl");
    assert_eq!(
        common::native_lines(&file),
        common::native_lines(&[lines[0].clone(), lines[1].clone(), lines[4].clone()])
    );

    let (delivered, summary) = common::decode_fixture("cloudtrail/eventbridge.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(
        input.skipped,
        [("event type GetObject".to_owned(), 1)].into()
    );
    assert_eq!(
        common::native_lines(&delivered[..1]),
        common::native_lines(&lines[2..3])
    );
    assert_eq!(
        (delivered[1].kind, delivered[1].account.as_ref()),
        (Kind::AccountPasswordChange, "111122223333:deploy-bot")
    );
}

#[test]
fn bad_records_are_rejected_with_a_reason() {
    let (events, summary) = common::decode_fixture("cloudtrail/bad.jsonl");
    let input = &summary.inputs[0];
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(
        input.skipped,
        [("event type PutObject".to_owned(), 1)].into()
    );
    let reasons: Vec<&str> = input.examples.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons[0], "missing field `eventTime`");
    assert!(
        reasons[1].starts_with("invalid `eventTime`"),
        "{}",
        reasons[1]
    );
    assert_eq!(
        reasons[2],
        "invalid `responseElements.ConsoleLogin`: `Maybe` is neither Success nor Failure"
    );
    assert_eq!(reasons[3], "missing field `userIdentity`");
    assert_eq!(reasons[4], "missing field `userIdentity.userName`");
    assert_eq!(input.rejected(), 8, "{:?}", input.rejected);
    assert_eq!(input.rejected.get("invalid JSON"), Some(&1));
    assert_eq!(input.rejected.get("missing field `eventName`"), Some(&1));
    assert!(
        input.rejected.keys().any(|r| r.contains("invalid type")),
        "{:?}",
        input.rejected
    );
}

#[test]
fn typical_record() {
    let (events, summary) = common::decode_fixture("cloudtrail/typical.json");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(
        rows(&events),
        [(
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::BadPassword),
            "111122223333:anaya"
        )]
    );
    assert_eq!(events[0].ip, "198.51.100.23".parse().ok());
}
