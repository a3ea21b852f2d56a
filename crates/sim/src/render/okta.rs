//! Okta System Log: one `LogEvent` object a line, as `GET /api/v1/logs` returns them and log
//! shippers export them (System Log API, LogEvent object).
//!
//! Each event becomes the System Log event Okta writes for it; the decoder
//! (`forewarn-formats`, `decoders/okta.rs`) reads it back. Records carry what Okta logs: `actor`
//! and `target[]` principals with Okta-style ids (`00u…` users, `0oa…` apps), `client` (IP,
//! raw user agent, city and English country name), `securityContext` (AS number and owner),
//! `authenticationContext.externalSessionId` (the session), `debugContext.debugData` (factor,
//! device fingerprint, risk) and `published` with milliseconds.
//!
//! | kind / outcome (reason, channel) | eventType written, `outcome` | decodes as / what is lost |
//! | --- | --- | --- |
//! | `account.lookup` | nothing | Okta logs no event for an identifier entered |
//! | `auth.password` success | `user.authentication.verify` `SUCCESS`, `Password` authenticator | same |
//! | `auth.password` failure `bad_password` | `user.session.start` `FAILURE` `INVALID_CREDENTIALS` | same |
//! | `auth.password` failure `unknown_account` | `user.session.start` `FAILURE` `VERIFICATION_ERROR`, `actor.id` `unknown` | same |
//! | `auth.password` failure `locked` | `user.session.start` `FAILURE` `LOCKED_OUT` | same |
//! | `auth.password` failure `blocked` | `user.session.start` `DENY` (sign-on policy) | same |
//! | `auth.mfa` success | `user.authentication.auth_via_mfa` `SUCCESS`, `debugData.factor` `OKTA_VERIFY_PUSH` / `SMS_FACTOR` / `EMAIL_FACTOR` | same (a factor without channel is written as `FIDO_WEBAUTHN`) |
//! | `auth.mfa` failure `mfa_denied` | `user.mfa.okta_verify.deny_push` `FAILURE` | same; channel is always `app` (only a push can be denied) |
//! | `auth.mfa` failure `mfa_timeout` | `user.authentication.auth_via_mfa` `FAILURE` `TIMEOUT` (the Factors API's result for an unanswered push) | same |
//! | `auth.mfa` failure `bad_code` / `locked` | `user.authentication.auth_via_mfa` `FAILURE` `INVALID_CREDENTIALS` / `LOCKED_OUT` | same |
//! | `auth.mfa` failure `blocked` | `user.authentication.auth_via_mfa` `FAILURE` `FastPass declined phishing attempt` | same |
//! | `recovery.start`, `recovery.code_verify` | nothing | Okta logs neither on its own: the reset email/SMS and the reset are the records |
//! | `recovery.code_sent` email / sms / app | `system.email.password_reset.sent_message` / `system.sms.send_password_reset_message` / `system.voice.send_password_reset_call`, actor Okta System | same, but `actor` decodes as `system@okta.com` (Okta sends them as the `SystemPrincipal`) |
//! | `recovery.reset` | `user.account.reset_password`; actor the admin, else Okta System (Okta's documented actor of a self-service reset) | same; a self-service reset decodes with `actor` `system@okta.com` |
//! | `account.recovery_info_change` email | `user.account.update_primary_email` | same |
//! | `account.recovery_info_change` sms / app | `user.mfa.factor.activate` `User set up SMS_FACTOR factor` / `CALL_FACTOR` (Okta keeps phones as factors) | decodes as `account.mfa_change` |
//! | `account.mfa_change` | by the user: `user.mfa.factor.activate` `User set up <FACTOR> factor`; by an admin: `user.mfa.factor.deactivate` `User reset <FACTOR> factor` | same |
//! | `account.password_change` | `user.account.update_password` | same |
//! | `session.start` success | `user.session.start` `SUCCESS` | same |
//! | `session.start` failure | `application.policy.sign_on.deny_access` `FAILURE` | reason is always `blocked` |
//! | `mailbox.rule_create` | nothing | Okta has no mailbox |
//! | `app.consent` | `app.oauth2.as.consent.grant` | same |
//! | `account.lockout` | `user.account.lock` `FAILURE` `LOCKED_OUT` (Okta logs the triggering sign-in's result) | `success`, as the decoder reads the lock |
//!
//! Always lost: `channel_target` (Okta does not log the masked address or phone). The country
//! is written as Okta's English name for the codes in [`COUNTRY_NAMES`]; any other code is
//! left out. Time keeps milliseconds.

use std::borrow::Cow;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason, Risk};
use serde::Serialize;

use super::{RenderContext, Renderer};

pub struct OktaRenderer;

impl Renderer for OktaRenderer {
    fn format(&self) -> Format {
        Format::Okta
    }

    fn files(&self) -> &'static [&'static str] {
        &["events.jsonl"]
    }

    fn render(&mut self, event: &AuthEvent<'_>, context: &RenderContext<'_>, out: &mut [Vec<u8>]) {
        let Some(plan) = plan(event) else { return };
        let record = record(event, context, &plan);
        let out = &mut out[0];
        // Every field is a string, number, bool or null: serializing into a Vec cannot fail.
        serde_json::to_writer(&mut *out, &record).expect("Okta records serialize");
        out.push(b'\n');
    }
}

/// Who the record names as `actor` and `target[]`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cast {
    /// The user signing in is the actor; no user target.
    User,
    /// Something is done to the user's account, by the user themself or by the admin in
    /// `event.actor`: the user is the target.
    OnUser,
    /// Okta itself (`SystemPrincipal`) acts on the user, unless an admin did.
    SystemOnUser,
}

/// The Okta event written for one event.
struct Plan {
    event_type: &'static str,
    display_message: &'static str,
    legacy_event_type: Option<&'static str>,
    result: &'static str,
    reason: Option<&'static str>,
    cast: Cast,
    /// `debugData.factor` of an MFA step.
    factor: Option<&'static str>,
    /// The `AuthenticatorEnrollment` target of an Identity Engine verification.
    authenticator: Option<&'static str>,
    /// An `AppInstance` target.
    app: Option<&'static str>,
}

impl Plan {
    fn new(event_type: &'static str, display_message: &'static str, result: &'static str) -> Self {
        Plan {
            event_type,
            display_message,
            legacy_event_type: None,
            result,
            reason: None,
            cast: Cast::User,
            factor: None,
            authenticator: None,
            app: None,
        }
    }

    fn reason(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    fn cast(mut self, cast: Cast) -> Self {
        self.cast = cast;
        self
    }

    fn legacy(mut self, legacy: &'static str) -> Self {
        self.legacy_event_type = Some(legacy);
        self
    }
}

/// Okta's name of the factor on a channel (as `debugData.factor` and factor events write it).
fn factor(channel: Option<Channel>) -> &'static str {
    match channel {
        Some(Channel::App) => "OKTA_VERIFY_PUSH",
        Some(Channel::Sms) => "SMS_FACTOR",
        Some(Channel::Email) => "EMAIL_FACTOR",
        None => "FIDO_WEBAUTHN",
    }
}

/// `SUCCESS` or `FAILURE`, for events whose record just says whether the step went through.
fn result(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "SUCCESS",
        Outcome::Failure => "FAILURE",
    }
}

/// The Okta event for `event`, or `None` when Okta logs nothing like it (see the module table).
fn plan(event: &AuthEvent<'_>) -> Option<Plan> {
    let outcome = event.outcome;
    let by_admin = event.actor.is_some();
    Some(match event.kind {
        Kind::AccountLookup
        | Kind::RecoveryStart
        | Kind::RecoveryCodeVerify
        | Kind::MailboxRuleCreate => return None,
        Kind::AuthPassword => match outcome {
            Outcome::Success => Plan {
                authenticator: Some("Password"),
                ..Plan::new(
                    "user.authentication.verify",
                    "Verify user identity",
                    "SUCCESS",
                )
            },
            Outcome::Failure => {
                let login = |result, reason| {
                    Plan::new("user.session.start", "User login to Okta", result)
                        .reason(reason)
                        .legacy("core.user_auth.login_failed")
                };
                // An identifier that names no user is told apart by `actor.id` `unknown`.
                if event.account_exists == Some(false) {
                    login("FAILURE", "VERIFICATION_ERROR")
                } else {
                    match event.reason {
                        Some(Reason::BadPassword) => login("FAILURE", "INVALID_CREDENTIALS"),
                        Some(Reason::Locked) => login("FAILURE", "LOCKED_OUT"),
                        Some(Reason::Blocked) => {
                            login("DENY", "Sign-on policy evaluation resulted in DENY")
                        }
                        _ => login("FAILURE", "VERIFICATION_ERROR"),
                    }
                }
            }
        },
        Kind::AuthMfa => {
            let via_mfa = |result| {
                let mut plan = Plan::new(
                    "user.authentication.auth_via_mfa",
                    "Authentication of user via MFA",
                    result,
                );
                plan.factor = Some(factor(event.channel));
                plan
            };
            match (outcome, event.reason) {
                (Outcome::Success, _) => via_mfa("SUCCESS"),
                (Outcome::Failure, Some(Reason::MfaDenied)) => Plan::new(
                    "user.mfa.okta_verify.deny_push",
                    "User rejected Okta push verify",
                    "FAILURE",
                )
                .reason("User rejected Okta push verify"),
                (Outcome::Failure, Some(Reason::MfaTimeout)) => {
                    via_mfa("FAILURE").reason("TIMEOUT")
                }
                (Outcome::Failure, Some(Reason::BadCode)) => {
                    via_mfa("FAILURE").reason("INVALID_CREDENTIALS")
                }
                (Outcome::Failure, Some(Reason::Locked)) => via_mfa("FAILURE").reason("LOCKED_OUT"),
                (Outcome::Failure, Some(Reason::Blocked)) => {
                    via_mfa("FAILURE").reason("FastPass declined phishing attempt")
                }
                (Outcome::Failure, _) => via_mfa("FAILURE"),
            }
        }
        Kind::RecoveryCodeSent => match event.channel {
            Some(Channel::Sms) => Plan::new(
                "system.sms.send_password_reset_message",
                "Send user password reset SMS",
                result(outcome),
            ),
            Some(Channel::App) => Plan::new(
                "system.voice.send_password_reset_call",
                "Send user password reset voice call",
                result(outcome),
            ),
            Some(Channel::Email) | None => Plan::new(
                "system.email.password_reset.sent_message",
                "Send user password reset email",
                result(outcome),
            ),
        }
        .cast(Cast::SystemOnUser),
        Kind::RecoveryReset => Plan::new(
            "user.account.reset_password",
            "Fired when the user's Okta password is reset",
            result(outcome),
        )
        .cast(Cast::SystemOnUser),
        Kind::AccountRecoveryInfoChange => match event.channel {
            Some(Channel::Email) | None => Plan::new(
                "user.account.update_primary_email",
                "Update primary email",
                result(outcome),
            ),
            // Okta keeps a phone as an SMS or voice factor, not as a profile attribute.
            Some(Channel::Sms) => Plan::new(
                "user.mfa.factor.activate",
                "Activate factor or authenticator",
                result(outcome),
            )
            .reason("User set up SMS_FACTOR factor"),
            Some(Channel::App) => Plan::new(
                "user.mfa.factor.activate",
                "Activate factor or authenticator",
                result(outcome),
            )
            .reason("User set up CALL_FACTOR factor"),
        }
        .cast(Cast::OnUser),
        Kind::AccountMfaChange => if by_admin {
            Plan::new(
                "user.mfa.factor.deactivate",
                "Reset factor for user",
                result(outcome),
            )
            .reason(match event.channel {
                Some(Channel::App) => "User reset OKTA_VERIFY_PUSH factor",
                Some(Channel::Sms) => "User reset SMS_FACTOR factor",
                Some(Channel::Email) => "User reset EMAIL_FACTOR factor",
                None => "User reset FIDO_WEBAUTHN factor",
            })
        } else {
            Plan::new(
                "user.mfa.factor.activate",
                "Activate factor or authenticator",
                result(outcome),
            )
            .reason(match event.channel {
                Some(Channel::App) => "User set up OKTA_VERIFY_PUSH factor",
                Some(Channel::Sms) => "User set up SMS_FACTOR factor",
                Some(Channel::Email) => "User set up EMAIL_FACTOR factor",
                None => "User set up FIDO_WEBAUTHN factor",
            })
        }
        .cast(Cast::OnUser),
        Kind::AccountPasswordChange => Plan::new(
            "user.account.update_password",
            "User update password for Okta",
            result(outcome),
        )
        .cast(Cast::OnUser),
        Kind::SessionStart => match outcome {
            Outcome::Success => Plan {
                authenticator: Some("Password"),
                app: Some("Okta Dashboard"),
                ..Plan::new("user.session.start", "User login to Okta", "SUCCESS")
                    .legacy("core.user_auth.login_success")
            },
            Outcome::Failure => Plan {
                app: Some("Okta Dashboard"),
                ..Plan::new(
                    "application.policy.sign_on.deny_access",
                    "User attempted unauthorized access to app",
                    "FAILURE",
                )
            },
        },
        Kind::AppConsent => Plan {
            app: Some("Mail Sync Pro"),
            ..Plan::new(
                "app.oauth2.as.consent.grant",
                "User granted consent to app",
                result(outcome),
            )
            .cast(Cast::OnUser)
        },
        // Okta logs the lock with the result of the sign-in that triggered it.
        Kind::AccountLockout => Plan::new(
            "user.account.lock",
            "Max sign in attempts exceeded",
            "FAILURE",
        )
        .reason("LOCKED_OUT")
        .legacy("core.user_auth.account_locked"),
    })
}

#[derive(Serialize)]
struct LogEvent<'a> {
    actor: Principal<'a>,
    client: Client<'a>,
    #[serde(rename = "authenticationContext")]
    authentication_context: AuthenticationContext<'a>,
    #[serde(rename = "displayMessage")]
    display_message: &'static str,
    #[serde(rename = "eventType")]
    event_type: &'static str,
    outcome: LogOutcome,
    published: String,
    #[serde(rename = "securityContext")]
    security_context: SecurityContext<'a>,
    severity: &'static str,
    #[serde(rename = "debugContext")]
    debug_context: DebugContext<'a>,
    #[serde(rename = "legacyEventType")]
    legacy_event_type: Option<&'static str>,
    transaction: Transaction,
    uuid: String,
    version: &'static str,
    request: LogRequest<'a>,
    target: Vec<Principal<'a>>,
}

#[derive(Serialize)]
struct Principal<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "alternateId")]
    alternate_id: Cow<'a, str>,
    #[serde(rename = "displayName")]
    display_name: Cow<'a, str>,
    #[serde(rename = "detailEntry")]
    detail_entry: Option<DetailEntry>,
}

#[derive(Serialize)]
struct DetailEntry {
    #[serde(rename = "methodTypeUsed")]
    method_type_used: &'static str,
    #[serde(rename = "methodUsedVerifiedProperties")]
    method_used_verified_properties: &'static str,
}

#[derive(Serialize)]
struct Client<'a> {
    #[serde(rename = "userAgent")]
    user_agent: Option<UserAgent<'a>>,
    zone: &'static str,
    device: &'static str,
    id: Option<&'static str>,
    #[serde(rename = "ipAddress")]
    ip_address: Option<String>,
    #[serde(rename = "geographicalContext")]
    geographical_context: Option<GeographicalContext<'a>>,
}

#[derive(Serialize)]
struct UserAgent<'a> {
    #[serde(rename = "rawUserAgent")]
    raw_user_agent: &'a str,
    os: &'static str,
    browser: &'static str,
}

#[derive(Serialize, Clone, Copy)]
struct GeographicalContext<'a> {
    city: Option<&'a str>,
    state: Option<&'a str>,
    country: Option<&'static str>,
    #[serde(rename = "postalCode")]
    postal_code: Option<&'a str>,
    geolocation: Option<()>,
}

#[derive(Serialize)]
struct AuthenticationContext<'a> {
    #[serde(rename = "authenticationProvider")]
    authentication_provider: Option<&'static str>,
    #[serde(rename = "credentialProvider")]
    credential_provider: Option<&'static str>,
    #[serde(rename = "credentialType")]
    credential_type: Option<&'static str>,
    issuer: Option<&'static str>,
    interface: Option<&'static str>,
    #[serde(rename = "authenticationStep")]
    authentication_step: u32,
    #[serde(rename = "externalSessionId")]
    external_session_id: &'a str,
}

#[derive(Serialize)]
struct LogOutcome {
    result: &'static str,
    reason: Option<&'static str>,
}

#[derive(Serialize)]
struct SecurityContext<'a> {
    #[serde(rename = "asNumber")]
    as_number: Option<u32>,
    #[serde(rename = "asOrg")]
    as_org: Option<&'a str>,
    isp: Option<&'a str>,
    domain: Option<&'static str>,
    #[serde(rename = "isProxy")]
    is_proxy: bool,
}

#[derive(Serialize)]
struct DebugContext<'a> {
    #[serde(rename = "debugData")]
    debug_data: DebugData<'a>,
}

#[derive(Serialize)]
struct DebugData<'a> {
    #[serde(rename = "requestId")]
    request_id: String,
    #[serde(rename = "requestUri")]
    request_uri: &'static str,
    url: &'static str,
    #[serde(rename = "threatSuspected")]
    threat_suspected: &'static str,
    #[serde(rename = "deviceFingerprint", skip_serializing_if = "Option::is_none")]
    device_fingerprint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    factor: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk: Option<&'static str>,
}

#[derive(Serialize)]
struct Transaction {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    detail: Detail,
}

#[derive(Serialize)]
struct Detail {}

#[derive(Serialize)]
struct LogRequest<'a> {
    #[serde(rename = "ipChain")]
    ip_chain: Vec<IpChainEntry<'a>>,
}

#[derive(Serialize)]
struct IpChainEntry<'a> {
    ip: String,
    #[serde(rename = "geographicalContext")]
    geographical_context: Option<GeographicalContext<'a>>,
    version: &'static str,
    source: Option<&'static str>,
}

fn record<'a>(
    event: &'a AuthEvent<'a>,
    context: &'a RenderContext<'a>,
    plan: &Plan,
) -> LogEvent<'a> {
    let user = user_principal(event, context);
    let admin = event.actor.as_deref().map(|actor| Principal {
        id: okta_id("00u", context.actor_id),
        kind: "User",
        alternate_id: Cow::Borrowed(actor),
        display_name: Cow::Owned(name_of(actor)),
        detail_entry: None,
    });
    let (actor, target_user) = match plan.cast {
        Cast::User => (user, None),
        Cast::OnUser => match admin {
            Some(admin) => (admin, Some(user)),
            None => (user_principal(event, context), Some(user)),
        },
        Cast::SystemOnUser => match admin {
            Some(admin) => (admin, Some(user)),
            None => (
                Principal {
                    id: okta_id("0oa", hash(context.tenant_domain)),
                    kind: "SystemPrincipal",
                    alternate_id: Cow::Borrowed("system@okta.com"),
                    display_name: Cow::Borrowed("Okta System"),
                    detail_entry: None,
                },
                Some(user),
            ),
        },
    };
    let mut target = Vec::new();
    target.extend(target_user);
    if let Some(authenticator) = plan.authenticator {
        target.push(Principal {
            id: okta_id("lae", context.account_id ^ 0xa7),
            kind: "AuthenticatorEnrollment",
            alternate_id: Cow::Borrowed("unknown"),
            display_name: Cow::Borrowed(authenticator),
            detail_entry: Some(DetailEntry {
                method_type_used: authenticator,
                method_used_verified_properties: "[]",
            }),
        });
    }
    if let Some(app) = plan.app {
        target.push(Principal {
            id: okta_id("0oa", hash(app)),
            kind: "AppInstance",
            alternate_id: Cow::Borrowed(app),
            display_name: Cow::Borrowed(app),
            detail_entry: None,
        });
    }

    let geo = GeographicalContext {
        city: context.city,
        state: None,
        country: event.country.and_then(|c| country_name(c.as_str())),
        postal_code: None,
        geolocation: None,
    };
    let geo = (geo.city.is_some() || geo.country.is_some()).then_some(geo);
    let ip = event.ip.map(|ip| ip.to_string());
    let (os, browser) = os_and_browser(event.user_agent.as_deref());
    let request_id = okta_id("Z", context.seq ^ 0x7e9);

    LogEvent {
        actor,
        client: Client {
            user_agent: event.user_agent.as_deref().map(|raw| UserAgent {
                raw_user_agent: raw,
                os,
                browser,
            }),
            zone: "null",
            device: if os == "iOS" || os == "Android" {
                "Mobile"
            } else {
                "Computer"
            },
            id: None,
            ip_address: ip.clone(),
            geographical_context: geo,
        },
        authentication_context: AuthenticationContext {
            authentication_provider: None,
            credential_provider: None,
            credential_type: None,
            issuer: None,
            interface: None,
            authentication_step: 0,
            external_session_id: event.session.as_deref().unwrap_or("unknown"),
        },
        display_message: plan.display_message,
        event_type: plan.event_type,
        outcome: LogOutcome {
            result: plan.result,
            reason: plan.reason,
        },
        published: published(event.time),
        security_context: SecurityContext {
            as_number: event.asn,
            as_org: context.network_org,
            isp: context.network_org,
            domain: None,
            is_proxy: false,
        },
        severity: match plan.result {
            "SUCCESS" | "ALLOW" => "INFO",
            _ => "WARN",
        },
        debug_context: DebugContext {
            debug_data: DebugData {
                request_id: request_id.clone(),
                request_uri: request_uri(plan.event_type),
                url: request_uri(plan.event_type),
                threat_suspected: "false",
                device_fingerprint: event.device_id.as_deref(),
                factor: plan.factor,
                risk: event.risk.map(|risk| match risk {
                    Risk::Low => "{level=LOW}",
                    Risk::Medium => "{level=MEDIUM}",
                    Risk::High => "{level=HIGH}",
                }),
            },
        },
        legacy_event_type: plan.legacy_event_type,
        transaction: Transaction {
            kind: "WEB",
            id: request_id,
            detail: Detail {},
        },
        uuid: super::uuid(context.seq),
        version: "0",
        request: LogRequest {
            ip_chain: ip
                .into_iter()
                .map(|ip| IpChainEntry {
                    version: if ip.contains(':') { "V6" } else { "V4" },
                    ip,
                    geographical_context: geo,
                    source: None,
                })
                .collect(),
        },
        target,
    }
}

/// The user the event is about; Okta writes the id `unknown` for an identifier it could not
/// resolve to a user.
fn user_principal<'a>(event: &'a AuthEvent<'a>, context: &RenderContext<'a>) -> Principal<'a> {
    let exists = event.account_exists != Some(false);
    Principal {
        id: if exists {
            okta_id("00u", context.account_id)
        } else {
            "unknown".to_owned()
        },
        kind: "User",
        alternate_id: Cow::Borrowed(&event.account),
        display_name: Cow::Borrowed(match context.display_name {
            Some(name) if exists => name,
            _ => "unknown",
        }),
        detail_entry: None,
    }
}

/// The endpoint Okta's debug data names for the step.
fn request_uri(event_type: &str) -> &'static str {
    match event_type {
        "user.session.start" | "user.authentication.verify" => "/idp/idx/challenge/answer",
        "user.authentication.auth_via_mfa" | "user.mfa.okta_verify.deny_push" => {
            "/idp/idx/authenticators/poll"
        }
        "system.email.password_reset.sent_message"
        | "system.sms.send_password_reset_message"
        | "system.voice.send_password_reset_call" => "/idp/idx/recover",
        "user.account.reset_password" => "/idp/idx/challenge/answer",
        "app.oauth2.as.consent.grant" => "/oauth2/v1/authorize",
        _ => "/api/v1/users",
    }
}

/// `published`: RFC 3339 in UTC with milliseconds, as the System Log API writes it.
fn published(time: jiff::Timestamp) -> String {
    // jiff writes a timestamp in UTC with `Z`, and exactly as many fractional digits as the
    // precision asks for.
    format!("{time:.3}")
}

/// An Okta object id: a three-letter type prefix (`00u` users, `0oa` apps, `lae`
/// authenticator enrollments) and 17 base-62 characters, stable for the seed.
fn okta_id(prefix: &str, seed: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut id = String::with_capacity(20);
    id.push_str(prefix);
    let mut state = crate::rng::mix(seed ^ 0x0c7a);
    for i in 0..(20 - prefix.len().min(20)) {
        if i % 10 == 9 {
            state = crate::rng::mix(state);
        }
        id.push(ALPHABET[(state % 62) as usize] as char);
        state /= 62;
    }
    id
}

/// A stable number for a name (FNV-1a), for ids of things named by text.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// "Amy Helpdesk" from `helpdesk.amy@example.com`: a display name for an admin the context
/// names only by login.
fn name_of(login: &str) -> String {
    let local = login.split('@').next().unwrap_or(login);
    let mut words: Vec<String> = local
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect();
    words.reverse();
    words.join(" ")
}

/// Okta's English name of a country (`client.geographicalContext.country`).
fn country_name(code: &str) -> Option<&'static str> {
    COUNTRY_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// The countries the simulator places sources in, by ISO 3166-1 alpha-2 code, with the name
/// Okta's geolocation gives them.
pub const COUNTRY_NAMES: &[(&str, &str)] = &[
    ("AE", "United Arab Emirates"),
    ("AR", "Argentina"),
    ("AT", "Austria"),
    ("AU", "Australia"),
    ("BD", "Bangladesh"),
    ("BE", "Belgium"),
    ("BG", "Bulgaria"),
    ("BR", "Brazil"),
    ("BY", "Belarus"),
    ("CA", "Canada"),
    ("CH", "Switzerland"),
    ("CL", "Chile"),
    ("CN", "China"),
    ("CO", "Colombia"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DK", "Denmark"),
    ("EG", "Egypt"),
    ("ES", "Spain"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("GR", "Greece"),
    ("HK", "Hong Kong"),
    ("HU", "Hungary"),
    ("ID", "Indonesia"),
    ("IE", "Ireland"),
    ("IL", "Israel"),
    ("IN", "India"),
    ("IR", "Iran"),
    ("IT", "Italy"),
    ("JP", "Japan"),
    ("KE", "Kenya"),
    ("KP", "North Korea"),
    ("KR", "South Korea"),
    ("KZ", "Kazakhstan"),
    ("LT", "Lithuania"),
    ("MX", "Mexico"),
    ("MY", "Malaysia"),
    ("NG", "Nigeria"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("NZ", "New Zealand"),
    ("PH", "Philippines"),
    ("PK", "Pakistan"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("RO", "Romania"),
    ("RU", "Russia"),
    ("SA", "Saudi Arabia"),
    ("SE", "Sweden"),
    ("SG", "Singapore"),
    ("TH", "Thailand"),
    ("TR", "Turkey"),
    ("TW", "Taiwan"),
    ("UA", "Ukraine"),
    ("US", "United States"),
    ("VN", "Vietnam"),
    ("ZA", "South Africa"),
];

/// `client.userAgent.os` and `.browser` as Okta names them (`Windows 10`, `CHROME`).
fn os_and_browser(raw: Option<&str>) -> (&'static str, &'static str) {
    let Some(raw) = raw else {
        return ("Unknown", "UNKNOWN");
    };
    let parts = super::auth0::parse_user_agent(raw);
    let os = match parts.os {
        "Windows" if parts.os_version.starts_with("10") => "Windows 10",
        "Windows" => "Windows",
        "Mac OS X" => "Mac OS X",
        "iOS" => "iOS",
        "Android" => "Android",
        "Linux" => "Linux",
        "Chrome OS" => "Chrome OS",
        _ => "Unknown",
    };
    let browser = match parts.browser {
        "Chrome" | "Chrome Mobile" | "Chrome Mobile iOS" => "CHROME",
        "Firefox" => "FIREFOX",
        "Safari" | "Mobile Safari" => "SAFARI",
        "Edge" => "EDGE_CHROMIUM",
        "Opera" => "OPERA",
        _ => "UNKNOWN",
    };
    (os, browser)
}
