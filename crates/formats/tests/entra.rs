//! Microsoft Entra ID sign-in and audit records, read through the reader as a user would: Graph
//! pages, Azure Monitor lines and pages, arrays, pretty-printed documents and bad records.

mod common;

use forewarn_formats::{Format, Summary};
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason, Risk};

fn read(name: &str) -> (Vec<AuthEvent<'static>>, Summary) {
    common::decode_fixture(&format!("entra/{name}"))
}

fn counts(summary: &Summary) -> (u64, u64, u64) {
    (summary.decoded(), summary.skipped(), summary.rejected())
}

fn find<'e>(
    events: &'e [AuthEvent<'static>],
    kind: Kind,
    account: &str,
) -> Vec<&'e AuthEvent<'static>> {
    events
        .iter()
        .filter(|e| e.kind == kind && e.account == account)
        .collect()
}

#[test]
fn typical_sign_in_carries_every_field() {
    let (events, summary) = read("typical.json");
    assert_eq!(counts(&summary), (1, 0, 0));
    assert!(summary.inputs[0].formats.contains_key(&Format::Entra));
    let e = &events[0];
    assert_eq!((e.kind, e.outcome), (Kind::SessionStart, Outcome::Success));
    assert_eq!(e.account, "alexw@example.com");
    assert_eq!(e.account_exists, Some(true));
    assert_eq!(e.ip, "203.0.113.45".parse().ok());
    assert_eq!(
        e.device_id.as_deref(),
        Some("3c9b2a71-5d1e-4f7a-8e2b-9a0c1d2e3f40")
    );
    assert_eq!(e.country.map(|c| c.to_string()).as_deref(), Some("NL"));
    assert_eq!(e.asn, Some(64500));
    assert_eq!(
        e.session.as_deref(),
        Some("0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b")
    );
    assert_eq!(e.risk, Some(Risk::Low));
    assert!(e.user_agent.as_deref().unwrap_or("").contains("Chrome/131"));
    assert_eq!(e.time.to_string(), "2025-01-15T08:15:23.8612735Z");
}

#[test]
fn graph_page_of_sign_ins() {
    let (events, summary) = read("graph_signins_page.json");
    // 15 sign-ins: a KMSI prompt, a device-authentication interrupt and an application's
    // sign-in are skipped; the MFA and Conditional Access refusals after a correct password
    // are two events each.
    assert_eq!(counts(&summary), (12, 3, 0));
    assert_eq!(summary.events(), 16);
    let skipped = &summary.inputs[0].skipped;
    assert_eq!(skipped.get("sign-in status 50140"), Some(&1));
    assert_eq!(skipped.get("sign-in status 50097"), Some(&1));
    assert_eq!(skipped.get("service principal sign-in"), Some(&1));

    let bad_password = &find(&events, Kind::AuthPassword, "alexw@example.com")[0];
    assert_eq!(bad_password.reason, Some(Reason::BadPassword));
    assert_eq!(bad_password.user_agent.as_deref(), Some("BAV2ROPC"));
    assert_eq!(
        bad_password.country.map(|c| c.to_string()).as_deref(),
        Some("US")
    );

    let unknown = &find(&events, Kind::AuthPassword, "no.such.user@example.com")[0];
    assert_eq!(
        (unknown.outcome, unknown.reason, unknown.account_exists),
        (Outcome::Failure, Some(Reason::UnknownAccount), Some(false))
    );
    let locked = &find(&events, Kind::AuthPassword, "meganb@example.com")[0];
    assert_eq!(locked.reason, Some(Reason::Locked));
    let expired = &find(&events, Kind::AuthPassword, "lee.g@example.com")[0];
    assert_eq!(expired.outcome, Outcome::Success);
    let disabled = &find(&events, Kind::AuthPassword, "former.staff@example.com")[0];
    assert_eq!(
        (disabled.outcome, disabled.reason, disabled.account_exists),
        (Outcome::Failure, None, Some(true))
    );

    let mfa = find(&events, Kind::AuthMfa, "alexw@example.com");
    let got: Vec<_> = mfa
        .iter()
        .map(|e| (e.outcome, e.reason, e.channel))
        .collect();
    assert_eq!(
        got,
        [
            // 50074 in a browser: the challenge was put to the user.
            (Outcome::Success, None, None),
            // 50076 from Exchange ActiveSync, which cannot answer: MFA stopped it.
            (Outcome::Failure, None, None),
            // 500121, push declined; then an SMS code never entered.
            (
                Outcome::Failure,
                Some(Reason::MfaDenied),
                Some(Channel::App)
            ),
            (
                Outcome::Failure,
                Some(Reason::MfaTimeout),
                Some(Channel::Sms)
            ),
            // 50158: sent to the external MFA provider.
            (Outcome::Success, None, None),
        ]
    );

    let blocked = find(&events, Kind::SessionStart, "alexw@example.com");
    assert_eq!(blocked[0].reason, Some(Reason::Blocked));
    assert_eq!(blocked[0].risk, Some(Risk::High));
    assert_eq!(
        blocked[0].country.map(|c| c.to_string()).as_deref(),
        Some("NG")
    );
    // An unlisted code (90014) is a failure without a reason.
    assert_eq!(
        (blocked[1].outcome, blocked[1].reason),
        (Outcome::Failure, None)
    );

    // Correct password before the MFA and policy refusals: 50074, 500121 ×2, 53003 (and 50055).
    let passed = events
        .iter()
        .filter(|e| e.kind == Kind::AuthPassword && e.outcome == Outcome::Success)
        .count();
    assert_eq!(passed, 5);
}

#[test]
fn azure_monitor_lines_and_pages() {
    let (events, summary) = read("azure_monitor_signins.jsonl");
    assert_eq!(counts(&summary), (5, 2, 0));
    let skipped = &summary.inputs[0].skipped;
    assert_eq!(skipped.get("category ServicePrincipalSignInLogs"), Some(&1));
    assert_eq!(skipped.get("category RiskyUsers"), Some(&1));

    let kinds: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.outcome, e.reason))
        .collect();
    assert_eq!(
        kinds,
        [
            (Kind::AuthMfa, Outcome::Failure, Some(Reason::BadCode)),
            (
                Kind::AuthPassword,
                Outcome::Failure,
                Some(Reason::BadPassword)
            ),
            (Kind::SessionStart, Outcome::Success, None),
            (Kind::AuthPassword, Outcome::Failure, Some(Reason::Locked)),
            (Kind::SessionStart, Outcome::Failure, None),
        ]
    );
    // The first line is a `{"records":[…]}` page: its records keep their place in it.
    assert_eq!((events[0].raw.line, events[0].raw.index), (1, 1));
    assert_eq!(events[0].channel, Some(Channel::App));
    // createdDateTime with an offset, the sign-in's own time rather than the envelope's.
    assert_eq!(events[1].time.to_string(), "2025-01-15T14:20:33.1234567Z");
    assert_eq!(events[1].asn, Some(64501));
    assert_eq!(
        events[1].country.map(|c| c.to_string()).as_deref(),
        Some("DE")
    );
    // Lower-cased envelope keys, nine fractional digits with a space separator.
    assert_eq!(events[3].time.to_string(), "2025-01-15T14:22:09.874Z");
    assert_eq!(events[3].ip, "192.0.2.78".parse().ok());
    // Only the envelope: its time and callerIpAddress.
    assert_eq!(events[4].time.to_string(), "2025-01-15T14:23:00Z");
    assert_eq!(events[4].ip, "192.0.2.79".parse().ok());
}

#[test]
fn graph_directory_audits() {
    let (events, summary) = read("graph_audits.json");
    assert_eq!(counts(&summary), (22, 4, 0));
    let skipped = &summary.inputs[0].skipped;
    for name in [
        "activity Add member to group",
        "activity Update user",
        "activity User registered all required security info",
        "activity Self-service password reset flow activity progress",
    ] {
        assert_eq!(skipped.get(name), Some(&1), "{name}");
    }

    // One self-service reset, step by step, all in one flow (correlation id as session).
    let flow: Vec<_> = events
        .iter()
        .filter(|e| {
            e.account == "diegos@example.com"
                && e.session.as_deref().is_some_and(|s| s.starts_with("5e4d"))
        })
        .map(|e| (e.kind, e.outcome, e.channel, e.reason))
        .collect();
    assert_eq!(
        flow,
        [
            (Kind::AccountLookup, Outcome::Success, None, None),
            (Kind::RecoveryStart, Outcome::Success, None, None),
            (
                Kind::RecoveryCodeSent,
                Outcome::Success,
                Some(Channel::Sms),
                None
            ),
            (
                Kind::RecoveryCodeVerify,
                Outcome::Failure,
                None,
                Some(Reason::BadCode)
            ),
            (
                Kind::RecoveryCodeVerify,
                Outcome::Success,
                Some(Channel::Sms),
                None
            ),
            (
                Kind::RecoveryCodeSent,
                Outcome::Success,
                Some(Channel::Email),
                None
            ),
            (
                Kind::RecoveryCodeVerify,
                Outcome::Success,
                Some(Channel::Email),
                None
            ),
            (Kind::RecoveryReset, Outcome::Success, None, None),
        ]
    );
    let first = &events[0];
    assert_eq!(first.ip, "203.0.113.61".parse().ok());
    assert!(first
        .user_agent
        .as_deref()
        .unwrap_or("")
        .contains("Firefox"));

    let patti: Vec<_> = events
        .iter()
        .filter(|e| e.account == "pattif@example.com")
        .map(|e| (e.kind, e.outcome, e.reason))
        .collect();
    assert_eq!(
        patti,
        [
            (Kind::RecoveryStart, Outcome::Failure, None),
            (Kind::RecoveryStart, Outcome::Failure, Some(Reason::Blocked)),
        ]
    );

    let admin_reset = &find(&events, Kind::RecoveryReset, "lidiah@example.com")[0];
    assert_eq!(
        admin_reset.actor.as_deref(),
        Some("helpdesk.ops@example.com")
    );
    assert_eq!(admin_reset.ip, "192.0.2.10".parse().ok());
    let change = &find(&events, Kind::AccountPasswordChange, "lidiah@example.com")[0];
    assert_eq!(
        (change.outcome, change.actor.as_deref()),
        (Outcome::Failure, None)
    );
    assert_eq!(
        find(&events, Kind::RecoveryReset, "gradya@example.com").len(),
        1
    );

    let diego_info: Vec<_> = events
        .iter()
        .filter(|e| {
            e.account == "diegos@example.com"
                && matches!(
                    e.kind,
                    Kind::AccountMfaChange | Kind::AccountRecoveryInfoChange
                )
        })
        .map(|e| (e.kind, e.channel))
        .collect();
    assert_eq!(
        diego_info,
        [
            (Kind::AccountRecoveryInfoChange, Some(Channel::Sms)), // Mobile Phone SMS
            (Kind::AccountMfaChange, Some(Channel::App)),          // Authenticator deleted
            (Kind::AccountRecoveryInfoChange, Some(Channel::Email)), // Email
            (Kind::AccountMfaChange, None),                        // default method changed
            (Kind::AccountMfaChange, None), // Update user, by the MFA service
        ]
    );
    // The Update user written by the MFA service names no person as actor.
    assert!(find(&events, Kind::AccountMfaChange, "diegos@example.com")
        .iter()
        .all(|e| e.actor.is_none()));

    // A help-desk agent changing someone's methods: the target is the account.
    let lidia: Vec<_> = events
        .iter()
        .filter(|e| {
            e.account == "lidiah@example.com"
                && matches!(
                    e.kind,
                    Kind::AccountMfaChange | Kind::AccountRecoveryInfoChange
                )
        })
        .map(|e| (e.kind, e.channel, e.actor.as_deref()))
        .collect();
    assert_eq!(
        lidia,
        [
            (
                Kind::AccountRecoveryInfoChange,
                Some(Channel::Sms),
                Some("helpdesk.ops@example.com")
            ),
            (
                Kind::AccountMfaChange,
                None,
                Some("helpdesk.ops@example.com")
            ),
            (
                Kind::AccountRecoveryInfoChange,
                Some(Channel::Email),
                Some("helpdesk.ops@example.com")
            ),
        ]
    );

    // Consent: the user who consented, not the application.
    assert_eq!(
        find(&events, Kind::AppConsent, "meganb@example.com").len(),
        1
    );
    assert_eq!(
        find(&events, Kind::AppConsent, "admin@example.com").len(),
        1
    );
}

#[test]
fn azure_monitor_audit_page() {
    let (events, summary) = read("azure_monitor_audits.json");
    assert_eq!(counts(&summary), (3, 1, 2));
    let rejected = &summary.inputs[0].rejected;
    assert_eq!(rejected.get("missing field `time`"), Some(&1));
    assert_eq!(rejected.get("invalid `activityDateTime`"), Some(&1));
    let kinds: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.account.as_ref(), e.actor.as_deref(), e.channel))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                Kind::RecoveryReset,
                "jonis@example.com",
                Some("helpdesk.ops@example.com"),
                None
            ),
            (Kind::AccountPasswordChange, "jonis@example.com", None, None),
            (
                Kind::AccountMfaChange,
                "jonis@example.com",
                Some("helpdesk.ops@example.com"),
                Some(Channel::App)
            ),
        ]
    );
    // `callerIpAddress: "<null>"` is no address; the initiator's is.
    assert!(events
        .iter()
        .all(|e| e.source_host.is_none() && e.ip.is_some()));
    assert_eq!(
        events[0].user_agent.as_deref(),
        Some("Microsoft Azure Graph Client Library 1.0")
    );
}

#[test]
fn bad_records_are_rejected_with_a_reason() {
    let (events, summary) = read("bad.jsonl");
    assert!(events.is_empty());
    assert_eq!(counts(&summary), (0, 0, 11));
    let rejected = &summary.inputs[0].rejected;
    let expect = [
        ("missing field `createdDateTime`", 2),
        ("missing field `userPrincipalName`", 1),
        ("missing field `status.errorCode`", 1),
        ("missing field `activityDateTime`", 1),
        ("missing field `targetResources.userPrincipalName`", 1),
        ("invalid `createdDateTime`", 1),
        ("invalid JSON", 1),
        ("unknown format", 1),
    ];
    for (reason, n) in expect {
        assert_eq!(rejected.get(reason), Some(&n), "{reason}: {rejected:?}");
    }
    assert_eq!(rejected.values().sum::<u64>(), 11, "{rejected:?}");
}

#[test]
fn never_panics_on_truncated_records() {
    let lines = include_str!("data/entra/azure_monitor_signins.jsonl");
    let audit = r#"{"time":"2025-02-03 09:41:00.123","category":"AuditLogs","operationName":"Update user","properties":{"activityDateTime":"2025-02-03T09:41:00Z","activityDisplayName":"Update user","result":"success","initiatedBy":{"user":{"userPrincipalName":"admin@example.com","ipAddress":"192.0.2.10"}},"targetResources":[{"type":"User","userPrincipalName":"a@example.com","modifiedProperties":[{"displayName":"StrongAuthenticationMethod","oldValue":"[]","newValue":"[]"}]}],"additionalDetails":[{"key":"User-Agent","value":"x"}]}}"#;
    let records = [include_str!("data/entra/typical.json"), audit]
        .into_iter()
        .chain(lines.lines());
    common::decode_every_prefix(Format::Entra, records.map(str::as_bytes));
}

#[test]
fn snapshots() {
    for name in [
        "typical.json",
        "graph_signins_page.json",
        "azure_monitor_signins.jsonl",
        "graph_audits.json",
        "azure_monitor_audits.json",
    ] {
        let (events, _) = read(name);
        insta::assert_snapshot!(name, common::native_lines(&events));
    }
}
