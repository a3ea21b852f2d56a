//! SIM-swap-style takeover: account recovery by SMS run by a stranger — from an address and on
//! a device the account has never signed in from.
//!
//! - **Completed**: the SMS code verified, then recovery info or a second factor changed from
//!   the same address within `follow_up_ms` (the number was moved; the attacker locks the
//!   owner out).
//!   (Where no code check is logged, as in Okta and Auth0, a reset from the same address after
//!   the codes stands for it: only a good code leads to one.)
//! - **Completed, codes unlogged**: where the log shows no recovery codes, a stranger's reset
//!   followed from the same address by a new factor within `follow_up_ms` (OCSF); where it
//!   shows no recovery at all (Google Workspace records the reset as a password change), a
//!   stranger's password change followed by both a recovery-info change and a new factor: the
//!   whole lock-out, with nothing of the owner's left. (A takeover that only replaces the
//!   recovery address, as Phosphorus' do, is the recovery detectors' to find.)
//! - **Failed**: codes sent and tried, none verified, and the address never got into the
//!   account (the carrier refused the swap; the code went to the real phone). Nothing else
//!   confirms it, so the account must have history to judge by: before the attempt, or, in
//!   hindsight, sessions elsewhere that never came from the attempt's address or device. Where
//!   no code check is logged, codes sent and nothing else is what an abandoned reset looks
//!   like too; it counts only when a swap that went through came from the same uncommon
//!   client (the operation's phone).
//!
//! Completed swaps the log names no client for are one operation (verdict group) when each
//! is within `max_gap_days` of the others.
//!
//! Signals: `completed` (1 or 0), `failed_codes`, `client_of_a_swap` (1 when the attempt's
//! uncommon client is that of a swap that went through), `codes_logged` (0 for the
//! unlogged-recovery chain). ATT&CK: T1451 (SIM Card Swap),
//! T1098 (Account Manipulation).
//!
//! People who reset a forgotten password do it from home, on their own device, and finish.
//! Known false positives: a person with a new phone, away from home, who gives up after a
//! mistyped code; or who resets and re-enrols at once; or who, away from home, changes the
//! password, the recovery phone and the second factor in one sitting.

use forewarn_model::{Channel, Kind, Outcome, RawRef};
use serde::{Deserialize, Serialize};

use std::collections::HashSet;

use super::{group_by_time, rare_clients, Detector, Verdict};
use crate::campaigns::Stage;
use crate::engine::State;
use crate::intern::{FastMap, Symbol};
use crate::observation::Observation;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// How long (ms) after a stranger's verified SMS code a change of recovery info or of a
    /// factor counts as its follow-up. Attackers lock the owner out within minutes; a day
    /// covers a slow one.
    pub follow_up_ms: i64,
    /// Sessions an account must have had for a failed attempt to be judged: with no history
    /// every address is a stranger's, and a failure has no follow-up to confirm it.
    pub min_history_sessions: u16,
    /// Failed code verifications (none succeeding) that make an attempt a failed swap. One:
    /// an attacker without the SIM cannot get the code right.
    pub min_failed_codes: u32,
    /// A client used by at most this share of all sources is uncommon (0..1): an attempt that
    /// only had codes sent (logs with no code check) counts as a refused swap when a swap that
    /// went through used the same uncommon client. 0.05: a browser build is shared by far more
    /// sources; the operation's phone, by its few addresses.
    pub rare_client_share: f64,
    /// Days between lock-outs that the log names no client for (Google Workspace), at most,
    /// for them to be reported as one operation. Nothing else ties them: 30 keeps a month's
    /// swaps together, as the crews that buy number ports work for weeks.
    pub max_gap_days: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            follow_up_ms: 86_400_000,
            min_history_sessions: 1,
            min_failed_codes: 1,
            rare_client_share: 0.05,
            max_gap_days: 30,
        }
    }
}

/// A stranger's SMS recovery of one account from one source.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Attempt {
    first_ms: i64,
    last_ms: i64,
    /// The account had history to judge the stranger by.
    judged: bool,
    device: Option<u64>,
    /// The client of its first event.
    #[serde(default)]
    agent: Option<Symbol>,
    failed_codes: u32,
    verified: Option<i64>,
    /// A change of recovery info or a factor followed the verified code.
    changed: bool,
    /// The password was replaced with no recovery code before it from this address (a log
    /// that shows no recovery flow): when.
    #[serde(default)]
    replaced_password: Option<i64>,
    /// After that replacement: recovery info changed, a factor changed.
    #[serde(default)]
    then_recovery: bool,
    #[serde(default)]
    then_factor: bool,
    /// That replacement was a recovery's reset, not a signed-in change.
    #[serde(default)]
    by_reset: bool,
    evidence: Vec<RawRef>,
}

impl Attempt {
    fn new(o: &Observation, judged: bool) -> Attempt {
        Attempt {
            first_ms: o.time_ms,
            last_ms: o.time_ms,
            judged,
            device: o.device,
            agent: o.agent,
            failed_codes: 0,
            verified: None,
            changed: false,
            replaced_password: None,
            then_recovery: false,
            then_factor: false,
            by_reset: false,
            evidence: Vec::new(),
        }
    }

    fn keep(&mut self, o: &Observation) {
        self.last_ms = self.last_ms.max(o.time_ms);
        if self.evidence.len() < MAX_EVIDENCE {
            self.evidence.push(o.raw);
        }
    }

    /// The number moved and the owner locked out: a good code then a change, or, where no
    /// code is logged, a replaced password then a new factor — and a new recovery phone too
    /// when the replacement may have been a signed-in change.
    fn completed(&self) -> bool {
        (self.verified.is_some() && self.changed)
            || (self.replaced_password.is_some()
                && self.then_factor
                && (self.then_recovery || self.by_reset))
    }
}

const MAX_EVIDENCE: usize = 6;

pub struct SimSwap {
    params: Params,
    attempts: FastMap<(Symbol, Symbol), Attempt>,
}

impl Default for SimSwap {
    fn default() -> Self {
        SimSwap::new(Params::default())
    }
}

impl SimSwap {
    pub fn new(params: Params) -> Self {
        SimSwap {
            params,
            attempts: FastMap::default(),
        }
    }

    /// The attempt of this address on this account, begun now unless the account knows the
    /// address or device (then it is the owner, and there is none).
    fn stranger_attempt(
        &mut self,
        key: (Symbol, Symbol),
        o: &Observation,
        state: &State,
    ) -> Option<&mut Attempt> {
        if !self.attempts.contains_key(&key) {
            let baseline = state.baseline(o.account);
            if baseline.is_some_and(|b| b.knows(o)) {
                return None;
            }
            let judged = baseline.is_some_and(|b| b.sessions >= self.params.min_history_sessions);
            self.attempts.insert(key, Attempt::new(o, judged));
        }
        self.attempts.get_mut(&key)
    }
}

impl Detector for SimSwap {
    fn name(&self) -> &'static str {
        "sim_swap"
    }

    fn observe(&mut self, o: &Observation, state: &State) {
        let Some(source) = o.source else {
            return;
        };
        if !o.exists || o.actor.is_some_and(|a| a != o.account) {
            return;
        }
        let key = (o.account, source);
        // A code check the log does not tie to a channel (Entra's failed SSPR verifications)
        // is the check of the SMS code this address asked for.
        let sms = o.channel == Some(Channel::Sms)
            || (o.kind == Kind::RecoveryCodeVerify
                && o.channel.is_none()
                && self.attempts.contains_key(&key));
        match o.kind {
            Kind::RecoveryStart | Kind::RecoveryCodeSent | Kind::RecoveryCodeVerify if sms => {
                let Some(attempt) = self.stranger_attempt(key, o, state) else {
                    return;
                };
                attempt.keep(o);
                if o.kind == Kind::RecoveryCodeVerify {
                    match o.outcome {
                        Outcome::Success => attempt.verified = Some(o.time_ms),
                        Outcome::Failure => attempt.failed_codes += 1,
                    }
                }
            }
            // A reset after the codes, from the same address: the code was good (Okta and
            // Auth0 log no code check of their own). Without codes before it, a password
            // replaced by a stranger starts the unlogged-recovery chain.
            Kind::RecoveryReset | Kind::AccountPasswordChange if o.outcome == Outcome::Success => {
                match self.attempts.get_mut(&key) {
                    Some(attempt) if o.kind == Kind::RecoveryReset => {
                        if attempt.verified.is_none() {
                            attempt.verified = Some(o.time_ms);
                            attempt.keep(o);
                        }
                    }
                    Some(_) => {}
                    // A recovery this address started by another channel is not a swap's.
                    None if state
                        .source(source)
                        .and_then(|s| s.reach.get(&o.account))
                        .is_some_and(|r| r.recovery_started) => {}
                    None => {
                        if let Some(attempt) = self.stranger_attempt(key, o, state) {
                            attempt.replaced_password = Some(o.time_ms);
                            attempt.by_reset = o.kind == Kind::RecoveryReset;
                            attempt.keep(o);
                        }
                    }
                }
            }
            Kind::AccountRecoveryInfoChange | Kind::AccountMfaChange
                if o.outcome == Outcome::Success =>
            {
                let follow_up = self.params.follow_up_ms;
                let soon_after = |at: Option<i64>| at.is_some_and(|at| o.time_ms - at <= follow_up);
                if let Some(attempt) = self.attempts.get_mut(&key) {
                    let mut kept = false;
                    if soon_after(attempt.verified) {
                        attempt.changed = true;
                        kept = true;
                    }
                    if soon_after(attempt.replaced_password) {
                        match o.kind {
                            Kind::AccountRecoveryInfoChange => attempt.then_recovery = true,
                            _ => attempt.then_factor = true,
                        }
                        kept = true;
                    }
                    if kept {
                        attempt.keep(o);
                    }
                }
            }
            _ => {}
        }
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        // The uncommon clients of swaps that went through: the operation's phone.
        let rare = rare_clients(state, self.params.rare_client_share);
        let swap_clients: HashSet<Symbol> = self
            .attempts
            .values()
            .filter(|a| a.completed())
            .filter_map(|a| a.agent)
            .filter(|agent| rare.contains(agent))
            .collect();
        let mut verdicts = Vec::new();
        for (&(account, source), attempt) in &self.attempts {
            let completed = attempt.completed();
            let got_in = state
                .source(source)
                .and_then(|s| s.reach.get(&account))
                .is_some_and(|r| r.stage == Stage::Compromised);
            // An account with no history then is judged in hindsight: the attempt's address
            // and device never became its own, though it signed in elsewhere.
            let stranger_in_hindsight = state
                .baseline(account)
                .filter(|b| b.sessions >= self.params.min_history_sessions)
                .is_some_and(|b| {
                    !b.sources.contains(&source)
                        && attempt.device.is_none_or(|d| !b.devices.contains(&d))
                });
            let refused =
                (attempt.judged || stranger_in_hindsight) && attempt.verified.is_none() && !got_in;
            let failed = refused && attempt.failed_codes >= self.params.min_failed_codes;
            // Codes sent and nothing else (a log with no code checks): an abandoned reset,
            // unless a swap that went through came from the same uncommon client.
            let same_client = attempt.agent.is_some_and(|a| swap_clients.contains(&a));
            let unconfirmed = refused
                && attempt.failed_codes == 0
                && attempt.replaced_password.is_none()
                && same_client;
            if !completed && !failed && !unconfirmed {
                continue;
            }
            let Some(mut verdict) = Verdict::for_source(
                self.name(),
                &["T1451", "T1098"],
                source,
                state,
                if completed { 0.9 } else { 0.7 },
                vec![
                    ("completed", f64::from(u8::from(completed))),
                    ("failed_codes", f64::from(attempt.failed_codes)),
                    ("client_of_a_swap", f64::from(u8::from(same_client))),
                    (
                        "codes_logged",
                        f64::from(u8::from(attempt.replaced_password.is_none())),
                    ),
                ],
            ) else {
                continue;
            };
            verdict.evidence = attempt.evidence.clone();
            verdict.first_ms = attempt.first_ms;
            verdict.last_ms = attempt.last_ms;
            // Swaps with a client are tied by it (the operation's phone); without one, only
            // the method and the weeks tie them.
            verdict.group = (completed && attempt.agent.is_none()).then_some(0);
            verdicts.push(verdict);
        }
        verdicts.sort_by_key(|v| (v.first_ms, v.subject));
        verdicts.dedup_by_key(|v| v.subject);
        group_by_time(
            &mut verdicts,
            i64::from(self.params.max_gap_days) * 86_400_000,
        );
        verdicts
    }

    /// Forgets the password changes by strangers that led to no lock-out within the
    /// retention (a person changing the password from a café): the SMS attempts stay, as
    /// their verdicts are judged in hindsight.
    fn expire(&mut self, before_ms: i64) {
        self.attempts.retain(|_, a| {
            a.last_ms >= before_ms || a.replaced_password.is_none() || a.completed()
        });
    }

    crate::saved::saved_fields!(; attempts);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::account_novelty::tests::history;
    use crate::detectors::tests::{events, run, Event};

    fn swapper(hour: f64, kind: Kind) -> Event {
        Event::at(hour, kind, "jane")
            .from("carrier-x", "DE", 6805)
            .on("burner", "android-7")
            .via(Channel::Sms, "+49 ***-***-0340")
    }

    fn attempt(verified: bool) -> Vec<Event> {
        let mut seen = history();
        seen.push(swapper(80.0, Kind::RecoveryStart));
        seen.push(swapper(80.01, Kind::RecoveryCodeSent));
        if verified {
            seen.push(swapper(80.1, Kind::RecoveryCodeVerify));
            seen.push(swapper(80.15, Kind::RecoveryReset));
            seen.push(swapper(80.16, Kind::SessionStart));
            seen.push(swapper(80.2, Kind::AccountRecoveryInfoChange));
        } else {
            seen.push(swapper(80.1, Kind::RecoveryCodeVerify).failed());
            seen.push(swapper(80.12, Kind::RecoveryCodeVerify).failed());
        }
        seen
    }

    #[test]
    fn a_completed_swap_is_found() {
        let verdicts = run(SimSwap::default(), &events(&attempt(true)));
        assert_eq!(verdicts.len(), 1);
        assert!(verdicts[0].signals.contains(&("completed", 1.0)));
    }

    #[test]
    fn a_completed_swap_is_found_where_no_code_check_is_logged() {
        // Okta: the SMS reset message, the reset, the new factor.
        let mut seen = history();
        seen.push(swapper(80.01, Kind::RecoveryCodeSent));
        seen.push(swapper(80.15, Kind::RecoveryReset));
        seen.push(swapper(80.16, Kind::SessionStart));
        seen.push(swapper(80.2, Kind::AccountMfaChange));
        let verdicts = run(SimSwap::default(), &events(&seen));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        assert!(verdicts[0].signals.contains(&("completed", 1.0)));
    }

    #[test]
    fn a_lock_out_after_a_password_change_is_found_where_no_recovery_is_logged() {
        // Google Workspace: the reset is a password change; then the recovery phone and a new
        // factor, all from the stranger's phone.
        let chain = |steps: &[(f64, Kind)]| {
            let mut seen = history();
            for &(hour, kind) in steps {
                seen.push(swapper(hour, kind));
            }
            run(SimSwap::default(), &events(&seen))
        };
        let verdicts = chain(&[
            (80.0, Kind::AccountPasswordChange),
            (80.01, Kind::SessionStart),
            (80.1, Kind::AccountRecoveryInfoChange),
            (80.2, Kind::AccountMfaChange),
        ]);
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        assert!(verdicts[0].signals.contains(&("completed", 1.0)));
        assert!(verdicts[0].signals.contains(&("codes_logged", 0.0)));
        // Half the lock-out is not one: a takeover that only replaces the recovery address,
        // or a new factor after a new password.
        assert!(chain(&[
            (80.0, Kind::AccountPasswordChange),
            (80.1, Kind::AccountRecoveryInfoChange),
        ])
        .is_empty());
        assert!(chain(&[
            (80.0, Kind::AccountPasswordChange),
            (80.2, Kind::AccountMfaChange),
        ])
        .is_empty());
        // A recovery's reset then a new factor is (OCSF logs no codes and no recovery info)…
        let verdicts = chain(&[
            (80.0, Kind::RecoveryReset),
            (80.01, Kind::SessionStart),
            (80.2, Kind::AccountMfaChange),
        ]);
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        assert!(chain(&[
            (80.0, Kind::RecoveryReset),
            (80.1, Kind::AccountRecoveryInfoChange),
        ])
        .is_empty());
        // …but not where the log shows this address recovering the account by email.
        let mut seen = history();
        let by_email = |hour: f64, kind: Kind| {
            Event::at(hour, kind, "jane")
                .from("vpn-exit", "NL", 9009)
                .on("kit", "chrome-73")
                .via(Channel::Email, "j***@gmail.com")
        };
        seen.push(by_email(80.0, Kind::RecoveryStart));
        seen.push(by_email(80.05, Kind::RecoveryCodeVerify));
        seen.push(
            Event::at(80.1, Kind::RecoveryReset, "jane").like(&by_email(0.0, Kind::RecoveryReset)),
        );
        seen.push(
            Event::at(80.2, Kind::AccountMfaChange, "jane")
                .like(&by_email(0.0, Kind::RecoveryReset)),
        );
        assert!(run(SimSwap::default(), &events(&seen)).is_empty());
        // Days later is not the same sitting.
        assert!(chain(&[
            (80.0, Kind::AccountPasswordChange),
            (80.1, Kind::AccountRecoveryInfoChange),
            (130.0, Kind::AccountMfaChange),
        ])
        .is_empty());
    }

    #[test]
    fn password_changes_that_locked_nobody_out_are_forgotten_after_the_retention() {
        let attempt = |replaced: bool, completed: bool, codes: bool| Attempt {
            first_ms: 0,
            last_ms: 10,
            judged: true,
            device: None,
            agent: None,
            failed_codes: u32::from(codes),
            verified: None,
            changed: false,
            replaced_password: replaced.then_some(0),
            then_recovery: completed,
            then_factor: completed,
            by_reset: false,
            evidence: Vec::new(),
        };
        let mut swaps = SimSwap::default();
        swaps.attempts.insert((1, 1), attempt(true, false, false));
        swaps.attempts.insert((2, 2), attempt(true, true, false));
        swaps.attempts.insert((3, 3), attempt(false, false, true));
        swaps.expire(5);
        assert_eq!(swaps.attempts.len(), 3, "nothing is old yet");
        swaps.expire(100);
        let mut kept: Vec<_> = swaps.attempts.keys().copied().collect();
        kept.sort_unstable();
        assert_eq!(kept, [(2, 2), (3, 3)], "a lock-out and an SMS attempt stay");
    }

    #[test]
    fn the_owner_changing_everything_at_home_is_not_a_lock_out() {
        let mut seen = history();
        let home = seen[0].clone();
        for (hour, kind) in [
            (80.0, Kind::AccountPasswordChange),
            (80.1, Kind::AccountRecoveryInfoChange),
            (80.2, Kind::AccountMfaChange),
        ] {
            seen.push(Event::at(hour, kind, "jane").like(&home));
        }
        assert!(run(SimSwap::default(), &events(&seen)).is_empty());
    }

    #[test]
    fn codes_sent_alone_count_only_from_the_client_of_a_swap_that_went_through() {
        // Okta logs the SMS reset message, and no code check.
        let mut seen = history();
        seen.push(swapper(80.01, Kind::RecoveryCodeSent));
        assert!(run(SimSwap::default(), &events(&seen)).is_empty());
        // The same phone swaps another account's number, and that one goes through.
        let carl = |hour: f64, kind: Kind| {
            Event::at(hour, kind, "carl")
                .from("carrier-y", "DE", 3209)
                .on("burner-2", "android-7")
                .via(Channel::Sms, "+49 ***-***-0771")
        };
        for day in 0..3 {
            seen.push(Event::session(
                day * 24 + 1,
                "carl",
                "c-home",
                "DE",
                3320,
                "mac",
                "safari",
            ));
        }
        seen.push(carl(120.01, Kind::RecoveryCodeSent));
        seen.push(carl(120.15, Kind::RecoveryReset));
        seen.push(carl(120.2, Kind::AccountMfaChange));
        seen.sort_by(|a, b| a.hour.total_cmp(&b.hour));
        // Five sources in all: the phone's client is uncommon at a half here.
        let swaps = SimSwap::new(Params {
            rare_client_share: 0.5,
            ..Params::default()
        });
        let verdicts = run(swaps, &events(&seen));
        assert_eq!(verdicts.len(), 2, "{verdicts:?}");
        assert!(verdicts
            .iter()
            .all(|v| v.signals.contains(&("client_of_a_swap", 1.0))));
    }

    #[test]
    fn a_failed_code_check_without_a_channel_is_the_sms_codes() {
        // Entra's failed SSPR verification names no method.
        let mut seen = attempt(false);
        for event in &mut seen {
            if event.kind == Kind::RecoveryCodeVerify {
                event.channel = None;
                event.target = None;
            }
        }
        let verdicts = run(SimSwap::default(), &events(&seen));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        assert!(verdicts[0].signals.contains(&("failed_codes", 2.0)));
    }

    #[test]
    fn a_failed_swap_is_found() {
        let verdicts = run(SimSwap::default(), &events(&attempt(false)));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        assert!(verdicts[0].signals.contains(&("completed", 0.0)));
        assert!(verdicts[0].signals.contains(&("failed_codes", 2.0)));
        assert!((verdicts[0].score - 0.7).abs() < 1e-9);
    }

    #[test]
    fn forgetting_a_password_at_home_is_not() {
        let mut seen = history();
        let home = seen[0].clone();
        for (hour, kind) in [
            (80.0, Kind::RecoveryStart),
            (80.01, Kind::RecoveryCodeSent),
            (80.1, Kind::RecoveryCodeVerify),
            (80.15, Kind::RecoveryReset),
        ] {
            seen.push(
                Event::at(hour, kind, "jane")
                    .like(&home)
                    .via(Channel::Sms, "+49 ***-***-0340"),
            );
        }
        // A mistyped code first, at home, is not a failed swap either.
        seen.insert(
            seen.len() - 2,
            Event::at(80.05, Kind::RecoveryCodeVerify, "jane")
                .like(&home)
                .via(Channel::Sms, "+49 ***-***-0340")
                .failed(),
        );
        assert!(run(SimSwap::default(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_verified_code_without_a_change_is_not() {
        let mut seen = attempt(true);
        seen.retain(|e| e.kind != Kind::AccountRecoveryInfoChange);
        assert!(run(SimSwap::default(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_failed_attempt_on_an_account_without_history_is_not_judged() {
        let seen: Vec<Event> = attempt(false).into_iter().skip(3).collect();
        assert!(run(SimSwap::default(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_failed_attempt_before_any_history_is_judged_in_hindsight() {
        let mut seen: Vec<Event> = attempt(false).into_iter().skip(3).collect();
        seen.push(Event::session(
            200, "jane", "home", "DE", 3320, "laptop", "firefox",
        ));
        assert_eq!(run(SimSwap::default(), &events(&seen)).len(), 1);
    }
}
