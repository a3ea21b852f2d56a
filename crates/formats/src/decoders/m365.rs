//! Microsoft 365 unified audit log records, as the Office 365 Management Activity API
//! (`/activity/feed/audit`), `Search-UnifiedAuditLog` (its `AuditData` column) and SIEM exports
//! deliver them: one JSON object per record, `CreationTime` in UTC without a zone.
//!
//! Read: Microsoft Entra sign-ins (`UserLoggedIn`, `UserLoginFailed`, whose `ErrorNumber` is the
//! AADSTS code the Entra decoder maps), Microsoft Entra directory changes (`Update user.`,
//! `Reset user password.`, `Consent to application.`, …: the Entra audit activities with a
//! trailing period), and Exchange mail-flow changes an intruder makes to keep reading mail
//! (`New-InboxRule`, `Set-InboxRule`, `Set-Mailbox` with forwarding, `UpdateInboxRules`).
//! Everything else (`MailItemsAccessed`, SharePoint, Teams, …) is skipped by operation name.
//!
//! Some exporters (Panther, for one) lower-case every key; both spellings are read. The mapping
//! and its sources are in `docs/formats.md (m365)`:
//! - <https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema>
//! - <https://learn.microsoft.com/purview/audit-log-activities>
//! - <https://learn.microsoft.com/entra/identity-platform/reference-error-codes>

use std::borrow::Cow;
use std::fmt;

use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Timestamp};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::common::{account, contains, non_empty, parse_time, truncate};
use super::entra::{
    classify_activity, classify_code, contains_ci, set_source, sign_in_events, SignInFacts,
    SignInResult, Subject,
};
use super::lenient::{
    self, ignore_other_types, visit_strings, AnyText, Code, Collect, Fallback, Key,
};
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct M365;

impl Decoder for M365 {
    fn format(&self) -> Format {
        Format::M365
    }

    fn sniff(&self, record: &[u8]) -> bool {
        // `CreationTime` is not required, so that a record missing it is still recognised and
        // rejected for that rather than as an unknown format.
        let has = |a: &[u8], b: &[u8]| contains(record, a) || contains(record, b);
        has(b"\"Operation\"", b"\"operation\"")
            && (has(b"\"Workload\"", b"\"workload\"") || has(b"\"RecordType\"", b"\"recordtype\""))
    }

    fn decode<'a>(
        &self,
        record: &'a [u8],
        _context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        let record: Record<'a> = sonic_rs::from_slice(record)?;
        let time = match record.creation_time.as_deref() {
            Some(text) if !text.trim().is_empty() => parse_time("CreationTime", text)?,
            _ => return Err(RecordError::MissingField("CreationTime")),
        };
        let operation =
            non_empty(record.operation.clone()).ok_or(RecordError::MissingField("Operation"))?;
        let name = operation.trim().trim_end_matches('.');
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("UserLoggedIn") || is("UserLoginFailed") {
            logon(record, time, is("UserLoginFailed"))
        } else if is("New-InboxRule") || is("Set-InboxRule") || is("Set-Mailbox") {
            mailbox_cmdlet(record, time, name)
        } else if is("UpdateInboxRules") {
            outlook_rule(record, time)
        } else {
            directory_change(record, time, name)
        }
    }
}

/// The fields forewarn reads of a unified audit log record (common schema plus the Microsoft
/// Entra, Entra STS logon, Exchange admin and Exchange mailbox schemas).
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(default, borrow, rename = "CreationTime", alias = "creationtime")]
    creation_time: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "Operation", alias = "operation")]
    operation: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "ResultStatus", alias = "resultstatus")]
    result_status: AnyText<'a>,
    #[serde(default, borrow, rename = "UserId", alias = "userid")]
    user_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "ObjectId", alias = "objectid")]
    object_id: AnyText<'a>,
    #[serde(default, borrow, rename = "ClientIP", alias = "clientip")]
    client_ip: AnyText<'a>,
    #[serde(default, borrow, rename = "ClientIPAddress", alias = "clientipaddress")]
    client_ip_address: AnyText<'a>,
    #[serde(default, borrow, rename = "ActorIpAddress", alias = "actoripaddress")]
    actor_ip_address: AnyText<'a>,
    #[serde(
        default,
        borrow,
        rename = "ClientInfoString",
        alias = "clientinfostring"
    )]
    client_info_string: AnyText<'a>,
    #[serde(default, borrow, rename = "MailboxOwnerUPN", alias = "mailboxownerupn")]
    mailbox_owner_upn: AnyText<'a>,
    #[serde(default, borrow, rename = "LogonError", alias = "logonerror")]
    logon_error: AnyText<'a>,
    #[serde(default, borrow, rename = "ErrorNumber", alias = "errornumber")]
    error_number: Option<Code<'a>>,
    #[serde(default, borrow, rename = "ErrorCode", alias = "errorcode")]
    error_code: Option<Code<'a>>,
    #[serde(
        default,
        borrow,
        rename = "ExtendedProperties",
        alias = "extendedproperties"
    )]
    extended_properties: Entries<'a>,
    #[serde(
        default,
        borrow,
        rename = "DeviceProperties",
        alias = "deviceproperties"
    )]
    device_properties: Entries<'a>,
    #[serde(default, borrow, rename = "Parameters", alias = "parameters")]
    parameters: Entries<'a>,
    #[serde(
        default,
        borrow,
        rename = "OperationProperties",
        alias = "operationproperties"
    )]
    operation_properties: Entries<'a>,
    #[serde(
        default,
        borrow,
        rename = "ModifiedProperties",
        alias = "modifiedproperties"
    )]
    modified_properties: Entries<'a>,
    #[serde(default, borrow, rename = "Actor", alias = "actor")]
    actor: Entries<'a>,
    #[serde(default, borrow, rename = "Target", alias = "target")]
    target: Entries<'a>,
}

/// `IdentityType` 5 is a user principal name in `Actor` and `Target` lists.
const UPN: i64 = 5;

impl<'a> Record<'a> {
    /// The user that `UserId` names, when it names one (not `ServicePrincipal_…`, `NT
    /// AUTHORITY\SYSTEM` or `Not Available`).
    fn user(&self) -> Option<Cow<'a, str>> {
        non_empty(self.user_id.clone()).filter(|u| u.contains('@'))
    }

    fn upn_in(list: &Entries<'a>) -> Option<Cow<'a, str>> {
        list.0
            .iter()
            .find(|e| e.kind == Some(UPN))
            .and_then(|e| non_empty(e.id.clone()))
    }

    fn source(&self) -> Option<Cow<'a, str>> {
        [
            &self.client_ip,
            &self.actor_ip_address,
            &self.client_ip_address,
        ]
        .into_iter()
        .find_map(|t| non_empty(t.0.clone()))
    }

    /// `ResultStatus`: Succeeded / PartiallySucceeded / Failed, True / False for Exchange
    /// cmdlets, Success / Failure elsewhere. A record without one is taken as done.
    fn succeeded(&self) -> bool {
        match self.result_status.0.as_deref().map(str::trim) {
            Some(s) => !["failed", "failure", "false"]
                .iter()
                .any(|f| s.eq_ignore_ascii_case(f)),
            None => true,
        }
    }

    fn base(&self, time: Timestamp, who: Cow<'a, str>) -> AuthEvent<'a> {
        let outcome = if self.succeeded() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let mut event = AuthEvent::new(time, Kind::SessionStart, outcome, who);
        set_source(&mut event, self.source());
        event.user_agent = self
            .extended_properties
            .value("UserAgent")
            .or_else(|| non_empty(self.client_info_string.0.clone()));
        event
    }
}

fn skipped<'a>(operation: &str) -> Decoded<'a> {
    Decoded::Skipped(Cow::Owned(format!("operation {}", truncate(operation, 80))))
}

/// `UserLoggedIn` / `UserLoginFailed` (Microsoft Entra STS logon schema). `ResultStatus` of
/// these only says the HTTP request went through; the outcome is `ErrorNumber` (or `ErrorCode`,
/// the documented name), else the `LogonError` name.
fn logon<'a>(
    record: Record<'a>,
    time: Timestamp,
    failed: bool,
) -> Result<Decoded<'a>, RecordError> {
    let who = record
        .user()
        .or_else(|| Record::upn_in(&record.actor))
        .or_else(|| non_empty(record.user_id.clone()))
        .and_then(account)
        .ok_or(RecordError::MissingField("UserId"))?;
    let code = record
        .error_number
        .as_ref()
        .or(record.error_code.as_ref())
        .and_then(Code::as_i64)
        .or_else(|| record.logon_error.0.as_deref().and_then(logon_error_code));
    let result = match (failed, code) {
        (false, None) => SignInResult::Granted,
        (_, Some(code)) => classify_code(code),
        (true, None) => SignInResult::Failed,
    };
    // A failure record whose code says success contradicts itself: count it as a failure.
    let result = if failed && result == SignInResult::Granted {
        SignInResult::Failed
    } else {
        result
    };
    let mut base = record.base(time, who);
    base.device_id = record.device_properties.value("Id");
    base.session = record.device_properties.value("SessionId");
    let details = [record.logon_error.0.as_deref().unwrap_or("")];
    let facts = SignInFacts {
        code: code.unwrap_or(0),
        password_passed: false,
        channel: None,
        // The unified audit log does not say whether the user was at the keyboard.
        interactive: None,
        details: &details,
    };
    Ok(sign_in_events(base, result, &facts))
}

/// `LogonError` names (the AADSTS error names) for records without an error number.
fn logon_error_code(name: &str) -> Option<i64> {
    const NAMES: &[(&str, i64)] = &[
        ("InvalidUserNameOrPassword", 50126),
        ("CredentialAuthenticationError", 50064),
        ("UserAccountNotFound", 50034),
        ("UserAccountNotInDirectory", 51004),
        ("UserUnauthorized", 50020),
        ("IdsLocked", 50053),
        ("UserDisabled", 50057),
        ("InvalidPasswordExpiredPassword", 50055),
        ("InvalidPasswordExpiredOnPremPassword", 50144),
        ("UserStrongAuthEnrollmentRequiredInterrupt", 50072),
        ("UserStrongAuthClientAuthNRequiredInterrupt", 50074),
        ("UserStrongAuthClientAuthNRequired", 50076),
        ("UserStrongAuthExpired", 50078),
        ("UserStrongAuthEnrollmentRequired", 50079),
        ("ExternalSecurityChallenge", 50158),
        ("DeviceNotCompliant", 53000),
        ("DeviceNotDomainJoined", 53001),
        ("ApplicationUsedIsNotAnApprovedApp", 53002),
        ("BlockedByConditionalAccess", 53003),
        ("BlockedByConditionalAccessOnSecurityPolicy", 530032),
        ("ConditionalAccessFailed", 50131),
        ("EntitlementGrantsNotFound", 50105),
        ("SelectUserAccount", 16000),
        ("UserInformationNotProvided", 50058),
        ("DeviceAuthenticationRequired", 50097),
        ("PasswordResetRegistrationRequiredInterrupt", 50125),
        ("KmsiInterrupt", 50140),
        ("CmsiInterrupt", 50199),
        ("SsoArtifactInvalidOrExpired", 50132),
        ("SsoArtifactRevoked", 50133),
        ("DelegationDoesNotExist", 65001),
    ];
    let name = name.trim();
    NAMES
        .iter()
        .find(|(n, _)| name.eq_ignore_ascii_case(n))
        .map(|(_, code)| *code)
}

/// Exchange admin cmdlets that make mail leave or vanish: inbox rules and mailbox forwarding.
fn mailbox_cmdlet<'a>(
    record: Record<'a>,
    time: Timestamp,
    cmdlet: &str,
) -> Result<Decoded<'a>, RecordError> {
    let params = &record.parameters;
    let set_mailbox = cmdlet.eq_ignore_ascii_case("Set-Mailbox");
    let forward_params: &[&str] = if set_mailbox {
        &["ForwardingSmtpAddress", "ForwardingAddress"]
    } else {
        &["ForwardTo", "ForwardAsAttachmentTo", "RedirectTo"]
    };
    let forwards: Vec<Cow<'a, str>> = forward_params
        .iter()
        .filter_map(|name| params.value(name))
        .filter(|v| !v.trim().eq_ignore_ascii_case("$null"))
        .map(strip_smtp)
        .collect();
    let deletes = params
        .value("DeleteMessage")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    // Every new inbox rule counts (rules that move mail out of sight forward nothing);
    // changes count when they add forwarding or deletion; Set-Mailbox only when it sets a
    // forwarding address (clearing one is not a takeover step).
    let counts = if set_mailbox {
        !forwards.is_empty()
    } else {
        cmdlet.eq_ignore_ascii_case("New-InboxRule") || !forwards.is_empty() || deletes
    };
    if !counts {
        return Ok(skipped(cmdlet));
    }
    let target = if set_mailbox {
        params.value("Identity")
    } else {
        params.value("Mailbox")
    }
    .filter(|t| t.contains('@') && !t.contains('/') && !t.contains('\\'));
    let runner = record.user();
    let who = target
        .clone()
        .or_else(|| runner.clone())
        .or_else(|| non_empty(record.user_id.clone()))
        .and_then(account)
        .ok_or(RecordError::MissingField("UserId"))?;
    let mut event = record.base(time, who);
    event.kind = Kind::MailboxRuleCreate;
    event.actor = runner.and_then(account).filter(|r| *r != event.account);
    if !forwards.is_empty() {
        event.channel = Some(Channel::Email);
        event.channel_target = Some(join(forwards));
    }
    Ok(Decoded::One(event))
}

/// `smtp:someone@example.com` as Exchange writes forwarding addresses, without the scheme.
fn strip_smtp(value: Cow<'_, str>) -> Cow<'_, str> {
    fn rest(text: &str) -> Option<&str> {
        let text = text.trim_start();
        let prefix = text.get(..5)?;
        prefix
            .eq_ignore_ascii_case("smtp:")
            .then(|| text.get(5..).unwrap_or("").trim())
    }
    match value {
        Cow::Borrowed(s) => Cow::Borrowed(rest(s).unwrap_or(s)),
        Cow::Owned(s) => match rest(&s) {
            Some(r) => Cow::Owned(r.to_owned()),
            None => Cow::Owned(s),
        },
    }
}

fn join(mut parts: Vec<Cow<'_, str>>) -> Cow<'_, str> {
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    Cow::Owned(parts.join(";"))
}

/// `UpdateInboxRules`: a rule made or changed from Outlook (mailbox audit), with
/// `OperationProperties` `RuleOperation` (`AddMailboxRule`, `ModifyMailboxRule`,
/// `RemoveMailboxRule`) and `RuleActions`.
fn outlook_rule<'a>(record: Record<'a>, time: Timestamp) -> Result<Decoded<'a>, RecordError> {
    let props = &record.operation_properties;
    let operation = props.value("RuleOperation");
    let actions = props.value("RuleActions");
    let forwards = actions
        .as_deref()
        .is_some_and(|a| contains_ci(a, "forward") || contains_ci(a, "redirect"));
    let deletes = actions.as_deref().is_some_and(|a| contains_ci(a, "delete"));
    let op = operation.as_deref().map(str::trim).unwrap_or("");
    let counts = if op.eq_ignore_ascii_case("RemoveMailboxRule") {
        false
    } else if op.eq_ignore_ascii_case("ModifyMailboxRule") {
        forwards || deletes
    } else {
        true
    };
    if !counts {
        return Ok(skipped("UpdateInboxRules"));
    }
    let runner = record.user();
    let who = non_empty(record.mailbox_owner_upn.0.clone())
        .or_else(|| runner.clone())
        .or_else(|| non_empty(record.user_id.clone()))
        .and_then(account)
        .ok_or(RecordError::MissingField("MailboxOwnerUPN"))?;
    let mut event = record.base(time, who);
    event.kind = Kind::MailboxRuleCreate;
    event.actor = runner.and_then(account).filter(|r| *r != event.account);
    if forwards {
        event.channel = Some(Channel::Email);
    }
    Ok(Decoded::One(event))
}

/// Microsoft Entra directory activities, named as in the Entra audit log with a trailing
/// period (`Update user.`), classified by the Entra decoder's table.
fn directory_change<'a>(
    record: Record<'a>,
    time: Timestamp,
    operation: &str,
) -> Result<Decoded<'a>, RecordError> {
    let names = record
        .modified_properties
        .0
        .iter()
        .filter_map(|p| p.name.as_deref());
    let Some(class) = classify_activity(operation, "", record.succeeded(), names) else {
        return Ok(skipped(operation));
    };
    let runner = record.user().or_else(|| Record::upn_in(&record.actor));
    let target = Record::upn_in(&record.target)
        .or_else(|| non_empty(record.object_id.0.clone()).filter(|o| o.contains('@')));
    let (who, actor) = match class.subject {
        Subject::Target => (target.or_else(|| runner.clone()), runner),
        Subject::Initiator => (runner.or(target), None),
    };
    let who = who
        .and_then(account)
        .ok_or(RecordError::MissingField(match class.subject {
            Subject::Target => "Target",
            Subject::Initiator => "UserId",
        }))?;
    let mut base = record.base(time, who);
    if let Some(outcome) = class.outcome {
        base.outcome = outcome;
    }
    base.reason = class.reason;
    base.actor = actor.and_then(account).filter(|a| *a != base.account);
    Ok(Decoded::steps(base, &class.steps))
}

/// A name/value list as the unified audit log writes them (`Parameters`,
/// `ExtendedProperties`, `ModifiedProperties`, `Actor`, …). Elements are objects with `Name` /
/// `Value` (or `ID` / `Type` for identities); Exchange mailbox records write
/// `ModifiedProperties` as bare strings, kept as names. Anything else is ignored rather than
/// failing a record forewarn may not even need.
#[derive(Default)]
struct Entries<'a>(Vec<Entry<'a>>);

#[derive(Default)]
struct Entry<'a> {
    name: Option<Cow<'a, str>>,
    value: Option<Cow<'a, str>>,
    id: Option<Cow<'a, str>>,
    kind: Option<i64>,
}

impl<'a> Entries<'a> {
    /// The first non-empty value of the entry with that name.
    fn value(&self, name: &str) -> Option<Cow<'a, str>> {
        self.0
            .iter()
            .filter(|e| {
                e.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .find_map(|e| non_empty(e.value.clone()))
    }
}

impl<'de: 'a, 'a> Collect<'de> for Entries<'a> {
    type Item = EntryOrNot<'a>;

    fn push(&mut self, EntryOrNot(entry): Self::Item) {
        self.0.extend(entry);
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient::list(deserializer)
    }
}

/// One element of an [`Entries`] list, or nothing for an element of no known shape.
struct EntryOrNot<'a>(Option<Entry<'a>>);

impl Fallback for EntryOrNot<'_> {
    fn none() -> Self {
        EntryOrNot(None)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for EntryOrNot<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = EntryOrNot<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name/value object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entry = Entry::default();
                while let Some(key) = map.next_key::<Key>()? {
                    let is = |n: &str| key.is(n);
                    if is("Name") {
                        entry.name = map.next_value::<AnyText<'de>>()?.0;
                    } else if is("Value") || is("NewValue") {
                        let value = map.next_value::<AnyText<'de>>()?.0;
                        entry.value = entry.value.or(value);
                    } else if is("ID") {
                        entry.id = map.next_value::<AnyText<'de>>()?.0;
                    } else if is("Type") {
                        entry.kind = map
                            .next_value::<Option<Code<'de>>>()?
                            .and_then(|c| c.as_i64());
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(EntryOrNot(Some(entry)))
            }
            visit_strings!('de, |name| EntryOrNot(Some(Entry {
                name: Some(name),
                ..Entry::default()
            })));
            ignore_other_types!('de: bool, i64, u64, f64, unit, none, seq);
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forewarn_model::Reason;

    fn decode(text: &str) -> Result<Decoded<'_>, RecordError> {
        M365.decode(text.as_bytes(), &DecodeContext::default())
    }

    fn one(text: &str) -> AuthEvent<'_> {
        match decode(text).unwrap() {
            Decoded::One(e) => e,
            other => panic!("expected one event, got {other:?}"),
        }
    }

    #[test]
    fn a_failed_logon_maps_its_error_number() {
        let e = one(
            r#"{"CreationTime":"2024-03-05T10:00:00","Operation":"UserLoginFailed","Workload":"AzureActiveDirectory","ResultStatus":"Success","UserId":"Ann@Example.com","ClientIP":"[2001:db8::5]:443","ErrorNumber":"50053","LogonError":"IdsLocked"}"#,
        );
        assert_eq!((e.kind, e.outcome), (Kind::AuthPassword, Outcome::Failure));
        assert_eq!(e.reason, Some(Reason::Locked));
        assert_eq!(e.account, "ann@example.com");
        assert_eq!(e.ip, "2001:db8::5".parse().ok());
    }

    #[test]
    fn a_logon_error_name_stands_in_for_a_missing_number() {
        let e = one(
            r#"{"CreationTime":"2024-03-05T10:00:00","Operation":"UserLoginFailed","Workload":"AzureActiveDirectory","UserId":"ann@example.com","LogonError":"UserAccountNotFound"}"#,
        );
        assert_eq!(e.reason, Some(Reason::UnknownAccount));
        assert_eq!(e.account_exists, Some(false));
    }

    #[test]
    fn mailbox_forwarding_is_a_rule_with_its_target() {
        let e = one(
            r#"{"CreationTime":"2024-03-05T10:00:00","Operation":"Set-Mailbox","Workload":"Exchange","ResultStatus":"True","UserId":"admin@example.com","ClientIP":"198.51.100.7:51234","Parameters":[{"Name":"Identity","Value":"Ann@example.com"},{"Name":"ForwardingSmtpAddress","Value":"smtp:drop@example.net"}]}"#,
        );
        assert_eq!(e.kind, Kind::MailboxRuleCreate);
        assert_eq!(e.account, "ann@example.com");
        assert_eq!(e.actor.as_deref(), Some("admin@example.com"));
        assert_eq!(e.channel_target.as_deref(), Some("drop@example.net"));
        assert_eq!(e.ip, "198.51.100.7".parse().ok());
    }

    #[test]
    fn clearing_forwarding_and_other_operations_are_skipped() {
        assert!(matches!(
            decode(r#"{"CreationTime":"2024-03-05T10:00:00","Operation":"Set-Mailbox","Workload":"Exchange","UserId":"a@example.com","Parameters":[{"Name":"ForwardingSmtpAddress","Value":"$null"}]}"#),
            Ok(Decoded::Skipped(why)) if why == "operation Set-Mailbox"
        ));
        assert!(matches!(
            decode(r#"{"CreationTime":"2024-03-05T10:00:00","Operation":"MailItemsAccessed","Workload":"Exchange","ModifiedProperties":["Body"],"UserId":"a@example.com"}"#),
            Ok(Decoded::Skipped(why)) if why == "operation MailItemsAccessed"
        ));
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            decode(r#"{"Operation":"UserLoggedIn","Workload":"AzureActiveDirectory","UserId":"a@example.com"}"#).unwrap_err(),
            RecordError::MissingField("CreationTime")
        );
        assert_eq!(
            decode(r#"{"CreationTime":"2024-03-05T10:00:00","Operation":"UserLoggedIn","Workload":"AzureActiveDirectory"}"#).unwrap_err(),
            RecordError::MissingField("UserId")
        );
    }

    #[test]
    fn strip_smtp_keeps_borrowing() {
        assert!(matches!(
            strip_smtp(Cow::Borrowed("SMTP:a@example.com")),
            Cow::Borrowed("a@example.com")
        ));
        assert_eq!(strip_smtp(Cow::Borrowed("a@example.com")), "a@example.com");
        assert_eq!(strip_smtp(Cow::Borrowed("smtp")), "smtp");
    }
}
