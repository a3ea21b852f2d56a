//! Microsoft Entra ID sign-in and audit logs, as Microsoft Graph returns them: beta
//! [`signIn`](https://learn.microsoft.com/graph/api/resources/signin) objects in `signins.jsonl`
//! (beta, because only it carries `userAgent`, `sessionId` and `autonomousSystemNumber`) and
//! [`directoryAudit`](https://learn.microsoft.com/graph/api/resources/directoryaudit) objects in
//! `audit.jsonl`, one object a line. Graph rather than the Azure Monitor envelope because Graph
//! keeps the sign-in's own time to 100 ns and nothing the envelope adds is read.
//!
//! Sign-ins carry the AADSTS code the decoder maps
//! (<https://learn.microsoft.com/entra/identity-platform/reference-error-codes>), audits the
//! activity names of the audit reference and the self-service password reset report
//! (<https://learn.microsoft.com/entra/identity/authentication/howto-sspr-reporting>).
//!
//! | forewarn kind / outcome (reason, channel) | written | decodes back as / lost |
//! | --- | --- | --- |
//! | `account.lookup` success | audit "Self-service password reset flow activity progress", "User submitted their user ID" | same |
//! | `account.lookup` failure | nothing: Entra logs no lookup of a name it does not know | lost |
//! | `auth.password` success | nothing: Entra writes one sign-in record per attempt, whose `authenticationDetails` show the password step | recovered from the MFA and policy records that follow (their `Password` step `succeeded: true`); lost before a plain `session.start` |
//! | `auth.password` failure `bad_password` | sign-in 50126 | same; `account_exists` unknown |
//! | `auth.password` failure `unknown_account` | sign-in 50034 | same, `account_exists: false` |
//! | `auth.password` failure `locked` | sign-in 50053 (smart lockout text) | same |
//! | `auth.password` failure `blocked` | sign-in 50053 ("…IP address with malicious activity"): Entra's block of a source | same (the failure text tells it from a lockout) |
//! | `auth.mfa` success | sign-in 50074, interactive, method `Mobile app notification` / `Text message` / `Email` | an `auth.password` success (the password step) then the `auth.mfa` success with its channel |
//! | `auth.mfa` failure `mfa_denied` / `mfa_timeout` / `bad_code` / `blocked` | sign-in 500121, "MFA denied; user declined the authentication" / "…did not respond to mobile app notification" (app) or "…never entered the verification code" / "…entered incorrect code" / "…user is blocked" | password success, then the failure with reason and channel |
//! | `auth.mfa` failure, no reason | sign-in 50076 from a legacy client (`IMAP4`, not interactive) | password success, then the failure |
//! | `recovery.start` success | audit SSPR progress "User was presented with verification options" | channel lost |
//! | `recovery.start` failure `blocked` / other | audit "Blocked from self-service password reset" / SSPR progress failure "User's account has insufficient authentication methods defined…" | same |
//! | `recovery.code_sent` | SSPR progress "User started the email / mobile SMS / mobile app notification verification option" | same channel; no channel writes the email option |
//! | `recovery.code_verify` success | SSPR progress "User completed the … verification option" | same |
//! | `recovery.code_verify` failure | SSPR progress failure "User entered an invalid verification code" | reason `bad_code`; channel lost |
//! | `recovery.reset` | audit "Reset password (self-service)" (Self-service Password Management); by an admin "Reset user password" (Core Directory) | same, actor kept |
//! | `account.recovery_info_change` | audit "User registered security info" ("User registered Email" / "Mobile Phone SMS" / "Office Phone" / "Security Questions"); by an admin "Admin registered email / phone method for user" | same channel; channel target lost |
//! | `account.mfa_change` | audit "User registered security info" ("User registered Authenticator App with Notification and Code", app), "User changed default security info" (sms, email), "User registered Fido2 Security Key" (none); by an admin "Update user" changing `StrongAuthenticationPhoneAppDetail` (app) or `StrongAuthenticationMethod` | same; sms / email channel lost |
//! | `account.password_change` | audit "Change password (self-service)"; by an admin "Change user password" | same |
//! | `session.start` success | sign-in 0 | same |
//! | `session.start` failure `blocked` / other | sign-in 53003 with the password step passed / 50000 | `auth.password` success then the block / failure |
//! | `app.consent` | audit "Consent to application" (Core Directory), the user as initiator | same; an acting admin is lost (Entra files consent under whoever consented) |
//! | `mailbox.rule_create` | nothing (an Exchange record, see `m365`) | lost |
//! | `account.lockout` | nothing: smart lockout shows only as 50053 on the refused attempts | lost |
//!
//! Audits keep neither `account_exists`, country, ASN nor device. Sessions become GUIDs
//! derived from the simulator's session (`sessionId` of sign-ins, `correlationId` of audits,
//! equal for equal sessions); devices likewise become `deviceDetail.deviceId` GUIDs.

use std::borrow::Cow;
use std::fmt::Write;
use std::net::IpAddr;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason, Risk, Timestamp};
use serde::Serialize;

use super::{uuid, RenderContext, Renderer};

pub struct EntraRenderer;

const SIGN_INS: usize = 0;
const AUDITS: usize = 1;

impl Renderer for EntraRenderer {
    fn format(&self) -> Format {
        Format::Entra
    }

    fn files(&self) -> &'static [&'static str] {
        &["signins.jsonl", "audit.jsonl"]
    }

    fn render(&mut self, event: &AuthEvent<'_>, context: &RenderContext<'_>, out: &mut [Vec<u8>]) {
        if let Some(result) = sign_in_result(event) {
            sign_in(event, context, &result, &mut out[SIGN_INS]);
        } else if let Some(activity) = audit_activity(event) {
            audit(event, context, &activity, &mut out[AUDITS]);
        }
    }
}

fn write_line(out: &mut Vec<u8>, record: &impl Serialize) {
    // Records are strings, numbers and lists of them: serializing into a Vec cannot fail.
    serde_json::to_writer(&mut *out, record).expect("records serialize");
    out.push(b'\n');
}

// ---------------------------------------------------------------------------------------------
// Ids and values shared with the Microsoft 365 renderer

/// 64-bit FNV-1a, to derive ids from texts (sessions, devices, the tenant's domain).
pub(super) fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Salts so that ids of different things derived from the same number differ.
pub(super) mod salt {
    pub const RECORD: u64 = 0x7265_636f_7264;
    pub const USER: u64 = 0x7573_6572;
    pub const TENANT: u64 = 0x7465_6e61_6e74;
    pub const SESSION: u64 = 0x7365_7373;
    pub const CORRELATION: u64 = 0x636f_7272;
    pub const DEVICE: u64 = 0x6465_7669;
    pub const APP: u64 = 0x0061_7070;
}

/// The Entra object id of a user (or of the acting admin, from `actor_id`).
pub(super) fn user_id(number: u64) -> String {
    uuid(number ^ salt::USER)
}

/// The tenant id: one per identity-provider domain.
pub(super) fn tenant_id(domain: &str) -> String {
    uuid(hash(domain) ^ salt::TENANT)
}

/// A GUID standing for a simulator id (session, device): equal ids give equal GUIDs.
pub(super) fn guid_of(text: &str, salt: u64) -> String {
    uuid(hash(text) ^ salt)
}

/// The operating system and browser a user agent names, as (os, browser, version).
pub(super) fn client_of(user_agent: &str) -> (&'static str, &'static str, &str) {
    let os = if user_agent.contains("Windows") {
        "Windows"
    } else if user_agent.contains("iPhone") || user_agent.contains("iPad") {
        "iOS"
    } else if user_agent.contains("Mac OS X") {
        "MacOS"
    } else if user_agent.contains("Android") {
        "Android"
    } else if user_agent.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    // Edge and Chrome also say "Chrome/" and "Safari/": test the most specific first.
    let (browser, token) = [
        ("Edge", "Edg/"),
        ("Firefox", "Firefox/"),
        ("Chrome", "Chrome/"),
        ("Safari", "Version/"),
    ]
    .into_iter()
    .find(|(_, token)| user_agent.contains(token))
    .unwrap_or(("", ""));
    let version = if token.is_empty() {
        ""
    } else {
        user_agent
            .split_once(token)
            .map(|(_, rest)| rest.split(' ').next().unwrap_or(""))
            .unwrap_or("")
    };
    (os, browser, version)
}

/// Graph's time: UTC with seven fractional digits (100 ns ticks).
fn graph_time(time: Timestamp) -> String {
    let mut text = time.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let ticks = time.subsec_nanosecond().unsigned_abs() / 100;
    write!(text, ".{ticks:07}Z").expect("writing to a String cannot fail");
    text
}

// ---------------------------------------------------------------------------------------------
// Sign-ins

/// What a sign-in record says: its AADSTS code and texts, and its authentication steps.
struct SignInResult {
    code: i64,
    failure_reason: &'static str,
    additional_details: Option<&'static str>,
    /// The password step, when the record shows one: `Some(true)` passed.
    password: Option<bool>,
    /// The second factor, when the record shows one: method, whether it passed, its detail.
    mfa: Option<(&'static str, bool, &'static str)>,
    /// Asked of a legacy client that cannot show a prompt.
    legacy: bool,
}

impl SignInResult {
    fn new(code: i64, failure_reason: &'static str) -> Self {
        SignInResult {
            code,
            failure_reason,
            additional_details: None,
            password: None,
            mfa: None,
            legacy: false,
        }
    }
}

/// The method Entra names a second factor by.
fn mfa_method(channel: Option<Channel>) -> Option<&'static str> {
    match channel? {
        Channel::App => Some("Mobile app notification"),
        Channel::Sms => Some("Text message"),
        Channel::Email => Some("Email"),
    }
}

fn sign_in_result(event: &AuthEvent<'_>) -> Option<SignInResult> {
    let failed = event.outcome == Outcome::Failure;
    let result = match (event.kind, failed) {
        // The password step is shown inside the record that ends the attempt.
        (Kind::AuthPassword, false) => return None,
        (Kind::AuthPassword, true) => match event.reason {
            Some(Reason::UnknownAccount) => SignInResult::new(
                50034,
                "The user account does not exist in the directory. To sign into this \
                 application, the account must be added to the directory.",
            ),
            Some(Reason::Locked) => SignInResult::new(
                50053,
                "Account is locked because user tried to sign in too many times with an \
                 incorrect user ID or password.",
            ),
            Some(Reason::Blocked) => SignInResult::new(
                50053,
                "Sign-in was blocked because it came from an IP address with malicious \
                 activity",
            ),
            _ => SignInResult {
                password: Some(false),
                ..SignInResult::new(
                    50126,
                    "Invalid username or password or Invalid on-premise username or password.",
                )
            },
        },
        (Kind::AuthMfa, false) => SignInResult {
            additional_details: Some("The user is required to satisfy MFA requirement."),
            password: Some(true),
            mfa: mfa_method(event.channel).map(|m| (m, false, "MFA required in Azure AD")),
            ..SignInResult::new(50074, "Strong Authentication is required.")
        },
        (Kind::AuthMfa, true) => {
            let detail = match event.reason {
                Some(Reason::MfaTimeout) if event.channel == Some(Channel::App) => {
                    Some("MFA denied; user did not respond to mobile app notification")
                }
                Some(Reason::MfaTimeout) => Some("MFA denied; user never entered the verification code"),
                Some(Reason::BadCode) => Some("MFA denied; user entered incorrect code"),
                Some(Reason::Blocked) => Some("MFA denied; user is blocked"),
                Some(_) => Some("MFA denied; user declined the authentication"),
                None => None,
            };
            match detail {
                Some(detail) => SignInResult {
                    additional_details: Some(detail),
                    password: Some(true),
                    mfa: mfa_method(event.channel).map(|m| (m, false, detail)),
                    ..SignInResult::new(
                        500121,
                        "Authentication failed during strong authentication request.",
                    )
                },
                None => SignInResult {
                    password: Some(true),
                    legacy: true,
                    ..SignInResult::new(
                        50076,
                        "Due to a configuration change made by your administrator, or because \
                         you moved to a new location, you must use multi-factor \
                         authentication to access 'Office 365 Exchange Online'.",
                    )
                },
            }
        }
        (Kind::SessionStart, false) => SignInResult {
            password: Some(true),
            ..SignInResult::new(0, "Other.")
        },
        (Kind::SessionStart, true) if event.reason == Some(Reason::Blocked) => SignInResult {
            password: Some(true),
            ..SignInResult::new(53003, "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.")
        },
        (Kind::SessionStart, true) => {
            SignInResult::new(50000, "There was an issue with our sign-in service.")
        }
        _ => return None,
    };
    Some(result)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignIn<'a> {
    id: &'a str,
    created_date_time: &'a str,
    user_display_name: Option<&'a str>,
    user_principal_name: &'a str,
    user_id: &'a str,
    app_id: &'static str,
    app_display_name: &'static str,
    ip_address: Option<IpAddr>,
    client_app_used: &'static str,
    user_agent: Option<&'a str>,
    correlation_id: &'a str,
    conditional_access_status: &'static str,
    is_interactive: bool,
    risk_detail: &'static str,
    risk_level_aggregated: &'static str,
    risk_level_during_sign_in: &'static str,
    risk_state: &'static str,
    resource_display_name: &'static str,
    resource_id: &'static str,
    home_tenant_id: &'a str,
    resource_tenant_id: &'a str,
    status: Status,
    device_detail: DeviceDetail<'a>,
    location: Location<'a>,
    authentication_requirement: &'static str,
    authentication_details: Vec<AuthStep<'a>>,
    mfa_detail: Option<MfaDetail>,
    autonomous_system_number: Option<u32>,
    sign_in_event_types: [&'static str; 1],
    session_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    error_code: i64,
    failure_reason: &'static str,
    additional_details: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeviceDetail<'a> {
    device_id: &'a str,
    display_name: &'static str,
    operating_system: &'static str,
    browser: &'a str,
    is_compliant: bool,
    is_managed: bool,
    trust_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    city: Option<&'a str>,
    state: Option<&'a str>,
    country_or_region: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthStep<'a> {
    authentication_step_date_time: &'a str,
    authentication_method: &'static str,
    authentication_method_detail: Option<&'static str>,
    succeeded: bool,
    authentication_step_result_detail: &'static str,
    authentication_step_requirement: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MfaDetail {
    auth_method: &'static str,
    auth_detail: Option<&'static str>,
}

fn risk_level(risk: Option<Risk>) -> &'static str {
    match risk {
        None => "none",
        Some(Risk::Low) => "low",
        Some(Risk::Medium) => "medium",
        Some(Risk::High) => "high",
    }
}

fn sign_in(
    event: &AuthEvent<'_>,
    context: &RenderContext<'_>,
    result: &SignInResult,
    out: &mut Vec<u8>,
) {
    let time = graph_time(event.time);
    let tenant = tenant_id(context.tenant_domain);
    let exists = event.account_exists != Some(false);
    let user_id = if exists {
        user_id(context.account_id)
    } else {
        // Entra has no object for a name it does not know.
        "00000000-0000-0000-0000-000000000000".to_owned()
    };
    let id = uuid(context.seq ^ salt::RECORD);
    let session = event.session.as_deref();
    let correlation_id = match session {
        Some(s) => guid_of(s, salt::CORRELATION),
        None => uuid(context.seq ^ salt::CORRELATION),
    };
    let session_id = session.map(|s| guid_of(s, salt::SESSION));
    let device_id = event
        .device_id
        .as_deref()
        .map(|d| guid_of(d, salt::DEVICE))
        .unwrap_or_default();

    let user_agent = event.user_agent.as_deref();
    let (os, browser, version) = client_of(user_agent.unwrap_or(""));
    let browser = if browser.is_empty() {
        String::new()
    } else {
        // Entra shortens browser versions to three parts ("Chrome 76.0.3809").
        let version: Vec<&str> = version.split('.').take(3).collect();
        format!("{browser} {}", version.join("."))
    };
    let operating_system = match os {
        "Windows" => "Windows10",
        "iOS" => "Ios",
        "MacOS" => "MacOs",
        other => other,
    };

    let mut steps = Vec::with_capacity(2);
    if let Some(passed) = result.password {
        steps.push(AuthStep {
            authentication_step_date_time: &time,
            authentication_method: "Password",
            authentication_method_detail: Some("Password in the cloud"),
            succeeded: passed,
            authentication_step_result_detail: if passed {
                "Correct password"
            } else {
                "Invalid username or password or Invalid on-premise username or password."
            },
            authentication_step_requirement: "Primary authentication",
        });
    }
    if let Some((method, passed, detail)) = result.mfa {
        steps.push(AuthStep {
            authentication_step_date_time: &time,
            authentication_method: method,
            authentication_method_detail: None,
            succeeded: passed,
            authentication_step_result_detail: detail,
            authentication_step_requirement: "Multifactor authentication",
        });
    }
    let risk = risk_level(event.risk);
    let country = event.country.as_ref().map(|c| c.as_str());
    let record = SignIn {
        id: &id,
        created_date_time: &time,
        user_display_name: context.display_name,
        user_principal_name: &event.account,
        user_id: &user_id,
        app_id: OFFICE_HOME.0,
        app_display_name: OFFICE_HOME.1,
        ip_address: event.ip,
        client_app_used: if result.legacy { "IMAP4" } else { "Browser" },
        user_agent,
        correlation_id: &correlation_id,
        conditional_access_status: match result.code {
            0 => "success",
            53003 => "failure",
            _ => "notApplied",
        },
        is_interactive: !result.legacy,
        risk_detail: "none",
        risk_level_aggregated: risk,
        risk_level_during_sign_in: risk,
        risk_state: if event.risk.is_some() {
            "atRisk"
        } else {
            "none"
        },
        resource_display_name: EXCHANGE_ONLINE.1,
        resource_id: EXCHANGE_ONLINE.0,
        home_tenant_id: &tenant,
        resource_tenant_id: &tenant,
        status: Status {
            error_code: result.code,
            failure_reason: result.failure_reason,
            additional_details: result.additional_details,
        },
        device_detail: DeviceDetail {
            device_id: &device_id,
            display_name: "",
            operating_system,
            browser: &browser,
            is_compliant: false,
            is_managed: false,
            trust_type: "",
        },
        location: Location {
            city: context.city,
            state: None,
            country_or_region: country,
        },
        authentication_requirement: if result.mfa.is_some() || result.code == 50076 {
            "multiFactorAuthentication"
        } else {
            "singleFactorAuthentication"
        },
        authentication_details: steps,
        mfa_detail: result.mfa.map(|(method, _, _)| MfaDetail {
            auth_method: method,
            auth_detail: None,
        }),
        autonomous_system_number: event.asn,
        sign_in_event_types: [if result.legacy {
            "nonInteractiveUser"
        } else {
            "interactiveUser"
        }],
        session_id: session_id.as_deref(),
    };
    write_line(out, &record);
}

/// (appId, name) of the Microsoft first-party applications sign-ins go to.
const OFFICE_HOME: (&str, &str) = ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome");
const EXCHANGE_ONLINE: (&str, &str) = (
    "00000002-0000-0ff1-ce00-000000000000",
    "Office 365 Exchange Online",
);

// ---------------------------------------------------------------------------------------------
// Audits

/// What an audit record says.
struct Activity {
    name: &'static str,
    category: &'static str,
    logged_by: &'static str,
    operation_type: &'static str,
    succeeded: bool,
    result_reason: Cow<'static, str>,
    /// Written by the event's actor (an admin) rather than the account's owner.
    by_admin: bool,
    /// The user's changed properties; `None` when the target is an application (consent).
    modified: Option<Vec<ModifiedProperty>>,
}

const SSPR: &str = "Self-service Password Management";
const CORE_DIRECTORY: &str = "Core Directory";
const AUTH_METHODS: &str = "Authentication Methods";

impl Activity {
    fn new(name: &'static str, logged_by: &'static str, event: &AuthEvent<'_>) -> Self {
        Activity {
            name,
            category: "UserManagement",
            logged_by,
            operation_type: "Update",
            succeeded: event.outcome == Outcome::Success,
            result_reason: Cow::Borrowed(""),
            by_admin: event.actor.is_some(),
            modified: Some(Vec::new()),
        }
    }

    fn reason(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.result_reason = text.into();
        self
    }

    /// A step of a self-service password reset.
    fn sspr(event: &AuthEvent<'_>, text: impl Into<Cow<'static, str>>) -> Self {
        Activity {
            by_admin: false,
            ..Activity::new(
                "Self-service password reset flow activity progress",
                SSPR,
                event,
            )
        }
        .reason(text)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModifiedProperty {
    display_name: &'static str,
    old_value: Option<&'static str>,
    new_value: Option<String>,
}

fn modified(name: &'static str, old: &'static str, new: impl Into<String>) -> ModifiedProperty {
    ModifiedProperty {
        display_name: name,
        old_value: Some(old),
        new_value: Some(new.into()),
    }
}

/// The verification option a self-service reset names a channel by.
fn sspr_option(channel: Option<Channel>) -> &'static str {
    match channel {
        Some(Channel::Sms) => "mobile SMS",
        Some(Channel::App) => "mobile app notification",
        // Every option sends something but security questions; email is the usual one.
        Some(Channel::Email) | None => "email",
    }
}

fn audit_activity(event: &AuthEvent<'_>) -> Option<Activity> {
    let success = event.outcome == Outcome::Success;
    let admin = event.actor.is_some();
    let activity = match event.kind {
        Kind::AccountLookup if success => Activity::sspr(event, "User submitted their user ID"),
        Kind::RecoveryStart if success => {
            Activity::sspr(event, "User was presented with verification options")
        }
        Kind::RecoveryStart if event.reason == Some(Reason::Blocked) => Activity {
            // Entra logs the throttle itself as a success.
            succeeded: true,
            by_admin: false,
            ..Activity::new("Blocked from self-service password reset", SSPR, event)
        },
        Kind::RecoveryStart => Activity::sspr(
            event,
            "User's account has insufficient authentication methods defined. Add \
             authentication info to resolve this",
        ),
        Kind::RecoveryCodeSent => Activity::sspr(
            event,
            format!(
                "User started the {} verification option",
                sspr_option(event.channel)
            ),
        ),
        Kind::RecoveryCodeVerify if success => Activity::sspr(
            event,
            format!(
                "User completed the {} verification option",
                sspr_option(event.channel)
            ),
        ),
        Kind::RecoveryCodeVerify => {
            Activity::sspr(event, "User entered an invalid verification code")
        }
        Kind::RecoveryReset if admin => Activity::new("Reset user password", CORE_DIRECTORY, event),
        Kind::RecoveryReset => {
            Activity::new("Reset password (self-service)", SSPR, event).reason(if success {
                "Successfully completed reset."
            } else {
                "PasswordDoesnotComplyFuzzyPolicy"
            })
        }
        Kind::AccountRecoveryInfoChange if admin => Activity {
            operation_type: "Add",
            ..Activity::new(
                if event.channel == Some(Channel::Email) {
                    "Admin registered email method for user"
                } else {
                    "Admin registered phone method for user"
                },
                AUTH_METHODS,
                event,
            )
        },
        Kind::AccountRecoveryInfoChange => {
            Activity::new("User registered security info", AUTH_METHODS, event).reason(
                match event.channel {
                    Some(Channel::Email) => "User registered Email",
                    Some(Channel::Sms) => "User registered Mobile Phone SMS",
                    Some(Channel::App) => "User registered Office Phone",
                    None => "User registered Security Questions",
                },
            )
        }
        Kind::AccountMfaChange if admin => {
            // Resetting someone's methods is an "Update user" of their strong-authentication
            // attributes.
            let (name, old) = if event.channel == Some(Channel::App) {
                (
                    "StrongAuthenticationPhoneAppDetail",
                    "[{\"DeviceName\":\"iPhone\",\"DeviceTag\":\"SoftTokenActivated\",\"NotificationType\":\"APNS\",\"AuthenticationType\":\"Notification, OTP\"}]",
                )
            } else {
                (
                    "StrongAuthenticationMethod",
                    "[{\"MethodType\":6,\"IsDefault\":true}]",
                )
            };
            Activity {
                modified: Some(vec![
                    modified(name, old, "[]"),
                    modified(
                        "Included Updated Properties",
                        "",
                        format!("\"{name}\""),
                    ),
                ]),
                ..Activity::new("Update user", CORE_DIRECTORY, event)
            }
        }
        Kind::AccountMfaChange => match event.channel {
            Some(Channel::App) => Activity::new("User registered security info", AUTH_METHODS, event)
                .reason("User registered Authenticator App with Notification and Code"),
            Some(Channel::Sms) => Activity::new("User changed default security info", AUTH_METHODS, event)
                .reason("User changed default security info from Authenticator App with Notification and Code to Mobile Phone SMS"),
            Some(Channel::Email) => Activity::new("User changed default security info", AUTH_METHODS, event)
                .reason("User changed default security info from Authenticator App with Notification and Code to Email"),
            None => Activity::new("User registered security info", AUTH_METHODS, event)
                .reason("User registered Fido2 Security Key"),
        },
        Kind::AccountPasswordChange if admin => {
            Activity::new("Change user password", CORE_DIRECTORY, event)
        }
        Kind::AccountPasswordChange => {
            Activity::new("Change password (self-service)", SSPR, event)
        }
        Kind::AppConsent => Activity {
            category: "ApplicationManagement",
            operation_type: "Assign",
            // Entra files a consent under whoever gave it.
            by_admin: false,
            modified: None,
            ..Activity::new("Consent to application", CORE_DIRECTORY, event)
        },
        _ => return None,
    };
    Some(activity)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Audit<'a> {
    id: &'a str,
    category: &'static str,
    correlation_id: &'a str,
    result: &'static str,
    result_reason: &'a str,
    activity_display_name: &'static str,
    activity_date_time: &'a str,
    logged_by_service: &'static str,
    operation_type: &'static str,
    initiated_by: InitiatedBy<'a>,
    target_resources: [TargetResource<'a>; 1],
    additional_details: Vec<KeyValue<'a>>,
}

#[derive(Serialize)]
struct InitiatedBy<'a> {
    app: Option<()>,
    user: UserIdentity<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    id: &'a str,
    display_name: Option<&'a str>,
    user_principal_name: &'a str,
    ip_address: Option<IpAddr>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TargetResource<'a> {
    id: &'a str,
    display_name: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'static str,
    user_principal_name: Option<&'a str>,
    group_type: Option<()>,
    modified_properties: &'a [ModifiedProperty],
}

#[derive(Serialize)]
struct KeyValue<'a> {
    key: &'static str,
    value: &'a str,
}

/// Applications a user is lured into consenting to (names are the simulator's own).
const APPS: &[&str] = &[
    "Mail Sorter Pro",
    "PDF Converter Online",
    "Inbox Backup Assistant",
    "Calendar Sync Helper",
];

fn audit(
    event: &AuthEvent<'_>,
    context: &RenderContext<'_>,
    activity: &Activity,
    out: &mut Vec<u8>,
) {
    let time = graph_time(event.time);
    let id = match activity.logged_by {
        SSPR => format!("SSGM_{}", uuid(context.seq ^ salt::RECORD)),
        CORE_DIRECTORY => format!(
            "Directory_{}_{}",
            uuid(context.seq ^ salt::RECORD),
            &uuid(context.seq ^ salt::RECORD ^ 1)[..8]
        ),
        _ => uuid(context.seq ^ salt::RECORD),
    };
    // The steps of one reset flow, and everything of one session, share a correlation id.
    let correlation_id = match event.session.as_deref() {
        Some(s) => guid_of(s, salt::SESSION),
        None => uuid(context.seq ^ salt::CORRELATION),
    };
    let account_id = user_id(context.account_id);
    let (initiator_id, initiator_upn, initiator_name) = match event.actor.as_deref() {
        Some(actor) if activity.by_admin => (user_id(context.actor_id), actor, None),
        _ => (account_id.clone(), &*event.account, context.display_name),
    };
    let app_id;
    let target = match &activity.modified {
        Some(properties) => TargetResource {
            id: &account_id,
            display_name: context.display_name,
            kind: "User",
            user_principal_name: Some(&event.account),
            group_type: None,
            modified_properties: properties,
        },
        None => {
            let app = APPS[(context.seq % APPS.len() as u64) as usize];
            app_id = guid_of(app, salt::APP);
            TargetResource {
                id: &app_id,
                display_name: Some(app),
                kind: "ServicePrincipal",
                user_principal_name: None,
                group_type: None,
                modified_properties: &[],
            }
        }
    };
    let mut details = Vec::with_capacity(2);
    if let Some(agent) = event.user_agent.as_deref() {
        details.push(KeyValue {
            key: "User-Agent",
            value: agent,
        });
    }
    if activity.logged_by == CORE_DIRECTORY {
        details.push(KeyValue {
            key: "UserType",
            value: "Member",
        });
    }
    let record = Audit {
        id: &id,
        category: activity.category,
        correlation_id: &correlation_id,
        result: if activity.succeeded {
            "success"
        } else {
            "failure"
        },
        result_reason: &activity.result_reason,
        activity_display_name: activity.name,
        activity_date_time: &time,
        logged_by_service: activity.logged_by,
        operation_type: activity.operation_type,
        initiated_by: InitiatedBy {
            app: None,
            user: UserIdentity {
                id: &initiator_id,
                display_name: initiator_name,
                user_principal_name: initiator_upn,
                ip_address: event.ip,
            },
        },
        target_resources: [target],
        additional_details: details,
    };
    write_line(out, &record);
}
