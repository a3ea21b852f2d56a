//! Detectors: one file each behind [`Detector`], registered in [`DETECTORS`].
//!
//! A detector sees every event in time order with the engine's shared [`State`] (per-source
//! sums, per-account baselines) as it was before the event, keeps whatever keyed state of its
//! own it needs, and gives [`Verdict`]s when asked. Source-level detectors usually need no
//! state of their own: they read the per-source sums.

pub mod account_novelty;
pub mod brute_force;
pub mod enumeration;
pub mod forced_entry;
pub mod impossible_travel;
pub mod mfa_fatigue;
pub mod password_spray;
pub mod persistence;
pub mod recovery_chain;
pub mod recovery_probe;
pub mod relay_attempts;
pub mod sim_swap;
pub mod stuffing;

use forewarn_model::RawRef;

use account_novelty::AccountNovelty;
use brute_force::BruteForce;
use enumeration::Enumeration;
use forced_entry::ForcedEntry;
use impossible_travel::ImpossibleTravel;
use mfa_fatigue::MfaFatigue;
use password_spray::PasswordSpray;
use persistence::Persistence;
use recovery_chain::RecoveryChain;
use recovery_probe::RecoveryProbe;
use relay_attempts::RelayAttempts;
use sim_swap::SimSwap;
use stuffing::Stuffing;

use crate::config::Config;
use crate::engine::State;
use crate::intern::Symbol;
use crate::observation::Observation;

/// Every detector, in the order their verdicts are reported, made from its section of the
/// configuration (`[detectors.<name>]`, a `Params` in the detector's file, gathered in
/// [`crate::config::Detectors`]).
pub static DETECTORS: &[MakeDetector] = &[
    |c| Box::new(Enumeration::new(c.detectors.enumeration.clone())),
    |c| Box::new(RecoveryProbe::new(c.detectors.recovery_probe.clone())),
    |c| Box::new(PasswordSpray::new(c.detectors.password_spray.clone())),
    |c| Box::new(BruteForce::new(c.detectors.brute_force.clone())),
    |c| Box::new(Stuffing::new(c.detectors.credential_stuffing.clone())),
    |c| Box::new(MfaFatigue::new(c.detectors.mfa_fatigue.clone())),
    |c| Box::new(SimSwap::new(c.detectors.sim_swap.clone())),
    |c| Box::new(AccountNovelty::new(c.detectors.account_novelty.clone())),
    |c| Box::new(ImpossibleTravel::new(c.detectors.impossible_travel.clone())),
    |c| Box::new(Persistence::new(c.detectors.persistence.clone())),
    |c| Box::new(RecoveryChain::new(c.detectors.recovery_chain.clone())),
    |c| Box::new(ForcedEntry::new(c.detectors.forced_entry.clone())),
    |c| Box::new(RelayAttempts::new(c.detectors.relay_attempts.clone())),
];

/// Makes a detector from the configuration.
pub type MakeDetector = fn(&Config) -> Box<dyn Detector>;

pub trait Detector: Send {
    fn name(&self) -> &'static str;

    /// Sees one event, in time order, before the shared state learns from it.
    fn observe(&mut self, _event: &Observation, _state: &State) {}

    /// What it holds suspicious, with why.
    fn verdicts(&self, state: &State) -> Vec<Verdict>;

    /// Forgets state about events before `before_ms` that can no longer lead to a verdict
    /// (the long-running service calls this as event time passes).
    fn expire(&mut self, _before_ms: i64) {}

    /// Its own keyed state, for a checkpoint. Detectors that keep state must save all of it:
    /// a scan resumed from a checkpoint must find what one scan of everything finds.
    fn save(&self) -> Result<serde_json::Value, serde_json::Error> {
        Ok(serde_json::Value::Null)
    }

    /// Takes back what [`Detector::save`] gave.
    fn restore(&mut self, _saved: serde_json::Value) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

/// What a verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A source address: everything it did belongs to the campaign it joins.
    Source(Symbol),
    /// An account (with the source that acted on it).
    Account {
        account: Symbol,
        source: Option<Symbol>,
    },
}

/// One detector's judgement, with the signals and evidence behind it.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub detector: &'static str,
    pub techniques: &'static [&'static str],
    pub subject: Subject,
    /// Sources a detector groups together (a proxy network sharing a tool and a time) share a
    /// group number; campaigns join them.
    pub group: Option<u64>,
    /// 0..1, how sure the detector is.
    pub score: f64,
    pub signals: Vec<(&'static str, f64)>,
    pub evidence: Vec<RawRef>,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Other accounts the verdict ties to its subject (the secondary mailbox a recovery chain
    /// went through).
    pub related_accounts: Vec<Symbol>,
    /// For a verdict about a source, the accounts (and identifiers naming none) it stands
    /// for when that is not everything the source did: a stuffing proxy that is someone's
    /// home, a VPN exit where one account was bombed with prompts. Empty: everything.
    pub accounts: Vec<Symbol>,
}

impl Verdict {
    fn for_source(
        detector: &'static str,
        techniques: &'static [&'static str],
        source: Symbol,
        state: &State,
        score: f64,
        signals: Vec<(&'static str, f64)>,
    ) -> Option<Verdict> {
        let stats = state.source(source)?;
        // Rotating addresses show in their range: how many the /24 (/48) and the ASN held.
        let mut signals = signals;
        let (prefix, asn) = state.networks_of(stats);
        if let Some(prefix) = prefix {
            signals.push(("network_sources", f64::from(prefix.sources)));
        }
        if let Some(asn) = asn {
            signals.push(("asn_sources", f64::from(asn.sources)));
        }
        Some(Verdict {
            detector,
            techniques,
            subject: Subject::Source(source),
            group: None,
            score,
            signals,
            evidence: stats.evidence.clone(),
            first_ms: stats.first_ms,
            last_ms: stats.last_ms,
            related_accounts: Vec::new(),
            accounts: Vec::new(),
        })
    }

    /// A verdict about what one source did to one account, between two times.
    #[allow(clippy::too_many_arguments)]
    fn for_account(
        detector: &'static str,
        techniques: &'static [&'static str],
        account: Symbol,
        source: Option<Symbol>,
        score: f64,
        signals: Vec<(&'static str, f64)>,
        evidence: Vec<RawRef>,
        (first_ms, last_ms): (i64, i64),
    ) -> Verdict {
        Verdict {
            detector,
            techniques,
            subject: Subject::Account { account, source },
            group: None,
            score,
            signals,
            evidence,
            first_ms,
            last_ms,
            related_accounts: Vec::new(),
            accounts: Vec::new(),
        }
    }
}

/// Numbers the groups of the verdicts marked for grouping (`group` set), in order of their
/// first event, so that each one within `gap_ms` of the last event of those before it shares
/// their group: an operation whose addresses share nothing but the method and the weeks.
fn group_by_time(verdicts: &mut [Verdict], gap_ms: i64) {
    verdicts.sort_by_key(|v| v.first_ms);
    let mut group = 0u64;
    let mut last: Option<i64> = None;
    for verdict in verdicts.iter_mut().filter(|v| v.group.is_some()) {
        if last.is_some_and(|l| verdict.first_ms > l.saturating_add(gap_ms)) {
            group += 1;
        }
        last = Some(last.map_or(verdict.last_ms, |l| l.max(verdict.last_ms)));
        verdict.group = Some(group);
    }
}

/// Whether a network is a VPN, relay or hosting one (`relay_asns`, or an `[allowlist] vpn`
/// range); with `unnamed`, also when the log names no network.
fn on_relay(
    network: crate::allowlist::NetworkClass,
    asn: Option<u32>,
    relay_asns: &[u32],
    unnamed: bool,
) -> bool {
    network == crate::allowlist::NetworkClass::Vpn
        || asn.map_or(unnamed, |asn| relay_asns.contains(&asn))
}

/// Which clients (user agents) are rare: used by at most `share` of all sources. A browser
/// build is shared by thousands of sources; an attack tool, by the few it runs from.
fn rare_clients(state: &State, share: f64) -> std::collections::HashSet<Symbol> {
    let mut users: std::collections::HashMap<Symbol, usize> = std::collections::HashMap::new();
    let mut total = 0usize;
    for (_, stats) in sources(state) {
        total += 1;
        for &agent in &stats.agents {
            *users.entry(agent).or_default() += 1;
        }
    }
    users
        .into_iter()
        .filter(|&(_, n)| n as f64 <= share * total as f64)
        .map(|(agent, _)| agent)
        .collect()
}

/// Every source with its sums, for source-level detectors.
fn sources(state: &State) -> impl Iterator<Item = (Symbol, &crate::observation::SourceStats)> {
    state
        .source_stats
        .iter()
        .enumerate()
        .filter(|(_, s)| s.events > 0)
        .map(|(i, s)| (i as Symbol, s))
}

#[cfg(test)]
pub(crate) mod tests {
    //! Hand-built event sequences for detector tests: names for places and devices, hours for
    //! times, run through a real engine with only the detector under test.

    use std::borrow::Cow;

    use forewarn_model::{AuthEvent, Channel, Country, Kind, Outcome, RawRef, Reason, Timestamp};

    use super::{Detector, Verdict};
    use crate::config::Config;
    use crate::engine::{Engine, State};

    /// 2019-08-13T00:00:00Z, the simulator's default first day.
    const START_MS: i64 = 1_565_654_400_000;

    #[derive(Debug, Clone)]
    pub struct Event {
        pub hour: f64,
        pub kind: Kind,
        pub outcome: Outcome,
        pub account: String,
        pub source: String,
        pub country: Option<&'static str>,
        pub asn: Option<u32>,
        pub device: Option<String>,
        pub agent: Option<String>,
        pub channel: Option<Channel>,
        pub target: Option<String>,
        pub actor: Option<String>,
    }

    impl Event {
        pub fn at(hour: f64, kind: Kind, account: &str) -> Event {
            Event {
                hour,
                kind,
                outcome: Outcome::Success,
                account: account.to_owned(),
                source: "nowhere".to_owned(),
                country: None,
                asn: None,
                device: None,
                agent: None,
                channel: None,
                target: None,
                actor: None,
            }
        }

        /// A session granted at `hour` from `source` (in `country`, network `asn`), on
        /// `device` with browser `agent`.
        pub fn session(
            hour: impl Into<f64>,
            account: &str,
            source: &str,
            country: &'static str,
            asn: u32,
            device: &str,
            agent: &str,
        ) -> Event {
            Event::at(hour.into(), Kind::SessionStart, account)
                .from(source, country, asn)
                .on(device, agent)
        }

        pub fn from(mut self, source: &str, country: &'static str, asn: u32) -> Event {
            self.source = source.to_owned();
            self.country = Some(country);
            self.asn = Some(asn);
            self
        }

        pub fn on(mut self, device: &str, agent: &str) -> Event {
            self.device = Some(device.to_owned());
            self.agent = Some(agent.to_owned());
            self
        }

        /// The same place and device as `other`.
        pub fn like(mut self, other: &Event) -> Event {
            self.source = other.source.clone();
            self.country = other.country;
            self.asn = other.asn;
            self.device = other.device.clone();
            self.agent = other.agent.clone();
            self
        }

        pub fn via(mut self, channel: Channel, target: &str) -> Event {
            self.channel = Some(channel);
            self.target = Some(target.to_owned());
            self
        }

        pub fn failed(mut self) -> Event {
            self.outcome = Outcome::Failure;
            self
        }

        pub fn hour(mut self, hour: f64) -> Event {
            self.hour = hour;
            self
        }
    }

    pub fn events(seen: &[Event]) -> Vec<AuthEvent<'static>> {
        seen.iter()
            .enumerate()
            .map(|(i, e)| {
                let time =
                    Timestamp::from_millisecond(START_MS + (e.hour * 3_600_000.0) as i64).unwrap();
                let mut event =
                    AuthEvent::new(time, e.kind, e.outcome, Cow::Owned(e.account.clone()));
                event.account_exists = Some(true);
                event.source_host = Some(Cow::Owned(e.source.clone()));
                event.country = e.country.map(|c| Country::new(c).unwrap());
                event.asn = e.asn;
                event.device_id = e.device.clone().map(Cow::Owned);
                event.user_agent = e.agent.clone().map(Cow::Owned);
                event.channel = e.channel;
                event.channel_target = e.target.clone().map(Cow::Owned);
                event.actor = e.actor.clone().map(Cow::Owned);
                if e.outcome == Outcome::Failure {
                    event.reason = Some(match e.kind {
                        Kind::RecoveryCodeVerify => Reason::BadCode,
                        _ => Reason::BadPassword,
                    });
                }
                event.raw = RawRef {
                    input: 0,
                    line: i as u64 + 1,
                    index: 0,
                };
                event
            })
            .collect()
    }

    /// Runs `detector` alone over `events` (sorted by time); its verdicts and the state.
    pub fn run_with_state(
        detector: impl Detector + 'static,
        events: &[AuthEvent<'static>],
    ) -> (Vec<Verdict>, State) {
        let mut engine = Engine::with_detectors(Config::default(), vec![Box::new(detector)]);
        for event in events {
            engine.push(event);
        }
        let (state, outcome) = engine.finish();
        (outcome.verdicts, state)
    }

    pub fn run(detector: impl Detector + 'static, events: &[AuthEvent<'static>]) -> Vec<Verdict> {
        run_with_state(detector, events).0
    }
}
