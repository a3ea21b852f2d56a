//! Finds account-takeover campaigns in a stream of [`AuthEvent`](forewarn_model::AuthEvent)s:
//! which sources attack, which campaign each belongs to, and how far it got with each account.
//!
//! Events go into an [`Engine`] in roughly time order (a bounded reorder buffer absorbs files
//! interleaved by time). Strings are interned once, so state is keyed by small ids. Each
//! [`Detector`] keeps its own keyed state and, when asked, gives [`Verdict`]s about sources or
//! accounts, with the signals and evidence behind them; [`campaigns`] turns the suspicious
//! sources into campaigns and each account's furthest stage. [`sigma`] runs Sigma rules beside
//! the detectors: their matches, made where records are decoded, are ordered, correlated and
//! kept with the engine's state, and join campaigns without making any.
//!
//! This crate must not read files or write output: it sees events and returns findings.

pub mod accounts;
pub mod allowlist;
pub mod campaigns;
pub mod checkpoint;
pub mod config;
pub mod detectors;
mod engine;

/// The engine's state, for writers of results.
pub mod engine_state {
    pub use crate::engine::{Baseline, State};
    pub use crate::places::Places;
}
mod intern;
pub mod network;
mod observation;
mod places;
mod saved;
mod sighting;
pub mod sigma;

pub use accounts::FlaggedAccount;
pub use allowlist::NetworkClass;
pub use campaigns::{Campaign, Stage};
pub use config::{Config, ConfigError};
pub use detectors::{Detector, Subject, Verdict, DETECTORS};
pub use engine::{Engine, Outcome as ScanOutcome, Params as EngineParams};
pub use intern::{Interner, Symbol};
pub use observation::{Observation, SourceStats};
pub use sighting::{Keys, Name, Namespace, Sighting, SightingBatch, Sightings};
