//! Events made compact where they are decoded, so that the engine's thread does no string work.
//!
//! A decoding worker turns each event into a [`Sighting`]: fixed-size, its strings replaced by
//! keyed 64-bit hashes. The first time a worker meets a name it also sends the name itself, so
//! the engine learns every name before (or with) its first use: a worker's batches reach the
//! engine in input order, and a worker only ever sends batches of later blocks.
//!
//! The hash key is random per run ([`Keys`]): nobody can craft an account name or address that
//! collides with another one, or floods the engine's tables.

use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;

use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, RawRef, Reason};

use crate::intern::FastSet;
use crate::observation::Observation;

/// Which table a name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// Accounts, and actors (admins are accounts too).
    Account,
    /// Source addresses (as text) and host names.
    Source,
    Agent,
}

/// The keyed hash shared by an engine and every worker preparing events for it.
#[derive(Debug, Clone)]
pub struct Keys(std::hash::RandomState);

impl Default for Keys {
    fn default() -> Self {
        Keys(std::hash::RandomState::new())
    }
}

impl Keys {
    pub fn text(&self, namespace: Namespace, text: &str) -> u64 {
        let mut hasher = self.0.build_hasher();
        hasher.write_u8(namespace as u8);
        hasher.write(text.as_bytes());
        hasher.finish()
    }

    pub fn address(&self, ip: IpAddr) -> u64 {
        let mut hasher = self.0.build_hasher();
        hasher.write_u8(Namespace::Source as u8);
        match ip {
            IpAddr::V4(v4) => hasher.write(&v4.octets()),
            IpAddr::V6(v6) => hasher.write(&v6.octets()),
        }
        hasher.finish()
    }
}

/// One event, compact and owned: what the engine needs of it.
#[derive(Debug, Clone, Copy)]
pub struct Sighting {
    pub time_ms: i64,
    pub kind: Kind,
    pub outcome: Outcome,
    pub reason: Option<Reason>,
    pub channel: Option<Channel>,
    pub exists: bool,
    pub account: u64,
    pub source: Option<u64>,
    pub ip: Option<IpAddr>,
    pub asn: Option<u32>,
    pub country: Option<Country>,
    pub agent: Option<u64>,
    pub device: Option<u64>,
    pub actor: Option<u64>,
    pub raw: RawRef,
}

/// Sightings, and the names first met while making them.
#[derive(Debug, Default)]
pub struct SightingBatch {
    pub sightings: Vec<Sighting>,
    pub names: Vec<(Namespace, u64, Box<str>)>,
}

/// Makes sightings on one thread.
#[derive(Debug)]
pub struct Sightings {
    keys: Keys,
    /// Names this thread has already sent.
    sent: FastSet<u64>,
    batch: SightingBatch,
}

impl Sightings {
    pub fn new(keys: Keys) -> Self {
        Sightings {
            keys,
            sent: FastSet::default(),
            batch: SightingBatch::default(),
        }
    }

    fn name(&mut self, namespace: Namespace, text: &str) -> u64 {
        let hash = self.keys.text(namespace, text);
        if self.sent.insert(hash) {
            self.batch.names.push((namespace, hash, text.into()));
        }
        hash
    }

    pub fn add(&mut self, event: &AuthEvent<'_>) {
        let sighting = self.sight(event);
        self.batch.sightings.push(sighting);
    }

    /// Makes one event's sighting; the names it introduces go into the batch.
    pub fn sight(&mut self, event: &AuthEvent<'_>) -> Sighting {
        let source = match (&event.ip, &event.source_host) {
            (Some(ip), _) => {
                let hash = self.keys.address(*ip);
                if self.sent.insert(hash) {
                    self.batch
                        .names
                        .push((Namespace::Source, hash, ip.to_string().into()));
                }
                Some(hash)
            }
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
            raw: event.raw,
        }
    }

    /// Everything made since the last call.
    pub fn take(&mut self) -> SightingBatch {
        std::mem::take(&mut self.batch)
    }

    /// Names met by [`Sightings::sight`] and not yet taken.
    pub(crate) fn take_names(&mut self) -> std::vec::Drain<'_, (Namespace, u64, Box<str>)> {
        self.batch.names.drain(..)
    }
}

/// Keeps device hashes apart from agent hashes of the same text.
const DEVICE: u64 = 0x9e37_79b9_7f4a_7c15;
