//! Account identification: one source trying many identifiers, a large share of which name
//! no account — guessed address permutations of specific people, or a harvested list.
//!
//! Offices, campuses and carrier NAT put hundreds of people behind one address, but their
//! mistyped addresses are a fraction of a percent of what they enter; an enumerating source's
//! are most of it.

use super::{sources, Detector, Verdict};
use crate::engine::State;

/// `[detectors.enumeration]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Identifiers looked up (or put into recovery) that name no account, at least. 5: a
    /// person mistypes their own address once or twice; a guessed permutation list of even
    /// one target has more.
    pub min_nonexistent: usize,
    /// Share of the identifiers a source tried that name no account, at least (0..1). 0.3:
    /// an office NAT or campus mistypes well under 1 % of what it enters; enumeration
    /// guesses, and most guesses miss.
    pub min_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_nonexistent: 5,
            min_share: 0.3,
        }
    }
}

pub struct Enumeration {
    params: Params,
}

impl Enumeration {
    pub fn new(params: Params) -> Self {
        Enumeration { params }
    }
}

impl Detector for Enumeration {
    fn name(&self) -> &'static str {
        "enumeration"
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        sources(state)
            .filter_map(|(source, stats)| {
                // Identifiers looked up: guessing with passwords is spraying or stuffing.
                let missing = stats.nonexistent_looked_up.len();
                let share = missing as f64 / stats.identifiers().max(1) as f64;
                (missing >= self.params.min_nonexistent && share >= self.params.min_share).then(
                    || {
                        Verdict::for_source(
                            self.name(),
                            &["T1589.002"],
                            source,
                            state,
                            (0.5 + share / 2.0).min(1.0),
                            vec![
                                ("nonexistent_identifiers", missing as f64),
                                ("identifiers", stats.identifiers() as f64),
                                ("nonexistent_share", share),
                            ],
                        )
                    },
                )?
            })
            .collect()
    }
}
