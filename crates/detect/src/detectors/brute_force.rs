//! Brute force: many failed passwords against one account from one source.
//!
//! Someone who forgot a password tries a few times, then recovers it.

use super::{sources, Detector, Verdict};
use crate::engine::State;

pub struct BruteForce;

const MIN_FAILURES: u32 = 20;

impl Detector for BruteForce {
    fn name(&self) -> &'static str {
        "brute_force"
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        sources(state)
            .filter_map(|(source, stats)| {
                let worst = stats.failed_accounts.values().copied().max().unwrap_or(0);
                (worst >= MIN_FAILURES).then(|| {
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
