//! Recovery-flow probing: a source that starts account recovery for several accounts it has
//! never signed in to, and rarely finishes — reading the masked recovery email and phone, or
//! asking for codes it cannot receive.
//!
//! People who forgot their password finish the flow, from where they usually sign in; help
//! desks reset as admins, not through the user's recovery flow.

use super::{sources, Detector, Verdict};
use crate::engine::State;

pub struct RecoveryProbe;

const MIN_ACCOUNTS: usize = 3;
const MAX_COMPLETION: f64 = 0.5;

impl Detector for RecoveryProbe {
    fn name(&self) -> &'static str {
        "recovery_probe"
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        sources(state)
            .filter_map(|(source, stats)| {
                let strangers = stats
                    .recovery_started
                    .iter()
                    .filter(|a| stats.reach.get(*a).is_some_and(|r| r.stranger))
                    .count();
                let completion = stats.recovery_completed.len() as f64
                    / stats.recovery_started.len().max(1) as f64;
                (strangers >= MIN_ACCOUNTS && completion <= MAX_COMPLETION).then(|| {
                    Verdict::for_source(
                        self.name(),
                        &["T1589.002", "T1598"],
                        source,
                        state,
                        0.7,
                        vec![
                            ("recoveries_started", stats.recovery_started.len() as f64),
                            ("accounts_never_signed_in_from_here", strangers as f64),
                            ("completion", completion),
                        ],
                    )
                })?
            })
            .collect()
    }
}
