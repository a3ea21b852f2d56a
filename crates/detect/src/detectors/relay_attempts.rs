//! Quiet attempts from data centres and VPNs: passwords failed and recoveries started for
//! accounts from a VPN, relay or hosting network (`relay_asns`, or an `[allowlist] vpn` range)
//! the account has never signed in from — a few tries at a few accounts per address, too few
//! for a spray or a brute force to stand out.
//!
//! A targeted operation (the Phosphorus story: a few accounts per rented server, over weeks)
//! leaves this and little else in logs that carry no client or recovery flow: nobody lives in
//! a data centre, and a person on a VPN signs in from its network again and again. The
//! addresses share nothing an analyst could point to but the method, so the detector groups
//! those active within `max_gap_days` of one another into one operation.
//!
//! Loud addresses are left to the volume detectors (`password_spray`, `brute_force`): a data
//! centre spraying thousands of accounts is the Internet's background noise, and grouping it
//! with a targeted operation would bury the latter. Loud is a rate, not a count: a targeted
//! operation's busiest server may try a dozen people over a month, a spray's that many in
//! minutes.
//!
//! An address that failed at an account and then got in counts only where it took the account
//! over: it changed the account once in (forwarding, consent, recovery info, a factor), or got
//! in through a recovery where the account has no sign-in from anywhere else all along — a
//! dormant account taken from a data centre after failed guesses (Phosphorus' way into
//! secondary mailboxes). A typo and then one's own sign-in is neither.
//!
//! Known false positives: a person trying a new VPN provider or a cloud desktop and mistyping
//! there before ever signing in from it; a person who signs in once a month or less, over a
//! VPN, forgets the password and resets it there; two unrelated quiet operations in the same
//! weeks become one campaign.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use forewarn_model::{Kind, Outcome, RawRef, Reason};

use super::account_novelty::RELAY_ASNS;
use super::{group_by_time, on_relay, Detector, Verdict};
use crate::engine::State;
use crate::intern::Symbol;
use crate::observation::Observation;

/// `[detectors.relay_attempts]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Accounts one address failed on or started recovery for, from a relay network each
    /// never signed in from, at least. 1: a person does not fail at someone else's account
    /// from a data centre.
    pub min_accounts: usize,
    /// Accounts one address tried a day, on average over the days it tried any, at most:
    /// above, it is a spray, loud enough on its own. 3: an operation working through a list
    /// of people by hand, or by a scheduler mimicking it, takes one or two a day; a spray
    /// takes its whole list in hours.
    pub max_accounts_a_day: f64,
    /// Failures on any one account from the address, at most: above, a brute force. 5: a
    /// targeted try is a password or two from a leak or a guess.
    pub max_tries: u32,
    /// Days between one address's last attempt and the next address's first within which
    /// they are one operation. 14: an operation working through its list over weeks, a few
    /// people at a time, pauses for days (at 5,000 accounts Phosphorus' six tries were once
    /// eight days apart), not for a month.
    pub max_gap_days: u32,
    /// ASNs of VPNs, privacy relays and cloud hosting (as for `account_novelty`).
    pub relay_asns: Vec<u32>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_accounts: 1,
            max_accounts_a_day: 3.0,
            max_tries: 5,
            max_gap_days: 14,
            relay_asns: RELAY_ASNS.to_vec(),
        }
    }
}

/// One account at one address: failures, first and last time, first evidence.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Attempt {
    failures: u32,
    first_ms: i64,
    last_ms: i64,
    evidence: RawRef,
    /// The address got into the account (a session or a correct password) on a network the
    /// account never used.
    entered: bool,
    /// Once in, it forwarded the mail, consented an app, or changed recovery info or a factor.
    #[serde(default)]
    changed: bool,
}

pub struct RelayAttempts {
    params: Params,
    /// Source → the accounts it tried from a network they never use, and how.
    attempts: HashMap<Symbol, Vec<(Symbol, Attempt)>>,
}

impl RelayAttempts {
    /// Its name in verdicts: campaigns weigh its groups (by method alone) below others'.
    pub const NAME: &'static str = "relay_attempts";

    pub fn new(params: Params) -> Self {
        RelayAttempts {
            params,
            attempts: HashMap::new(),
        }
    }
}

const TECHNIQUES: &[&str] = &["T1110", "T1583.003"];
const DAY_MS: i64 = 86_400_000;

/// Whether `source`, having failed at `account`, took it over rather than signed in after a
/// typo: once in, it changed the account (`changed`: forwarding, consent, recovery info, a
/// factor), or it got in through a recovery where no session of the account ever came from
/// anywhere else (a dormant account, whose owner left no sign-ins to be told apart from).
fn took_over(
    state: &State,
    stats: &crate::observation::SourceStats,
    source: Symbol,
    account: Symbol,
    changed: bool,
) -> bool {
    let Some(reach) = stats.reach.get(&account).filter(|r| r.session) else {
        return false;
    };
    changed
        || (reach.recovery_completed
            && state
                .baseline(account)
                .is_none_or(|b| b.sources.iter().all(|&s| s == source)))
}

impl Detector for RelayAttempts {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn observe(&mut self, o: &Observation, state: &State) {
        if super::persistence::persistence_techniques(o.kind).is_some() {
            if let Some(attempt) =
                o.source
                    .and_then(|s| self.attempts.get_mut(&s))
                    .and_then(|tried| {
                        tried
                            .iter_mut()
                            .find(|(a, _)| *a == o.account)
                            .map(|(_, attempt)| attempt)
                    })
            {
                attempt.changed |= attempt.entered && o.outcome == Outcome::Success;
            }
            return;
        }
        let (failed, entered) = match (o.kind, o.outcome) {
            (Kind::AuthPassword, Outcome::Failure) => {
                (o.reason != Some(Reason::UnknownAccount), false)
            }
            (Kind::RecoveryStart, _) => (true, false),
            (Kind::AuthPassword | Kind::SessionStart, Outcome::Success) => (false, true),
            _ => return,
        };
        let Some(source) = o.source else { return };
        if !o.exists || !on_relay(o.network, o.asn, &self.params.relay_asns, false) {
            return;
        }
        // The account's own network (its VPN) is not a stranger's.
        let known = state
            .baseline(o.account)
            .is_some_and(|b| o.asn.is_some_and(|asn| b.asns.contains(&asn)) || b.knows(o));
        if known {
            return;
        }
        let tried = self.attempts.get_mut(&source);
        // A first sign-in from a new VPN alone is account_novelty's to weigh; here only one
        // at an address that failed at accounts from a network they never use.
        if entered && tried.is_none() {
            return;
        }
        let tried = match tried {
            Some(tried) => tried,
            None => self.attempts.entry(source).or_default(),
        };
        let at = match tried.iter().position(|(a, _)| *a == o.account) {
            Some(at) => at,
            None => {
                tried.push((
                    o.account,
                    Attempt {
                        failures: 0,
                        first_ms: o.time_ms,
                        last_ms: o.time_ms,
                        evidence: o.raw,
                        entered: false,
                        changed: false,
                    },
                ));
                tried.len() - 1
            }
        };
        let attempt = &mut tried[at].1;
        attempt.failures += u32::from(failed);
        attempt.last_ms = o.time_ms;
        attempt.entered |= entered;
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        let p = &self.params;
        let by_source: BTreeMap<Symbol, &Vec<(Symbol, Attempt)>> =
            self.attempts.iter().map(|(&s, a)| (s, a)).collect();
        let mut flagged: Vec<(Symbol, &Vec<(Symbol, Attempt)>)> = by_source
            .into_iter()
            .filter(|(source, attempts)| {
                let Some(stats) = state.source(*source) else {
                    return false;
                };
                // Accounts it failed at and never got into: a typo before one's own sign-in
                // is followed by it. Or took over: changed once in, or got in through a
                // recovery where nobody else ever signed in (a dormant account — a secondary
                // mailbox, an old one — has no owner's places to be a stranger to).
                let failed = attempts
                    .iter()
                    .filter(|(account, a)| {
                        a.failures > 0
                            && (!a.entered || took_over(state, stats, *source, *account, a.changed))
                    })
                    .count();
                let days: BTreeSet<i64> =
                    attempts.iter().map(|(_, a)| a.first_ms / DAY_MS).collect();
                let tried = stats.failed_accounts as usize + stats.nonexistent.len();
                failed >= p.min_accounts
                    && tried as f64 <= p.max_accounts_a_day * days.len() as f64
                    && attempts.iter().all(|(_, a)| a.failures <= p.max_tries)
            })
            .collect();
        flagged.sort_by_key(|(source, attempts)| {
            (attempts.iter().map(|(_, a)| a.first_ms).min(), *source)
        });
        let mut verdicts = Vec::new();
        for (source, attempts) in flagged {
            let first = attempts.iter().map(|(_, a)| a.first_ms).min().unwrap_or(0);
            let last = attempts
                .iter()
                .map(|(_, a)| a.last_ms)
                .max()
                .unwrap_or(first);
            // It stands for the accounts tried from a network they never use, and for those
            // it came to as a stranger and never got a session of (lookups, tries at accounts
            // whose own VPN it shares): a VPN exit is shared with honest people, who get in.
            let Some(stats) = state.source(source) else {
                continue;
            };
            let accounts: BTreeSet<Symbol> = attempts
                .iter()
                .map(|(a, _)| *a)
                .chain(
                    stats
                        .reach
                        .iter()
                        .filter(|(_, r)| r.stranger && r.session_days == 0)
                        .map(|(&a, _)| a),
                )
                .collect();
            let failed = attempts.iter().filter(|(_, a)| a.failures > 0).count();
            let Some(mut verdict) = Verdict::for_source(
                self.name(),
                TECHNIQUES,
                source,
                state,
                0.6,
                vec![
                    (
                        "accounts_tried_from_a_network_they_never_use",
                        failed as f64,
                    ),
                    (
                        "failures",
                        f64::from(attempts.iter().map(|(_, a)| a.failures).sum::<u32>()),
                    ),
                ],
            ) else {
                continue;
            };
            verdict.accounts = accounts.into_iter().collect();
            // One operation: addresses active within `max_gap_days` of the ones before.
            verdict.group = Some(0);
            verdict.first_ms = first;
            verdict.last_ms = last;
            verdict.evidence = attempts.iter().map(|(_, a)| a.evidence).collect();
            verdicts.push(verdict);
        }
        group_by_time(&mut verdicts, i64::from(p.max_gap_days) * DAY_MS);
        verdicts
    }

    fn expire(&mut self, before_ms: i64) {
        self.attempts.retain(|_, tried| {
            tried.retain(|(_, a)| a.last_ms >= before_ms);
            !tried.is_empty()
        });
    }

    fn save(&self) -> Result<serde_json::Value, serde_json::Error> {
        let entries: BTreeMap<&Symbol, &Vec<(Symbol, Attempt)>> = self.attempts.iter().collect();
        serde_json::to_value(entries.into_iter().collect::<Vec<_>>())
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
        let entries: Vec<(Symbol, Vec<(Symbol, Attempt)>)> = serde_json::from_value(saved)?;
        self.attempts = entries.into_iter().collect();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use forewarn_model::Kind;

    use super::super::tests::{events, run, run_with_state, Event};
    use super::*;

    const HOSTING: u32 = 16509;
    const HOME: u32 = 3320;

    fn detector() -> RelayAttempts {
        RelayAttempts::new(Params::default())
    }

    fn failed_password(hour: f64, account: &str, source: &str, asn: u32) -> Event {
        Event::at(hour, Kind::AuthPassword, account)
            .from(source, "US", asn)
            .on("d-attacker", "Firefox/60.0")
            .failed()
    }

    fn home_session(hour: f64, account: &str) -> Event {
        Event::session(
            hour,
            account,
            &format!("home-{account}"),
            "DE",
            HOME,
            &format!("d-{account}"),
            "Chrome",
        )
    }

    fn flagged_sources(verdicts: &[Verdict], state: &State) -> Vec<String> {
        let mut sources: Vec<String> = verdicts
            .iter()
            .filter_map(|v| match v.subject {
                super::super::Subject::Source(s) => {
                    Some(state.sources.names()[s as usize].to_string())
                }
                super::super::Subject::Account { .. } => None,
            })
            .collect();
        sources.sort();
        sources
    }

    #[test]
    fn quiet_tries_from_data_centres_are_one_operation() {
        let mut seen = vec![home_session(1.0, "ann"), home_session(1.0, "bob")];
        seen.push(failed_password(30.0, "ann", "vps-1", HOSTING));
        seen.push(failed_password(30.1, "ann", "vps-1", HOSTING));
        // Four days later another server of the same operation tries another account.
        seen.push(failed_password(126.0, "bob", "vps-2", 20473));
        let (verdicts, state) = run_with_state(detector(), &events(&seen));
        assert_eq!(flagged_sources(&verdicts, &state), ["vps-1", "vps-2"]);
        assert_eq!(verdicts[0].group, verdicts[1].group, "{verdicts:?}");
        let ann = state.accounts.get("ann").unwrap();
        assert_eq!(
            verdicts[0].accounts,
            [ann],
            "the verdict stands for the account tried"
        );
    }

    #[test]
    fn addresses_weeks_apart_are_two_operations() {
        let seen = [
            failed_password(10.0, "ann", "vps-1", HOSTING),
            failed_password(10.0 + 24.0 * 20.0, "bob", "vps-2", HOSTING),
        ];
        let verdicts = run(detector(), &events(&seen));
        assert_eq!(verdicts.len(), 2);
        assert_ne!(verdicts[0].group, verdicts[1].group, "{verdicts:?}");
    }

    #[test]
    fn the_accounts_own_vpn_and_a_typo_before_signing_in_are_not_told() {
        let mut seen = vec![
            // Carol signs in through her VPN provider; a typo at another of its exits is hers.
            Event::session(1.0, "carol", "vpn-a", "NL", 9009, "d-carol", "Chrome"),
            Event::at(50.0, Kind::AuthPassword, "carol")
                .from("vpn-b", "NL", 9009)
                .on("d-carol", "Chrome")
                .failed(),
        ];
        // Dan tries a cloud desktop, mistypes, then signs in there.
        let typo = Event::at(60.0, Kind::AuthPassword, "dan")
            .from("cloud-desktop", "US", HOSTING)
            .on("d-dan", "Chrome")
            .failed();
        seen.push(typo.clone());
        seen.push(Event::at(60.01, Kind::SessionStart, "dan").like(&typo));
        // A home address fails at an account: not a data centre.
        seen.push(failed_password(70.0, "erin", "home-frank", HOME));
        let verdicts = run(detector(), &events(&seen));
        assert!(verdicts.is_empty(), "{verdicts:?}");
    }

    #[test]
    fn an_account_taken_over_from_a_data_centre_after_failed_guesses_is_told() {
        // Nobody signs in to Ivy's old mailbox all month; a server guesses twice, resets the
        // password through recovery, and gets in.
        let guess = failed_password(30.0, "ivy", "vps-1", HOSTING);
        let step = |hour: f64, kind: Kind| Event::at(hour, kind, "ivy").like(&guess);
        let mut seen = vec![
            guess.clone(),
            failed_password(30.05, "ivy", "vps-1", HOSTING),
            step(30.1, Kind::RecoveryCodeVerify),
            step(30.15, Kind::RecoveryReset),
            step(30.16, Kind::SessionStart),
        ];
        let (verdicts, state) = run_with_state(detector(), &events(&seen));
        assert_eq!(flagged_sources(&verdicts, &state), ["vps-1"]);
        // Without the recovery (a typo, then the right password) it is the owner's own try…
        seen.retain(|e| !matches!(e.kind, Kind::RecoveryCodeVerify | Kind::RecoveryReset));
        assert!(run(detector(), &events(&seen)).is_empty());
        // …unless, once in, it forwards the mail out.
        seen.push(step(30.3, Kind::MailboxRuleCreate));
        let (verdicts, state) = run_with_state(detector(), &events(&seen));
        assert_eq!(flagged_sources(&verdicts, &state), ["vps-1"]);
        // Where the account signs in from elsewhere too, a reset there is the recovery
        // detectors' to weigh (a person who forgot the password, on a cloud desktop)…
        let mut owned = vec![home_session(1.0, "ivy")];
        owned.extend([
            failed_password(30.0, "ivy", "cloud-desktop", HOSTING),
            Event::at(30.15, Kind::RecoveryReset, "ivy").like(&failed_password(
                0.0,
                "ivy",
                "cloud-desktop",
                HOSTING,
            )),
            Event::at(30.16, Kind::SessionStart, "ivy").like(&failed_password(
                0.0,
                "ivy",
                "cloud-desktop",
                HOSTING,
            )),
        ]);
        let (verdicts, state) = run_with_state(detector(), &events(&owned));
        assert!(
            flagged_sources(&verdicts, &state).is_empty(),
            "{verdicts:?}"
        );
        // There, only what it does once in tells: forwarding her mail out.
        owned.push(
            Event::at(30.3, Kind::MailboxRuleCreate, "ivy").like(&failed_password(
                0.0,
                "ivy",
                "cloud-desktop",
                HOSTING,
            )),
        );
        let (verdicts, state) = run_with_state(detector(), &events(&owned));
        assert_eq!(flagged_sources(&verdicts, &state), ["cloud-desktop"]);
    }

    #[test]
    fn loud_addresses_are_left_to_the_volume_detectors() {
        let mut seen: Vec<Event> = (0..12)
            .map(|i| {
                failed_password(
                    10.0 + f64::from(i) * 0.01,
                    &format!("p{i}"),
                    "sprayer",
                    HOSTING,
                )
            })
            .collect();
        seen.extend(
            (0..8).map(|i| failed_password(20.0 + f64::from(i) * 0.01, "gina", "guesser", HOSTING)),
        );
        let verdicts = run(detector(), &events(&seen));
        assert!(verdicts.is_empty(), "{verdicts:?}");
    }

    #[test]
    fn a_session_after_failing_at_other_accounts_is_the_operations() {
        let seen = [
            home_session(1.0, "hana"),
            failed_password(30.0, "ivan", "vps-1", HOSTING),
            failed_password(31.0, "hana", "vps-1", HOSTING),
            Event::at(31.1, Kind::SessionStart, "hana")
                .from("vps-1", "US", HOSTING)
                .on("d-attacker", "Firefox/60.0"),
        ];
        let (verdicts, state) = run_with_state(detector(), &events(&seen));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        let mut names: Vec<&str> = verdicts[0]
            .accounts
            .iter()
            .map(|&a| &*state.accounts.names()[a as usize])
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["hana", "ivan"]);
    }

    #[test]
    fn state_survives_a_checkpoint() {
        let mut first = detector();
        first.attempts.insert(
            7,
            vec![(
                3,
                Attempt {
                    failures: 2,
                    first_ms: 10,
                    last_ms: 20,
                    evidence: RawRef::default(),
                    entered: true,
                    changed: true,
                },
            )],
        );
        let saved = first.save().unwrap();
        let mut second = detector();
        second.restore(saved.clone()).unwrap();
        assert_eq!(second.save().unwrap(), saved);
        assert_eq!(second.attempts[&7][0].1.failures, 2);
    }
}
