//! Detectors: one file each behind [`Detector`], registered in [`DETECTORS`].
//!
//! A detector sees every event in time order with the engine's shared [`State`] (per-source
//! sums, per-account baselines) as it was before the event, keeps whatever keyed state of its
//! own it needs, and gives [`Verdict`]s when asked. Source-level detectors usually need no
//! state of their own: they read the per-source sums.

pub mod brute_force;
pub mod enumeration;
pub mod mfa_fatigue;
pub mod password_spray;
pub mod recovery_probe;
mod sim_swap;
pub mod stuffing;

use forewarn_model::RawRef;

use brute_force::BruteForce;
use enumeration::Enumeration;
use mfa_fatigue::MfaFatigue;
use password_spray::PasswordSpray;
use recovery_probe::RecoveryProbe;
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
    |_| Box::<SimSwap>::default(),
    // New detectors: one line each, `|c| Box::new(Name::new(c.detectors.name.clone()))`.
];

/// Makes a detector from the configuration.
pub type MakeDetector = fn(&Config) -> Box<dyn Detector>;

pub trait Detector: Send {
    fn name(&self) -> &'static str;

    /// Sees one event, in time order, before the shared state learns from it.
    fn observe(&mut self, _event: &Observation, _state: &State) {}

    /// What it holds suspicious, with why.
    fn verdicts(&self, state: &State) -> Vec<Verdict>;
}

/// What a verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
            accounts: Vec::new(),
        })
    }
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
