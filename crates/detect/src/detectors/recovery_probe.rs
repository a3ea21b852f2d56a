//! Recovery-flow probing: a source that starts account recovery for several accounts it has
//! never signed in to, and rarely finishes — reading the masked recovery email and phone, or
//! asking for codes it cannot receive.
//!
//! People who forgot their password finish the flow, from where they usually sign in; help
//! desks reset as admins, not through the user's recovery flow.

use super::{sources, Detector, Verdict};
use crate::engine::State;

/// `[detectors.recovery_probe]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Accounts a source started recovery for that never signed in from there, at least. 3:
    /// a household resets its own two or three accounts from home, where they sign in; a
    /// stranger resetting three is reading masked recovery channels.
    pub min_accounts: usize,
    /// Share of those recoveries finished (code verified or reset), at most (0..1). 0.5: a
    /// person who forgot a password finishes the flow; a prober reads the masked email or
    /// phone and stops, or asks for codes it cannot receive.
    pub max_completion: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_accounts: 3,
            max_completion: 0.5,
        }
    }
}

pub struct RecoveryProbe {
    params: Params,
}

impl RecoveryProbe {
    pub fn new(params: Params) -> Self {
        RecoveryProbe { params }
    }
}

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
                (strangers >= self.params.min_accounts && completion <= self.params.max_completion)
                    .then(|| {
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
