//! Elastic Common Schema documents, one a line, as Elastic Agent's Okta integration
//! (`okta.system` data stream) indexes an identity provider's System Log: `event.action` is the
//! Okta event type, `event.category` / `event.type` are the integration's own mapping of it
//! (`packages/okta/data_stream/system/elasticsearch/ingest_pipeline/ecs_category_type.yml` in
//! elastic/integrations), `event.reason` is Okta's `outcome.reason`. The `ecs` decoder and
//! docs/formats.md ("ECS") define what is read.
//!
//! | forewarn kind / outcome | `event.action` (`event.category`) | lost |
//! | --- | --- | --- |
//! | `account.lookup` | nothing: no lookup event | all |
//! | `auth.password` success | nothing: a successful sign-in is the session | all |
//! | `auth.password` failure | `user.session.start` (`session`), outcome failure, `event.reason` `INVALID_CREDENTIALS` (`bad_password`), `UNKNOWN_USER` (`unknown_account`), `LOCKED_OUT` (`locked`), `Sign-on policy evaluation resulted in DENY` (`blocked`) | |
//! | `auth.mfa` success | `user.authentication.auth_via_mfa` (`authentication`) | channel |
//! | `auth.mfa` failure `mfa_denied` | `user.mfa.okta_verify.deny_push` (`authentication`), no `event.reason` (Okta's, `INVALID_CREDENTIALS`, would read as a password) | channel but `app` |
//! | `auth.mfa` failure, other | `user.authentication.auth_via_mfa`, `event.reason` `Okta Verify push expired` (`mfa_timeout`), `Invalid passcode` (`bad_code`) | channel |
//! | `recovery.start`, `recovery.code_verify` | nothing: no Okta event the decoder reads so | all |
//! | `recovery.code_sent` | `system.email.password_reset.sent_message` (email), `system.sms.send_password_reset_message` (sms) (`authentication`) | channel target |
//! | `recovery.reset` | `user.account.reset_password` (`authentication`) | |
//! | `account.recovery_info_change` | nothing: Okta has no recovery e-mail / phone event the decoder reads so | all |
//! | `account.mfa_change` | `user.mfa.factor.activate` by the user, `user.mfa.factor.reset_all` by an admin (`authentication`) | channel |
//! | `account.password_change` | `user.account.update_password` (`authentication`) | |
//! | `session.start` | `user.session.start` (`session`), outcome success | |
//! | `mailbox.rule_create`, `app.consent` | nothing (Okta's `app.oauth2.as.consent.grant` reads as a sign-in) | all |
//! | `account.lockout` | `user.account.lock` (`iam`) | |
//!
//! An admin acting on a user is `user` (the admin) with the user in `user.target`. Never
//! carried: session (ECS has no field for it; kept as `okta.authentication_context.external_session_id`),
//! channel targets, `risk`, `account_exists` but for unknown users; `@timestamp` is kept to the
//! millisecond.

use std::net::IpAddr;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};
use serde::Serialize;

use super::{RenderContext, Renderer};

pub struct EcsRenderer;

impl Renderer for EcsRenderer {
    fn format(&self) -> Format {
        Format::Ecs
    }

    fn files(&self) -> &'static [&'static str] {
        &["events.jsonl"]
    }

    fn render(&mut self, event: &AuthEvent<'_>, context: &RenderContext<'_>, out: &mut [Vec<u8>]) {
        let Some(okta) = okta_event(event) else {
            return;
        };
        let account = event.account.as_ref();
        let person = Person {
            name: account,
            email: account,
            full_name: context.display_name,
            id: context
                .display_name
                .map(|_| okta_user_id(context.account_id)),
        };
        let (user, target) = match event.actor.as_deref().filter(|a| *a != account) {
            Some(admin) => (
                User {
                    name: admin,
                    email: admin,
                    full_name: None,
                    id: Some(okta_user_id(context.actor_id)),
                    target: Some(person),
                },
                true,
            ),
            None => (
                User {
                    name: person.name,
                    email: person.email,
                    full_name: person.full_name,
                    id: person.id,
                    target: None,
                },
                false,
            ),
        };
        let success = event.outcome == Outcome::Success;
        let reason = if success { None } else { okta.reason };
        let result = if success { "SUCCESS" } else { "FAILURE" };
        let document = Document {
            timestamp: format!("{:.3}", event.time),
            ecs: Version { version: "8.11.0" },
            data_stream: DataStream {
                dataset: "okta.system",
                namespace: "default",
                kind: "logs",
            },
            event: EventFields {
                action: okta.action,
                category: okta.category,
                kind: "event",
                event_type: okta.types,
                outcome: if success { "success" } else { "failure" },
                reason,
                id: super::uuid(context.seq ^ 0xec5),
                dataset: "okta.system",
                module: "okta",
            },
            message: okta.message,
            user,
            source: Source::of(event, context),
            user_agent: event
                .user_agent
                .as_deref()
                .map(|original| UserAgent { original }),
            device: event.device_id.as_deref().map(|id| Device { id }),
            related: Related {
                user: if target {
                    vec![event.actor.as_deref().unwrap_or(account), account]
                } else {
                    vec![account]
                },
            },
            okta: Okta {
                event_type: okta.action,
                display_message: okta.message,
                outcome: OktaOutcome { result, reason },
                authentication_context: event.session.as_deref().map(|external_session_id| {
                    AuthenticationContext {
                        external_session_id,
                    }
                }),
            },
        };
        let out = &mut out[0];
        serde_json::to_writer(&mut *out, &document).expect("ECS documents serialize");
        out.push(b'\n');
    }
}

/// The Okta event written for a forewarn event, with the integration's categorization.
struct OktaEvent {
    action: &'static str,
    category: &'static [&'static str],
    types: &'static [&'static str],
    message: &'static str,
    reason: Option<&'static str>,
}

fn okta_event(event: &AuthEvent<'_>) -> Option<OktaEvent> {
    const AUTHENTICATION: &[&str] = &["authentication"];
    const INFO: &[&str] = &["info"];
    let by_admin = event
        .actor
        .as_deref()
        .is_some_and(|a| a != event.account.as_ref());
    let authentication = |action, message| OktaEvent {
        action,
        category: AUTHENTICATION,
        types: INFO,
        message,
        reason: None,
    };
    let sign_in = |reason| OktaEvent {
        action: "user.session.start",
        category: &["session"],
        types: &["start"],
        message: "User login to Okta",
        reason,
    };
    Some(match (event.kind, event.outcome) {
        (Kind::SessionStart, _) => sign_in(None),
        (Kind::AuthPassword, Outcome::Failure) => sign_in(event.reason.map(|r| match r {
            Reason::UnknownAccount => "UNKNOWN_USER",
            Reason::Locked => "LOCKED_OUT",
            Reason::Blocked => "Sign-on policy evaluation resulted in DENY",
            _ => "INVALID_CREDENTIALS",
        })),
        (Kind::AuthMfa, Outcome::Failure) if event.reason == Some(Reason::MfaDenied) => {
            authentication(
                "user.mfa.okta_verify.deny_push",
                "User rejected Okta push verify",
            )
        }
        (Kind::AuthMfa, _) => OktaEvent {
            reason: event.reason.map(|r| match r {
                Reason::MfaTimeout => "Okta Verify push expired",
                Reason::Blocked => "Sign-on policy evaluation resulted in DENY",
                _ => "Invalid passcode",
            }),
            ..authentication(
                "user.authentication.auth_via_mfa",
                "Authentication of user via MFA",
            )
        },
        (Kind::RecoveryCodeSent, _) => match event.channel {
            Some(Channel::Sms) => authentication(
                "system.sms.send_password_reset_message",
                "Send SMS for password reset",
            ),
            _ => authentication(
                "system.email.password_reset.sent_message",
                "Password reset email sent",
            ),
        },
        (Kind::RecoveryReset, _) => {
            authentication("user.account.reset_password", "Reset password for user")
        }
        (Kind::AccountMfaChange, _) if by_admin => {
            authentication("user.mfa.factor.reset_all", "Reset all factors for user")
        }
        (Kind::AccountMfaChange, _) => OktaEvent {
            types: &["info", "start"],
            ..authentication(
                "user.mfa.factor.activate",
                "Activate factor or authenticator",
            )
        },
        (Kind::AccountPasswordChange, _) => authentication(
            "user.account.update_password",
            "User update password for Okta",
        ),
        (Kind::AccountLockout, _) => OktaEvent {
            action: "user.account.lock",
            category: &["iam"],
            types: &["user"],
            message: "Max sign in attempts exceeded",
            reason: None,
        },
        (Kind::AccountLookup, _)
        | (Kind::AuthPassword, Outcome::Success)
        | (Kind::RecoveryStart | Kind::RecoveryCodeVerify, _)
        | (Kind::AccountRecoveryInfoChange | Kind::MailboxRuleCreate | Kind::AppConsent, _) => {
            return None
        }
    })
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

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    ecs: Version,
    data_stream: DataStream,
    event: EventFields,
    message: &'static str,
    user: User<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<UserAgent<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<Device<'a>>,
    related: Related<'a>,
    okta: Okta<'a>,
}

#[derive(Serialize)]
struct Version {
    version: &'static str,
}

#[derive(Serialize)]
struct DataStream {
    dataset: &'static str,
    namespace: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct EventFields {
    action: &'static str,
    category: &'static [&'static str],
    kind: &'static str,
    #[serde(rename = "type")]
    event_type: &'static [&'static str],
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    id: String,
    dataset: &'static str,
    module: &'static str,
}

/// `user`: who acted, and for an admin's action the user acted on in `user.target`.
#[derive(Serialize)]
struct User<'a> {
    name: &'a str,
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<Person<'a>>,
}

#[derive(Serialize)]
struct Person<'a> {
    name: &'a str,
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
}

#[derive(Serialize)]
struct Source<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    geo: Option<Geo<'a>>,
    #[serde(rename = "as", skip_serializing_if = "Option::is_none")]
    autonomous_system: Option<AutonomousSystem<'a>>,
}

impl<'a> Source<'a> {
    fn of(event: &'a AuthEvent<'_>, context: &RenderContext<'a>) -> Option<Self> {
        let geo = (event.country.is_some() || context.city.is_some()).then(|| Geo {
            city_name: context.city,
            country_iso_code: event.country.as_ref().map(|c| c.as_str()),
        });
        let autonomous_system = event.asn.map(|number| AutonomousSystem {
            number,
            organization: context.network_org.map(|name| Organization { name }),
        });
        (event.ip.is_some() || geo.is_some() || autonomous_system.is_some()).then_some(Source {
            ip: event.ip,
            geo,
            autonomous_system,
        })
    }
}

#[derive(Serialize)]
struct Geo<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    city_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country_iso_code: Option<&'a str>,
}

#[derive(Serialize)]
struct AutonomousSystem<'a> {
    number: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<Organization<'a>>,
}

#[derive(Serialize)]
struct Organization<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct UserAgent<'a> {
    original: &'a str,
}

#[derive(Serialize)]
struct Device<'a> {
    id: &'a str,
}

#[derive(Serialize)]
struct Related<'a> {
    user: Vec<&'a str>,
}

#[derive(Serialize)]
struct Okta<'a> {
    event_type: &'static str,
    display_message: &'static str,
    outcome: OktaOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    authentication_context: Option<AuthenticationContext<'a>>,
}

#[derive(Serialize)]
struct OktaOutcome {
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

#[derive(Serialize)]
struct AuthenticationContext<'a> {
    external_session_id: &'a str,
}
