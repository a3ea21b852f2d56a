//! Recovery-flow probing: account recovery started for accounts that never signed in from
//! there, and rarely finished — reading the masked recovery email and phone, or asking for
//! codes the prober cannot receive.
//!
//! Two shapes: one address probing several accounts; or an operation that rotates addresses,
//! each probing an account or two, all with the same uncommon client. The second is only
//! counted when the addresses came to accounts as strangers and nothing else, and together
//! probed several accounts.
//!
//! People who forgot their password finish the flow, from where they usually sign in; help
//! desks reset as admins, not through the user's recovery flow. Known false positives: a
//! help desk that uses the user-facing flow; a family resetting each other's accounts from a
//! relative's home.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::{rare_clients, sources, Detector, Verdict};
use crate::engine::State;
use crate::intern::Symbol;
use crate::observation::SourceStats;

/// `[detectors.recovery_probe]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Accounts recovery was started for that never signed in from there, at least: from one
    /// address, or from addresses sharing an uncommon client. 3: a household resets its own
    /// two or three accounts from home, where they sign in; a stranger resetting three is
    /// reading masked recovery channels.
    pub min_accounts: usize,
    /// Share of those recoveries finished (code verified or reset), at most (0..1). 0.5: a
    /// person who forgot a password finishes the flow; a prober reads the masked email or
    /// phone and stops, or asks for codes it cannot receive.
    pub max_completion: f64,
    /// A client used by at most this share of all sources is uncommon enough that addresses
    /// sharing it may be one operation rotating addresses (0..1). 0.05: every common browser
    /// build is used by far more sources.
    pub rare_client_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_accounts: 3,
            max_completion: 0.5,
            rare_client_share: 0.05,
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

    /// Accounts this source started recovery for that never signed in from here.
    fn strangers(stats: &SourceStats) -> impl Iterator<Item = Symbol> + '_ {
        stats
            .reach
            .iter()
            .filter(|(_, r)| r.recovery_started && r.stranger)
            .map(|(&a, _)| a)
    }
}

const TECHNIQUES: &[&str] = &["T1589.002", "T1598"];

impl Detector for RecoveryProbe {
    fn name(&self) -> &'static str {
        "recovery_probe"
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        let p = &self.params;
        let rare = rare_clients(state, p.rare_client_share);
        let mut flagged: BTreeSet<Symbol> = BTreeSet::new();
        // Addresses that probed a little, by the uncommon client they share.
        let mut by_client: BTreeMap<Symbol, Vec<Symbol>> = BTreeMap::new();
        for (source, stats) in sources(state) {
            let strangers = Self::strangers(stats).count();
            let completion =
                f64::from(stats.recovery_completed) / f64::from(stats.recovery_started.max(1));
            if strangers == 0 || completion > p.max_completion {
                continue;
            }
            if strangers >= p.min_accounts {
                flagged.insert(source);
            } else if stats.sessions == 0 && stats.reach.values().all(|r| r.stranger) {
                for &agent in stats.agents.iter().filter(|a| rare.contains(a)) {
                    by_client.entry(agent).or_default().push(source);
                }
            }
        }
        for members in by_client.values().filter(|m| m.len() >= 2) {
            let accounts: HashSet<Symbol> = members
                .iter()
                .filter_map(|&s| state.source(s))
                .flat_map(Self::strangers)
                .collect();
            if accounts.len() >= p.min_accounts {
                flagged.extend(members.iter().copied());
            }
        }
        flagged
            .into_iter()
            .filter_map(|source| {
                let stats = state.source(source)?;
                let completion =
                    f64::from(stats.recovery_completed) / f64::from(stats.recovery_started.max(1));
                Verdict::for_source(
                    self.name(),
                    TECHNIQUES,
                    source,
                    state,
                    0.7,
                    vec![
                        ("recoveries_started", f64::from(stats.recovery_started)),
                        (
                            "accounts_never_signed_in_from_here",
                            Self::strangers(stats).count() as f64,
                        ),
                        ("completion", completion),
                    ],
                )
            })
            .collect()
    }
}
