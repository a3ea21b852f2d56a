//! What the engine keeps of an event, and what it accumulates per source.

use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};

use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, RawRef, Reason};

use serde::{Deserialize, Serialize};

use crate::allowlist::NetworkClass;
use crate::campaigns::Stage;
use crate::intern::{FastMap, FastSet, Symbol};
use crate::places::Places;

/// One event, compact: strings are interned ids or hashes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Observation {
    pub time_ms: i64,
    pub kind: Kind,
    pub outcome: Outcome,
    pub reason: Option<Reason>,
    pub channel: Option<Channel>,
    pub account: Symbol,
    /// False when the log says the identifier names no account.
    pub exists: bool,
    /// The source address (or host name), interned.
    pub source: Option<Symbol>,
    /// The source address, when it is one.
    pub ip: Option<std::net::IpAddr>,
    pub asn: Option<u32>,
    pub country: Option<Country>,
    pub agent: Option<Symbol>,
    /// Hash of the device id (devices are too many to intern).
    pub device: Option<u64>,
    pub actor: Option<Symbol>,
    /// The configured network the source address is in (`[allowlist]`): the organisation's
    /// egress, a known VPN, or neither.
    pub network: NetworkClass,
    /// The recovery mailbox a code went to, hashed from its first letter and domain (`mailbox_key`).
    pub recovery_mailbox: Option<u64>,
    pub raw: RawRef,
}

/// What a masked recovery address (`j***@example.com`) still says about its mailbox: the first
/// letter and the domain, hashed. The same key made from an account's own address tells which
/// accounts a masked address can be (one in a few dozen of a domain's accounts, not one in all).
/// None for anything that is not an email address (a masked phone number).
pub fn mailbox_key(address: &str) -> Option<u64> {
    let (local, domain) = address.trim().rsplit_once('@')?;
    let first = local.chars().next()?.to_lowercase().next()?;
    if first == '*' || domain.is_empty() {
        return None;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    first.hash(&mut hasher);
    domain.to_ascii_lowercase().hash(&mut hasher);
    Some(hasher.finish())
}

impl Observation {
    pub fn exists_in(event: &AuthEvent<'_>) -> bool {
        event.account_exists != Some(false) && event.reason != Some(Reason::UnknownAccount)
    }

    /// How far an event by an attacker takes it with the account (DESIGN.md "Stages").
    pub fn stage(&self) -> Stage {
        Stage::of(self.kind, self.outcome)
    }
}

/// How far a source got with one account, and the evidence.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Reach {
    pub stage: Stage,
    pub first_ms: i64,
    pub last_ms: i64,
    /// The event that reached the stage.
    pub evidence: RawRef,
    /// The client of the first event with the account that carried one: at an address
    /// several people share, which of them came to this account.
    pub agent: Option<Symbol>,
    /// The account had never signed in from this source when it first came.
    pub stranger: bool,
    /// Days with a session granted from here, and the last such day: an owner signs in from
    /// the same place on many days; an attacker who got in, on one.
    pub session_days: u16,
    last_session_day: i64,
    /// Failed passwords on the account from here.
    pub failures: u32,
    /// A session of the account was granted from here.
    pub session: bool,
    /// Recovery of the account was started from here (or a code sent).
    pub recovery_started: bool,
    /// Recovery of the account was finished from here (a code verified, a reset).
    pub recovery_completed: bool,
}

impl Reach {
    /// A source's first event with an account: the stage it reached, when, and how.
    fn first(
        stage: Stage,
        time_ms: i64,
        evidence: RawRef,
        agent: Option<Symbol>,
        stranger: bool,
    ) -> Reach {
        Reach {
            stage,
            first_ms: time_ms,
            last_ms: time_ms,
            evidence,
            agent,
            stranger,
            session_days: 0,
            last_session_day: i64::MIN,
            failures: 0,
            session: false,
            recovery_started: false,
            recovery_completed: false,
        }
    }

    /// The account's own place, shared with an attacker (an infected home router, a proxy
    /// exit): its owner's sessions are not the campaign's.
    /// (`min_days`: `[campaigns] owners_place_days`.)
    pub fn owners_place(&self, min_days: u16) -> bool {
        self.session_days >= min_days
    }
}

/// The accounts a source reached. Most addresses are one household's, reaching one account:
/// that first account is kept inline, so an event from such an address finds it without a
/// table lookup (a cache miss on every first event of a sign-in); the others are in a table.
#[derive(Debug, Default)]
pub struct Reaches {
    first: Option<(Symbol, Reach)>,
    rest: FastMap<Symbol, Reach>,
}

impl Reaches {
    pub fn get(&self, account: &Symbol) -> Option<&Reach> {
        match &self.first {
            Some((first, reach)) if first == account => Some(reach),
            Some(_) if !self.rest.is_empty() => self.rest.get(account),
            _ => None,
        }
    }

    pub fn contains_key(&self, account: &Symbol) -> bool {
        self.get(account).is_some()
    }

    /// The account's reach, made by `make` if it has none; true when it was made.
    fn get_or_insert_with(
        &mut self,
        account: Symbol,
        make: impl FnOnce() -> Reach,
    ) -> (&mut Reach, bool) {
        if self.first.is_none() {
            return (&mut self.first.insert((account, make())).1, true);
        }
        match &mut self.first {
            Some((first, reach)) if *first == account => (reach, false),
            _ => match self.rest.entry(account) {
                Entry::Occupied(entry) => (entry.into_mut(), false),
                Entry::Vacant(entry) => (entry.insert(make()), true),
            },
        }
    }

    pub fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Every account with its reach: the first account reached, then the others.
    pub fn iter(&self) -> impl Iterator<Item = (&Symbol, &Reach)> + '_ {
        self.first
            .iter()
            .map(|(account, reach)| (account, reach))
            .chain(self.rest.iter())
    }

    pub fn keys(&self) -> impl Iterator<Item = &Symbol> + '_ {
        self.iter().map(|(account, _)| account)
    }

    pub fn values(&self) -> impl Iterator<Item = &Reach> + '_ {
        self.iter().map(|(_, reach)| reach)
    }
}

/// Saved as the map it is (first account first), so a checkpoint reads back the same.
impl Serialize for Reaches {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Reaches {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Reaches;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of accounts to their reach")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Reaches, A::Error> {
                let mut reaches = Reaches::default();
                while let Some((account, reach)) = map.next_entry::<Symbol, Reach>()? {
                    *reaches.get_or_insert_with(account, || reach).0 = reach;
                }
                Ok(reaches)
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// Everything a source address did, summed up: what the source-level detectors read.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SourceStats {
    pub first_ms: i64,
    pub last_ms: i64,
    pub events: u32,
    pub ip: Option<std::net::IpAddr>,
    pub asn: Option<u32>,
    /// The configured network of the address (`[allowlist]`).
    pub network: NetworkClass,
    /// Existing accounts touched, with how far the source got with each and what it did
    /// with it (failures, sessions, recoveries): one table rather than one per question,
    /// since each event of the engine's hottest path looks it up.
    pub reach: Reaches,
    /// Identifiers tried that name no account.
    pub nonexistent: FastSet<Symbol>,
    /// Of those, the ones looked up or put into recovery (not a password submitted).
    pub nonexistent_looked_up: FastSet<Symbol>,
    pub password_failures: u32,
    pub mfa_failures: u32,
    /// Accounts with a failed password from here (`Reach::failures`).
    pub failed_accounts: u32,
    pub sessions: u32,
    /// Accounts granted a session from here (`Reach::session`).
    pub session_accounts: u32,
    /// Accounts recovery was started for (`Reach::recovery_started`).
    pub recovery_started: u32,
    /// Accounts whose recovery was finished (`Reach::recovery_completed`).
    pub recovery_completed: u32,
    /// Events acted by an admin on someone else's behalf.
    pub admin_actions: u32,
    /// Which kinds of event the source sent, one bit per kind: its behaviour in brief.
    pub kinds: u32,
    /// User agents seen (the first 8), inline: every event of the source reads them.
    pub agents: Places<Symbol, 8>,
    /// The first events, as evidence.
    pub evidence: Vec<RawRef>,
}

impl SourceStats {
    /// Adds one event; `stranger` says whether the account had never signed in from here.
    pub fn observe(&mut self, o: &Observation, stranger: bool) {
        self.observe_with(o, || stranger);
    }

    /// Adds one event; `stranger` is asked only when the account is new to this source (it
    /// reads the account's baseline, a cache miss the engine saves on every other event).
    pub fn observe_with(&mut self, o: &Observation, stranger: impl FnOnce() -> bool) {
        if self.events == 0 {
            self.first_ms = o.time_ms;
            self.asn = o.asn;
            self.ip = o.ip;
            self.network = o.network;
        }
        self.first_ms = self.first_ms.min(o.time_ms);
        self.last_ms = self.last_ms.max(o.time_ms);
        self.events += 1;
        self.kinds |= 1 << (o.kind as u32);
        if self.evidence.len() < 8 {
            self.evidence.push(o.raw);
        }
        if let Some(agent) = o.agent {
            if self.agents.len() < 8 && !self.agents.contains(&agent) {
                self.agents.push(agent);
            }
        }
        if o.actor.is_some_and(|a| a != o.account) {
            self.admin_actions += 1;
            return;
        }
        if !o.exists {
            self.nonexistent.insert(o.account);
            if matches!(o.kind, Kind::AccountLookup | Kind::RecoveryStart) {
                self.nonexistent_looked_up.insert(o.account);
            }
            return;
        }
        let stage = o.stage();
        let (reach, new) = self.reach.get_or_insert_with(o.account, || {
            Reach::first(stage, o.time_ms, o.raw, o.agent, stranger())
        });
        if !new {
            reach.first_ms = reach.first_ms.min(o.time_ms);
            reach.last_ms = reach.last_ms.max(o.time_ms);
            if stage > reach.stage {
                reach.stage = stage;
                reach.evidence = o.raw;
            }
            // Some records carry no client (Microsoft 365's password reset, before the
            // sign-in that does).
            reach.agent = reach.agent.or(o.agent);
        }
        match (o.kind, o.outcome) {
            (Kind::AuthPassword, Outcome::Failure) => {
                self.password_failures += 1;
                self.failed_accounts += u32::from(reach.failures == 0);
                reach.failures += 1;
            }
            (Kind::AuthMfa, Outcome::Failure) => self.mfa_failures += 1,
            (Kind::SessionStart, Outcome::Success) => {
                let day = o.time_ms.div_euclid(86_400_000);
                if day != reach.last_session_day {
                    reach.last_session_day = day;
                    reach.session_days = reach.session_days.saturating_add(1);
                }
                self.sessions += 1;
                self.session_accounts += u32::from(!reach.session);
                reach.session = true;
            }
            // A code sent is a flow started, for logs that record no start of their own.
            (Kind::RecoveryStart | Kind::RecoveryCodeSent, _) => {
                self.recovery_started += u32::from(!reach.recovery_started);
                reach.recovery_started = true;
            }
            (Kind::RecoveryReset | Kind::RecoveryCodeVerify, Outcome::Success) => {
                self.recovery_completed += u32::from(!reach.recovery_completed);
                reach.recovery_completed = true;
            }
            _ => {}
        }
    }

    /// The most failed passwords on one account from here.
    pub fn most_failures_on_one_account(&self) -> u32 {
        self.reach.values().map(|r| r.failures).max().unwrap_or(0)
    }

    /// How alike two sources behave: the share of the event kinds of the one that did fewer
    /// that the other did too. An operation's quieter address does a subset of what its
    /// busiest one does (probes where the other probes and attacks): alike; one tool used to
    /// probe and to spray: not.
    pub fn alike(&self, other: &SourceStats) -> f64 {
        self.alike_in(other, u32::MAX)
    }

    /// How alike two sources behave in the kinds of `mask` (all kinds when neither sent one):
    /// the share of the fewer kinds that both have.
    pub fn alike_in(&self, other: &SourceStats, mask: u32) -> f64 {
        let (mine, theirs) = match (self.kinds & mask, other.kinds & mask) {
            (0, 0) => (self.kinds, other.kinds),
            masked => masked,
        };
        let both = (mine & theirs).count_ones();
        let fewer = mine.count_ones().min(theirs.count_ones());
        f64::from(both) / f64::from(fewer.max(1))
    }

    /// Nothing here a detector could hold against the source: every account it touched had
    /// signed in from it before (or has since, on several days: its owner's place), and it
    /// never failed, probed, recovered or acted for others.
    /// Such a source can be forgotten once it falls silent.
    pub fn quiet(&self, owners_place_days: u16) -> bool {
        self.password_failures == 0
            && self.mfa_failures == 0
            && self.admin_actions == 0
            && self.nonexistent.is_empty()
            && self.recovery_started == 0
            && self.recovery_completed == 0
            && self
                .reach
                .values()
                .all(|r| !r.stranger || r.owners_place(owners_place_days))
    }

    /// Distinct identifiers tried, existing or not.
    pub fn identifiers(&self) -> usize {
        self.reach.len() + self.nonexistent.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach(stage: Stage) -> Reach {
        Reach {
            last_ms: 2,
            ..Reach::first(stage, 1, RawRef::default(), None, true)
        }
    }

    #[test]
    fn reaches_find_the_first_account_and_the_others_and_save_as_a_map() {
        let mut reaches = Reaches::default();
        assert!(reaches.is_empty() && reaches.get(&1).is_none());
        for account in [5, 1, 9] {
            let (_, new) = reaches.get_or_insert_with(account, || reach(Stage::Identified));
            assert!(new);
        }
        let (again, new) = reaches.get_or_insert_with(1, || reach(Stage::Identified));
        assert!(!new);
        again.stage = Stage::Compromised;
        assert_eq!(reaches.len(), 3);
        assert_eq!(reaches.get(&1).map(|r| r.stage), Some(Stage::Compromised));
        assert!(reaches.contains_key(&5) && !reaches.contains_key(&2));
        let mut keys: Vec<Symbol> = reaches.keys().copied().collect();
        assert_eq!(keys[0], 5);
        keys.sort_unstable();
        assert_eq!(keys, [1, 5, 9]);
        let json = serde_json::to_string(&reaches).unwrap();
        let back: Reaches = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert_eq!(back.get(&1).map(|r| r.stage), Some(Stage::Compromised));
    }
}
