//! Account identification: one source trying many identifiers, a large share of which name
//! no account — guessed address permutations of specific people, or a harvested list.
//!
//! Offices, campuses and carrier NAT put hundreds of people behind one address, but their
//! mistyped addresses are a fraction of a percent of what they enter; an enumerating source's
//! are most of it.

use super::{sources, Detector, Verdict};
use crate::engine::State;

pub struct Enumeration;

/// At least this many identifiers that name no account...
const MIN_NONEXISTENT: usize = 5;
/// ...making up at least this share of the identifiers tried.
const MIN_SHARE: f64 = 0.3;

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
                (missing >= MIN_NONEXISTENT && share >= MIN_SHARE).then(|| {
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
                })?
            })
            .collect()
    }
}
