//! The Okta System Log decoder on fixtures written from Okta's documentation
//! (`tests/data/okta/`), through the reader, and on Panther's Okta samples.

mod common;

use forewarn_formats::{decoder_for, detect, DecodeContext, Decoded, Format};
use forewarn_model::{Channel, Country, Kind, Outcome, Reason, Risk};

#[test]
fn typical_record_fills_every_field_okta_carries() {
    let (events, summary) = common::decode_fixture("okta/typical.json");
    assert_eq!(common::counts_as(&summary, Format::Okta), (1, 0, 0));
    let event = &events[0];
    assert_eq!(event.time, "2024-05-02T08:14:07.312Z".parse().unwrap());
    assert_eq!(event.kind, Kind::SessionStart);
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.account, "jane.doe@example.com");
    assert_eq!(event.account_exists, Some(true));
    assert_eq!(event.ip, Some("198.51.100.23".parse().unwrap()));
    assert!(event
        .user_agent
        .as_deref()
        .is_some_and(|ua| ua.starts_with("Mozilla/5.0 (Windows NT 10.0")));
    // The registered device wins over the browser fingerprint.
    assert_eq!(event.device_id.as_deref(), Some("guo4a5b6c7d8E9F0g1h2"));
    assert_eq!(event.session.as_deref(), Some("102ZcbnE1rRQP2tD0tN4RjTfw"));
    assert_eq!(event.country, Some(Country::new("DE").unwrap()));
    assert_eq!(event.asn, Some(3320));
    assert_eq!(event.risk, Some(Risk::Medium));
    assert_eq!(event.reason, None);
    assert_eq!(event.actor, None);
}

#[test]
fn sign_in_and_mfa_event_types() {
    let (events, summary) = common::decode_fixture("okta/signin.jsonl");
    assert_eq!(common::counts_as(&summary, Format::Okta), (23, 4, 0));
    let skipped = &summary.inputs[0].skipped;
    for why in [
        "event type user.session.end",
        "event type policy.evaluate_sign_on with outcome ALLOW",
        "event type security.threat.detected without a user",
        "event type security.request.blocked without a user",
    ] {
        assert_eq!(skipped.get(why), Some(&1), "{why}: {skipped:?}");
    }

    let cases: &[(&str, Kind, Outcome, Option<Reason>)] = &[
        // user.session.start: INVALID_CREDENTIALS, unknown user, LOCKED_OUT, DENY
        (
            "2024-05-02T08:20:11.004Z",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::BadPassword),
        ),
        (
            "2024-05-02T08:20:14.517Z",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::UnknownAccount),
        ),
        (
            "2024-05-02T08:21:02.120Z",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::Locked),
        ),
        (
            "2024-05-02T08:21:40.900Z",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::Blocked),
        ),
        // user.authentication.sso, auth_via_IDP, auth_via_AD_agent
        (
            "2024-05-02T08:15:30.044Z",
            Kind::SessionStart,
            Outcome::Success,
            None,
        ),
        (
            "2024-05-02T09:02:00Z",
            Kind::SessionStart,
            Outcome::Success,
            None,
        ),
        (
            "2024-05-02T08:22:05.333Z",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::BadPassword),
        ),
        // user.authentication.verify with the Password authenticator, then Okta Verify
        (
            "2024-05-02T08:22:40.101Z",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::BadPassword),
        ),
        (
            "2024-05-02T08:14:05.870Z",
            Kind::AuthMfa,
            Outcome::Success,
            None,
        ),
        // a push sent, denied, and the MFA step failing with the rejection; a wrong SMS code
        (
            "2024-05-02T08:23:10Z",
            Kind::AuthMfa,
            Outcome::Success,
            None,
        ),
        (
            "2024-05-02T08:23:25.412Z",
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::MfaDenied),
        ),
        (
            "2024-05-02T08:23:25.500Z",
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::MfaDenied),
        ),
        (
            "2024-05-02T08:24:02Z",
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::BadCode),
        ),
        (
            "2024-05-02T08:14:06.950Z",
            Kind::AuthMfa,
            Outcome::Success,
            None,
        ),
        // challenges sent by SMS, email and voice
        (
            "2024-05-02T08:23:50Z",
            Kind::AuthMfa,
            Outcome::Success,
            None,
        ),
        (
            "2024-05-02T08:24:30Z",
            Kind::AuthMfa,
            Outcome::Success,
            None,
        ),
        (
            "2024-05-02T08:24:50Z",
            Kind::AuthMfa,
            Outcome::Success,
            None,
        ),
        // MFA bypass attempt, sign-on policy DENY, app sign-on policy denial, ThreatInsight DENY,
        // a blocklisted network zone
        (
            "2024-05-02T08:25:10Z",
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::Blocked),
        ),
        (
            "2024-05-02T08:25:40Z",
            Kind::SessionStart,
            Outcome::Failure,
            Some(Reason::Blocked),
        ),
        (
            "2024-05-02T08:26:00Z",
            Kind::SessionStart,
            Outcome::Failure,
            Some(Reason::Blocked),
        ),
        (
            "2024-05-02T08:26:45Z",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::Blocked),
        ),
        (
            "2024-05-02T08:27:10Z",
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::Blocked),
        ),
    ];
    for (time, kind, outcome, reason) in cases {
        let event = common::at(&events, time);
        assert_eq!(
            (event.kind, event.outcome, event.reason),
            (*kind, *outcome, *reason),
            "{time}"
        );
    }

    let unknown = common::at(&events, "2024-05-02T08:20:14.517Z");
    assert_eq!(unknown.account, "j.doe@example.com");
    assert_eq!(unknown.account_exists, Some(false));
    assert_eq!(unknown.session, None, "`unknown` is not a session");

    let attacker = common::at(&events, "2024-05-02T08:20:11.004Z");
    assert_eq!(attacker.ip, Some("203.0.113.66".parse().unwrap()));
    assert_eq!(attacker.country, Some(Country::new("NL").unwrap()));
    assert_eq!(attacker.asn, Some(64511));

    let channels: &[(&str, Channel)] = &[
        ("2024-05-02T08:23:10Z", Channel::App),
        ("2024-05-02T08:23:25.412Z", Channel::App),
        ("2024-05-02T08:24:02Z", Channel::Sms),
        ("2024-05-02T08:23:50Z", Channel::Sms),
        ("2024-05-02T08:24:30Z", Channel::Email),
        ("2024-05-02T08:24:50Z", Channel::App),
    ];
    for (time, channel) in channels {
        assert_eq!(common::at(&events, time).channel, Some(*channel), "{time}");
    }
    let threat = common::at(&events, "2024-05-02T08:26:45Z");
    assert_eq!(threat.risk, Some(Risk::High));
}

#[test]
fn recovery_and_account_change_event_types() {
    let (events, summary) = common::decode_fixture("okta/recovery.jsonl");
    assert_eq!(common::counts_as(&summary, Format::Okta), (18, 1, 0));
    assert_eq!(
        summary.inputs[0]
            .skipped
            .get("event type user.account.update_profile"),
        Some(&1)
    );
    let cases: &[(&str, Kind, Option<Channel>, Option<&str>)] = &[
        ("2024-05-02T08:21:02.2Z", Kind::AccountLockout, None, None),
        ("2024-05-02T08:21:02.3Z", Kind::AccountLockout, None, None),
        (
            "2024-05-02T08:30:00Z",
            Kind::RecoveryCodeSent,
            Some(Channel::Email),
            None,
        ),
        (
            "2024-05-02T08:30:05Z",
            Kind::RecoveryCodeSent,
            Some(Channel::Sms),
            None,
        ),
        (
            "2024-05-02T08:30:10Z",
            Kind::RecoveryCodeSent,
            Some(Channel::App),
            None,
        ),
        (
            "2024-05-02T08:31:00Z",
            Kind::RecoveryCodeSent,
            Some(Channel::Email),
            None,
        ),
        ("2024-05-02T08:33:41Z", Kind::RecoveryReset, None, None),
        (
            "2024-05-03T14:02:00Z",
            Kind::RecoveryReset,
            None,
            Some("helpdesk.admin@example.com"),
        ),
        (
            "2024-05-02T08:34:10Z",
            Kind::AccountPasswordChange,
            None,
            None,
        ),
        (
            "2024-05-02T08:35:00Z",
            Kind::AccountRecoveryInfoChange,
            Some(Channel::Email),
            None,
        ),
        (
            "2024-05-02T08:35:20Z",
            Kind::AccountRecoveryInfoChange,
            Some(Channel::Email),
            None,
        ),
        (
            "2024-05-02T08:36:00Z",
            Kind::AccountMfaChange,
            Some(Channel::Sms),
            None,
        ),
        (
            "2024-05-02T08:36:30Z",
            Kind::AccountMfaChange,
            Some(Channel::App),
            None,
        ),
        (
            "2024-05-03T14:05:00Z",
            Kind::AccountMfaChange,
            None,
            Some("helpdesk.admin@example.com"),
        ),
        (
            "2024-05-03T14:06:00Z",
            Kind::AccountMfaChange,
            Some(Channel::App),
            Some("helpdesk.admin@example.com"),
        ),
        (
            "2024-05-03T14:07:00Z",
            Kind::AccountMfaChange,
            Some(Channel::App),
            Some("helpdesk.admin@example.com"),
        ),
        // A security key is not a channel.
        ("2024-05-02T08:37:00Z", Kind::AccountMfaChange, None, None),
        ("2024-05-02T08:40:00Z", Kind::AppConsent, None, None),
    ];
    for (time, kind, channel, actor) in cases {
        let event = common::at(&events, time);
        assert_eq!(event.kind, *kind, "{time}");
        assert_eq!(event.outcome, Outcome::Success, "{time}");
        assert_eq!(event.channel, *channel, "{time}");
        assert_eq!(event.actor.as_deref(), *actor, "{time}");
        // The account is the user acted on, never the admin or Okta.
        assert_eq!(event.account, "jane.doe@example.com", "{time}");
    }
}

#[test]
fn api_page_array_pretty_printed() {
    let (events, summary) = common::decode_fixture("okta/api_page.json");
    assert_eq!(common::counts_as(&summary, Format::Okta), (3, 0, 0));
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [Kind::SessionStart, Kind::AuthMfa, Kind::RecoveryReset]
    );
    assert!(events.iter().all(|e| e.raw.line > 1), "lines of the array");
}

#[test]
fn event_hook_delivery_yields_its_events() {
    let (events, summary) = common::decode_fixture("okta/event_hook.json");
    let input = &summary.inputs[0];
    assert_eq!(input.formats[&Format::Okta].decoded, 1);
    assert_eq!(input.rejected(), 0);
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [Kind::RecoveryReset, Kind::AccountPasswordChange],
        "the third event, ThreatInsight without a user, is dropped"
    );
}

#[test]
fn siem_exports_with_lower_cased_keys_and_space_separated_times() {
    let (events, summary) = common::decode_fixture("okta/panther_lowercase.jsonl");
    assert_eq!(common::counts_as(&summary, Format::Okta), (2, 0, 0));
    assert_eq!(events[0].time, "2024-05-02T08:20:11.004Z".parse().unwrap());
    assert_eq!(events[0].reason, Some(Reason::BadPassword));
    assert_eq!(events[0].asn, Some(64511), "securitycontext");
    assert_eq!(
        events[1].session.as_deref(),
        Some("102ZcbnE1rRQP2tD0tN4RjTfw")
    );
    assert_eq!(
        events[1].risk,
        Some(Risk::Medium),
        "debugcontext with behaviors as an array"
    );
}

#[test]
fn bad_records_are_rejected_with_the_field_to_fix() {
    let (events, summary) = common::decode_fixture("okta/bad.jsonl");
    assert_eq!(events.len(), 1, "the good first line");
    let input = &summary.inputs[0];
    let rejected = common::rejected_by_reason(&summary);
    assert_eq!(
        rejected,
        [
            ("invalid JSON", 1),
            ("invalid `published`", 2),
            ("missing field `actor.alternateId`", 1),
            ("missing field `eventType`", 1),
            ("missing field `published`", 1),
        ]
    );
    let reasons: Vec<_> = input.examples.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons[0], "missing field `published`");
    assert_eq!(
        reasons[1],
        "invalid `published`: expected a string, found a number"
    );
    assert_eq!(
        reasons[2],
        "invalid `published`: `02/05/2024 08:20` is not an RFC 3339 time (like 2019-08-14T03:12:55Z)"
    );
    let skipped: Vec<_> = input.skipped.keys().map(String::as_str).collect();
    assert_eq!(
        skipped,
        [
            "event type user.session.clear",
            "event type user.session.start with `published` redacted",
            "event type user.session.start with outcome UNKNOWN",
        ]
    );
}

#[test]
fn sniff_claims_okta_records_only() {
    let okta = include_bytes!("data/okta/typical.json");
    assert_eq!(detect(okta).map(|d| d.format()), Some(Format::Okta));
    let auth0 = include_bytes!("data/auth0/typical.json");
    assert!(!decoder_for(Format::Okta).unwrap().sniff(auth0));
    // CloudTrail has an `eventType` too, but no `published`.
    let cloudtrail = br#"{"eventVersion":"1.08","eventTime":"2024-05-02T08:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","sourceIPAddress":"203.0.113.66"}"#;
    assert!(!decoder_for(Format::Okta).unwrap().sniff(cloudtrail));
}

#[test]
fn wrong_types_inside_objects_do_not_lose_the_record() {
    let record = br#"{"published":"2024-05-02T08:20:11.004Z","eventType":"user.session.start","outcome":{"result":"FAILURE","reason":7},"actor":{"id":"00u1","type":"User","alternateId":"Jane.Doe@Example.com"},"target":{"odd":true},"client":{"ipAddress":["203.0.113.66"],"geographicalContext":"Germany"},"securityContext":{"asNumber":"64511"},"debugContext":{"debugData":[1,2]}}"#;
    let decoded = decoder_for(Format::Okta)
        .unwrap()
        .decode(record, &DecodeContext::default())
        .unwrap();
    let Decoded::One(event) = decoded else {
        panic!("one event, got {decoded:?}")
    };
    assert_eq!(event.account, "jane.doe@example.com");
    assert_eq!(
        (event.kind, event.outcome),
        (Kind::AuthPassword, Outcome::Failure)
    );
    assert_eq!(event.ip, None);
    assert_eq!(event.asn, Some(64511));
}

#[test]
fn never_panics_on_truncated_records() {
    common::decode_every_prefix(
        Format::Okta,
        [&include_bytes!("data/okta/typical.json")[..]],
    );
}

/// Panther's Okta samples of rules that also cover other log types (so they cannot go in
/// `expect_okta.tsv`): failed and successful logins of the brute-force rules, successful
/// logins of the travel and geography rules.
#[test]
fn panther_okta_samples_of_cross_log_type_rules() {
    let Some(dir) = common::samples_dir() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("panther/panther-identity-tests.jsonl"))
        .expect("the Panther samples");
    let mut checked = 0;
    for line in text.lines() {
        let sample: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
        if sample["log_type"] != "Okta.SystemLog" {
            continue;
        }
        let rule = sample["source_rule"].as_str().unwrap_or_default();
        let test = sample["test_name"].as_str().unwrap_or_default();
        let want = match rule {
            "Standard.BruteForceByIP" | "Standard.BruteForceByUser" if test.contains("Failed") => {
                (Kind::AuthPassword, Outcome::Failure)
            }
            "Standard.BruteForceByIP"
            | "Standard.BruteForceByUser"
            | "Standard.ImpossibleTravel.Login"
            | "Standard.SignInFromRogueState" => (Kind::SessionStart, Outcome::Success),
            _ => continue,
        };
        let mut event = sample["event"].clone();
        if event["published"].as_str().is_none() {
            // The brute-force samples leave `published` out; give them one so their mapping
            // (an unknown user's failed sign-in) is still checked.
            if !rule.starts_with("Standard.BruteForce") {
                continue;
            }
            event["published"] = "2024-05-02T08:20:11.004Z".into();
        }
        let bytes = serde_json::to_vec(&event).unwrap();
        let (events, _) = common::decode_bytes(rule, &bytes);
        let got: Vec<_> = events.iter().map(|e| (e.kind, e.outcome)).collect();
        assert_eq!(got, [want], "{rule} / {test}");
        checked += 1;
    }
    assert_eq!(checked, 15);
}

#[test]
fn snapshot_of_every_fixture() {
    let mut all = Vec::new();
    for fixture in [
        "typical.json",
        "signin.jsonl",
        "recovery.jsonl",
        "api_page.json",
        "event_hook.json",
        "panther_lowercase.jsonl",
        "bad.jsonl",
    ] {
        let (events, _) = common::decode_fixture(&format!("okta/{fixture}"));
        all.extend(events);
    }
    insta::assert_snapshot!(common::native_lines(&all));
}
