//! Google Workspace: Admin SDK Reports API activities (`activities.list` items), one activity a
//! line, as the `gws` decoder reads them (docs/formats.md, "Google Workspace").
//!
//! The user's own actions are `login` activities with `actor.email` the user; an administrator
//! acting on a user (`event.actor` set) is an `admin` activity of type `USER_SETTINGS` with the
//! user in `USER_EMAIL`; OAuth grants are `token` activities. Sources:
//! <https://developers.google.com/workspace/admin/reports/v1/appendix/activity/login>,
//! <https://developers.google.com/workspace/admin/reports/v1/appendix/activity/admin-user-settings>,
//! <https://developers.google.com/workspace/admin/reports/v1/appendix/activity/token>.
//!
//! | forewarn kind / outcome | activity written | lost |
//! | --- | --- | --- |
//! | `account.lookup` | nothing: Google logs no identifier lookups | all |
//! | `auth.password` success | nothing: a correct password is logged only as the `login_success` of the session it grants | all |
//! | `auth.password` failure `bad_password` | `login/login_failure`, `login_failure_type` = `login_failure_invalid_password` | |
//! | … `locked` | … `login_failure_account_disabled` | |
//! | … `blocked` | … `login_failure_access_code_disallowed`; with risk `high`, the `suspicious_login` account warning (`affected_email_address`, `login_timestamp`) | |
//! | … other or no reason | … `login_failure_unknown` | |
//! | … `unknown_account` | nothing: Reports logs only the customer's own users | all |
//! | `auth.mfa` success / failure | `login/login_challenge`, `login_challenge_status` "Challenge Passed." / "Challenge Failed.", `login_challenge_method`: sms → `idv_preregistered_phone`; app → `internal_two_factor` (the Google prompt), or `google_authenticator` for `bad_code`; no channel → `backup_code` | email channel (Google has no e-mailed second factor), `mfa_denied` of an SMS code (read `bad_code`) |
//! | `auth.mfa` failure `mfa_timeout` | `login/login_failure`, `login_failure_missing_second_factor`, with the method | |
//! | `auth.mfa` failure `blocked` | `login/risky_sensitive_action_blocked` | decoded with risk `high` |
//! | `recovery.start`, `recovery.code_sent`, `recovery.code_verify` | nothing: Reports has no account-recovery flow events | all |
//! | `recovery.reset` | by the user: `login/password_edit`; by an admin: `admin/CHANGE_PASSWORD` | decoded as `account.password_change` |
//! | `account.recovery_info_change` | `login/recovery_email_edit` (email), `recovery_phone_edit` (sms), `recovery_secret_qa_edit` (none); by an admin: `admin/CHANGE_RECOVERY_EMAIL` / `CHANGE_RECOVERY_PHONE` | channel target |
//! | `account.mfa_change` | `login/2sv_enroll`; by an admin: `admin/TURN_OFF_2_STEP_VERIFICATION` | channel |
//! | `account.password_change` | `login/password_edit`; by an admin: `admin/CHANGE_PASSWORD` | |
//! | `session.start` | `login/login_success` (`is_suspicious` when the event has a risk) | risk level (read `medium`) |
//! | `mailbox.rule_create` | `login/email_forwarding_out_of_domain` (`email_forwarding_destination_address` = the channel target); by an admin: `admin/CREATE_EMAIL_MONITOR` | decoded with channel `email` |
//! | `app.consent` success / failure | `token/authorize` / `token/deny` | |
//! | `account.lockout` | the account warning `account_disabled_hijacked` (risk `high`), `account_disabled_spamming` (`medium`), `account_disabled_generic` (none), without an address; by an admin: `admin/SUSPEND_USER` | source address, country and AS of a warning |
//!
//! Never carried: user agent, device id, session (the Reports API has none for these events),
//! `account_exists`; time is kept to the millisecond (`id.time`).

use std::net::IpAddr;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason, Risk};
use serde::Serialize;

use super::{RenderContext, Renderer};

pub struct GwsRenderer;

impl Renderer for GwsRenderer {
    fn format(&self) -> Format {
        Format::Gws
    }

    fn files(&self) -> &'static [&'static str] {
        &["activities.jsonl"]
    }

    fn render(&mut self, event: &AuthEvent<'_>, context: &RenderContext<'_>, out: &mut [Vec<u8>]) {
        let Some(plan) = plan(event) else { return };
        let by_admin = plan.application == "admin";
        let (actor_email, actor_number) = match (&event.actor, by_admin) {
            (Some(actor), true) => (actor.as_ref(), context.actor_id),
            _ => (event.account.as_ref(), context.account_id),
        };
        // Account warnings are Google's own verdicts, filed without a client address.
        let (ip, network) = if plan.warning && plan.name != "suspicious_login" {
            (None, None)
        } else {
            let network = (event.asn.is_some() || event.country.is_some()).then(|| NetworkInfo {
                ip_asn: event.asn.into_iter().collect(),
                region_code: event.country.as_ref().map(|c| c.as_str()),
            });
            (event.ip, network)
        };
        let record = Activity {
            kind: "admin#reports#activity",
            id: Id {
                time: millis(event.time),
                // Google's unique qualifiers are signed 64-bit numbers.
                unique_qualifier: (crate::rng::mix(context.seq ^ 0x6773) as i64).to_string(),
                application_name: plan.application,
                customer_id: customer_id(context.tenant_domain),
            },
            etag: format!(
                "\"{}/{:x}\"",
                etag_base(context.tenant_domain),
                crate::rng::mix(context.seq) >> 28
            ),
            actor: Actor {
                caller_type: "USER",
                email: actor_email,
                profile_id: profile_id(actor_number),
            },
            ip_address: ip,
            network_info: network,
            events: [Event {
                kind: plan.event_type,
                name: plan.name,
                parameters: plan.parameters,
            }],
            owner_domain: context.tenant_domain,
        };
        let out = &mut out[0];
        serde_json::to_writer(&mut *out, &record).expect("activities serialize");
        out.push(b'\n');
    }
}

/// What to write for one event.
struct Plan<'a> {
    application: &'static str,
    event_type: &'static str,
    name: &'static str,
    parameters: Vec<Param<'a>>,
    /// An account warning: about `affected_email_address`, not a client request.
    warning: bool,
}

impl<'a> Plan<'a> {
    fn login(event_type: &'static str, name: &'static str, parameters: Vec<Param<'a>>) -> Self {
        Plan {
            application: "login",
            event_type,
            name,
            parameters,
            warning: false,
        }
    }

    fn admin(name: &'static str, user: &'a str) -> Self {
        Plan {
            application: "admin",
            event_type: "USER_SETTINGS",
            name,
            parameters: vec![Param::text("USER_EMAIL", user)],
            warning: false,
        }
    }

    fn warning(name: &'static str, parameters: Vec<Param<'a>>) -> Self {
        Plan {
            warning: true,
            ..Plan::login("account_warning", name, parameters)
        }
    }
}

fn plan<'a>(event: &'a AuthEvent<'_>) -> Option<Plan<'a>> {
    let account = event.account.as_ref();
    let by_admin = event.actor.as_deref().is_some_and(|a| a != account);
    let suspicious = Param::boolean("is_suspicious", event.risk.is_some());
    let password_only = || Param::multi("login_challenge_method", &["password"]);
    Some(match (event.kind, event.outcome) {
        (Kind::AccountLookup, _) | (Kind::AuthPassword, Outcome::Success) => return None,
        (Kind::AuthPassword, Outcome::Failure) => {
            let failure_type = match event.reason {
                Some(Reason::UnknownAccount) => return None,
                Some(Reason::Blocked) if event.risk == Some(Risk::High) => {
                    return Some(Plan::warning(
                        "suspicious_login",
                        vec![
                            Param::text("affected_email_address", account),
                            Param::int("login_timestamp", event.time.as_microsecond()),
                        ],
                    ));
                }
                Some(Reason::BadPassword) => "login_failure_invalid_password",
                Some(Reason::Locked) => "login_failure_account_disabled",
                Some(Reason::Blocked) => "login_failure_access_code_disallowed",
                _ => "login_failure_unknown",
            };
            Plan::login(
                "login",
                "login_failure",
                vec![
                    Param::text("login_type", "google_password"),
                    password_only(),
                    Param::text("login_failure_type", failure_type),
                    suspicious,
                ],
            )
        }
        (Kind::AuthMfa, Outcome::Failure) if event.reason == Some(Reason::Blocked) => Plan::login(
            "risky_sensitive_action",
            "risky_sensitive_action_blocked",
            Vec::new(),
        ),
        (Kind::AuthMfa, outcome) => {
            let method = match (event.channel, event.reason) {
                (Some(Channel::Sms), _) => "idv_preregistered_phone",
                (Some(Channel::App), Some(Reason::BadCode)) => "google_authenticator",
                (Some(Channel::App), _) => "internal_two_factor",
                _ => "backup_code",
            };
            if event.reason == Some(Reason::MfaTimeout) {
                Plan::login(
                    "login",
                    "login_failure",
                    vec![
                        Param::text("login_type", "google_password"),
                        Param::multi_owned("login_challenge_method", vec!["password", method]),
                        Param::text("login_failure_type", "login_failure_missing_second_factor"),
                        suspicious,
                    ],
                )
            } else {
                let status = match outcome {
                    Outcome::Success => "Challenge Passed.",
                    Outcome::Failure => "Challenge Failed.",
                };
                Plan::login(
                    "login",
                    "login_challenge",
                    vec![
                        Param::text("login_type", "google_password"),
                        Param::multi_owned("login_challenge_method", vec![method]),
                        Param::text("login_challenge_status", status),
                    ],
                )
            }
        }
        (Kind::RecoveryStart | Kind::RecoveryCodeSent | Kind::RecoveryCodeVerify, _) => {
            return None
        }
        (Kind::RecoveryReset | Kind::AccountPasswordChange, _) if by_admin => {
            Plan::admin("CHANGE_PASSWORD", account)
        }
        (Kind::RecoveryReset | Kind::AccountPasswordChange, _) => {
            Plan::login("password_change", "password_edit", Vec::new())
        }
        (Kind::AccountRecoveryInfoChange, _) if by_admin => match event.channel {
            Some(Channel::Sms) => Plan::admin("CHANGE_RECOVERY_PHONE", account),
            _ => Plan::admin("CHANGE_RECOVERY_EMAIL", account),
        },
        (Kind::AccountRecoveryInfoChange, _) => {
            let name = match event.channel {
                Some(Channel::Email) => "recovery_email_edit",
                Some(Channel::Sms) => "recovery_phone_edit",
                _ => "recovery_secret_qa_edit",
            };
            Plan::login("recovery_info_change", name, Vec::new())
        }
        (Kind::AccountMfaChange, _) if by_admin => {
            Plan::admin("TURN_OFF_2_STEP_VERIFICATION", account)
        }
        (Kind::AccountMfaChange, _) => Plan::login("2sv_change", "2sv_enroll", Vec::new()),
        (Kind::SessionStart, _) => Plan::login(
            "login",
            "login_success",
            vec![
                Param::text("login_type", "google_password"),
                password_only(),
                suspicious,
            ],
        ),
        (Kind::MailboxRuleCreate, _) if by_admin => {
            let mut plan = Plan::admin("CREATE_EMAIL_MONITOR", account);
            if let Some(target) = event.channel_target.as_deref() {
                plan.parameters
                    .push(Param::text("EMAIL_MONITOR_DEST_EMAIL", target));
            }
            plan
        }
        (Kind::MailboxRuleCreate, _) => Plan::login(
            "email_forwarding_change",
            "email_forwarding_out_of_domain",
            event
                .channel_target
                .as_deref()
                .map(|target| Param::text("email_forwarding_destination_address", target))
                .into_iter()
                .collect(),
        ),
        (Kind::AppConsent, outcome) => {
            let name = match outcome {
                Outcome::Success => "authorize",
                Outcome::Failure => "deny",
            };
            let mut parameters = vec![
                Param::text(
                    "client_id",
                    "1046587320891-3k1q0v7mbl9c2l5pjd4uhrg8o2s6nf0a.apps.googleusercontent.com",
                ),
                Param::text("app_name", "Mail Organizer Pro"),
            ];
            if outcome == Outcome::Success {
                parameters.push(Param::text("client_type", "WEB"));
                parameters.push(Param::multi(
                    "scope",
                    &[
                        "https://mail.google.com/",
                        "https://www.googleapis.com/auth/userinfo.email",
                    ],
                ));
            }
            Plan {
                application: "token",
                event_type: "auth",
                name,
                parameters,
                warning: false,
            }
        }
        (Kind::AccountLockout, _) if by_admin => Plan::admin("SUSPEND_USER", account),
        (Kind::AccountLockout, _) => {
            let name = match event.risk {
                Some(Risk::High) => "account_disabled_hijacked",
                Some(Risk::Medium | Risk::Low) => "account_disabled_spamming",
                None => "account_disabled_generic",
            };
            Plan::warning(name, vec![Param::text("affected_email_address", account)])
        }
    })
}

/// `id.time`: RFC 3339 in UTC with milliseconds, as the API writes it.
fn millis(time: jiff::Timestamp) -> String {
    format!("{time:.3}")
}

/// A Workspace customer id (`C03az79cb`): `C` and eight characters, stable per tenant.
fn customer_id(tenant: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = crate::rng::mix(fnv(tenant));
    let mut id = String::from("C0");
    for _ in 0..7 {
        id.push(ALPHABET[(n % 36) as usize] as char);
        n /= 36;
    }
    id
}

/// The first part of an activity `etag` (`JDMC8884sebSctZ17CIssbQ`), stable per tenant.
fn etag_base(tenant: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let seed = fnv(tenant);
    let mut words = [crate::rng::mix(seed), crate::rng::mix(seed ^ 1)];
    (0..22)
        .map(|i| {
            let word = &mut words[i / 11];
            let c = ALPHABET[(*word & 63) as usize] as char;
            *word >>= 6;
            c
        })
        .collect()
}

/// A Google profile id: 21 decimal digits (`104587321690875432101`).
fn profile_id(number: u64) -> String {
    format!(
        "10{:019}",
        crate::rng::mix(number ^ 0x9f0f) % 10_000_000_000_000_000_000
    )
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Serialize)]
struct Activity<'a> {
    kind: &'static str,
    id: Id,
    etag: String,
    actor: Actor<'a>,
    #[serde(rename = "ipAddress", skip_serializing_if = "Option::is_none")]
    ip_address: Option<IpAddr>,
    #[serde(rename = "networkInfo", skip_serializing_if = "Option::is_none")]
    network_info: Option<NetworkInfo<'a>>,
    events: [Event<'a>; 1],
    #[serde(rename = "ownerDomain")]
    owner_domain: &'a str,
}

#[derive(Serialize)]
struct Id {
    time: String,
    #[serde(rename = "uniqueQualifier")]
    unique_qualifier: String,
    #[serde(rename = "applicationName")]
    application_name: &'static str,
    #[serde(rename = "customerId")]
    customer_id: String,
}

#[derive(Serialize)]
struct Actor<'a> {
    #[serde(rename = "callerType")]
    caller_type: &'static str,
    email: &'a str,
    #[serde(rename = "profileId")]
    profile_id: String,
}

#[derive(Serialize)]
struct NetworkInfo<'a> {
    #[serde(rename = "ipAsn")]
    ip_asn: Vec<u32>,
    #[serde(rename = "regionCode", skip_serializing_if = "Option::is_none")]
    region_code: Option<&'a str>,
}

#[derive(Serialize)]
struct Event<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parameters: Vec<Param<'a>>,
}

/// One event parameter in the API's layout: a name and one typed value.
#[derive(Serialize)]
struct Param<'a> {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(rename = "boolValue", skip_serializing_if = "Option::is_none")]
    bool_value: Option<bool>,
    /// int64, which the API writes as a JSON string.
    #[serde(rename = "intValue", skip_serializing_if = "Option::is_none")]
    int_value: Option<String>,
    #[serde(rename = "multiValue", skip_serializing_if = "Option::is_none")]
    multi_value: Option<Vec<&'a str>>,
}

impl<'a> Param<'a> {
    fn empty(name: &'static str) -> Self {
        Param {
            name,
            value: None,
            bool_value: None,
            int_value: None,
            multi_value: None,
        }
    }

    fn text(name: &'static str, value: &'a str) -> Self {
        Param {
            value: Some(value),
            ..Param::empty(name)
        }
    }

    fn boolean(name: &'static str, value: bool) -> Self {
        Param {
            bool_value: Some(value),
            ..Param::empty(name)
        }
    }

    fn int(name: &'static str, value: i64) -> Self {
        Param {
            int_value: Some(value.to_string()),
            ..Param::empty(name)
        }
    }

    fn multi(name: &'static str, values: &[&'a str]) -> Self {
        Param::multi_owned(name, values.to_vec())
    }

    fn multi_owned(name: &'static str, values: Vec<&'a str>) -> Self {
        Param {
            multi_value: Some(values),
            ..Param::empty(name)
        }
    }
}
