//! OCSF 1.3 Authentication (3002) and Account Change (3001) events, one JSON object a line, as
//! an identity provider's OCSF export writes them (modelled on Okta's System Log in OCSF, as
//! Amazon Security Lake receives it: `metadata.product` "Okta System Log", the Okta event type
//! in `metadata.event_code`, Okta's `outcome.reason` in `status_detail`). The `ocsf` decoder and
//! docs/formats.md ("OCSF") define what is read. Sources:
//! <https://schema.ocsf.io/1.3.0/classes/authentication>,
//! <https://schema.ocsf.io/1.3.0/classes/account_change>,
//! <https://schema.ocsf.io/1.3.0/objects/auth_factor>.
//!
//! | forewarn kind / outcome | record written | lost |
//! | --- | --- | --- |
//! | `account.lookup` | nothing: OCSF has no lookup activity | all |
//! | `auth.password` success | nothing: a Logon success is the session (`session.start`) | all |
//! | `auth.password` failure | 3002 Logon (`type_uid` 300201), `status_id` 2, `status_detail` `INVALID_CREDENTIALS` (`bad_password`), `UNKNOWN_USER` (`unknown_account`), `LOCKED_OUT` (`locked`), `Sign-on policy evaluation resulted in DENY` (`blocked`), none otherwise | |
//! | `auth.mfa` success | nothing: a Logon with `is_mfa: true` reads as a session granted, which a push sent is not; the `session.start` that follows a passed factor is written | the passed factor |
//! | `auth.mfa` failure | 3002 Logon failure, `auth_factors` [the factor], `status_detail` `User rejected Okta push verify` (`mfa_denied`), `Okta Verify push expired` (`mfa_timeout`), `Invalid passcode` (`bad_code`) | `blocked` and other reasons read as an `auth.password` failure |
//! | `recovery.start`, `recovery.code_sent`, `recovery.code_verify` | nothing: no OCSF activity | all |
//! | `recovery.reset` | 3001 Password Reset (300104) | |
//! | `account.recovery_info_change` | nothing: no OCSF activity | all |
//! | `account.mfa_change` | 3001 MFA Factor Enable (300110) by the user, MFA Factor Disable (300111) by an admin, with `auth_factors` | |
//! | `account.password_change` | 3001 Password Change (300103) | |
//! | `session.start` | 3002 Logon success (`is_mfa: false`) | |
//! | `mailbox.rule_create`, `app.consent` | nothing: no OCSF activity | all |
//! | `account.lockout` | 3001 Lock (300109) | |
//!
//! Factors (`factor_type_id`): sms → 1 SMS (`phone_number`), email → 8 Email (`email_addr`),
//! app → 5 Push Notification, or 7 OTP for `bad_code`. Never carried: `account_exists` but for
//! unknown users, `risk` (OCSF Authentication has none), `actor` of sign-ins; time is kept to
//! the millisecond. Where Okta's own reason text would not say the failure (it writes
//! `INVALID_CREDENTIALS` for a rejected push too), the text written is one that names it.

use std::net::IpAddr;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};
use serde::Serialize;

use super::{RenderContext, Renderer};

pub struct OcsfRenderer;

const AUTHENTICATION: u32 = 3002;
const ACCOUNT_CHANGE: u32 = 3001;

impl Renderer for OcsfRenderer {
    fn format(&self) -> Format {
        Format::Ocsf
    }

    fn files(&self) -> &'static [&'static str] {
        &["events.jsonl"]
    }

    fn render(&mut self, event: &AuthEvent<'_>, context: &RenderContext<'_>, out: &mut [Vec<u8>]) {
        let Some(activity) = activity(event) else {
            return;
        };
        let account = event.account.as_ref();
        let user = User::person(account, context.display_name, context.account_id);
        let admin = event
            .actor
            .as_deref()
            .filter(|actor| *actor != account)
            .map(|actor| User::admin(actor, context.actor_id));
        let success = event.outcome == Outcome::Success;
        let sign_in = activity.class == AUTHENTICATION;
        let factor = factor(event);
        let auth_factors = match (event.kind, factor) {
            (Kind::AuthMfa | Kind::AccountMfaChange, Some(f)) => Some(vec![f]),
            _ => None,
        };
        let time = event.time.as_millisecond();
        let record = Record {
            activity_id: activity.id,
            activity_name: activity.name,
            category_uid: 3,
            category_name: "Identity & Access Management",
            class_uid: activity.class,
            class_name: if sign_in {
                "Authentication"
            } else {
                "Account Change"
            },
            type_uid: activity.class * 100 + activity.id,
            type_name: activity.type_name,
            severity_id: 1,
            severity: "Informational",
            status_id: if success { 1 } else { 2 },
            status: if success { "Success" } else { "Failure" },
            status_detail: (!success).then(|| status_detail(event)).flatten(),
            time,
            time_dt: format!("{:.3}", event.time),
            message: activity.message,
            is_mfa: sign_in.then_some(event.kind == Kind::AuthMfa),
            auth_factors,
            actor: Actor {
                user: admin.unwrap_or_else(|| user.clone()),
                session: event.session.as_deref().map(|uid| Uid { uid }),
            },
            user,
            src_endpoint: Endpoint::of(event, context),
            dst_endpoint: DstEndpoint {
                svc_name: "Okta",
                hostname: format!("{}.okta.com", org(context.tenant_domain)),
            },
            http_request: event
                .user_agent
                .as_deref()
                .map(|user_agent| HttpRequest { user_agent }),
            device: event.device_id.as_deref().map(|uid| Uid { uid }),
            metadata: Metadata {
                version: "1.3.0",
                product: Product {
                    name: "Okta System Log",
                    vendor_name: "Okta",
                },
                event_code: activity.event_code,
                uid: super::uuid(context.seq ^ 0x0c5f),
                log_name: "system_log",
            },
        };
        let out = &mut out[0];
        serde_json::to_writer(&mut *out, &record).expect("OCSF events serialize");
        out.push(b'\n');
    }
}

/// An OCSF class and activity, with the Okta event it stands for.
struct Activity {
    class: u32,
    id: u32,
    name: &'static str,
    type_name: &'static str,
    event_code: &'static str,
    message: &'static str,
}

const fn logon(event_code: &'static str, message: &'static str) -> Activity {
    Activity {
        class: AUTHENTICATION,
        id: 1,
        name: "Logon",
        type_name: "Authentication: Logon",
        event_code,
        message,
    }
}

fn activity(event: &AuthEvent<'_>) -> Option<Activity> {
    let by_admin = event
        .actor
        .as_deref()
        .is_some_and(|a| a != event.account.as_ref());
    let change = |id, name, type_name, event_code, message| Activity {
        class: ACCOUNT_CHANGE,
        id,
        name,
        type_name,
        event_code,
        message,
    };
    Some(match (event.kind, event.outcome) {
        (Kind::AuthPassword, Outcome::Failure) | (Kind::SessionStart, _) => {
            logon("user.session.start", "User login to Okta")
        }
        // `auth.mfa` success is both "challenge sent" and "factor passed" in the event model; an
        // OCSF Logon with `is_mfa` means a session was granted, which a push merely sent is
        // not. The session itself is its own `session.start` event, so nothing is lost.
        (Kind::AuthMfa, Outcome::Success) => return None,
        (Kind::AuthMfa, _) => logon(
            "user.authentication.auth_via_mfa",
            "Authentication of user via MFA",
        ),
        (Kind::RecoveryReset, _) => change(
            4,
            "Password Reset",
            "Account Change: Password Reset",
            "user.account.reset_password",
            "Reset password for user",
        ),
        (Kind::AccountMfaChange, _) if by_admin => change(
            11,
            "MFA Factor Disable",
            "Account Change: MFA Factor Disable",
            "user.mfa.factor.reset_all",
            "Reset all factors for user",
        ),
        (Kind::AccountMfaChange, _) => change(
            10,
            "MFA Factor Enable",
            "Account Change: MFA Factor Enable",
            "user.mfa.factor.activate",
            "Activate factor or authenticator",
        ),
        (Kind::AccountPasswordChange, _) => change(
            3,
            "Password Change",
            "Account Change: Password Change",
            "user.account.update_password",
            "User update password for Okta",
        ),
        (Kind::AccountLockout, _) => change(
            9,
            "Lock",
            "Account Change: Lock",
            "user.account.lock",
            "Max sign in attempts exceeded",
        ),
        (Kind::AccountLookup, _)
        | (Kind::AuthPassword, Outcome::Success)
        | (Kind::RecoveryStart | Kind::RecoveryCodeSent | Kind::RecoveryCodeVerify, _)
        | (Kind::AccountRecoveryInfoChange | Kind::MailboxRuleCreate | Kind::AppConsent, _) => {
            return None
        }
    })
}

/// Okta's `outcome.reason`, or a text that names the failure where Okta's would not.
fn status_detail(event: &AuthEvent<'_>) -> Option<&'static str> {
    Some(match event.reason? {
        Reason::BadPassword => "INVALID_CREDENTIALS",
        Reason::UnknownAccount => "UNKNOWN_USER",
        Reason::Locked => "LOCKED_OUT",
        Reason::Blocked => "Sign-on policy evaluation resulted in DENY",
        Reason::MfaDenied => "User rejected Okta push verify",
        Reason::MfaTimeout => "Okta Verify push expired",
        Reason::BadCode => "Invalid passcode",
    })
}

fn factor<'a>(event: &'a AuthEvent<'_>) -> Option<AuthFactor<'a>> {
    let target = event.channel_target.as_deref();
    Some(match event.channel? {
        Channel::Sms => AuthFactor {
            factor_type_id: 1,
            factor_type: "SMS",
            phone_number: target,
            ..AuthFactor::password()
        },
        Channel::Email => AuthFactor {
            factor_type_id: 8,
            factor_type: "Email",
            email_addr: target,
            ..AuthFactor::password()
        },
        Channel::App if event.reason == Some(Reason::BadCode) => AuthFactor {
            factor_type_id: 7,
            factor_type: "OTP",
            provider: Some("OKTA"),
            ..AuthFactor::password()
        },
        Channel::App => AuthFactor {
            factor_type_id: 5,
            factor_type: "Push Notification",
            provider: Some("OKTA"),
            ..AuthFactor::password()
        },
    })
}

/// The Okta org name from the tenant's domain (`example.com` → `example`).
fn org(tenant: &str) -> &str {
    tenant.split('.').next().unwrap_or(tenant)
}

/// An Okta user id (`00u8f3ldl8KtqcTXP5d7`): `00u` and 17 characters, stable per account.
fn okta_user_id(number: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut words = [
        crate::rng::mix(number ^ 0x0c7a),
        crate::rng::mix(number ^ 0x0c7b),
    ];
    let mut id = String::from("00u");
    for i in 0..17 {
        let word = &mut words[i / 9];
        id.push(ALPHABET[(*word % 62) as usize] as char);
        *word /= 62;
    }
    id
}

/// "Helpdesk Amy" from `helpdesk.amy@example.com`, for an admin the simulator gives no name.
fn name_from_address(address: &str) -> String {
    let local = address.split('@').next().unwrap_or(address);
    local
        .split(['.', '_', '-'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Serialize)]
struct Record<'a> {
    activity_id: u32,
    activity_name: &'static str,
    category_uid: u32,
    category_name: &'static str,
    class_uid: u32,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    severity_id: u32,
    severity: &'static str,
    status_id: u32,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_detail: Option<&'static str>,
    time: i64,
    time_dt: String,
    message: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_mfa: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_factors: Option<Vec<AuthFactor<'a>>>,
    user: User<'a>,
    actor: Actor<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    src_endpoint: Option<Endpoint<'a>>,
    dst_endpoint: DstEndpoint,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_request: Option<HttpRequest<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<Uid<'a>>,
    metadata: Metadata,
}

#[derive(Serialize, Clone)]
struct User<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    email_addr: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<String>,
    #[serde(rename = "type")]
    kind: &'static str,
    type_id: u32,
}

impl<'a> User<'a> {
    /// The account; an address that names no user has no name or id.
    fn person(account: &'a str, display_name: Option<&str>, number: u64) -> Self {
        match display_name {
            Some(name) => User {
                name: Some(name.to_owned()),
                email_addr: account,
                uid: Some(okta_user_id(number)),
                kind: "User",
                type_id: 1,
            },
            None => User {
                name: None,
                email_addr: account,
                uid: None,
                kind: "Unknown",
                type_id: 0,
            },
        }
    }

    fn admin(address: &'a str, number: u64) -> Self {
        User {
            name: Some(name_from_address(address)),
            email_addr: address,
            uid: Some(okta_user_id(number)),
            kind: "Admin",
            type_id: 2,
        }
    }
}

#[derive(Serialize)]
struct Actor<'a> {
    user: User<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<Uid<'a>>,
}

#[derive(Serialize)]
struct Uid<'a> {
    uid: &'a str,
}

#[derive(Serialize)]
struct AuthFactor<'a> {
    factor_type_id: u32,
    factor_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_addr: Option<&'a str>,
}

impl AuthFactor<'_> {
    fn password() -> Self {
        AuthFactor {
            factor_type_id: 11,
            factor_type: "Password",
            provider: None,
            phone_number: None,
            email_addr: None,
        }
    }
}

#[derive(Serialize)]
struct Endpoint<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    autonomous_system: Option<AutonomousSystem<'a>>,
}

impl<'a> Endpoint<'a> {
    fn of(event: &'a AuthEvent<'_>, context: &RenderContext<'a>) -> Option<Self> {
        let location = (event.country.is_some() || context.city.is_some()).then(|| Location {
            city: context.city,
            country: event.country.as_ref().map(|c| c.as_str()),
        });
        let autonomous_system = event.asn.map(|number| AutonomousSystem {
            name: context.network_org,
            number,
        });
        (event.ip.is_some() || location.is_some() || autonomous_system.is_some()).then_some(
            Endpoint {
                ip: event.ip,
                location,
                autonomous_system,
            },
        )
    }
}

#[derive(Serialize)]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
}

#[derive(Serialize)]
struct AutonomousSystem<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    number: u32,
}

#[derive(Serialize)]
struct DstEndpoint {
    svc_name: &'static str,
    hostname: String,
}

#[derive(Serialize)]
struct HttpRequest<'a> {
    user_agent: &'a str,
}

#[derive(Serialize)]
struct Metadata {
    version: &'static str,
    product: Product,
    event_code: &'static str,
    uid: String,
    log_name: &'static str,
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
}
