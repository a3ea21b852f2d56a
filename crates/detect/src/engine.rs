//! The streaming engine: interning, reordering by event time, shared keyed state, detectors.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use forewarn_model::{AuthEvent, Kind, Outcome as EventOutcome};

use crate::allowlist::{NetworkClass, Networks};
use crate::campaigns::{self, Campaign};
use crate::config::Config;
use crate::detectors::{Detector, Verdict, DETECTORS};
use crate::intern::{Interner, Symbol};
use crate::observation::{hash_text, Observation, SourceStats};

/// `[engine]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Seconds of event time an event may arrive late and still be put in order. 3600:
    /// files interleaved by time (one per hour, per server, per vendor export page) are
    /// merged within this bound at the cost of holding an hour of events; a later event is
    /// still used, out of order, and counted.
    pub lateness_seconds: u32,
    /// Places (addresses, devices, networks) remembered per account, each. 16: people sign
    /// in from a handful of homes, offices and phones; a bound keeps memory per account
    /// fixed, and the oldest place is forgotten first.
    pub baseline_places: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            lateness_seconds: 3600,
            baseline_places: 16,
        }
    }
}

/// An account's own places: where and on what it has signed in successfully.
#[derive(Debug, Default, Clone)]
pub struct Baseline {
    pub sources: Vec<Symbol>,
    pub devices: Vec<u64>,
    pub asns: Vec<u32>,
}

impl Baseline {
    fn learn(&mut self, o: &Observation, cap: usize) {
        fn add<T: PartialEq>(items: &mut Vec<T>, item: T, cap: usize) {
            if !items.contains(&item) {
                if items.len() >= cap.max(1) {
                    items.remove(0);
                }
                items.push(item);
            }
        }
        if let Some(source) = o.source {
            add(&mut self.sources, source, cap);
        }
        if let Some(device) = o.device {
            add(&mut self.devices, device, cap);
        }
        if let Some(asn) = o.asn {
            add(&mut self.asns, asn, cap);
        }
    }

    /// Whether the account has signed in from here or on this device before (the
    /// organisation's own egress is every account's place).
    pub fn knows(&self, o: &Observation) -> bool {
        o.network == NetworkClass::Egress
            || o.source.is_some_and(|s| self.sources.contains(&s))
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
    config: Config,
    networks: Networks,
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
    pub fn new(config: Config) -> Self {
        Engine {
            networks: Networks::new(&config.allowlist),
            detectors: DETECTORS.iter().map(|make| make(&config)).collect(),
            config,
            state: State::default(),
            pending: BinaryHeap::new(),
            arrived: 0,
            watermark: i64::MIN,
            max_seen: i64::MIN,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
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
            agent: event.user_agent.as_deref().map(|a| state.agents.intern(a)),
            device: event.device_id.as_deref().map(hash_text),
            actor: event.actor.as_deref().map(|a| state.accounts.intern(a)),
            network: event
                .ip
                .map_or(NetworkClass::Unlisted, |ip| self.networks.classify(ip)),
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
        let lateness_ms = i64::from(self.config.engine.lateness_seconds) * 1000;
        let bound = self.max_seen.saturating_sub(lateness_ms);
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
            let stranger = o.network != NetworkClass::Egress
                && state
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
            state.baselines[i].learn(&o, self.config.engine.baseline_places);
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
        let campaigns = campaigns::build(&self, &verdicts);
        (
            self.state,
            Outcome {
                verdicts,
                campaigns,
            },
        )
    }
}
