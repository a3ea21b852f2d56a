//! The streaming engine: interning, reordering by event time, shared keyed state, detectors.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::ops::Range;
use std::sync::Arc;

use forewarn_model::{AuthEvent, Country, Kind, Outcome as EventOutcome};
use forewarn_rules::RuleSet;
use serde::{Deserialize, Serialize};

use crate::allowlist::{NetworkClass, Networks};
use crate::campaigns::{self, Campaign};
use crate::checkpoint::{self, RestoreError};
use crate::config::Config;
use crate::detectors::{Detector, Verdict, DETECTORS};
use crate::intern::{FastMap, Interner, Symbol};
use crate::network::{Network, NetworkStats};
use crate::observation::{Observation, SourceStats};
use crate::places::Places;
use crate::sighting::{Keys, Name, Namespace, Sighting, SightingBatch, Sightings};
use crate::sigma::{RuleHit, RuleOutcome, RuleStage};

/// `[engine]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Seconds of event time an event may arrive late and still be put in order. 3600:
    /// `forewarn scan` merges its inputs by time, so this is the disorder allowed within an
    /// input (a log several servers or threads write into, export pages a little out of
    /// order, the runs of a merge) at the cost of holding an hour of events; a later event
    /// is still used, out of order, and counted.
    pub lateness_seconds: u32,
    /// Places (addresses, devices, networks) remembered per account, each. 16: people sign
    /// in from a handful of homes, offices and phones; a bound keeps memory per account
    /// fixed, and the oldest place is forgotten first.
    pub baseline_places: usize,
    /// Days a quiet source (one that only ever signed in accounts that knew it, and never
    /// failed, probed or recovered anything) is remembered after its last event. 31: longer
    /// than the month-long campaigns the engine is built to see whole. Sources that did
    /// anything suspicious are kept for the whole run, so their findings are never lost.
    pub retention_days: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            lateness_seconds: 3600,
            baseline_places: 16,
            retention_days: 31,
        }
    }
}

const DAY_MS: i64 = 86_400_000;

/// How often (event time) expired state is swept away: a sweep walks every source, and the
/// retention is counted in days.
const SWEEP_EVERY_MS: i64 = DAY_MS;

/// An account's own places: where and on what it has signed in successfully. Each list is
/// inline up to the size most accounts need (a few addresses, two devices and browsers, one
/// or two networks and countries), the size chosen to cost no more than a `Vec` each.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Baseline {
    pub sources: Places<Symbol, 7>,
    pub devices: Places<u64, 3>,
    pub asns: Places<u32, 3>,
    pub countries: Places<Country, 7>,
    pub agents: Places<Symbol, 3>,
    /// Sessions learned (saturating): how much the lists above can be trusted.
    pub sessions: u16,
}

impl Baseline {
    fn learn(&mut self, o: &Observation, cap: usize) {
        if let Some(source) = o.source {
            self.sources.add(source, cap);
        }
        if let Some(device) = o.device {
            self.devices.add(device, cap);
        }
        if let Some(asn) = o.asn {
            self.asns.add(asn, cap);
        }
        if let Some(country) = o.country {
            self.countries.add(country, cap);
        }
        if let Some(agent) = o.agent {
            self.agents.add(agent, cap);
        }
        self.sessions = self.sessions.saturating_add(1);
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
#[derive(Debug)]
pub struct State {
    pub accounts: Interner,
    pub sources: Interner,
    pub agents: Interner,
    pub source_stats: Vec<SourceStats>,
    pub baselines: Vec<Baseline>,
    /// Sums per /24, /48 and autonomous system: what rotating addresses share.
    pub networks: FastMap<Network, NetworkStats>,
    /// Events that arrived later than the reorder bound allowed.
    pub late: u64,
    /// Quiet sources forgotten after the retention.
    pub expired_sources: u64,
    /// Days of sessions from an address that make it an account's own place
    /// (`[campaigns] owners_place_days`), for detectors judging in hindsight.
    pub owners_place_days: u16,
}

impl Default for State {
    /// An empty state with keys of its own (tests, and writers of results built by hand).
    fn default() -> Self {
        State::new(&Keys::default())
    }
}

impl State {
    fn new(keys: &Keys) -> Self {
        State {
            accounts: Interner::new(*keys, Namespace::Account),
            sources: Interner::new(*keys, Namespace::Source),
            agents: Interner::new(*keys, Namespace::Agent),
            source_stats: Vec::new(),
            baselines: Vec::new(),
            networks: FastMap::default(),
            late: 0,
            expired_sources: 0,
            owners_place_days: 2,
        }
    }

    /// The sums of the networks a source address is in: its /24 or /48, and its ASN.
    pub fn networks_of(
        &self,
        stats: &SourceStats,
    ) -> (Option<&NetworkStats>, Option<&NetworkStats>) {
        let prefix = stats
            .ip
            .and_then(|ip| self.networks.get(&Network::prefix_of(ip)));
        let asn = stats
            .asn
            .and_then(|asn| self.networks.get(&Network::Asn(asn)));
        (prefix, asn)
    }

    /// Sources that still hold state.
    pub fn live_sources(&self) -> usize {
        self.source_stats.iter().filter(|s| s.events > 0).count()
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
    /// The Sigma rules' findings, when rules ran ([`Engine::with_rules`]).
    pub rules: Option<RuleOutcome>,
}

pub struct Engine {
    config: Config,
    networks: Networks,
    keys: Keys,
    state: State,
    detectors: Vec<Box<dyn Detector>>,
    /// Makes sightings for [`Engine::push`].
    local: Sightings,
    reorder: Reorder,
    last_sweep_ms: i64,
    /// Inputs read by the runs this engine's state was restored from: evidence of this run
    /// points past them.
    input_offset: u32,
    /// Sigma rules: their hits in waiting, correlation windows and findings.
    rules: Option<RuleStage>,
    /// The rule stage a checkpoint held, until rules are given ([`Engine::with_rules`]).
    saved_rules: Option<serde_json::Value>,
}

/// The reorder buffer. Logs are mostly in time order, so events that come in order queue in
/// a deque (O(1) each) and only the stragglers go through a heap.
#[derive(Default)]
struct Reorder {
    in_order: VecDeque<(u64, Observation)>,
    stragglers: BinaryHeap<Reverse<(i64, u64, Unordered<Observation>)>>,
    arrived: u64,
    /// Time of the last event processed.
    watermark: i64,
    max_seen: i64,
}

/// A payload that takes no part in ordering: reorder buffers key their heaps by (time,
/// arrival) and carry the observation or rule hit beside the key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unordered<T>(pub(crate) T);

impl<T> PartialEq for Unordered<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<T> Eq for Unordered<T> {}
impl<T> PartialOrd for Unordered<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Unordered<T> {
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
                    .push(Reverse((o.time_ms, self.arrived, Unordered(o))));
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
            self.stragglers.pop().map(|Reverse((_, _, Unordered(o)))| o)
        }
    }

    fn len(&self) -> usize {
        self.in_order.len() + self.stragglers.len()
    }
}

impl Engine {
    pub fn new(config: Config) -> Self {
        let detectors = DETECTORS.iter().map(|make| make(&config)).collect();
        Engine::with_detectors(config, detectors)
    }

    /// An engine running only `detectors` (tests, or detectors built from a configuration).
    pub fn with_detectors(config: Config, detectors: Vec<Box<dyn Detector>>) -> Self {
        let keys = Keys::default();
        Engine {
            networks: Networks::new(&config.allowlist),
            detectors,
            state: State {
                owners_place_days: config.campaigns.owners_place_days,
                ..State::new(&keys)
            },
            config,
            local: Sightings::new(keys),
            keys,
            reorder: Reorder::new(),
            last_sweep_ms: i64::MIN,
            input_offset: 0,
            rules: None,
            saved_rules: None,
        }
    }

    /// Runs Sigma rules beside the detectors: their hits come through
    /// [`Engine::push_rule_hits`] (made by [`crate::sigma::RuleRunner`]s on the decoding
    /// threads). An engine restored from a checkpoint goes on with the rule state it saved.
    pub fn with_rules(mut self, rules: Arc<RuleSet>) -> Result<Engine, RestoreError> {
        let mut stage = RuleStage::new(rules, self.config.engine.lateness_seconds);
        if let Some(saved) = self.saved_rules.take() {
            stage.restore(saved).map_err(RestoreError::Rules)?;
        }
        self.rules = Some(stage);
        Ok(self)
    }

    /// Takes rule hits (in the order their records were read, with the events around them:
    /// the stage reorders them on their own times, within the same lateness).
    pub fn push_rule_hits(&mut self, hits: impl IntoIterator<Item = RuleHit>) {
        let Some(stage) = self.rules.as_mut() else {
            return;
        };
        for mut hit in hits {
            hit.raw.input = hit.raw.input.saturating_add(self.input_offset);
            stage.push(hit);
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn source(&self, source: Symbol) -> Option<&SourceStats> {
        self.state.source(source)
    }

    /// The hash keys for makers of sightings on decoding threads
    /// ([`Sightings::new`]), whose batches go to [`Engine::push_batch`].
    pub fn keys(&self) -> Keys {
        self.keys
    }

    /// Writes the whole state, with the names of every input read so far (those of the runs
    /// this engine was restored from, then this run's).
    pub fn save_checkpoint(
        &self,
        inputs: &[String],
        out: &mut dyn std::io::Write,
    ) -> Result<(), serde_json::Error> {
        let mut pending: Vec<(i64, u64, Observation)> = self
            .reorder
            .in_order
            .iter()
            .map(|(n, o)| (o.time_ms, *n, *o))
            .chain(
                self.reorder
                    .stragglers
                    .iter()
                    .map(|Reverse((t, n, Unordered(o)))| (*t, *n, *o)),
            )
            .collect();
        pending.sort_by_key(|(t, n, _)| (*t, *n));
        let state = &self.state;
        let saving = checkpoint::Saving {
            version: checkpoint::VERSION,
            keys: self.keys,
            inputs,
            accounts: state.accounts.names(),
            sources: state.sources.names(),
            agents: state.agents.names(),
            source_stats: &state.source_stats,
            baselines: &state.baselines,
            networks: state.networks.iter().collect(),
            late: state.late,
            expired_sources: state.expired_sources,
            pending: pending.into_iter().map(|(_, _, o)| o).collect(),
            watermark: self.reorder.watermark,
            max_seen: self.reorder.max_seen,
            last_sweep_ms: self.last_sweep_ms,
            detectors: self
                .detectors
                .iter()
                .map(|d| Ok((d.name(), d.save()?)))
                .collect::<Result<_, serde_json::Error>>()?,
            rules: self.rules.as_ref().map(RuleStage::save).transpose()?,
        };
        checkpoint::write(out, &saving)
    }

    /// An engine that goes on from a checkpoint written by [`Engine::save_checkpoint`]; the
    /// names of the inputs read before it.
    pub fn restore(
        config: Config,
        input: &mut dyn std::io::Read,
    ) -> Result<(Engine, Vec<String>), RestoreError> {
        let checkpoint = checkpoint::read(input)?;
        let mut engine = Engine::new(config);
        let keys = checkpoint.keys;
        engine.keys = keys;
        engine.local = Sightings::new(keys);
        engine.state = State {
            accounts: Interner::with_names(keys, Namespace::Account, checkpoint.accounts),
            sources: Interner::with_names(keys, Namespace::Source, checkpoint.sources),
            agents: Interner::with_names(keys, Namespace::Agent, checkpoint.agents),
            source_stats: checkpoint.source_stats,
            baselines: checkpoint.baselines,
            networks: checkpoint.networks.into_iter().collect(),
            late: checkpoint.late,
            expired_sources: checkpoint.expired_sources,
            owners_place_days: engine.config.campaigns.owners_place_days,
        };
        for o in checkpoint.pending {
            engine.reorder.arrived += 1;
            let arrived = engine.reorder.arrived;
            engine.reorder.in_order.push_back((arrived, o));
        }
        engine.reorder.watermark = checkpoint.watermark;
        engine.reorder.max_seen = checkpoint.max_seen;
        engine.last_sweep_ms = checkpoint.last_sweep_ms;
        for (name, saved) in checkpoint.detectors {
            // A detector the checkpoint does not know starts empty; one this forewarn no
            // longer has is dropped.
            if let Some(detector) = engine.detectors.iter_mut().find(|d| d.name() == name) {
                detector
                    .restore(saved)
                    .map_err(|source| RestoreError::Detector { name, source })?;
            }
        }
        engine.input_offset = u32::try_from(checkpoint.inputs.len()).unwrap_or(u32::MAX);
        engine.saved_rules = checkpoint.rules;
        Ok((engine, checkpoint.inputs))
    }

    /// Events waiting in the reorder buffer.
    pub fn buffered(&self) -> usize {
        self.reorder.len()
    }

    /// Takes one event; it is processed once no earlier event can still arrive.
    pub fn push(&mut self, event: &AuthEvent<'_>) {
        self.local.add(event);
        let batch = self.local.take_for_recycling();
        self.push_batch(&batch);
        self.local.recycle(batch);
    }

    /// Takes a batch made by a [`Sightings`] (usually on a decoding thread) with this
    /// engine's [`Engine::keys`].
    pub fn push_batch(&mut self, batch: &SightingBatch) {
        self.push_sightings(batch, 0..batch.sightings.len());
    }

    /// Takes some of a batch's sightings: inputs merged by time go in as runs cut from
    /// their batches, without a copy.
    pub fn push_sightings(&mut self, batch: &SightingBatch, range: Range<usize>) {
        for sighting in batch.sightings.get(range).unwrap_or_default() {
            let observation = self.observation(sighting, batch);
            if !self.reorder.queue(observation) {
                self.state.late += 1;
                self.process(observation);
                continue;
            }
            let lateness_ms = i64::from(self.config.engine.lateness_seconds) * 1000;
            let bound = self.reorder.max_seen.saturating_sub(lateness_ms);
            while let Some(o) = self.reorder.next(bound) {
                self.process(o);
            }
        }
        let now = self.reorder.watermark;
        if now != i64::MIN && now.saturating_sub(self.last_sweep_ms) >= SWEEP_EVERY_MS {
            self.last_sweep_ms = now;
            let retention_ms = i64::from(self.config.engine.retention_days) * DAY_MS;
            self.expire(now.saturating_sub(retention_ms));
        }
    }

    /// Forgets quiet sources silent since `before_ms`, and detectors' state as old.
    fn expire(&mut self, before_ms: i64) {
        let owners_place_days = self.config.campaigns.owners_place_days;
        for stats in &mut self.state.source_stats {
            if stats.events > 0 && stats.last_ms < before_ms && stats.quiet(owners_place_days) {
                *stats = SourceStats::default();
                self.state.expired_sources += 1;
            }
        }
        self.state
            .networks
            .retain(|_, n| n.last_ms >= before_ms || !n.quiet());
        for detector in &mut self.detectors {
            detector.expire(before_ms);
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
            recovery_mailbox: s.recovery_mailbox,
            agent: s.agent.map(|n| intern(&mut state.agents, n, batch, s)),
            network: s
                .ip
                .map_or(NetworkClass::Unlisted, |ip| self.networks.classify(ip)),
            device: s.device,
            actor: s.actor.map(|n| intern(&mut state.accounts, n, batch, s)),
            raw: forewarn_model::RawRef {
                input: s.raw.input.saturating_add(self.input_offset),
                ..s.raw
            },
        }
    }

    fn process(&mut self, o: Observation) {
        // Detectors see the account's baseline as it was before this event.
        for detector in &mut self.detectors {
            detector.observe(&o, &self.state);
        }
        let state = &mut self.state;
        if let Some(source) = o.source {
            let i = source as usize;
            if state.source_stats.len() <= i {
                state.source_stats.resize_with(i + 1, SourceStats::default);
            }
            let stats = &mut state.source_stats[i];
            let new_source = stats.events == 0;
            let baselines = &state.baselines;
            // Read only for an account new to the source: the baseline is elsewhere in memory.
            let stranger = || {
                o.network != NetworkClass::Egress
                    && baselines
                        .get(o.account as usize)
                        .is_none_or(|b| !b.sources.contains(&source))
            };
            stats.observe_with(&o, stranger);
            if let Some(ip) = o.ip {
                let prefix = Network::prefix_of(ip);
                state
                    .networks
                    .entry(prefix)
                    .or_default()
                    .observe(&o, new_source);
            }
            if let Some(asn) = o.asn {
                let asn = Network::Asn(asn);
                state
                    .networks
                    .entry(asn)
                    .or_default()
                    .observe(&o, new_source);
            }
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
        while let Some(o) = self.reorder.next(i64::MAX) {
            self.process(o);
        }
        let mut verdicts = Vec::new();
        for detector in &self.detectors {
            verdicts.extend(detector.verdicts(&self.state));
        }
        let mut campaigns = campaigns::build(&self, &verdicts);
        crate::accounts::attach(&mut campaigns, &verdicts, &self.state);
        let latest = self.reorder.max_seen.max(0);
        let rules = self.rules.take().map(|stage| {
            let mut outcome = stage.finish(latest);
            crate::sigma::join_campaigns(&mut outcome, &mut campaigns, &self.state);
            outcome
        });
        (
            self.state,
            Outcome {
                verdicts,
                campaigns,
                rules,
            },
        )
    }
}
