//! The Okta renderer against the Okta decoder: every corpus event is written as the System Log
//! event Okta logs for it, and decodes back to the event, less what Okta does not log.

mod common;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};

/// What the Okta decoder gives back for `event`: the event itself, except where the module
/// documentation of `render/okta.rs` says Okta records it differently.
fn expected(event: &AuthEvent<'static>) -> Vec<AuthEvent<'static>> {
    let mut back = event.clone();
    // Okta does not log the masked address or phone a code went to.
    back.channel_target = None;
    let by_admin = event.actor.is_some();
    match (
        event.kind,
        event.outcome,
        event.reason,
        event.channel,
        by_admin,
    ) {
        // No Okta record: identifier checks, the start of a recovery and its code check, mail.
        (Kind::AccountLookup | Kind::RecoveryStart | Kind::RecoveryCodeVerify, ..)
        | (Kind::MailboxRuleCreate, ..) => return vec![],
        // Okta sends reset messages, and performs self-service resets, as Okta System, which
        // is not someone acting for the user: they decode as the user's own.
        (Kind::RecoveryCodeSent, ..) | (Kind::RecoveryReset, _, _, _, false) => {}
        // Okta keeps a phone as an SMS factor: adding one is a factor activation.
        (Kind::AccountRecoveryInfoChange, _, _, Some(Channel::Sms), _) => {
            back.kind = Kind::AccountMfaChange;
        }
        (Kind::AuthMfa, Outcome::Failure, Some(Reason::MfaDenied), ..) => {
            back.channel = Some(Channel::App);
        }
        _ => {}
    }
    vec![back]
}

#[test]
fn every_corpus_event_decodes_back() {
    let trips = common::round_trip(Format::Okta);
    assert_eq!(trips.len(), forewarn_sim::render::corpus().len());
    for trip in &trips {
        let want = expected(&trip.event);
        assert_eq!(
            trip.decoded,
            want,
            "{:?} {:?} {:?} {:?} actor {:?}\n{}",
            trip.event.kind,
            trip.event.outcome,
            trip.event.reason,
            trip.event.channel,
            trip.event.actor,
            String::from_utf8_lossy(&trip.written[0].1)
        );
        // One record per event, or none.
        let lines = trip.written[0].1.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(lines, want.len(), "{:?}", trip.event.kind);
    }
}

#[test]
fn the_fields_that_matter_come_through() {
    for trip in common::round_trip(Format::Okta) {
        for decoded in &trip.decoded {
            assert_eq!(
                common::essentials(decoded).0,
                trip.event.time,
                "time keeps milliseconds"
            );
            assert_eq!(decoded.account, trip.event.account);
            assert_eq!(decoded.account_exists, trip.event.account_exists);
            assert_eq!(decoded.ip, trip.event.ip);
            assert_eq!(decoded.user_agent, trip.event.user_agent);
            assert_eq!(decoded.session, trip.event.session);
            assert_eq!(decoded.device_id, trip.event.device_id);
            assert_eq!(decoded.country, trip.event.country);
            assert_eq!(decoded.asn, trip.event.asn);
            assert_eq!(decoded.reason, trip.event.reason, "{:?}", trip.event.kind);
        }
    }
}

/// Finds the record written for the first corpus event of this shape.
fn record_for(kind: Kind, outcome: Outcome, reason: Option<Reason>) -> serde_json::Value {
    let trip = common::round_trip(Format::Okta)
        .into_iter()
        .find(|t| t.event.kind == kind && t.event.outcome == outcome && t.event.reason == reason)
        .expect("the corpus has this shape");
    serde_json::from_slice(&trip.written[0].1).expect("one JSON object")
}

#[test]
fn a_failed_password_reads_like_okta() {
    let log = record_for(
        Kind::AuthPassword,
        Outcome::Failure,
        Some(Reason::BadPassword),
    );
    assert_eq!(log["eventType"], "user.session.start");
    assert_eq!(log["displayMessage"], "User login to Okta");
    assert_eq!(log["outcome"]["result"], "FAILURE");
    assert_eq!(log["outcome"]["reason"], "INVALID_CREDENTIALS");
    assert_eq!(log["published"], "2019-08-14T03:17:46.250Z");
    assert_eq!(log["actor"]["type"], "User");
    assert_eq!(log["actor"]["alternateId"], "jane.doe@example.com");
    assert_eq!(log["actor"]["displayName"], "Jane Doe");
    let id = log["actor"]["id"].as_str().expect("a user id");
    assert!(id.starts_with("00u") && id.len() == 20, "{id}");
    assert_eq!(log["client"]["ipAddress"], "203.0.113.7");
    assert_eq!(log["client"]["geographicalContext"]["city"], "Denver");
    assert_eq!(
        log["client"]["geographicalContext"]["country"],
        "United States"
    );
    assert_eq!(log["client"]["userAgent"]["os"], "Windows 10");
    assert_eq!(log["client"]["userAgent"]["browser"], "CHROME");
    assert_eq!(log["securityContext"]["asNumber"], 7922);
    assert_eq!(
        log["securityContext"]["asOrg"],
        "Comcast Cable Communications, LLC"
    );
    assert_eq!(
        log["authenticationContext"]["externalSessionId"],
        "s-5eed0003"
    );
    assert_eq!(
        log["debugContext"]["debugData"]["deviceFingerprint"],
        "d-81f2"
    );
    assert_eq!(log["uuid"].as_str().map(str::len), Some(36));
}

#[test]
fn an_unknown_user_is_the_actor_id_unknown() {
    let log = record_for(
        Kind::AuthPassword,
        Outcome::Failure,
        Some(Reason::UnknownAccount),
    );
    assert_eq!(log["eventType"], "user.session.start");
    assert_eq!(log["outcome"]["reason"], "VERIFICATION_ERROR");
    assert_eq!(log["actor"]["id"], "unknown");
    assert_eq!(log["actor"]["alternateId"], "jane.d@example.com");
}

#[test]
fn mfa_and_recovery_records_name_factor_and_target() {
    let push = record_for(Kind::AuthMfa, Outcome::Success, None);
    assert_eq!(push["eventType"], "user.authentication.auth_via_mfa");
    assert_eq!(
        push["debugContext"]["debugData"]["factor"],
        "OKTA_VERIFY_PUSH"
    );

    let denied = record_for(Kind::AuthMfa, Outcome::Failure, Some(Reason::MfaDenied));
    assert_eq!(denied["eventType"], "user.mfa.okta_verify.deny_push");

    let sent = record_for(Kind::RecoveryCodeSent, Outcome::Success, None);
    assert_eq!(
        sent["eventType"],
        "system.email.password_reset.sent_message"
    );
    assert_eq!(sent["actor"]["type"], "SystemPrincipal");
    assert_eq!(sent["target"][0]["type"], "User");
    assert_eq!(sent["target"][0]["alternateId"], "jane.doe@example.com");

    let lock = record_for(Kind::AccountLockout, Outcome::Success, None);
    assert_eq!(lock["eventType"], "user.account.lock");
    assert_eq!(lock["outcome"]["reason"], "LOCKED_OUT");
}

#[test]
fn an_admin_reset_names_the_admin() {
    let trip = common::round_trip(Format::Okta)
        .into_iter()
        .find(|t| t.event.kind == Kind::RecoveryReset && t.event.actor.is_some())
        .expect("the corpus has an admin reset");
    let log: serde_json::Value = serde_json::from_slice(&trip.written[0].1).expect("JSON");
    assert_eq!(log["eventType"], "user.account.reset_password");
    assert_eq!(log["actor"]["alternateId"], "helpdesk.amy@example.com");
    assert_eq!(log["actor"]["displayName"], "Amy Helpdesk");
    assert_eq!(log["target"][0]["alternateId"], "jane.doe@example.com");
    assert_ne!(log["actor"]["id"], log["target"][0]["id"]);
}
