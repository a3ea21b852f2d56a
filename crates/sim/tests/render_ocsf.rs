mod common;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Kind, Outcome, Reason};
use forewarn_sim::render::{corpus, renderer_for};

/// What an OCSF event keeps: everything but `risk` and whether the account exists (said only
/// of unknown users), with time to the millisecond.
fn kept(event: &AuthEvent<'static>) -> AuthEvent<'static> {
    let mut e = event.clone();
    e.time = e
        .time
        .round(
            jiff::TimestampRound::new()
                .smallest(jiff::Unit::Millisecond)
                .mode(jiff::RoundMode::Trunc),
        )
        .expect("a time in range");
    if e.reason != Some(Reason::UnknownAccount) {
        e.account_exists = None;
    }
    e.risk = None;
    e
}

/// The events each corpus shape decodes back to, differences spelled out.
fn expected(event: &AuthEvent<'static>) -> Vec<AuthEvent<'static>> {
    let e = kept(event);
    match (event.kind, event.outcome) {
        // No OCSF activity for these.
        (Kind::AccountLookup, _)
        | (Kind::AuthPassword, Outcome::Success)
        | (Kind::RecoveryStart | Kind::RecoveryCodeSent | Kind::RecoveryCodeVerify, _)
        | (Kind::AccountRecoveryInfoChange | Kind::MailboxRuleCreate | Kind::AppConsent, _)
        // A passed factor would be a Logon with `is_mfa`, which grants a session; a push sent
        // must not read as one (see the renderer's notes).
        | (Kind::AuthMfa, Outcome::Success) => vec![],
        _ => vec![e],
    }
}

#[test]
fn every_corpus_event_decodes_back() {
    common::assert_decodes_as(Format::Ocsf, expected);
}

fn record(kind: Kind, reason: Option<Reason>, actor: bool) -> serde_json::Value {
    let (event, context) = corpus()
        .into_iter()
        .find(|(e, _)| e.kind == kind && e.reason == reason && e.actor.is_some() == actor)
        .expect("the corpus has this shape");
    let mut renderer = renderer_for(Format::Ocsf).expect("ocsf is written");
    let mut out = vec![Vec::new()];
    renderer.render(&event, &context, &mut out);
    serde_json::from_slice(&out[0]).expect("one JSON record")
}

#[test]
fn a_wrong_password_is_a_failed_logon() {
    let r = record(Kind::AuthPassword, Some(Reason::BadPassword), false);
    assert_eq!(r["class_uid"], 3002);
    assert_eq!(r["class_name"], "Authentication");
    assert_eq!(r["category_uid"], 3);
    assert_eq!(r["activity_id"], 1);
    assert_eq!(r["activity_name"], "Logon");
    assert_eq!(r["type_uid"], 300201);
    assert_eq!(r["type_name"], "Authentication: Logon");
    assert_eq!(r["status_id"], 2);
    assert_eq!(r["status"], "Failure");
    assert_eq!(r["status_detail"], "INVALID_CREDENTIALS");
    assert_eq!(r["time"], 1565752666250_i64);
    assert_eq!(r["time_dt"], "2019-08-14T03:17:46.250Z");
    assert_eq!(r["is_mfa"], false);
    assert_eq!(r["user"]["email_addr"], "jane.doe@example.com");
    assert_eq!(r["user"]["name"], "Jane Doe");
    assert!(r["user"]["uid"]
        .as_str()
        .is_some_and(|u| u.starts_with("00u") && u.len() == 20));
    assert_eq!(r["user"]["type_id"], 1);
    assert_eq!(r["actor"]["session"]["uid"], "s-5eed0003");
    assert_eq!(r["src_endpoint"]["ip"], "203.0.113.7");
    assert_eq!(r["src_endpoint"]["location"]["city"], "Denver");
    assert_eq!(r["src_endpoint"]["location"]["country"], "US");
    assert_eq!(r["src_endpoint"]["autonomous_system"]["number"], 7922);
    assert_eq!(
        r["src_endpoint"]["autonomous_system"]["name"],
        "Comcast Cable Communications, LLC"
    );
    assert!(r["http_request"]["user_agent"]
        .as_str()
        .is_some_and(|ua| ua.starts_with("Mozilla/5.0")));
    assert_eq!(r["device"]["uid"], "d-81f2");
    assert_eq!(r["dst_endpoint"]["hostname"], "example.okta.com");
    assert_eq!(r["metadata"]["product"]["name"], "Okta System Log");
    assert_eq!(r["metadata"]["product"]["vendor_name"], "Okta");
    assert_eq!(r["metadata"]["event_code"], "user.session.start");
    assert_eq!(r["metadata"]["version"], "1.3.0");
}

#[test]
fn a_help_desk_factor_reset_is_an_account_change_by_the_admin() {
    let r = record(Kind::AccountMfaChange, None, true);
    assert_eq!(r["class_uid"], 3001);
    assert_eq!(r["activity_id"], 11);
    assert_eq!(r["type_uid"], 300111);
    assert_eq!(r["type_name"], "Account Change: MFA Factor Disable");
    assert_eq!(r["status_id"], 1);
    assert_eq!(r["user"]["email_addr"], "jane.doe@example.com");
    assert_eq!(r["actor"]["user"]["email_addr"], "helpdesk.amy@example.com");
    assert_eq!(r["actor"]["user"]["name"], "Helpdesk Amy");
    assert_eq!(r["actor"]["user"]["type"], "Admin");
    assert_eq!(r["auth_factors"][0]["factor_type_id"], 5);
    assert_eq!(r["metadata"]["event_code"], "user.mfa.factor.reset_all");
}

#[test]
fn a_denied_push_names_the_factor() {
    let r = record(Kind::AuthMfa, Some(Reason::MfaDenied), false);
    assert_eq!(r["status_detail"], "User rejected Okta push verify");
    assert_eq!(r["is_mfa"], true);
    assert_eq!(r["auth_factors"][0]["factor_type"], "Push Notification");
    assert_eq!(r["auth_factors"][0]["factor_type_id"], 5);
}

#[test]
fn an_unknown_user_has_no_id() {
    let r = record(Kind::AuthPassword, Some(Reason::UnknownAccount), false);
    assert_eq!(r["status_detail"], "UNKNOWN_USER");
    assert_eq!(r["user"]["email_addr"], "jane.d@example.com");
    assert_eq!(r["user"]["type_id"], 0);
    assert!(r["user"].get("uid").is_none());
    assert!(r["user"].get("name").is_none());
}
