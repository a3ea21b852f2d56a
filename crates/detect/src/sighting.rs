//! Events made compact where they are decoded, so that the engine's thread does no string work.
//!
//! A decoding worker turns each event into a [`Sighting`]: fixed-size, its strings replaced by
//! keyed 64-bit hashes, the text itself copied once into the batch's text buffer (a copy is far
//! cheaper than asking a large table whether the engine knows the name yet). The engine
//! interns by hash and reads the text only for names it has not met.
//!
//! The hash key is random per run ([`Keys`]): nobody can craft an account name or address that
//! collides with another one, or floods the engine's tables.

use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;

use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, RawRef, Reason};

use crate::observation::{mailbox_key, Observation};

/// Which table a name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// Accounts, and actors (admins are accounts too).
    Account,
    /// Source addresses (as text) and host names.
    Source,
    Agent,
}

/// The keyed hash shared by an engine and every worker preparing events for it. The key is
/// random per engine and travels with its checkpoints (the state is keyed by these hashes:
/// devices are known only by theirs), never anywhere else.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Keys {
    k0: u64,
    k1: u64,
}

impl Default for Keys {
    fn default() -> Self {
        // The standard library's per-process random seed, drawn twice.
        let random = std::hash::RandomState::new();
        Keys {
            k0: random.hash_one(0u8),
            k1: random.hash_one(1u8),
        }
    }
}

impl Keys {
    fn hasher(&self) -> impl Hasher {
        // SipHash with a secret key: the standard library's keyed SipHash-2-4 (deprecated for
        // HashMap use, not for this).
        #[allow(deprecated)]
        std::hash::SipHasher::new_with_keys(self.k0, self.k1)
    }

    pub fn text(&self, namespace: Namespace, text: &str) -> u64 {
        let mut hasher = self.hasher();
        hasher.write_u8(namespace as u8);
        hasher.write(text.as_bytes());
        hasher.finish()
    }

    pub fn address(&self, ip: IpAddr) -> u64 {
        let mut hasher = self.hasher();
        hasher.write_u8(Namespace::Source as u8);
        match ip {
            IpAddr::V4(v4) => hasher.write(&v4.octets()),
            IpAddr::V6(v6) => hasher.write(&v6.octets()),
        }
        hasher.finish()
    }
}

/// A name in a sighting: its hash, and where its text is in the batch's text buffer.
#[derive(Debug, Clone, Copy)]
pub struct Name {
    pub hash: u64,
    at: u32,
    len: u32,
}

/// The text of a source address is written only when the engine first meets the address.
const FORMAT_ADDRESS: u32 = u32::MAX;

/// One event, compact and owned: what the engine needs of it.
#[derive(Debug, Clone, Copy)]
pub struct Sighting {
    pub time_ms: i64,
    pub kind: Kind,
    pub outcome: Outcome,
    pub reason: Option<Reason>,
    pub channel: Option<Channel>,
    pub exists: bool,
    pub account: Name,
    pub source: Option<Name>,
    pub ip: Option<IpAddr>,
    pub asn: Option<u32>,
    pub country: Option<Country>,
    pub agent: Option<Name>,
    pub device: Option<u64>,
    pub actor: Option<Name>,
    /// The recovery mailbox a code went to, hashed from its first letter and domain (`mailbox_key`).
    pub recovery_mailbox: Option<u64>,
    pub raw: RawRef,
}

/// Sightings, and the text of their names.
#[derive(Debug, Default)]
pub struct SightingBatch {
    pub sightings: Vec<Sighting>,
    text: String,
}

impl SightingBatch {
    /// A name's text (for addresses, built from the sighting's address).
    pub fn text(&self, name: Name, ip: Option<IpAddr>) -> std::borrow::Cow<'_, str> {
        if name.len == FORMAT_ADDRESS {
            return ip.map_or(std::borrow::Cow::Borrowed(""), |ip| ip.to_string().into());
        }
        let at = name.at as usize;
        self.text
            .get(at..at + name.len as usize)
            .unwrap_or_default()
            .into()
    }
}

/// Makes sightings on one thread.
#[derive(Debug)]
pub struct Sightings {
    keys: Keys,
    batch: SightingBatch,
}

impl Sightings {
    pub fn new(keys: Keys) -> Self {
        Sightings {
            keys,
            batch: SightingBatch::default(),
        }
    }

    fn name(&mut self, namespace: Namespace, text: &str) -> Name {
        let hash = self.keys.text(namespace, text);
        let at = self.batch.text.len();
        // A batch over 4 GiB of names cannot happen (batches are a block of input), but a
        // name that does not fit is kept out rather than pointing at the wrong text.
        let (at, len) = match (u32::try_from(at), u32::try_from(text.len())) {
            (Ok(at), Ok(len)) if len != FORMAT_ADDRESS => {
                self.batch.text.push_str(text);
                (at, len)
            }
            _ => (0, 0),
        };
        Name { hash, at, len }
    }

    pub fn add(&mut self, event: &AuthEvent<'_>) {
        let sighting = self.sight(event);
        self.batch.sightings.push(sighting);
    }

    /// Sightings made since the last [`Sightings::take`].
    pub fn len(&self) -> usize {
        self.batch.sightings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batch.sightings.is_empty()
    }

    /// Makes one event's sighting; its names' text goes into the batch.
    fn sight(&mut self, event: &AuthEvent<'_>) -> Sighting {
        let source = match (&event.ip, &event.source_host) {
            (Some(ip), _) => Some(Name {
                hash: self.keys.address(*ip),
                at: 0,
                len: FORMAT_ADDRESS,
            }),
            (None, Some(host)) => Some(self.name(Namespace::Source, host)),
            (None, None) => None,
        };
        Sighting {
            time_ms: event.time.as_millisecond(),
            kind: event.kind,
            outcome: event.outcome,
            reason: event.reason,
            channel: event.channel,
            exists: Observation::exists_in(event),
            account: self.name(Namespace::Account, &event.account),
            source,
            ip: event.ip,
            asn: event.asn,
            country: event.country,
            agent: event
                .user_agent
                .as_deref()
                .map(|a| self.name(Namespace::Agent, a)),
            // Devices are too many to name: their hash is all the engine keeps.
            device: event
                .device_id
                .as_deref()
                .map(|d| self.keys.text(Namespace::Agent, d) ^ DEVICE),
            actor: event
                .actor
                .as_deref()
                .map(|a| self.name(Namespace::Account, a)),
            recovery_mailbox: match event.channel {
                Some(Channel::Email) => event.channel_target.as_deref().and_then(mailbox_key),
                _ => None,
            },
            raw: event.raw,
        }
    }

    /// Everything made since the last call.
    pub fn take(&mut self) -> SightingBatch {
        // The next batch will be about as large: growing it by doubling copies it each time.
        let next = SightingBatch {
            sightings: Vec::with_capacity(self.batch.sightings.len()),
            text: String::with_capacity(self.batch.text.len()),
        };
        std::mem::replace(&mut self.batch, next)
    }

    /// Everything made since the last call, leaving nothing allocated behind: for a caller that
    /// gives the batch back with [`Sightings::recycle`].
    pub(crate) fn take_for_recycling(&mut self) -> SightingBatch {
        std::mem::take(&mut self.batch)
    }

    /// Gives a used batch back, so that its buffers are reused.
    pub fn recycle(&mut self, mut batch: SightingBatch) {
        if self.batch.sightings.is_empty() {
            batch.sightings.clear();
            batch.text.clear();
            self.batch = batch;
        }
    }
}

/// Keeps device hashes apart from agent hashes of the same text.
const DEVICE: u64 = 0x9e37_79b9_7f4a_7c15;
