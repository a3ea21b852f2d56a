//! The Auth0 renderer against the Auth0 decoder: every corpus event is written as the tenant log
//! Auth0 writes for it, and decodes back to the event, less what Auth0 does not log.

mod common;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};

/// How Auth0 summarizes the corpus's user agent in `user_agent`.
const SUMMARIZED_AGENT: &str = "Chrome 76.0.3809 / Windows 10.0.0";

/// What the Auth0 decoder gives back for `event`: the event itself, except where the module
/// documentation of `render/auth0.rs` says Auth0 records it differently.
fn expected(event: &AuthEvent<'static>) -> Vec<AuthEvent<'static>> {
    let mut back = event.clone();
    // Never in Auth0 logs: geolocation, device, network, who else acted.
    back.country = None;
    back.device_id = None;
    back.asn = None;
    back.actor = None;
    back.user_agent = Some(SUMMARIZED_AGENT.into());
    // The masked target survives only for SMS, in the Guardian authenticator or request body.
    if back.channel != Some(Channel::Sms) {
        back.channel_target = None;
    }
    let by_admin = event.actor.is_some();
    let code = match (
        event.kind,
        event.outcome,
        event.reason,
        event.channel,
        by_admin,
    ) {
        (Kind::AccountLookup, ..) => return vec![],
        (Kind::AuthPassword, Outcome::Success, ..) => "scoa",
        (Kind::AuthPassword, Outcome::Failure, Some(Reason::BadPassword), ..) => "fp",
        (Kind::AuthPassword, Outcome::Failure, Some(Reason::UnknownAccount), ..) => "fu",
        (Kind::AuthPassword, Outcome::Failure, Some(Reason::Locked), ..) => {
            // Auth0 blocks the IP for the user rather than locking the account.
            back.reason = Some(Reason::Blocked);
            "f"
        }
        (Kind::AuthPassword, Outcome::Failure, Some(Reason::Blocked), ..) => "limit_sul",
        (Kind::AuthMfa, Outcome::Success, ..) => {
            back.channel = None;
            back.channel_target = None;
            "gd_auth_succeed"
        }
        (Kind::AuthMfa, Outcome::Failure, Some(Reason::MfaDenied), ..) => "gd_auth_rejected",
        (Kind::AuthMfa, Outcome::Failure, Some(Reason::MfaTimeout), ..) => {
            back.channel = None;
            "feoobft"
        }
        (Kind::RecoveryStart | Kind::RecoveryCodeVerify, ..) => return vec![],
        (Kind::RecoveryCodeSent, _, _, Some(Channel::Email), _) => "scpr",
        // Auth0 resets passwords by email only.
        (Kind::RecoveryCodeSent, _, _, Some(Channel::Sms), _) => return vec![],
        // An admin's reset is a Management API call, which the decoder skips.
        (Kind::RecoveryReset, _, _, _, true) => return vec![],
        (Kind::RecoveryReset, Outcome::Success, _, _, false) => "scp",
        (Kind::AccountRecoveryInfoChange, _, _, Some(Channel::Email), _) => "sce",
        (Kind::AccountRecoveryInfoChange, _, _, Some(Channel::Sms), _) => {
            // The new number is in `details.body.new_phone_number`, which the decoder does not
            // read.
            back.channel_target = None;
            "scpn"
        }
        (Kind::AccountMfaChange, Outcome::Success, _, _, false) => "gd_enrollment_complete",
        (Kind::AccountMfaChange, Outcome::Success, _, _, true) => "gd_unenroll",
        (Kind::AccountPasswordChange, ..) => return vec![],
        (Kind::SessionStart, Outcome::Success, ..) => "s",
        (Kind::MailboxRuleCreate | Kind::AppConsent, ..) => return vec![],
        (Kind::AccountLockout, ..) => {
            // `limit_wc` names the user by login only.
            back.account_exists = None;
            "limit_wc"
        }
        other => panic!("the corpus gained a shape this test does not know: {other:?}"),
    };
    // Only the logs of a login in progress carry its session id.
    if !matches!(
        code,
        "s" | "scoa" | "gd_auth_succeed" | "gd_auth_rejected" | "gd_enrollment_complete"
    ) {
        back.session = None;
    }
    // Auth0 says a user exists only by resolving it: `user_id` on a success, `fp`, `fu`.
    if !matches!(code, "fp" | "fu") && event.outcome == Outcome::Failure {
        back.account_exists = None;
    }
    vec![back]
}

#[test]
fn every_corpus_event_decodes_back() {
    common::assert_decodes_as(Format::Auth0, expected);
}

#[test]
fn one_log_per_event_with_the_type_code_auth0_uses() {
    let codes: Vec<(Kind, Option<String>)> = common::round_trip(Format::Auth0)
        .into_iter()
        .map(|trip| {
            let bytes = &trip.written[0].1;
            assert!(bytes.iter().filter(|&&b| b == b'\n').count() <= 1);
            let code = (!bytes.is_empty()).then(|| {
                let log: serde_json::Value = serde_json::from_slice(bytes).expect("JSON");
                log["type"].as_str().expect("a type").to_owned()
            });
            (trip.event.kind, code)
        })
        .collect();
    let written: Vec<&str> = codes.iter().filter_map(|(_, c)| c.as_deref()).collect();
    assert_eq!(
        written,
        [
            "scoa",
            "fp",
            "fu",
            "f",
            "limit_sul",
            "gd_auth_succeed",
            "gd_auth_succeed",
            "gd_auth_rejected",
            "feoobft",
            "scpr",
            "scp",
            "sapi",
            "sce",
            "scpn",
            "gd_enrollment_complete",
            "gd_unenroll",
            "s",
            "limit_wc",
        ]
    );
}

/// The log written for the first corpus event of this shape.
fn log_for(kind: Kind, outcome: Outcome, reason: Option<Reason>) -> serde_json::Value {
    let trip = common::round_trip(Format::Auth0)
        .into_iter()
        .find(|t| t.event.kind == kind && t.event.outcome == outcome && t.event.reason == reason)
        .expect("the corpus has this shape");
    serde_json::from_slice(&trip.written[0].1).expect("one JSON object")
}

#[test]
fn a_successful_login_reads_like_auth0() {
    let log = log_for(Kind::SessionStart, Outcome::Success, None);
    assert_eq!(log["type"], "s");
    assert_eq!(log["description"], "Successful login");
    assert_eq!(log["date"], "2019-08-14T03:53:20.250Z");
    assert_eq!(log["ip"], "203.0.113.7");
    assert_eq!(log["user_agent"], SUMMARIZED_AGENT);
    assert_eq!(log["user_name"], "jane.doe@example.com");
    let user_id = log["user_id"].as_str().expect("a user id");
    assert!(
        user_id.starts_with("auth0|") && user_id.len() == 30,
        "{user_id}"
    );
    assert_eq!(log["connection"], "Username-Password-Authentication");
    assert_eq!(log["strategy"], "auth0");
    assert_eq!(log["strategy_type"], "database");
    assert_eq!(log["details"]["session_id"], "s-5eed0019");
    assert_eq!(log["tenant_name"], "example");
    assert_eq!(log["hostname"], "login.example.com");
    let log_id = log["log_id"].as_str().expect("a log id");
    assert!(
        log_id.starts_with("90020190814") && log_id.len() == 56,
        "{log_id}"
    );
}

#[test]
fn failures_and_guardian_logs_read_like_auth0() {
    let unknown = log_for(
        Kind::AuthPassword,
        Outcome::Failure,
        Some(Reason::UnknownAccount),
    );
    assert_eq!(unknown["type"], "fu");
    assert_eq!(unknown["description"], "Wrong email or password.");
    assert_eq!(unknown["user_name"], "jane.d@example.com");
    assert_eq!(unknown["user_id"], "");
    assert_eq!(unknown["details"]["error"]["oauthError"], "access_denied");

    let rejected = log_for(Kind::AuthMfa, Outcome::Failure, Some(Reason::MfaDenied));
    assert_eq!(rejected["type"], "gd_auth_rejected");
    assert_eq!(rejected["details"]["authenticator"]["type"], "push");
    assert_eq!(rejected["connection"], "");

    let reset = log_for(Kind::RecoveryCodeSent, Outcome::Success, None);
    assert_eq!(reset["type"], "scpr");
    assert_eq!(reset["details"]["body"]["email"], "jane.doe@example.com");
    assert_eq!(
        reset["details"]["body"]["connection"],
        "Username-Password-Authentication"
    );

    let lockout = log_for(Kind::AccountLockout, Outcome::Success, None);
    assert_eq!(lockout["type"], "limit_wc");
    assert!(lockout["description"]
        .as_str()
        .is_some_and(|d| d.starts_with("User (jane.doe@example.com) attempted 10")));
}

#[test]
fn a_phone_change_names_the_new_number() {
    let trip = common::round_trip(Format::Auth0)
        .into_iter()
        .find(|t| {
            t.event.kind == Kind::AccountRecoveryInfoChange && t.event.channel == Some(Channel::Sms)
        })
        .expect("the corpus has a phone change");
    let log: serde_json::Value = serde_json::from_slice(&trip.written[0].1).expect("JSON");
    assert_eq!(log["type"], "scpn");
    assert_eq!(
        log["details"]["body"]["new_phone_number"],
        "+1 ***-***-0147"
    );
    assert_eq!(trip.decoded.len(), 1);
    assert_eq!(trip.decoded[0].channel, Some(Channel::Sms));
}
