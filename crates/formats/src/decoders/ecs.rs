//! Elastic Common Schema (ECS 8.x) documents: authentication, session and IAM events, as
//! shipped by Beats, Elastic Agent integrations, ecs-logging libraries or exported from
//! Elasticsearch (a `_source` hit as `elasticdump` writes it is unwrapped).
//!
//! ECS fixes the categorization (`event.category`, `event.type`, `event.outcome`) but leaves
//! `event.action` to the source, so the event kind comes from the category plus the words of
//! the action (`logged-in`, `ssh_login`, `user.mfa.okta_verify.deny_push`, `reset-password`).
//! References: <https://www.elastic.co/guide/en/ecs/current/ecs-allowed-values-event-category.html>,
//! <https://www.elastic.co/guide/en/ecs/current/ecs-allowed-values-event-type.html>,
//! <https://www.elastic.co/guide/en/ecs/current/ecs-allowed-values-event-outcome.html>,
//! <https://www.elastic.co/guide/en/ecs/current/ecs-user-usage.html>. The mapping is in
//! docs/formats.md (ecs).
//!
//! Both nested objects (`{"event":{"category":…}}`) and dotted keys
//! (`{"event.category":…}`) occur in real exports; both are declared as fields of the same
//! typed structs, so neither costs a second pass or a generic value tree. A value may also be a
//! one-element array, as Elasticsearch's `fields` API writes every value.

use std::borrow::Cow;
use std::fmt;

use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, Reason};
use serde::de::{Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};

use super::common::{account, contains, non_empty, parse_ip, parse_time, truncate};
use super::lenient::{ignore_other_types, visit_strings, Fallback};
use super::ocsf::{asn, epoch_time, reason_from_text, reason_from_words, word, word_mask, Value};
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Ecs;

impl Decoder for Ecs {
    fn format(&self) -> Format {
        Format::Ecs
    }

    fn sniff(&self, record: &[u8]) -> bool {
        contains(record, b"\"@timestamp\"")
            && (contains(record, b"\"event.") || has_event_object(record))
    }

    fn decode<'a>(
        &self,
        record: &'a [u8],
        _context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        let doc = if contains(record, b"\"_source\"") || contains(record, b"\"_index\"") {
            let hit: Hit<'a> = sonic_rs::from_slice(record)?;
            match hit.source.or(hit.fields) {
                Some(doc) => doc,
                None if hit.hits.is_some() => return Err(search_response()),
                None => sonic_rs::from_slice(record)?,
            }
        } else {
            sonic_rs::from_slice(record)?
        };
        decode_doc(doc)
    }
}

/// A whole `_search` response reaches the decoder as one record: its documents are nested two
/// levels down, where no reader can count them one by one.
fn search_response() -> RecordError {
    RecordError::Shape(
        "an Elasticsearch search response, not a document: write its hits one a line first \
         (jq -c '.hits.hits[]' response.json)"
            .to_owned(),
    )
}

/// `"event"`, optional white space, `:`, optional white space, `{`: an ECS event object, as
/// opposed to the native format's `"event":"…"`.
fn has_event_object(record: &[u8]) -> bool {
    memchr::memmem::find_iter(record, b"\"event\"").any(|at| {
        let mut rest = record
            .get(at + 7..)
            .unwrap_or_default()
            .iter()
            .filter(|b| !b.is_ascii_whitespace());
        rest.next() == Some(&b':') && rest.next() == Some(&b'{')
    })
}

/// An Elasticsearch search hit or `elasticdump` line: the document is under `_source`, or,
/// when the search asked for `fields`, there (dotted keys, every value an array).
#[derive(serde::Deserialize)]
struct Hit<'a> {
    #[serde(rename = "_source", borrow)]
    source: Option<Doc<'a>>,
    #[serde(borrow)]
    fields: Option<Doc<'a>>,
    /// Set on a whole search response (`{"took":…,"hits":{"hits":[…]}}`).
    hits: Option<IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct Doc<'a> {
    #[serde(rename = "@timestamp", borrow)]
    timestamp: Option<Value<'a>>,

    #[serde(borrow)]
    event: Option<EventFields<'a>>,
    #[serde(rename = "event.category", borrow)]
    event_category: Option<Terms<'a>>,
    #[serde(rename = "event.type", borrow)]
    event_type: Option<Terms<'a>>,
    #[serde(rename = "event.action", borrow)]
    event_action: Option<Value<'a>>,
    #[serde(rename = "event.outcome", borrow)]
    event_outcome: Option<Value<'a>>,
    #[serde(rename = "event.reason", borrow)]
    event_reason: Option<Value<'a>>,
    #[serde(rename = "event.kind", borrow)]
    event_kind: Option<Value<'a>>,

    #[serde(borrow)]
    user: Option<UserFields<'a>>,
    #[serde(rename = "user.name", borrow)]
    user_name: Option<Value<'a>>,
    #[serde(rename = "user.email", borrow)]
    user_email: Option<Value<'a>>,
    #[serde(rename = "user.id", borrow)]
    user_id: Option<Value<'a>>,
    #[serde(rename = "user.target.name", borrow)]
    target_name: Option<Value<'a>>,
    #[serde(rename = "user.target.email", borrow)]
    target_email: Option<Value<'a>>,
    #[serde(rename = "user.target.id", borrow)]
    target_id: Option<Value<'a>>,

    #[serde(borrow)]
    source: Option<Endpoint<'a>>,
    #[serde(rename = "source.ip", borrow)]
    source_ip: Option<Value<'a>>,
    #[serde(rename = "source.address", borrow)]
    source_address: Option<Value<'a>>,
    #[serde(rename = "source.geo.country_iso_code", borrow)]
    source_country: Option<Value<'a>>,
    #[serde(rename = "source.as.number", borrow)]
    source_asn: Option<Value<'a>>,

    #[serde(borrow)]
    client: Option<Endpoint<'a>>,
    #[serde(rename = "client.ip", borrow)]
    client_ip: Option<Value<'a>>,
    #[serde(rename = "client.address", borrow)]
    client_address: Option<Value<'a>>,
    #[serde(rename = "client.geo.country_iso_code", borrow)]
    client_country: Option<Value<'a>>,
    #[serde(rename = "client.as.number", borrow)]
    client_asn: Option<Value<'a>>,

    #[serde(borrow)]
    user_agent: Option<UserAgent<'a>>,
    #[serde(rename = "user_agent.original", borrow)]
    user_agent_original: Option<Value<'a>>,

    #[serde(borrow)]
    device: Option<Device<'a>>,
    #[serde(rename = "device.id", borrow)]
    device_id: Option<Value<'a>>,

    #[serde(borrow)]
    error: Option<ErrorFields<'a>>,
    #[serde(rename = "error.code", borrow)]
    error_code: Option<Value<'a>>,
    #[serde(rename = "error.message", borrow)]
    error_message: Option<Value<'a>>,

    /// Filebeat / Elastic Agent `system.auth`: the only place an sshd "Invalid user" survives.
    #[serde(borrow)]
    system: Option<System<'a>>,
    #[serde(rename = "system.auth.ssh.event", borrow)]
    ssh_event: Option<Value<'a>>,
    #[serde(rename = "system.auth.ssh.method", borrow)]
    ssh_method: Option<Value<'a>>,

    /// Winlogbeat: the NTSTATUS codes of a failed Windows logon (4625, 4776).
    #[serde(borrow)]
    winlog: Option<Winlog<'a>>,
    #[serde(rename = "winlog.event_data.SubStatus", borrow)]
    win_sub_status: Option<Value<'a>>,
    #[serde(rename = "winlog.event_data.Status", borrow)]
    win_status: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct EventFields<'a> {
    #[serde(borrow)]
    category: Option<Terms<'a>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Terms<'a>>,
    #[serde(borrow)]
    action: Option<Value<'a>>,
    #[serde(borrow)]
    outcome: Option<Value<'a>>,
    #[serde(borrow)]
    reason: Option<Value<'a>>,
    #[serde(rename = "kind", borrow)]
    event_kind: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct UserFields<'a> {
    #[serde(borrow)]
    name: Option<Value<'a>>,
    #[serde(borrow)]
    email: Option<Value<'a>>,
    #[serde(borrow)]
    id: Option<Value<'a>>,
    #[serde(borrow)]
    target: Option<UserTarget<'a>>,
    #[serde(rename = "target.name", borrow)]
    target_name: Option<Value<'a>>,
    #[serde(rename = "target.email", borrow)]
    target_email: Option<Value<'a>>,
    #[serde(rename = "target.id", borrow)]
    target_id: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct UserTarget<'a> {
    #[serde(borrow)]
    name: Option<Value<'a>>,
    #[serde(borrow)]
    email: Option<Value<'a>>,
    #[serde(borrow)]
    id: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct Endpoint<'a> {
    #[serde(borrow)]
    ip: Option<Value<'a>>,
    #[serde(borrow)]
    address: Option<Value<'a>>,
    #[serde(borrow)]
    geo: Option<Geo<'a>>,
    #[serde(rename = "geo.country_iso_code", borrow)]
    geo_country: Option<Value<'a>>,
    #[serde(rename = "as", borrow)]
    autonomous_system: Option<AutonomousSystem<'a>>,
    #[serde(rename = "as.number", borrow)]
    as_number: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct Geo<'a> {
    #[serde(borrow)]
    country_iso_code: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct AutonomousSystem<'a> {
    #[serde(borrow)]
    number: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct UserAgent<'a> {
    #[serde(borrow)]
    original: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct Device<'a> {
    #[serde(borrow)]
    id: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct ErrorFields<'a> {
    #[serde(borrow)]
    code: Option<Value<'a>>,
    #[serde(borrow)]
    message: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct System<'a> {
    #[serde(borrow)]
    auth: Option<SystemAuth<'a>>,
}

#[derive(serde::Deserialize)]
struct SystemAuth<'a> {
    #[serde(borrow)]
    ssh: Option<Ssh<'a>>,
}

#[derive(serde::Deserialize)]
struct Ssh<'a> {
    #[serde(borrow)]
    event: Option<Value<'a>>,
    #[serde(borrow)]
    method: Option<Value<'a>>,
}

#[derive(serde::Deserialize)]
struct Winlog<'a> {
    #[serde(borrow)]
    event_data: Option<WinEventData<'a>>,
}

#[derive(serde::Deserialize)]
struct WinEventData<'a> {
    #[serde(rename = "SubStatus", borrow)]
    sub_status: Option<Value<'a>>,
    #[serde(rename = "Status", borrow)]
    status: Option<Value<'a>>,
}

/// The `event.category` and `event.type` values forewarn reads, as bits.
mod term {
    pub const AUTHENTICATION: u16 = 1 << 0;
    pub const IAM: u16 = 1 << 1;
    pub const SESSION: u16 = 1 << 2;
    pub const START: u16 = 1 << 3;
    pub const END: u16 = 1 << 4;
    pub const ALLOWED: u16 = 1 << 5;
    pub const DENIED: u16 = 1 << 6;
}

/// `event.category` or `event.type`: one keyword or an array of them.
#[derive(Debug, Default)]
struct Terms<'a> {
    bits: u16,
    /// The first value, to name an event forewarn skips.
    first: Option<Cow<'a, str>>,
}

impl<'a> Terms<'a> {
    fn add(&mut self, value: Cow<'a, str>) {
        self.bits |= match value.trim() {
            "authentication" => term::AUTHENTICATION,
            "iam" => term::IAM,
            "session" => term::SESSION,
            "start" => term::START,
            "end" => term::END,
            "allowed" => term::ALLOWED,
            "denied" => term::DENIED,
            _ => 0,
        };
        if self.first.is_none() {
            self.first = Some(value);
        }
    }
}

impl Fallback for Terms<'_> {
    fn none() -> Self {
        Terms::default()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Terms<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TermsVisitor(std::marker::PhantomData))
    }
}

struct TermsVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TermsVisitor<'a> {
    type Value = Terms<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a keyword or an array of keywords")
    }

    visit_strings!('de, |keyword| {
        let mut terms = Terms::default();
        terms.add(keyword);
        terms
    });
    ignore_other_types!('de: unit, none);

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Terms<'a>, D::Error> {
        Terms::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Terms<'a>, A::Error> {
        let mut terms = Terms::default();
        while let Some(element) = seq.next_element::<Value<'a>>()? {
            if let Value::Text(text) = element {
                terms.add(text);
            }
        }
        Ok(terms)
    }
}

/// What an event is, from its category and the words of its action, before the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Skip,
    Lock,
    RecoveryStart,
    CodeSent,
    Reset,
    PasswordChange,
    RecoveryInfo,
    MfaChange,
    Mfa,
    SignIn,
}

impl Class {
    /// Whether the event is done to an account (by its owner or by an admin), so that
    /// `user.target` names the account and `user` the actor.
    fn acts_on_account(self) -> bool {
        !matches!(self, Class::Skip | Class::Mfa | Class::SignIn)
    }
}

fn classify(categories: u16, types: u16, words: u64) -> Class {
    use word::*;
    let any = |bits: u64| words & bits != 0;
    let sign_in = categories & (term::AUTHENTICATION | term::SESSION) != 0;
    if any(UNLOCK) || (any(SERVICE) && any(TICKET)) {
        // Unlocks, and Kerberos service tickets (granted on an existing TGT, no credential).
        return Class::Skip;
    }
    if any(LOCK) {
        return Class::Lock;
    }
    let ended =
        any(END) || (any(OUT) && any(LOG)) || (types & term::END != 0 && types & term::START == 0);
    if ended && sign_in {
        return Class::Skip;
    }
    if any(SEND) && any(PASSWORD | RECOVERY) && any(RESET | FORGOT | RECOVERY) {
        return Class::CodeSent;
    }
    if any(PASSWORD) && any(FORGOT) {
        return Class::RecoveryStart;
    }
    if any(PASSWORD) && any(RESET) {
        return Class::Reset;
    }
    if any(PASSWORD) && any(CHANGE) {
        return Class::PasswordChange;
    }
    if any(RECOVERY) && any(EMAIL | PHONE | SMS) {
        return Class::RecoveryInfo;
    }
    if any(MFA | APP) && any(ENROLL | REMOVE | CHANGE | RESET) {
        return Class::MfaChange;
    }
    if !sign_in {
        return Class::Skip;
    }
    if any(MFA | APP) {
        return Class::Mfa;
    }
    Class::SignIn
}

/// `@timestamp`: RFC 3339 text, or epoch milliseconds (Elasticsearch's `epoch_millis`) as a
/// number or digits.
fn timestamp(value: Option<&Value<'_>>) -> Result<forewarn_model::Timestamp, RecordError> {
    match value {
        Some(Value::Text(text)) if !text.trim().bytes().all(|b| b.is_ascii_digit()) => {
            parse_time("@timestamp", text)
        }
        Some(value @ (Value::Text(_) | Value::Int(_) | Value::Float(_))) => {
            epoch_time("@timestamp", value)
        }
        Some(_) => Err(RecordError::invalid(
            "@timestamp",
            "expected an RFC 3339 string or epoch milliseconds",
        )),
        None => Err(RecordError::MissingField("@timestamp")),
    }
}

fn decode_doc(doc: Doc<'_>) -> Result<Decoded<'_>, RecordError> {
    let time = timestamp(doc.timestamp.as_ref())?;

    let (nested_category, nested_type, nested_action, nested_outcome, nested_reason, event_kind) =
        match doc.event {
            Some(e) => (
                e.category,
                e.kind,
                e.action,
                e.outcome,
                e.reason,
                e.event_kind,
            ),
            None => (None, None, None, None, None, None),
        };
    // Detection alerts (`alert`, `signal`) copy the fields of the events they fire on; metrics
    // and state documents are not events. Only `event` (or no kind) is read.
    if let Some(kind) = event_kind
        .or(doc.event_kind)
        .as_ref()
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|k| !k.is_empty() && !k.eq_ignore_ascii_case("event"))
    {
        return Ok(Decoded::Skipped(Cow::Owned(format!(
            "event kind {}",
            truncate(kind, 40)
        ))));
    }
    let categories = nested_category.or(doc.event_category).unwrap_or_default();
    let types = nested_type.or(doc.event_type).unwrap_or_default();
    let action = nested_action
        .or(doc.event_action)
        .and_then(Value::into_text)
        .and_then(present);
    if categories.bits & (term::AUTHENTICATION | term::IAM | term::SESSION) == 0 {
        return Ok(Decoded::Skipped(match categories.first {
            Some(category) => Cow::Owned(format!("event category {}", truncate(&category, 60))),
            None => Cow::Borrowed("event without event.category"),
        }));
    }
    let words = action.as_deref().map_or(0, word_mask);
    let class = classify(categories.bits, types.bits, words);
    let type_name = || match &action {
        Some(action) => format!("event type {}", truncate(action, 80)),
        None => format!(
            "event type {} without event.action",
            categories.first.as_deref().unwrap_or_default()
        ),
    };
    if class == Class::Skip {
        return Ok(Decoded::Skipped(Cow::Owned(type_name())));
    }

    let (ssh_event, ssh_method) = match doc.system.and_then(|s| s.auth).and_then(|a| a.ssh) {
        Some(ssh) => (ssh.event, ssh.method),
        None => (None, None),
    };
    let ssh_event = ssh_event.or(doc.ssh_event);
    let ssh_method = ssh_method.or(doc.ssh_method);
    let outcome = outcome(
        nested_outcome.or(doc.event_outcome).as_ref(),
        ssh_event.as_ref(),
        types.bits,
        words,
    );
    let outcome = match (outcome, class) {
        (Some(outcome), _) => outcome,
        (None, Class::Lock) => Outcome::Success,
        (None, _) => {
            return Ok(Decoded::Skipped(Cow::Owned(format!(
                "{} with outcome unknown",
                type_name()
            ))))
        }
    };

    let (win_sub_status, win_status) = match doc.winlog.and_then(|w| w.event_data) {
        Some(data) => (data.sub_status, data.status),
        None => (None, None),
    };
    let reason = match outcome {
        Outcome::Success => None,
        // The sub status is the precise one: 4625's Status is often the generic 0xC000006D.
        Outcome::Failure => ssh_reason(ssh_event.as_ref(), ssh_method.as_ref())
            .or_else(|| {
                [
                    win_sub_status.or(doc.win_sub_status),
                    win_status.or(doc.win_status),
                ]
                .iter()
                .flatten()
                .filter_map(Value::as_str)
                .find_map(windows_status_reason)
            })
            .or_else(|| {
                let error = doc.error.as_ref();
                [
                    nested_reason.as_ref().or(doc.event_reason.as_ref()),
                    error
                        .and_then(|e| e.code.as_ref())
                        .or(doc.error_code.as_ref()),
                    error
                        .and_then(|e| e.message.as_ref())
                        .or(doc.error_message.as_ref()),
                ]
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .find_map(reason_from_text)
            })
            .or_else(|| reason_from_words(words)),
    };
    let sign_in = categories.bits & (term::AUTHENTICATION | term::SESSION) != 0;
    let (kind, reason) = match class {
        Class::Lock if sign_in && outcome == Outcome::Failure => {
            // A sign-in refused because the account is locked, not the lock itself.
            (Kind::AuthPassword, Some(Reason::Locked))
        }
        Class::Lock => (Kind::AccountLockout, None),
        Class::RecoveryStart => (Kind::RecoveryStart, reason),
        Class::CodeSent => (Kind::RecoveryCodeSent, reason),
        Class::Reset => (Kind::RecoveryReset, reason),
        Class::PasswordChange => (Kind::AccountPasswordChange, reason),
        Class::RecoveryInfo => (Kind::AccountRecoveryInfoChange, reason),
        Class::MfaChange => (Kind::AccountMfaChange, reason),
        Class::Mfa => (Kind::AuthMfa, reason),
        Class::SignIn => match (outcome, reason) {
            (Outcome::Success, _) => (Kind::SessionStart, None),
            (_, Some(r @ (Reason::MfaDenied | Reason::MfaTimeout | Reason::BadCode))) => {
                (Kind::AuthMfa, Some(r))
            }
            (_, reason) => (Kind::AuthPassword, reason),
        },
        Class::Skip => return Ok(Decoded::Skipped(Cow::Owned(type_name()))),
    };

    let (user, target) = users(
        doc.user,
        [doc.user_email, doc.user_name, doc.user_id],
        [doc.target_email, doc.target_name, doc.target_id],
    );
    let (subject, actor) = match (target, class.acts_on_account()) {
        (Some(target), true) => (Some(target), user.and_then(account)),
        (_, _) => (user, None),
    };
    let subject = subject
        .and_then(account)
        .ok_or(RecordError::MissingField("user.name"))?;
    // Okta's own principal acts on self-service resets and the messages it sends at the
    // user's request (Elastic's Okta integration keeps it as the user): not someone acting on
    // the user's behalf.
    let actor = actor.filter(|a| *a != subject && !a.eq_ignore_ascii_case("system@okta.com"));

    let mut out = AuthEvent::new(time, kind, outcome, subject);
    out.actor = actor;
    out.reason = reason;
    if reason == Some(Reason::UnknownAccount) {
        out.account_exists = Some(false);
    }
    out.channel = match class {
        Class::RecoveryInfo | Class::CodeSent => channel(words, word::PHONE | word::SMS),
        Class::Mfa | Class::MfaChange => channel(words, word::SMS),
        _ => None,
    };

    let (source, client) = (doc.source, doc.client);
    let (s_ip, s_address, s_country, s_asn) = endpoint_fields(source);
    let (c_ip, c_address, c_country, c_asn) = endpoint_fields(client);
    let address = [
        s_ip.or(doc.source_ip),
        s_address.or(doc.source_address),
        c_ip.or(doc.client_ip),
        c_address.or(doc.client_address),
    ]
    .into_iter()
    .flatten()
    .filter_map(|v| v.into_text().and_then(present));
    let mut host = None;
    for text in address {
        if let Some(ip) = parse_ip(&text) {
            // `::ffff:198.51.100.7` (Windows writes v4 peers so) is the v4 address.
            out.ip = Some(ip.to_canonical());
            break;
        }
        host.get_or_insert(text);
    }
    if out.ip.is_none() {
        out.source_host = host;
    }
    out.country = [
        s_country.or(doc.source_country),
        c_country.or(doc.client_country),
    ]
    .into_iter()
    .flatten()
    .find_map(|v| v.as_str().and_then(|c| Country::new(c.trim()).ok()));
    out.asn = [s_asn.or(doc.source_asn), c_asn.or(doc.client_asn)]
        .iter()
        .flatten()
        .find_map(asn);
    out.user_agent = doc
        .user_agent
        .and_then(|u| u.original)
        .or(doc.user_agent_original)
        .and_then(Value::into_text)
        .and_then(present);
    out.device_id = doc
        .device
        .and_then(|d| d.id)
        .or(doc.device_id)
        .and_then(Value::into_text)
        .and_then(present);
    Ok(Decoded::One(out))
}

type EndpointFields<'a> = (
    Option<Value<'a>>,
    Option<Value<'a>>,
    Option<Value<'a>>,
    Option<Value<'a>>,
);

fn endpoint_fields(endpoint: Option<Endpoint<'_>>) -> EndpointFields<'_> {
    match endpoint {
        Some(e) => (
            e.ip,
            e.address,
            e.geo.and_then(|g| g.country_iso_code).or(e.geo_country),
            e.autonomous_system.and_then(|a| a.number).or(e.as_number),
        ),
        None => (None, None, None, None),
    }
}

/// The acting user (`user.email`, then `user.name`, then `user.id`) and the target user
/// (`user.target.*` in the same order), from nested or dotted fields. ECS calls `user.name`
/// the login, but identity-provider integrations put a local part there and the address in
/// `user.email` (Google Workspace: `b.jones` and `b.jones@example.com`); the address is what
/// the other formats key an account by, so it comes first when present.
fn users<'a>(
    nested: Option<UserFields<'a>>,
    dotted: [Option<Value<'a>>; 3],
    dotted_target: [Option<Value<'a>>; 3],
) -> (Option<Cow<'a, str>>, Option<Cow<'a, str>>) {
    let [email, name, id] = dotted;
    let [target_email, target_name, target_id] = dotted_target;
    let (user, target) = match nested {
        Some(u) => {
            let (t_name, t_email, t_id) = match u.target {
                Some(t) => (t.name, t.email, t.id),
                None => (None, None, None),
            };
            (
                [u.email.or(email), u.name.or(name), u.id.or(id)],
                [
                    t_email.or(u.target_email).or(target_email),
                    t_name.or(u.target_name).or(target_name),
                    t_id.or(u.target_id).or(target_id),
                ],
            )
        }
        None => ([email, name, id], [target_email, target_name, target_id]),
    };
    let first = |values: [Option<Value<'a>>; 3]| {
        values
            .into_iter()
            .flatten()
            .find_map(|v| v.into_text().and_then(present))
    };
    (first(user), first(target))
}

/// `event.outcome`; when it is absent or `unknown`, what sshd said (`Accepted`, `Failed`,
/// `Invalid`), then `event.type` `allowed` / `denied`, then the action's own words
/// (`logon-failed`, `login_success`).
fn outcome(
    outcome: Option<&Value<'_>>,
    ssh_event: Option<&Value<'_>>,
    types: u16,
    words: u64,
) -> Option<Outcome> {
    let text = outcome.and_then(Value::as_str).map(str::trim);
    if let Some(text) = text {
        if text.eq_ignore_ascii_case("success") {
            return Some(Outcome::Success);
        }
        if text.eq_ignore_ascii_case("failure") {
            return Some(Outcome::Failure);
        }
    }
    if let Some(event) = ssh_event.and_then(Value::as_str).map(str::trim) {
        if event.eq_ignore_ascii_case("accepted") {
            return Some(Outcome::Success);
        }
        if event.eq_ignore_ascii_case("failed") || event.eq_ignore_ascii_case("invalid") {
            return Some(Outcome::Failure);
        }
    }
    if types & term::DENIED != 0 {
        return Some(Outcome::Failure);
    }
    if types & term::ALLOWED != 0 {
        return Some(Outcome::Success);
    }
    match (words & word::FAILED != 0, words & word::SUCCESS != 0) {
        (true, false) => Some(Outcome::Failure),
        (false, true) => Some(Outcome::Success),
        _ => None,
    }
}

/// sshd's own verdict as Filebeat's `system.auth` keeps it: `Invalid` is an unknown user,
/// `Failed` with a password method a wrong password.
fn ssh_reason(event: Option<&Value<'_>>, method: Option<&Value<'_>>) -> Option<Reason> {
    let event = event?.as_str()?.trim();
    if event.eq_ignore_ascii_case("invalid") {
        return Some(Reason::UnknownAccount);
    }
    let method = method.and_then(Value::as_str).map(str::trim);
    let password = matches!(method, Some(m) if m.eq_ignore_ascii_case("password")
        || m.eq_ignore_ascii_case("keyboard-interactive/pam"));
    (event.eq_ignore_ascii_case("failed") && password).then_some(Reason::BadPassword)
}

/// A Windows NTSTATUS code (`0xc000006a`); Kerberos result codes (`0x18`) in the same field
/// are not NTSTATUS and give nothing.
fn windows_status_reason(code: &str) -> Option<Reason> {
    let code = code.trim();
    (code.len() == 10).then(|| reason_from_text(code)).flatten()
}

/// The channel an action's words name; `phone` counts as SMS only where it stands for a
/// recovery phone.
fn channel(words: u64, sms: u64) -> Option<Channel> {
    if words & sms != 0 {
        Some(Channel::Sms)
    } else if words & word::EMAIL != 0 {
        Some(Channel::Email)
    } else if words & (word::APP | word::PUSH) != 0 {
        Some(Channel::App)
    } else {
        None
    }
}

/// Drops empty values and the `-` Windows writes for "none".
fn present(text: Cow<'_, str>) -> Option<Cow<'_, str>> {
    non_empty(Some(text)).filter(|t| t.trim() != "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<Decoded<'_>, RecordError> {
        Ecs.decode(text.as_bytes(), &DecodeContext::default())
    }

    fn one(text: &str) -> AuthEvent<'_> {
        match decode(text) {
            Ok(Decoded::One(event)) => event,
            other => panic!("expected one event, got {other:?}"),
        }
    }

    #[test]
    fn sniff_tells_an_event_object_from_the_native_event_string() {
        assert!(Ecs.sniff(br#"{"@timestamp":"2024-01-01T00:00:00Z","event" : {"category":"iam"}}"#));
        assert!(Ecs.sniff(br#"{"@timestamp":"2024-01-01T00:00:00Z","event.category":"iam"}"#));
        assert!(!Ecs.sniff(br#"{"@timestamp":"2024-01-01T00:00:00Z","event":"auth.password"}"#));
        assert!(!Ecs.sniff(br#"{"time":"2024-01-01T00:00:00Z","event":{"category":"iam"}}"#));
    }

    #[test]
    fn actions_classify() {
        use term::*;
        let auth = AUTHENTICATION;
        for (categories, types, action, class) in [
            (auth, START, "logged-in", Class::SignIn),
            (auth, START, "logon-failed", Class::SignIn),
            (auth, 0, "ssh_login", Class::SignIn),
            (auth, 0, "user.authentication.sso", Class::SignIn),
            (auth, 0, "UserLoggedIn", Class::SignIn),
            (auth, END, "logged-out", Class::Skip),
            (auth, 0, "user.session.end", Class::Skip),
            (auth, 0, "sign-out", Class::Skip),
            (
                auth,
                START,
                "kerberos-service-ticket-requested",
                Class::Skip,
            ),
            (auth, 0, "user.mfa.okta_verify.deny_push", Class::Mfa),
            (auth, 0, "user.authentication.auth_via_mfa", Class::Mfa),
            (auth, 0, "password-reset", Class::Reset),
            (auth, 0, "forgot-password", Class::RecoveryStart),
            (
                IAM,
                0,
                "system.sms.send_password_reset_message",
                Class::CodeSent,
            ),
            (IAM, 0, "reset-password", Class::Reset),
            (IAM, 0, "changed-password", Class::PasswordChange),
            (IAM, 0, "password_edit", Class::PasswordChange),
            (IAM, 0, "locked-out-user-account", Class::Lock),
            (IAM, 0, "unlocked-user-account", Class::Skip),
            (IAM, 0, "2sv_enroll", Class::MfaChange),
            (IAM, 0, "user.mfa.factor.deactivate", Class::MfaChange),
            (IAM, 0, "recovery_phone_edit", Class::RecoveryInfo),
            (IAM, 0, "added-user-account", Class::Skip),
            (IAM, 0, "added-member-to-group", Class::Skip),
        ] {
            assert_eq!(
                classify(categories, types, word_mask(action)),
                class,
                "{action}"
            );
        }
    }

    #[test]
    fn dotted_and_nested_keys_read_the_same() {
        let nested = one(
            r#"{"@timestamp":"2024-03-01T10:00:00.000Z","event":{"category":["authentication"],"type":["start"],"action":"logon-failed","outcome":"failure"},"user":{"name":"JDoe"},"source":{"ip":"203.0.113.9","geo":{"country_iso_code":"NL"},"as":{"number":64500}}}"#,
        );
        let dotted = one(
            r#"{"@timestamp":"2024-03-01T10:00:00.000Z","event.category":"authentication","event.type":"start","event.action":"logon-failed","event.outcome":"failure","user.name":"JDoe","source.ip":"203.0.113.9","source.geo.country_iso_code":"NL","source.as.number":64500}"#,
        );
        let fields = r#"{"@timestamp":["2024-03-01T10:00:00.000Z"],"event.category":["authentication"],"event.action":["logon-failed"],"event.outcome":["failure"],"user.name":["JDoe"],"source.ip":["203.0.113.9"],"source.geo.country_iso_code":["NL"],"source.as.number":[64500]}"#;
        let fields = one(fields);
        for event in [&nested, &dotted, &fields] {
            assert_eq!(event.kind, Kind::AuthPassword);
            assert_eq!(event.outcome, Outcome::Failure);
            assert_eq!(event.account, "jdoe");
            assert_eq!(event.ip, "203.0.113.9".parse().ok());
            assert_eq!(event.country.map(|c| c.to_string()).as_deref(), Some("NL"));
            assert_eq!(event.asn, Some(64500));
        }
    }

    #[test]
    fn an_admin_reset_is_about_the_target() {
        let event = one(
            r#"{"@timestamp":"2024-03-01T10:00:00Z","event":{"category":["iam"],"type":["user","change"],"action":"reset-password","outcome":"success"},"user":{"name":"helpdesk.admin","target":{"name":"JDoe"}}}"#,
        );
        assert_eq!(event.kind, Kind::RecoveryReset);
        assert_eq!(event.account, "jdoe");
        assert_eq!(event.actor.as_deref(), Some("helpdesk.admin"));
    }

    #[test]
    fn a_self_service_reset_by_okta_system_is_the_users_own() {
        let event = one(
            r#"{"@timestamp":"2024-03-01T10:00:00Z","event":{"category":["iam"],"type":["user","change"],"action":"user.account.reset_password","outcome":"success"},"user":{"name":"system@okta.com","target":{"name":"JDoe"}},"source":{"ip":"203.0.113.9"}}"#,
        );
        assert_eq!(event.kind, Kind::RecoveryReset);
        assert_eq!(event.account, "jdoe");
        assert_eq!(event.actor, None);
    }

    #[test]
    fn elasticsearch_hits_are_unwrapped() {
        let event = one(
            r#"{"_index":"logs-system.auth-default","_id":"x1","_source":{"@timestamp":"2024-03-01T10:00:00Z","event":{"category":["authentication"],"action":"ssh_login","outcome":"failure"},"system":{"auth":{"ssh":{"event":"Invalid"}}},"user":{"name":"oracle"},"source":{"ip":"198.51.100.4"}}}"#,
        );
        assert_eq!(event.reason, Some(Reason::UnknownAccount));
        assert_eq!(event.account_exists, Some(false));
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        let err = decode(
            r#"{"event":{"category":"authentication","outcome":"failure"},"user":{"name":"a"}}"#,
        )
        .unwrap_err();
        assert_eq!(err, RecordError::MissingField("@timestamp"));
        let err = decode(r#"{"@timestamp":{"date":1},"event":{"category":"authentication"}}"#)
            .unwrap_err();
        assert_eq!(err.category(), "invalid `@timestamp`");
        let err = decode(r#"{"@timestamp":"2024-03-01T10:00:00Z","event":{"category":"authentication","outcome":"failure"}}"#)
            .unwrap_err();
        assert_eq!(err, RecordError::MissingField("user.name"));
    }
}
