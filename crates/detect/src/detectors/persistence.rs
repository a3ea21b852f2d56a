//! Post-compromise persistence: a forwarding or inbox rule, an OAuth consent, a change of
//! recovery email or phone, or of a second factor, made in a stranger's session — one that
//! started from an address and on a device the account had never used — within a day of it.
//! What an attacker does first once in, so that the mail keeps coming and the owner cannot
//! take the account back.
//!
//! Signals: `after_recovery` (the stranger's session began with a completed account recovery),
//! `new` (how many of country, network, device and user agent were new to the account when the
//! stranger's session began), `hours_after_session`. ATT&CK: T1114.003 (Email Forwarding Rule)
//! and T1564.008 (Email Hiding Rules) for rules, T1528 (Steal Application Access Token) for
//! consents, T1098 (Account Manipulation) for recovery info, T1098.005 (Device Registration)
//! for second factors.
//!
//! Owners make these changes too (the simulator's InboxRule, AppConsent, RecoveryInfoUpdate and
//! NewPhone behaviours), from their usual places or devices: a change counts only when neither
//! the address nor the device of its session was the account's before. Admin actions on someone
//! else's behalf (a help desk) are not the account's own, and accounts with too little history
//! are not judged. In hindsight, a session from a place the account then kept coming back to
//! (sessions on two days or more), or on a device later used from one of the account's known
//! places, was its owner's, new as it was, and is dropped.
//!
//! Known false positives: a new phone set up at a home the account had never signed in from,
//! and its authenticator enrolled at once.

use forewarn_model::{Kind, Outcome, RawRef};
use serde::{Deserialize, Serialize};

use super::account_novelty::{is_entry, owners_place, KeptDevices, Novelty, RELAY_ASNS};
use super::{Detector, Verdict};
use crate::engine::State;
use crate::intern::{FastMap, Symbol};
use crate::observation::Observation;

const HOUR_MS: i64 = 3_600_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Sessions an account must have had before an address or device can be called new to
    /// it. 1: one session shows a home or a device; the change made in a stranger's session is
    /// the evidence, and accounts seldom used are what targeted attackers take over (a
    /// secondary mailbox, an old account).
    pub min_history_sessions: u16,
    /// How long (ms) after a stranger's session began a change still counts as made in it.
    /// Attackers persist within minutes of getting in; a day covers a slow one.
    pub window_ms: i64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_history_sessions: 1,
            window_ms: 24 * HOUR_MS,
        }
    }
}

/// The changes this detector looks at, with their techniques.
pub(super) fn persistence_techniques(kind: Kind) -> Option<&'static [&'static str]> {
    match kind {
        Kind::MailboxRuleCreate => Some(&["T1114.003", "T1564.008"]),
        Kind::AppConsent => Some(&["T1528"]),
        Kind::AccountRecoveryInfoChange => Some(&["T1098"]),
        Kind::AccountMfaChange => Some(&["T1098.005"]),
        _ => None,
    }
}

/// A change an account made itself (not an admin on its behalf) that keeps a way in.
pub(super) fn is_persistence(o: &Observation) -> bool {
    o.outcome == Outcome::Success
        && o.exists
        && o.actor.is_none_or(|a| a == o.account)
        && persistence_techniques(o.kind).is_some()
}

/// A session that began from an address and on a device its account had never used.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct StrangerSession {
    pub source: Option<Symbol>,
    pub device: Option<u64>,
    pub start_ms: i64,
    pub novelty: Novelty,
    /// It began with a completed recovery (a verified code, a reset).
    pub after_recovery: bool,
    pub raw: RawRef,
}

/// Whether the account had never used the event's address nor its device (its browser, when
/// the log has no device ids; its network, when the log has neither); None when it has had
/// fewer than `min_history` sessions to tell, or the log shows none of the three.
/// With `min_history` 0, everything is new to an account never seen signing in.
pub(super) fn is_stranger(o: &Observation, state: &State, min_history: u16) -> Option<bool> {
    let baseline = state.baseline(o.account);
    if baseline.map_or(0, |b| b.sessions) < min_history {
        return None;
    }
    let Some(baseline) = baseline else {
        return Some(true);
    };
    let new_source = o.source.is_none_or(|s| !baseline.sources.contains(&s));
    let new_device = match (o.device, o.agent, o.asn) {
        (Some(device), ..) => !baseline.devices.contains(&device),
        (None, Some(agent), _) => !baseline.agents.contains(&agent),
        // A log with neither device ids nor user agents (Google Workspace): the address alone
        // says little, since carriers and VPNs change addresses within their network all the
        // time; an address on a network (ASN) the account never used is a stranger's.
        (None, None, Some(asn)) => !baseline.asns.contains(&asn),
        (None, None, None) => return None,
    };
    Some(new_source && new_device)
}

/// Each account's latest stranger session, kept for a while: which later events of the
/// account belong to a stranger.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StrangerSessions {
    min_history: u16,
    window_ms: i64,
    #[serde(with = "crate::saved::pairs")]
    latest: FastMap<Symbol, StrangerSession>,
    next_sweep_ms: i64,
}

impl StrangerSessions {
    pub(super) fn new(min_history: u16, window_ms: i64) -> Self {
        StrangerSessions {
            min_history,
            window_ms,
            latest: FastMap::default(),
            next_sweep_ms: i64::MIN,
        }
    }

    /// Whether the account had never used the event's address nor its device; see
    /// [`is_stranger`].
    pub(super) fn is_stranger(&self, o: &Observation, state: &State) -> Option<bool> {
        is_stranger(o, state, self.min_history)
    }

    /// Sees every event: a session or completed recovery from a stranger opens (or carries
    /// on) that account's stranger session.
    pub(super) fn observe(&mut self, o: &Observation, state: &State) {
        if o.time_ms >= self.next_sweep_ms {
            let horizon = o.time_ms - self.window_ms;
            self.latest.retain(|_, s| s.start_ms >= horizon);
            if self.latest.len() * 4 < self.latest.capacity() {
                self.latest.shrink_to_fit();
            }
            self.next_sweep_ms = o.time_ms + self.window_ms.max(HOUR_MS);
        }
        if !is_entry(o) {
            return;
        }
        let recovery = o.kind != Kind::SessionStart;
        if self.session_of(o).is_some() {
            // The same stranger going on (a reset, then the session it grants).
            if let Some(s) = self.latest.get_mut(&o.account) {
                s.after_recovery |= recovery;
                s.device = s.device.or(o.device);
            }
            return;
        }
        if self.is_stranger(o, state) != Some(true) {
            return;
        }
        let novelty = state
            .baseline(o.account)
            .map(|b| Novelty::of(o, b, RELAY_ASNS))
            .unwrap_or_default();
        self.latest.insert(
            o.account,
            StrangerSession {
                source: o.source,
                device: o.device,
                start_ms: o.time_ms,
                novelty,
                after_recovery: recovery,
                raw: o.raw,
            },
        );
    }

    /// The stranger session `o` belongs to: its account's, from the same address or device,
    /// within the window.
    pub(super) fn session_of(&self, o: &Observation) -> Option<&StrangerSession> {
        self.latest.get(&o.account).filter(|s| {
            o.time_ms >= s.start_ms
                && o.time_ms - s.start_ms <= self.window_ms
                && ((o.source.is_some() && o.source == s.source)
                    || (o.device.is_some() && o.device == s.device))
        })
    }
}

/// A change made in a stranger's session.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Change {
    account: Symbol,
    source: Option<Symbol>,
    kind: Kind,
    session: StrangerSession,
    time_ms: i64,
    raw: RawRef,
}

pub struct Persistence {
    sessions: StrangerSessions,
    changes: Vec<Change>,
    devices: KeptDevices,
}

impl Persistence {
    pub fn new(params: Params) -> Self {
        Persistence {
            sessions: StrangerSessions::new(params.min_history_sessions, params.window_ms),
            changes: Vec::new(),
            devices: KeptDevices::default(),
        }
    }
}

impl Detector for Persistence {
    crate::saved::saved_fields!(sessions, changes, devices);

    fn name(&self) -> &'static str {
        "persistence"
    }

    fn observe(&mut self, o: &Observation, state: &State) {
        self.sessions.observe(o, state);
        self.devices.observe(o, state);
        if !is_persistence(o) {
            return;
        }
        let session = match self.sessions.session_of(o) {
            Some(session) => *session,
            // No session seen (a log of changes only): the change itself from a stranger.
            None if self.sessions.is_stranger(o, state) == Some(true) => StrangerSession {
                source: o.source,
                device: o.device,
                start_ms: o.time_ms,
                novelty: state
                    .baseline(o.account)
                    .map(|b| Novelty::of(o, b, RELAY_ASNS))
                    .unwrap_or_default(),
                after_recovery: false,
                raw: o.raw,
            },
            None => return,
        };
        let seen = self
            .changes
            .iter()
            .rev()
            .take_while(|c| c.time_ms >= session.start_ms)
            .any(|c| c.account == o.account && c.source == o.source && c.kind == o.kind);
        if !seen {
            self.devices.watch(o);
            self.changes.push(Change {
                account: o.account,
                source: o.source,
                kind: o.kind,
                session,
                time_ms: o.time_ms,
                raw: o.raw,
            });
        }
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        self.changes
            .iter()
            .filter(|change| {
                !owners_place(state, change.account, change.session.source)
                    && !self.devices.kept(change.account, change.session.device)
            })
            .map(|change| {
                let session = &change.session;
                let mut score: f64 = 0.7;
                if session.after_recovery {
                    score += 0.1;
                }
                if session.novelty.both_sides() {
                    score += 0.1;
                }
                let mut evidence = vec![change.raw];
                if session.raw != change.raw {
                    evidence.insert(0, session.raw);
                }
                Verdict::for_account(
                    self.name(),
                    persistence_techniques(change.kind).unwrap_or(&[]),
                    change.account,
                    change.source,
                    score.min(0.9),
                    vec![
                        (
                            "after_recovery",
                            f64::from(u8::from(session.after_recovery)),
                        ),
                        ("new", f64::from(session.novelty.count())),
                        (
                            "hours_after_session",
                            ((change.time_ms - session.start_ms) as f64 / HOUR_MS as f64 * 100.0)
                                .round()
                                / 100.0,
                        ),
                    ],
                    evidence,
                    (session.start_ms, change.time_ms),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::account_novelty::tests::history;
    use crate::detectors::tests::{events, run, Event};

    fn persistence() -> Persistence {
        Persistence::new(Params::default())
    }

    fn stranger(hour: f64) -> Event {
        Event::session(hour, "jane", "vps", "US", 14061, "new", "python")
    }

    #[test]
    fn a_forwarding_rule_right_after_a_strangers_reset_is_found() {
        let mut seen = history();
        let reset = Event::at(80.0, Kind::RecoveryReset, "jane").like(&stranger(0.0));
        seen.push(reset.clone());
        seen.push(stranger(80.1));
        seen.push(Event::at(80.3, Kind::MailboxRuleCreate, "jane").like(&reset));
        seen.push(Event::at(80.4, Kind::AccountRecoveryInfoChange, "jane").like(&reset));
        let verdicts = run(persistence(), &events(&seen));
        assert_eq!(verdicts.len(), 2, "{verdicts:?}");
        assert_eq!(verdicts[0].techniques, &["T1114.003", "T1564.008"]);
        assert!(verdicts[0].signals.contains(&("after_recovery", 1.0)));
        assert!(
            (verdicts[0].score - 0.9).abs() < 1e-9,
            "{}",
            verdicts[0].score
        );
    }

    #[test]
    fn an_owner_making_a_rule_at_home_is_not() {
        let mut seen = history();
        let home = seen[0].clone();
        seen.push(home.clone().hour(80.0));
        seen.push(Event::at(80.2, Kind::MailboxRuleCreate, "jane").like(&home));
        seen.push(Event::at(80.3, Kind::AppConsent, "jane").like(&home));
        seen.push(Event::at(80.4, Kind::AccountRecoveryInfoChange, "jane").like(&home));
        assert!(run(persistence(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_new_phone_at_home_enrolling_its_authenticator_is_not() {
        let mut seen = history();
        let phone = Event::session(80, "jane", "home", "DE", 3320, "phone", "safari");
        seen.push(phone.clone());
        seen.push(Event::at(80.2, Kind::AccountMfaChange, "jane").like(&phone));
        assert!(run(persistence(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_change_from_a_new_home_the_owner_keeps_using_is_not() {
        let mut seen = history();
        let flat = Event::session(80, "jane", "flat", "DE", 3209, "mac", "safari");
        seen.push(flat.clone());
        seen.push(Event::at(80.2, Kind::AccountRecoveryInfoChange, "jane").like(&flat));
        seen.push(flat.hour(104.0));
        assert!(run(persistence(), &events(&seen)).is_empty());
    }

    #[test]
    fn the_help_desk_resetting_a_factor_is_not() {
        let mut seen = history();
        let mut reset = Event::at(80.0, Kind::AccountMfaChange, "jane").like(&stranger(0.0));
        reset.actor = Some("helpdesk".to_owned());
        seen.push(reset);
        assert!(run(persistence(), &events(&seen)).is_empty());
    }

    #[test]
    fn without_devices_or_browsers_a_new_network_decides() {
        // Google Workspace logs neither: three sessions at home, on the phone's carrier.
        let mut seen: Vec<Event> = (0..3)
            .map(|day| {
                Event::at(f64::from(day) * 24.0, Kind::SessionStart, "jane")
                    .from("home", "DE", 3320)
            })
            .collect();
        seen.push(Event::at(60.0, Kind::SessionStart, "jane").from("cgn-1", "DE", 6805));
        // The carrier gives the phone a new address: not a stranger.
        seen.push(Event::at(80.0, Kind::SessionStart, "jane").from("cgn-2", "DE", 6805));
        seen.push(Event::at(80.2, Kind::AccountMfaChange, "jane").from("cgn-2", "DE", 6805));
        assert!(run(persistence(), &events(&seen)).is_empty());
        // A data centre the account never used: a stranger.
        seen.push(Event::at(90.0, Kind::SessionStart, "jane").from("vps", "DE", 24940));
        seen.push(Event::at(90.2, Kind::MailboxRuleCreate, "jane").from("vps", "DE", 24940));
        assert_eq!(run(persistence(), &events(&seen)).len(), 1);
    }

    #[test]
    fn a_change_days_after_the_strangers_session_is_not_tied_to_it() {
        let mut seen = history();
        seen.push(stranger(80.0));
        // Two days later, from the same address: it is the account's own place by now.
        seen.push(Event::at(130.0, Kind::MailboxRuleCreate, "jane").like(&stranger(0.0)));
        assert!(run(persistence(), &events(&seen)).is_empty());
    }
}
