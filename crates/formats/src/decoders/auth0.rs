//! Auth0 tenant logs: the log objects of `GET /api/v2/logs` (a JSON array per page, or one
//! object a line) and of log streams, which wrap each one as `{"log_id": …, "data": {…}}`.
//!
//! Each log's `type` is a short code; which codes become which events, and why, is in
//! `docs/formats.md (auth0)`. References:
//! - Log event type codes: <https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes>
//! - Field schemas of each code: <https://github.com/auth0/auth0-log-schemas>
//! - Log stream event format:
//!   <https://auth0.com/docs/customize/log-streams/custom-log-streams>
//!
//! Management API records (`sapi`, `fapi`, `mgmt_api_read`) describe tenant configuration, not
//! an account's sign-in or recovery, and are skipped.

use std::borrow::Cow;

use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, Reason, Risk};
use serde::Deserialize;

use super::common::{account, contains, non_empty, parse_ip, parse_time};
use super::common::{contains_ignore_case, is_redacted};
use super::lenient::{Obj, Str, Text};
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Auth0;

impl Decoder for Auth0 {
    fn format(&self) -> Format {
        Format::Auth0
    }

    fn sniff(&self, record: &[u8]) -> bool {
        // `log_id` is Auth0's own; exports that drop it keep the client and user ids.
        contains(record, b"\"date\"")
            && contains(record, b"\"type\"")
            && (contains(record, b"\"log_id\"")
                || contains(record, b"\"client_id\"")
                || contains(record, b"\"user_id\""))
    }

    fn decode<'a>(
        &self,
        record: &'a [u8],
        _context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        let outer: Log<'a> = sonic_rs::from_slice(record)?;
        let log = match outer.data {
            Some(inner) => *inner,
            None => outer,
        };
        decode_log(log)
    }
}

/// The fields of a tenant log forewarn reads; everything else is skipped unparsed.
#[derive(Deserialize)]
struct Log<'a> {
    #[serde(default, borrow)]
    date: Text<'a>,
    #[serde(default, borrow, rename = "type")]
    code: Text<'a>,
    #[serde(default, borrow)]
    description: Str<'a>,
    #[serde(default, borrow)]
    ip: Str<'a>,
    #[serde(default, borrow)]
    user_agent: Str<'a>,
    #[serde(default, borrow)]
    user_id: Str<'a>,
    #[serde(default, borrow)]
    user_name: Str<'a>,
    #[serde(default, borrow)]
    connection: Str<'a>,
    #[serde(default, borrow)]
    strategy: Str<'a>,
    #[serde(default, borrow)]
    details: Obj<Details<'a>>,
    /// Geolocation Auth0 added to logs of the `/api/v2/logs` API before log streams existed.
    #[serde(default, borrow)]
    location_info: Obj<LocationInfo<'a>>,
    /// The log itself, in a log stream's wrapper.
    #[serde(default, borrow)]
    data: Option<Box<Log<'a>>>,
}

#[derive(Deserialize, Default)]
struct Details<'a> {
    #[serde(default, borrow)]
    session_id: Str<'a>,
    /// The request of a change-password request or passwordless start.
    #[serde(default, borrow)]
    body: Obj<Body<'a>>,
    /// The factor of a Guardian MFA event.
    #[serde(default, borrow)]
    authenticator: Obj<Authenticator<'a>>,
    #[serde(default, borrow)]
    enrollment: Obj<Enrollment<'a>>,
    /// Adaptive MFA's assessment of a login.
    #[serde(default, borrow, rename = "riskAssessment")]
    risk_assessment: Obj<RiskAssessment<'a>>,
}

#[derive(Deserialize, Default)]
struct Body<'a> {
    #[serde(default, borrow)]
    email: Str<'a>,
    #[serde(default, borrow)]
    username: Str<'a>,
    #[serde(default, borrow)]
    phone_number: Str<'a>,
    #[serde(default, borrow)]
    connection: Str<'a>,
}

#[derive(Deserialize, Default)]
struct Authenticator<'a> {
    #[serde(default, borrow, rename = "type")]
    kind: Str<'a>,
    #[serde(default, borrow)]
    phone_number: Str<'a>,
}

#[derive(Deserialize, Default)]
struct Enrollment<'a> {
    #[serde(default, borrow)]
    phone_number: Str<'a>,
}

#[derive(Deserialize, Default)]
struct RiskAssessment<'a> {
    #[serde(default, borrow)]
    confidence: Str<'a>,
}

#[derive(Deserialize, Default)]
struct LocationInfo<'a> {
    #[serde(default, borrow)]
    country_code: Str<'a>,
}

fn decode_log(log: Log<'_>) -> Result<Decoded<'_>, RecordError> {
    let date = log.date.require("date")?;
    let code = log.code.require("type")?;
    if is_redacted(&date) {
        return Ok(Decoded::Skipped(Cow::Owned(format!(
            "event type {code} with `date` redacted"
        ))));
    }
    let time = parse_time("date", &date)?;
    let description = log.description.0.unwrap_or_default();
    let Some(rule) = rule_for(&code, &description) else {
        return Ok(Decoded::Skipped(Cow::Owned(format!("event type {code}"))));
    };

    // Auth0 fills `user_id` on a success only for a user it found.
    let found_user = rule.outcome == Outcome::Success
        && log
            .user_id
            .0
            .as_deref()
            .is_some_and(|id| !id.trim().is_empty());
    let details = log.details.0.unwrap_or_default();
    let body = details.body.0.unwrap_or_default();
    // `user_name` is the identifier typed or the user's login; requests that name no user yet
    // (a reset asked for an address) carry it in the body; Guardian logs often only the id.
    let name = [
        log.user_name.0,
        body.email.0,
        body.username.0,
        body.phone_number.0.clone(),
        log.user_id.0,
    ]
    .into_iter()
    .flatten()
    .find_map(account);
    let Some(name) = name else {
        // Auth0 documents empty `user_name` and `user_id` on failure logs: a request that
        // failed before naming anyone (a misconfigured cross-origin login page, say).
        if rule.outcome == Outcome::Failure {
            return Ok(Decoded::Skipped(Cow::Owned(format!(
                "event type {code} without a user"
            ))));
        }
        return Err(RecordError::MissingField("user_name"));
    };

    let mut event = AuthEvent::new(time, rule.kind, rule.outcome, name);
    event.reason = rule.reason;
    event.account_exists = rule.account_exists.or(found_user.then_some(true));
    event.ip = log.ip.0.as_deref().and_then(parse_ip);
    event.user_agent = non_empty(log.user_agent.0);
    event.session = non_empty(details.session_id.0);
    event.country = log
        .location_info
        .0
        .and_then(|l| l.country_code.0)
        .and_then(|code| Country::new(code.trim()).ok());
    // Adaptive MFA scores its confidence that the login is the user's own: low confidence is
    // high risk.
    event.risk = details
        .risk_assessment
        .0
        .and_then(|r| r.confidence.0)
        .and_then(|confidence| match confidence.trim() {
            c if c.eq_ignore_ascii_case("low") => Some(Risk::High),
            c if c.eq_ignore_ascii_case("medium") => Some(Risk::Medium),
            c if c.eq_ignore_ascii_case("high") => Some(Risk::Low),
            _ => None,
        });
    let authenticator = details.authenticator.0.unwrap_or_default();
    event.channel = match rule.channel {
        ChannelFrom::Fixed(channel) => Some(channel),
        ChannelFrom::Connection => [
            body.connection.0.as_deref(),
            log.connection.0.as_deref(),
            log.strategy.0.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find_map(channel_named),
        ChannelFrom::Factor => authenticator
            .kind
            .0
            .as_deref()
            .and_then(channel_named)
            .or_else(|| factor_in_description(&description)),
        ChannelFrom::None => None,
    };
    if event.channel == Some(Channel::Sms) {
        event.channel_target = non_empty(authenticator.phone_number.0)
            .or_else(|| non_empty(details.enrollment.0.and_then(|e| e.phone_number.0)))
            .or_else(|| non_empty(body.phone_number.0));
    }
    Ok(Decoded::One(event))
}

/// How a type code is read.
struct Rule {
    kind: Kind,
    outcome: Outcome,
    reason: Option<Reason>,
    account_exists: Option<bool>,
    channel: ChannelFrom,
}

/// Where a record's channel comes from.
#[derive(Clone, Copy)]
enum ChannelFrom {
    Fixed(Channel),
    /// The passwordless connection, named `email` or `sms`.
    Connection,
    /// The Guardian factor (`authenticator.type`, or `(sms)` in the description).
    Factor,
    None,
}

/// The event a type code stands for; `None` for codes forewarn does not use. See
/// `docs/formats.md (auth0)` for each code.
fn rule_for(code: &str, description: &str) -> Option<Rule> {
    use Kind::*;
    use Outcome::{Failure, Success};
    let rule = |kind, outcome, reason| Rule {
        kind,
        outcome,
        reason,
        account_exists: None,
        channel: ChannelFrom::None,
    };
    let channel = |kind, outcome, reason, channel| Rule {
        channel,
        ..rule(kind, outcome, reason)
    };
    Some(match code {
        // Logins.
        "s" => rule(SessionStart, Success, None),
        "fp" => Rule {
            account_exists: Some(true),
            ..rule(AuthPassword, Failure, Some(Reason::BadPassword))
        },
        "fu" => Rule {
            account_exists: Some(false),
            ..rule(AuthPassword, Failure, Some(Reason::UnknownAccount))
        },
        "f" | "fc" | "fcoa" | "fepft" => {
            let reason = description_reason(description);
            Rule {
                account_exists: (reason == Some(Reason::UnknownAccount)).then_some(false),
                ..rule(AuthPassword, Failure, reason)
            }
        }
        "scoa" | "sepft" => rule(AuthPassword, Success, None),
        "pwd_leak" if contains_ignore_case(description, "blocked") => {
            rule(AuthPassword, Failure, Some(Reason::Blocked))
        }
        "limit_sul" => rule(AuthPassword, Failure, Some(Reason::Blocked)),
        "limit_wc" => rule(AccountLockout, Success, None),
        // Passwordless: an identifier entered and a code or link sent to sign in with.
        "cs" | "cls" => channel(AccountLookup, Success, None, ChannelFrom::Connection),

        // MFA with Guardian, and the MFA grants of the token endpoint.
        "gd_auth_succeed" | "gd_recovery_succeed" | "seotpft" | "seoobft" | "sercft" => {
            rule(AuthMfa, Success, None)
        }
        "gd_auth_failed" | "gd_recovery_failed" | "feotpft" | "fercft" => {
            rule(AuthMfa, Failure, Some(Reason::BadCode))
        }
        "feoobft" => rule(AuthMfa, Failure, description_mfa_reason(description)),
        "gd_webauthn_challenge_failed" => rule(AuthMfa, Failure, None),
        "gd_auth_rejected" => channel(
            AuthMfa,
            Failure,
            Some(Reason::MfaDenied),
            ChannelFrom::Fixed(Channel::App),
        ),
        "gd_otp_rate_limit_exceed" | "gd_recovery_rate_limit_exceed" => {
            rule(AuthMfa, Failure, Some(Reason::Blocked))
        }
        "gd_send_pn" => channel(AuthMfa, Success, None, ChannelFrom::Fixed(Channel::App)),
        "gd_send_pn_failure" => channel(AuthMfa, Failure, None, ChannelFrom::Fixed(Channel::App)),
        "gd_send_sms" => channel(AuthMfa, Success, None, ChannelFrom::Fixed(Channel::Sms)),
        "gd_send_sms_failure" => channel(AuthMfa, Failure, None, ChannelFrom::Fixed(Channel::Sms)),
        "gd_send_voice" => channel(AuthMfa, Success, None, ChannelFrom::Fixed(Channel::App)),
        "gd_send_voice_failure" => {
            channel(AuthMfa, Failure, None, ChannelFrom::Fixed(Channel::App))
        }
        "gd_send_email" => channel(AuthMfa, Success, None, ChannelFrom::Fixed(Channel::Email)),
        "gd_send_email_failure" => {
            channel(AuthMfa, Failure, None, ChannelFrom::Fixed(Channel::Email))
        }
        "gd_enrollment_complete" | "gd_unenroll" | "gd_update_device_account" => {
            channel(AccountMfaChange, Success, None, ChannelFrom::Factor)
        }

        // Password reset: the request that mails the link, then the new password.
        "scpr" => channel(
            RecoveryCodeSent,
            Success,
            None,
            ChannelFrom::Fixed(Channel::Email),
        ),
        "fcpr" => {
            let unknown = description_reason(description) == Some(Reason::UnknownAccount);
            Rule {
                account_exists: unknown.then_some(false),
                ..channel(
                    RecoveryCodeSent,
                    Failure,
                    unknown.then_some(Reason::UnknownAccount),
                    ChannelFrom::Fixed(Channel::Email),
                )
            }
        }
        "scp" => rule(RecoveryReset, Success, None),
        "fcp" => rule(RecoveryReset, Failure, None),

        // Recovery info.
        "sce" => channel(
            AccountRecoveryInfoChange,
            Success,
            None,
            ChannelFrom::Fixed(Channel::Email),
        ),
        "fce" => channel(
            AccountRecoveryInfoChange,
            Failure,
            None,
            ChannelFrom::Fixed(Channel::Email),
        ),
        "scpn" => channel(
            AccountRecoveryInfoChange,
            Success,
            None,
            ChannelFrom::Fixed(Channel::Sms),
        ),
        "fcpn" => channel(
            AccountRecoveryInfoChange,
            Failure,
            None,
            ChannelFrom::Fixed(Channel::Sms),
        ),
        _ => return None,
    })
}

/// The reason a failed login's `description` gives. Auth0 writes free text here
/// (`Wrong email or password.`, `user is blocked`, `User does not exist.`).
fn description_reason(description: &str) -> Option<Reason> {
    let has = |needle| contains_ignore_case(description, needle);
    if has("does not exist") || has("user not found") || has("no user") {
        Some(Reason::UnknownAccount)
    } else if has("blocked") || has("too many") {
        Some(Reason::Blocked)
    } else if has("wrong email or password")
        || has("wrong username or password")
        || has("wrong password")
        || has("invalid password")
        || has("invalid credentials")
        || has("incorrect password")
    {
        Some(Reason::BadPassword)
    } else {
        None
    }
}

/// The reason of a failed out-of-band MFA grant: a rejected push or an expired one.
fn description_mfa_reason(description: &str) -> Option<Reason> {
    if contains_ignore_case(description, "reject") {
        Some(Reason::MfaDenied)
    } else if contains_ignore_case(description, "expired") {
        Some(Reason::MfaTimeout)
    } else {
        None
    }
}

/// `email` / `sms` connections and Guardian factor types (`sms`, `voice`, `push`, `otp`,
/// `email`).
fn channel_named(name: &str) -> Option<Channel> {
    let name = name.trim();
    if name.eq_ignore_ascii_case("sms") || name.eq_ignore_ascii_case("phone") {
        Some(Channel::Sms)
    } else if name.eq_ignore_ascii_case("email") {
        Some(Channel::Email)
    } else if [
        "voice",
        "push",
        "push-notification",
        "guardian",
        "otp",
        "totp",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
    {
        Some(Channel::App)
    } else {
        None
    }
}

/// `Guardian - Enrollment complete (sms)`: the factor in parentheses.
fn factor_in_description(description: &str) -> Option<Channel> {
    let open = description.rfind('(')?;
    let close = description[open..].find(')')? + open;
    channel_named(&description[open + 1..close])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_in_descriptions() {
        assert_eq!(
            description_reason("Wrong email or password."),
            Some(Reason::BadPassword)
        );
        assert_eq!(
            description_reason("User does not exist."),
            Some(Reason::UnknownAccount)
        );
        assert_eq!(description_reason("user is blocked"), Some(Reason::Blocked));
        assert_eq!(
            description_reason("Unable to configure verification page."),
            None
        );
    }

    #[test]
    fn factors_in_descriptions() {
        assert_eq!(
            factor_in_description("Guardian - Enrollment complete (sms)"),
            Some(Channel::Sms)
        );
        assert_eq!(
            factor_in_description("Guardian - Enrollment complete (voice)"),
            Some(Channel::App)
        );
        assert_eq!(factor_in_description("Enrollment complete"), None);
        assert_eq!(factor_in_description("odd )( text"), None);
    }
}
