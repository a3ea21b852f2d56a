mod common;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason, Risk};
use forewarn_sim::render::{corpus, renderer_for};

/// What the Reports API keeps of an event: no user agent, device or session, and time to the
/// millisecond.
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
    e.account_exists = None;
    e.user_agent = None;
    e.device_id = None;
    e.session = None;
    e
}

/// The events each corpus shape decodes back to, differences spelled out.
fn expected(event: &AuthEvent<'static>) -> Vec<AuthEvent<'static>> {
    let mut e = kept(event);
    match (event.kind, event.outcome, event.reason) {
        // No record: lookups, a bare correct password, unknown users, the recovery flow.
        (Kind::AccountLookup, _, _)
        | (Kind::AuthPassword, Outcome::Success, _)
        | (Kind::AuthPassword, _, Some(Reason::UnknownAccount))
        | (Kind::RecoveryStart | Kind::RecoveryCodeSent | Kind::RecoveryCodeVerify, _, _) => {
            return vec![]
        }
        // `password_edit` / `CHANGE_PASSWORD`: Google does not say the change was a reset.
        (Kind::RecoveryReset, _, _) => e.kind = Kind::AccountPasswordChange,
        // The factor's address or number is not logged.
        (Kind::AuthMfa | Kind::AccountRecoveryInfoChange, _, _) => e.channel_target = None,
        // `2sv_enroll` and the admin 2SV events do not name the factor.
        (Kind::AccountMfaChange, _, _) => e.channel = None,
        // Forwarding is to an address by definition.
        (Kind::MailboxRuleCreate, _, _) => e.channel = Some(Channel::Email),
        // An account warning carries no client address.
        (Kind::AccountLockout, _, _) => {
            e.ip = None;
            e.country = None;
            e.asn = None;
        }
        _ => {}
    }
    vec![e]
}

#[test]
fn every_corpus_event_decodes_back() {
    common::assert_decodes_as(Format::Gws, expected);
}

fn render(event: &AuthEvent<'_>) -> Vec<u8> {
    let (_, context) = corpus().swap_remove(0);
    let mut renderer = renderer_for(Format::Gws).expect("gws is written");
    let mut out = vec![Vec::new()];
    renderer.render(event, &context, &mut out);
    out.swap_remove(0)
}

fn record(event: &AuthEvent<'_>) -> serde_json::Value {
    serde_json::from_slice(&render(event)).expect("one JSON record")
}

fn shape(kind: Kind, reason: Option<Reason>, actor: bool) -> AuthEvent<'static> {
    corpus()
        .into_iter()
        .map(|(e, _)| e)
        .find(|e| e.kind == kind && e.reason == reason && e.actor.is_some() == actor)
        .expect("the corpus has this shape")
}

#[test]
fn a_wrong_password_is_a_login_failure_activity() {
    let event = shape(Kind::AuthPassword, Some(Reason::BadPassword), false);
    let r = record(&event);
    assert_eq!(r["kind"], "admin#reports#activity");
    assert_eq!(r["id"]["applicationName"], "login");
    assert_eq!(r["id"]["time"], "2019-08-14T03:17:46.250Z");
    assert!(r["id"]["uniqueQualifier"]
        .as_str()
        .is_some_and(|q| q.parse::<i64>().is_ok()));
    assert!(r["id"]["customerId"]
        .as_str()
        .is_some_and(|c| c.len() == 9 && c.starts_with("C0")));
    assert_eq!(r["actor"]["callerType"], "USER");
    assert_eq!(r["actor"]["email"], "jane.doe@example.com");
    assert_eq!(r["actor"]["profileId"].as_str().map(str::len), Some(21));
    assert_eq!(r["ipAddress"], "203.0.113.7");
    assert_eq!(r["networkInfo"]["ipAsn"][0], 7922);
    assert_eq!(r["networkInfo"]["regionCode"], "US");
    let e = &r["events"][0];
    assert_eq!(e["type"], "login");
    assert_eq!(e["name"], "login_failure");
    let params = e["parameters"].as_array().expect("a parameter list");
    let param = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(param("login_type")["value"], "google_password");
    assert_eq!(param("login_challenge_method")["multiValue"][0], "password");
    assert_eq!(
        param("login_failure_type")["value"],
        "login_failure_invalid_password"
    );
    assert_eq!(param("is_suspicious")["boolValue"], false);
}

#[test]
fn admin_actions_name_the_user_and_the_admin() {
    let event = shape(Kind::AccountMfaChange, None, true);
    let r = record(&event);
    assert_eq!(r["id"]["applicationName"], "admin");
    assert_eq!(r["actor"]["email"], "helpdesk.amy@example.com");
    assert_eq!(r["events"][0]["type"], "USER_SETTINGS");
    assert_eq!(r["events"][0]["name"], "TURN_OFF_2_STEP_VERIFICATION");
    assert_eq!(r["events"][0]["parameters"][0]["name"], "USER_EMAIL");
    assert_eq!(
        r["events"][0]["parameters"][0]["value"],
        "jane.doe@example.com"
    );
}

#[test]
fn the_second_factor_is_named_by_its_method() {
    let sms = corpus()
        .into_iter()
        .map(|(e, _)| e)
        .find(|e| e.kind == Kind::AuthMfa && e.channel == Some(Channel::Sms))
        .expect("the corpus has an SMS code");
    let r = record(&sms);
    assert_eq!(r["events"][0]["name"], "login_challenge");
    let params = &r["events"][0]["parameters"];
    assert_eq!(params[1]["name"], "login_challenge_method");
    assert_eq!(params[1]["multiValue"][0], "idv_preregistered_phone");
    assert_eq!(params[2]["value"], "Challenge Passed.");

    let timeout = shape(Kind::AuthMfa, Some(Reason::MfaTimeout), false);
    let r = record(&timeout);
    assert_eq!(r["events"][0]["name"], "login_failure");
    assert_eq!(
        r["events"][0]["parameters"][2]["value"],
        "login_failure_missing_second_factor"
    );
}

#[test]
fn google_verdicts_round_trip_as_risk() {
    // A sign-in Google blocked as an attack is its `suspicious_login` warning, dated by the
    // sign-in it judged.
    let mut blocked = shape(Kind::AuthPassword, Some(Reason::Blocked), false);
    blocked.risk = Some(Risk::High);
    let r = record(&blocked);
    assert_eq!(r["events"][0]["type"], "account_warning");
    assert_eq!(r["events"][0]["name"], "suspicious_login");
    let (decoded, summary) = common::decode("activities.jsonl", &render(&blocked));
    assert_eq!(summary.rejected(), 0);
    assert_eq!(decoded.len(), 1);
    assert_eq!(decoded[0].risk, Some(Risk::High));
    assert_eq!(decoded[0].reason, Some(Reason::Blocked));
    assert_eq!(decoded[0].time, blocked.time);
    assert_eq!(decoded[0].ip, blocked.ip);

    // Any risk on a sign-in is Google's `is_suspicious`, which reads back as medium.
    let mut session = shape(Kind::SessionStart, None, false);
    session.risk = Some(Risk::High);
    let (decoded, _) = common::decode("activities.jsonl", &render(&session));
    assert_eq!(decoded[0].risk, Some(Risk::Medium));

    let mut hijacked = shape(Kind::AccountLockout, None, false);
    hijacked.risk = Some(Risk::High);
    assert_eq!(
        record(&hijacked)["events"][0]["name"],
        "account_disabled_hijacked"
    );
    let (decoded, _) = common::decode("activities.jsonl", &render(&hijacked));
    assert_eq!(decoded[0].kind, Kind::AccountLockout);
    assert_eq!(decoded[0].risk, Some(Risk::High));
}

#[test]
fn output_is_deterministic() {
    let event = shape(Kind::SessionStart, None, false);
    assert_eq!(render(&event), render(&event));
}
