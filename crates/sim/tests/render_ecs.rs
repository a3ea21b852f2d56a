mod common;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};
use forewarn_sim::render::{corpus, renderer_for};

/// What an ECS document keeps: no session, risk or channel target, whether the account exists
/// said only of unknown users, and time to the millisecond.
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
    e.session = None;
    e.risk = None;
    e.channel_target = None;
    e
}

/// The events each corpus shape decodes back to, differences spelled out.
fn expected(event: &AuthEvent<'static>) -> Vec<AuthEvent<'static>> {
    let mut e = kept(event);
    match (event.kind, event.outcome, event.reason) {
        // No Okta event that reads as these.
        (Kind::AccountLookup, _, _)
        | (Kind::AuthPassword, Outcome::Success, _)
        | (Kind::RecoveryStart | Kind::RecoveryCodeVerify, _, _)
        | (Kind::AccountRecoveryInfoChange | Kind::MailboxRuleCreate | Kind::AppConsent, _, _) => {
            return vec![]
        }
        // Only `deny_push` names its factor (a push: `app`).
        (Kind::AuthMfa, Outcome::Failure, Some(Reason::MfaDenied)) => {
            assert_eq!(e.channel, Some(Channel::App));
        }
        (Kind::AuthMfa | Kind::AccountMfaChange, _, _) => e.channel = None,
        _ => {}
    }
    vec![e]
}

#[test]
fn every_corpus_event_decodes_back() {
    common::assert_decodes_as(Format::Ecs, expected);
}

fn document(kind: Kind, reason: Option<Reason>, actor: bool) -> serde_json::Value {
    let (event, context) = corpus()
        .into_iter()
        .find(|(e, _)| e.kind == kind && e.reason == reason && e.actor.is_some() == actor)
        .expect("the corpus has this shape");
    let mut renderer = renderer_for(Format::Ecs).expect("ecs is written");
    let mut out = vec![Vec::new()];
    renderer.render(&event, &context, &mut out);
    serde_json::from_slice(&out[0]).expect("one JSON document")
}

#[test]
fn a_wrong_password_is_a_failed_okta_session_start() {
    let d = document(Kind::AuthPassword, Some(Reason::BadPassword), false);
    assert_eq!(d["@timestamp"], "2019-08-14T03:17:46.250Z");
    assert_eq!(d["event"]["action"], "user.session.start");
    assert_eq!(d["event"]["category"][0], "session");
    assert_eq!(d["event"]["type"][0], "start");
    assert_eq!(d["event"]["outcome"], "failure");
    assert_eq!(d["event"]["reason"], "INVALID_CREDENTIALS");
    assert_eq!(d["event"]["kind"], "event");
    assert_eq!(d["event"]["module"], "okta");
    assert_eq!(d["event"]["dataset"], "okta.system");
    assert_eq!(d["user"]["name"], "jane.doe@example.com");
    assert_eq!(d["user"]["email"], "jane.doe@example.com");
    assert_eq!(d["user"]["full_name"], "Jane Doe");
    assert_eq!(d["source"]["ip"], "203.0.113.7");
    assert_eq!(d["source"]["geo"]["city_name"], "Denver");
    assert_eq!(d["source"]["geo"]["country_iso_code"], "US");
    assert_eq!(d["source"]["as"]["number"], 7922);
    assert_eq!(
        d["source"]["as"]["organization"]["name"],
        "Comcast Cable Communications, LLC"
    );
    assert!(d["user_agent"]["original"]
        .as_str()
        .is_some_and(|ua| ua.starts_with("Mozilla/5.0")));
    assert_eq!(d["device"]["id"], "d-81f2");
    assert_eq!(d["okta"]["outcome"]["result"], "FAILURE");
    assert_eq!(
        d["okta"]["authentication_context"]["external_session_id"],
        "s-5eed0003"
    );
}

#[test]
fn an_admin_reset_names_the_user_as_target() {
    let d = document(Kind::RecoveryReset, None, true);
    assert_eq!(d["event"]["action"], "user.account.reset_password");
    assert_eq!(d["event"]["category"][0], "authentication");
    assert_eq!(d["event"]["outcome"], "success");
    assert_eq!(d["user"]["email"], "helpdesk.amy@example.com");
    assert_eq!(d["user"]["target"]["email"], "jane.doe@example.com");
    assert_eq!(d["related"]["user"][1], "jane.doe@example.com");
}

#[test]
fn a_lockout_is_iam() {
    let d = document(Kind::AccountLockout, None, false);
    assert_eq!(d["event"]["action"], "user.account.lock");
    assert_eq!(d["event"]["category"][0], "iam");
    assert_eq!(d["event"]["type"][0], "user");
}

#[test]
fn a_denied_push_is_okta_verify_deny_push() {
    let d = document(Kind::AuthMfa, Some(Reason::MfaDenied), false);
    assert_eq!(d["event"]["action"], "user.mfa.okta_verify.deny_push");
    assert_eq!(d["message"], "User rejected Okta push verify");
    assert!(d["event"].get("reason").is_none());
}
