//! Google Workspace: Admin SDK Reports API activities.
//!
//! Reads one activity at a time, as `activities.list` returns them in
//! `{"kind":"admin#reports#activities","items":[…]}` pages (the reader splits `items`), as single
//! activity objects, and in the flattened one-event shape some pipelines export (Panther's
//! `GSuite.ActivityEvent`: the event's `name`, `type` and a `parameters` object at the top
//! level). One activity can carry several events; each event forewarn uses becomes one
//! [`AuthEvent`].
//!
//! Applications read: `login`, `user_accounts`, the user-security events of `admin`, and OAuth
//! grants of `token`. Mapping and sources: `docs/formats.md (gws)`.
//! - <https://developers.google.com/workspace/admin/reports/v1/reference/activities>
//! - <https://developers.google.com/workspace/admin/reports/v1/appendix/activity/login>
//! - <https://developers.google.com/workspace/admin/reports/v1/appendix/activity/user-accounts>
//! - <https://developers.google.com/workspace/admin/reports/v1/appendix/activity/admin-user-settings>
//! - <https://developers.google.com/workspace/admin/reports/v1/appendix/activity/token>

use std::borrow::Cow;
use std::fmt;

use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, Reason, Risk, Timestamp};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::common::{account, contains, non_empty, parse_ip, parse_time};
use super::lenient::{ignore_other_types, visit_strings, Fallback};
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Gws;

impl Decoder for Gws {
    fn format(&self) -> Format {
        Format::Gws
    }

    fn sniff(&self, record: &[u8]) -> bool {
        // `kind` is on every API activity; exports that drop it keep `id.uniqueQualifier`,
        // which no other format has.
        contains(record, b"admin#reports#activity")
            || (contains(record, b"\"applicationName\"")
                && contains(record, b"\"uniqueQualifier\""))
    }

    fn decode<'a>(
        &self,
        record: &'a [u8],
        _context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        let activity: Activity<'a> = sonic_rs::from_slice(record)?;
        decode_activity(activity)
    }
}

fn decode_activity(activity: Activity<'_>) -> Result<Decoded<'_>, RecordError> {
    let Activity {
        id,
        actor,
        ip_address,
        network_info,
        events,
        name,
        parameters,
    } = activity;
    let events = match events {
        Some(events) => events.0,
        // The flattened export: the one event's fields sit on the activity itself.
        None if name.is_some() => vec![Event { name, parameters }],
        None => return Err(RecordError::MissingField("events")),
    };
    let application = id
        .as_ref()
        .and_then(|id| id.application_name.as_deref())
        .ok_or(RecordError::MissingField("id.applicationName"))?;
    let mut mapped = events.iter().filter_map(|event| {
        let name = event.name.as_deref()?;
        map_event(application, name, &event.parameters).map(|m| (m, &event.parameters))
    });
    let Some(first) = mapped.next() else {
        let name = events
            .iter()
            .find_map(|e| e.name.as_deref())
            .unwrap_or("(unnamed)");
        return Ok(Decoded::Skipped(Cow::Owned(format!(
            "event type {application}/{name}"
        ))));
    };
    let time_text = id
        .as_ref()
        .and_then(|id| id.time.as_deref())
        .filter(|t| !t.trim().is_empty())
        .ok_or(RecordError::MissingField("id.time"))?;
    let (ip, source_host) = match non_empty(ip_address) {
        Some(text) => match parse_ip(&text) {
            Some(ip) => (Some(ip), None),
            None => (None, Some(text)),
        },
        None => (None, None),
    };
    let (country, asn) = network_info
        .map(|n| {
            let country = n.region_code.and_then(|c| Country::new(&c).ok());
            (country, n.ip_asn.0)
        })
        .unwrap_or((None, None));
    let shared = Shared {
        time: parse_time("id.time", time_text)?,
        actor_email: actor.and_then(|a| non_empty(a.email)),
        ip,
        source_host,
        country,
        asn,
    };

    // Nearly every activity holds one event: no list unless there are more.
    let first = shared.event(first)?;
    let Some(second) = mapped.next() else {
        return Ok(Decoded::One(first));
    };
    let mut all = vec![first, shared.event(second)?];
    for rest in mapped {
        all.push(shared.event(rest)?);
    }
    Ok(Decoded::Many(all))
}

/// What every event of one activity has in common.
struct Shared<'a> {
    time: Timestamp,
    actor_email: Option<Cow<'a, str>>,
    ip: Option<std::net::IpAddr>,
    source_host: Option<Cow<'a, str>>,
    country: Option<Country>,
    asn: Option<u32>,
}

impl<'a> Shared<'a> {
    fn event(&self, (m, params): (Mapping<'a>, &Params<'a>)) -> Result<AuthEvent<'a>, RecordError> {
        let (account_raw, actor_raw, missing) = match m.subject {
            Subject::Actor => (self.actor_email.clone(), None, "actor.email"),
            Subject::Affected => (
                params
                    .affected_email
                    .clone()
                    .or_else(|| self.actor_email.clone()),
                None,
                "actor.email",
            ),
            Subject::UserEmail => (
                params.user_email.clone(),
                self.actor_email.clone(),
                "parameters.USER_EMAIL",
            ),
        };
        let subject = account_raw
            .and_then(account)
            .ok_or(RecordError::MissingField(missing))?;
        let actor = actor_raw.and_then(account).filter(|a| *a != subject);
        let time = match m.time {
            EventTime::Activity => self.time,
            // Account warnings are filed after the sign-in they are about; its own time is
            // what lines up with the rest of the evidence.
            EventTime::LoginTimestamp => params
                .login_timestamp
                .and_then(|micros| Timestamp::from_microsecond(micros).ok())
                .unwrap_or(self.time),
        };
        let mut event = AuthEvent::new(time, m.kind, m.outcome, subject);
        event.reason = m.reason;
        event.channel = m.channel;
        event.channel_target = m.channel_target;
        event.risk = m.risk;
        event.actor = actor;
        event.ip = self.ip;
        event.source_host = self.source_host.clone();
        event.country = self.country;
        event.asn = self.asn;
        Ok(event)
    }
}

/// Whose account an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    /// The signed-in user (`actor.email`).
    Actor,
    /// Account warnings name the user in `affected_email_address`.
    Affected,
    /// An administrator acted on `USER_EMAIL`; the admin is the actor.
    UserEmail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventTime {
    Activity,
    LoginTimestamp,
}

struct Mapping<'a> {
    kind: Kind,
    outcome: Outcome,
    reason: Option<Reason>,
    channel: Option<Channel>,
    channel_target: Option<Cow<'a, str>>,
    risk: Option<Risk>,
    subject: Subject,
    time: EventTime,
}

impl<'a> Mapping<'a> {
    fn new(kind: Kind, outcome: Outcome, subject: Subject) -> Self {
        Mapping {
            kind,
            outcome,
            reason: None,
            channel: None,
            channel_target: None,
            risk: None,
            subject,
            time: EventTime::Activity,
        }
    }

    fn success(kind: Kind, subject: Subject) -> Self {
        Mapping::new(kind, Outcome::Success, subject)
    }

    fn failure(kind: Kind, reason: Option<Reason>, subject: Subject) -> Self {
        Mapping {
            reason,
            ..Mapping::new(kind, Outcome::Failure, subject)
        }
    }

    fn channel(self, channel: Channel) -> Self {
        Mapping {
            channel: Some(channel),
            ..self
        }
    }

    fn risk(self, risk: Option<Risk>) -> Self {
        Mapping { risk, ..self }
    }

    fn forwarding_to(self, target: Option<Cow<'a, str>>) -> Self {
        Mapping {
            channel: Some(Channel::Email),
            channel_target: target,
            ..self
        }
    }

    /// Account warnings: Google's verdict, about the user in `affected_email_address`, at the
    /// time of the sign-in it judged.
    fn warning(self, risk: Option<Risk>) -> Self {
        Mapping {
            risk,
            subject: Subject::Affected,
            time: EventTime::LoginTimestamp,
            ..self
        }
    }
}

/// The forewarn meaning of one event, or `None` for events forewarn does not use.
fn map_event<'a>(application: &str, name: &str, p: &Params<'a>) -> Option<Mapping<'a>> {
    use Kind::*;
    use Subject::*;
    match application {
        "login" | "user_accounts" => map_login(name, p),
        "admin" => Some(match name {
            "CHANGE_PASSWORD" => Mapping::success(AccountPasswordChange, UserEmail),
            "ADD_RECOVERY_EMAIL" | "CHANGE_RECOVERY_EMAIL" | "REMOVE_RECOVERY_EMAIL" => {
                Mapping::success(AccountRecoveryInfoChange, UserEmail).channel(Channel::Email)
            }
            "ADD_RECOVERY_PHONE" | "CHANGE_RECOVERY_PHONE" | "REMOVE_RECOVERY_PHONE" => {
                Mapping::success(AccountRecoveryInfoChange, UserEmail).channel(Channel::Sms)
            }
            // Everything an admin can do to a user's second factors, including handing out
            // backup codes and switching off the login challenge for a while: the help-desk
            // path attackers talk their way through.
            "TURN_OFF_2_STEP_VERIFICATION"
            | "USER_ENROLLED_IN_TWO_STEP_VERIFICATION"
            | "GENERATE_2SV_SCRATCH_CODES"
            | "DELETE_2SV_SCRATCH_CODES"
            | "SECURITY_KEY_REGISTERED_FOR_USER"
            | "REVOKE_SECURITY_KEY"
            | "PASSKEY_REVOKED"
            | "USER_CREATED_PASSKEY_REVOKE"
            | "UNENROLL_USER_FROM_STRONG_AUTH"
            | "UNENROLL_USER_FROM_TITANIUM"
            | "UNBLOCK_USER_SESSION" => Mapping::success(AccountMfaChange, UserEmail),
            "SUSPEND_USER" => Mapping::success(AccountLockout, UserEmail),
            "CREATE_EMAIL_MONITOR" => Mapping::success(MailboxRuleCreate, UserEmail)
                .forwarding_to(p.monitor_destination.clone()),
            "MAIL_ROUTING_DESTINATION_ADDED" => {
                Mapping::success(MailboxRuleCreate, UserEmail).forwarding_to(p.new_value.clone())
            }
            _ => return None,
        }),
        "token" => Some(match name {
            "authorize" => Mapping::success(AppConsent, Actor),
            "deny" => Mapping::failure(AppConsent, None, Actor),
            _ => return None,
        }),
        _ => None,
    }
}

/// `login` and `user_accounts` events (the latter is a subset with the same names).
fn map_login<'a>(name: &str, p: &Params<'a>) -> Option<Mapping<'a>> {
    use Kind::*;
    use Subject::*;
    let suspicious = (p.is_suspicious == Some(true)).then_some(Risk::Medium);
    Some(match name {
        "login_success" => Mapping::success(SessionStart, Actor).risk(suspicious),
        "login_failure" => map_login_failure(p).risk(suspicious),
        "login_challenge" | "login_verification" => {
            let factor = p.challenge_method.as_deref().map(Factor::of);
            let passed = challenge_passed(p.challenge_status.as_deref()?)?;
            let mut m = if passed {
                Mapping::success(AuthMfa, Actor)
            } else {
                Mapping::failure(AuthMfa, factor.and_then(|f| f.failure), Actor)
            };
            m.channel = factor.and_then(|f| f.channel);
            m
        }
        // "Suspicious login blocked": Google refused a sign-in it judged to be an attack.
        "suspicious_login"
        | "suspicious_login_less_secure_app"
        | "suspicious_programmatic_login" => {
            Mapping::failure(AuthPassword, Some(Reason::Blocked), Affected)
                .warning(Some(Risk::High))
        }
        // Google's warning that government-backed attackers are after this account: not one
        // observed attempt, but Google's verdict that the account is being attacked.
        "gov_attack_warning" => Mapping::failure(AuthPassword, Some(Reason::Blocked), Affected)
            .warning(Some(Risk::High)),
        "account_disabled_password_leak" | "account_disabled_hijacked" => {
            Mapping::success(AccountLockout, Affected).warning(Some(Risk::High))
        }
        "account_disabled_spamming" | "account_disabled_spamming_through_relay" => {
            Mapping::success(AccountLockout, Affected).warning(Some(Risk::Medium))
        }
        "account_disabled_generic" => Mapping::success(AccountLockout, Affected).warning(None),
        "recovery_email_edit" => {
            Mapping::success(AccountRecoveryInfoChange, Actor).channel(Channel::Email)
        }
        "recovery_phone_edit" => {
            Mapping::success(AccountRecoveryInfoChange, Actor).channel(Channel::Sms)
        }
        "recovery_secret_qa_edit" => Mapping::success(AccountRecoveryInfoChange, Actor),
        "password_edit" => Mapping::success(AccountPasswordChange, Actor),
        "2sv_enroll" | "2sv_disable" | "titanium_enroll" | "titanium_unenroll" => {
            Mapping::success(AccountMfaChange, Actor)
        }
        "email_forwarding_out_of_domain" => Mapping::success(MailboxRuleCreate, Actor)
            .forwarding_to(p.forwarding_destination.clone()),
        // Google's session-risk check on a sensitive action (changing recovery info, say):
        // allowed after the user passed a challenge, or blocked.
        "risky_sensitive_action_allowed" => {
            Mapping::success(AuthMfa, Actor).risk(Some(Risk::Medium))
        }
        "risky_sensitive_action_blocked" => {
            Mapping::failure(AuthMfa, Some(Reason::Blocked), Actor).risk(Some(Risk::High))
        }
        _ => return None,
    })
}

fn map_login_failure<'a>(p: &Params<'a>) -> Mapping<'a> {
    use Kind::*;
    let factor = p.challenge_method.as_deref().map(Factor::of);
    let (kind, reason) = match p.failure_type.as_deref() {
        Some("login_failure_invalid_password") => (AuthPassword, Some(Reason::BadPassword)),
        Some("login_failure_invalid_second_factor") => (
            AuthMfa,
            Some(factor.and_then(|f| f.failure).unwrap_or(Reason::BadCode)),
        ),
        // The user never answered the second-factor prompt.
        Some("login_failure_missing_second_factor") => (AuthMfa, Some(Reason::MfaTimeout)),
        Some("login_failure_account_disabled") => (AuthPassword, Some(Reason::Locked)),
        Some("login_failure_access_code_disallowed") => (AuthPassword, Some(Reason::Blocked)),
        _ => (AuthPassword, None),
    };
    let mut m = Mapping::failure(kind, reason, Subject::Actor);
    if kind == AuthMfa {
        m.channel = factor.and_then(|f| f.channel);
    }
    m
}

/// `login_challenge_status`: "Challenge Passed." / "Challenge Failed." in the reference,
/// "passed" / "failed" in newer records. `None` when it says neither (the reference: an empty
/// string is an unknown status).
fn challenge_passed(status: &str) -> Option<bool> {
    let status = status.to_ascii_lowercase();
    if status.contains("pass") {
        Some(true)
    } else if status.contains("fail") {
        Some(false)
    } else {
        None
    }
}

/// What a `login_challenge_method` says about the factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Factor {
    channel: Option<Channel>,
    /// Why a failed answer failed, when the method makes it plain.
    failure: Option<Reason>,
}

impl Factor {
    fn of(method: &str) -> Factor {
        let (channel, failure) = match method {
            // A code by text message or voice call to the phone on file or one typed in.
            "idv_preregistered_phone" | "idv_any_phone" => {
                (Some(Channel::Sms), Some(Reason::BadCode))
            }
            // The Google prompt on a signed-in phone: a failure is a "No, it's not me".
            "internal_two_factor" | "google_prompt" | "device_prompt" => {
                (Some(Channel::App), Some(Reason::MfaDenied))
            }
            "google_authenticator" | "totp" | "offline_otp" | "security_key_otp" => {
                (Some(Channel::App), Some(Reason::BadCode))
            }
            "backup_code" => (None, Some(Reason::BadCode)),
            _ => (None, None),
        };
        Factor { channel, failure }
    }
}

/// Methods that are not a second factor; a method list is read for the factor it names.
fn is_first_factor(method: &str) -> bool {
    matches!(
        method,
        "password" | "none" | "reauth" | "" | "saml" | "google_password"
    )
}

// ---------------------------------------------------------------------------------------------
// The record, typed. Only the fields forewarn reads are declared.

#[derive(Deserialize)]
struct Activity<'a> {
    #[serde(default, borrow)]
    id: Option<Id<'a>>,
    #[serde(default, borrow)]
    actor: Option<Actor<'a>>,
    #[serde(default, borrow, rename = "ipAddress")]
    ip_address: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "networkInfo")]
    network_info: Option<NetworkInfo<'a>>,
    #[serde(default, borrow)]
    events: Option<Events<'a>>,
    /// The flattened one-event export.
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    parameters: Params<'a>,
}

#[derive(Deserialize)]
struct Id<'a> {
    #[serde(default, borrow)]
    time: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "applicationName")]
    application_name: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Actor<'a> {
    #[serde(default, borrow)]
    email: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct NetworkInfo<'a> {
    #[serde(default, rename = "ipAsn")]
    ip_asn: FirstAsn,
    #[serde(default, borrow, rename = "regionCode")]
    region_code: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    parameters: Params<'a>,
}

/// `events`: an array in the API; one object in exports that split activities per event.
struct Events<'a>(Vec<Event<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Events<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventsVisitor<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for EventsVisitor<'a> {
            type Value = Events<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of events or one event object")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
                while let Some(event) = seq.next_element()? {
                    events.push(event);
                }
                Ok(Events(events))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let event = Event::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Events(vec![event]))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Events(Vec::new()))
            }
        }

        deserializer.deserialize_any(EventsVisitor(std::marker::PhantomData))
    }
}

/// The event parameters forewarn reads, from either layout: the API's
/// `[{"name":…,"value"|"boolValue"|"intValue"|"multiValue":…}]` or an exported
/// `{"name": value}` object. Every other parameter is skipped without being kept.
#[derive(Default)]
struct Params<'a> {
    failure_type: Option<Cow<'a, str>>,
    /// The second factor a method list names, or its only entry.
    challenge_method: Option<Cow<'a, str>>,
    challenge_status: Option<Cow<'a, str>>,
    is_suspicious: Option<bool>,
    affected_email: Option<Cow<'a, str>>,
    /// Microseconds since the epoch.
    login_timestamp: Option<i64>,
    user_email: Option<Cow<'a, str>>,
    forwarding_destination: Option<Cow<'a, str>>,
    monitor_destination: Option<Cow<'a, str>>,
    new_value: Option<Cow<'a, str>>,
}

impl<'a> Params<'a> {
    fn wants(name: &str) -> bool {
        matches!(
            name,
            "login_failure_type"
                | "login_challenge_method"
                | "login_challenge_status"
                | "is_suspicious"
                | "affected_email_address"
                | "login_timestamp"
                | "USER_EMAIL"
                | "email_forwarding_destination_address"
                | "EMAIL_MONITOR_DEST_EMAIL"
                | "NEW_VALUE"
        )
    }

    fn set(&mut self, name: &str, value: Value<'a>) {
        match name {
            "login_failure_type" => self.failure_type = value.into_str(),
            "login_challenge_method" => self.challenge_method = value.into_str(),
            "login_challenge_status" => self.challenge_status = value.into_str(),
            "is_suspicious" => self.is_suspicious = value.into_bool(),
            "affected_email_address" => self.affected_email = value.into_str(),
            "login_timestamp" => self.login_timestamp = value.into_int(),
            "USER_EMAIL" => self.user_email = value.into_str(),
            "email_forwarding_destination_address" => {
                self.forwarding_destination = value.into_str()
            }
            "EMAIL_MONITOR_DEST_EMAIL" => self.monitor_destination = value.into_str(),
            "NEW_VALUE" => self.new_value = value.into_str(),
            _ => {}
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Params<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParamsVisitor<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for ParamsVisitor<'a> {
            type Value = Params<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of parameters or a parameter object")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut params = Params::default();
                while let Some(param) = seq.next_element::<ApiParam<'a>>()? {
                    let Some(name) = param.name else { continue };
                    if Params::wants(&name) {
                        let value = param
                            .value
                            .or(param.bool_value)
                            .or(param.int_value)
                            .or(param.multi_value)
                            .unwrap_or(Value::Other);
                        params.set(&name, value);
                    }
                }
                Ok(params)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut params = Params::default();
                while let Some(name) = map.next_key::<Cow<'a, str>>()? {
                    if Params::wants(&name) {
                        let value = map.next_value::<Value<'a>>()?;
                        params.set(&name, value);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(params)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Params::default())
            }
        }

        deserializer.deserialize_any(ParamsVisitor(std::marker::PhantomData))
    }
}

/// One parameter of the API layout. Its name may come after its value.
#[derive(Deserialize)]
struct ApiParam<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    value: Option<Value<'a>>,
    #[serde(default, borrow, rename = "boolValue")]
    bool_value: Option<Value<'a>>,
    /// int64, which the API writes as a JSON string.
    #[serde(default, borrow, rename = "intValue")]
    int_value: Option<Value<'a>>,
    #[serde(default, borrow, rename = "multiValue")]
    multi_value: Option<Value<'a>>,
}

/// A parameter value of any JSON type, reduced to what the mapping reads.
enum Value<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Other,
}

impl<'a> Value<'a> {
    fn into_str(self) -> Option<Cow<'a, str>> {
        match self {
            Value::Str(s) => non_empty(Some(s)),
            _ => None,
        }
    }

    fn into_bool(self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(b),
            Value::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    fn into_int(self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(n),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
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
        struct ValueVisitor<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for ValueVisitor<'a> {
            type Value = Value<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a parameter value")
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Value::Bool(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Value::Int(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Other))
            }

            visit_strings!('de, Value::Str);
            ignore_other_types!('de: f64, unit, none, map);

            /// A list is read for the second factor it names (a `login_challenge_method` list
            /// holds every step of the sign-in: `password`, `password`, `security_key`), or for
            /// its first entry when it names none.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut pick: Option<Cow<'a, str>> = None;
                while let Some(item) = seq.next_element::<Value<'a>>()? {
                    if let Value::Str(s) = item {
                        if pick.is_none() || !is_first_factor(&s) {
                            pick = Some(s);
                        }
                    }
                }
                Ok(pick.map(Value::Str).unwrap_or(Value::Other))
            }
        }

        deserializer.deserialize_any(ValueVisitor(std::marker::PhantomData))
    }
}

/// `networkInfo.ipAsn`: a list of ASNs; the first is the address's own.
#[derive(Default)]
struct FirstAsn(Option<u32>);

impl<'de> Deserialize<'de> for FirstAsn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AsnVisitor;

        impl<'de> Visitor<'de> for AsnVisitor {
            type Value = FirstAsn;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of AS numbers")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut first = None;
                while let Some(asn) = seq.next_element::<IgnoredOrU32>()? {
                    first = first.or(asn.0);
                }
                Ok(FirstAsn(first))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(FirstAsn(u32::try_from(v).ok()))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(FirstAsn(None))
            }
        }

        deserializer.deserialize_any(AsnVisitor)
    }
}

/// An AS number, or anything else ignored.
struct IgnoredOrU32(Option<u32>);

impl<'de> Deserialize<'de> for IgnoredOrU32 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(IgnoredOrU32(
            value.into_int().and_then(|n| u32::try_from(n).ok()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<Decoded<'_>, RecordError> {
        Gws.decode(text.as_bytes(), &DecodeContext::default())
    }

    fn one(text: &str) -> AuthEvent<'_> {
        match decode(text) {
            Ok(Decoded::One(event)) => event,
            other => panic!("expected one event, got {other:?}"),
        }
    }

    #[test]
    fn reads_both_parameter_layouts() {
        let api = one(
            r#"{"kind":"admin#reports#activity","id":{"time":"2024-03-01T10:00:00.000Z","applicationName":"login"},"actor":{"email":"Ann@Example.com"},"events":[{"type":"login","name":"login_failure","parameters":[{"name":"login_type","value":"google_password"},{"name":"login_failure_type","value":"login_failure_invalid_password"},{"name":"is_suspicious","boolValue":true}]}]}"#,
        );
        let flat = one(
            r#"{"kind":"admin#reports#activity","id":{"time":"2024-03-01 10:00:00.000000000","applicationName":"login"},"actor":{"email":"ann@example.com"},"type":"login","name":"login_failure","parameters":{"login_type":"google_password","login_failure_type":"login_failure_invalid_password","is_suspicious":true}}"#,
        );
        assert_eq!(api, flat);
        assert_eq!(api.kind, Kind::AuthPassword);
        assert_eq!(api.reason, Some(Reason::BadPassword));
        assert_eq!(api.risk, Some(Risk::Medium));
        assert_eq!(api.account, "ann@example.com");
    }

    #[test]
    fn a_method_list_is_read_for_its_second_factor() {
        let event = one(
            r#"{"id":{"time":"2024-03-01T10:00:00Z","applicationName":"login","uniqueQualifier":"1"},"actor":{"email":"a@example.com"},"events":[{"name":"login_verification","parameters":[{"multiValue":["password","idv_preregistered_phone"],"name":"login_challenge_method"},{"name":"login_challenge_status","value":"Challenge Failed."}]}]}"#,
        );
        assert_eq!(event.kind, Kind::AuthMfa);
        assert_eq!(event.outcome, Outcome::Failure);
        assert_eq!(event.channel, Some(Channel::Sms));
        assert_eq!(event.reason, Some(Reason::BadCode));
    }

    #[test]
    fn a_challenge_without_a_status_is_skipped_not_guessed() {
        let result = decode(
            r#"{"id":{"time":"2024-03-01T10:00:00Z","applicationName":"login"},"actor":{"email":"a@example.com"},"events":[{"name":"login_challenge","parameters":[{"name":"login_challenge_status","value":""}]}]}"#,
        );
        assert!(
            matches!(result, Ok(Decoded::Skipped(ref what)) if what == "event type login/login_challenge"),
            "{result:?}"
        );
    }

    #[test]
    fn parameters_of_unexpected_types_do_not_reject_the_record() {
        let event = one(
            r#"{"id":{"time":"2024-03-01T10:00:00Z","applicationName":"login"},"actor":{"email":"a@example.com"},"events":{"name":"login_success","parameters":[{"name":"is_suspicious","value":{"odd":[1,2]}},{"name":"x","multiIntValue":["1","2"]},{"name":"y","messageValue":{"parameter":[{"name":"z","value":"w"}]}},{"value":"nameless"}]}}"#,
        );
        assert_eq!(event.kind, Kind::SessionStart);
        assert_eq!(event.risk, None);
    }

    #[test]
    fn int_values_as_strings_or_numbers() {
        for stamp in [r#""1709287200000000""#, "1709287200000000"] {
            let text = format!(
                r#"{{"id":{{"time":"2024-03-02T00:00:00Z","applicationName":"login"}},"actor":{{"email":"a@example.com"}},"events":[{{"type":"account_warning","name":"suspicious_login","parameters":[{{"name":"affected_email_address","value":"b@example.com"}},{{"name":"login_timestamp","intValue":{stamp}}}]}}]}}"#
            );
            let event = one(&text).into_owned();
            assert_eq!(event.time.to_string(), "2024-03-01T10:00:00Z");
            assert_eq!(event.account, "b@example.com");
        }
    }

    #[test]
    fn missing_fields_are_named() {
        let err = decode(r#"{"id":{"applicationName":"login"},"actor":{"email":"a@example.com"},"events":[{"name":"login_success"}]}"#).unwrap_err();
        assert_eq!(err, RecordError::MissingField("id.time"));
        let err = decode(r#"{"id":{"time":"2024-03-01T10:00:00Z","applicationName":"admin"},"actor":{"email":"root@example.com"},"events":[{"name":"CHANGE_PASSWORD","parameters":[]}]}"#).unwrap_err();
        assert_eq!(err, RecordError::MissingField("parameters.USER_EMAIL"));
        let err = decode(r#"{"id":{"time":"2024-03-01T10:00:00Z","applicationName":"login"}}"#)
            .unwrap_err();
        assert_eq!(err, RecordError::MissingField("events"));
    }

    #[test]
    fn sniffs_only_reports_activities() {
        assert!(Gws.sniff(br#"{"kind":"admin#reports#activity","id":{}}"#));
        assert!(Gws.sniff(br#"{"id":{"applicationName":"login","uniqueQualifier":"1"}}"#));
        assert!(!Gws.sniff(
            br#"{"eventSource":"codedeploy.amazonaws.com","eventName":"CreateApplication","requestParameters":{"applicationName":"x"}}"#
        ));
    }
}
