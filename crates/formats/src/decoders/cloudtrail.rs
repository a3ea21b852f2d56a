//! AWS CloudTrail: console sign-in, root password recovery, IAM Identity Center sign-in, and the
//! IAM calls that change a user's password or MFA devices.
//!
//! Reads one event at a time: elements of `{"Records":[…]}` log files (the reader splits
//! `Records`), single events as JSON lines, and EventBridge deliveries (the event under
//! `detail`). Everything else CloudTrail records (S3, EC2, …) is skipped by event name, after
//! reading only `eventSource` and `eventName`. Mapping and sources: `docs/formats.md (cloudtrail)`.
//! - <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html>
//! - <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html>
//! - <https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html>
//! - <https://docs.aws.amazon.com/singlesignon/latest/userguide/understanding-sign-in-events.html>

use std::borrow::Cow;

use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};
use serde::Deserialize;

use super::common::{account, contains, non_empty, parse_ip, parse_time};
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct CloudTrail;

impl Decoder for CloudTrail {
    fn format(&self) -> Format {
        Format::CloudTrail
    }

    fn sniff(&self, record: &[u8]) -> bool {
        // Not `eventTime`: a record without it is still CloudTrail, and is told so.
        contains(record, b"\"eventSource\"") && contains(record, b"\"eventName\"")
    }

    fn decode<'a>(
        &self,
        record: &'a [u8],
        _context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        // Most of a trail is API calls forewarn does not use: name them from a two-field read
        // and never parse the rest (whose request and response shapes differ per service).
        let header: Header<'a> = sonic_rs::from_slice(record)?;
        let delivered = header.detail.is_some();
        let header = match header.detail {
            Some(detail) => *detail,
            None => header,
        };
        let source = header.event_source.as_deref().unwrap_or_default();
        let name = header
            .event_name
            .as_deref()
            .ok_or(RecordError::MissingField("eventName"))?;
        let Some(action) = Action::of(source, name) else {
            return Ok(Decoded::Skipped(Cow::Owned(format!("event type {name}"))));
        };
        let event = if delivered {
            sonic_rs::from_slice::<Delivery<'a>>(record)?.detail
        } else {
            sonic_rs::from_slice::<Event<'a>>(record)?
        };
        decode_event(action, name, event)
    }
}

/// The events forewarn reads, by what they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    ConsoleLogin,
    CheckMfa,
    GetSigninToken,
    PasswordRecoveryRequested,
    PasswordRecoveryCompleted,
    PasswordUpdated,
    CredentialChallenge,
    CredentialVerification,
    UserAuthentication,
    /// IAM `ChangePassword`, `CreateLoginProfile`, `UpdateLoginProfile`.
    IamPassword,
    /// IAM calls that tie an MFA device to a user or untie it.
    IamMfa,
}

impl Action {
    fn of(source: &str, name: &str) -> Option<Action> {
        use Action::*;
        Some(match (source, name) {
            ("signin.amazonaws.com", "ConsoleLogin") => ConsoleLogin,
            ("signin.amazonaws.com", "CheckMfa") => CheckMfa,
            ("signin.amazonaws.com", "GetSigninToken") => GetSigninToken,
            ("signin.amazonaws.com", "PasswordRecoveryRequested") => PasswordRecoveryRequested,
            ("signin.amazonaws.com", "PasswordRecoveryCompleted") => PasswordRecoveryCompleted,
            ("signin.amazonaws.com", "PasswordUpdated") => PasswordUpdated,
            ("signin.amazonaws.com", "CredentialChallenge") => CredentialChallenge,
            ("signin.amazonaws.com", "CredentialVerification") => CredentialVerification,
            ("signin.amazonaws.com", "UserAuthentication") => UserAuthentication,
            (
                "iam.amazonaws.com",
                "ChangePassword" | "CreateLoginProfile" | "UpdateLoginProfile",
            ) => IamPassword,
            // Not `CreateVirtualMFADevice` / `DeleteVirtualMFADevice`: they make and remove the
            // device before it is tied to a user and after it was untied, and name no user;
            // `EnableMFADevice` / `DeactivateMFADevice` record the change to the user.
            (
                "iam.amazonaws.com",
                "EnableMFADevice" | "DeactivateMFADevice" | "ResyncMFADevice",
            ) => IamMfa,
            _ => return None,
        })
    }
}

fn decode_event<'a>(action: Action, name: &str, e: Event<'a>) -> Result<Decoded<'a>, RecordError> {
    use Action::*;
    let time_text =
        non_empty(e.event_time.clone()).ok_or(RecordError::MissingField("eventTime"))?;
    let time = parse_time("eventTime", &time_text)?;
    let identity = e.user_identity.as_ref();
    let caller = identity.and_then(|u| u.name(e.recipient_account_id.as_ref()));
    let extra = e.additional_event_data.as_ref();
    let sign_in_result = |field: &'static str| -> Result<Outcome, RecordError> {
        // Sign-in events write their result under their own name, in `responseElements`
        // (console) or `serviceEventDetails` (Identity Center).
        let text = e
            .response_elements
            .as_ref()
            .and_then(|r| r.result(name))
            .or_else(|| {
                e.service_event_details
                    .as_ref()
                    .and_then(|r| r.result(name))
            });
        match text {
            Some(text) => outcome_of(field, text),
            // CloudTrail's own convention for every event: a failure carries an error; no
            // error means it went through.
            None if e.error_code.is_some() || e.error_message.is_some() => Ok(Outcome::Failure),
            None => Ok(Outcome::Success),
        }
    };

    let mut events: Vec<(Kind, Outcome, Option<Reason>)> = Vec::with_capacity(2);
    let mut target = Target::Caller;
    let mut channel = None;
    match action {
        ConsoleLogin => {
            let outcome = sign_in_result("responseElements.ConsoleLogin")?;
            events.push(console_login(&e, caller.as_ref(), outcome));
        }
        CheckMfa => {
            let outcome = sign_in_result("responseElements.CheckMfa")?;
            events.push((Kind::AccountLookup, outcome, None));
        }
        GetSigninToken => {
            let outcome = sign_in_result("responseElements.GetSigninToken")?;
            events.push((Kind::SessionStart, outcome, None));
        }
        PasswordRecoveryRequested => {
            let outcome = sign_in_result("responseElements.PasswordRecoveryRequested")?;
            // The request both starts recovery and mails the reset link to the root user's
            // address.
            events.push((Kind::RecoveryStart, outcome, None));
            if outcome == Outcome::Success {
                events.push((Kind::RecoveryCodeSent, outcome, None));
                channel = Some(Channel::Email);
            }
        }
        PasswordRecoveryCompleted => {
            let outcome = sign_in_result("responseElements.PasswordRecoveryCompleted")?;
            events.push((Kind::RecoveryReset, outcome, None));
        }
        PasswordUpdated => {
            let outcome = sign_in_result("responseElements.PasswordUpdated")?;
            events.push((Kind::AccountPasswordChange, outcome, None));
        }
        CredentialChallenge | CredentialVerification => {
            let credential = extra
                .and_then(|x| x.credential_type.as_deref())
                .unwrap_or_default();
            let is_password = credential.eq_ignore_ascii_case("PASSWORD");
            let field = if action == CredentialChallenge {
                "serviceEventDetails.CredentialChallenge"
            } else {
                "serviceEventDetails.CredentialVerification"
            };
            let skip = || {
                Ok(Decoded::Skipped(Cow::Owned(format!(
                    "event type {name} ({})",
                    if credential.is_empty() {
                        "no CredentialType"
                    } else {
                        credential
                    }
                ))))
            };
            if action == CredentialChallenge {
                // Asking for the password means the user name was accepted; a second-factor
                // challenge adds nothing its verification does not say.
                if !is_password {
                    return skip();
                }
                events.push((Kind::AccountLookup, sign_in_result(field)?, None));
            } else if is_password {
                let outcome = sign_in_result(field)?;
                let reason = (outcome == Outcome::Failure).then_some(Reason::BadPassword);
                events.push((Kind::AuthPassword, outcome, reason));
            } else if credential.eq_ignore_ascii_case("EXTERNAL_IDP") {
                // The credential was checked by the external identity provider, whose own log
                // holds the attempt; the session shows up as `UserAuthentication`.
                return skip();
            } else {
                let outcome = sign_in_result(field)?;
                let reason = (outcome == Outcome::Failure)
                    .then(|| mfa_failure(credential))
                    .flatten();
                events.push((Kind::AuthMfa, outcome, reason));
                if credential.eq_ignore_ascii_case("EMAIL_OTP") {
                    channel = Some(Channel::Email);
                } else if credential.to_ascii_uppercase().contains("TOTP") {
                    channel = Some(Channel::App);
                }
            }
        }
        UserAuthentication => {
            let outcome = sign_in_result("serviceEventDetails.UserAuthentication")?;
            events.push((Kind::SessionStart, outcome, None));
        }
        IamPassword | IamMfa => {
            let kind = if action == IamPassword {
                Kind::AccountPasswordChange
            } else {
                Kind::AccountMfaChange
            };
            let (outcome, reason) = api_result(&e);
            events.push((kind, outcome, reason));
            // An administrator acting on a user names the user in the request.
            let named = e
                .request_parameters
                .as_ref()
                .and_then(|r| non_empty(r.user_name.clone()));
            if let Some(name) = named {
                target = Target::IamUser(name);
            }
        }
    }

    let (subject, actor) = match target {
        Target::Caller => (caller, None),
        // An IAM user of the account the call was made in.
        Target::IamUser(name) => {
            let account_id = non_empty(e.recipient_account_id.clone())
                .or_else(|| identity.and_then(|u| u.account_id(None)));
            (Some(Identity::Iam { account_id, name }), caller)
        }
    };
    let subject = subject.ok_or(if e.user_identity.is_some() {
        RecordError::MissingField("userIdentity.userName")
    } else {
        RecordError::MissingField("userIdentity")
    })?;
    let account_exists = subject.exists();
    let subject_account = subject
        .into_account()
        .ok_or(RecordError::MissingField("userIdentity.userName"))?;
    let actor = actor
        .and_then(Identity::into_account)
        .filter(|a| *a != subject_account);
    let (ip, source_host) = match non_empty(e.source_ip_address) {
        Some(text) => match parse_ip(&text) {
            Some(ip) => (Some(ip), None),
            // A service name ("signin.amazonaws.com", "AWS Internal") when AWS acted itself.
            None => (None, Some(text)),
        },
        None => (None, None),
    };
    let user_agent = non_empty(e.user_agent);
    let session = e
        .additional_event_data
        .and_then(|x| non_empty(x.auth_workflow_id));

    let mut out: Vec<AuthEvent<'a>> = events
        .into_iter()
        .map(|(kind, outcome, reason)| {
            let mut event = AuthEvent::new(time, kind, outcome, subject_account.clone());
            event.reason = reason;
            event.account_exists = (reason == Some(Reason::UnknownAccount)).then_some(false);
            event.actor = actor.clone();
            event.ip = ip;
            event.source_host = source_host.clone();
            event.user_agent = user_agent.clone();
            event.session = session.clone();
            if kind != Kind::RecoveryStart {
                event.channel = channel;
            }
            event
        })
        .collect();
    if account_exists == Some(false) {
        for event in &mut out {
            event.account_exists = Some(false);
            event.reason = event.reason.or(Some(Reason::UnknownAccount));
        }
    }
    match out.len() {
        1 => Ok(out
            .pop()
            .map(Decoded::One)
            .unwrap_or(Decoded::Many(Vec::new()))),
        _ => Ok(Decoded::Many(out)),
    }
}

/// A console sign-in: a session when it succeeded; the password or the second factor when it
/// failed, as far as the record tells them apart.
fn console_login(
    e: &Event<'_>,
    caller: Option<&Identity<'_>>,
    outcome: Outcome,
) -> (Kind, Outcome, Option<Reason>) {
    if outcome == Outcome::Success {
        return (Kind::SessionStart, outcome, None);
    }
    let federated = e
        .user_identity
        .as_ref()
        .and_then(|u| u.kind.as_deref())
        .is_some_and(|t| {
            matches!(
                t,
                "AssumedRole" | "FederatedUser" | "SAMLUser" | "WebIdentityUser"
            )
        });
    if federated {
        // The credential was checked by the identity provider; AWS refused the session.
        return (Kind::SessionStart, outcome, None);
    }
    let message = e.error_message.as_deref().unwrap_or_default();
    if message.contains("No username found") || caller.is_some_and(|c| c.exists() == Some(false)) {
        return (Kind::AuthPassword, outcome, Some(Reason::UnknownAccount));
    }
    let mfa_used = e
        .additional_event_data
        .as_ref()
        .and_then(|x| x.mfa_used.as_deref())
        .is_some_and(|v| v.eq_ignore_ascii_case("Yes"));
    if mfa_used {
        // AWS asks for the MFA code only once the password was right, so a failure with
        // `MFAUsed: Yes` is the second factor failing. The message does not say how.
        return (Kind::AuthMfa, outcome, None);
    }
    let reason = (message == "Failed authentication").then_some(Reason::BadPassword);
    (Kind::AuthPassword, outcome, reason)
}

fn mfa_failure(credential: &str) -> Option<Reason> {
    let upper = credential.to_ascii_uppercase();
    (upper.contains("TOTP") || upper.contains("OTP")).then_some(Reason::BadCode)
}

fn outcome_of(field: &'static str, text: &str) -> Result<Outcome, RecordError> {
    if text.eq_ignore_ascii_case("Success") {
        Ok(Outcome::Success)
    } else if text.eq_ignore_ascii_case("Failure") {
        Ok(Outcome::Failure)
    } else {
        Err(RecordError::invalid(
            field,
            format!(
                "`{}` is neither Success nor Failure",
                super::common::truncate(text, 40)
            ),
        ))
    }
}

/// An API call failed when CloudTrail recorded an error code for it.
fn api_result(e: &Event<'_>) -> (Outcome, Option<Reason>) {
    match e.error_code.as_deref().filter(|c| !c.is_empty()) {
        None => (Outcome::Success, None),
        Some(code) => {
            let denied = code == "AccessDenied" || code.starts_with("Unauthorized");
            (Outcome::Failure, denied.then_some(Reason::Blocked))
        }
    }
}

/// Whose account an event is about.
enum Target<'a> {
    Caller,
    /// An administrator acted on this IAM user.
    IamUser(Cow<'a, str>),
}

/// Who an identity is, as forewarn names accounts.
///
/// IAM users and the root user exist per AWS account, and signing in as one names the account
/// (account id or alias, then user name), so forewarn qualifies them with the account id:
/// `111122223333:anaya`, `111122223333:root`. People who sign in through IAM Identity Center or
/// a SAML provider go by their directory name (usually an email), which is organisation-wide.
#[derive(Debug, Clone)]
enum Identity<'a> {
    Iam {
        account_id: Option<Cow<'a, str>>,
        name: Cow<'a, str>,
    },
    /// The root user: CloudTrail does not log its email address.
    Root(Option<Cow<'a, str>>),
    /// The entered user name does not exist; AWS logs it as `HIDDEN_DUE_TO_SECURITY_REASONS`.
    Hidden(Option<Cow<'a, str>>),
    /// A role session name, an Identity Center or federated user name.
    Named(Cow<'a, str>),
}

const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

impl<'a> Identity<'a> {
    fn exists(&self) -> Option<bool> {
        matches!(self, Identity::Hidden(_)).then_some(false)
    }

    fn into_account(self) -> Option<Cow<'a, str>> {
        let qualified = |account_id: Option<Cow<'a, str>>, name: Cow<'a, str>| match account_id {
            Some(id) => Cow::Owned(format!("{id}:{name}")),
            None => name,
        };
        match self {
            Identity::Iam { account_id, name } => account(qualified(account_id, name)),
            Identity::Root(id) => account(qualified(id, Cow::Borrowed("root"))),
            Identity::Hidden(id) => account(qualified(
                id,
                Cow::Borrowed("hidden_due_to_security_reasons"),
            )),
            Identity::Named(name) => account(name),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The record, typed. Only the fields forewarn reads are declared.

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(default, borrow, rename = "eventSource")]
    event_source: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "eventName")]
    event_name: Option<Cow<'a, str>>,
    /// EventBridge delivers the CloudTrail event under `detail`.
    #[serde(default, borrow)]
    detail: Option<Box<Header<'a>>>,
}

/// An EventBridge delivery.
#[derive(Deserialize)]
struct Delivery<'a> {
    #[serde(borrow)]
    detail: Event<'a>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(default, borrow, rename = "eventTime")]
    event_time: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "userIdentity")]
    user_identity: Option<UserIdentity<'a>>,
    #[serde(default, borrow, rename = "sourceIPAddress")]
    source_ip_address: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "userAgent")]
    user_agent: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "errorCode")]
    error_code: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "errorMessage")]
    error_message: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "requestParameters")]
    request_parameters: Option<RequestParameters<'a>>,
    #[serde(default, borrow, rename = "responseElements")]
    response_elements: Option<Results<'a>>,
    #[serde(default, borrow, rename = "serviceEventDetails")]
    service_event_details: Option<Results<'a>>,
    #[serde(default, borrow, rename = "additionalEventData")]
    additional_event_data: Option<AdditionalEventData<'a>>,
    #[serde(default, borrow, rename = "recipientAccountId")]
    recipient_account_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct UserIdentity<'a> {
    #[serde(default, borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "principalId")]
    principal_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    arn: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "accountId")]
    account_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "userName")]
    user_name: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "sessionContext")]
    session_context: Option<SessionContext<'a>>,
}

#[derive(Deserialize)]
struct SessionContext<'a> {
    #[serde(default, borrow, rename = "sessionIssuer")]
    session_issuer: Option<SessionIssuer<'a>>,
}

#[derive(Deserialize)]
struct SessionIssuer<'a> {
    #[serde(default, borrow, rename = "userName")]
    user_name: Option<Cow<'a, str>>,
}

impl<'a> UserIdentity<'a> {
    /// The AWS account the identity belongs to.
    fn account_id(&self, recipient_account: Option<&Cow<'a, str>>) -> Option<Cow<'a, str>> {
        non_empty(self.account_id.clone())
            .or_else(|| {
                self.arn
                    .as_ref()
                    .and_then(|arn| arn_field(arn, 4))
                    .filter(|id| !id.is_empty())
            })
            .or_else(|| non_empty(recipient_account.cloned()))
    }

    /// The caller. Each identity type names its person in a different field; see
    /// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html>.
    fn name(&self, recipient_account: Option<&Cow<'a, str>>) -> Option<Identity<'a>> {
        let user_name = non_empty(self.user_name.clone());
        let account_id = self.account_id(recipient_account);
        if user_name.as_deref() == Some(HIDDEN) {
            return Some(Identity::Hidden(account_id));
        }
        let arn_tail = || self.arn.as_ref().and_then(|arn| after_last(arn, '/'));
        // `principalId` of a role session is `<role id>:<session name>`.
        let principal_tail = || self.principal_id.as_ref().and_then(|p| after_last(p, ':'));
        let issuer = || {
            self.session_context
                .as_ref()
                .and_then(|c| c.session_issuer.as_ref())
                .and_then(|i| non_empty(i.user_name.clone()))
        };
        Some(match self.kind.as_deref() {
            Some("Root") => Identity::Root(account_id),
            Some("IAMUser") => Identity::Iam {
                account_id,
                name: user_name.or_else(arn_tail)?,
            },
            // The session name: the person's email for Identity Center and most SAML set-ups.
            Some("AssumedRole") => Identity::Named(
                arn_tail()
                    .or_else(principal_tail)
                    .or(user_name)
                    .or_else(issuer)?,
            ),
            Some("FederatedUser") => {
                Identity::Named(arn_tail().or_else(principal_tail).or(user_name)?)
            }
            // Identity Center (`Unknown`), SAML and web-identity users: the directory's name.
            _ => Identity::Named(user_name.or_else(arn_tail)?),
        })
    }
}

/// The text after the last `separator`, borrowed from the record when it can be.
fn after_last<'a>(text: &Cow<'a, str>, separator: char) -> Option<Cow<'a, str>> {
    let tail = match text {
        Cow::Borrowed(text) => Cow::Borrowed(text.rsplit_once(separator)?.1),
        Cow::Owned(text) => Cow::Owned(text.rsplit_once(separator)?.1.to_owned()),
    };
    (!tail.is_empty()).then_some(tail)
}

/// Field `n` of `arn:partition:service:region:account:resource`.
fn arn_field<'a>(arn: &Cow<'a, str>, n: usize) -> Option<Cow<'a, str>> {
    match arn {
        Cow::Borrowed(arn) => arn.split(':').nth(n).map(Cow::Borrowed),
        Cow::Owned(arn) => arn.split(':').nth(n).map(|f| Cow::Owned(f.to_owned())),
    }
}

#[derive(Deserialize)]
struct RequestParameters<'a> {
    #[serde(default, borrow, rename = "userName")]
    user_name: Option<Cow<'a, str>>,
}

/// `responseElements` / `serviceEventDetails` of sign-in events: `{"<eventName>": "Success"}`.
#[derive(Deserialize)]
struct Results<'a> {
    #[serde(default, borrow, rename = "ConsoleLogin")]
    console_login: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "CheckMfa")]
    check_mfa: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "GetSigninToken")]
    get_signin_token: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "PasswordRecoveryRequested")]
    recovery_requested: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "PasswordRecoveryCompleted")]
    recovery_completed: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "PasswordUpdated")]
    password_updated: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "CredentialChallenge")]
    credential_challenge: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "CredentialVerification")]
    credential_verification: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "UserAuthentication")]
    user_authentication: Option<Cow<'a, str>>,
}

impl Results<'_> {
    fn result(&self, event_name: &str) -> Option<&str> {
        let field = match event_name {
            "ConsoleLogin" => &self.console_login,
            "CheckMfa" => &self.check_mfa,
            "GetSigninToken" => &self.get_signin_token,
            "PasswordRecoveryRequested" => &self.recovery_requested,
            "PasswordRecoveryCompleted" => &self.recovery_completed,
            "PasswordUpdated" => &self.password_updated,
            "CredentialChallenge" => &self.credential_challenge,
            "CredentialVerification" => &self.credential_verification,
            "UserAuthentication" => &self.user_authentication,
            _ => return None,
        };
        field.as_deref().filter(|s| !s.is_empty())
    }
}

#[derive(Deserialize)]
struct AdditionalEventData<'a> {
    #[serde(default, borrow, rename = "MFAUsed")]
    mfa_used: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "CredentialType")]
    credential_type: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "AuthWorkflowID")]
    auth_workflow_id: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(json: &str) -> Option<Cow<'static, str>> {
        let identity: UserIdentity<'_> = sonic_rs::from_str(json).unwrap();
        identity
            .name(Some(&Cow::Borrowed("999999999999")))
            .and_then(Identity::into_account)
            .map(|a| Cow::Owned(a.into_owned()))
    }

    #[test]
    fn names_each_identity_type() {
        let cases = [
            (
                r#"{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/Anaya","userName":"Anaya"}"#,
                Some("111122223333:anaya"),
            ),
            // Without an account id or ARN, the account the event was recorded in.
            (
                r#"{"type":"IAMUser","userName":"Anaya"}"#,
                Some("999999999999:anaya"),
            ),
            (
                r#"{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","userName":"root"}"#,
                Some("111122223333:root"),
            ),
            (
                r#"{"type":"Root","arn":"arn:aws:iam::111122223333:root"}"#,
                Some("111122223333:root"),
            ),
            (
                r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b/Jane@Example.com","principalId":"AROAEXAMPLE:Jane@Example.com"}"#,
                Some("jane@example.com"),
            ),
            (
                r#"{"type":"AssumedRole","principalId":"AROAEXAMPLE:ci-runner"}"#,
                Some("ci-runner"),
            ),
            (
                r#"{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"type":"Role","userName":"Deploy"}}}"#,
                Some("deploy"),
            ),
            (
                r#"{"type":"FederatedUser","arn":"arn:aws:sts::111122223333:federated-user/Bob"}"#,
                Some("bob"),
            ),
            (
                r#"{"type":"IAMUser","accountId":"111122223333","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#,
                Some("111122223333:hidden_due_to_security_reasons"),
            ),
            (
                r#"{"type":"Unknown","principalId":"111122223333","arn":"","accountId":"111122223333","userName":"user1"}"#,
                Some("user1"),
            ),
            (r#"{"type":"Unknown","accountId":"111122223333"}"#, None),
        ];
        for (json, expected) in cases {
            assert_eq!(identity(json).as_deref(), expected, "{json}");
        }
    }

    #[test]
    fn other_services_are_skipped_without_a_full_parse() {
        // `responseElements` of another service can be any shape; it is never read.
        let record = br#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","responseElements":"odd"}"#;
        let result = CloudTrail.decode(record, &DecodeContext::default());
        assert!(
            matches!(result, Ok(Decoded::Skipped(ref what)) if what == "event type GetObject"),
            "{result:?}"
        );
    }
}
