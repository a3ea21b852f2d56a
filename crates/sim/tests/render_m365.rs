mod common;

use std::borrow::Cow;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};
use forewarn_sim::render::{corpus, renderer_for, RenderContext};
use serde_json::Value;

/// The one record written for an event.
fn record(written: &[(&'static str, Vec<u8>)]) -> Option<Value> {
    assert_eq!(written.len(), 1);
    let mut lines = written[0]
        .1
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).expect("a JSON line"));
    let first = lines.next();
    assert!(lines.next().is_none(), "one record per event");
    first
}

/// The value of a `Name`/`Value` list entry.
fn entry(list: &Value, name: &str) -> Option<Cow<'static, str>> {
    list.as_array()?
        .iter()
        .find(|e| e["Name"] == name)
        .and_then(|e| e["Value"].as_str())
        .map(|s| Cow::Owned(s.to_owned()))
}

/// `CreationTime` keeps whole seconds.
fn to_second(e: &mut AuthEvent<'static>) {
    e.time = jiff::Timestamp::from_second(e.time.as_second()).expect("a valid time");
}

/// What every record loses: geo, sub-second time, the channel's target.
fn kept(event: &AuthEvent<'static>) -> AuthEvent<'static> {
    let mut e = event.clone();
    to_second(&mut e);
    e.country = None;
    e.asn = None;
    e.channel_target = None;
    e
}

/// A logon keeps the device and session as `DeviceProperties` GUIDs, and the user agent.
fn as_logon(event: &AuthEvent<'static>, r: &Value) -> AuthEvent<'static> {
    let mut e = kept(event);
    e.device_id = entry(&r["DeviceProperties"], "Id");
    e.session = entry(&r["DeviceProperties"], "SessionId");
    e.channel = None;
    e
}

/// Directory and Exchange records keep neither device, session, user agent nor existence.
fn as_change(event: &AuthEvent<'static>) -> AuthEvent<'static> {
    let mut e = kept(event);
    e.account_exists = None;
    e.device_id = None;
    e.session = None;
    e.user_agent = None;
    e
}

#[test]
fn m365_round_trips_every_shape() {
    for trip in common::round_trip(Format::M365) {
        let event = &trip.event;
        let shape = (event.kind, event.outcome, event.reason, event.channel);
        let written = record(&trip.written);
        let expected = match (shape, &written) {
            // Not in the unified audit log.
            ((Kind::AccountLookup, ..), None)
            | ((Kind::AuthPassword, Outcome::Success, ..), None)
            | ((Kind::RecoveryStart, ..), None)
            | ((Kind::RecoveryCodeSent, ..), None)
            | ((Kind::RecoveryCodeVerify, ..), None)
            | ((Kind::AccountLockout, ..), None) => vec![],
            ((Kind::AuthPassword, Outcome::Failure, reason, _), Some(r)) => {
                assert_eq!(r["Operation"], "UserLoginFailed");
                let mut e = as_logon(event, r);
                e.account_exists = (reason == Some(Reason::UnknownAccount)).then_some(false);
                // 50053 is both smart lockout and a blocked source.
                if reason == Some(Reason::Blocked) {
                    e.reason = Some(Reason::Locked);
                }
                vec![e]
            }
            ((Kind::AuthMfa, outcome, ..), Some(r)) => {
                assert_eq!(r["Operation"], "UserLoginFailed");
                let mut e = as_logon(event, r);
                // 500121 in the unified audit log has no "MFA denied; …" detail.
                if outcome == Outcome::Failure {
                    e.reason = Some(Reason::MfaDenied);
                }
                vec![e]
            }
            ((Kind::SessionStart, ..), Some(r)) => {
                assert_eq!(r["Operation"], "UserLoggedIn");
                vec![as_logon(event, r)]
            }
            ((Kind::AccountRecoveryInfoChange, ..), Some(r)) => {
                assert_eq!(r["Operation"], "Update user.");
                let mut e = as_change(event);
                e.channel = None;
                vec![e]
            }
            ((Kind::MailboxRuleCreate, ..), Some(r)) => {
                assert_eq!(r["Operation"], "New-InboxRule");
                vec![as_change(event)]
            }
            ((_, Outcome::Success, ..), Some(r)) => {
                assert_eq!(r["Workload"], "AzureActiveDirectory");
                vec![as_change(event)]
            }
            (shape, written) => panic!("unexpected {shape:?} written as {written:?}"),
        };
        assert_eq!(trip.decoded, expected, "{shape:?}");
    }
}

#[test]
fn a_failed_logon_reads_like_the_unified_audit_log() {
    let trip = common::round_trip(Format::M365)
        .into_iter()
        .find(|t| t.event.reason == Some(Reason::BadPassword))
        .expect("in the corpus");
    let r = record(&trip.written).expect("written");
    assert_eq!(r["CreationTime"], "2019-08-14T03:17:46");
    assert_eq!(r["Operation"], "UserLoginFailed");
    assert_eq!(r["RecordType"], 15);
    assert_eq!(r["Workload"], "AzureActiveDirectory");
    assert_eq!(r["ResultStatus"], "Success");
    assert_eq!(r["UserId"], "jane.doe@example.com");
    assert_eq!(r["ClientIP"], "203.0.113.7");
    assert_eq!(r["ActorIpAddress"], "203.0.113.7");
    assert_eq!(r["ErrorNumber"], "50126");
    assert_eq!(r["LogonError"], "InvalidUserNameOrPassword");
    assert_eq!(
        entry(&r["ExtendedProperties"], "UserAgent").as_deref(),
        trip.event.user_agent.as_deref()
    );
    assert_eq!(
        entry(&r["DeviceProperties"], "BrowserType").as_deref(),
        Some("Chrome")
    );
    assert_eq!(r["Actor"][1]["ID"], "jane.doe@example.com");
    assert_eq!(r["Actor"][1]["Type"], 5);
    assert_eq!(r["OrganizationId"].as_str().map(str::len), Some(36));
}

#[test]
fn an_inbox_rule_reads_like_exchange_wrote_it() {
    let trip = common::round_trip(Format::M365)
        .into_iter()
        .find(|t| t.event.kind == Kind::MailboxRuleCreate)
        .expect("in the corpus");
    let r = record(&trip.written).expect("written");
    assert_eq!(r["Operation"], "New-InboxRule");
    assert_eq!(r["RecordType"], 1);
    assert_eq!(r["Workload"], "Exchange");
    assert_eq!(r["ResultStatus"], "True");
    assert_eq!(r["UserId"], "jane.doe@example.com");
    assert!(r["ClientIP"].as_str().unwrap().starts_with("203.0.113.7:"));
    assert_eq!(r["OrganizationName"], "example.onmicrosoft.com");
    let parameters = &r["Parameters"];
    assert_eq!(
        entry(parameters, "MoveToFolder").as_deref(),
        Some("RSS Subscriptions")
    );
    assert_eq!(entry(parameters, "MarkAsRead").as_deref(), Some("True"));
    assert_eq!(entry(parameters, "ForwardTo"), None);
}

/// Forwarding, which the corpus does not hold: an inbox rule by the user, `Set-Mailbox` by an
/// admin. Both keep the destination.
#[test]
fn forwarding_keeps_its_destination() {
    let (mut event, context) = corpus().remove(26);
    assert_eq!(event.kind, Kind::MailboxRuleCreate);
    event.channel = Some(Channel::Email);
    event.channel_target = Some(Cow::Borrowed("drop.box@example.net"));
    let render = |event: &AuthEvent<'_>, context: &RenderContext<'_>| {
        let mut renderer = renderer_for(Format::M365).expect("m365");
        let mut out = vec![Vec::new()];
        renderer.render(event, context, &mut out);
        let (events, summary) = common::decode("audit.jsonl", &out[0]);
        assert_eq!(summary.rejected(), 0);
        let record: Value = serde_json::from_slice(&out[0]).unwrap();
        (record, events)
    };

    let (r, events) = render(&event, &context);
    assert_eq!(r["Operation"], "New-InboxRule");
    assert_eq!(
        entry(&r["Parameters"], "ForwardTo").as_deref(),
        Some("drop.box@example.net")
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].channel, Some(Channel::Email));
    assert_eq!(
        events[0].channel_target.as_deref(),
        Some("drop.box@example.net")
    );
    assert_eq!(events[0].actor, None);

    event.actor = Some(Cow::Borrowed("helpdesk.amy@example.com"));
    let admin = RenderContext {
        actor_id: 2002,
        ..context
    };
    let (r, events) = render(&event, &admin);
    assert_eq!(r["Operation"], "Set-Mailbox");
    assert_eq!(r["UserId"], "helpdesk.amy@example.com");
    assert_eq!(
        entry(&r["Parameters"], "ForwardingSmtpAddress").as_deref(),
        Some("smtp:drop.box@example.net")
    );
    assert_eq!(events[0].account, "jane.doe@example.com");
    assert_eq!(events[0].actor.as_deref(), Some("helpdesk.amy@example.com"));
    assert_eq!(
        events[0].channel_target.as_deref(),
        Some("drop.box@example.net")
    );

    // An admin's rule without forwarding names the mailbox it is on.
    event.channel = None;
    event.channel_target = None;
    let (r, events) = render(&event, &admin);
    assert_eq!(r["Operation"], "New-InboxRule");
    assert_eq!(
        entry(&r["Parameters"], "Mailbox").as_deref(),
        Some("jane.doe@example.com")
    );
    assert_eq!(events[0].account, "jane.doe@example.com");
    assert_eq!(events[0].actor.as_deref(), Some("helpdesk.amy@example.com"));
}

/// Shapes the corpus does not hold.
#[test]
fn other_shapes_map_as_documented() {
    let (base, context) = corpus().remove(2);
    let decode = |kind, outcome, reason, channel| {
        let mut event = base.clone();
        (event.kind, event.outcome, event.reason, event.channel) = (kind, outcome, reason, channel);
        let mut renderer = renderer_for(Format::M365).expect("m365");
        let mut out = vec![Vec::new()];
        renderer.render(&event, &context, &mut out);
        let (events, summary) = common::decode("audit.jsonl", &out[0]);
        assert_eq!(
            summary.rejected(),
            0,
            "{}",
            String::from_utf8_lossy(&out[0])
        );
        events
            .iter()
            .map(|e| (e.kind, e.outcome, e.reason, e.channel))
            .collect::<Vec<_>>()
    };
    use Outcome::*;
    assert_eq!(
        decode(Kind::SessionStart, Failure, Some(Reason::Blocked), None),
        vec![(Kind::SessionStart, Failure, Some(Reason::Blocked), None)]
    );
    assert_eq!(
        decode(Kind::SessionStart, Failure, None, None),
        vec![(Kind::SessionStart, Failure, None, None)]
    );
    assert_eq!(
        decode(Kind::AuthMfa, Failure, None, None),
        vec![(Kind::AuthMfa, Failure, Some(Reason::MfaDenied), None)]
    );
    assert_eq!(
        decode(Kind::AccountMfaChange, Success, None, Some(Channel::Sms)),
        vec![(Kind::AccountMfaChange, Success, None, None)]
    );
    assert_eq!(
        decode(Kind::RecoveryReset, Failure, None, None),
        vec![(Kind::RecoveryReset, Failure, None, None)]
    );
    assert_eq!(
        decode(Kind::AppConsent, Success, None, None),
        vec![(Kind::AppConsent, Success, None, None)]
    );
}
