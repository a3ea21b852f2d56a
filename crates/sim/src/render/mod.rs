//! Renderers: one simulated event into one format's records.
//!
//! Each format is one file implementing [`Renderer`], registered in [`renderer_for`]. A
//! renderer is the inverse of the format's decoder in `forewarn-formats`: everything it writes
//! must decode back (zero rejects) to the event it was given, as far as the format can say it.
//! Where a format has no record for an event, the renderer writes the nearest real one, or
//! nothing, and says so in its module documentation (collected in `docs/simulator.md`).

mod auth0;
mod ecs;
mod entra;
mod gws;
mod m365;
mod native;
mod ocsf;
mod okta;

use forewarn_formats::Format;
use forewarn_model::AuthEvent;

pub use auth0::Auth0Renderer;
pub use ecs::EcsRenderer;
pub use entra::EntraRenderer;
pub use gws::GwsRenderer;
pub use m365::M365Renderer;
pub use native::NativeRenderer;
pub use ocsf::OcsfRenderer;
pub use okta::OktaRenderer;

/// What a vendor record carries that the event model does not: stable ids and names.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// The event's position in the simulated stream: unique within a run and deterministic,
    /// so that renderers can derive record ids (UUIDs, request ids) from it.
    pub seq: u64,
    /// A stable number for the account (or the probed address, when it does not exist), for
    /// vendor user ids and GUIDs. Equal for every event of the same account.
    pub account_id: u64,
    /// The person's display name ("Jane Doe"); `None` for an address that does not exist.
    pub display_name: Option<&'a str>,
    /// For admin actions, a stable number for the acting admin (see `AuthEvent::actor`).
    pub actor_id: u64,
    /// The identity provider's domain (`example.com`): tenant, organisation, customer.
    pub tenant_domain: &'a str,
    /// City of the source address, when the simulator knows it.
    pub city: Option<&'a str>,
    /// Name of the source network's operator ("Comcast Cable Communications, LLC").
    pub network_org: Option<&'a str>,
}

impl RenderContext<'_> {
    /// A context with nothing but the sequence number, for tests.
    pub fn bare(seq: u64) -> RenderContext<'static> {
        RenderContext {
            seq,
            account_id: seq,
            display_name: None,
            actor_id: 0,
            tenant_domain: "example.com",
            city: None,
            network_org: None,
        }
    }
}

/// Writes simulated events as one format's records.
pub trait Renderer: Send {
    fn format(&self) -> Format;

    /// The files this renderer writes, relative to the output folder's per-format directory
    /// (most write one; Entra writes sign-ins and audit events apart, as Entra exports them).
    fn files(&self) -> &'static [&'static str];

    /// Appends the records for `event` (each a complete line, `\n`-terminated) to `out[i]`,
    /// where `i` indexes [`files`](Renderer::files). Writes nothing when the format has no
    /// record for the event.
    fn render(&mut self, event: &AuthEvent<'_>, context: &RenderContext<'_>, out: &mut [Vec<u8>]);
}

/// The formats the simulator writes, in `--format all` order.
pub const FORMATS: &[Format] = &[
    Format::Native,
    Format::Okta,
    Format::Entra,
    Format::Gws,
    Format::Auth0,
    Format::M365,
    Format::Ocsf,
    Format::Ecs,
];

/// A renderer for `format`, or `None` when the simulator does not write it.
pub fn renderer_for(format: Format) -> Option<Box<dyn Renderer>> {
    match format {
        Format::Native => Some(Box::new(NativeRenderer)),
        Format::Okta => Some(Box::new(OktaRenderer)),
        Format::Entra => Some(Box::new(EntraRenderer)),
        Format::Gws => Some(Box::new(GwsRenderer)),
        Format::Auth0 => Some(Box::new(Auth0Renderer)),
        Format::M365 => Some(Box::new(M365Renderer)),
        Format::Ocsf => Some(Box::new(OcsfRenderer)),
        Format::Ecs => Some(Box::new(EcsRenderer)),
        _ => None,
    }
}

/// A deterministic UUID (version 4 layout) from a number: vendor ids must look like vendor ids
/// and differ per record, yet the output must be byte-identical across runs.
pub fn uuid(seed: u64) -> String {
    let hi = crate::rng::mix(seed ^ 0x5555_5555);
    let lo = crate::rng::mix(hi ^ seed);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0x0fff,
        0x8000 | (lo >> 48) & 0x3fff,
        lo & 0xffff_ffff_ffff
    )
}

/// Every kind of event the simulator emits, one of each shape (kind, outcome, reason, channel,
/// actor), for renderer round-trip tests. Keep in step with `scenarios/` and `benign.rs`.
pub fn corpus() -> Vec<(AuthEvent<'static>, RenderContext<'static>)> {
    use forewarn_model::{Channel, Kind, Outcome, Reason};
    use std::borrow::Cow;

    /// kind, outcome, reason, channel, done by an admin on the account's behalf
    type Shape = (Kind, Outcome, Option<Reason>, Option<Channel>, bool);
    let shapes: &[Shape] = &[
        (Kind::AccountLookup, Outcome::Success, None, None, false),
        (
            Kind::AccountLookup,
            Outcome::Failure,
            Some(Reason::UnknownAccount),
            None,
            false,
        ),
        (Kind::AuthPassword, Outcome::Success, None, None, false),
        (
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::BadPassword),
            None,
            false,
        ),
        (
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::UnknownAccount),
            None,
            false,
        ),
        (
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::Locked),
            None,
            false,
        ),
        (
            Kind::AuthPassword,
            Outcome::Failure,
            Some(Reason::Blocked),
            None,
            false,
        ),
        (
            Kind::AuthMfa,
            Outcome::Success,
            None,
            Some(Channel::App),
            false,
        ),
        (
            Kind::AuthMfa,
            Outcome::Success,
            None,
            Some(Channel::Sms),
            false,
        ),
        (
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::MfaDenied),
            Some(Channel::App),
            false,
        ),
        (
            Kind::AuthMfa,
            Outcome::Failure,
            Some(Reason::MfaTimeout),
            Some(Channel::App),
            false,
        ),
        (
            Kind::RecoveryStart,
            Outcome::Success,
            None,
            Some(Channel::Email),
            false,
        ),
        (
            Kind::RecoveryStart,
            Outcome::Success,
            None,
            Some(Channel::Sms),
            false,
        ),
        (
            Kind::RecoveryCodeSent,
            Outcome::Success,
            None,
            Some(Channel::Email),
            false,
        ),
        (
            Kind::RecoveryCodeSent,
            Outcome::Success,
            None,
            Some(Channel::Sms),
            false,
        ),
        (
            Kind::RecoveryCodeVerify,
            Outcome::Success,
            None,
            Some(Channel::Email),
            false,
        ),
        (
            Kind::RecoveryCodeVerify,
            Outcome::Success,
            None,
            Some(Channel::Sms),
            false,
        ),
        (
            Kind::RecoveryCodeVerify,
            Outcome::Failure,
            Some(Reason::BadCode),
            Some(Channel::Sms),
            false,
        ),
        (Kind::RecoveryReset, Outcome::Success, None, None, false),
        (Kind::RecoveryReset, Outcome::Success, None, None, true),
        (
            Kind::AccountRecoveryInfoChange,
            Outcome::Success,
            None,
            Some(Channel::Email),
            false,
        ),
        (
            Kind::AccountRecoveryInfoChange,
            Outcome::Success,
            None,
            Some(Channel::Sms),
            false,
        ),
        (
            Kind::AccountMfaChange,
            Outcome::Success,
            None,
            Some(Channel::App),
            false,
        ),
        (
            Kind::AccountMfaChange,
            Outcome::Success,
            None,
            Some(Channel::App),
            true,
        ),
        (
            Kind::AccountPasswordChange,
            Outcome::Success,
            None,
            None,
            false,
        ),
        (Kind::SessionStart, Outcome::Success, None, None, false),
        (Kind::MailboxRuleCreate, Outcome::Success, None, None, false),
        (Kind::AppConsent, Outcome::Success, None, None, false),
        (Kind::AccountLockout, Outcome::Success, None, None, false),
    ];
    let base: jiff::Timestamp = "2019-08-14T03:12:55.250Z".parse().expect("a valid time");
    shapes
        .iter()
        .enumerate()
        .map(|(i, &(kind, outcome, reason, channel, by_admin))| {
            let exists = reason != Some(Reason::UnknownAccount);
            let account = if exists {
                "jane.doe@example.com"
            } else {
                "jane.d@example.com"
            };
            let mut event = AuthEvent::new(
                base + jiff::SignedDuration::from_secs(97 * i as i64),
                kind,
                outcome,
                Cow::Borrowed(account),
            );
            event.account_exists = Some(exists);
            event.ip = Some(if i % 5 == 4 {
                "2607:fb90:1c2e::5a1".parse().expect("a valid address")
            } else {
                "203.0.113.7".parse().expect("a valid address")
            });
            event.user_agent = Some(Cow::Borrowed(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/76.0.3809.100 Safari/537.36",
            ));
            event.device_id = Some(Cow::Borrowed("d-81f2"));
            event.channel = channel;
            event.channel_target = match channel {
                Some(Channel::Email) => Some(Cow::Borrowed("j***@example.net")),
                Some(Channel::Sms) => Some(Cow::Borrowed("+1 ***-***-0147")),
                _ => None,
            };
            event.country = Some(forewarn_model::Country::new("US").expect("a valid country"));
            event.asn = Some(7922);
            event.session = Some(Cow::Owned(format!("s-{:x}", 0x5eed_0000 + i)));
            event.reason = reason;
            if by_admin {
                event.actor = Some(Cow::Borrowed("helpdesk.amy@example.com"));
            }
            let context = RenderContext {
                seq: i as u64,
                account_id: if exists { 1001 } else { 900_001 },
                display_name: exists.then_some("Jane Doe"),
                actor_id: if by_admin { 2002 } else { 0 },
                tenant_domain: "example.com",
                city: Some("Denver"),
                network_org: Some("Comcast Cable Communications, LLC"),
            };
            (event, context)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_well_formed_distinct_and_stable() {
        let a = uuid(1);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_ne!(a, uuid(2));
        assert_eq!(a, uuid(1));
    }
}
