mod common;

use std::borrow::Cow;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};
use forewarn_sim::render::{corpus, renderer_for, RenderContext};
use serde_json::Value;

/// The one record written for an event, with the file it went to.
fn record(written: &[(&'static str, Vec<u8>)]) -> Option<(&'static str, Value)> {
    let mut lines = written.iter().flat_map(|(name, bytes)| {
        bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(move |l| (*name, serde_json::from_slice(l).expect("a JSON line")))
    });
    let first = lines.next();
    assert!(lines.next().is_none(), "one record per event");
    first
}

fn text(value: &Value) -> Option<Cow<'static, str>> {
    value.as_str().map(|s| Cow::Owned(s.to_owned()))
}

fn is_guid(text: &str) -> bool {
    text.len() == 36 && text.bytes().filter(|b| *b == b'-').count() == 4
}

/// What a sign-in record keeps of an event: everything but the channel's target (and the
/// session and device, which become GUIDs).
fn as_sign_in(event: &AuthEvent<'static>, record: &Value) -> AuthEvent<'static> {
    let mut e = event.clone();
    e.channel_target = None;
    e.session = text(&record["sessionId"]);
    e.device_id = text(&record["deviceDetail"]["deviceId"]);
    e
}

/// What an audit record keeps: no existence, geo, device or channel target.
fn as_audit(event: &AuthEvent<'static>, record: &Value) -> AuthEvent<'static> {
    let mut e = event.clone();
    e.account_exists = None;
    e.country = None;
    e.asn = None;
    e.device_id = None;
    e.channel_target = None;
    e.session = text(&record["correlationId"]);
    e
}

/// The password step an MFA or policy record shows, decoded before the record's own event.
fn password_passed(e: &AuthEvent<'static>) -> AuthEvent<'static> {
    let mut p = e.clone();
    p.kind = Kind::AuthPassword;
    p.outcome = Outcome::Success;
    p.reason = None;
    p.channel = None;
    p
}

#[test]
fn entra_round_trips_every_shape() {
    for trip in common::round_trip(Format::Entra) {
        let event = &trip.event;
        let shape = (event.kind, event.outcome, event.reason, event.channel);
        let written = record(&trip.written);
        let expected = match (shape, &written) {
            // Not logged by Entra.
            ((Kind::AccountLookup, Outcome::Failure, ..), None)
            | ((Kind::AuthPassword, Outcome::Success, ..), None)
            | ((Kind::MailboxRuleCreate, ..), None)
            | ((Kind::AccountLockout, ..), None) => vec![],
            ((Kind::AuthPassword, Outcome::Failure, reason, _), Some(("signins.jsonl", r))) => {
                let mut e = as_sign_in(event, r);
                e.account_exists = (reason == Some(Reason::UnknownAccount)).then_some(false);
                // 50053 is both smart lockout and a blocked source; the failure text tells.
                vec![e]
            }
            ((Kind::AuthMfa, ..), Some(("signins.jsonl", r))) => {
                let e = as_sign_in(event, r);
                vec![password_passed(&e), e]
            }
            ((Kind::SessionStart, ..), Some(("signins.jsonl", r))) => vec![as_sign_in(event, r)],
            ((Kind::RecoveryStart, ..), Some(("audit.jsonl", r))) => {
                let mut e = as_audit(event, r);
                e.channel = None;
                vec![e]
            }
            ((Kind::RecoveryCodeVerify, Outcome::Failure, ..), Some(("audit.jsonl", r))) => {
                let mut e = as_audit(event, r);
                e.channel = None;
                vec![e]
            }
            ((_, Outcome::Success, ..), Some(("audit.jsonl", r))) => vec![as_audit(event, r)],
            (shape, written) => panic!("unexpected {shape:?} written as {written:?}"),
        };
        assert_eq!(trip.decoded, expected, "{shape:?}");
        for e in &trip.decoded {
            let session = e.session.as_deref().expect("a session");
            assert!(is_guid(session), "{session}");
            assert!(e.user_agent.is_some());
        }
    }
}

#[test]
fn sessions_and_devices_become_stable_guids_shared_by_both_files() {
    let (mut event, context) = corpus().remove(25);
    assert_eq!(event.kind, Kind::SessionStart);
    let render = |event: &AuthEvent<'_>, context: &RenderContext<'_>| {
        let mut renderer = renderer_for(Format::Entra).expect("entra");
        let mut out = vec![Vec::new(); 2];
        renderer.render(event, context, &mut out);
        out
    };
    let first = render(&event, &context);
    let again = render(
        &event,
        &RenderContext {
            seq: 999,
            ..context
        },
    );
    let one = |out: &[Vec<u8>], i: usize| -> Value { serde_json::from_slice(&out[i]).unwrap() };
    assert_eq!(
        one(&first, 0)["sessionId"],
        one(&again, 0)["sessionId"],
        "same session, same id"
    );
    assert_eq!(
        one(&first, 0)["deviceDetail"]["deviceId"],
        one(&again, 0)["deviceDetail"]["deviceId"]
    );
    assert_ne!(one(&first, 0)["id"], one(&again, 0)["id"], "records differ");
    assert_eq!(first, render(&event, &context), "deterministic");

    // A reset in the same session carries the session's id as its correlation id.
    let session_id = one(&first, 0)["sessionId"].clone();
    event.kind = Kind::RecoveryReset;
    let reset = render(&event, &context);
    assert!(reset[0].is_empty());
    assert_eq!(one(&reset, 1)["correlationId"], session_id);

    event.kind = Kind::SessionStart;
    event.session = Some(Cow::Borrowed("another"));
    assert_ne!(one(&render(&event, &context), 0)["sessionId"], session_id);
}

#[test]
fn an_mfa_denial_reads_like_entra_wrote_it() {
    let trip = common::round_trip(Format::Entra)
        .into_iter()
        .find(|t| t.event.kind == Kind::AuthMfa && t.event.reason == Some(Reason::MfaDenied))
        .expect("in the corpus");
    let (file, r) = record(&trip.written).expect("written");
    assert_eq!(file, "signins.jsonl");
    assert_eq!(r["createdDateTime"], "2019-08-14T03:27:28.2500000Z");
    assert_eq!(r["userPrincipalName"], "jane.doe@example.com");
    assert_eq!(r["userDisplayName"], "Jane Doe");
    assert!(is_guid(r["userId"].as_str().unwrap()));
    assert_eq!(r["ipAddress"], "2607:fb90:1c2e::5a1");
    assert_eq!(r["status"]["errorCode"], 500121);
    assert_eq!(
        r["status"]["failureReason"],
        "Authentication failed during strong authentication request."
    );
    assert_eq!(
        r["status"]["additionalDetails"],
        "MFA denied; user declined the authentication"
    );
    assert_eq!(r["clientAppUsed"], "Browser");
    assert_eq!(r["isInteractive"], true);
    assert_eq!(r["location"]["city"], "Denver");
    assert_eq!(r["location"]["countryOrRegion"], "US");
    assert_eq!(r["autonomousSystemNumber"], 7922);
    assert_eq!(r["deviceDetail"]["operatingSystem"], "Windows10");
    assert_eq!(r["deviceDetail"]["browser"], "Chrome 76.0.3809");
    assert!(is_guid(r["correlationId"].as_str().unwrap()));
    let steps = r["authenticationDetails"].as_array().unwrap();
    assert_eq!(steps[0]["authenticationMethod"], "Password");
    assert_eq!(steps[0]["succeeded"], true);
    assert_eq!(steps[1]["authenticationMethod"], "Mobile app notification");
    assert_eq!(steps[1]["succeeded"], false);
    assert_eq!(r["mfaDetail"]["authMethod"], "Mobile app notification");
}

#[test]
fn an_admin_reset_reads_like_entra_wrote_it() {
    let trip = common::round_trip(Format::Entra)
        .into_iter()
        .find(|t| t.event.kind == Kind::RecoveryReset && t.event.actor.is_some())
        .expect("in the corpus");
    let (file, r) = record(&trip.written).expect("written");
    assert_eq!(file, "audit.jsonl");
    assert_eq!(r["activityDisplayName"], "Reset user password");
    assert_eq!(r["loggedByService"], "Core Directory");
    assert_eq!(r["category"], "UserManagement");
    assert_eq!(r["result"], "success");
    assert!(r["id"].as_str().unwrap().starts_with("Directory_"));
    let initiator = &r["initiatedBy"]["user"];
    assert_eq!(initiator["userPrincipalName"], "helpdesk.amy@example.com");
    assert_eq!(initiator["ipAddress"], "2607:fb90:1c2e::5a1");
    let target = &r["targetResources"][0];
    assert_eq!(target["type"], "User");
    assert_eq!(target["userPrincipalName"], "jane.doe@example.com");
    assert_eq!(target["displayName"], "Jane Doe");
    assert_ne!(target["id"], initiator["id"]);
}

/// Shapes the corpus does not hold, each rendered and decoded on its own.
#[test]
fn other_shapes_map_as_documented() {
    let (base, context) = corpus().remove(2);
    let decode = |kind, outcome, reason, channel| {
        let mut event = base.clone();
        (event.kind, event.outcome, event.reason, event.channel) = (kind, outcome, reason, channel);
        let mut renderer = renderer_for(Format::Entra).expect("entra");
        let mut out = vec![Vec::new(); 2];
        renderer.render(&event, &context, &mut out);
        let (name, bytes) = if out[0].is_empty() {
            ("audit.jsonl", &out[1])
        } else {
            ("signins.jsonl", &out[0])
        };
        let (events, summary) = common::decode(name, bytes);
        assert_eq!(summary.rejected(), 0, "{}", String::from_utf8_lossy(bytes));
        events
            .iter()
            .map(|e| (e.kind, e.outcome, e.reason, e.channel))
            .collect::<Vec<_>>()
    };
    use Outcome::*;
    let password = (Kind::AuthPassword, Success, None, None);
    // A legacy client cannot answer a second factor: 50076, not interactive.
    assert_eq!(
        decode(Kind::AuthMfa, Failure, None, None),
        vec![password, (Kind::AuthMfa, Failure, None, None)]
    );
    assert_eq!(
        decode(
            Kind::AuthMfa,
            Failure,
            Some(Reason::MfaTimeout),
            Some(Channel::Sms)
        ),
        vec![
            password,
            (
                Kind::AuthMfa,
                Failure,
                Some(Reason::MfaTimeout),
                Some(Channel::Sms)
            )
        ]
    );
    assert_eq!(
        decode(
            Kind::AuthMfa,
            Failure,
            Some(Reason::BadCode),
            Some(Channel::Sms)
        ),
        vec![
            password,
            (
                Kind::AuthMfa,
                Failure,
                Some(Reason::BadCode),
                Some(Channel::Sms)
            )
        ]
    );
    assert_eq!(
        decode(Kind::SessionStart, Failure, Some(Reason::Blocked), None),
        vec![
            password,
            (Kind::SessionStart, Failure, Some(Reason::Blocked), None)
        ]
    );
    assert_eq!(
        decode(Kind::SessionStart, Failure, None, None),
        vec![(Kind::SessionStart, Failure, None, None)]
    );
    assert_eq!(
        decode(Kind::RecoveryStart, Failure, Some(Reason::Blocked), None),
        vec![(Kind::RecoveryStart, Failure, Some(Reason::Blocked), None)]
    );
    assert_eq!(
        decode(Kind::RecoveryStart, Failure, None, None),
        vec![(Kind::RecoveryStart, Failure, None, None)]
    );
    assert_eq!(
        decode(Kind::RecoveryCodeSent, Success, None, Some(Channel::App)),
        vec![(Kind::RecoveryCodeSent, Success, None, Some(Channel::App))]
    );
    assert_eq!(
        decode(Kind::RecoveryReset, Failure, None, None),
        vec![(Kind::RecoveryReset, Failure, None, None)]
    );
    assert_eq!(
        decode(Kind::AccountMfaChange, Success, None, Some(Channel::Sms)),
        vec![(Kind::AccountMfaChange, Success, None, None)]
    );
    assert_eq!(
        decode(Kind::AccountMfaChange, Success, None, None),
        vec![(Kind::AccountMfaChange, Success, None, None)]
    );
    assert_eq!(
        decode(
            Kind::AccountRecoveryInfoChange,
            Success,
            None,
            Some(Channel::App)
        ),
        vec![(
            Kind::AccountRecoveryInfoChange,
            Success,
            None,
            Some(Channel::App)
        )]
    );
    assert_eq!(
        decode(Kind::AccountRecoveryInfoChange, Success, None, None),
        vec![(Kind::AccountRecoveryInfoChange, Success, None, None)]
    );
}
