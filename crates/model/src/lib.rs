//! The normalized event model every stage of forewarn speaks.
//!
//! Decoders turn vendor records into [`AuthEvent`]s; enrichment, detection and campaign
//! correlation read nothing else. The serde representation of [`AuthEvent`] *is* forewarn's
//! native JSON-lines format (see `docs/formats.md`), so `forewarn decode` output can be fed back
//! in unchanged.
//!
//! This crate must stay small and cheap to build: no I/O, no vendor knowledge, no parsing
//! beyond the native format's own scalar types. Strings borrow from the input buffer where they
//! can ([`Cow`]), because this is the hot path.

mod account;
mod country;
mod kind;
mod time;

use std::borrow::Cow;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub use account::normalize_account;
pub use country::{Country, InvalidCountry};
pub use jiff::Timestamp;
pub use kind::{Channel, Kind, Outcome, Reason, Risk};
pub use time::{parse_time, InvalidTime};

/// One authentication or account-recovery event, normalized.
///
/// Field order and names follow forewarn's native format. Optional fields are omitted when
/// absent on output and may be absent or `null` on input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthEvent<'a> {
    /// When the event happened, in UTC.
    #[serde(deserialize_with = "time::deserialize")]
    pub time: Timestamp,
    /// What happened.
    #[serde(rename = "event")]
    pub kind: Kind,
    pub outcome: Outcome,
    /// Lower-cased login identifier the event is about (the target, not the admin acting on it).
    #[serde(borrow)]
    pub account: Cow<'a, str>,
    /// Whether the identity system says the account exists, when it says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_exists: Option<bool>,
    /// Source address of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// Source given as a host name (or an address the log wrote in a non-standard way) when the
    /// log carries no parseable IP address, e.g. sshd with `UseDNS yes`.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub source_host: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<Cow<'a, str>>,
    /// Recovery channel a code or link went to, or that was revealed or changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// The channel's target as the log shows it, usually masked (`j***@gmail.com`).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub channel_target: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub session: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Who acted, when that is not the account owner (an admin or help-desk agent resetting
    /// someone's password). Lower-cased like `account`.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Cow<'a, str>>,
    /// The identity provider's own risk verdict for this event, when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    /// Where the raw record is. Not part of the native format: decoders fill it in from the
    /// record's actual position, and writers that want it name the input (see `RawRef`).
    #[serde(skip)]
    pub raw: RawRef,
}

impl<'a> AuthEvent<'a> {
    /// A new event with every optional field empty.
    pub fn new(time: Timestamp, kind: Kind, outcome: Outcome, account: Cow<'a, str>) -> Self {
        AuthEvent {
            time,
            kind,
            outcome,
            account,
            account_exists: None,
            ip: None,
            source_host: None,
            user_agent: None,
            device_id: None,
            channel: None,
            channel_target: None,
            country: None,
            asn: None,
            session: None,
            reason: None,
            actor: None,
            risk: None,
            raw: RawRef::default(),
        }
    }

    /// Copies every borrowed string so the event can outlive its input buffer.
    pub fn into_owned(self) -> AuthEvent<'static> {
        fn own(s: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            s.map(|s| Cow::Owned(s.into_owned()))
        }
        AuthEvent {
            time: self.time,
            kind: self.kind,
            outcome: self.outcome,
            account: Cow::Owned(self.account.into_owned()),
            account_exists: self.account_exists,
            ip: self.ip,
            source_host: own(self.source_host),
            user_agent: own(self.user_agent),
            device_id: own(self.device_id),
            channel: self.channel,
            channel_target: own(self.channel_target),
            country: self.country,
            asn: self.asn,
            session: own(self.session),
            reason: self.reason,
            actor: own(self.actor),
            risk: self.risk,
            raw: self.raw,
        }
    }
}

/// Where an event's raw record lives: an input (numbered by the run that read it), the 1-based
/// line the record starts on, and the record's 0-based index within that line when one line
/// holds several (a JSON array or API page on one line).
///
/// The input is a number rather than a path so that an event stays small; the run that read
/// the inputs keeps the table of names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RawRef {
    pub input: u32,
    pub line: u64,
    pub index: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESIGN_EXAMPLE: &str = r#"{"time":"2019-08-14T03:12:55Z","event":"recovery.code_sent","outcome":"success",
 "account":"jane.doe@example.com","account_exists":true,"ip":"203.0.113.7",
 "user_agent":"Mozilla/5.0 ...","device_id":"d-81f2","channel":"email",
 "channel_target":"j***@gmail.com","country":"DE","asn":64500,"session":"s-123","reason":null}"#;

    #[test]
    fn reads_the_design_example() {
        let event: AuthEvent<'_> = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
        assert_eq!(event.kind, Kind::RecoveryCodeSent);
        assert_eq!(event.outcome, Outcome::Success);
        assert_eq!(event.account, "jane.doe@example.com");
        assert_eq!(event.account_exists, Some(true));
        assert_eq!(event.ip, Some("203.0.113.7".parse().unwrap()));
        assert_eq!(event.channel, Some(Channel::Email));
        assert_eq!(event.country, Some(Country::new("DE").unwrap()));
        assert_eq!(event.asn, Some(64500));
        assert_eq!(event.reason, None);
        assert!(matches!(event.account, Cow::Borrowed(_)));
    }

    #[test]
    fn round_trips_through_the_native_format() {
        let event: AuthEvent<'_> = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
        let text = serde_json::to_string(&event).unwrap();
        let again: AuthEvent<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(event, again);
        assert!(text.starts_with(r#"{"time":"2019-08-14T03:12:55Z","event":"recovery.code_sent""#));
        assert!(!text.contains("null"), "absent fields are omitted: {text}");
    }

    #[test]
    fn rejects_an_unknown_kind_with_the_valid_ones_listed() {
        let err = serde_json::from_str::<AuthEvent<'_>>(
            r#"{"time":"2019-08-14T03:12:55Z","event":"login","outcome":"success","account":"a"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown variant `login`"), "{err}");
        assert!(err.contains("recovery.code_sent"), "{err}");
    }
}
