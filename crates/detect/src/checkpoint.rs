//! Checkpoints: the engine's whole state, saved so that a later run (or a restarted service)
//! goes on where this one stopped and finds what one run over everything would have found.
//!
//! The hash key the state is keyed by is saved with it, so a checkpoint is as sensitive as the
//! logs it was made from: keep it where the logs are kept.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::engine::Baseline;
use crate::network::{Network, NetworkStats};
use crate::observation::{Observation, SourceStats};
use crate::sighting::Keys;

/// The version of the checkpoint layout; a checkpoint of another version is refused.
/// 2: per-source failures, sessions and recoveries moved into each account's reach.
pub const VERSION: u32 = 2;

/// A checkpoint as written: borrowed from the engine, so saving costs no copy of the state.
#[derive(Serialize)]
pub(crate) struct Saving<'a> {
    pub version: u32,
    pub keys: Keys,
    pub inputs: &'a [String],
    pub accounts: &'a [Box<str>],
    pub sources: &'a [Box<str>],
    pub agents: &'a [Box<str>],
    pub source_stats: &'a [SourceStats],
    pub baselines: &'a [Baseline],
    pub networks: Vec<(&'a Network, &'a NetworkStats)>,
    pub late: u64,
    pub expired_sources: u64,
    pub pending: Vec<Observation>,
    pub watermark: i64,
    pub max_seen: i64,
    pub last_sweep_ms: i64,
    pub detectors: Vec<(&'static str, serde_json::Value)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<serde_json::Value>,
}

/// A checkpoint as read back.
#[derive(Debug, Deserialize)]
pub(crate) struct Checkpoint {
    pub version: u32,
    /// The hash key the state is keyed by (devices are known only by their hashes).
    pub(crate) keys: Keys,
    /// Names of the inputs read so far: evidence's input numbers point into this list.
    pub inputs: Vec<String>,
    pub(crate) accounts: Vec<Box<str>>,
    pub(crate) sources: Vec<Box<str>>,
    pub(crate) agents: Vec<Box<str>>,
    pub(crate) source_stats: Vec<SourceStats>,
    pub(crate) baselines: Vec<Baseline>,
    pub(crate) networks: Vec<(Network, NetworkStats)>,
    pub(crate) late: u64,
    pub(crate) expired_sources: u64,
    /// Events still in the reorder buffer, in order.
    pub(crate) pending: Vec<Observation>,
    pub(crate) watermark: i64,
    pub(crate) max_seen: i64,
    pub(crate) last_sweep_ms: i64,
    /// Each detector's own state, by name.
    pub(crate) detectors: Vec<(String, serde_json::Value)>,
    /// The Sigma rules' state (hits in waiting, correlation windows, findings), when rules ran.
    #[serde(default)]
    pub(crate) rules: Option<serde_json::Value>,
}

/// Why a checkpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("the checkpoint cannot be read: {0}")]
    Read(serde_json::Error),
    #[error("the checkpoint is of layout version {found}; this forewarn reads version {expected}: scan again from the logs")]
    Version { found: u32, expected: u32 },
    #[error("the checkpoint's Sigma rule state cannot be read: {0}")]
    Rules(serde_json::Error),
    #[error("the checkpoint's state of detector {name} cannot be read: {source}")]
    Detector {
        name: String,
        source: serde_json::Error,
    },
}

pub(crate) fn write(out: &mut dyn Write, saving: &Saving<'_>) -> Result<(), serde_json::Error> {
    serde_json::to_writer(out, saving)
}

pub(crate) fn read(input: &mut dyn Read) -> Result<Checkpoint, RestoreError> {
    let checkpoint: Checkpoint =
        serde_json::from_reader(std::io::BufReader::new(input)).map_err(RestoreError::Read)?;
    if checkpoint.version != VERSION {
        return Err(RestoreError::Version {
            found: checkpoint.version,
            expected: VERSION,
        });
    }
    Ok(checkpoint)
}
