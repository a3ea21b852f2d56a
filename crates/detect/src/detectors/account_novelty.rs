//! Novelty against the account's own history: a session (or a completed recovery) from
//! somewhere the account has never been *and* on a device it has never used, scored by how
//! many of country, network (ASN), device and user agent are new at once. Somewhere new means
//! a new country, or a VPN, relay or hosting network (`relay_asns`) the account never used: a
//! new ISP in the same country is most often the owner's own home or office, first reached on
//! another device, and does not count by itself.
//!
//! Signals: `new_country`, `new_network`, `new_device`, `new_agent` (1 when new),
//! `relay_network` (1 for a VPN, relay or hosting network), `new` (how many of the four are
//! new), `events` (sessions and recoveries from the source that were as new), `thin_history`
//! (1 when the account had fewer than `min_history_sessions` sessions: then only a data
//! centre, VPN or relay network it never used counts as somewhere new).
//! ATT&CK: T1078 (Valid Accounts).
//!
//! Each honest look-alike is new on one side only: a traveller, a VPN user, an office or campus
//! NAT or a carrier's CGNAT bring a new network on the usual devices; a new phone is a new
//! device in the usual places. An address that sessions of many accounts come from (an office,
//! a campus, a carrier's CGNAT pool, a VPN exit) says little about whose it is, so being new to
//! it does not count as a new network. Accounts with no history are not judged; one with a
//! session or two is, on a data-centre, VPN or relay network only (a new country alone may be
//! its home, seen for the first time after sessions over a VPN abroad).
//!
//! In hindsight, a place the account then kept coming back to (sessions on two days or more) is
//! its owner's new place, and a device later used from one of the account's known places is
//! its owner's new device (a phone first used over a VPN, then at home): both are dropped.
//!
//! Known false positives: a new phone or laptop first used while travelling, or at a place
//! used once; a browser update (a new user agent) on a new network. These are findings to read,
//! not accounts to warn: on its own this detector never puts an account in `accounts.jsonl`.

use forewarn_model::{Kind, Outcome, RawRef};
use serde::{Deserialize, Serialize};

use super::{Detector, Verdict};
use crate::engine::{Baseline, State};
use crate::intern::{FastMap, Symbol};
use crate::observation::Observation;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Sessions an account must have had before a place or device can be called new to it
    /// in every sense. With fewer, most places are new; three sessions are a few days of an
    /// ordinary account.
    pub min_history_sessions: u16,
    /// Sessions an account with a thinner history must have had to be judged at all; below
    /// `min_history_sessions` only a data centre, VPN or relay network it never used counts as
    /// somewhere new. 1: one session shows a home or a carrier; a new country alone may be
    /// that home seen for the first time after sessions over a VPN abroad, while nobody lives
    /// in a data centre.
    pub thin_history_sessions: u16,
    /// New dimensions at once (of country, network, device, user agent) for a finding; at
    /// least one must be a network and one a device either way. Two is the least that
    /// satisfies both sides.
    pub min_new: u32,
    /// An address with sessions of at least this many accounts is shared (office, campus,
    /// carrier CGNAT, VPN exit), and being new to it is not a new network. Ten is far above
    /// a household and far below the smallest office NAT.
    pub shared_source_accounts: usize,
    /// Networks (ASNs) of VPNs, privacy relays and cloud hosting: a new one of these is a new
    /// network in the strong sense, like a new country (see the module doc).
    pub relay_asns: Vec<u32>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_history_sessions: 3,
            thin_history_sessions: 1,
            min_new: 2,
            shared_source_accounts: 10,
            relay_asns: RELAY_ASNS.to_vec(),
        }
    }
}

/// Well-known VPN, privacy-relay and hosting networks (AS numbers as their operators announce
/// them): nobody lives in a data centre.
pub(super) const RELAY_ASNS: &[u32] = &[
    9009,   // M247 (VPN exits)
    60068,  // Datacamp / CDN77 (VPN exits)
    212238, // Datacamp (VPN exits)
    136787, // PacketHub (VPN exits)
    13335,  // Cloudflare (WARP)
    36183,  // Akamai (iCloud Private Relay)
    14061,  // DigitalOcean
    16509,  // Amazon
    14618,  // Amazon
    16276,  // OVH
    24940,  // Hetzner
    20473,  // Vultr (The Constant Company)
    63949,  // Akamai Connected Cloud (Linode)
    396982, // Google Cloud
    8075,   // Microsoft
    31898,  // Oracle Cloud
    16265,  // Leaseweb
    60781,  // Leaseweb
    51167,  // Contabo
];

/// Which of an event's place and device its account has never had a session from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Novelty(u8);

impl Novelty {
    const COUNTRY: u8 = 1;
    const NETWORK: u8 = 2;
    const DEVICE: u8 = 4;
    const AGENT: u8 = 8;
    /// Not a dimension: the network is a VPN, relay or hosting one (of `relay_asns`).
    const RELAY: u8 = 16;
    const DIMENSIONS: u8 = 15;

    /// What is new about `o` for an account with `baseline`. What the event does not say
    /// (no country, no device id) is not new.
    pub(super) fn of(o: &Observation, baseline: &Baseline, relay_asns: &[u32]) -> Novelty {
        let mut bits = 0;
        if o.asn.is_some_and(|a| relay_asns.contains(&a)) {
            bits |= Self::RELAY;
        }
        if o.country.is_some_and(|c| !baseline.countries.contains(&c)) {
            bits |= Self::COUNTRY;
        }
        if o.asn.is_some_and(|a| !baseline.asns.contains(&a)) {
            bits |= Self::NETWORK;
        }
        if o.device.is_some_and(|d| !baseline.devices.contains(&d)) {
            bits |= Self::DEVICE;
        }
        if o.agent.is_some_and(|a| !baseline.agents.contains(&a)) {
            bits |= Self::AGENT;
        }
        Novelty(bits)
    }

    /// How many of country, network, device and user agent are new.
    pub(super) fn count(self) -> u32 {
        (self.0 & Self::DIMENSIONS).count_ones()
    }

    /// Somewhere new in the strong sense: a new country, or a data centre, VPN or relay the
    /// account never used. A new ISP at home (a first sign-in from the laptop after weeks on
    /// the phone) is new but weak.
    fn network_side(self) -> bool {
        self.0 & Self::COUNTRY != 0 || self.new_relay()
    }

    /// A data centre, VPN or relay network the account never used.
    fn new_relay(self) -> bool {
        self.0 & (Self::NETWORK | Self::RELAY) == Self::NETWORK | Self::RELAY
    }

    fn device_side(self) -> bool {
        self.0 & (Self::DEVICE | Self::AGENT) != 0
    }

    /// New on both sides: somewhere new, on something new.
    pub(super) fn both_sides(self) -> bool {
        self.network_side() && self.device_side()
    }

    /// The same, with the network not counted (a shared address).
    fn without_network(self) -> Novelty {
        Novelty(self.0 & !(Self::COUNTRY | Self::NETWORK | Self::RELAY))
    }

    pub(super) fn signals(self) -> Vec<(&'static str, f64)> {
        let bit = |b: u8| f64::from(u8::from(self.0 & b != 0));
        vec![
            ("new_country", bit(Self::COUNTRY)),
            ("new_network", bit(Self::NETWORK)),
            ("new_device", bit(Self::DEVICE)),
            ("new_agent", bit(Self::AGENT)),
            ("relay_network", bit(Self::RELAY)),
            ("new", f64::from(self.count())),
        ]
    }
}

/// A session or completed recovery of an account, and what was new about it: what it counts
/// as (sessions, resets and verified codes), the first of its kind.
pub(super) fn is_entry(o: &Observation) -> bool {
    o.outcome == Outcome::Success
        && o.exists
        && o.actor.is_none_or(|a| a == o.account)
        && matches!(
            o.kind,
            Kind::SessionStart | Kind::RecoveryReset | Kind::RecoveryCodeVerify
        )
}

/// Whether the account kept coming back to `source` (sessions on two days or more): its
/// owner's place, however new it was the first time. Read at the end of a scan, in hindsight.
pub(super) fn owners_place(state: &State, account: Symbol, source: Option<Symbol>) -> bool {
    source
        .and_then(|s| state.source(s))
        .and_then(|s| s.reach.get(&account))
        .is_some_and(|r| r.owners_place(state.owners_place_days))
}

/// New devices of some accounts, watched: a device later used from one of the account's
/// known places (an address it had signed in from before) is its owner's, however new it was
/// at first — the phone first used over a VPN, then at home. An attacker's device does not turn
/// up at its victim's home.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct KeptDevices {
    /// (account, device) → (the address it was new at, seen since from a known place).
    #[serde(with = "crate::saved::pairs")]
    watched: FastMap<(Symbol, u64), (Option<Symbol>, bool)>,
}

impl KeptDevices {
    pub(super) fn watch(&mut self, o: &Observation) {
        if let Some(device) = o.device {
            self.watched
                .entry((o.account, device))
                .or_insert((o.source, false));
        }
    }

    /// Sees every event (before the baseline learns from it).
    pub(super) fn observe(&mut self, o: &Observation, state: &State) {
        if self.watched.is_empty() || !is_entry(o) {
            return;
        }
        let Some(device) = o.device else {
            return;
        };
        if let Some((first_source, kept)) = self.watched.get_mut(&(o.account, device)) {
            let known_place = o.source != *first_source
                && o.source.is_some_and(|s| {
                    state
                        .baseline(o.account)
                        .is_some_and(|b| b.sources.contains(&s))
                });
            *kept |= known_place;
        }
    }

    pub(super) fn kept(&self, account: Symbol, device: Option<u64>) -> bool {
        device.is_some_and(|d| self.watched.get(&(account, d)).is_some_and(|w| w.1))
    }
}

/// What was new, from one source to one account.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Found {
    novelty: Novelty,
    /// The account had fewer than `min_history_sessions` sessions then.
    #[serde(default)]
    thin: bool,
    device: Option<u64>,
    first_ms: i64,
    last_ms: i64,
    events: u32,
    evidence: Vec<RawRef>,
}

const MAX_EVIDENCE: usize = 4;

pub struct AccountNovelty {
    params: Params,
    found: FastMap<(Symbol, Option<Symbol>), Found>,
    devices: KeptDevices,
}

impl AccountNovelty {
    pub fn new(params: Params) -> Self {
        AccountNovelty {
            params,
            found: FastMap::default(),
            devices: KeptDevices::default(),
        }
    }

    /// Whether what was new is enough, for an account with a thin history or not.
    fn qualifies(&self, novelty: Novelty, thin: bool) -> bool {
        novelty.both_sides()
            && novelty.count() >= self.params.min_new
            && (!thin || novelty.new_relay())
    }
}

impl Detector for AccountNovelty {
    crate::saved::saved_fields!(devices; found);

    fn name(&self) -> &'static str {
        "account_novelty"
    }

    fn observe(&mut self, o: &Observation, state: &State) {
        self.devices.observe(o, state);
        if !is_entry(o) {
            return;
        }
        let Some(baseline) = state.baseline(o.account).filter(|b| {
            b.sessions
                >= self
                    .params
                    .min_history_sessions
                    .min(self.params.thin_history_sessions)
        }) else {
            return;
        };
        let thin = baseline.sessions < self.params.min_history_sessions;
        let novelty = Novelty::of(o, baseline, &self.params.relay_asns);
        let key = (o.account, o.source);
        if let Some(found) = self.found.get_mut(&key) {
            // The place is in the baseline by now (its first session taught it): what
            // follows from there is the same finding.
            found.last_ms = found.last_ms.max(o.time_ms);
            found.events += 1;
            if found.evidence.len() < MAX_EVIDENCE {
                found.evidence.push(o.raw);
            }
            return;
        }
        if self.qualifies(novelty, thin) {
            self.devices.watch(o);
            self.found.insert(
                key,
                Found {
                    novelty,
                    thin,
                    device: o.device,
                    first_ms: o.time_ms,
                    last_ms: o.time_ms,
                    events: 1,
                    evidence: vec![o.raw],
                },
            );
        }
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        let mut verdicts: Vec<Verdict> = self
            .found
            .iter()
            .filter_map(|(&(account, source), found)| {
                if owners_place(state, account, source) || self.devices.kept(account, found.device)
                {
                    return None;
                }
                let shared = source.and_then(|s| state.source(s)).is_some_and(|s| {
                    s.session_accounts as usize >= self.params.shared_source_accounts
                });
                let novelty = if shared {
                    found.novelty.without_network()
                } else {
                    found.novelty
                };
                if !self.qualifies(novelty, found.thin) {
                    return None;
                }
                let mut signals = novelty.signals();
                signals.push(("events", f64::from(found.events)));
                signals.push(("thin_history", f64::from(u8::from(found.thin))));
                Some(Verdict::for_account(
                    self.name(),
                    &["T1078"],
                    account,
                    source,
                    (0.5 + 0.1 * f64::from(novelty.count())).min(0.9),
                    signals,
                    found.evidence.clone(),
                    (found.first_ms, found.last_ms),
                ))
            })
            .collect();
        verdicts.sort_by_key(|v| (v.first_ms, v.subject));
        verdicts
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::detectors::tests::{events, run, Event};

    fn novelty() -> AccountNovelty {
        AccountNovelty::new(Params::default())
    }

    /// Three sessions at home on the usual laptop.
    pub fn history() -> Vec<Event> {
        (0..3)
            .map(|day| Event::session(day * 24, "jane", "home", "DE", 3320, "laptop", "firefox"))
            .collect()
    }

    #[test]
    fn a_new_country_network_and_device_at_once_is_found() {
        let mut seen = history();
        seen.push(Event::session(
            80, "jane", "vps", "US", 14061, "new", "python",
        ));
        let verdicts = run(novelty(), &events(&seen));
        assert_eq!(verdicts.len(), 1);
        let signals = &verdicts[0].signals;
        assert!(signals.contains(&("new", 4.0)), "{signals:?}");
        assert!((verdicts[0].score - 0.9).abs() < 1e-9);
    }

    #[test]
    fn a_traveller_on_the_usual_devices_is_not() {
        let mut seen = history();
        seen.push(Event::session(
            80, "jane", "hotel", "JP", 17676, "laptop", "firefox",
        ));
        assert!(run(novelty(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_data_centre_in_the_home_country_on_a_new_device_is_found() {
        let mut seen = history();
        seen.push(Event::session(
            80, "jane", "vps", "DE", 24940, "new", "python",
        ));
        let verdicts = run(novelty(), &events(&seen));
        assert_eq!(verdicts.len(), 1);
        assert!(verdicts[0].signals.contains(&("relay_network", 1.0)));
    }

    #[test]
    fn a_first_sign_in_on_the_laptop_at_home_is_not() {
        // Weeks on the phone over the carrier, then once on the laptop on the home ISP.
        let mut seen: Vec<Event> = (0..3)
            .map(|day| Event::session(day * 24, "jane", "cgn", "DE", 6805, "phone", "safari"))
            .collect();
        seen.push(Event::session(
            80, "jane", "flat", "DE", 3320, "mac", "firefox",
        ));
        assert!(run(novelty(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_new_phone_at_home_is_not() {
        let mut seen = history();
        seen.push(Event::session(
            80, "jane", "home", "DE", 3320, "phone", "safari",
        ));
        assert!(run(novelty(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_vpn_on_the_usual_laptop_is_not() {
        let mut seen = history();
        seen.push(Event::session(
            80, "jane", "vpn", "RO", 9009, "laptop", "firefox",
        ));
        assert!(run(novelty(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_new_device_behind_a_shared_address_is_not() {
        // A carrier's CGNAT address: many accounts sign in from it.
        let mut seen = history();
        for i in 0..12 {
            seen.push(Event::session(
                30,
                &format!("other{i}"),
                "cgnat",
                "DE",
                6805,
                "p",
                "x",
            ));
        }
        seen.push(Event::session(
            80, "jane", "cgnat", "DE", 6805, "phone", "safari",
        ));
        assert!(run(novelty(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_new_place_and_device_the_owner_keeps_using_is_not() {
        // Weeks on the phone, then the laptop at home, day after day.
        let mut seen = history();
        for day in 4..7 {
            seen.push(Event::session(
                day * 24,
                "jane",
                "flat",
                "DE",
                3209,
                "mac",
                "safari",
            ));
        }
        assert!(run(novelty(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_new_phone_first_used_over_a_vpn_then_at_home_is_not() {
        let mut seen = history();
        seen.push(Event::session(
            80, "jane", "vpn-exit", "RO", 9009, "phone", "safari",
        ));
        seen.push(Event::session(
            90, "jane", "home", "DE", 3320, "phone", "safari",
        ));
        assert!(run(novelty(), &events(&seen)).is_empty());
    }

    #[test]
    fn an_account_without_history_is_not_judged() {
        let seen = vec![Event::session(
            5, "jane", "vps", "US", 14061, "new", "python",
        )];
        assert!(run(novelty(), &events(&seen)).is_empty());
    }

    #[test]
    fn with_a_thin_history_only_a_new_data_centre_counts() {
        // One session, over a VPN abroad; then home, on the laptop: a new country and device,
        // but home.
        let vpn = Event::session(0, "jane", "vpn-exit", "PA", 136787, "phone", "chrome");
        let home = Event::session(5, "jane", "home", "US", 22773, "laptop", "firefox");
        assert!(run(novelty(), &events(&[vpn.clone(), home])).is_empty());
        // Then a data centre never used, on a new device.
        let vps = Event::session(5, "jane", "vps", "FR", 16276, "new", "python");
        let verdicts = run(novelty(), &events(&[vpn, vps]));
        assert_eq!(verdicts.len(), 1);
        assert!(verdicts[0].signals.contains(&("thin_history", 1.0)));
    }
}
