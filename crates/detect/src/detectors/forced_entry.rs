//! Forced entry: a stranger — an address and a device the account had never used — got into
//! the account the hard way: through account recovery (a verified code, a reset, or a password
//! set from an address not signed in, which is a reset in logs that record no other), or
//! after failing the account's password from the same address in an earlier sign-in.
//!
//! This is how a takeover shows in logs that record no recovery flow and no source-level
//! pattern: the attacker's failed tries and its reset come from the address it then signs in
//! from. Account novelty says *where from*, persistence *what was done once in*; this detector
//! says *how the stranger got in*, so that two of them agreeing on one session is the
//! corroboration that lists an account (`accounts.rs`).
//!
//! Signals: `via_recovery` (1 when the way in was a recovery), `failed_passwords` (password
//! failures from the address on the account before it got in), `hours_since_first_try` (from
//! the address's first failure or recovery to the entry). ATT&CK: T1078 (Valid Accounts), and
//! T1110 (Brute Force) when passwords failed first.
//!
//! People who forget their password reset it from home on their own device, and people who
//! mistype it do so where they usually sign in: neither is a stranger. A typo fixed at once
//! (the same device, within the hour) is the entry's own sign-in, not an earlier try: on a
//! phone's first sign-in over its carrier, which is new on both sides, it is common. Help-desk resets are an
//! admin's, not the account's own. In hindsight, an address the account then kept coming back
//! to (sessions on two days or more), or a device later used from one of the account's known
//! places, was its owner's, new as it was, and is dropped. In logs with neither device ids
//! nor user agents (Google Workspace), a stranger is an address on a network the account never
//! used (see `persistence::is_stranger`).
//!
//! Known false positives: a person on a new phone, in a place never used before, who mistypes
//! the password or resets it there — a traveller who lost their phone. On its own this
//! detector never puts an account in `accounts.jsonl`.

use forewarn_model::{Kind, Outcome, RawRef};
use serde::{Deserialize, Serialize};

use super::account_novelty::{is_entry, owners_place, KeptDevices};
use super::persistence::is_stranger;
use super::{Detector, Verdict};
use crate::campaigns::Stage;
use crate::engine::State;
use crate::intern::{FastMap, Symbol};
use crate::observation::Observation;

const HOUR_MS: i64 = 3_600_000;

/// `[detectors.forced_entry]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Sessions an account must have had before an address or device can be called new to
    /// it. 1: one session shows a home or a device; the way in (a recovery, earlier failures
    /// from the same address) is the evidence, and accounts seldom used are what targeted
    /// attackers take over.
    pub min_history_sessions: u16,
    /// Hours before a stranger got in within which a failed password or a completed
    /// recovery from the same address counts as its way in. 168 (a week): an attacker's tries and its
    /// way in are one operation, a day or two apart (Phosphorus came back the next day with
    /// a phished password); a week covers a slow one.
    pub window_hours: u32,
    /// Minutes before an entry within which a failed password on the same device (any, when
    /// the log has no device ids) belongs to the entry's own sign-in — a typo fixed — and is
    /// not an earlier try. 60: a person retries within a minute or two, or gives up and
    /// resets; an attacker's phished password comes back hours or days after its failures,
    /// or on another device.
    pub same_sign_in_minutes: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_history_sessions: 1,
            window_hours: 168,
            same_sign_in_minutes: 60,
        }
    }
}

/// What one address did to one account before getting in.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tries {
    first_ms: i64,
    last_ms: i64,
    /// Its latest failed passwords: time and device.
    failures: Vec<(i64, Option<u64>)>,
    /// When it completed a recovery of the account, and the evidence.
    recovered: Option<(i64, RawRef)>,
    first_raw: RawRef,
}

/// Tries by (account, source), with a bit for each account that has any: every session looks
/// its account up, most accounts have none, and the bits (25 KB for 200,000 accounts) stay in
/// cache where the table does not.
#[derive(Debug, Default)]
struct TriesTable {
    by_key: FastMap<(Symbol, Symbol), Tries>,
    accounts: Vec<u64>,
}

impl TriesTable {
    fn has_account(&self, account: Symbol) -> bool {
        self.accounts
            .get(account as usize / 64)
            .is_some_and(|bits| bits & (1 << (account % 64)) != 0)
    }

    fn mark(&mut self, account: Symbol) {
        let word = account as usize / 64;
        if self.accounts.len() <= word {
            self.accounts.resize(word + 1, 0);
        }
        self.accounts[word] |= 1 << (account % 64);
    }

    fn get(&self, key: (Symbol, Symbol)) -> Option<&Tries> {
        if !self.has_account(key.0) {
            return None;
        }
        self.by_key.get(&key)
    }

    fn get_or_insert(&mut self, key: (Symbol, Symbol), tries: Tries) -> &mut Tries {
        self.mark(key.0);
        self.by_key.entry(key).or_insert(tries)
    }

    fn retain(&mut self, mut keep: impl FnMut(&Tries) -> bool) {
        self.by_key.retain(|_, t| keep(t));
        self.accounts.iter_mut().for_each(|bits| *bits = 0);
        let accounts: Vec<Symbol> = self.by_key.keys().map(|&(account, _)| account).collect();
        accounts.into_iter().for_each(|account| self.mark(account));
    }

    fn shrink(&mut self) {
        if self.by_key.len() * 4 < self.by_key.capacity() {
            self.by_key.shrink_to_fit();
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&(Symbol, Symbol), &Tries)> + '_ {
        self.by_key.iter()
    }
}

impl FromIterator<((Symbol, Symbol), Tries)> for TriesTable {
    fn from_iter<I: IntoIterator<Item = ((Symbol, Symbol), Tries)>>(iter: I) -> Self {
        let mut table = TriesTable::default();
        for (key, tries) in iter {
            table.mark(key.0);
            table.by_key.insert(key, tries);
        }
        table
    }
}

/// Failed passwords remembered per address and account: enough to tell tries from typos.
const MAX_FAILURES: usize = 16;

/// A stranger's way in, found.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Found {
    account: Symbol,
    source: Symbol,
    device: Option<u64>,
    first_ms: i64,
    first_raw: RawRef,
    /// Failed passwords in earlier sign-ins.
    failed_passwords: u32,
    recovered: Option<(i64, RawRef)>,
    entry_ms: i64,
    entry_raw: RawRef,
}

pub struct ForcedEntry {
    params: Params,
    /// (account, source) → its tries, forgotten a window after the last.
    tries: TriesTable,
    found: Vec<Found>,
    devices: KeptDevices,
    next_sweep_ms: i64,
}

impl ForcedEntry {
    pub fn new(params: Params) -> Self {
        ForcedEntry {
            params,
            tries: TriesTable::default(),
            found: Vec::new(),
            devices: KeptDevices::default(),
            next_sweep_ms: i64::MIN,
        }
    }

    fn window_ms(&self) -> i64 {
        i64::from(self.params.window_hours) * HOUR_MS
    }

    /// Whether `o` completes a recovery of its account: a verified code or a reset, or a
    /// password set from an address that had no session of the account (logs that record
    /// a reset only as a password change: nobody changes a password while signed out).
    fn completes_recovery(o: &Observation, state: &State) -> bool {
        match o.kind {
            Kind::RecoveryCodeVerify | Kind::RecoveryReset => true,
            Kind::AccountPasswordChange => o.source.is_some_and(|s| {
                state
                    .source(s)
                    .and_then(|stats| stats.reach.get(&o.account))
                    .is_none_or(|r| r.stage < Stage::Compromised)
            }),
            _ => false,
        }
    }

    fn sweep(&mut self, now_ms: i64) {
        if now_ms < self.next_sweep_ms {
            return;
        }
        let horizon = now_ms - self.window_ms();
        self.tries.retain(|t| t.last_ms >= horizon);
        self.tries.shrink();
        self.next_sweep_ms = now_ms + self.window_ms().max(HOUR_MS);
    }
}

impl Detector for ForcedEntry {
    crate::saved::saved_fields!(found, devices, next_sweep_ms; tries);

    fn name(&self) -> &'static str {
        "forced_entry"
    }

    fn observe(&mut self, o: &Observation, state: &State) {
        self.sweep(o.time_ms);
        self.devices.observe(o, state);
        let Some(source) = o.source else {
            return;
        };
        if !o.exists || o.actor.is_some_and(|a| a != o.account) {
            return;
        }
        let key = (o.account, source);
        let failed_password = o.kind == Kind::AuthPassword && o.outcome == Outcome::Failure;
        let recovered = o.outcome == Outcome::Success && Self::completes_recovery(o, state);
        if failed_password || recovered {
            let tries = self.tries.get_or_insert(
                key,
                Tries {
                    first_ms: o.time_ms,
                    last_ms: o.time_ms,
                    failures: Vec::new(),
                    recovered: None,
                    first_raw: o.raw,
                },
            );
            tries.last_ms = o.time_ms;
            if failed_password {
                if tries.failures.len() >= MAX_FAILURES {
                    tries.failures.remove(0);
                }
                tries.failures.push((o.time_ms, o.device));
            }
            if recovered && tries.recovered.is_none() {
                tries.recovered = Some((o.time_ms, o.raw));
            }
        }
        if !is_entry(o) {
            return;
        }
        let Some(tries) = self.tries.get(key) else {
            return;
        };
        let window_ms = self.window_ms();
        let same_sign_in_ms = i64::from(self.params.same_sign_in_minutes) * 60_000;
        let recent = |at: i64| o.time_ms - at <= window_ms;
        // Failures of earlier sign-ins: not a typo fixed on this device just now.
        let failed_before = tries
            .failures
            .iter()
            .filter(|&&(at, device)| {
                recent(at) && (device != o.device || o.time_ms - at > same_sign_in_ms)
            })
            .count();
        let recovered = tries.recovered.filter(|&(at, _)| recent(at));
        if (recovered.is_none() && failed_before == 0)
            || is_stranger(o, state, self.params.min_history_sessions) != Some(true)
        {
            return;
        }
        let (first_ms, first_raw) = (tries.first_ms, tries.first_raw);
        // One finding per address and account: the first way in.
        if self
            .found
            .iter()
            .rev()
            .any(|f| f.account == o.account && f.source == source)
        {
            return;
        }
        self.devices.watch(o);
        self.found.push(Found {
            account: o.account,
            source,
            device: o.device,
            first_ms,
            first_raw,
            failed_passwords: u32::try_from(failed_before).unwrap_or(u32::MAX),
            recovered,
            entry_ms: o.time_ms,
            entry_raw: o.raw,
        });
    }

    fn expire(&mut self, before_ms: i64) {
        self.tries.retain(|t| t.last_ms >= before_ms);
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        let mut verdicts: Vec<Verdict> = self
            .found
            .iter()
            .filter(|f| {
                !owners_place(state, f.account, Some(f.source))
                    && !self.devices.kept(f.account, f.device)
            })
            .map(|f| {
                let via_recovery = f.recovered.is_some();
                let techniques: &'static [&'static str] = if f.failed_passwords > 0 {
                    &["T1078", "T1110"]
                } else {
                    &["T1078"]
                };
                let mut evidence = vec![f.first_raw];
                if let Some((_, raw)) = f.recovered {
                    evidence.push(raw);
                }
                evidence.push(f.entry_raw);
                evidence.dedup();
                Verdict::for_account(
                    self.name(),
                    techniques,
                    f.account,
                    Some(f.source),
                    if via_recovery { 0.8 } else { 0.7 },
                    vec![
                        ("via_recovery", f64::from(u8::from(via_recovery))),
                        ("failed_passwords", f64::from(f.failed_passwords)),
                        (
                            "hours_since_first_try",
                            ((f.entry_ms - f.first_ms) as f64 / HOUR_MS as f64 * 100.0).round()
                                / 100.0,
                        ),
                    ],
                    evidence,
                    (f.first_ms, f.entry_ms),
                )
            })
            .collect();
        verdicts.sort_by_key(|v| (v.first_ms, v.subject));
        verdicts
    }
}

#[cfg(test)]
mod tests {
    use forewarn_model::Channel;

    use super::*;
    use crate::detectors::account_novelty::tests::history;
    use crate::detectors::tests::{events, run, Event};

    fn forced_entry() -> ForcedEntry {
        ForcedEntry::new(Params::default())
    }

    fn stranger(hour: f64, kind: Kind) -> Event {
        Event::at(hour, kind, "jane")
            .from("vps", "US", 14061)
            .on("new", "old-chrome")
    }

    #[test]
    fn the_tries_table_knows_which_accounts_have_tries() {
        let tries = |last_ms| Tries {
            first_ms: 0,
            last_ms,
            failures: Vec::new(),
            recovered: None,
            first_raw: RawRef::default(),
        };
        let mut table = TriesTable::default();
        table.get_or_insert((3, 1), tries(10));
        table.get_or_insert((200, 1), tries(20));
        assert!(table.get((3, 1)).is_some() && table.get((3, 2)).is_none());
        assert!(table.get((4, 1)).is_none() && table.get((100_000, 1)).is_none());
        table.retain(|t| t.last_ms >= 15);
        assert!(table.get((3, 1)).is_none() && !table.has_account(3));
        assert!(table.get((200, 1)).is_some());
        // Restored from a checkpoint's pairs.
        let back: TriesTable = table.iter().map(|(&k, t)| (k, t.clone())).collect();
        assert!(back.get((200, 1)).is_some() && !back.has_account(3));
    }

    #[test]
    fn a_stranger_failing_then_getting_in_the_next_day_is_found() {
        let mut seen = history();
        seen.push(stranger(80.0, Kind::AuthPassword).failed());
        // The next day, from the same address, on another device: a phished password.
        seen.push(stranger(105.0, Kind::SessionStart).on("other", "old-chrome"));
        let verdicts = run(forced_entry(), &events(&seen));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        assert!(verdicts[0].signals.contains(&("failed_passwords", 1.0)));
        assert!(verdicts[0].signals.contains(&("via_recovery", 0.0)));
        assert!(verdicts[0]
            .signals
            .contains(&("hours_since_first_try", 25.0)));
        assert_eq!(verdicts[0].techniques, &["T1078", "T1110"]);
    }

    #[test]
    fn a_strangers_reset_then_session_is_found() {
        let mut seen = history();
        seen.push(stranger(80.0, Kind::RecoveryCodeVerify).via(Channel::Email, "j***@example.com"));
        seen.push(stranger(80.05, Kind::RecoveryReset));
        seen.push(stranger(80.1, Kind::SessionStart));
        let verdicts = run(forced_entry(), &events(&seen));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        assert!(verdicts[0].signals.contains(&("via_recovery", 1.0)));
    }

    #[test]
    fn a_reset_logged_without_a_device_counts_for_the_session_after_it() {
        // Microsoft 365 logs the reset with the address alone, the session with its device.
        let mut seen = history();
        let mut reset = Event::at(80.0, Kind::RecoveryReset, "jane");
        reset.source = "vps".to_owned();
        seen.push(reset);
        seen.push(stranger(80.1, Kind::SessionStart));
        assert_eq!(run(forced_entry(), &events(&seen)).len(), 1);
    }

    #[test]
    fn a_password_set_before_any_session_is_a_reset() {
        // Google Workspace logs a reset as a password change.
        let mut seen = history();
        seen.push(stranger(80.0, Kind::AccountPasswordChange));
        seen.push(stranger(80.1, Kind::SessionStart));
        let verdicts = run(forced_entry(), &events(&seen));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        assert!(verdicts[0].signals.contains(&("via_recovery", 1.0)));
    }

    #[test]
    fn a_stranger_signing_in_at_once_is_not_this_detectors() {
        let mut seen = history();
        seen.push(stranger(80.0, Kind::SessionStart));
        seen.push(stranger(80.2, Kind::AccountPasswordChange));
        assert!(run(forced_entry(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_typo_at_home_and_a_reset_at_home_are_not() {
        let mut seen = history();
        let home = seen[0].clone();
        seen.push(
            Event::at(80.0, Kind::AuthPassword, "jane")
                .like(&home)
                .failed(),
        );
        seen.push(home.clone().hour(80.01));
        seen.push(Event::at(90.0, Kind::RecoveryReset, "jane").like(&home));
        seen.push(home.hour(90.01));
        assert!(run(forced_entry(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_typo_fixed_at_once_on_a_phones_first_sign_in_over_its_carrier_is_not() {
        // New address, new device: a stranger, but the failure is the entry's own sign-in.
        let mut seen = history();
        let phone = Event::session(80, "jane", "cgn-17", "DE", 6805, "phone", "safari");
        seen.push(
            Event::at(79.99, Kind::AuthPassword, "jane")
                .like(&phone)
                .failed(),
        );
        seen.push(phone);
        assert!(run(forced_entry(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_failure_on_another_device_just_before_counts() {
        let mut seen = history();
        seen.push(stranger(80.0, Kind::AuthPassword).failed());
        seen.push(stranger(80.1, Kind::SessionStart).on("other", "old-chrome"));
        assert_eq!(run(forced_entry(), &events(&seen)).len(), 1);
    }

    #[test]
    fn a_new_phone_at_home_after_a_typo_is_not() {
        let mut seen = history();
        let phone = Event::session(80, "jane", "home", "DE", 3320, "phone", "safari");
        seen.push(
            Event::at(79.9, Kind::AuthPassword, "jane")
                .like(&phone)
                .failed(),
        );
        seen.push(phone);
        assert!(run(forced_entry(), &events(&seen)).is_empty());
    }

    #[test]
    fn failures_long_ago_count_when_the_address_came_back_to_recover() {
        // Phosphorus failed a password, then came back a week later through recovery.
        let mut seen = history();
        seen.push(stranger(80.0, Kind::AuthPassword).failed());
        seen.push(stranger(80.0 + 200.0, Kind::RecoveryReset));
        let verdicts = run(forced_entry(), &events(&seen));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        assert!(verdicts[0].signals.contains(&("via_recovery", 1.0)));
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let mut seen = history();
        seen.push(stranger(80.0, Kind::AuthPassword).failed());
        seen.push(stranger(80.0 + 169.0, Kind::SessionStart));
        assert!(run(forced_entry(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_help_desk_reset_is_not_the_accounts_own() {
        let mut seen = history();
        let mut reset = stranger(80.0, Kind::RecoveryReset);
        reset.actor = Some("helpdesk".to_owned());
        seen.push(reset);
        assert!(run(forced_entry(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_place_the_owner_keeps_coming_back_to_is_dropped_in_hindsight() {
        let mut seen = history();
        seen.push(stranger(80.0, Kind::AuthPassword).failed());
        seen.push(stranger(80.1, Kind::SessionStart));
        seen.push(stranger(110.0, Kind::SessionStart));
        assert!(run(forced_entry(), &events(&seen)).is_empty());
    }
}
