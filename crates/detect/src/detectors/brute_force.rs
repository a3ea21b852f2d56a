//! Brute force: many failed passwords against one account from one source.
//!
//! Someone who forgot a password tries a few times, then recovers it.

use super::{sources, Detector, Verdict};
use crate::engine::State;

/// `[detectors.brute_force]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Failed passwords on one account from one source, at least. 20: someone who forgot a
    /// password tries a handful of times and then recovers it; lockout policies commonly
    /// stop at 5–10 per window, so 20 in total is either a tool or a stuck device.
    pub min_failures: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params { min_failures: 20 }
    }
}

pub struct BruteForce {
    params: Params,
}

impl BruteForce {
    pub fn new(params: Params) -> Self {
        BruteForce { params }
    }
}

impl Detector for BruteForce {
    fn name(&self) -> &'static str {
        "brute_force"
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        sources(state)
            .filter_map(|(source, stats)| {
                let worst = stats.most_failures_on_one_account();
                (worst >= self.params.min_failures).then(|| {
                    Verdict::for_source(
                        self.name(),
                        &["T1110.001"],
                        source,
                        state,
                        0.9,
                        vec![("most_failures_on_one_account", f64::from(worst))],
                    )
                })?
            })
            .collect()
    }
}
