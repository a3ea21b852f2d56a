//! The streaming engine: interning, reordering by event time, shared keyed state, detectors.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use forewarn_model::{AuthEvent, Kind, Outcome as EventOutcome};

use crate::campaigns::{self, Campaign};
use crate::detectors::{Detector, Verdict, DETECTORS};
use crate::intern::{Interner, Symbol};
use crate::observation::{Observation, SourceStats};
use crate::sighting::{Keys, Name, Namespace, Sighting, SightingBatch, Sightings};

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
    }

    /// Whether the account has signed in from here or on this device before.
    pub fn knows(&self, o: &Observation) -> bool {
        o.source.is_some_and(|s| self.sources.contains(&s))
            || o.device.is_some_and(|d| self.devices.contains(&d))
    }
}

/// The state detectors read: interned names, per-source sums, per-account baselines.
#[derive(Debug)]
pub struct State {
    pub accounts: Interner,
    pub sources: Interner,
    pub agents: Interner,
    pub source_stats: Vec<SourceStats>,
    pub baselines: Vec<Baseline>,
    /// Events that arrived later than the reorder bound allowed.
    pub late: u64,
}

impl State {
    fn new(keys: &Keys) -> Self {
        State {
            accounts: Interner::new(keys.clone(), Namespace::Account),
            sources: Interner::new(keys.clone(), Namespace::Source),
            agents: Interner::new(keys.clone(), Namespace::Agent),
            source_stats: Vec::new(),
            baselines: Vec::new(),
            late: 0,
        }
    }

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
    keys: Keys,
    state: State,
    detectors: Vec<Box<dyn Detector>>,
    /// Makes sightings for [`Engine::push`].
    local: Sightings,
    reorder: Reorder,
}

/// The reorder buffer. Logs are mostly in time order, so events that come in order queue in
/// a deque (O(1) each) and only the stragglers go through a heap.
#[derive(Default)]
struct Reorder {
    in_order: VecDeque<(u64, Observation)>,
    stragglers: BinaryHeap<Reverse<(i64, u64, Pending)>>,
    arrived: u64,
    /// Time of the last event processed.
    watermark: i64,
    max_seen: i64,
}

/// An observation waiting among the stragglers (ordered by time, then arrival).
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

impl Reorder {
    fn new() -> Self {
        Reorder {
            watermark: i64::MIN,
            max_seen: i64::MIN,
            ..Reorder::default()
        }
    }

    /// Queues an observation; false when it comes after the watermark and must be processed
    /// as it is, out of order.
    fn queue(&mut self, o: Observation) -> bool {
        if o.time_ms < self.watermark {
            return false;
        }
        self.arrived += 1;
        self.max_seen = self.max_seen.max(o.time_ms);
        match self.in_order.back() {
            Some((_, last)) if o.time_ms < last.time_ms => {
                self.stragglers
                    .push(Reverse((o.time_ms, self.arrived, Pending(o))));
            }
            _ => self.in_order.push_back((self.arrived, o)),
        }
        true
    }

    /// The earliest queued observation if it is at or before `bound`.
    fn next(&mut self, bound: i64) -> Option<Observation> {
        let front = self.in_order.front().map(|(n, o)| (o.time_ms, *n));
        let straggler = self.stragglers.peek().map(|Reverse((t, n, _))| (*t, *n));
        let from_deque = match (front, straggler) {
            (None, None) => return None,
            (Some(f), Some(s)) => f <= s,
            (Some(_), None) => true,
            (None, Some(_)) => false,
        };
        let time = if from_deque { front?.0 } else { straggler?.0 };
        if time > bound {
            return None;
        }
        self.watermark = time;
        if from_deque {
            self.in_order.pop_front().map(|(_, o)| o)
        } else {
            self.stragglers.pop().map(|Reverse((_, _, Pending(o)))| o)
        }
    }

    fn len(&self) -> usize {
        self.in_order.len() + self.stragglers.len()
    }
}

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        let keys = Keys::default();
        Engine {
            config,
            state: State::new(&keys),
            detectors: DETECTORS.iter().map(|make| make()).collect(),
            local: Sightings::new(keys.clone()),
            keys,
            reorder: Reorder::new(),
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn source(&self, source: Symbol) -> Option<&SourceStats> {
        self.state.source(source)
    }

    /// The hash keys for makers of sightings on decoding threads
    /// ([`Sightings::new`]), whose batches go to [`Engine::push_batch`].
    pub fn keys(&self) -> Keys {
        self.keys.clone()
    }

    /// Events waiting in the reorder buffer.
    pub fn buffered(&self) -> usize {
        self.reorder.len()
    }

    /// Takes one event; it is processed once no earlier event can still arrive.
    pub fn push(&mut self, event: &AuthEvent<'_>) {
        self.local.add(event);
        let batch = self.local.take();
        self.push_batch(&batch);
        self.local.recycle(batch);
    }

    /// Takes a batch made by a [`Sightings`] (usually on a decoding thread) with this
    /// engine's [`Engine::keys`].
    pub fn push_batch(&mut self, batch: &SightingBatch) {
        for sighting in &batch.sightings {
            let observation = self.observation(sighting, batch);
            if !self.reorder.queue(observation) {
                self.state.late += 1;
                self.process(observation);
                continue;
            }
            let bound = self
                .reorder
                .max_seen
                .saturating_sub(self.config.lateness_ms);
            while let Some(o) = self.reorder.next(bound) {
                self.process(o);
            }
        }
    }

    fn observation(&mut self, s: &Sighting, batch: &SightingBatch) -> Observation {
        fn intern(
            interner: &mut Interner,
            name: Name,
            batch: &SightingBatch,
            s: &Sighting,
        ) -> Symbol {
            match interner.by_hash(name.hash) {
                Some(id) => id,
                None => interner.intern_hashed(name.hash, &batch.text(name, s.ip)),
            }
        }
        let state = &mut self.state;
        Observation {
            time_ms: s.time_ms,
            kind: s.kind,
            outcome: s.outcome,
            reason: s.reason,
            channel: s.channel,
            account: intern(&mut state.accounts, s.account, batch, s),
            exists: s.exists,
            source: s.source.map(|n| intern(&mut state.sources, n, batch, s)),
            ip: s.ip,
            asn: s.asn,
            country: s.country,
            agent: s.agent.map(|n| intern(&mut state.agents, n, batch, s)),
            device: s.device,
            actor: s.actor.map(|n| intern(&mut state.accounts, n, batch, s)),
            raw: s.raw,
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
        while let Some(o) = self.reorder.next(i64::MAX) {
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
