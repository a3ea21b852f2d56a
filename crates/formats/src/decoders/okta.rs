//! Okta System Log: the `LogEvent` objects of `GET /api/v1/logs` (a JSON array per page, or one
//! object a line as exported or streamed), and Okta event hook deliveries, whose
//! `data.events[]` are the same objects.
//!
//! Which `eventType`s become which events, and why, is in `docs/formats.md (okta)`. References:
//! - System Log API and the `LogEvent` object:
//!   <https://developer.okta.com/docs/reference/api/system-log/>
//! - Event type catalogue: <https://developer.okta.com/docs/reference/api/event-types/>
//! - Sign-in and recovery event types in practice:
//!   <https://support.okta.com/help/s/article/User-Signin-and-Recovery-Events-in-the-Okta-System-Log>
//! - `outcome.reason` values of failed sign-ins:
//!   <https://support.okta.com/help/s/article/common-okta-login-failures>
//! - Event hooks: <https://developer.okta.com/docs/concepts/event-hooks/>
//!
//! SIEM exports differ from the API in small ways this decoder tolerates: Panther lower-cases
//! the top-level keys (`eventtype`, `debugcontext`, …) and writes `published` as
//! `2024-05-02 18:46:21.121000000`; `debugData` values are sometimes arrays, objects or an empty
//! string instead of an object of strings.

use std::borrow::Cow;

use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, Reason, Risk};
use serde::Deserialize;

use super::common::{account, contains, contains_ignore_case, is_redacted, parse_ip, parse_time};
use super::json::{self, Bail};
use super::lenient::{self, Collect, Obj, Str, Text, U32};
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Okta;

impl Decoder for Okta {
    fn format(&self) -> Format {
        Format::Okta
    }

    fn sniff(&self, record: &[u8]) -> bool {
        contains(record, b"\"published\"")
            && (contains(record, b"\"eventType\"") || contains(record, b"\"eventtype\""))
    }

    fn decode<'a>(
        &self,
        record: &'a [u8],
        _context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        match fast::read(record) {
            Ok(log) => decode_event(log),
            Err(Bail::TooDeep) => Err(json::too_deep()),
            Err(Bail::Unsupported) => decode_slow(record),
        }
    }
}

/// The serde path, for every record the fast path gives up on: event hook deliveries, fields
/// of unexpected types, escapes in keys, malformed JSON (whose errors it words).
fn decode_slow(record: &[u8]) -> Result<Decoded<'_>, RecordError> {
    if json::nests_too_deep(record) {
        return Err(json::too_deep());
    }
    let log: LogEvent<'_> = sonic_rs::from_slice(record)?;
    if matches!(log.published, Text::Absent) {
        if let Some(hook) = log.data.0 {
            return decode_hook(hook);
        }
    }
    decode_event(log)
}

/// The fields of a `LogEvent` forewarn reads; everything else is skipped unparsed.
#[derive(Deserialize, Default)]
struct LogEvent<'a> {
    #[serde(default, borrow)]
    published: Text<'a>,
    #[serde(default, borrow, rename = "eventType", alias = "eventtype")]
    event_type: Text<'a>,
    #[serde(default, borrow)]
    outcome: Obj<OutcomeField<'a>>,
    #[serde(default, borrow)]
    actor: Obj<Principal<'a>>,
    #[serde(default, borrow)]
    target: Targets<'a>,
    #[serde(default, borrow)]
    client: Obj<Client<'a>>,
    #[serde(default, rename = "securityContext", alias = "securitycontext")]
    security_context: Obj<SecurityContext>,
    #[serde(
        default,
        borrow,
        rename = "authenticationContext",
        alias = "authenticationcontext"
    )]
    authentication_context: Obj<AuthenticationContext<'a>>,
    #[serde(default, borrow, rename = "debugContext", alias = "debugcontext")]
    debug_context: Obj<DebugContext<'a>>,
    /// The registered device (Okta Identity Engine), when Okta knows it.
    #[serde(default, borrow)]
    device: Obj<Device<'a>>,
    /// Only in event hook deliveries, which carry no `published` of their own.
    #[serde(default, borrow)]
    data: Obj<HookData<'a>>,
}

#[derive(Deserialize)]
struct HookData<'a> {
    #[serde(default, borrow)]
    events: Vec<LogEvent<'a>>,
}

#[derive(Deserialize, Default)]
struct OutcomeField<'a> {
    #[serde(default, borrow)]
    result: Str<'a>,
    #[serde(default, borrow)]
    reason: Str<'a>,
}

#[derive(Deserialize, Default)]
struct Principal<'a> {
    #[serde(default, borrow)]
    id: Str<'a>,
    #[serde(default, borrow, rename = "type")]
    kind: Str<'a>,
    #[serde(default, borrow, rename = "alternateId")]
    alternate_id: Str<'a>,
    #[serde(default, borrow, rename = "displayName")]
    display_name: Str<'a>,
}

#[derive(Deserialize, Default)]
struct Client<'a> {
    #[serde(default, borrow, rename = "ipAddress")]
    ip_address: Str<'a>,
    #[serde(default, borrow, rename = "userAgent")]
    user_agent: Obj<UserAgent<'a>>,
    #[serde(default, borrow, rename = "geographicalContext")]
    geographical_context: Obj<GeographicalContext<'a>>,
}

#[derive(Deserialize, Default)]
struct UserAgent<'a> {
    #[serde(default, borrow, rename = "rawUserAgent")]
    raw_user_agent: Str<'a>,
}

#[derive(Deserialize, Default)]
struct GeographicalContext<'a> {
    #[serde(default, borrow)]
    country: Str<'a>,
}

#[derive(Deserialize, Default)]
struct SecurityContext {
    #[serde(default, rename = "asNumber")]
    as_number: U32,
}

#[derive(Deserialize, Default)]
struct AuthenticationContext<'a> {
    #[serde(default, borrow, rename = "externalSessionId")]
    external_session_id: Str<'a>,
}

#[derive(Deserialize, Default)]
struct DebugContext<'a> {
    #[serde(default, borrow, rename = "debugData")]
    debug_data: Obj<DebugData<'a>>,
}

#[derive(Deserialize, Default)]
struct DebugData<'a> {
    /// `{level=HIGH, reasons=...}` when Okta's risk engine scored the request.
    #[serde(default, borrow)]
    risk: Str<'a>,
    /// The same as JSON inside a string, when the org only logs security data.
    #[serde(default, borrow, rename = "logOnlySecurityData")]
    log_only_security_data: Str<'a>,
    /// `"true"` when ThreatInsight considers the source malicious.
    #[serde(default, borrow, rename = "threatSuspected")]
    threat_suspected: Str<'a>,
    #[serde(default, borrow, rename = "deviceFingerprint")]
    device_fingerprint: Str<'a>,
    /// The factor of an MFA step (`OKTA_VERIFY_PUSH`, `SMS_FACTOR`, …), when logged.
    #[serde(default, borrow)]
    factor: Str<'a>,
}

#[derive(Deserialize, Default)]
struct Device<'a> {
    #[serde(default, borrow)]
    id: Str<'a>,
}

/// What forewarn needs from `target[]`: the first `User` target and the authenticator an
/// Identity Engine step names, collected without allocating a vector per record.
#[derive(Default)]
struct Targets<'a> {
    user: Option<Principal<'a>>,
    authenticator: Option<Cow<'a, str>>,
}

impl<'de: 'a, 'a> Collect<'de> for Targets<'a> {
    type Item = Obj<Principal<'a>>;

    fn push(&mut self, Obj(element): Self::Item) {
        let Some(principal) = element else { return };
        match principal.kind.0.as_deref() {
            Some("User") if self.user.is_none() && usable(&principal) => {
                self.user = Some(principal);
            }
            Some("AuthenticatorEnrollment") if self.authenticator.is_none() => {
                self.authenticator = principal.display_name.0;
            }
            _ => {}
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Targets<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient::list(deserializer)
    }
}

/// The fast path: a [`LogEvent`] read with the [`json`] cursor into the same structs serde
/// fills, for the `LogEvent` objects of the API and of exports. Each reader below mirrors the
/// serde type of its field: [`Obj`] (an object, else skipped), [`Str`] (a string, else
/// skipped), [`Text`] (a string or `null`), [`U32`]; whatever else a field holds, and event hook
/// deliveries, make it give up.
mod fast {
    use super::*;
    use crate::decoders::json::{read_fields, Cursor, Fast};

    pub(super) fn read(record: &[u8]) -> Fast<LogEvent<'_>> {
        let mut cursor = Cursor::new(record)?;
        let log = log_event(&mut cursor);
        cursor.finish().map(|()| log)
    }

    fn log_event<'a>(c: &mut Cursor<'a>) -> LogEvent<'a> {
        let mut log = LogEvent::default();
        read_fields!(c, {
            0: b"published" => log.published = text(c),
            1: b"eventType" | b"eventtype" => log.event_type = text(c),
            2: b"outcome" => log.outcome = obj(c, outcome),
            3: b"actor" => log.actor = obj(c, principal),
            4: b"target" => log.target = targets(c),
            5: b"client" => log.client = obj(c, client),
            6: b"securityContext" | b"securitycontext" => {
                log.security_context = obj(c, security_context)
            },
            7: b"authenticationContext" | b"authenticationcontext" => {
                log.authentication_context = obj(c, authentication_context)
            },
            8: b"debugContext" | b"debugcontext" => log.debug_context = obj(c, debug_context),
            9: b"device" => log.device = obj(c, device),
            // An event hook delivery; anything else in its place reads as nothing.
            10: b"data" => {
                if c.peek_value() == b'{' {
                    c.give_up(Bail::Unsupported);
                }
                c.skip()
            },
        });
        log
    }

    /// [`Text`]: a string, or absent for `null`.
    #[inline(always)]
    fn text<'a>(c: &mut Cursor<'a>) -> Text<'a> {
        match c.str() {
            Some(text) => Text::Str(text),
            None => Text::Absent,
        }
    }

    /// [`Str`]: a string, or nothing for any other value.
    #[inline(always)]
    fn str<'a>(c: &mut Cursor<'a>) -> Str<'a> {
        Str(c.str_or_skip())
    }

    /// [`Obj`]: an object read by `read`, or nothing for any other value.
    #[inline(always)]
    fn obj<'a, T>(c: &mut Cursor<'a>, read: impl FnOnce(&mut Cursor<'a>) -> T) -> Obj<T> {
        if c.peek_value() == b'{' {
            return Obj(Some(read(c)));
        }
        c.skip();
        Obj(None)
    }

    fn outcome<'a>(c: &mut Cursor<'a>) -> OutcomeField<'a> {
        let mut outcome = OutcomeField::default();
        read_fields!(c, {
            0: b"result" => outcome.result = str(c),
            1: b"reason" => outcome.reason = str(c),
        });
        outcome
    }

    fn principal<'a>(c: &mut Cursor<'a>) -> Principal<'a> {
        let mut principal = Principal::default();
        read_fields!(c, {
            0: b"id" => principal.id = str(c),
            1: b"type" => principal.kind = str(c),
            2: b"alternateId" => principal.alternate_id = str(c),
            3: b"displayName" => principal.display_name = str(c),
        });
        principal
    }

    /// [`Targets`]: folded from an array, or empty for any other value.
    fn targets<'a>(c: &mut Cursor<'a>) -> Targets<'a> {
        let mut targets = Targets::default();
        if c.peek_value() != b'[' {
            c.skip();
            return targets;
        }
        let mut elements = c.array();
        while elements.next(c) {
            targets.push(obj(c, principal));
        }
        targets
    }

    fn client<'a>(c: &mut Cursor<'a>) -> Client<'a> {
        let mut client = Client::default();
        read_fields!(c, {
            0: b"ipAddress" => client.ip_address = str(c),
            1: b"userAgent" => {
                client.user_agent = obj(c, |c| {
                    let mut agent = UserAgent::default();
                    read_fields!(c, {
                        0: b"rawUserAgent" => agent.raw_user_agent = str(c),
                    });
                    agent
                })
            },
            2: b"geographicalContext" => {
                client.geographical_context = obj(c, |c| {
                    let mut geo = GeographicalContext::default();
                    read_fields!(c, {
                        0: b"country" => geo.country = str(c),
                    });
                    geo
                })
            },
        });
        client
    }

    fn security_context(c: &mut Cursor<'_>) -> SecurityContext {
        let mut context = SecurityContext::default();
        read_fields!(c, {
            0: b"asNumber" => context.as_number = u32_field(c),
        });
        context
    }

    /// [`U32`]: a number or a string of one that fits, else nothing. Numbers it cannot read
    /// exactly as serde would (negative, fractional, huge) make it give up.
    fn u32_field(c: &mut Cursor<'_>) -> U32 {
        match c.peek_value() {
            b'0'..=b'9' => U32(u32::try_from(c.small_uint()).ok()),
            b'"' => U32(c.str().and_then(|text| text.trim().parse().ok())),
            b'-' => {
                c.give_up(Bail::Unsupported);
                U32(None)
            }
            _ => {
                c.skip();
                U32(None)
            }
        }
    }

    fn authentication_context<'a>(c: &mut Cursor<'a>) -> AuthenticationContext<'a> {
        let mut context = AuthenticationContext::default();
        read_fields!(c, {
            0: b"externalSessionId" => context.external_session_id = str(c),
        });
        context
    }

    fn debug_context<'a>(c: &mut Cursor<'a>) -> DebugContext<'a> {
        let mut context = DebugContext::default();
        read_fields!(c, {
            0: b"debugData" => context.debug_data = obj(c, debug_data),
        });
        context
    }

    fn debug_data<'a>(c: &mut Cursor<'a>) -> DebugData<'a> {
        let mut data = DebugData::default();
        read_fields!(c, {
            0: b"risk" => data.risk = str(c),
            1: b"logOnlySecurityData" => data.log_only_security_data = str(c),
            2: b"threatSuspected" => data.threat_suspected = str(c),
            3: b"deviceFingerprint" => data.device_fingerprint = str(c),
            4: b"factor" => data.factor = str(c),
        });
        data
    }

    fn device<'a>(c: &mut Cursor<'a>) -> Device<'a> {
        let mut device = Device::default();
        read_fields!(c, {
            0: b"id" => device.id = str(c),
        });
        device
    }
}

/// An event hook delivery: every event in it, or the first reason one of them is bad.
fn decode_hook<'a>(hook: HookData<'a>) -> Result<Decoded<'a>, RecordError> {
    let mut events = Vec::with_capacity(hook.events.len());
    for log in hook.events {
        match decode_event(log)? {
            Decoded::One(event) => events.push(event),
            Decoded::Many(more) => events.extend(more),
            Decoded::Skipped(_) => {}
        }
    }
    Ok(if events.is_empty() {
        Decoded::Skipped(Cow::Borrowed(
            "event hook delivery without events forewarn uses",
        ))
    } else {
        Decoded::Many(events)
    })
}

/// One `LogEvent`: an event, or skipped with the reason the summary counts.
fn decode_event<'a>(log: LogEvent<'a>) -> Result<Decoded<'a>, RecordError> {
    let published = log.published.require("published")?;
    let event_type = log.event_type.require("eventType")?;
    // A time starts with a digit: only other text can be a placeholder (and this spares every
    // record the placeholder check's trimming).
    if !published.starts_with(|c: char| c.is_ascii_digit()) && is_redacted(&published) {
        return Ok(Decoded::Skipped(Cow::Owned(format!(
            "event type {event_type} with `published` redacted"
        ))));
    }
    let time = parse_time("published", &published)?;

    let Some(rule) = rule_for(&event_type) else {
        return Ok(Decoded::Skipped(Cow::Owned(format!(
            "event type {event_type}"
        ))));
    };
    let outcome = log.outcome.0.unwrap_or_default();
    let verdict = Verdict::of(outcome.result.0.as_deref());
    let reason_text = outcome.reason.0;
    let okta_reason = reason_text.as_deref().unwrap_or("");
    let debug = log
        .debug_context
        .0
        .and_then(|d| d.debug_data.0)
        .unwrap_or_default();

    let verify_is_password = matches!(rule, Rule::Verify)
        && (log
            .target
            .authenticator
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("password"))
            || debug
                .factor
                .0
                .as_deref()
                .is_some_and(|f| contains_ignore_case(f, "password")));
    let Some(mapped) = map(rule, verdict, okta_reason, verify_is_password) else {
        let result = outcome.result.0.as_deref().unwrap_or("none");
        return Ok(Decoded::Skipped(Cow::Owned(format!(
            "event type {event_type} with outcome {result}"
        ))));
    };

    let (subject, acting) = whose(mapped.subject, log.actor.0, log.target.user);
    let Some(subject) = subject else {
        // ThreatInsight and blocklists report sources, not users, for spraying and scanning.
        if matches!(rule, Rule::Threat | Rule::RequestBlocked) {
            return Ok(Decoded::Skipped(Cow::Owned(format!(
                "event type {event_type} without a user"
            ))));
        }
        return Err(RecordError::MissingField(match mapped.subject {
            Subject::Actor => "actor.alternateId",
            Subject::Target => "target.alternateId",
        }));
    };
    let name = subject
        .alternate_id
        .0
        .and_then(account)
        .ok_or(RecordError::MissingField("actor.alternateId"))?;

    let mut event = AuthEvent::new(time, mapped.kind, mapped.outcome, name);
    event.reason = mapped.reason;
    event.risk = vendor_risk(&debug).or(mapped.risk);
    // Okta resolves the principal of a sign-in to a user id only when the user exists; for an
    // identifier that names no user it logs the id `unknown`.
    event.account_exists = match subject.id.0.as_deref().map(str::trim) {
        Some(id) if id.eq_ignore_ascii_case("unknown") => Some(false),
        Some("") | None => None,
        Some(_) => Some(true),
    };
    if event.account_exists == Some(false) && mapped.outcome == Outcome::Failure {
        event.reason = Some(Reason::UnknownAccount);
    }
    // Okta itself (the System Principal) is the actor of what it does at a user's request —
    // a self-service reset, a reset message sent — not someone acting on the user's behalf:
    // the person is whoever is at the client.
    event.actor = acting
        .filter(|a| !system_principal(a))
        .and_then(|a| a.alternate_id.0)
        .and_then(account)
        .filter(|a| *a != event.account);

    if let Some(client) = log.client.0 {
        event.ip = client.ip_address.0.as_deref().and_then(parse_ip);
        event.user_agent = client
            .user_agent
            .0
            .and_then(|ua| ua.raw_user_agent.0)
            .filter(|ua| known(ua));
        event.country = client
            .geographical_context
            .0
            .and_then(|geo| geo.country.0)
            .and_then(|name| country_code(&name));
    }
    event.asn = log
        .security_context
        .0
        .and_then(|s| s.as_number.0)
        .filter(|asn| *asn != 0);
    event.session = log
        .authentication_context
        .0
        .and_then(|c| c.external_session_id.0)
        .filter(|s| known(s));
    event.device_id = log
        .device
        .0
        .and_then(|d| d.id.0)
        .or(debug.device_fingerprint.0)
        .filter(|d| known(d));
    event.channel = mapped.channel.or_else(|| match mapped.kind {
        Kind::AuthMfa | Kind::AccountMfaChange => debug
            .factor
            .0
            .as_deref()
            .and_then(factor_channel)
            .or_else(|| factor_channel(okta_reason))
            .or_else(|| log.target.authenticator.as_deref().and_then(factor_channel)),
        _ => None,
    });
    Ok(Decoded::One(event))
}

/// The principal whose account an event is about, and the one who acted when that is someone
/// else: the user signing in for a user's own steps; the user an admin or Okta acted on for
/// account changes. Principals without a usable name count as absent.
fn whose<'a>(
    subject: Subject,
    actor: Option<Principal<'a>>,
    target_user: Option<Principal<'a>>,
) -> (Option<Principal<'a>>, Option<Principal<'a>>) {
    let actor = actor.filter(usable);
    let actor_first = match subject {
        Subject::Actor => actor
            .as_ref()
            .is_some_and(|a| a.kind.0.as_deref().is_none_or(|k| k == "User")),
        Subject::Target => target_user.is_none(),
    };
    match target_user {
        Some(user) if !actor_first => (Some(user), actor),
        _ => (actor, None),
    }
}

/// Okta's own verdict: the risk engine's level, in `debugData.risk` or in the JSON of
/// `logOnlySecurityData`; failing that, ThreatInsight's suspicion of the source.
fn vendor_risk(debug: &DebugData<'_>) -> Option<Risk> {
    if let Some(level) = debug.risk.0.as_deref().and_then(risk_level) {
        return Some(level);
    }
    if let Some(data) = debug.log_only_security_data.0.as_deref() {
        if let Some(level) = data.find("\"risk\"").and_then(|at| risk_level(&data[at..])) {
            return Some(level);
        }
    }
    debug
        .threat_suspected
        .0
        .as_deref()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("true"))
        .then_some(Risk::High)
}

/// `outcome.result` (System Log API, `LogOutcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Success,
    Failure,
    Allow,
    Deny,
    Challenge,
    /// `SKIPPED`, `UNKNOWN`, absent or unrecognized.
    Other,
}

impl Verdict {
    fn of(result: Option<&str>) -> Self {
        let Some(result) = result.map(str::trim) else {
            return Verdict::Other;
        };
        for (name, verdict) in [
            ("SUCCESS", Verdict::Success),
            ("FAILURE", Verdict::Failure),
            ("ALLOW", Verdict::Allow),
            ("DENY", Verdict::Deny),
            ("CHALLENGE", Verdict::Challenge),
        ] {
            if result.eq_ignore_ascii_case(name) {
                return verdict;
            }
        }
        Verdict::Other
    }

    /// Success or failure of a step whose record means "this happened" or "this failed".
    fn plain(self) -> Option<Outcome> {
        match self {
            Verdict::Success | Verdict::Allow => Some(Outcome::Success),
            Verdict::Failure | Verdict::Deny => Some(Outcome::Failure),
            Verdict::Challenge | Verdict::Other => None,
        }
    }
}

/// How an event type is read. See `docs/formats.md (okta)` for the reasoning behind each.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// `user.session.start`: a session on success, the password step on failure.
    SignIn,
    /// Sign-in completed by single sign-on or an external identity provider.
    Session,
    /// A password checked by a directory agent or RADIUS.
    Password,
    /// An Identity Engine authenticator verification: the password, or an MFA factor.
    Verify,
    /// An MFA answer.
    Mfa,
    /// The user denied an Okta Verify push.
    MfaDenied,
    /// An MFA challenge sent to a channel.
    MfaChallenge(Channel),
    /// Okta refused what it saw as an attempt to get around MFA.
    MfaBypass,
    /// A sign-on policy evaluation; only a denial is used.
    PolicyEvaluation,
    /// An app sign-on policy denied access.
    AppDenied,
    /// ThreatInsight; only a blocked request is used.
    Threat,
    /// A request refused by a network zone or location blocklist.
    RequestBlocked,
    Lockout,
    Reset,
    PasswordChange,
    RecoveryCodeSent(Channel),
    RecoveryInfo(Channel),
    MfaChange,
    Consent,
}

fn rule_for(event_type: &str) -> Option<Rule> {
    Some(match event_type {
        "user.session.start" => Rule::SignIn,
        "user.authentication.sso"
        | "user.authentication.auth_via_IDP"
        | "user.authentication.auth_via_social" => Rule::Session,
        "user.authentication.auth_via_AD_agent"
        | "user.authentication.auth_via_LDAP_agent"
        | "user.authentication.auth_via_radius" => Rule::Password,
        "user.authentication.verify" => Rule::Verify,
        "user.authentication.auth_via_mfa" => Rule::Mfa,
        "user.mfa.okta_verify.deny_push" | "user.mfa.okta_verify.deny_push_upgrade_needed" => {
            Rule::MfaDenied
        }
        "system.push.send_factor_verify_push" => Rule::MfaChallenge(Channel::App),
        "system.sms.send_factor_verify_message" => Rule::MfaChallenge(Channel::Sms),
        "system.email.send_factor_verify_message" => Rule::MfaChallenge(Channel::Email),
        "system.voice.send_mfa_challenge_call" => Rule::MfaChallenge(Channel::App),
        "user.mfa.attempt_bypass" => Rule::MfaBypass,
        "policy.evaluate_sign_on" => Rule::PolicyEvaluation,
        "application.policy.sign_on.deny_access" => Rule::AppDenied,
        "security.threat.detected" => Rule::Threat,
        "security.request.blocked" => Rule::RequestBlocked,
        "user.account.lock" | "user.account.lock.limit" => Rule::Lockout,
        "user.account.reset_password" => Rule::Reset,
        "user.account.update_password" => Rule::PasswordChange,
        "system.email.password_reset.sent_message" | "system.email.account_unlock.sent_message" => {
            Rule::RecoveryCodeSent(Channel::Email)
        }
        "system.sms.send_password_reset_message" | "system.sms.send_account_unlock_message" => {
            Rule::RecoveryCodeSent(Channel::Sms)
        }
        "system.voice.send_password_reset_call" | "system.voice.send_account_unlock_call" => {
            Rule::RecoveryCodeSent(Channel::App)
        }
        "user.account.update_primary_email" | "user.account.update_secondary_email" => {
            Rule::RecoveryInfo(Channel::Email)
        }
        "user.mfa.factor.activate"
        | "user.mfa.factor.deactivate"
        | "user.mfa.factor.reset_all"
        | "user.mfa.factor.suspend"
        | "user.mfa.factor.unsuspend"
        | "user.mfa.factor.update" => Rule::MfaChange,
        "app.oauth2.as.consent.grant" => Rule::Consent,
        _ => return None,
    })
}

/// Where the account an event is about is named.
#[derive(Debug, Clone, Copy)]
enum Subject {
    /// The actor (a user signing in); a `User` target when the actor is not a user.
    Actor,
    /// The first `User` target (the user an admin or Okta acted on); else the actor.
    Target,
}

struct Mapped {
    kind: Kind,
    outcome: Outcome,
    reason: Option<Reason>,
    channel: Option<Channel>,
    risk: Option<Risk>,
    subject: Subject,
}

fn map(rule: Rule, verdict: Verdict, okta_reason: &str, password: bool) -> Option<Mapped> {
    let of = |kind, outcome, reason, subject| Mapped {
        kind,
        outcome,
        reason,
        channel: None,
        risk: None,
        subject,
    };
    let with_channel = |mut m: Mapped, channel| {
        m.channel = Some(channel);
        m
    };
    use Subject::{Actor, Target};
    Some(match rule {
        Rule::SignIn => match verdict {
            Verdict::Success | Verdict::Allow => {
                of(Kind::SessionStart, Outcome::Success, None, Actor)
            }
            Verdict::Failure => of(
                Kind::AuthPassword,
                Outcome::Failure,
                password_reason(okta_reason),
                Actor,
            ),
            Verdict::Deny => of(
                Kind::AuthPassword,
                Outcome::Failure,
                Some(Reason::Blocked),
                Actor,
            ),
            Verdict::Challenge | Verdict::Other => return None,
        },
        Rule::Session => match verdict {
            Verdict::Success | Verdict::Allow => {
                of(Kind::SessionStart, Outcome::Success, None, Actor)
            }
            Verdict::Failure => of(
                Kind::SessionStart,
                Outcome::Failure,
                password_reason(okta_reason),
                Actor,
            ),
            Verdict::Deny => of(
                Kind::SessionStart,
                Outcome::Failure,
                Some(Reason::Blocked),
                Actor,
            ),
            Verdict::Challenge | Verdict::Other => return None,
        },
        Rule::Password => password_step(verdict, okta_reason)?,
        Rule::Verify if password => password_step(verdict, okta_reason)?,
        Rule::Verify | Rule::Mfa => match verdict {
            Verdict::Success | Verdict::Allow => of(Kind::AuthMfa, Outcome::Success, None, Actor),
            Verdict::Failure => of(
                Kind::AuthMfa,
                Outcome::Failure,
                mfa_reason(okta_reason),
                Actor,
            ),
            Verdict::Deny => of(
                Kind::AuthMfa,
                Outcome::Failure,
                Some(Reason::Blocked),
                Actor,
            ),
            Verdict::Challenge | Verdict::Other => return None,
        },
        // The event itself is the denial, whatever `outcome.result` says.
        Rule::MfaDenied => with_channel(
            of(
                Kind::AuthMfa,
                Outcome::Failure,
                Some(Reason::MfaDenied),
                Actor,
            ),
            Channel::App,
        ),
        Rule::MfaChallenge(channel) => {
            with_channel(of(Kind::AuthMfa, verdict.plain()?, None, Actor), channel)
        }
        Rule::MfaBypass => of(
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::Blocked),
            Actor,
        ),
        Rule::PolicyEvaluation => match verdict {
            Verdict::Deny => of(
                Kind::SessionStart,
                Outcome::Failure,
                Some(Reason::Blocked),
                Actor,
            ),
            _ => return None,
        },
        Rule::AppDenied => of(
            Kind::SessionStart,
            Outcome::Failure,
            Some(Reason::Blocked),
            Actor,
        ),
        Rule::Threat => match verdict {
            Verdict::Deny => Mapped {
                risk: Some(Risk::High),
                ..of(
                    Kind::AuthPassword,
                    Outcome::Failure,
                    Some(Reason::Blocked),
                    Actor,
                )
            },
            _ => return None,
        },
        Rule::RequestBlocked => of(
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::Blocked),
            Actor,
        ),
        // The event records that the account was locked: that happened, whatever the failed
        // sign-in that caused it logged as its result.
        Rule::Lockout => of(Kind::AccountLockout, Outcome::Success, None, Target),
        Rule::Reset => of(Kind::RecoveryReset, verdict.plain()?, None, Target),
        Rule::PasswordChange => of(Kind::AccountPasswordChange, verdict.plain()?, None, Target),
        Rule::RecoveryCodeSent(channel) => with_channel(
            of(Kind::RecoveryCodeSent, verdict.plain()?, None, Target),
            channel,
        ),
        Rule::RecoveryInfo(channel) => with_channel(
            of(
                Kind::AccountRecoveryInfoChange,
                verdict.plain()?,
                None,
                Target,
            ),
            channel,
        ),
        Rule::MfaChange => of(Kind::AccountMfaChange, verdict.plain()?, None, Target),
        Rule::Consent => of(Kind::AppConsent, verdict.plain()?, None, Target),
    })
}

fn password_step(verdict: Verdict, okta_reason: &str) -> Option<Mapped> {
    let (outcome, reason) = match verdict {
        Verdict::Success | Verdict::Allow => (Outcome::Success, None),
        Verdict::Failure => (Outcome::Failure, password_reason(okta_reason)),
        Verdict::Deny => (Outcome::Failure, Some(Reason::Blocked)),
        Verdict::Challenge | Verdict::Other => return None,
    };
    Some(Mapped {
        kind: Kind::AuthPassword,
        outcome,
        reason,
        channel: None,
        risk: None,
        subject: Subject::Actor,
    })
}

/// `outcome.reason` of a failed primary sign-in. `VERIFICATION_ERROR` alone says nothing
/// certain (Okta logs it for unknown users and for failed verifications alike); an unknown user
/// is recognized by its actor instead.
fn password_reason(reason: &str) -> Option<Reason> {
    let reason = reason.trim();
    if reason.eq_ignore_ascii_case("INVALID_CREDENTIALS") {
        Some(Reason::BadPassword)
    } else if reason.eq_ignore_ascii_case("LOCKED_OUT") {
        Some(Reason::Locked)
    } else if reason.eq_ignore_ascii_case("UNKNOWN_USER") {
        Some(Reason::UnknownAccount)
    } else if contains_ignore_case(reason, "phishing") {
        // "FastPass declined phishing attempt"
        Some(Reason::Blocked)
    } else {
        None
    }
}

/// `outcome.reason` of a failed MFA step: codes for one-time codes, free text for push.
fn mfa_reason(reason: &str) -> Option<Reason> {
    let reason = reason.trim();
    if reason.eq_ignore_ascii_case("INVALID_CREDENTIALS")
        || reason.eq_ignore_ascii_case("VERIFICATION_ERROR")
    {
        Some(Reason::BadCode)
    } else if reason.eq_ignore_ascii_case("LOCKED_OUT") {
        Some(Reason::Locked)
    } else if contains_ignore_case(reason, "phishing") {
        Some(Reason::Blocked)
    } else if contains_ignore_case(reason, "reject") || contains_ignore_case(reason, "denied") {
        // "User rejected Okta push verify"
        Some(Reason::MfaDenied)
    } else if contains_ignore_case(reason, "timeout")
        || contains_ignore_case(reason, "timed out")
        || contains_ignore_case(reason, "expired")
    {
        Some(Reason::MfaTimeout)
    } else {
        None
    }
}

/// The channel of a factor named by `debugData.factor` (`SMS_FACTOR`, `OKTA_VERIFY_PUSH`), by
/// `outcome.reason` (`User set up SMS_FACTOR factor`) or by an authenticator's display name.
/// Factors that are not a place a code goes (security keys, passwords) have none.
fn factor_channel(text: &str) -> Option<Channel> {
    if contains_ignore_case(text, "sms") {
        Some(Channel::Sms)
    } else if contains_ignore_case(text, "email") {
        Some(Channel::Email)
    } else if [
        "call",
        "voice",
        "push",
        "okta_verify",
        "okta verify",
        "signed_nonce",
        "totp",
    ]
    .iter()
    .any(|needle| contains_ignore_case(text, needle))
    {
        Some(Channel::App)
    } else {
        None
    }
}

/// The level in `{level=HIGH, reasons=…}` or `"level":"HIGH"`.
fn risk_level(text: &str) -> Option<Risk> {
    let at = find_level(text)?;
    let rest = text[at + "level".len()..].trim_start_matches(['=', ':', '"', ' ']);
    let word = rest
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    if word.eq_ignore_ascii_case("high") {
        Some(Risk::High)
    } else if word.eq_ignore_ascii_case("medium") {
        Some(Risk::Medium)
    } else if word.eq_ignore_ascii_case("low") {
        Some(Risk::Low)
    } else {
        None
    }
}

/// Where `level` first occurs in `text`, ASCII case ignored: `find_ignore_case(text, "level")`,
/// jumping from one `l` to the next, because this runs on every record that carries a risk.
fn find_level(text: &str) -> Option<usize> {
    memchr::memchr2_iter(b'l', b'L', text.as_bytes()).find(|&at| {
        text.as_bytes()
            .get(at..at + "level".len())
            .is_some_and(|word| word.eq_ignore_ascii_case(b"level"))
    })
}

/// A principal whose `alternateId` names someone: Okta writes `unknown` when it has no name.
/// Okta's own principal, `Okta System` (`system@okta.com`, type `SystemPrincipal`): the actor
/// of self-service resets and of the reset messages Okta sends ("Self Service Password reset
/// events can be seen in the logs if the Actor performing the action is Okta System
/// (SystemPrincipal)", Okta support, *Find Password Reset Event Performed by an Admin*).
fn system_principal(principal: &Principal<'_>) -> bool {
    principal
        .kind
        .0
        .as_deref()
        .is_some_and(|k| k.trim().eq_ignore_ascii_case("SystemPrincipal"))
        || principal
            .alternate_id
            .0
            .as_deref()
            .is_some_and(|a| a.trim().eq_ignore_ascii_case("system@okta.com"))
}

fn usable(principal: &Principal<'_>) -> bool {
    principal.alternate_id.0.as_deref().is_some_and(known)
}

/// Not blank and not one of the placeholders Okta writes for a missing value.
fn known(value: &str) -> bool {
    let value = value.trim();
    !(value.is_empty()
        || value.eq_ignore_ascii_case("unknown")
        || value.eq_ignore_ascii_case("null"))
}

/// Okta names countries in English (`United States`, `Germany`); forewarn stores ISO 3166-1
/// alpha-2 codes. Names not in the table (or misspelt) leave the country unset rather than
/// guess.
fn country_code(name: &str) -> Option<Country> {
    let name = name.trim();
    let found = COUNTRIES
        .binary_search_by(|(key, _)| cmp_ascii_lowercase(key, name))
        .ok()?;
    let (_, code) = COUNTRIES.get(found)?;
    Country::new(code).ok()
}

/// Compares `key` (already lower-case) with `name` lower-cased in ASCII, byte by byte.
fn cmp_ascii_lowercase(key: &str, name: &str) -> std::cmp::Ordering {
    key.bytes()
        .cmp(name.bytes().map(|b| b.to_ascii_lowercase()))
}

/// English country names as identity providers write them, lower-cased in ASCII and sorted by
/// bytes, with their ISO 3166-1 alpha-2 codes. Built from the ISO 3166 short names (as in the tz
/// database's `iso3166.tab`) and the common variants geolocation vendors use (`Russia` and
/// `Russian Federation`, `South Korea` and `Korea, Republic of`).
static COUNTRIES: &[(&str, &str)] = &[
    ("afghanistan", "AF"),
    ("aland islands", "AX"),
    ("albania", "AL"),
    ("algeria", "DZ"),
    ("american samoa", "AS"),
    ("andorra", "AD"),
    ("angola", "AO"),
    ("anguilla", "AI"),
    ("antarctica", "AQ"),
    ("antigua and barbuda", "AG"),
    ("argentina", "AR"),
    ("armenia", "AM"),
    ("aruba", "AW"),
    ("australia", "AU"),
    ("austria", "AT"),
    ("azerbaijan", "AZ"),
    ("bahamas", "BS"),
    ("bahrain", "BH"),
    ("bangladesh", "BD"),
    ("barbados", "BB"),
    ("belarus", "BY"),
    ("belgium", "BE"),
    ("belize", "BZ"),
    ("benin", "BJ"),
    ("bermuda", "BM"),
    ("bhutan", "BT"),
    ("bolivia", "BO"),
    ("bolivia, plurinational state of", "BO"),
    ("bonaire, sint eustatius and saba", "BQ"),
    ("bonaire, sint eustatius, and saba", "BQ"),
    ("bosnia and herzegovina", "BA"),
    ("botswana", "BW"),
    ("bouvet island", "BV"),
    ("brazil", "BR"),
    ("british indian ocean territory", "IO"),
    ("british virgin islands", "VG"),
    ("brunei", "BN"),
    ("brunei darussalam", "BN"),
    ("bulgaria", "BG"),
    ("burkina faso", "BF"),
    ("burma", "MM"),
    ("burundi", "BI"),
    ("cabo verde", "CV"),
    ("cambodia", "KH"),
    ("cameroon", "CM"),
    ("canada", "CA"),
    ("cape verde", "CV"),
    ("cayman islands", "KY"),
    ("central african republic", "CF"),
    ("chad", "TD"),
    ("chile", "CL"),
    ("china", "CN"),
    ("christmas island", "CX"),
    ("cocos (keeling) islands", "CC"),
    ("cocos islands", "CC"),
    ("colombia", "CO"),
    ("comoros", "KM"),
    ("congo", "CG"),
    ("congo republic", "CG"),
    ("congo, the democratic republic of the", "CD"),
    ("cook islands", "CK"),
    ("costa rica", "CR"),
    ("cote d'ivoire", "CI"),
    ("croatia", "HR"),
    ("cuba", "CU"),
    ("curacao", "CW"),
    ("curaçao", "CW"),
    ("cyprus", "CY"),
    ("czech republic", "CZ"),
    ("czechia", "CZ"),
    ("côte d'ivoire", "CI"),
    ("democratic republic of the congo", "CD"),
    ("denmark", "DK"),
    ("djibouti", "DJ"),
    ("dominica", "DM"),
    ("dominican republic", "DO"),
    ("dr congo", "CD"),
    ("east timor", "TL"),
    ("ecuador", "EC"),
    ("egypt", "EG"),
    ("el salvador", "SV"),
    ("equatorial guinea", "GQ"),
    ("eritrea", "ER"),
    ("estonia", "EE"),
    ("eswatini", "SZ"),
    ("ethiopia", "ET"),
    ("falkland islands", "FK"),
    ("falkland islands (malvinas)", "FK"),
    ("faroe islands", "FO"),
    ("federated states of micronesia", "FM"),
    ("fiji", "FJ"),
    ("finland", "FI"),
    ("france", "FR"),
    ("french guiana", "GF"),
    ("french polynesia", "PF"),
    ("french southern territories", "TF"),
    ("gabon", "GA"),
    ("gambia", "GM"),
    ("georgia", "GE"),
    ("germany", "DE"),
    ("ghana", "GH"),
    ("gibraltar", "GI"),
    ("great britain", "GB"),
    ("greece", "GR"),
    ("greenland", "GL"),
    ("grenada", "GD"),
    ("guadeloupe", "GP"),
    ("guam", "GU"),
    ("guatemala", "GT"),
    ("guernsey", "GG"),
    ("guinea", "GN"),
    ("guinea-bissau", "GW"),
    ("guyana", "GY"),
    ("haiti", "HT"),
    ("heard island and mcdonald islands", "HM"),
    ("holy see", "VA"),
    ("holy see (vatican city state)", "VA"),
    ("honduras", "HN"),
    ("hong kong", "HK"),
    ("hungary", "HU"),
    ("iceland", "IS"),
    ("india", "IN"),
    ("indonesia", "ID"),
    ("iran", "IR"),
    ("iran, islamic republic of", "IR"),
    ("iraq", "IQ"),
    ("ireland", "IE"),
    ("islamic republic of iran", "IR"),
    ("isle of man", "IM"),
    ("israel", "IL"),
    ("italy", "IT"),
    ("ivory coast", "CI"),
    ("jamaica", "JM"),
    ("japan", "JP"),
    ("jersey", "JE"),
    ("jordan", "JO"),
    ("kazakhstan", "KZ"),
    ("kenya", "KE"),
    ("kiribati", "KI"),
    ("korea, democratic people's republic of", "KP"),
    ("korea, republic of", "KR"),
    ("kuwait", "KW"),
    ("kyrgyzstan", "KG"),
    ("lao people's democratic republic", "LA"),
    ("laos", "LA"),
    ("latvia", "LV"),
    ("lebanon", "LB"),
    ("lesotho", "LS"),
    ("liberia", "LR"),
    ("libya", "LY"),
    ("liechtenstein", "LI"),
    ("lithuania", "LT"),
    ("luxembourg", "LU"),
    ("macao", "MO"),
    ("macau", "MO"),
    ("macedonia", "MK"),
    ("madagascar", "MG"),
    ("malawi", "MW"),
    ("malaysia", "MY"),
    ("maldives", "MV"),
    ("mali", "ML"),
    ("malta", "MT"),
    ("marshall islands", "MH"),
    ("martinique", "MQ"),
    ("mauritania", "MR"),
    ("mauritius", "MU"),
    ("mayotte", "YT"),
    ("mexico", "MX"),
    ("micronesia", "FM"),
    ("micronesia, federated states of", "FM"),
    ("moldova", "MD"),
    ("moldova, republic of", "MD"),
    ("monaco", "MC"),
    ("mongolia", "MN"),
    ("montenegro", "ME"),
    ("montserrat", "MS"),
    ("morocco", "MA"),
    ("mozambique", "MZ"),
    ("myanmar", "MM"),
    ("namibia", "NA"),
    ("nauru", "NR"),
    ("nepal", "NP"),
    ("netherlands", "NL"),
    ("new caledonia", "NC"),
    ("new zealand", "NZ"),
    ("nicaragua", "NI"),
    ("niger", "NE"),
    ("nigeria", "NG"),
    ("niue", "NU"),
    ("norfolk island", "NF"),
    ("north korea", "KP"),
    ("north macedonia", "MK"),
    ("northern mariana islands", "MP"),
    ("norway", "NO"),
    ("oman", "OM"),
    ("pakistan", "PK"),
    ("palau", "PW"),
    ("palestine", "PS"),
    ("palestinian territory", "PS"),
    ("panama", "PA"),
    ("papua new guinea", "PG"),
    ("paraguay", "PY"),
    ("peru", "PE"),
    ("philippines", "PH"),
    ("pitcairn", "PN"),
    ("pitcairn islands", "PN"),
    ("poland", "PL"),
    ("portugal", "PT"),
    ("puerto rico", "PR"),
    ("qatar", "QA"),
    ("republic of korea", "KR"),
    ("republic of moldova", "MD"),
    ("republic of the congo", "CG"),
    ("reunion", "RE"),
    ("romania", "RO"),
    ("russia", "RU"),
    ("russian federation", "RU"),
    ("rwanda", "RW"),
    ("réunion", "RE"),
    ("saint barthelemy", "BL"),
    ("saint barthélemy", "BL"),
    ("saint helena", "SH"),
    ("saint kitts and nevis", "KN"),
    ("saint lucia", "LC"),
    ("saint martin", "MF"),
    ("saint pierre and miquelon", "PM"),
    ("saint vincent and the grenadines", "VC"),
    ("samoa", "WS"),
    ("san marino", "SM"),
    ("sao tome and principe", "ST"),
    ("saudi arabia", "SA"),
    ("senegal", "SN"),
    ("serbia", "RS"),
    ("seychelles", "SC"),
    ("sierra leone", "SL"),
    ("singapore", "SG"),
    ("sint maarten", "SX"),
    ("slovakia", "SK"),
    ("slovenia", "SI"),
    ("solomon islands", "SB"),
    ("somalia", "SO"),
    ("south africa", "ZA"),
    ("south georgia and the south sandwich islands", "GS"),
    ("south korea", "KR"),
    ("south sudan", "SS"),
    ("spain", "ES"),
    ("sri lanka", "LK"),
    ("st kitts and nevis", "KN"),
    ("state of palestine", "PS"),
    ("sudan", "SD"),
    ("suriname", "SR"),
    ("svalbard and jan mayen", "SJ"),
    ("swaziland", "SZ"),
    ("sweden", "SE"),
    ("switzerland", "CH"),
    ("syria", "SY"),
    ("syrian arab republic", "SY"),
    ("são tomé and príncipe", "ST"),
    ("taiwan", "TW"),
    ("taiwan, province of china", "TW"),
    ("tajikistan", "TJ"),
    ("tanzania", "TZ"),
    ("tanzania, united republic of", "TZ"),
    ("thailand", "TH"),
    ("the bahamas", "BS"),
    ("the gambia", "GM"),
    ("the netherlands", "NL"),
    ("timor-leste", "TL"),
    ("togo", "TG"),
    ("tokelau", "TK"),
    ("tonga", "TO"),
    ("trinidad and tobago", "TT"),
    ("tunisia", "TN"),
    ("turkey", "TR"),
    ("turkiye", "TR"),
    ("turkmenistan", "TM"),
    ("turks and caicos islands", "TC"),
    ("tuvalu", "TV"),
    ("türkiye", "TR"),
    ("u.s. outlying islands", "UM"),
    ("u.s. virgin islands", "VI"),
    ("uganda", "UG"),
    ("ukraine", "UA"),
    ("united arab emirates", "AE"),
    ("united kingdom", "GB"),
    ("united kingdom of great britain and northern ireland", "GB"),
    ("united republic of tanzania", "TZ"),
    ("united states", "US"),
    ("united states minor outlying islands", "UM"),
    ("united states of america", "US"),
    ("uruguay", "UY"),
    ("us minor outlying islands", "UM"),
    ("uzbekistan", "UZ"),
    ("vanuatu", "VU"),
    ("vatican city", "VA"),
    ("venezuela", "VE"),
    ("venezuela, bolivarian republic of", "VE"),
    ("viet nam", "VN"),
    ("vietnam", "VN"),
    ("virgin islands, british", "VG"),
    ("virgin islands, u.s.", "VI"),
    ("wallis and futuna", "WF"),
    ("western sahara", "EH"),
    ("yemen", "YE"),
    ("zambia", "ZM"),
    ("zimbabwe", "ZW"),
    ("Åland", "AX"),
    ("Åland islands", "AX"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_decodes_as_serde_does() {
        let corpus = json::differential::corpus("okta", "Okta.SystemLog");
        let decoded = json::differential::check(
            &corpus,
            400,
            |record| fast::read(record).map(|log| format!("{:?}", decode_event(log))),
            |record| format!("{:?}", decode_slow(record)),
        );
        assert!(
            decoded > corpus.len() * 100,
            "the fast path decoded only {decoded}"
        );
        let typical = crate::examples::TYPICAL[1].1.trim_ascii();
        assert!(
            fast::read(typical).is_ok(),
            "the typical record takes the fast path"
        );
    }

    #[test]
    fn records_nested_too_deep_are_errors_not_crashes() {
        let deep = |depth: usize| {
            format!(
                r#"{{"published":"2024-05-02T08:14:07.312Z","eventType":"user.session.start","x":{}{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        fn decode(text: &str) -> Result<Decoded<'_>, RecordError> {
            Okta.decode(text.as_bytes(), &DecodeContext::default())
        }
        assert!(matches!(decode(&deep(100)), Ok(Decoded::Skipped(_))));
        for depth in [json::MAX_DEPTH + 1, 1_000_000] {
            assert_eq!(decode(&deep(depth)).unwrap_err(), json::too_deep());
        }
        // Also when something before the nesting sends the record down the serde path.
        let escaped_key = deep(1_000_000).replacen("\"x\"", "\"\\u0078\"", 1);
        assert_eq!(decode(&escaped_key).unwrap_err(), json::too_deep());
    }

    #[test]
    fn country_table_is_sorted_lower_case_and_valid() {
        for pair in COUNTRIES.windows(2) {
            assert!(pair[0].0.as_bytes() < pair[1].0.as_bytes(), "{pair:?}");
        }
        for (name, code) in COUNTRIES {
            assert!(!name.bytes().any(|b| b.is_ascii_uppercase()), "{name}");
            assert!(Country::new(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn country_names_as_okta_writes_them() {
        let code = |name| country_code(name).map(|c| c.to_string());
        assert_eq!(code("United States").as_deref(), Some("US"));
        assert_eq!(code("united kingdom").as_deref(), Some("GB"));
        assert_eq!(code("Russia").as_deref(), Some("RU"));
        assert_eq!(code("Korea, Republic of").as_deref(), Some("KR"));
        assert_eq!(code("The Netherlands").as_deref(), Some("NL"));
        assert_eq!(code("Côte d'Ivoire").as_deref(), Some("CI"));
        assert_eq!(code("Springfield"), None);
        assert_eq!(code(""), None);
    }

    #[test]
    fn risk_levels_in_both_shapes() {
        for text in [
            "{reasons=Anomalous Device, level=HIGH}",
            "{\"risk\":{\"LEVEL\":\"low\"}}",
            "lllevel=Medium",
            "Level: medium, level=high",
            "level",
            "",
            "no risk here",
        ] {
            let general = super::super::common::find_ignore_case(text, "level");
            assert_eq!(find_level(text), general, "{text}");
        }
        assert_eq!(
            risk_level("{reasons=Anomalous Device, level=HIGH}"),
            Some(Risk::High)
        );
        assert_eq!(risk_level("{level=LOW}"), Some(Risk::Low));
        assert_eq!(
            risk_level(r#""risk":{"level":"MEDIUM"},"behaviors":{}"#),
            Some(Risk::Medium)
        );
        assert_eq!(risk_level("{reasons=none}"), None);
        assert_eq!(risk_level("level"), None);
    }

    #[test]
    fn redacted_times() {
        for text in ["redacted", "REDACTED", "[REDACTED]", "<redacted>", "***"] {
            assert!(is_redacted(text), "{text}");
        }
        for text in ["", "2024-05-02T08:20:11Z", "yesterday"] {
            assert!(!is_redacted(text), "{text}");
        }
    }

    #[test]
    fn factor_channels() {
        assert_eq!(
            factor_channel("User set up SMS_FACTOR factor"),
            Some(Channel::Sms)
        );
        assert_eq!(factor_channel("OKTA_VERIFY_PUSH"), Some(Channel::App));
        assert_eq!(factor_channel("Email"), Some(Channel::Email));
        assert_eq!(factor_channel("User reset FIDO_WEBAUTHN factor"), None);
        assert_eq!(factor_channel("Password"), None);
    }

    #[test]
    fn failure_reasons() {
        assert_eq!(
            password_reason("INVALID_CREDENTIALS"),
            Some(Reason::BadPassword)
        );
        assert_eq!(password_reason("VERIFICATION_ERROR"), None);
        assert_eq!(
            password_reason("FastPass declined phishing attempt"),
            Some(Reason::Blocked)
        );
        assert_eq!(
            mfa_reason("User rejected Okta push verify"),
            Some(Reason::MfaDenied)
        );
        assert_eq!(mfa_reason("INVALID_CREDENTIALS"), Some(Reason::BadCode));
    }
}
