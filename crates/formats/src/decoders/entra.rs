//! Microsoft Entra ID sign-in and audit logs, in the three shapes they are delivered in:
//!
//! - Microsoft Graph `signIn` objects (`/auditLogs/signIns`, v1.0 and beta), one a record;
//!   `{"value":[…]}` pages are split by the reader;
//! - Microsoft Graph `directoryAudit` objects (`/auditLogs/directoryAudits`);
//! - Azure Monitor diagnostic records (Event Hub, storage account, Panther `Azure.Audit`):
//!   `{"time","category","operationName","resultType","callerIpAddress","properties":{…}}`
//!   where `properties` is the Graph object of that category. Some exporters lower-case the
//!   envelope's keys (`operationname`, `resulttype`, `calleripaddress`); both are read.
//!
//! Sign-ins map on their `status.errorCode` (the AADSTS code), audits on their
//! `activityDisplayName`. The full mapping, with the vendor pages it rests on, is in
//! `docs/formats.md (entra)`:
//! - <https://learn.microsoft.com/graph/api/resources/signin>
//! - <https://learn.microsoft.com/graph/api/resources/directoryaudit>
//! - <https://learn.microsoft.com/entra/identity-platform/reference-error-codes>
//! - <https://learn.microsoft.com/entra/identity/authentication/howto-sspr-reporting>
//! - <https://learn.microsoft.com/entra/identity/monitoring-health/howto-stream-logs-to-event-hub>
//!
//! The code tables and the audit-activity classifier are shared with the Microsoft 365 decoder,
//! whose `AzureActiveDirectory` records carry the same AADSTS codes and activity names.

use std::borrow::Cow;
use std::fmt;

use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, Reason, Risk};
use std::marker::PhantomData;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::common::{account, contains, non_empty, parse_ip, parse_time, truncate};
use super::json::{self, Bail};
use super::lenient::{ignore_other_types, AnyText, Code, Collect, Fallback, Key};
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Entra;

impl Decoder for Entra {
    fn format(&self) -> Format {
        Format::Entra
    }

    fn sniff(&self, record: &[u8]) -> bool {
        // Each shape is recognised by keys other than its timestamp too, so that a record
        // missing its time is rejected for that rather than as an unknown format.
        let azure_monitor = contains(record, b"\"category\"")
            && contains(record, b"\"properties\"")
            && (contains(record, b"\"operationName\"") || contains(record, b"\"operationname\""));
        let sign_in = contains(record, b"\"userPrincipalName\"")
            && (contains(record, b"\"createdDateTime\"")
                || contains(record, b"\"conditionalAccessStatus\"")
                || contains(record, b"\"clientAppUsed\""));
        let audit = contains(record, b"\"activityDisplayName\"")
            && (contains(record, b"\"activityDateTime\"")
                || contains(record, b"\"loggedByService\""));
        azure_monitor || sign_in || audit
    }

    fn decode<'a>(
        &self,
        record: &'a [u8],
        _context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        let body = match fast::read(record) {
            Ok(body) => body,
            Err(Bail::TooDeep) => return Err(json::too_deep()),
            Err(Bail::Unsupported) => read_slow(record)?,
        };
        decode_body(body)
    }
}

/// The serde path, for every record the fast path gives up on: audits with their targets and
/// details, fields of unexpected types, escapes in keys, malformed JSON (whose errors it
/// words).
fn read_slow(record: &[u8]) -> Result<Body<'_>, RecordError> {
    if json::nests_too_deep(record) {
        return Err(json::too_deep());
    }
    Ok(sonic_rs::from_slice(record)?)
}

/// Which of the three shapes a record is, and its events.
fn decode_body(mut body: Body<'_>) -> Result<Decoded<'_>, RecordError> {
    match body.properties.take() {
        Some(properties) => azure_monitor(*properties, Envelope::take(&mut body)),
        None if body.activity_date_time.is_some() || body.activity_display_name.is_some() => {
            audit(body, Envelope::default())
        }
        None if body.created_date_time.is_some() || body.user_principal_name.is_some() => {
            sign_in(body, Envelope::default())
        }
        None => Err(RecordError::UnknownFormat(
            "no `properties` (Azure Monitor), `createdDateTime` (sign-in) or \
             `activityDateTime` (audit): not an Entra record"
                .into(),
        )),
    }
}

/// The fields of a Graph `signIn` or `directoryAudit`, and of the Azure Monitor envelope around
/// them (whose `properties` is the Graph object). One struct serves all three because the
/// envelope and the objects share names (`category`, `operationName`) and a record is one of
/// them; fields a shape lacks stay `None`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    // Azure Monitor envelope.
    #[serde(default, borrow)]
    time: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    category: Option<Cow<'a, str>>,
    #[serde(default, borrow, alias = "operationname")]
    operation_name: Option<Cow<'a, str>>,
    #[serde(default, borrow, alias = "resulttype")]
    result_type: Option<Code<'a>>,
    #[serde(default, borrow, alias = "calleripaddress")]
    caller_ip_address: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    properties: Option<Box<Body<'a>>>,

    // signIn.
    #[serde(default, borrow)]
    created_date_time: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    user_principal_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    user_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    ip_address: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    user_agent: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    device_detail: Option<DeviceDetail<'a>>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default, borrow)]
    status: Option<Status<'a>>,
    #[serde(default, borrow)]
    mfa_detail: Option<MfaDetail<'a>>,
    #[serde(default, borrow)]
    authentication_details: Option<Fold<AuthSteps<'a>>>,
    #[serde(default, borrow)]
    risk_level_during_sign_in: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    risk_level_aggregated: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    risk_state: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    autonomous_system_number: Option<Code<'a>>,
    #[serde(default, borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    correlation_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    sign_in_event_types: Option<Fold<EventTypes<'a>>>,
    #[serde(default, borrow)]
    service_principal_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    is_interactive: AnyText<'a>,

    // directoryAudit.
    #[serde(default, borrow)]
    activity_date_time: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    activity_display_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    result: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    result_reason: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    initiated_by: Option<InitiatedBy<'a>>,
    #[serde(default, borrow)]
    target_resources: Option<Vec<TargetResource<'a>>>,
    #[serde(default, borrow)]
    additional_details: Option<Vec<KeyValue<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceDetail<'a> {
    #[serde(default, borrow)]
    device_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    #[serde(default, borrow)]
    error_code: Option<Code<'a>>,
    #[serde(default, borrow)]
    failure_reason: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    additional_details: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MfaDetail<'a> {
    #[serde(default, borrow)]
    auth_method: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    auth_detail: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthStep<'a> {
    #[serde(default, borrow)]
    authentication_method: Option<Cow<'a, str>>,
    #[serde(default)]
    succeeded: Option<bool>,
    #[serde(default, borrow)]
    authentication_step_result_detail: Option<Cow<'a, str>>,
}

/// A [`Collect`] read from an array as strictly as serde's `Vec` reads one (anything but an
/// array, or an element of the wrong shape, is an error with `Vec`'s message), folded element by
/// element rather than collected: no vector per record.
#[derive(Default)]
struct Fold<C>(C);

impl<'de, C: Collect<'de>> Deserialize<'de> for Fold<C> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FoldVisitor<C>(PhantomData<C>);
        impl<'de, C: Collect<'de>> Visitor<'de> for FoldVisitor<C> {
            type Value = Fold<C>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut fold = C::default();
                while let Some(item) = seq.next_element()? {
                    fold.push(item);
                }
                Ok(Fold(fold))
            }
        }
        deserializer.deserialize_seq(FoldVisitor(PhantomData))
    }
}

/// What a sign-in needs from its `authenticationDetails`: whether the password step passed,
/// and the first step of another method (the second factor).
#[derive(Default)]
struct AuthSteps<'a> {
    password_passed: bool,
    mfa_step: Option<AuthStep<'a>>,
}

impl<'de: 'a, 'a> Collect<'de> for AuthSteps<'a> {
    type Item = AuthStep<'a>;

    fn push(&mut self, step: AuthStep<'a>) {
        let method = step.authentication_method.as_deref();
        let is_password = method.is_some_and(|m| m.eq_ignore_ascii_case("password"));
        if is_password && step.succeeded == Some(true) {
            self.password_passed = true;
        }
        if self.mfa_step.is_none() && !is_password && method.is_some_and(|m| !m.is_empty()) {
            self.mfa_step = Some(step);
        }
    }
}

/// Whether a sign-in's `signInEventTypes` name a workload (a service principal or a managed
/// identity) rather than a person.
#[derive(Default)]
struct EventTypes<'a> {
    workload: bool,
    _types: PhantomData<&'a ()>,
}

impl<'de: 'a, 'a> Collect<'de> for EventTypes<'a> {
    type Item = AnyText<'a>;

    fn push(&mut self, kind: AnyText<'a>) {
        self.workload |= kind.0.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case("servicePrincipal") || t.eq_ignore_ascii_case("managedIdentity")
        });
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InitiatedBy<'a> {
    #[serde(default, borrow)]
    user: Option<UserIdentity<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    #[serde(default, borrow)]
    user_principal_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    ip_address: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TargetResource<'a> {
    #[serde(default, borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    user_principal_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    modified_properties: Option<Vec<ModifiedProperty<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModifiedProperty<'a> {
    #[serde(default, borrow)]
    display_name: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(default, borrow)]
    key: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    value: AnyText<'a>,
}

/// The Azure Monitor envelope fields a decision needs once `properties` is taken out.
#[derive(Default)]
struct Envelope<'a> {
    time: Option<Cow<'a, str>>,
    category: Option<Cow<'a, str>>,
    operation_name: Option<Cow<'a, str>>,
    result_type: Option<Code<'a>>,
    caller_ip_address: Option<Cow<'a, str>>,
    result: Option<Cow<'a, str>>,
    correlation_id: Option<Cow<'a, str>>,
    present: bool,
}

impl<'a> Envelope<'a> {
    fn take(body: &mut Body<'a>) -> Self {
        Envelope {
            time: body.time.take(),
            category: body.category.take(),
            operation_name: body.operation_name.take(),
            result_type: body.result_type.take(),
            caller_ip_address: body.caller_ip_address.take(),
            result: body.result.take(),
            correlation_id: body.correlation_id.take(),
            present: true,
        }
    }

    /// The name of the time field to report missing: the envelope's when there is one.
    fn time_field(&self, graph_field: &'static str) -> &'static str {
        if self.present {
            "time"
        } else {
            graph_field
        }
    }
}

/// Azure Monitor diagnostic categories of the Entra tenant
/// (<https://learn.microsoft.com/entra/identity/monitoring-health/howto-configure-diagnostic-settings>).
fn azure_monitor<'a>(body: Body<'a>, envelope: Envelope<'a>) -> Result<Decoded<'a>, RecordError> {
    let category = envelope.category.as_deref().unwrap_or("").trim();
    let is = |name: &str| category.eq_ignore_ascii_case(name);
    if is("SignInLogs") || is("NonInteractiveUserSignInLogs") {
        return sign_in(body, envelope);
    }
    // Sign-ins of applications and managed identities carry no person: forewarn follows people.
    if is("ServicePrincipalSignInLogs") || is("ManagedIdentitySignInLogs") {
        return Ok(skipped("category", category));
    }
    // Exporters file directory audits under other category names too ("Policy",
    // "ApplicationManagement"); the Graph object inside says what the record is.
    if is("AuditLogs") || body.activity_display_name.is_some() || body.activity_date_time.is_some()
    {
        return audit(body, envelope);
    }
    Ok(skipped("category", category))
}

fn skipped<'a>(what: &str, name: &str) -> Decoded<'a> {
    let name = if name.is_empty() { "(none)" } else { name };
    Decoded::Skipped(Cow::Owned(format!("{what} {}", truncate(name, 80))))
}

// ---------------------------------------------------------------------------------------------
// Sign-ins

/// What a sign-in's AADSTS code says happened, in forewarn's terms. Shared with the Microsoft
/// 365 decoder (`UserLoginFailed` carries the same codes in `ErrorNumber`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SignInResult {
    /// Code 0: the sign-in succeeded and a token was issued.
    Granted,
    /// The primary credential was refused, or the account cannot sign in at all.
    PasswordRefused {
        reason: Option<Reason>,
        account_exists: Option<bool>,
    },
    /// The password was right but the sign-in could not finish (it has expired).
    PasswordAccepted,
    /// A second factor was asked for (strong authentication required, presented MFA expired,
    /// external MFA): in an interactive flow the challenge is shown and a later record with the
    /// same correlation id gives the answer. A client that cannot be challenged (legacy
    /// protocols, password sprays against them) ends there.
    MfaChallenged,
    /// A second factor is required but the user has none registered and must enroll first.
    MfaUnregistered,
    /// The second factor was attempted and failed (500121).
    MfaFailed,
    /// Policy refused the sign-in after the user was identified: Conditional Access, risk,
    /// security defaults, app assignment.
    Blocked,
    /// A step of a flow that continues in another record (KMSI prompt, account picker, device
    /// authentication, token refresh): not an authentication outcome.
    Interrupt,
    /// Any other failure.
    Failed,
}

/// Maps an AADSTS code (<https://learn.microsoft.com/entra/identity-platform/reference-error-codes>)
/// onto what it means for an account-takeover detector. Unlisted codes are plain failures.
pub(super) fn classify_code(code: i64) -> SignInResult {
    use SignInResult::*;
    match code {
        0 => Granted,
        // InvalidUserNameOrPassword, invalid or null password, CredentialAuthenticationError.
        50126 | 50056 | 50064 => PasswordRefused {
            reason: Some(Reason::BadPassword),
            account_exists: None,
        },
        // UserAccountNotFound, UserAccountNotInDirectory, user not in the resource tenant.
        50034 | 51004 | 50020 | 16003 => PasswordRefused {
            reason: Some(Reason::UnknownAccount),
            account_exists: Some(false),
        },
        // IdsLocked: smart lockout, or a sign-in from an IP address with malicious activity
        // (told apart by the failure text in `sign_in_events`).
        50053 => PasswordRefused {
            reason: Some(Reason::Locked),
            account_exists: None,
        },
        // UserDisabled.
        50057 => PasswordRefused {
            reason: None,
            account_exists: Some(true),
        },
        // InvalidPasswordExpiredPassword, InvalidPasswordExpiredOnPremPassword.
        50055 | 50144 => PasswordAccepted,
        // Enrollment required (interactive / not), strong auth required (interrupt / not),
        // presented MFA expired, external security challenge not satisfied.
        50074 | 50076 | 50078 | 50158 => MfaChallenged,
        50072 | 50079 => MfaUnregistered,
        500121 => MfaFailed,
        // Conditional Access and security policy refusals, assignment required, risk.
        50005 | 50105 | 50131 | 50135 | 53000 | 53001 | 53002 | 53003 | 53004 | 53010 | 53011
        | 530032 | 530034 | 530035 => Blocked,
        // Interrupts and token lifecycle: the flow goes on, or the app signs in again.
        16000
        | 16001
        | 50058
        | 50097
        | 50125
        | 50140
        | 50199
        | 50089
        | 50132
        | 50133
        | 50173
        | 65001
        | 70008
        | 70016
        | 70043
        | 70044
        | 90095
        | 500133
        | 700082
        | 81004..=81012
        | 81016 => Interrupt,
        _ => Failed,
    }
}

/// A sign-in's result as the record states it: the code, or only a verdict word when the
/// Azure Monitor envelope is all there is (`"resultType": "Failure"`).
enum Verdict {
    Code(i64),
    Success,
    Failure,
}

/// `None` for an empty code, which says nothing.
fn verdict(code: &Code<'_>) -> Option<Verdict> {
    match code {
        Code::Number(n) => Some(Verdict::Code(*n)),
        Code::Text(text) => {
            let text = text.trim();
            if text.is_empty() {
                None
            } else if let Ok(n) = text.parse() {
                Some(Verdict::Code(n))
            } else if text.eq_ignore_ascii_case("success") {
                Some(Verdict::Success)
            } else {
                Some(Verdict::Failure)
            }
        }
    }
}

fn sign_in<'a>(body: Body<'a>, envelope: Envelope<'a>) -> Result<Decoded<'a>, RecordError> {
    let time = match body
        .created_date_time
        .as_deref()
        .or(envelope.time.as_deref())
    {
        Some(text) if !text.trim().is_empty() => parse_time("createdDateTime", text)?,
        _ => {
            return Err(RecordError::MissingField(
                envelope.time_field("createdDateTime"),
            ))
        }
    };
    let is_workload = body
        .sign_in_event_types
        .is_some_and(|Fold(types)| types.workload);
    let upn = non_empty(body.user_principal_name);
    if is_workload || (upn.is_none() && non_empty(body.service_principal_id).is_some()) {
        return Ok(Decoded::Skipped(Cow::Borrowed("service principal sign-in")));
    }
    let who = upn
        .or_else(|| non_empty(body.user_id))
        .and_then(account)
        .ok_or(RecordError::MissingField("userPrincipalName"))?;

    let code = body
        .status
        .as_ref()
        .and_then(|s| s.error_code.as_ref())
        .and_then(verdict)
        .or_else(|| envelope.result_type.as_ref().and_then(verdict))
        .ok_or(RecordError::MissingField("status.errorCode"))?;
    let (result, code) = match code {
        Verdict::Code(n) => (classify_code(n), n),
        Verdict::Success => (SignInResult::Granted, 0),
        Verdict::Failure => (SignInResult::Failed, 0),
    };

    let mut base = AuthEvent::new(time, Kind::SessionStart, Outcome::Success, who);
    set_source(
        &mut base,
        non_empty(body.ip_address).or(non_empty(envelope.caller_ip_address)),
    );
    base.user_agent = non_empty(body.user_agent);
    base.device_id = body.device_detail.and_then(|d| non_empty(d.device_id));
    base.country = body.location.and_then(|l| l.0);
    base.asn = body
        .autonomous_system_number
        .as_ref()
        .and_then(Code::as_u32);
    base.session = non_empty(body.session_id)
        .or_else(|| non_empty(body.correlation_id))
        .or_else(|| non_empty(envelope.correlation_id));
    base.risk = risk(
        body.risk_level_during_sign_in.as_deref(),
        body.risk_level_aggregated.as_deref(),
        body.risk_state.as_deref(),
    );

    let Fold(steps) = body.authentication_details.unwrap_or_default();
    let password_passed = steps.password_passed;
    let mfa_step = steps.mfa_step.as_ref();
    let mfa_method = mfa_step
        .and_then(|s| s.authentication_method.as_deref())
        .or(body
            .mfa_detail
            .as_ref()
            .and_then(|m| m.auth_method.as_deref()));
    let details = [
        body.status
            .as_ref()
            .and_then(|s| s.additional_details.as_deref()),
        body.status
            .as_ref()
            .and_then(|s| s.failure_reason.as_deref()),
        body.mfa_detail
            .as_ref()
            .and_then(|m| m.auth_detail.as_deref()),
        mfa_step.and_then(|s| s.authentication_step_result_detail.as_deref()),
    ]
    .map(|d| d.unwrap_or(""));
    let interactive = if envelope.category.as_deref().is_some_and(|c| {
        c.trim()
            .eq_ignore_ascii_case("NonInteractiveUserSignInLogs")
    }) {
        Some(false)
    } else {
        match body.is_interactive.0.as_deref().map(str::trim) {
            Some(t) if t.eq_ignore_ascii_case("true") => Some(true),
            Some(t) if t.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    };
    let facts = SignInFacts {
        code,
        password_passed,
        channel: mfa_method.and_then(mfa_channel),
        interactive,
        details: &details,
    };
    Ok(sign_in_events(base, result, &facts))
}

/// What a sign-in record says beyond its code, for [`sign_in_events`].
pub(super) struct SignInFacts<'t> {
    /// The AADSTS code, for naming skipped interrupts.
    pub code: i64,
    /// The record shows the password step succeeded.
    pub password_passed: bool,
    /// The second factor's channel, when the record names the method.
    pub channel: Option<Channel>,
    /// Whether the user was at the keyboard (`isInteractive`, or the Azure Monitor category),
    /// when the record says.
    pub interactive: Option<bool>,
    /// Texts that may say why a second factor failed; empty strings where the record has none.
    pub details: &'t [&'t str],
}

/// Turns a sign-in's result into events, given everything else about it in `base`. Shared with
/// the Microsoft 365 decoder.
pub(super) fn sign_in_events<'a>(
    mut base: AuthEvent<'a>,
    result: SignInResult,
    facts: &SignInFacts<'_>,
) -> Decoded<'a> {
    use SignInResult::*;
    let (kind, outcome, reason, exists) = match result {
        Granted => (Kind::SessionStart, Outcome::Success, None, Some(true)),
        PasswordRefused {
            reason,
            account_exists,
        } => {
            // 50053 is both smart lockout and a source Microsoft holds for malicious: only
            // the failure text tells, and a blocked address says nothing about the account.
            let malicious_source = || {
                facts
                    .details
                    .iter()
                    .any(|d| contains_ci(d, "malicious activity"))
            };
            let reason = match reason {
                Some(Reason::Locked) if malicious_source() => Some(Reason::Blocked),
                reason => reason,
            };
            (Kind::AuthPassword, Outcome::Failure, reason, account_exists)
        }
        PasswordAccepted => (Kind::AuthPassword, Outcome::Success, None, Some(true)),
        MfaChallenged | MfaUnregistered | MfaFailed => {
            let details = || facts.details.iter().copied();
            let denied = details().any(|d| contains_ci(d, "mfa denied"));
            let (outcome, reason) = if result == MfaFailed || denied {
                (Outcome::Failure, mfa_failure_reason(details()))
            } else if result == MfaChallenged && facts.interactive != Some(false) {
                // A challenge put to the user, as a push or code sent is for other formats:
                // the answer, if any, is another record.
                (Outcome::Success, None)
            } else {
                // Asked of a client that cannot answer, or of a user with nothing to answer
                // with: the second factor stopped the sign-in.
                (Outcome::Failure, None)
            };
            base.channel = facts.channel;
            (Kind::AuthMfa, outcome, reason, Some(true))
        }
        Blocked => (
            Kind::SessionStart,
            Outcome::Failure,
            Some(Reason::Blocked),
            Some(true),
        ),
        Failed => (Kind::SessionStart, Outcome::Failure, None, None),
        Interrupt => return Decoded::Skipped(Cow::Owned(format!("sign-in status {}", facts.code))),
    };
    base.account_exists = exists;
    // Past the password, a refusal still tells that the attacker holds the password: say so
    // as its own step when the record shows the password step passed.
    let past_password = matches!(
        result,
        MfaChallenged | MfaUnregistered | MfaFailed | Blocked
    ) && facts.password_passed;
    let password = past_password.then(|| {
        let mut event = base.clone();
        event.kind = Kind::AuthPassword;
        event.channel = None;
        event
    });
    base.kind = kind;
    base.outcome = outcome;
    base.reason = reason;
    match password {
        Some(password) => Decoded::Many(vec![password, base]),
        None => Decoded::One(base),
    }
}

/// Why a second factor failed, from the "MFA denied; …" texts Entra writes in
/// `status.additionalDetails` and `authenticationDetails[].authenticationStepResultDetail`
/// (<https://learn.microsoft.com/entra/identity/monitoring-health/concept-sign-in-log-activity-details>).
/// `None` when the failure was the service's, not the person's.
pub(super) fn mfa_failure_reason<'t>(texts: impl Iterator<Item = &'t str>) -> Option<Reason> {
    for text in texts {
        let lower = text.to_ascii_lowercase();
        let has = |needle: &str| lower.contains(needle);
        if has("did not respond")
            || has("never entered")
            || has("timed out")
            || has("timeout")
            || has("voicemail")
        {
            return Some(Reason::MfaTimeout);
        }
        if has("incorrect code")
            || has("incorrect pin")
            || has("verification code")
            || has("already used")
            || has("wrong code")
        {
            return Some(Reason::BadCode);
        }
        if has("declined") || has("fraud") || has("hung up") || has("did not select the correct") {
            return Some(Reason::MfaDenied);
        }
        if has("user is blocked") {
            return Some(Reason::Blocked);
        }
        if has("service error")
            || has("misconfiguration")
            || has("unable to")
            || has("invalid format")
            || has("does not have any verification methods")
        {
            return None;
        }
    }
    Some(Reason::MfaDenied)
}

/// The channel of a second factor as Entra names its methods ("Text message", "Mobile app
/// notification", "Phone call", "OATH verification code", "Email").
pub(super) fn mfa_channel(method: &str) -> Option<Channel> {
    let mut buffer = [0u8; 64];
    let lower = ascii_lowercase(method, &mut buffer);
    let has = |needle: &str| contains_short(lower.as_bytes(), needle.as_bytes());
    if has("email") {
        Some(Channel::Email)
    } else if has("text") || has("sms") {
        Some(Channel::Sms)
    } else if has("fido") || has("passkey") || has("hello") || has("certificate") {
        None
    } else if has("app") || has("phone") || has("call") || has("oath") || has("authenticator") {
        Some(Channel::App)
    } else {
        None
    }
}

/// Whether `needle` occurs in `haystack`: `str::contains` for the short texts of method names,
/// without the set-up of the general substring searcher, which costs more than the search.
fn contains_short(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    memchr::memchr_iter(first, haystack)
        .any(|at| haystack.get(at + 1..at + needle.len()) == Some(rest))
}

/// `text` with its ASCII letters lower-cased, in `buffer` when it fits: this runs on every
/// sign-in with a second factor, and should not allocate.
fn ascii_lowercase<'b>(text: &str, buffer: &'b mut [u8; 64]) -> Cow<'b, str> {
    let Some(slot) = buffer.get_mut(..text.len()) else {
        return Cow::Owned(text.to_ascii_lowercase());
    };
    slot.copy_from_slice(text.as_bytes());
    match std::str::from_utf8_mut(slot) {
        Ok(lower) => {
            lower.make_ascii_lowercase();
            Cow::Borrowed(lower)
        }
        // Not reached: `text` is a `str`, and copying it keeps it UTF-8.
        Err(_) => Cow::Owned(text.to_ascii_lowercase()),
    }
}

/// The sign-in's risk: the higher of the real-time and aggregated levels, unless an admin or
/// Identity Protection has since said the sign-in was safe (`riskState`).
fn risk(during: Option<&str>, aggregated: Option<&str>, state: Option<&str>) -> Option<Risk> {
    let state = state.unwrap_or("");
    if state.eq_ignore_ascii_case("dismissed") || state.eq_ignore_ascii_case("confirmedSafe") {
        return None;
    }
    if state.eq_ignore_ascii_case("confirmedCompromised") {
        return Some(Risk::High);
    }
    let level = |text: Option<&str>| match text.map(str::trim) {
        Some(t) if t.eq_ignore_ascii_case("low") => Some(Risk::Low),
        Some(t) if t.eq_ignore_ascii_case("medium") => Some(Risk::Medium),
        Some(t) if t.eq_ignore_ascii_case("high") => Some(Risk::High),
        _ => None,
    };
    level(during).max(level(aggregated))
}

/// The request's source: an address when it parses as one, else the text as a host name.
/// Azure Monitor writes `<null>` where it has no address.
pub(super) fn set_source<'a>(event: &mut AuthEvent<'a>, source: Option<Cow<'a, str>>) {
    let source = source.filter(|t| {
        let t = t.trim();
        !t.is_empty() && !t.eq_ignore_ascii_case("<null>") && !t.eq_ignore_ascii_case("null")
    });
    if let Some(text) = source {
        match parse_ip(&text) {
            Some(ip) => event.ip = Some(ip),
            None => event.source_host = Some(text),
        }
    }
}

pub(super) fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Audits

/// Whose account an audit activity is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subject {
    /// The target user (a reset, a security-info change): an admin acting is the actor.
    Target,
    /// The user who acted (consenting to an application whose target is the application).
    Initiator,
}

/// What an audit activity becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AuditClass {
    pub steps: Vec<(Kind, Option<Channel>)>,
    pub subject: Subject,
    /// Set when the activity fixes the outcome whatever its `result` says.
    pub outcome: Option<Outcome>,
    pub reason: Option<Reason>,
}

impl AuditClass {
    fn one(kind: Kind, channel: Option<Channel>) -> Self {
        AuditClass {
            steps: vec![(kind, channel)],
            subject: Subject::Target,
            outcome: None,
            reason: None,
        }
    }
}

/// Maps an Entra audit activity onto forewarn's kinds, or `None` for activities forewarn does
/// not use. `activity` is `activityDisplayName` (a trailing "." as Microsoft 365 writes it is
/// ignored), `detail` the `resultReason`, `properties` the names of the modified properties.
/// Shared with the Microsoft 365 decoder.
pub(super) fn classify_activity<'p>(
    activity: &str,
    detail: &str,
    succeeded: bool,
    properties: impl Iterator<Item = &'p str>,
) -> Option<AuditClass> {
    let activity = activity.trim().trim_end_matches('.');
    let is = |name: &str| activity.eq_ignore_ascii_case(name);
    if is("Reset password (self-service)")
        || is("Reset password (by admin)")
        || is("Reset user password")
        // Unlocking without a reset ends a recovery flow with the account usable again.
        || is("Unlock user account (self-service)")
    {
        return Some(AuditClass::one(Kind::RecoveryReset, None));
    }
    if is("Change password (self-service)") || is("Change user password") {
        return Some(AuditClass::one(Kind::AccountPasswordChange, None));
    }
    if is("Blocked from self-service password reset") {
        return Some(AuditClass {
            outcome: Some(Outcome::Failure),
            reason: Some(Reason::Blocked),
            ..AuditClass::one(Kind::RecoveryStart, None)
        });
    }
    if is("Self-service password reset flow activity progress")
        || is("Self-serve password reset flow activity progress")
    {
        return sspr_progress(detail, succeeded);
    }
    if is("Consent to application") || is("Add app role assignment to service principal") {
        return Some(AuditClass {
            subject: Subject::Initiator,
            ..AuditClass::one(Kind::AppConsent, None)
        });
    }
    if is("Disable Strong Authentication") || is("User changed default security info") {
        return Some(AuditClass::one(Kind::AccountMfaChange, None));
    }
    if is("Update user") {
        return update_user(properties);
    }
    let lower = activity.to_ascii_lowercase();
    let by_person = lower.starts_with("user ") || lower.starts_with("admin ");
    let changed = ["registered", "deleted", "updated", "changed"]
        .iter()
        .any(|verb| lower.contains(verb));
    // "User registered security info", "Admin deleted security info", and the per-method
    // "Admin registered phone method for user". The summaries ("User registered all required
    // security info") repeat what the per-method records already said.
    let security_info = lower.ends_with(" security info") || lower.ends_with(" method for user");
    if by_person && changed && security_info && !lower.contains(" all required ") {
        let method = if detail.trim().is_empty() {
            activity
        } else {
            detail
        };
        let (kind, channel) = security_info_kind(method);
        return Some(AuditClass::one(kind, channel));
    }
    None
}

/// A security-info method, from "User registered Mobile Phone SMS" or "Admin registered phone
/// method for user". Methods a reset code can be sent to (email, phone) or that answer a reset
/// (security questions) are recovery info; the rest are second factors.
fn security_info_kind(method: &str) -> (Kind, Option<Channel>) {
    let lower = method.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    if has("email") {
        (Kind::AccountRecoveryInfoChange, Some(Channel::Email))
    } else if has("security question") {
        (Kind::AccountRecoveryInfoChange, None)
    } else if has("sms") || has("text message") {
        (Kind::AccountRecoveryInfoChange, Some(Channel::Sms))
    } else if has("authenticator")
        || has("app ")
        || has("oath")
        || has("notification")
        || has("passwordless")
    {
        (Kind::AccountMfaChange, Some(Channel::App))
    } else if has("office phone") || has("alternate") || has("voice") || has("call") {
        (Kind::AccountRecoveryInfoChange, Some(Channel::App))
    } else if has("phone") {
        (Kind::AccountRecoveryInfoChange, Some(Channel::Sms))
    } else {
        (Kind::AccountMfaChange, None)
    }
}

/// "Update user" is logged for every attribute change; only the authentication attributes
/// matter here.
fn update_user<'p>(properties: impl Iterator<Item = &'p str>) -> Option<AuditClass> {
    let mut mfa: Option<Option<Channel>> = None;
    let mut recovery: Option<Option<Channel>> = None;
    for name in properties {
        let name = name.trim();
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("StrongAuthenticationMethod") || is("StrongAuthenticationRequirement") {
            mfa.get_or_insert(None);
        } else if is("StrongAuthenticationPhoneAppDetail") {
            mfa = Some(Some(Channel::App));
        } else if is("StrongAuthenticationUserDetails") {
            recovery.get_or_insert(None);
        } else if is("OtherMails") {
            recovery = Some(Some(Channel::Email));
        } else if is("Mobile") {
            recovery.get_or_insert(Some(Channel::Sms));
        }
    }
    let steps: Vec<_> = [
        mfa.map(|c| (Kind::AccountMfaChange, c)),
        recovery.map(|c| (Kind::AccountRecoveryInfoChange, c)),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!steps.is_empty()).then_some(AuditClass {
        steps,
        subject: Subject::Target,
        outcome: None,
        reason: None,
    })
}

/// The steps of a self-service password reset, named by `resultReason`
/// ("User submitted their user ID", "User started the mobile SMS verification option", …).
fn sspr_progress(detail: &str, succeeded: bool) -> Option<AuditClass> {
    let lower = detail.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    let channel = sspr_channel(&lower);
    if has("submitted their user id") {
        return Some(AuditClass::one(Kind::AccountLookup, None));
    }
    if has("presented with verification options") {
        return Some(AuditClass::one(Kind::RecoveryStart, None));
    }
    if has("verification option") && has("started the") {
        // Security questions send nothing.
        return (!has("security question"))
            .then(|| AuditClass::one(Kind::RecoveryCodeSent, channel));
    }
    if has("verification option") && has("completed the") {
        return Some(AuditClass::one(Kind::RecoveryCodeVerify, channel));
    }
    if succeeded {
        // "User completed all verification steps required", "User submitted a new password",
        // "User successfully reset password" (the reset itself is its own activity,
        // "Reset password (self-service)"), "User cancelled …".
        return None;
    }
    if has("verif") || has("code") || has("security question") || has("answer") {
        return Some(AuditClass {
            reason: Some(Reason::BadCode),
            ..AuditClass::one(Kind::RecoveryCodeVerify, channel)
        });
    }
    // "User's account has insufficient authentication methods defined", "Password reset is not
    // enabled for this user": the flow could not start.
    Some(AuditClass::one(Kind::RecoveryStart, None))
}

fn sspr_channel(lower: &str) -> Option<Channel> {
    if lower.contains("email") {
        Some(Channel::Email)
    } else if lower.contains("sms") {
        Some(Channel::Sms)
    } else if lower.contains("mobile app") || lower.contains("voice") || lower.contains("phone") {
        Some(Channel::App)
    } else {
        None
    }
}

fn audit<'a>(body: Body<'a>, envelope: Envelope<'a>) -> Result<Decoded<'a>, RecordError> {
    let time = match body
        .activity_date_time
        .as_deref()
        .or(envelope.time.as_deref())
    {
        Some(text) if !text.trim().is_empty() => parse_time("activityDateTime", text)?,
        _ => {
            return Err(RecordError::MissingField(
                envelope.time_field("activityDateTime"),
            ))
        }
    };
    let activity = non_empty(body.activity_display_name)
        .or_else(|| non_empty(envelope.operation_name))
        .or_else(|| non_empty(body.operation_name))
        .ok_or(RecordError::MissingField("activityDisplayName"))?;
    let result = body.result.as_deref().or(envelope.result.as_deref());
    // Audit records state completed directory changes; one without a result is taken as done.
    let succeeded = result.is_none_or(|r| r.trim().eq_ignore_ascii_case("success"));
    let detail = body.result_reason.as_deref().unwrap_or("");
    let targets = body.target_resources.as_deref().unwrap_or(&[]);
    let names = targets
        .iter()
        .flat_map(|t| t.modified_properties.iter().flatten())
        .filter_map(|p| p.display_name.as_deref());
    let Some(class) = classify_activity(&activity, detail, succeeded, names) else {
        return Ok(skipped("activity", &activity));
    };

    let (initiator, initiator_ip) = match body.initiated_by.and_then(|i| i.user) {
        Some(user) => (
            non_empty(user.user_principal_name).and_then(account),
            non_empty(user.ip_address),
        ),
        None => (None, None),
    };
    let target_user = targets
        .iter()
        .filter(|t| {
            t.kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("user"))
        })
        .chain(targets.iter())
        .find_map(|t| non_empty(t.user_principal_name.clone()))
        .and_then(account);
    let (who, actor) = match class.subject {
        Subject::Target => match target_user {
            Some(target) => {
                let actor = initiator.filter(|i| *i != target);
                (Some(target), actor)
            }
            None => (initiator, None),
        },
        Subject::Initiator => (initiator.or(target_user), None),
    };
    let who = who.ok_or(RecordError::MissingField(match class.subject {
        Subject::Target => "targetResources.userPrincipalName",
        Subject::Initiator => "initiatedBy.user.userPrincipalName",
    }))?;

    let details = body.additional_details.unwrap_or_default();
    let detail_value = |key: &str| {
        details
            .iter()
            .find(|kv| {
                kv.key
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case(key))
            })
            .and_then(|kv| non_empty(kv.value.0.clone()))
    };
    let outcome = class.outcome.unwrap_or(if succeeded {
        Outcome::Success
    } else {
        Outcome::Failure
    });
    let mut base = AuthEvent::new(time, Kind::AccountLookup, outcome, who);
    base.actor = actor;
    base.reason = class.reason;
    let source = initiator_ip
        .or_else(|| detail_value("ipaddr"))
        .or_else(|| non_empty(envelope.caller_ip_address));
    set_source(&mut base, source);
    base.user_agent = non_empty(body.user_agent).or_else(|| detail_value("User-Agent"));
    // The steps of one reset flow share a correlation id: it is the flow's session.
    base.session = non_empty(body.correlation_id).or_else(|| non_empty(envelope.correlation_id));

    Ok(Decoded::steps(base, &class.steps))
}

/// The fast path: a [`Body`] read with the [`json`] cursor, field by field as its serde
/// `Deserialize` reads it, for Graph sign-ins and Azure Monitor envelopes (of sign-ins or
/// audits). It gives up on a value of a type serde would refuse, on numbers it would spell
/// differently, and on the audit fields that hold lists of objects (`targetResources`,
/// `additionalDetails`, `initiatedBy`), which the serde path reads.
mod fast {
    use std::borrow::Cow;

    use forewarn_model::Country;

    use super::{AuthStep, Body, DeviceDetail, Fold, Location, MfaDetail, Status};
    use crate::decoders::json::{read_fields, Bail, Cursor, Fast};
    use crate::decoders::lenient::{AnyText, Code, Collect};

    pub(super) fn read(record: &[u8]) -> Fast<Body<'_>> {
        let mut cursor = Cursor::new(record)?;
        let body = body(&mut cursor, true);
        cursor.finish().map(|()| body)
    }

    fn body<'a>(c: &mut Cursor<'a>, outer: bool) -> Body<'a> {
        let mut body = Body::default();
        read_fields!(c, {
            0: b"time" => body.time = c.str(),
            1: b"category" => body.category = c.str(),
            2: b"operationName" | b"operationname" => body.operation_name = c.str(),
            3: b"resultType" | b"resulttype" => body.result_type = code(c),
            4: b"callerIpAddress" | b"calleripaddress" => body.caller_ip_address = c.str(),
            5: b"properties" => {
                // One envelope deep, as Azure Monitor writes it.
                body.properties = if c.null() {
                    None
                } else if outer && c.peek_value() == b'{' {
                    Some(Box::new(self::body(c, false)))
                } else {
                    c.give_up(Bail::Unsupported);
                    None
                }
            },
            6: b"createdDateTime" => body.created_date_time = c.str(),
            7: b"userPrincipalName" => body.user_principal_name = c.str(),
            8: b"userId" => body.user_id = c.str(),
            9: b"ipAddress" => body.ip_address = c.str(),
            10: b"userAgent" => body.user_agent = c.str(),
            11: b"deviceDetail" => {
                body.device_detail = optional_object(c, |c| {
                    let mut detail = DeviceDetail { device_id: None };
                    read_fields!(c, {
                        0: b"deviceId" => detail.device_id = c.str(),
                    });
                    detail
                })
            },
            12: b"location" => body.location = location(c),
            13: b"status" => {
                body.status = optional_object(c, |c| {
                    let mut status = Status {
                        error_code: None,
                        failure_reason: None,
                        additional_details: None,
                    };
                    read_fields!(c, {
                        0: b"errorCode" => status.error_code = code(c),
                        1: b"failureReason" => status.failure_reason = c.str(),
                        2: b"additionalDetails" => status.additional_details = c.str(),
                    });
                    status
                })
            },
            14: b"mfaDetail" => {
                body.mfa_detail = optional_object(c, |c| {
                    let mut detail = MfaDetail {
                        auth_method: None,
                        auth_detail: None,
                    };
                    read_fields!(c, {
                        0: b"authMethod" => detail.auth_method = c.str(),
                        1: b"authDetail" => detail.auth_detail = c.str(),
                    });
                    detail
                })
            },
            15: b"authenticationDetails" => {
                body.authentication_details = optional_fold(c, |c| {
                    if c.peek_value() != b'{' {
                        c.give_up(Bail::Unsupported);
                    }
                    let mut step = AuthStep {
                        authentication_method: None,
                        succeeded: None,
                        authentication_step_result_detail: None,
                    };
                    read_fields!(c, {
                        0: b"authenticationMethod" => step.authentication_method = c.str(),
                        1: b"succeeded" => {
                            step.succeeded = if c.null() { None } else { Some(c.bool()) }
                        },
                        2: b"authenticationStepResultDetail" => {
                            step.authentication_step_result_detail = c.str()
                        },
                    });
                    step
                })
            },
            16: b"riskLevelDuringSignIn" => body.risk_level_during_sign_in = c.str(),
            17: b"riskLevelAggregated" => body.risk_level_aggregated = c.str(),
            18: b"riskState" => body.risk_state = c.str(),
            19: b"autonomousSystemNumber" => body.autonomous_system_number = code(c),
            20: b"sessionId" => body.session_id = c.str(),
            21: b"correlationId" => body.correlation_id = c.str(),
            22: b"signInEventTypes" => body.sign_in_event_types = optional_fold(c, any_text),
            23: b"servicePrincipalId" => body.service_principal_id = c.str(),
            24: b"isInteractive" => body.is_interactive = any_text(c),
            25: b"activityDateTime" => body.activity_date_time = c.str(),
            26: b"activityDisplayName" => body.activity_display_name = c.str(),
            27: b"result" => body.result = c.str(),
            28: b"resultReason" => body.result_reason = c.str(),
            29: b"initiatedBy" | b"targetResources" | b"additionalDetails" => {
                if !c.null() {
                    c.give_up(Bail::Unsupported);
                }
            },
        });
        body
    }

    /// `Option<T>` of a struct: `null`, or an object read by `read`; anything else makes it
    /// give up.
    #[inline(always)]
    fn optional_object<'a, T>(
        c: &mut Cursor<'a>,
        read: impl FnOnce(&mut Cursor<'a>) -> T,
    ) -> Option<T> {
        if c.null() {
            return None;
        }
        if c.peek_value() != b'{' {
            c.give_up(Bail::Unsupported);
            return None;
        }
        Some(read(c))
    }

    /// `Option<Fold<C>>`: `null`, or an array of elements read by `read` and folded into
    /// `C`; anything else makes it give up.
    fn optional_fold<'a, C: Collect<'a>>(
        c: &mut Cursor<'a>,
        mut read: impl FnMut(&mut Cursor<'a>) -> C::Item,
    ) -> Option<Fold<C>> {
        if c.null() {
            return None;
        }
        let mut fold = C::default();
        let mut elements = c.array();
        while elements.next(c) {
            fold.push(read(c));
        }
        Some(Fold(fold))
    }

    /// `Option<Code>`: a number, a string or `null`. Numbers other than small non-negative
    /// integers (which serde would spell or range-check its own way) make it give up.
    fn code<'a>(c: &mut Cursor<'a>) -> Option<Code<'a>> {
        match c.peek_value() {
            b'"' => Some(Code::Text(c.required_str())),
            b'0'..=b'9' => i64::try_from(c.small_uint()).ok().map(Code::Number),
            b'n' => {
                c.null();
                None
            }
            _ => {
                c.give_up(Bail::Unsupported);
                None
            }
        }
    }

    /// [`AnyText`]: a string or a boolean as text, nothing for `null`, arrays and objects.
    /// Numbers (which serde would spell out) make it give up.
    fn any_text<'a>(c: &mut Cursor<'a>) -> AnyText<'a> {
        match c.peek_value() {
            b'"' => AnyText(Some(c.required_str())),
            b't' | b'f' => AnyText(Some(Cow::Borrowed(if c.bool() { "true" } else { "false" }))),
            b'n' | b'[' | b'{' => {
                c.skip();
                AnyText(None)
            }
            _ => {
                c.give_up(Bail::Unsupported);
                AnyText(None)
            }
        }
    }

    /// [`Location`]: the two-letter `countryOrRegion` of an object (its key matched without
    /// regard to case, the last one winning); any other value is a location without a country.
    fn location(c: &mut Cursor<'_>) -> Option<Location> {
        if c.null() {
            return None;
        }
        if c.peek_value() != b'{' {
            c.skip();
            return Some(Location(None));
        }
        let mut country = None;
        let mut members = c.object();
        while let Some(key) = members.next_key(c) {
            if key.eq_ignore_ascii_case(b"countryOrRegion") {
                country = if c.peek_value() == b'"' {
                    Country::new(c.required_str().trim()).ok()
                } else {
                    c.skip();
                    None
                };
            } else {
                c.skip();
            }
        }
        Some(Location(country))
    }
}

/// A sign-in's `location`: the Graph object (`countryOrRegion`, two letters) or, in the Azure
/// Monitor envelope, a bare region string. Only a valid two-letter country is kept.
struct Location(Option<Country>);

impl Fallback for Location {
    fn none() -> Self {
        Location(None)
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LocationVisitor;
        impl<'de> Visitor<'de> for LocationVisitor {
            type Value = Location;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a location object or string")
            }
            // A string is the envelope's `location`: the data region, not the user's country.
            ignore_other_types!('de: str, unit, bool, i64, u64, f64, seq);
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut country = None;
                while let Some(key) = map.next_key::<Key>()? {
                    if key.is("countryOrRegion") {
                        let value: AnyText<'de> = map.next_value()?;
                        country = value.0.and_then(|c| Country::new(c.trim()).ok());
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Location(country))
            }
        }
        deserializer.deserialize_any(LocationVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<Decoded<'_>, RecordError> {
        Entra.decode(text.as_bytes(), &DecodeContext::default())
    }

    fn events(text: &str) -> Vec<AuthEvent<'_>> {
        match decode(text).unwrap() {
            Decoded::One(e) => vec![e],
            Decoded::Many(es) => es,
            Decoded::Skipped(why) => panic!("skipped: {why}"),
        }
    }

    #[test]
    fn the_fast_path_decodes_as_serde_does() {
        let corpus = json::differential::corpus("entra", "Azure.Audit");
        let decoded = json::differential::check(
            &corpus,
            300,
            |record| fast::read(record).map(|body| format!("{:?}", decode_body(body))),
            |record| format!("{:?}", read_slow(record).and_then(decode_body)),
        );
        assert!(
            decoded > corpus.len() * 50,
            "the fast path decoded only {decoded}"
        );
        let typical = crate::examples::TYPICAL[2].1.trim_ascii();
        assert!(
            fast::read(typical).is_ok(),
            "the typical record takes the fast path"
        );
    }

    #[test]
    fn codes_map_onto_steps() {
        assert_eq!(classify_code(0), SignInResult::Granted);
        assert!(matches!(
            classify_code(50034),
            SignInResult::PasswordRefused {
                reason: Some(Reason::UnknownAccount),
                account_exists: Some(false)
            }
        ));
        assert_eq!(classify_code(50074), SignInResult::MfaChallenged);
        assert_eq!(classify_code(50079), SignInResult::MfaUnregistered);
        assert_eq!(classify_code(500121), SignInResult::MfaFailed);
        assert_eq!(classify_code(53003), SignInResult::Blocked);
        assert_eq!(classify_code(50140), SignInResult::Interrupt);
        assert_eq!(classify_code(81010), SignInResult::Interrupt);
        assert_eq!(classify_code(9_999_999), SignInResult::Failed);
    }

    #[test]
    fn mfa_texts_give_reasons() {
        let reason = |t: &str| mfa_failure_reason([t].into_iter());
        assert_eq!(
            reason("MFA denied; user declined the authentication"),
            Some(Reason::MfaDenied)
        );
        assert_eq!(
            reason("MFA denied; user did not respond to mobile app notification"),
            Some(Reason::MfaTimeout)
        );
        assert_eq!(
            reason("MFA denied; user entered incorrect code"),
            Some(Reason::BadCode)
        );
        assert_eq!(reason("MFA denied; service error"), None);
        assert_eq!(reason("something else"), Some(Reason::MfaDenied));
    }

    #[test]
    fn channels_of_methods() {
        assert_eq!(mfa_channel("Text message"), Some(Channel::Sms));
        assert_eq!(mfa_channel("Mobile app notification"), Some(Channel::App));
        assert_eq!(mfa_channel("Phone call"), Some(Channel::App));
        assert_eq!(mfa_channel("FIDO2 security key"), None);
        let long = format!("{} Text Message", "x".repeat(100));
        assert_eq!(
            mfa_channel(&long),
            Some(Channel::Sms),
            "longer than the stack buffer"
        );
        assert_eq!(ascii_lowercase("Ünïcode ÀPP", &mut [0; 64]), "Ünïcode Àpp");
        for (haystack, needle) in [
            ("mobile app notification", "app"),
            ("text message", "sms"),
            ("aaapp", "app"),
            ("ap", "app"),
            ("", "x"),
            ("x", ""),
            ("phone call", "call"),
            ("call", "call"),
        ] {
            assert_eq!(
                contains_short(haystack.as_bytes(), needle.as_bytes()),
                haystack.contains(needle),
                "{haystack} / {needle}"
            );
        }
        assert_eq!(
            security_info_kind("User registered Mobile Phone SMS"),
            (Kind::AccountRecoveryInfoChange, Some(Channel::Sms))
        );
        assert_eq!(
            security_info_kind("User registered Authenticator App with Notification and Code"),
            (Kind::AccountMfaChange, Some(Channel::App))
        );
        assert_eq!(
            security_info_kind("User registered Email"),
            (Kind::AccountRecoveryInfoChange, Some(Channel::Email))
        );
        assert_eq!(
            security_info_kind("User registered Fido2 Security Key"),
            (Kind::AccountMfaChange, None)
        );
        assert_eq!(
            security_info_kind("User registered Passwordless phone sign-in"),
            (Kind::AccountMfaChange, Some(Channel::App))
        );
        assert_eq!(
            security_info_kind("Admin registered phone method for user"),
            (Kind::AccountRecoveryInfoChange, Some(Channel::Sms))
        );
    }

    #[test]
    fn risk_takes_the_higher_level_unless_dismissed() {
        assert_eq!(risk(Some("low"), Some("high"), None), Some(Risk::High));
        assert_eq!(risk(Some("none"), Some("hidden"), Some("none")), None);
        assert_eq!(risk(Some("high"), None, Some("dismissed")), None);
        assert_eq!(
            risk(None, None, Some("confirmedCompromised")),
            Some(Risk::High)
        );
    }

    #[test]
    fn a_bad_password_on_graph_shape() {
        let e = events(
            r#"{"createdDateTime":"2025-01-15T08:15:23Z","userPrincipalName":"Alex@Example.com","ipAddress":"203.0.113.9","status":{"errorCode":50126},"location":{"countryOrRegion":"nl"},"autonomousSystemNumber":"64500"}"#,
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].kind, Kind::AuthPassword);
        assert_eq!(e[0].outcome, Outcome::Failure);
        assert_eq!(e[0].reason, Some(Reason::BadPassword));
        assert_eq!(e[0].account, "alex@example.com");
        assert_eq!(e[0].country.map(|c| c.to_string()).as_deref(), Some("NL"));
        assert_eq!(e[0].asn, Some(64500));
    }

    #[test]
    fn code_50053_is_a_lockout_unless_the_text_blames_the_address() {
        let record = |reason: &str| {
            format!(
                r#"{{"createdDateTime":"2025-01-15T08:15:23Z","userPrincipalName":"a@example.com","ipAddress":"203.0.113.9","status":{{"errorCode":50053,"failureReason":"{reason}"}}}}"#
            )
        };
        let locked = record(
            "The account is locked, you've tried to sign in too many times with an incorrect user ID or password.",
        );
        assert_eq!(events(&locked)[0].reason, Some(Reason::Locked));
        let blocked = record(
            "Sign-in was blocked because it came from an IP address with malicious activity",
        );
        let blocked = events(&blocked);
        assert_eq!(blocked[0].reason, Some(Reason::Blocked));
        assert_eq!(
            (blocked[0].kind, blocked[0].outcome),
            (Kind::AuthPassword, Outcome::Failure)
        );
        let silent = record("");
        assert_eq!(events(&silent)[0].reason, Some(Reason::Locked));
    }

    #[test]
    fn an_mfa_denial_after_a_correct_password_is_two_steps() {
        let e = events(
            r#"{"createdDateTime":"2025-01-15T08:15:23Z","userPrincipalName":"a@example.com","status":{"errorCode":500121,"additionalDetails":"MFA denied; user declined the authentication"},"authenticationDetails":[{"authenticationMethod":"Password","succeeded":true},{"authenticationMethod":"Mobile app notification","succeeded":false}]}"#,
        );
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].kind, e[0].outcome),
            (Kind::AuthPassword, Outcome::Success)
        );
        assert_eq!((e[1].kind, e[1].outcome), (Kind::AuthMfa, Outcome::Failure));
        assert_eq!(e[1].reason, Some(Reason::MfaDenied));
        assert_eq!(e[1].channel, Some(Channel::App));
    }

    #[test]
    fn an_mfa_challenge_is_a_success_unless_the_client_cannot_answer() {
        let e = events(
            r#"{"createdDateTime":"2025-01-15T08:15:23Z","userPrincipalName":"a@example.com","isInteractive":true,"status":{"errorCode":50074}}"#,
        );
        assert_eq!(
            (e[0].kind, e[0].outcome, e[0].reason),
            (Kind::AuthMfa, Outcome::Success, None)
        );
        let e = events(
            r#"{"createdDateTime":"2025-01-15T08:15:23Z","userPrincipalName":"a@example.com","isInteractive":false,"clientAppUsed":"IMAP4","status":{"errorCode":50076}}"#,
        );
        assert_eq!(
            (e[0].kind, e[0].outcome, e[0].reason),
            (Kind::AuthMfa, Outcome::Failure, None)
        );
        let e = events(
            r#"{"time":"2025-01-15 08:15:23","category":"NonInteractiveUserSignInLogs","operationName":"Sign-in activity","properties":{"userPrincipalName":"a@example.com","status":{"errorCode":50076}}}"#,
        );
        assert_eq!(e[0].outcome, Outcome::Failure);
        let e = events(
            r#"{"createdDateTime":"2025-01-15T08:15:23Z","userPrincipalName":"a@example.com","isInteractive":true,"status":{"errorCode":50079}}"#,
        );
        assert_eq!((e[0].kind, e[0].outcome), (Kind::AuthMfa, Outcome::Failure));
    }

    #[test]
    fn interrupts_and_workloads_are_skipped() {
        assert!(matches!(
            decode(r#"{"createdDateTime":"2025-01-15T08:15:23Z","userPrincipalName":"a@example.com","status":{"errorCode":50140}}"#),
            Ok(Decoded::Skipped(why)) if why == "sign-in status 50140"
        ));
        assert!(matches!(
            decode(r#"{"time":"2025-01-15 08:15:23","category":"ServicePrincipalSignInLogs","operationName":"Sign-in activity","properties":{"servicePrincipalId":"x"}}"#),
            Ok(Decoded::Skipped(why)) if why == "category ServicePrincipalSignInLogs"
        ));
    }

    #[test]
    fn missing_time_names_the_field() {
        assert_eq!(
            decode(r#"{"userPrincipalName":"a@example.com","status":{"errorCode":0}}"#)
                .unwrap_err(),
            RecordError::MissingField("createdDateTime")
        );
        assert_eq!(
            decode(r#"{"category":"SignInLogs","operationName":"Sign-in activity","properties":{"userPrincipalName":"a@example.com"}}"#)
                .unwrap_err(),
            RecordError::MissingField("time")
        );
        assert_eq!(
            decode(r#"{"activityDisplayName":"Reset user password","result":"success"}"#)
                .unwrap_err(),
            RecordError::MissingField("activityDateTime")
        );
    }

    #[test]
    fn an_admin_reset_is_about_the_target() {
        let e = events(
            r#"{"activityDateTime":"2025-01-15T08:15:23Z","activityDisplayName":"Reset password (by admin)","result":"success","initiatedBy":{"user":{"userPrincipalName":"Helpdesk@example.com","ipAddress":"198.51.100.4"}},"targetResources":[{"type":"User","userPrincipalName":"victim@example.com"}]}"#,
        );
        assert_eq!(e[0].kind, Kind::RecoveryReset);
        assert_eq!(e[0].account, "victim@example.com");
        assert_eq!(e[0].actor.as_deref(), Some("helpdesk@example.com"));
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        for text in [
            r#"{"createdDateTime":5,"userPrincipalName":"a@example.com"}"#,
            r#"{"createdDateTime":"2025-01-15T08:15:23Z","userPrincipalName":["a"]}"#,
            r#"{"createdDateTime":"2025-01-15T08:15:23Z","userPrincipalName":"a","status":{"errorCode":{}}}"#,
            r#"{"createdDateTime":"yesterday","userPrincipalName":"a","status":{"errorCode":0}}"#,
            r#"[1,2]"#,
            r#"{"category":"SignInLogs","operationName":"x","properties":"{}"}"#,
        ] {
            assert!(decode(text).is_err(), "{text}");
        }
    }
}
