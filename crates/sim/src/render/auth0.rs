//! Auth0 tenant logs: one log object a line, as `GET /api/v2/logs` returns them and log
//! streams deliver them (fields as in Auth0's log schemas, `schemas/log-types/<type>.schema.json`).
//!
//! Each event becomes the log Auth0 writes for it; the decoder (`forewarn-formats`,
//! `decoders/auth0.rs`) reads it back. Records carry `log_id` (Auth0's 56-digit ids), `date`
//! with milliseconds, `type`, `description`, `ip`, `user_agent` summarized the way Auth0 logs it
//! (`Chrome 76.0.3809 / Windows 10.0.0`), `user_name` and `user_id` (`auth0|` and 24 hex digits),
//! the application (`client_id`, `client_name`), the database connection, and `details`
//! (`session_id`, `error`, the request `body`, the Guardian `authenticator`, Adaptive MFA's
//! `riskAssessment`).
//!
//! | kind / outcome (reason, channel) | `type` written | decodes as / what is lost |
//! | --- | --- | --- |
//! | `account.lookup` success, channel email / sms | `cls` / `cs` (passwordless link or code sent) | same |
//! | `account.lookup` without channel, or failure | nothing | Auth0 logs no identifier check |
//! | `auth.password` success | `scoa` (cross-origin authentication: the password step of embedded login) | same |
//! | `auth.password` failure `bad_password` | `fp` `Wrong email or password.` | same |
//! | `auth.password` failure `unknown_account` | `fu` `Wrong email or password.`, empty `user_id` | same |
//! | `auth.password` failure `locked` | `f` `Your account has been blocked after multiple consecutive login attempts.` | reason `blocked`: Auth0's brute-force block is per IP and user, not an account lock |
//! | `auth.password` failure `blocked` | `limit_sul` | same |
//! | `auth.mfa` success | `gd_auth_succeed` | channel lost (the decoder reads no factor from it) |
//! | `auth.mfa` failure `mfa_denied` | `gd_auth_rejected` | same; channel `app` |
//! | `auth.mfa` failure `mfa_timeout` | `feoobft` `The transaction has expired.` (MFA API push poll) | channel lost |
//! | `auth.mfa` failure `bad_code` | `gd_auth_failed` | channel lost |
//! | `auth.mfa` failure `blocked` / `locked` | `gd_otp_rate_limit_exceed` | reason `blocked`, channel lost |
//! | `recovery.start`, `recovery.code_verify` | nothing | Auth0 logs the reset request (`scpr`) and the new password (`scp`) only |
//! | `recovery.code_sent` email | `scpr`, or `fcpr` (`User does not exist.` for an unknown address) | same |
//! | `recovery.code_sent` sms / app | nothing | Auth0 resets passwords by email only |
//! | `recovery.reset` by the user | `scp` / `fcp` | same |
//! | `recovery.reset` by an admin | `sapi` `Update a user` (Management API) | nothing: the decoder skips Management API logs |
//! | `account.recovery_info_change` email / sms | `sce` / `fce`, `scpn` / `fcpn` (new number in `details.body.new_phone_number`) | same, but the decoder does not read `new_phone_number`: `channel_target` lost |
//! | `account.recovery_info_change` app | nothing | no such record |
//! | `account.mfa_change` by the user | `gd_enrollment_complete` `Guardian - Enrollment complete (<factor>)` | same |
//! | `account.mfa_change` by an admin | `gd_unenroll` | `actor` lost |
//! | `account.mfa_change` failure | nothing | not read by the decoder |
//! | `account.password_change` | nothing | Auth0 logs it only as a Management API `sapi` by the app |
//! | `session.start` success | `s` | same |
//! | `session.start` failure, `mailbox.rule_create`, `app.consent` | nothing | no such record |
//! | `account.lockout` | `limit_wc` (brute-force protection blocked the IP for the user) | same |
//!
//! Always lost: `country` (current Auth0 logs carry no geolocation), `device_id`, `asn`,
//! `actor`; the user agent is Auth0's summary, not the raw string; `session` only on `s`,
//! `scoa` and the Guardian logs of a login (`gd_auth_succeed`, `gd_auth_rejected`,
//! `gd_enrollment_complete`). Time keeps milliseconds.

use std::borrow::Cow;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason, Risk};
use serde::Serialize;

use super::{RenderContext, Renderer};

pub struct Auth0Renderer;

impl Renderer for Auth0Renderer {
    fn format(&self) -> Format {
        Format::Auth0
    }

    fn files(&self) -> &'static [&'static str] {
        &["logs.jsonl"]
    }

    fn render(&mut self, event: &AuthEvent<'_>, context: &RenderContext<'_>, out: &mut [Vec<u8>]) {
        let Some(plan) = plan(event) else { return };
        let log = log(event, context, &plan);
        let out = &mut out[0];
        // Every field is a string, number, bool or null: serializing into a Vec cannot fail.
        serde_json::to_writer(&mut *out, &log).expect("Auth0 logs serialize");
        out.push(b'\n');
    }
}

/// The request body a log carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyOf {
    None,
    /// A password reset request (`scpr`, `fcpr`).
    ResetRequest,
    /// A passwordless start (`cls`, `cs`).
    Passwordless(Channel),
    /// A phone number change (`scpn`, `fcpn`): the new number.
    PhoneChange,
}

/// The Auth0 log written for one event.
struct Plan {
    code: &'static str,
    description: &'static str,
    /// `details.error`: message and OAuth error of a failed login.
    error: Option<(&'static str, &'static str)>,
    /// A Guardian MFA log: no connection, the factor in `details.authenticator`.
    guardian: bool,
    body: BodyOf,
    /// Whether Auth0 resolved the user (fills `user_id`).
    user_found: bool,
    /// Whether the log belongs to a login transaction that has a session id.
    session: bool,
    /// A Management API call by the admin in `event.actor`.
    management: bool,
}

impl Plan {
    fn new(code: &'static str, description: &'static str) -> Self {
        Plan {
            code,
            description,
            error: None,
            guardian: false,
            body: BodyOf::None,
            user_found: true,
            session: false,
            management: false,
        }
    }

    fn error(mut self, message: &'static str, oauth_error: &'static str) -> Self {
        self.error = Some((message, oauth_error));
        self
    }

    fn guardian(mut self) -> Self {
        self.guardian = true;
        self
    }

    fn session(mut self) -> Self {
        self.session = true;
        self
    }
}

/// The Auth0 log for `event`, or `None` when Auth0 logs nothing like it (see the module table).
fn plan(event: &AuthEvent<'_>) -> Option<Plan> {
    use Outcome::{Failure, Success};
    let unknown = event.account_exists == Some(false);
    let by_admin = event.actor.is_some();
    Some(match (event.kind, event.outcome) {
        (Kind::AccountLookup, Success) => match event.channel {
            Some(Channel::Email) => Plan {
                body: BodyOf::Passwordless(Channel::Email),
                user_found: !unknown,
                ..Plan::new("cls", "Passwordless login code/link sent")
            },
            Some(Channel::Sms) => Plan {
                body: BodyOf::Passwordless(Channel::Sms),
                user_found: !unknown,
                ..Plan::new("cs", "Passwordless login code sent")
            },
            _ => return None,
        },
        (Kind::AccountLookup, Failure) => return None,

        (Kind::AuthPassword, Success) => {
            Plan::new("scoa", "Successful cross-origin authentication").session()
        }
        (Kind::AuthPassword, Failure) => {
            if unknown || event.reason == Some(Reason::UnknownAccount) {
                Plan {
                    user_found: false,
                    ..Plan::new("fu", "Wrong email or password.")
                        .error("Wrong email or password.", "access_denied")
                }
            } else {
                match event.reason {
                    Some(Reason::BadPassword) => Plan::new("fp", "Wrong email or password.")
                        .error("Wrong email or password.", "access_denied"),
                    Some(Reason::Locked) => {
                        const BLOCKED: &str = "Your account has been blocked after multiple consecutive login attempts.";
                        Plan::new("f", BLOCKED).error(BLOCKED, "too_many_attempts")
                    }
                    Some(Reason::Blocked) => Plan::new(
                        "limit_sul",
                        "User is temporarily blocked from logging in from this IP address",
                    ),
                    _ => Plan::new("f", "Invalid user credentials.")
                        .error("Invalid user credentials.", "access_denied"),
                }
            }
        }

        (Kind::AuthMfa, Success) => {
            Plan::new("gd_auth_succeed", "MFA authentication succeeded")
                .guardian()
                .session()
        }
        (Kind::AuthMfa, Failure) => match event.reason {
            Some(Reason::MfaDenied) => {
                Plan::new("gd_auth_rejected", "User rejected the MFA push notification")
                    .guardian()
                    .session()
            }
            Some(Reason::MfaTimeout) => Plan::new("feoobft", "The transaction has expired.")
                .error("The transaction has expired.", "expired_token"),
            Some(Reason::Blocked) | Some(Reason::Locked) => {
                Plan::new("gd_otp_rate_limit_exceed", "Too many failures").guardian()
            }
            Some(Reason::BadCode) => {
                Plan::new("gd_auth_failed", "MFA authentication failed: wrong code").guardian()
            }
            _ => Plan::new("gd_webauthn_challenge_failed", "WebAuthn challenge failed").guardian(),
        },

        (Kind::RecoveryCodeSent, outcome) => match event.channel {
            Some(Channel::Email) | None => match outcome {
                Success => Plan {
                    body: BodyOf::ResetRequest,
                    ..Plan::new("scpr", "")
                },
                Failure if unknown => Plan {
                    body: BodyOf::ResetRequest,
                    user_found: false,
                    ..Plan::new("fcpr", "User does not exist.")
                },
                Failure => Plan {
                    body: BodyOf::ResetRequest,
                    ..Plan::new("fcpr", "Unable to send email")
                },
            },
            Some(Channel::Sms) | Some(Channel::App) => return None,
        },
        (Kind::RecoveryReset, _) if by_admin => Plan {
            management: true,
            ..Plan::new("sapi", "Update a user")
        },
        (Kind::RecoveryReset, Success) => Plan::new("scp", "Password changed successfully"),
        (Kind::RecoveryReset, Failure) => {
            Plan::new("fcp", "PasswordStrengthError: Password is too weak")
        }

        (Kind::AccountRecoveryInfoChange, outcome) => match (event.channel, outcome) {
            (Some(Channel::Email) | None, Success) => {
                Plan::new("sce", "Email changed successfully")
            }
            (Some(Channel::Email) | None, Failure) => Plan::new("fce", "Failed to change email"),
            (Some(Channel::Sms), Success) => Plan {
                body: BodyOf::PhoneChange,
                ..Plan::new("scpn", "Phone number changed successfully")
            },
            (Some(Channel::Sms), Failure) => Plan {
                body: BodyOf::PhoneChange,
                ..Plan::new("fcpn", "Failed to change phone number")
            },
            (Some(Channel::App), _) => return None,
        },

        (Kind::AccountMfaChange, Success) if by_admin => {
            Plan::new("gd_unenroll", "Guardian - Unenroll device account").guardian()
        }
        (Kind::AccountMfaChange, Success) => Plan::new(
            "gd_enrollment_complete",
            match event.channel {
                Some(Channel::Sms) => "Guardian - Enrollment complete (sms)",
                Some(Channel::Email) => "Guardian - Enrollment complete (email)",
                Some(Channel::App) => "Guardian - Enrollment complete (push)",
                None => "Guardian - Enrollment complete (webauthn-roaming)",
            },
        )
        .guardian()
        .session(),
        (Kind::AccountMfaChange, Failure) => return None,

        (Kind::SessionStart, Success) => Plan::new("s", "Successful login").session(),
        (Kind::AccountLockout, _) => Plan {
            user_found: false,
            ..Plan::new(
                "limit_wc",
                "User attempted 10 consecutive logins unsuccessfully. Brute force protection is enabled for this connection, further attempts are blocked from this IP address for this user.",
            )
        },

        (Kind::RecoveryStart | Kind::RecoveryCodeVerify, _)
        | (Kind::AccountPasswordChange, _)
        | (Kind::SessionStart, Failure)
        | (Kind::MailboxRuleCreate, _)
        | (Kind::AppConsent, _) => return None,
    })
}

#[derive(Serialize)]
struct Log<'a> {
    date: String,
    #[serde(rename = "type")]
    code: &'static str,
    description: Cow<'a, str>,
    connection: &'static str,
    connection_id: &'a str,
    client_id: &'a str,
    client_name: &'static str,
    ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    details: Details<'a>,
    hostname: String,
    user_id: String,
    user_name: &'a str,
    strategy: &'static str,
    strategy_type: &'static str,
    log_id: String,
    tenant_name: &'a str,
    #[serde(rename = "$event_schema")]
    event_schema: EventSchema,
}

#[derive(Serialize)]
struct EventSchema {
    version: &'static str,
}

#[derive(Serialize, Default)]
struct Details<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<LogError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Body<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authenticator: Option<Authenticator<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<&'a str>,
    #[serde(rename = "riskAssessment", skip_serializing_if = "Option::is_none")]
    risk_assessment: Option<RiskAssessment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<ApiRequest<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<ApiResponse>,
}

#[derive(Serialize)]
struct LogError {
    message: &'static str,
    #[serde(rename = "oauthError")]
    oauth_error: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Body<'a> {
    client_id: &'a str,
    connection: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    send: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    debug: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verify: Option<bool>,
    tenant: &'a str,
}

#[derive(Serialize)]
struct Authenticator<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
}

#[derive(Serialize)]
struct RiskAssessment {
    confidence: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct ApiRequest<'a> {
    method: &'static str,
    path: String,
    auth: ApiAuth<'a>,
    channel: &'static str,
    ip: Option<String>,
}

#[derive(Serialize)]
struct ApiAuth<'a> {
    user: ApiUser<'a>,
    strategy: &'static str,
}

#[derive(Serialize)]
struct ApiUser<'a> {
    user_id: String,
    email: &'a str,
}

#[derive(Serialize)]
struct ApiResponse {
    #[serde(rename = "statusCode")]
    status_code: u16,
}

/// The connection every simulated user signs in with: Auth0's default database connection.
const CONNECTION: &str = "Username-Password-Authentication";

fn log<'a>(event: &'a AuthEvent<'a>, context: &'a RenderContext<'a>, plan: &Plan) -> Log<'a> {
    let tenant = context
        .tenant_domain
        .split('.')
        .next()
        .unwrap_or(context.tenant_domain);
    let ip = event.ip.map(|ip| ip.to_string());
    let user_id = if plan.user_found && event.account_exists != Some(false) {
        user_id(context.account_id)
    } else {
        String::new()
    };
    let (connection, strategy, strategy_type) = if plan.guardian {
        ("", "", "")
    } else {
        match plan.body {
            BodyOf::Passwordless(Channel::Sms) => ("sms", "sms", "passwordless"),
            BodyOf::Passwordless(_) => ("email", "email", "passwordless"),
            _ => (CONNECTION, "auth0", "database"),
        }
    };
    let client_id = CLIENT_ID;
    let mut details = Details {
        error: plan.error.map(|(message, oauth_error)| LogError {
            message,
            oauth_error,
            kind: "request-error",
        }),
        session_id: if plan.session {
            event.session.as_deref()
        } else {
            None
        },
        risk_assessment: event.risk.map(|risk| RiskAssessment {
            // Adaptive MFA scores its confidence that the login is the user's own.
            confidence: match risk {
                Risk::Low => "high",
                Risk::Medium => "medium",
                Risk::High => "low",
            },
            version: "1",
        }),
        ..Details::default()
    };
    match plan.body {
        BodyOf::None => {}
        BodyOf::ResetRequest => {
            details.body = Some(Body {
                client_id,
                connection: CONNECTION,
                email: Some(&event.account),
                phone_number: None,
                new_phone_number: None,
                send: None,
                debug: Some(false),
                verify: Some(true),
                tenant,
            });
        }
        BodyOf::Passwordless(channel) => {
            let sms = channel == Channel::Sms;
            details.body = Some(Body {
                client_id,
                connection: if sms { "sms" } else { "email" },
                email: (!sms).then_some(&*event.account),
                phone_number: if sms {
                    event.channel_target.as_deref()
                } else {
                    None
                },
                new_phone_number: None,
                send: Some(if sms { "code" } else { "link" }),
                debug: None,
                verify: None,
                tenant,
            });
        }
        BodyOf::PhoneChange => {
            details.body = Some(Body {
                client_id,
                connection: CONNECTION,
                email: None,
                phone_number: None,
                new_phone_number: event.channel_target.as_deref(),
                send: None,
                debug: None,
                verify: Some(true),
                tenant,
            });
        }
    }
    if plan.guardian {
        let (kind, id_prefix) = match (plan.code, event.channel) {
            ("gd_auth_rejected", _) | (_, Some(Channel::App)) => ("push", "push"),
            (_, Some(Channel::Sms)) => ("sms", "sms"),
            (_, Some(Channel::Email)) => ("email", "email"),
            (_, None) => ("otp", "totp"),
        };
        details.authenticator = Some(Authenticator {
            id: format!("{id_prefix}|dev_{}", base62(context.account_id ^ 0x6d, 16)),
            kind,
            phone_number: if kind == "sms" {
                event.channel_target.as_deref()
            } else {
                None
            },
        });
    }
    let (user_id, user_name) = if plan.management {
        // A Management API log names the admin who called it, and the user only in the path.
        let admin = event.actor.as_deref().unwrap_or_default();
        details.request = Some(ApiRequest {
            method: "patch",
            path: format!("/api/v2/users/{}", user_id.replace('|', "%7C")),
            auth: ApiAuth {
                user: ApiUser {
                    user_id: self::user_id(context.actor_id),
                    email: admin,
                },
                strategy: "jwt",
            },
            channel: "https://manage.auth0.com/",
            ip: ip.clone(),
        });
        details.response = Some(ApiResponse { status_code: 200 });
        (self::user_id(context.actor_id), admin)
    } else {
        (user_id, &*event.account)
    };
    let description = if plan.code == "limit_wc" {
        Cow::Owned(format!(
            "User ({}) attempted 10 consecutive logins unsuccessfully. Brute force protection is enabled for this connection, further attempts are blocked from this IP address for this user.",
            event.account
        ))
    } else {
        Cow::Borrowed(plan.description)
    };

    Log {
        date: date(event.time),
        code: plan.code,
        description,
        connection,
        connection_id: if plan.guardian { "" } else { CONNECTION_ID },
        client_id,
        client_name: "Example Web App",
        ip,
        user_agent: event.user_agent.as_deref().map(summarize_user_agent),
        details,
        hostname: format!("login.{}", context.tenant_domain),
        user_id,
        user_name,
        strategy,
        strategy_type,
        log_id: log_id(event.time, context.seq),
        tenant_name: tenant,
        event_schema: EventSchema { version: "1.0.0" },
    }
}

/// The application users sign in to, and the tenant's database connection.
const CLIENT_ID: &str = "k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6";
const CONNECTION_ID: &str = "con_a1B2c3D4e5F6g7H8";

/// `auth0|` and 24 hex digits, as Auth0 names database users; stable for the account.
fn user_id(account_id: u64) -> String {
    let hi = crate::rng::mix(account_id ^ 0xa0);
    let lo = crate::rng::mix(hi);
    format!("auth0|{:016x}{:08x}", hi, lo >> 32)
}

/// A 56-digit log id: `900`, the date, then digits unique to the record, like Auth0's.
fn log_id(time: jiff::Timestamp, seq: u64) -> String {
    let day = format!("{time:.0}");
    format!(
        "900{}{:020}{:025}",
        day[..10].replace('-', ""),
        crate::rng::mix(seq),
        seq
    )
}

/// `date`: ISO 8601 in UTC with milliseconds.
fn date(time: jiff::Timestamp) -> String {
    // jiff writes a timestamp in UTC with `Z`, and exactly as many fractional digits as the
    // precision asks for.
    format!("{time:.3}")
}

fn base62(seed: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut state = crate::rng::mix(seed);
    (0..len)
        .map(|i| {
            if i % 10 == 9 {
                state = crate::rng::mix(state);
            }
            let c = ALPHABET[(state % 62) as usize] as char;
            state /= 62;
            c
        })
        .collect()
}

/// The parts of a user agent that Auth0 and Okta log: browser and operating system with
/// their versions, as ua-parser names them.
pub(super) struct UserAgentParts<'a> {
    pub browser: &'static str,
    pub browser_version: &'a str,
    pub os: &'static str,
    pub os_version: String,
}

/// Recognizes the common browsers and systems; anything else is `Other`.
pub(super) fn parse_user_agent(ua: &str) -> UserAgentParts<'_> {
    let version_after = |token: &str| -> Option<&str> {
        let start = ua.find(token)? + token.len();
        let rest = &ua[start..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        Some(&rest[..end])
    };
    let mobile = ua.contains("Mobile");
    let (browser, browser_version) = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("CriOS/", "Chrome Mobile iOS"),
        ("Chrome/", if mobile { "Chrome Mobile" } else { "Chrome" }),
    ]
    .iter()
    .find_map(|(token, name)| version_after(token).map(|v| (*name, v)))
    .or_else(|| {
        ua.contains("Safari/")
            .then(|| version_after("Version/"))
            .flatten()
            .map(|v| (if mobile { "Mobile Safari" } else { "Safari" }, v))
    })
    .unwrap_or(("Other", ""));
    let dotted = |v: &str| v.replace('_', ".");
    let (os, os_version) = if let Some(v) = version_after("Windows NT ") {
        ("Windows", v.to_owned())
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        let v = ua
            .find(" OS ")
            .map(|at| {
                let rest = &ua[at + 4..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '_'))
                    .unwrap_or(rest.len());
                dotted(&rest[..end])
            })
            .unwrap_or_default();
        ("iOS", v)
    } else if let Some(at) = ua.find("Mac OS X ") {
        let rest = &ua[at + 9..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        ("Mac OS X", dotted(&rest[..end]))
    } else if let Some(v) = version_after("Android ") {
        ("Android", v.to_owned())
    } else if ua.contains("CrOS") {
        ("Chrome OS", String::new())
    } else if ua.contains("Linux") {
        ("Linux", String::new())
    } else {
        ("Other", String::new())
    };
    UserAgentParts {
        browser,
        browser_version,
        os,
        os_version,
    }
}

/// `Chrome 76.0.3809 / Windows 10.0.0`: how Auth0 writes a user agent in its logs (family and
/// three version components of the browser, then of the system).
pub(super) fn summarize_user_agent(ua: &str) -> String {
    let parts = parse_user_agent(ua);
    format!(
        "{} {} / {} {}",
        parts.browser,
        three_components(parts.browser_version),
        parts.os,
        three_components(&parts.os_version)
    )
}

/// `76.0.3809.100` → `76.0.3809`; `10.0` → `10.0.0`; `` → `0.0.0`.
fn three_components(version: &str) -> String {
    let mut parts = version.split('.').filter(|p| !p.is_empty());
    let mut next = || parts.next().unwrap_or("0");
    format!("{}.{}.{}", next(), next(), next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_summarized_like_auth0() {
        assert_eq!(
            summarize_user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
            "Chrome 124.0.0 / Windows 10.0.0"
        );
        assert_eq!(
            summarize_user_agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"),
            "Safari 17.4.0 / Mac OS X 10.15.7"
        );
        assert_eq!(
            summarize_user_agent(
                "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
            ),
            "Firefox 125.0.0 / Linux 0.0.0"
        );
        assert_eq!(
            summarize_user_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"),
            "Mobile Safari 17.4.0 / iOS 17.4.0"
        );
        assert_eq!(
            summarize_user_agent("curl/8.5.0"),
            "Other 0.0.0 / Other 0.0.0"
        );
    }

    #[test]
    fn log_ids_are_56_digits_and_distinct() {
        let t: jiff::Timestamp = "2024-05-02T08:14:07.312Z".parse().unwrap();
        let a = log_id(t, 1);
        assert_eq!(a.len(), 56, "{a}");
        assert!(a.starts_with("90020240502"), "{a}");
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(a, log_id(t, 2));
    }
}
