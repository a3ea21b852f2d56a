//! The streaming engine: interning, reordering by event time, shared keyed state, detectors.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use forewarn_model::{AuthEvent, Country, Kind, Outcome as EventOutcome};

use crate::campaigns::{self, Campaign};
use crate::detectors::{Detector, Verdict, DETECTORS};
use crate::intern::{Interner, Symbol};
use crate::observation::{hash_text, mailbox_key, Observation, SourceStats};

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How late (event time) an event may arrive and still be put in order: files interleaved
    /// by time are merged within this bound. Later events are still used, out of order.
    pub lateness_ms: i64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            lateness_ms: 3_600_000,
        }
    }
}

/// An account's own places: where and on what it has signed in successfully.
#[derive(Debug, Default, Clone)]
pub struct Baseline {
    pub sources: Vec<Symbol>,
    pub devices: Vec<u64>,
    pub asns: Vec<u32>,
    pub countries: Vec<Country>,
    pub agents: Vec<Symbol>,
    /// Sessions learned (saturating): how much the lists above can be trusted.
    pub sessions: u16,
}

const BASELINE_CAP: usize = 16;

impl Baseline {
    fn learn(&mut self, o: &Observation) {
        fn add<T: PartialEq>(items: &mut Vec<T>, item: T) {
            if !items.contains(&item) {
                if items.len() == BASELINE_CAP {
                    items.remove(0);
                }
                items.push(item);
            }
        }
        if let Some(source) = o.source {
            add(&mut self.sources, source);
        }
        if let Some(device) = o.device {
            add(&mut self.devices, device);
        }
        if let Some(asn) = o.asn {
            add(&mut self.asns, asn);
        }
        if let Some(country) = o.country {
            add(&mut self.countries, country);
        }
        if let Some(agent) = o.agent {
            add(&mut self.agents, agent);
        }
        self.sessions = self.sessions.saturating_add(1);
    }

    /// Whether the account has signed in from here or on this device before.
    pub fn knows(&self, o: &Observation) -> bool {
        o.source.is_some_and(|s| self.sources.contains(&s))
            || o.device.is_some_and(|d| self.devices.contains(&d))
    }
}

/// The state detectors read: interned names, per-source sums, per-account baselines.
#[derive(Debug, Default)]
pub struct State {
    pub accounts: Interner,
    pub sources: Interner,
    /// Source addresses already interned, by address (no text formatting per event).
    addresses: crate::intern::FastMap<std::net::IpAddr, Symbol>,
    pub agents: Interner,
    pub source_stats: Vec<SourceStats>,
    pub baselines: Vec<Baseline>,
    /// Events that arrived later than the reorder bound allowed.
    pub late: u64,
}

impl State {
    pub fn source(&self, source: Symbol) -> Option<&SourceStats> {
        self.source_stats.get(source as usize)
    }

    pub fn baseline(&self, account: Symbol) -> Option<&Baseline> {
        self.baselines.get(account as usize)
    }
}

/// What a run found.
pub struct Outcome {
    pub verdicts: Vec<Verdict>,
    pub campaigns: Vec<Campaign>,
}

pub struct Engine {
    config: EngineConfig,
    state: State,
    detectors: Vec<Box<dyn Detector>>,
    pending: BinaryHeap<Reverse<(i64, u64, Pending)>>,
    arrived: u64,
    watermark: i64,
    max_seen: i64,
}

/// An observation waiting in the reorder buffer (ordered by time, then arrival).
#[derive(Debug, Clone, Copy)]
struct Pending(Observation);

impl PartialEq for Pending {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        Engine::with_detectors(config, DETECTORS.iter().map(|make| make()).collect())
    }

    /// An engine running only `detectors` (tests, or detectors built from a configuration).
    pub fn with_detectors(config: EngineConfig, detectors: Vec<Box<dyn Detector>>) -> Self {
        Engine {
            config,
            state: State::default(),
            detectors,
            pending: BinaryHeap::new(),
            arrived: 0,
            watermark: i64::MIN,
            max_seen: i64::MIN,
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn source(&self, source: Symbol) -> Option<&SourceStats> {
        self.state.source(source)
    }

    /// Takes one event; it is processed once no earlier event can still arrive.
    pub fn push(&mut self, event: &AuthEvent<'_>) {
        let state = &mut self.state;
        let account = state.accounts.intern(&event.account);
        let source = match (&event.ip, &event.source_host) {
            (Some(ip), _) => Some(match state.addresses.get(ip) {
                Some(&id) => id,
                None => {
                    let id = state.sources.intern(&ip.to_string());
                    state.addresses.insert(*ip, id);
                    id
                }
            }),
            (None, Some(host)) => Some(state.sources.intern(host)),
            (None, None) => None,
        };
        let observation = Observation {
            time_ms: event.time.as_millisecond(),
            kind: event.kind,
            outcome: event.outcome,
            reason: event.reason,
            channel: event.channel,
            account,
            exists: Observation::exists_in(event),
            source,
            asn: event.asn,
            country: event.country,
            agent: event.user_agent.as_deref().map(|a| state.agents.intern(a)),
            device: event.device_id.as_deref().map(hash_text),
            actor: event.actor.as_deref().map(|a| state.accounts.intern(a)),
            recovery_mailbox: match event.channel {
                Some(forewarn_model::Channel::Email) => {
                    event.channel_target.as_deref().and_then(mailbox_key)
                }
                _ => None,
            },
            raw: event.raw,
        };
        self.arrived += 1;
        if observation.time_ms < self.watermark {
            self.state.late += 1;
            self.process(observation);
            return;
        }
        self.max_seen = self.max_seen.max(observation.time_ms);
        self.pending.push(Reverse((
            observation.time_ms,
            self.arrived,
            Pending(observation),
        )));
        let bound = self.max_seen.saturating_sub(self.config.lateness_ms);
        while let Some(Reverse((time, _, _))) = self.pending.peek() {
            if *time > bound {
                break;
            }
            let Some(Reverse((time, _, Pending(o)))) = self.pending.pop() else {
                break;
            };
            self.watermark = time;
            self.process(o);
        }
    }

    fn process(&mut self, o: Observation) {
        // Detectors see the account's baseline as it was before this event.
        for detector in &mut self.detectors {
            detector.observe(&o, &self.state);
        }
        let state = &mut self.state;
        if let Some(source) = o.source {
            let stranger = state
                .baseline(o.account)
                .is_none_or(|b| !b.sources.contains(&source));
            let i = source as usize;
            if state.source_stats.len() <= i {
                state.source_stats.resize_with(i + 1, SourceStats::default);
            }
            state.source_stats[i].observe(&o, stranger);
        }
        if o.kind == Kind::SessionStart && o.outcome == EventOutcome::Success && o.exists {
            let i = o.account as usize;
            if state.baselines.len() <= i {
                state.baselines.resize_with(i + 1, Default::default);
            }
            state.baselines[i].learn(&o);
        }
    }

    /// Processes what is still buffered and returns every verdict and the campaigns.
    pub fn finish(mut self) -> (State, Outcome) {
        while let Some(Reverse((_, _, Pending(o)))) = self.pending.pop() {
            self.process(o);
        }
        let mut verdicts = Vec::new();
        for detector in &self.detectors {
            verdicts.extend(detector.verdicts(&self.state));
        }
        let mut campaigns = campaigns::build(&self, &verdicts);
        crate::accounts::attach(&mut campaigns, &verdicts);
        (
            self.state,
            Outcome {
                verdicts,
                campaigns,
            },
        )
    }
}
