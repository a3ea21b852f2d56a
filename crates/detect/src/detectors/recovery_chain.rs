//! The recovery chain across linked accounts: a mailbox taken over (a stranger's session that
//! went on to make a persistence change: a rule, a consent, new recovery info), then, within
//! days, another account recovered by a stranger with a code sent to that mailbox. Phosphorus
//! did this in 2019: take the secondary mailbox, then reset the primary account through it.
//!
//! The verdict is about the primary account, with the secondary as its related account.
//! Signals: `hours_after_secondary_taken` (from the stranger's session on the secondary to the
//! verified code on the primary), `same_source` (1 when both came from one address).
//! ATT&CK: T1586.002 (Compromise Accounts: Email Accounts), T1078 (Valid Accounts).
//!
//! Recovery pages mask the mailbox (`j***@example.com`), so a masked address is matched by what
//! the mask keeps: first letter and domain. That alone names one account in a few dozen; a
//! match also needs the secondary to have been taken over by a stranger shortly before and the
//! primary to be recovered by a stranger (an address and device it had never used), which
//! owners resetting a forgotten password from home are not.
//!
//! Known false positives: two people sharing a recovery mailbox both starting on new devices in
//! new places the same fortnight, one of them setting up a rule at once.

use forewarn_model::{Kind, Outcome, RawRef};
use serde::{Deserialize, Serialize};

use super::account_novelty::owners_place;
use super::persistence::{is_persistence, is_stranger, StrangerSessions};
use super::{Detector, Verdict};
use crate::engine::State;
use crate::intern::Symbol;
use crate::observation::{mailbox_key, Observation};

const HOUR_MS: i64 = 3_600_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Sessions the primary account must have had before the address and device of its
    /// recovery can be called new to it. One is enough: the secondary's takeover carries the
    /// rest of the evidence. (A secondary mailbox needs none: it is often one its owner seldom
    /// opens, and the change made in the stranger's session is its evidence.)
    pub min_history_sessions: u16,
    /// How long (ms) after a stranger's session began a change still counts as made in it.
    pub takeover_window_ms: i64,
    /// How long (ms) after the secondary was taken the primary's recovery still counts as
    /// going through it. Phosphorus waited up to a week between the two; two weeks leaves room.
    pub chain_window_ms: i64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_history_sessions: 1,
            takeover_window_ms: 24 * HOUR_MS,
            chain_window_ms: 14 * 24 * HOUR_MS,
        }
    }
}

/// A mailbox a stranger got into and made a persistence change in.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Takeover {
    account: Symbol,
    /// [`mailbox_key`] of the account's own address.
    key: u64,
    source: Option<Symbol>,
    session_ms: i64,
    session_raw: RawRef,
    change_raw: RawRef,
}

/// A recovery code sent to a mailbox and verified by a stranger.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Recovery {
    account: Symbol,
    key: u64,
    source: Option<Symbol>,
    time_ms: i64,
    raw: RawRef,
}

pub struct RecoveryChain {
    params: Params,
    sessions: StrangerSessions,
    takeovers: Vec<Takeover>,
    recoveries: Vec<Recovery>,
}

impl RecoveryChain {
    pub fn new(params: Params) -> Self {
        RecoveryChain {
            sessions: StrangerSessions::new(0, params.takeover_window_ms),
            params,
            takeovers: Vec::new(),
            recoveries: Vec::new(),
        }
    }
}

impl Detector for RecoveryChain {
    crate::saved::saved_fields!(sessions, takeovers, recoveries);

    fn name(&self) -> &'static str {
        "recovery_chain"
    }

    fn observe(&mut self, o: &Observation, state: &State) {
        self.sessions.observe(o, state);
        if is_persistence(o) {
            let Some(session) = self.sessions.session_of(o).copied() else {
                return;
            };
            let known = self
                .takeovers
                .iter()
                .rev()
                .any(|t| t.account == o.account && t.session_ms == session.start_ms);
            let key = mailbox_key(state.accounts.resolve(o.account));
            if let (false, Some(key)) = (known, key) {
                self.takeovers.push(Takeover {
                    account: o.account,
                    key,
                    source: session.source,
                    session_ms: session.start_ms,
                    session_raw: session.raw,
                    change_raw: o.raw,
                });
            }
        } else if o.kind == Kind::RecoveryCodeVerify && o.outcome == Outcome::Success && o.exists {
            let Some(key) = o.recovery_mailbox else {
                return;
            };
            if is_stranger(o, state, self.params.min_history_sessions) == Some(true) {
                self.recoveries.push(Recovery {
                    account: o.account,
                    key,
                    source: o.source,
                    time_ms: o.time_ms,
                    raw: o.raw,
                });
            }
        }
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        let mut verdicts: Vec<Verdict> = Vec::new();
        for recovery in &self.recoveries {
            if owners_place(state, recovery.account, recovery.source) {
                continue;
            }
            // The secondary taken most recently before the primary's recovery.
            let Some(taken) = self
                .takeovers
                .iter()
                .filter(|t| {
                    t.key == recovery.key
                        && t.account != recovery.account
                        && !owners_place(state, t.account, t.source)
                        && t.session_ms <= recovery.time_ms
                        && recovery.time_ms - t.session_ms <= self.params.chain_window_ms
                })
                .max_by_key(|t| t.session_ms)
            else {
                continue;
            };
            let mut verdict = Verdict::for_account(
                self.name(),
                &["T1586.002", "T1078"],
                recovery.account,
                recovery.source,
                0.9,
                vec![
                    (
                        "hours_after_secondary_taken",
                        ((recovery.time_ms - taken.session_ms) as f64 / HOUR_MS as f64 * 100.0)
                            .round()
                            / 100.0,
                    ),
                    (
                        "same_source",
                        f64::from(u8::from(taken.source == recovery.source)),
                    ),
                ],
                vec![taken.session_raw, taken.change_raw, recovery.raw],
                (taken.session_ms, recovery.time_ms),
            );
            verdict.related_accounts.push(taken.account);
            verdicts.push(verdict);
        }
        verdicts.sort_by_key(|v| (v.subject, v.first_ms));
        verdicts.dedup_by_key(|v| v.subject);
        verdicts.sort_by_key(|v| (v.first_ms, v.subject));
        verdicts
    }
}

#[cfg(test)]
mod tests {
    use forewarn_model::Channel;

    use super::*;
    use crate::detectors::tests::{events, run_with_state, Event};

    fn chain() -> RecoveryChain {
        RecoveryChain::new(Params::default())
    }

    /// Both accounts' owners sign in from home for a few days.
    fn history() -> Vec<Event> {
        let mut seen = Vec::new();
        for day in 0..3 {
            let hour = f64::from(day) * 24.0;
            seen.push(Event::session(
                hour,
                "anna@example.com",
                "a-home",
                "US",
                7922,
                "a",
                "ff",
            ));
            seen.push(Event::session(
                hour,
                "carl@example.com",
                "c-home",
                "US",
                7922,
                "c",
                "ch",
            ));
        }
        seen
    }

    fn attacker(hour: f64, account: &str, device: &str) -> Event {
        Event::session(hour, account, "vps", "US", 63949, device, "old-chrome")
    }

    /// The secondary (anna) falls by password, then the primary (carl) is reset with a code
    /// sent to a***@example.com.
    fn the_chain(recovered_by: Event) -> Vec<Event> {
        let mut seen = history();
        let secondary = attacker(100.0, "anna@example.com", "x1");
        seen.push(secondary.clone());
        seen.push(Event::at(100.1, Kind::MailboxRuleCreate, "anna@example.com").like(&secondary));
        let code = Event::at(130.0, Kind::RecoveryCodeVerify, "carl@example.com")
            .like(&recovered_by)
            .via(Channel::Email, "a***@example.com");
        seen.push(code);
        seen.push(Event::at(130.1, Kind::RecoveryReset, "carl@example.com").like(&recovered_by));
        seen
    }

    #[test]
    fn a_primary_reset_through_a_taken_secondary_is_found_and_linked() {
        let seen = the_chain(attacker(0.0, "carl@example.com", "x2"));
        let (verdicts, state) = run_with_state(chain(), &events(&seen));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        let carl = state.accounts.get("carl@example.com").unwrap();
        let anna = state.accounts.get("anna@example.com").unwrap();
        assert!(matches!(
            verdicts[0].subject,
            crate::Subject::Account { account, .. } if account == carl
        ));
        assert_eq!(verdicts[0].related_accounts, vec![anna]);
        assert!(verdicts[0].signals.contains(&("same_source", 1.0)));
    }

    #[test]
    fn a_secondary_never_signed_in_to_before_counts_as_taken() {
        let mut seen = the_chain(attacker(0.0, "carl@example.com", "x2"));
        seen.retain(|e| !(e.account.starts_with("anna") && e.hour < 100.0));
        let (verdicts, _) = run_with_state(chain(), &events(&seen));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    }

    #[test]
    fn the_owner_resetting_from_home_is_not() {
        let home = Event::session(0, "carl@example.com", "c-home", "US", 7922, "c", "ch");
        let (verdicts, _) = run_with_state(chain(), &events(&the_chain(home)));
        assert!(verdicts.is_empty(), "{verdicts:?}");
    }

    #[test]
    fn a_mailbox_whose_mask_does_not_match_is_not() {
        let mut seen = the_chain(attacker(0.0, "carl@example.com", "x2"));
        for event in &mut seen {
            if event.target.is_some() {
                event.target = Some("b***@example.com".to_owned());
            }
        }
        let (verdicts, _) = run_with_state(chain(), &events(&seen));
        assert!(verdicts.is_empty(), "{verdicts:?}");
    }

    #[test]
    fn a_secondary_signed_in_to_without_a_change_is_not_taken() {
        let mut seen = the_chain(attacker(0.0, "carl@example.com", "x2"));
        seen.retain(|e| e.kind != Kind::MailboxRuleCreate);
        let (verdicts, _) = run_with_state(chain(), &events(&seen));
        assert!(verdicts.is_empty(), "{verdicts:?}");
    }
}
