//! OCSF (Open Cybersecurity Schema Framework 1.x) Authentication (`class_uid` 3002) and Account
//! Change (3001) events, one JSON object a record. Other classes are skipped by `class_uid`.
//!
//! Class definitions: <https://schema.ocsf.io/1.3.0/classes/authentication> and
//! <https://schema.ocsf.io/1.3.0/classes/account_change> (source:
//! `events/iam/authentication.json`, `events/iam/account_change.json` in ocsf/ocsf-schema);
//! authentication factors: <https://schema.ocsf.io/1.3.0/objects/auth_factor>. The mapping and
//! every field read are in docs/formats.md (ocsf).
//!
//! The vendor-neutral failure texts (`status_detail`, `status_code`, `status`) are classified
//! by [`reason_from_text`], which the ECS decoder shares.

use std::borrow::Cow;
use std::fmt;

use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, Reason, Timestamp};
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};

use super::common::{account, contains, non_empty, parse_ip, parse_time, time_from_millis};
use super::lenient::{ignore_other_types, visit_strings, Fallback};
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Ocsf;

const AUTHENTICATION: i64 = 3002;
const ACCOUNT_CHANGE: i64 = 3001;

impl Decoder for Ocsf {
    fn format(&self) -> Format {
        Format::Ocsf
    }

    fn sniff(&self, record: &[u8]) -> bool {
        // `class_uid` is required in every OCSF event and used by no other format read here.
        contains(record, b"\"class_uid\"")
    }

    fn decode<'a>(
        &self,
        record: &'a [u8],
        _context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        let event: Event<'a> = sonic_rs::from_slice(record)?;
        decode_event(event)
    }
}

#[derive(serde::Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    class_uid: Option<Value<'a>>,
    #[serde(borrow)]
    activity_id: Option<Value<'a>>,
    #[serde(borrow)]
    time: Option<Value<'a>>,
    #[serde(borrow)]
    time_dt: Option<Value<'a>>,
    #[serde(borrow)]
    status_id: Option<Value<'a>>,
    #[serde(borrow)]
    status: Option<Value<'a>>,
    #[serde(borrow)]
    status_code: Option<Value<'a>>,
    #[serde(borrow)]
    status_detail: Option<Value<'a>>,
    #[serde(borrow)]
    is_mfa: Option<Value<'a>>,
    #[serde(borrow)]
    auth_protocol_id: Option<Value<'a>>,
    #[serde(borrow)]
    auth_protocol: Option<Value<'a>>,
    #[serde(borrow)]
    auth_factors: Option<Vec<AuthFactor<'a>>>,
    #[serde(borrow)]
    user: Option<User<'a>>,
    #[serde(borrow)]
    actor: Option<Actor<'a>>,
    #[serde(borrow)]
    src_endpoint: Option<Endpoint<'a>>,
    #[serde(borrow)]
    http_request: Option<HttpRequest<'a>>,
    #[serde(borrow)]
    device: Option<Uid<'a>>,
    #[serde(borrow)]
    session: Option<Uid<'a>>,
}

#[derive(serde::Deserialize)]
struct User<'a> {
    #[serde(borrow)]
    name: Option<Value<'a>>,
    #[serde(borrow)]
    email_addr: Option<Value<'a>>,
    #[serde(borrow)]
    uid: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct Actor<'a> {
    #[serde(borrow)]
    user: Option<User<'a>>,
    #[serde(borrow)]
    session: Option<Uid<'a>>,
}

#[derive(serde::Deserialize)]
struct Endpoint<'a> {
    #[serde(borrow)]
    ip: Option<Value<'a>>,
    #[serde(borrow)]
    hostname: Option<Value<'a>>,
    #[serde(borrow)]
    name: Option<Value<'a>>,
    #[serde(borrow)]
    location: Option<Location<'a>>,
    #[serde(borrow)]
    autonomous_system: Option<AutonomousSystem<'a>>,
}

#[derive(serde::Deserialize)]
struct Location<'a> {
    #[serde(borrow)]
    country: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct AutonomousSystem<'a> {
    #[serde(borrow)]
    number: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct HttpRequest<'a> {
    #[serde(borrow)]
    user_agent: Option<Value<'a>>,
}

/// `device`, `session` and `actor.session`: only their `uid` is read.
#[derive(serde::Deserialize)]
struct Uid<'a> {
    #[serde(borrow)]
    uid: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct AuthFactor<'a> {
    #[serde(borrow)]
    factor_type_id: Option<Value<'a>>,
    #[serde(borrow)]
    phone_number: Option<Value<'a>>,
    #[serde(borrow)]
    email_addr: Option<Value<'a>>,
}

/// What an activity becomes, before the outcome is known.
#[derive(Clone, Copy)]
enum Activity {
    /// Authentication Logon (1), Authentication Ticket (3), Preauth (6): a credential was
    /// presented; success grants a session.
    SignIn,
    /// An Account Change activity with a fixed kind.
    Change(Kind),
    /// Account Change Lock (9): the event records that the lock happened.
    Lock,
}

fn decode_event(event: Event<'_>) -> Result<Decoded<'_>, RecordError> {
    let class = int_field("class_uid", event.class_uid.as_ref())?
        .ok_or(RecordError::MissingField("class_uid"))?;
    if class != AUTHENTICATION && class != ACCOUNT_CHANGE {
        return Ok(Decoded::Skipped(Cow::Owned(format!(
            "event type class_uid {class}"
        ))));
    }
    let time = event_time(&event)?;
    let activity_id = int_field("activity_id", event.activity_id.as_ref())?
        .ok_or(RecordError::MissingField("activity_id"))?;
    let activity = match (class, activity_id) {
        (AUTHENTICATION, 1 | 3 | 6) => Activity::SignIn,
        (ACCOUNT_CHANGE, 3) => Activity::Change(Kind::AccountPasswordChange),
        // Self-service and help-desk resets alike; `actor` tells them apart.
        (ACCOUNT_CHANGE, 4) => Activity::Change(Kind::RecoveryReset),
        (ACCOUNT_CHANGE, 9) => Activity::Lock,
        (ACCOUNT_CHANGE, 10 | 11) => Activity::Change(Kind::AccountMfaChange),
        _ => return Ok(Decoded::Skipped(type_name(class, activity_id))),
    };
    let outcome = match (outcome(&event)?, activity) {
        (Some(outcome), _) => outcome,
        (None, Activity::Lock) => Outcome::Success,
        (None, _) => {
            return Ok(Decoded::Skipped(Cow::Owned(format!(
                "{} with status unknown",
                type_name(class, activity_id)
            ))))
        }
    };

    // Authentication: `user` is who signs in; producers written before 1.0 put them only under
    // `actor.user`. Account Change: `user` is the target and `actor.user` who acted.
    let actor_user = event.actor.as_ref().and_then(|a| a.user.as_ref());
    let (subject, actor) = if class == AUTHENTICATION {
        let subject = event
            .user
            .as_ref()
            .and_then(user_identifier)
            .or_else(|| actor_user.and_then(user_identifier));
        (subject, None)
    } else {
        let subject = event.user.as_ref().and_then(user_identifier);
        (
            subject,
            actor_user.and_then(user_identifier).and_then(account),
        )
    };
    let subject = subject
        .and_then(account)
        .ok_or(RecordError::MissingField("user.name"))?;
    let actor = actor.filter(|a| *a != subject);

    let reason = match outcome {
        Outcome::Failure => failure_reason(&event, activity_id),
        Outcome::Success => None,
    };
    let kind = match activity {
        Activity::SignIn => match (outcome, reason) {
            (Outcome::Success, _) => Kind::SessionStart,
            (_, Some(Reason::MfaDenied | Reason::MfaTimeout | Reason::BadCode)) => Kind::AuthMfa,
            _ => Kind::AuthPassword,
        },
        Activity::Change(kind) => kind,
        Activity::Lock => Kind::AccountLockout,
    };

    let mut out = AuthEvent::new(time, kind, outcome, subject);
    out.actor = actor;
    out.reason = reason;
    if reason == Some(Reason::UnknownAccount) {
        out.account_exists = Some(false);
    }
    let mfa_step = kind == Kind::SessionStart && event.is_mfa.as_ref().is_some_and(is_true);
    let factor = event.auth_factors.as_deref().and_then(first_channel);
    fill_context(&mut out, event);
    if let (Some((channel, target)), Kind::AuthMfa | Kind::AccountMfaChange) = (&factor, kind) {
        out.channel = Some(*channel);
        out.channel_target = target.clone();
    }
    if mfa_step {
        // A logon that says MFA was used also records a passed second factor, so that a
        // session granted without one can be told apart downstream.
        let mut mfa = out.clone();
        mfa.kind = Kind::AuthMfa;
        if let Some((channel, target)) = factor {
            mfa.channel = Some(channel);
            mfa.channel_target = target;
        }
        return Ok(Decoded::Many(vec![mfa, out]));
    }
    Ok(Decoded::One(out))
}

fn fill_context<'a>(out: &mut AuthEvent<'a>, event: Event<'a>) {
    if let Some(endpoint) = event.src_endpoint {
        let ip_text = endpoint.ip.and_then(Value::into_text).and_then(present);
        out.ip = ip_text
            .as_deref()
            .and_then(parse_ip)
            .map(|ip| ip.to_canonical());
        if out.ip.is_none() {
            // A host name where the address belongs, or an address written oddly.
            out.source_host = endpoint
                .hostname
                .and_then(Value::into_text)
                .and_then(present)
                .or_else(|| endpoint.name.and_then(Value::into_text).and_then(present))
                .or(ip_text);
        }
        out.country = endpoint
            .location
            .and_then(|l| l.country)
            .as_ref()
            .and_then(Value::as_str)
            .and_then(|c| Country::new(c.trim()).ok());
        out.asn = endpoint
            .autonomous_system
            .and_then(|a| a.number)
            .as_ref()
            .and_then(asn);
    }
    out.user_agent = event
        .http_request
        .and_then(|h| h.user_agent)
        .and_then(Value::into_text)
        .and_then(present);
    out.device_id = event
        .device
        .and_then(|d| d.uid)
        .and_then(Value::into_text)
        .and_then(present);
    out.session = event
        .session
        .and_then(|s| s.uid)
        .and_then(Value::into_text)
        .and_then(present)
        .or_else(|| {
            event
                .actor
                .and_then(|a| a.session)
                .and_then(|s| s.uid)
                .and_then(Value::into_text)
                .and_then(present)
        });
}

/// An AS number, as a number or as text (`64500`, `"AS64500"`); 0 is "unknown".
pub(super) fn asn(value: &Value<'_>) -> Option<u32> {
    let number = match value {
        Value::Text(text) => {
            let text = text.trim();
            let digits = text
                .strip_prefix("AS")
                .or_else(|| text.strip_prefix("as"))
                .unwrap_or(text);
            digits.parse::<u32>().ok()?
        }
        other => u32::try_from(other.int().ok()??).ok()?,
    };
    (number != 0).then_some(number)
}

/// The login identifier of an OCSF user: `email_addr`, then `name`, then `uid`. The address
/// comes first because identity providers map their display name into `name` (Okta's OCSF
/// events carry `"name": "John Doe"`), while the address is what a person signs in with.
fn user_identifier<'a>(user: &User<'a>) -> Option<Cow<'a, str>> {
    [&user.email_addr, &user.name, &user.uid]
        .into_iter()
        .find_map(|v| v.as_ref().and_then(Value::text).and_then(present))
}

/// Drops empty values and the `-` Windows writes for "none".
fn present(text: Cow<'_, str>) -> Option<Cow<'_, str>> {
    non_empty(Some(text)).filter(|t| t.trim() != "-")
}

fn is_true(value: &Value<'_>) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Text(t) => t.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// `status_id` (1 Success, 2 Failure); when it is absent, 0 Unknown or 99 Other, the `status`
/// caption.
fn outcome(event: &Event<'_>) -> Result<Option<Outcome>, RecordError> {
    match int_field("status_id", event.status_id.as_ref())? {
        Some(1) => return Ok(Some(Outcome::Success)),
        Some(2) => return Ok(Some(Outcome::Failure)),
        _ => {}
    }
    Ok(event
        .status
        .as_ref()
        .and_then(Value::as_str)
        .and_then(outcome_caption))
}

fn outcome_caption(text: &str) -> Option<Outcome> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("success") {
        Some(Outcome::Success)
    } else if ["failure", "failed", "fail"]
        .iter()
        .any(|f| text.eq_ignore_ascii_case(f))
    {
        Some(Outcome::Failure)
    } else {
        None
    }
}

/// The reason a failure names, from `status_code`, then `status_detail`, then `status` (which
/// some producers fill with the source's own code, like Windows `0xC000006D`).
fn failure_reason(event: &Event<'_>, activity_id: i64) -> Option<Reason> {
    let kerberos = matches!(activity_id, 3 | 6)
        || matches!(
            int_field("auth_protocol_id", event.auth_protocol_id.as_ref()),
            Ok(Some(2))
        )
        || event
            .auth_protocol
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("kerberos"));
    let second_factor = event
        .auth_factors
        .as_deref()
        .and_then(first_channel)
        .map_or(0, |_| word::MFA);
    [&event.status_code, &event.status_detail, &event.status]
        .into_iter()
        .filter_map(|v| v.as_ref().and_then(Value::as_str))
        .filter(|text| outcome_caption(text).is_none())
        .find_map(|text| {
            kerberos
                .then(|| kerberos_reason(text))
                .flatten()
                .or_else(|| reason_from_text_in(text, second_factor))
        })
}

/// Kerberos result codes of a failed TGT or pre-authentication request (Windows events 4768 and
/// 4771), meaningful only when the event is a Kerberos one.
/// <https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/auditing/event-4771>
fn kerberos_reason(text: &str) -> Option<Reason> {
    let code = text.trim();
    let hex = code
        .strip_prefix("0x")
        .or_else(|| code.strip_prefix("0X"))?;
    match u32::from_str_radix(hex, 16).ok()? {
        // KDC_ERR_C_PRINCIPAL_UNKNOWN
        0x6 => Some(Reason::UnknownAccount),
        // KDC_ERR_PREAUTH_FAILED: the password was wrong.
        0x18 => Some(Reason::BadPassword),
        _ => None,
    }
}

/// The first authentication factor that names a channel, with its phone number or address as
/// logged. <https://schema.ocsf.io/1.3.0/objects/auth_factor>
fn first_channel<'a>(factors: &[AuthFactor<'a>]) -> Option<(Channel, Option<Cow<'a, str>>)> {
    factors.iter().find_map(|factor| {
        let channel = match factor.factor_type_id.as_ref()?.int().ok()?? {
            1 => Channel::Sms,
            8 => Channel::Email,
            // Phone Call, Push Notification, Hardware Token, OTP, Biometric, U2F, WebAuthn:
            // neither mail nor SMS.
            3..=7 | 9 | 10 => Channel::App,
            _ => return None,
        };
        let target = [&factor.phone_number, &factor.email_addr]
            .into_iter()
            .find_map(|v| v.as_ref().and_then(Value::text).and_then(present));
        Some((channel, target))
    })
}

fn event_time(event: &Event<'_>) -> Result<Timestamp, RecordError> {
    match (&event.time, &event.time_dt) {
        (Some(time), _) => epoch_time("time", time),
        (None, Some(Value::Text(text))) => parse_time("time_dt", text),
        (None, Some(_)) => Err(RecordError::invalid(
            "time_dt",
            "expected an RFC 3339 string",
        )),
        (None, None) => Err(RecordError::MissingField("time")),
    }
}

/// A time written as a number since the Unix epoch, or as RFC 3339 text. OCSF's `timestamp_t`
/// is milliseconds, but producers also write seconds (Okta's own OCSF samples do), micro- and
/// nanoseconds; the magnitude tells them apart for any date between 1973 and 5138.
pub(super) fn epoch_time(field: &'static str, value: &Value<'_>) -> Result<Timestamp, RecordError> {
    let number = match value {
        Value::Int(n) => *n as f64,
        Value::Float(f) => *f,
        Value::Text(text) => match text.trim().parse::<f64>() {
            Ok(n) => n,
            Err(_) => return parse_time(field, text),
        },
        Value::Bool(_) | Value::Other => {
            return Err(RecordError::invalid(
                field,
                "expected a number of milliseconds or an RFC 3339 string",
            ))
        }
    };
    if !number.is_finite() {
        return Err(RecordError::invalid(field, "not a finite number"));
    }
    let magnitude = number.abs();
    let millis = if magnitude < 1e11 {
        number * 1e3
    } else if magnitude < 1e14 {
        number
    } else if magnitude < 1e17 {
        number / 1e3
    } else {
        number / 1e6
    };
    // In range for i64 after the scaling above; jiff rejects what is past year 9999.
    time_from_millis(field, millis.round() as i64)
}

/// An integer field, also when written as a string or an integral float; `None` when absent
/// or null.
pub(super) fn int_field(
    field: &'static str,
    value: Option<&Value<'_>>,
) -> Result<Option<i64>, RecordError> {
    match value {
        None => Ok(None),
        Some(value) => value.int().map_err(|()| {
            RecordError::invalid(field, format!("expected an integer, found {value}"))
        }),
    }
}

/// The `type_name` OCSF gives a class and activity (`Authentication: Logoff`), for the
/// summary's count of skipped types.
fn type_name(class: i64, activity: i64) -> Cow<'static, str> {
    let name = match (class, activity) {
        (AUTHENTICATION, 0) => "event type Authentication: Unknown",
        (AUTHENTICATION, 2) => "event type Authentication: Logoff",
        (AUTHENTICATION, 4) => "event type Authentication: Service Ticket Request",
        (AUTHENTICATION, 5) => "event type Authentication: Service Ticket Renew",
        (AUTHENTICATION, 7) => "event type Authentication: Account Switch",
        (AUTHENTICATION, 99) => "event type Authentication: Other",
        (AUTHENTICATION, 1) => "event type Authentication: Logon",
        (AUTHENTICATION, 3) => "event type Authentication: Authentication Ticket",
        (AUTHENTICATION, 6) => "event type Authentication: Preauth",
        (ACCOUNT_CHANGE, 0) => "event type Account Change: Unknown",
        (ACCOUNT_CHANGE, 1) => "event type Account Change: Create",
        (ACCOUNT_CHANGE, 2) => "event type Account Change: Enable",
        (ACCOUNT_CHANGE, 3) => "event type Account Change: Password Change",
        (ACCOUNT_CHANGE, 4) => "event type Account Change: Password Reset",
        (ACCOUNT_CHANGE, 5) => "event type Account Change: Disable",
        (ACCOUNT_CHANGE, 6) => "event type Account Change: Delete",
        (ACCOUNT_CHANGE, 7) => "event type Account Change: Attach Policy",
        (ACCOUNT_CHANGE, 8) => "event type Account Change: Detach Policy",
        (ACCOUNT_CHANGE, 9) => "event type Account Change: Lock",
        (ACCOUNT_CHANGE, 10) => "event type Account Change: MFA Factor Enable",
        (ACCOUNT_CHANGE, 11) => "event type Account Change: MFA Factor Disable",
        (ACCOUNT_CHANGE, 12) => "event type Account Change: Unlock",
        (ACCOUNT_CHANGE, 99) => "event type Account Change: Other",
        (AUTHENTICATION, n) => {
            return Cow::Owned(format!("event type Authentication: activity_id {n}"))
        }
        (_, n) => return Cow::Owned(format!("event type Account Change: activity_id {n}")),
    };
    Cow::Borrowed(name)
}

/// A JSON scalar as producers write it: one export writes a field as a string, another as a
/// number, and Elasticsearch's `fields` API as a one-element array.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'a> {
    Text(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An object, null, or an array without a scalar in it.
    Other,
}

impl<'a> Value<'a> {
    /// The text of a string (borrowed) or of a number (formatted).
    pub(super) fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            Value::Text(t) => Some(t.clone()),
            Value::Int(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        }
    }

    pub(super) fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Value::Text(t) => Some(t),
            Value::Int(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// An integer, also from a string of digits or an integral float; `Ok(None)` for null and
    /// the empty string; `Err` for anything else.
    pub(super) fn int(&self) -> Result<Option<i64>, ()> {
        match self {
            Value::Int(n) => Ok(Some(*n)),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(Some(*f as i64)),
            Value::Text(t) if t.trim().is_empty() => Ok(None),
            Value::Text(t) => t.trim().parse().map(Some).map_err(|_| ()),
            Value::Other => Ok(None),
            Value::Float(_) | Value::Bool(_) => Err(()),
        }
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(t) => write!(f, "\"{}\"", super::common::truncate(t, 40).escape_debug()),
            Value::Int(n) => write!(f, "{n}"),
            Value::Float(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Other => f.write_str("an object or array"),
        }
    }
}

impl Fallback for Value<'_> {
    fn none() -> Self {
        Value::Other
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Value<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor(std::marker::PhantomData))
    }
}

struct ValueVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ValueVisitor<'a> {
    type Value = Value<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }

    visit_strings!('de, Value::Text);

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value<'a>, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value<'a>, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value<'a>, E> {
        Ok(Value::Float(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value<'a>, E> {
        Ok(Value::Bool(v))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value<'a>, D::Error> {
        Value::deserialize(deserializer)
    }

    /// The first scalar of an array (Elasticsearch `fields` wraps every value in one).
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'a>, A::Error> {
        let mut first = Value::Other;
        while let Some(element) = seq.next_element::<Value<'a>>()? {
            if first == Value::Other {
                first = element;
            }
        }
        Ok(first)
    }

    ignore_other_types!('de: unit, none, map);
}

/// Classifies a vendor's failure text (a `status_detail`, an error code, an ECS
/// `event.reason`) into a forewarn reason, or `None` when the text is not plain about it.
///
/// Windows NTSTATUS codes (`0xC000006A`) are looked up; any other text is read as words,
/// whatever its case and separators (`USER_DOES_NOT_EXIST`, `User does not exist`,
/// `userDoesNotExist` are the same). A text that names both an unknown user and a bad password
/// (`Unknown user name or bad password.`) says neither for certain and gives `None`.
pub(super) fn reason_from_text(text: &str) -> Option<Reason> {
    reason_from_text_in(text, 0)
}

/// [`reason_from_text`] with word classes the record implies besides its text: a failure of an
/// event that carries a second factor is read as the second factor's (`Verification timed
/// out` with an SMS factor is an MFA timeout).
fn reason_from_text_in(text: &str, context: u64) -> Option<Reason> {
    let text = text.trim();
    if let Some(code) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return nt_status_reason(code);
    }
    let words = word_mask(text);
    if words == 0 {
        return None;
    }
    reason_from_words(words | context)
}

/// NTSTATUS failure codes of Windows logon events 4625 and 4776.
/// <https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/auditing/event-4625>
fn nt_status_reason(hex: &str) -> Option<Reason> {
    match u32::from_str_radix(hex, 16).ok()? {
        // STATUS_NO_SUCH_USER
        0xC000_0064 => Some(Reason::UnknownAccount),
        // STATUS_WRONG_PASSWORD
        0xC000_006A => Some(Reason::BadPassword),
        // STATUS_ACCOUNT_LOCKED_OUT
        0xC000_0234 => Some(Reason::Locked),
        // Outside logon hours, from a workstation not allowed, logon type not granted,
        // authentication firewall: refused by policy, with the right password.
        0xC000_006F | 0xC000_0070 | 0xC000_015B | 0xC000_0413 => Some(Reason::Blocked),
        // 0xC000006D (bad user name or password) and the rest say nothing certain.
        _ => None,
    }
}

/// Word classes found in vendor strings, as bits.
pub(super) mod word {
    pub const PASSWORD: u64 = 1 << 0;
    pub const CREDENTIALS: u64 = 1 << 1;
    /// invalid, wrong, incorrect, bad
    pub const BAD: u64 = 1 << 2;
    pub const FAILED: u64 = 1 << 3;
    /// user, username, account
    pub const USER: u64 = 1 << 4;
    /// unknown, nonexistent
    pub const UNKNOWN: u64 = 1 << 5;
    /// not, no
    pub const NOT: u64 = 1 << 6;
    /// exist, exists, found, such
    pub const EXIST: u64 = 1 << 7;
    pub const LOCK: u64 = 1 << 8;
    pub const UNLOCK: u64 = 1 << 9;
    /// blocked, banned, throttled, blocklisted
    pub const BLOCK: u64 = 1 << 10;
    pub const RATE: u64 = 1 << 11;
    pub const LIMIT: u64 = 1 << 12;
    pub const POLICY: u64 = 1 << 13;
    /// deny, denied, reject, rejected, declined, refused
    pub const DENY: u64 = 1 << 14;
    /// timeout, expired
    pub const TIMEOUT: u64 = 1 << 15;
    pub const TIMED: u64 = 1 << 16;
    /// mfa, 2fa, 2sv, factor, multifactor, challenge
    pub const MFA: u64 = 1 << 17;
    /// code, passcode, otp, totp, hotp, pin
    pub const CODE: u64 = 1 << 18;
    pub const PUSH: u64 = 1 << 19;
    pub const SMS: u64 = 1 << 20;
    /// email, mail
    pub const EMAIL: u64 = 1 << 21;
    /// phone, mobile
    pub const PHONE: u64 = 1 << 22;
    /// authenticator, totp, otp, webauthn, u2f, fido, voice, call: an app-type channel
    pub const APP: u64 = 1 << 23;
    pub const RESET: u64 = 1 << 24;
    /// forgot, forgotten
    pub const FORGOT: u64 = 1 << 25;
    /// recovery, recover
    pub const RECOVERY: u64 = 1 << 26;
    /// change, changed, update, updated, edit, modify, modified
    pub const CHANGE: u64 = 1 << 27;
    /// enroll, activate, add, register, enable, create (and their past forms)
    pub const ENROLL: u64 = 1 << 28;
    /// remove, deactivate, delete, disable, unenroll, unregister, revoke (and past forms)
    pub const REMOVE: u64 = 1 << 29;
    /// logout, logoff, signout, signoff, end, ended, disconnect, disconnected, terminated
    pub const END: u64 = 1 << 30;
    /// out, off (logged out, sign off)
    pub const OUT: u64 = 1 << 31;
    /// log, logged, sign, signed
    pub const LOG: u64 = 1 << 32;
    /// success, successful, succeeded, accepted, allowed
    pub const SUCCESS: u64 = 1 << 33;
    pub const SERVICE: u64 = 1 << 34;
    pub const TICKET: u64 = 1 << 35;
    pub const CONDITIONAL: u64 = 1 << 36;
    pub const ACCESS: u64 = 1 << 37;
    /// send, sent, deliver, delivered
    pub const SEND: u64 = 1 << 38;
}

/// The word classes in `text`. Words are runs of ASCII letters and digits, also split where a
/// lower-case letter meets an upper-case one (`UserLoginFailed`).
pub(super) fn word_mask(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut mask = 0;
    let mut start = 0;
    for i in 0..=bytes.len() {
        let boundary = match bytes.get(i) {
            None => true,
            Some(b) if !b.is_ascii_alphanumeric() => true,
            Some(b) => {
                b.is_ascii_uppercase()
                    && i > start
                    && bytes
                        .get(i.wrapping_sub(1))
                        .is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
            }
        };
        if boundary {
            if i > start {
                mask |= word_class(&bytes[start..i]);
            }
            start = if bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
                i
            } else {
                i + 1
            };
        }
    }
    mask
}

fn word_class(word: &[u8]) -> u64 {
    use word::*;
    let mut lower = [0u8; 16];
    let Some(buffer) = lower.get_mut(..word.len()) else {
        return 0;
    };
    for (out, b) in buffer.iter_mut().zip(word) {
        *out = b.to_ascii_lowercase();
    }
    match &*buffer {
        b"password" | b"passwd" | b"pwd" | b"passphrase" => PASSWORD,
        b"credential" | b"credentials" | b"creds" => CREDENTIALS,
        b"invalid" | b"wrong" | b"incorrect" | b"bad" | b"mismatch" => BAD,
        b"fail" | b"failed" | b"failure" | b"failing" => FAILED,
        b"user" | b"username" | b"account" | b"principal" => USER,
        b"unknown" | b"nonexistent" | b"nonexisting" => UNKNOWN,
        b"not" | b"no" => NOT,
        b"exist" | b"exists" | b"found" | b"such" => EXIST,
        b"lock" | b"locked" | b"lockout" | b"lockedout" => LOCK,
        b"unlock" | b"unlocked" => UNLOCK,
        b"block" | b"blocked" | b"banned" | b"throttled" | b"blocklisted" | b"blacklisted"
        | b"denylisted" => BLOCK,
        b"rate" => RATE,
        b"limit" | b"limited" | b"ratelimited" => LIMIT,
        b"policy" => POLICY,
        b"deny" | b"denied" | b"reject" | b"rejected" | b"decline" | b"declined" | b"refused" => {
            DENY
        }
        b"timeout" | b"timedout" | b"expired" => TIMEOUT,
        b"timed" => TIMED,
        b"mfa" | b"2fa" | b"2sv" | b"tfa" | b"factor" | b"multifactor" | b"challenge" => MFA,
        b"code" | b"passcode" | b"pin" => CODE,
        b"otp" | b"totp" | b"hotp" => CODE | APP,
        b"push" => PUSH | APP,
        b"sms" => SMS,
        b"email" | b"mail" => EMAIL,
        b"phone" | b"mobile" => PHONE,
        b"authenticator" | b"webauthn" | b"u2f" | b"fido" | b"fido2" | b"voice" | b"call" => {
            APP | MFA
        }
        b"reset" => RESET,
        b"forgot" | b"forgotten" => FORGOT,
        b"recovery" | b"recover" => RECOVERY,
        b"change" | b"changed" | b"update" | b"updated" | b"edit" | b"edited" | b"modify"
        | b"modified" => CHANGE,
        b"enroll" | b"enrolled" | b"enrollment" | b"activate" | b"activated" | b"add"
        | b"added" | b"register" | b"registered" | b"enable" | b"enabled" | b"create"
        | b"created" => ENROLL,
        b"remove" | b"removed" | b"deactivate" | b"deactivated" | b"delete" | b"deleted"
        | b"disable" | b"disabled" | b"unenroll" | b"unenrolled" | b"unregister"
        | b"unregistered" | b"revoke" | b"revoked" => REMOVE,
        b"logout" | b"logoff" | b"signout" | b"signoff" | b"end" | b"ended" | b"disconnect"
        | b"disconnected" | b"terminated" => END,
        b"out" | b"off" => OUT,
        b"log" | b"logged" | b"sign" | b"signed" => LOG,
        b"success" | b"successful" | b"succeeded" | b"accepted" | b"allowed" => SUCCESS,
        b"service" => SERVICE,
        b"ticket" => TICKET,
        b"conditional" => CONDITIONAL,
        b"access" => ACCESS,
        b"send" | b"sent" | b"deliver" | b"delivered" => SEND,
        _ => 0,
    }
}

/// The reason a set of words names, or `None` when it names none or two that contradict.
pub(super) fn reason_from_words(m: u64) -> Option<Reason> {
    use word::*;
    let any = |bits: u64| m & bits != 0;
    if any(LOCK) && !any(UNLOCK) {
        return Some(Reason::Locked);
    }
    let second_factor = any(MFA | PUSH | CODE);
    if any(DENY) && any(MFA | PUSH) {
        return Some(Reason::MfaDenied);
    }
    if (any(TIMEOUT) || (any(TIMED) && any(OUT))) && second_factor {
        return Some(Reason::MfaTimeout);
    }
    if any(BAD | FAILED) && any(CODE) {
        return Some(Reason::BadCode);
    }
    let unknown_user = any(USER) && (any(UNKNOWN) || (any(NOT) && any(EXIST)) || any(BAD));
    let bad_password = any(PASSWORD | CREDENTIALS) && any(BAD | FAILED);
    match (unknown_user, bad_password) {
        (true, true) => return None,
        (true, false) => return Some(Reason::UnknownAccount),
        (false, true) => return Some(Reason::BadPassword),
        (false, false) => {}
    }
    let blocked = any(BLOCK)
        || (any(RATE) && any(LIMIT))
        || (any(POLICY) && any(DENY))
        || (any(CONDITIONAL) && any(ACCESS));
    blocked.then_some(Reason::Blocked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<Decoded<'_>, RecordError> {
        Ocsf.decode(text.as_bytes(), &DecodeContext::default())
    }

    fn one(text: &str) -> AuthEvent<'_> {
        match decode(text) {
            Ok(Decoded::One(event)) => event,
            other => panic!("expected one event, got {other:?}"),
        }
    }

    #[test]
    fn failure_texts_map_onto_reasons() {
        for (text, reason) in [
            ("INVALID_CREDENTIALS", Some(Reason::BadPassword)),
            ("Invalid credentials", Some(Reason::BadPassword)),
            ("USER_DOES_NOT_EXIST", Some(Reason::UnknownAccount)),
            ("User does not exist", Some(Reason::UnknownAccount)),
            ("UserNotFound", Some(Reason::UnknownAccount)),
            ("No such user", Some(Reason::UnknownAccount)),
            ("Invalid user", Some(Reason::UnknownAccount)),
            ("LOCKED_OUT", Some(Reason::Locked)),
            ("ACCOUNT_LOCKED_OUT", Some(Reason::Locked)),
            ("Account locked", Some(Reason::Locked)),
            ("MFA_DENIED", Some(Reason::MfaDenied)),
            ("User rejected push notification", Some(Reason::MfaDenied)),
            ("MFA timed out", Some(Reason::MfaTimeout)),
            ("Push notification expired", Some(Reason::MfaTimeout)),
            ("INVALID_OTP", Some(Reason::BadCode)),
            ("Invalid passcode", Some(Reason::BadCode)),
            ("Blocked by conditional access", Some(Reason::Blocked)),
            ("RATE_LIMIT_EXCEEDED", Some(Reason::Blocked)),
            ("0xC000006A", Some(Reason::BadPassword)),
            ("0xc0000064", Some(Reason::UnknownAccount)),
            ("0xC0000234", Some(Reason::Locked)),
            ("0xC000006F", Some(Reason::Blocked)),
            // Ambiguous or silent: no reason rather than a guess.
            ("0xC000006D", None),
            ("Unknown user name or bad password.", None),
            ("Invalid username or password", None),
            ("ACCOUNT_DISABLED", None),
            ("PASSWORD_EXPIRED", None),
            ("ACCOUNT_UNLOCKED", None),
            ("Failed authentication", None),
            ("", None),
        ] {
            assert_eq!(reason_from_text(text), reason, "{text:?}");
        }
    }

    #[test]
    fn words_split_on_case_and_separators() {
        assert_eq!(
            word_mask("UserLoginFailed"),
            word::USER | word::FAILED,
            "login is not a class"
        );
        assert_eq!(word_mask("user.account.unlock"), word::USER | word::UNLOCK);
        assert_eq!(word_mask("a-very-long-wordthatisnotaclass"), 0);
    }

    #[test]
    fn seconds_milliseconds_and_nanoseconds_agree() {
        let expected: Timestamp = "2024-08-13T15:58:20Z".parse().unwrap();
        for value in [
            Value::Int(1_723_564_700),
            Value::Int(1_723_564_700_000),
            Value::Int(1_723_564_700_000_000),
            Value::Int(1_723_564_700_000_000_000),
            Value::Float(1_723_564_700_000.0),
            Value::Text(Cow::Borrowed("1723564700000")),
            Value::Text(Cow::Borrowed("2024-08-13T15:58:20Z")),
        ] {
            assert_eq!(epoch_time("time", &value).unwrap(), expected, "{value:?}");
        }
        assert!(epoch_time("time", &Value::Float(f64::NAN)).is_err());
        assert!(epoch_time("time", &Value::Float(1e300)).is_err());
        assert!(epoch_time("time", &Value::Text(Cow::Borrowed("yesterday"))).is_err());
        assert!(epoch_time("time", &Value::Bool(true)).is_err());
    }

    #[test]
    fn as_numbers_as_numbers_or_text() {
        assert_eq!(asn(&Value::Int(64500)), Some(64500));
        assert_eq!(asn(&Value::Text(Cow::Borrowed("AS64500"))), Some(64500));
        assert_eq!(asn(&Value::Text(Cow::Borrowed("64500"))), Some(64500));
        assert_eq!(asn(&Value::Int(0)), None);
        assert_eq!(asn(&Value::Int(-1)), None);
        assert_eq!(asn(&Value::Text(Cow::Borrowed("ASN 0000"))), None);
    }

    #[test]
    fn a_failed_logon_with_an_mfa_reason_is_an_mfa_step() {
        let event = one(
            r#"{"class_uid":3002,"activity_id":1,"time":1723564700000,"status_id":2,"status_detail":"MFA_DENIED","user":{"name":"Jane@Example.com"},"auth_factors":[{"factor_type_id":5,"factor_type":"Push Notification"}]}"#,
        );
        assert_eq!(event.kind, Kind::AuthMfa);
        assert_eq!(event.reason, Some(Reason::MfaDenied));
        assert_eq!(event.channel, Some(Channel::App));
        assert_eq!(event.account, "jane@example.com");
    }

    #[test]
    fn a_logon_with_mfa_is_two_steps() {
        let Ok(Decoded::Many(events)) = decode(
            r#"{"class_uid":3002,"activity_id":1,"time":1723564700000,"status_id":1,"is_mfa":true,"user":{"email_addr":"jane@example.com"}}"#,
        ) else {
            panic!("expected two events")
        };
        let kinds: Vec<Kind> = events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [Kind::AuthMfa, Kind::SessionStart]);
    }

    #[test]
    fn wrong_types_name_the_field() {
        let err = decode(r#"{"class_uid":"auth","activity_id":1,"time":1}"#).unwrap_err();
        assert_eq!(err.category(), "invalid `class_uid`");
        let err = decode(r#"{"class_uid":3002,"activity_id":1,"time":true}"#).unwrap_err();
        assert_eq!(err.category(), "invalid `time`");
        let err = decode(r#"{"class_uid":3002,"activity_id":1}"#).unwrap_err();
        assert_eq!(err, RecordError::MissingField("time"));
        let err = decode(r#"{"class_uid":3002,"activity_id":1,"time":1723564700000,"status_id":2,"user":{"name":"-"}}"#)
            .unwrap_err();
        assert_eq!(err, RecordError::MissingField("user.name"));
    }

    #[test]
    fn kerberos_codes_count_only_for_kerberos() {
        let record = |activity: u8| {
            format!(
                r#"{{"class_uid":3002,"activity_id":{activity},"time":1723564700000,"status_id":2,"status_code":"0x18","user":{{"name":"jdoe"}}}}"#
            )
        };
        let kerberos = record(6);
        assert_eq!(one(&kerberos).reason, Some(Reason::BadPassword));
        let other = record(1);
        assert_eq!(one(&other).reason, None);
    }
}
