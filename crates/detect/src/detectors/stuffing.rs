//! Credential stuffing through proxies (T1110.004): each address tries one or two breached
//! credentials, each once, and nothing else, so no address stands out; together, dozens to
//! thousands of such addresses with the same clients in the same days do. Signals: the
//! sources of the run; each verdict names one account (or identifier naming none) a source
//! tried during the run — a residential proxy is often someone's home, and what the household
//! does there outside the run is not the campaign's.
//!
//! Honest sources that fail also succeed (the typo, then the right password), and a person's
//! failures come from places they sign in from. Known false positives: a new release of a rare
//! client whose users all mistype on first use, from new places, in the same days.

use std::collections::HashMap;

use forewarn_model::Kind;

use super::{rare_clients, sources, Detector, Verdict};
use crate::engine::State;
use crate::intern::Symbol;

/// `[detectors.credential_stuffing]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Sources in one run of one client, at least. 8: a household or a few colleagues who
    /// share a client and mistype stay below it; a stuffing run rotates through hundreds of
    /// proxy exits.
    pub min_sources: usize,
    /// Events from one source, at most. 12: a proxy exit tries one or two credentials (a
    /// lookup, a password, maybe a second factor each); a source doing more shows up on its
    /// own, as spraying or brute force.
    pub max_events: u32,
    /// Share of a source's events that failed, at least (0..1; an identifier naming no
    /// account counts twice). 0.5: stuffing mostly fails, a person's sign-ins mostly work.
    pub min_failure_share: f64,
    /// Hours between one source's first event and the next one's, at most, within a run.
    /// 48: a tool works through its list in hours to days; a pause longer than two days
    /// starts a new run (perhaps a different actor with the same tool).
    pub max_gap_hours: u32,
    /// A client used by at most this share of all sources is rare (0..1): a tool, not a
    /// browser. 0.05: every common browser build is used by far more; a rare client lets a
    /// source whose one try worked count too.
    pub rare_client_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_sources: 8,
            max_events: 12,
            min_failure_share: 0.5,
            max_gap_hours: 48,
            rare_client_share: 0.05,
        }
    }
}

/// What a proxy exit of a stuffing run does: sign-in attempts (the identifier, the password,
/// the second factor) and the session a reused password gets; as bits of `SourceStats::kinds`.
const SIGN_IN: u32 = (1 << Kind::AccountLookup as u32)
    | (1 << Kind::AuthPassword as u32)
    | (1 << Kind::AuthMfa as u32)
    | (1 << Kind::SessionStart as u32)
    | (1 << Kind::AccountLockout as u32);

pub struct Stuffing {
    params: Params,
}

/// Sources of one client (or, grouped, of the clients an operation rotates) trying
/// credentials with no pause of days between new ones.
struct Run {
    first_ms: i64,
    /// The last try of any of its sources.
    last_ms: i64,
    sources: Vec<Symbol>,
    clients: Vec<Option<Symbol>>,
}

impl Stuffing {
    /// Its name in verdicts: a campaign it flagged works through a proxy pool.
    pub const NAME: &'static str = "credential_stuffing";

    pub fn new(params: Params) -> Self {
        Stuffing { params }
    }
}

impl Detector for Stuffing {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        let p = &self.params;
        let rare = rare_clients(state, p.rare_client_share);
        let rare = |agent: Symbol| rare.contains(&agent);
        // Sources that tried a few credentials, each once, mostly failing, on accounts that
        // never signed in from there, and did nothing but sign in. A source that got in counts
        // when it also failed on an account it did not get into (one person does not fail on
        // someone else's account), or when its client is a rare tool (a reused password);
        // otherwise every typo followed by a sign-in would. Tools rotate their client string
        // from try to try, so a source is counted with every client it used; logs without
        // clients put them all in one bucket.
        let mut by_agent: HashMap<Option<Symbol>, Vec<(i64, Symbol)>> = HashMap::new();
        for (source, stats) in sources(state) {
            let failures = stats.password_failures + stats.mfa_failures;
            let mostly_failures = failures > 0
                && (failures as usize + stats.nonexistent.len() * 2) as f64
                    >= (f64::from(stats.events) * p.min_failure_share).floor();
            let each_once = stats.reach.values().all(|r| r.failures <= 1);
            let got_in = stats.sessions > 0;
            let others_failed = stats.session_accounts == 1
                && stats.reach.values().any(|r| r.failures > 0 && !r.session);
            let strangers = stats.reach.values().all(|r| r.stranger);
            let only_signs_in = stats.kinds & !SIGN_IN == 0;
            let got_in_explained = others_failed || stats.agents.iter().any(|&a| rare(a));
            if mostly_failures
                && each_once
                && only_signs_in
                && (!got_in || got_in_explained)
                && strangers
                && stats.events <= p.max_events
            {
                if stats.agents.is_empty() {
                    by_agent
                        .entry(None)
                        .or_default()
                        .push((stats.first_ms, source));
                }
                for &agent in &stats.agents {
                    by_agent
                        .entry(Some(agent))
                        .or_default()
                        .push((stats.first_ms, source));
                }
            }
        }
        let max_gap_ms = i64::from(p.max_gap_hours) * 3_600_000;
        let mut runs: Vec<Run> = Vec::new();
        let mut agents: Vec<_> = by_agent.into_iter().collect();
        agents.sort_unstable_by_key(|(agent, _)| *agent);
        for (agent, mut members) in agents {
            members.sort_unstable();
            // Split where the tool went quiet for days: separate runs, maybe separate actors.
            let mut start = 0;
            for end in 1..=members.len() {
                if end < members.len() && members[end].0 - members[end - 1].0 <= max_gap_ms {
                    continue;
                }
                let run = &members[start..end];
                if run.len() >= p.min_sources {
                    // The run lasts until its sources' last tries: a proxy exit comes back
                    // for more through a slow run, days after its first. A try is an account
                    // the exit never got a session of: an exit is often someone's home, and
                    // the household signing in there later (after a typo or not) is not the
                    // run going on.
                    let last = run
                        .iter()
                        .filter_map(|&(_, source)| state.source(source))
                        .flat_map(|stats| stats.reach.values())
                        .filter(|r| !r.session)
                        .map(|r| r.last_ms)
                        .max()
                        .unwrap_or(0)
                        .max(run[run.len() - 1].0);
                    runs.push(Run {
                        first_ms: run[0].0,
                        last_ms: last,
                        sources: run.iter().map(|m| m.1).collect(),
                        clients: vec![agent],
                    });
                }
                start = end;
            }
        }
        // Runs of different clients at the same time are one operation rotating its tools.
        runs.sort_unstable_by_key(|r| r.first_ms);
        let mut groups: Vec<Run> = Vec::new();
        for run in runs {
            match groups.last_mut() {
                Some(group) if run.first_ms <= group.last_ms => {
                    group.last_ms = group.last_ms.max(run.last_ms);
                    group.sources.extend(run.sources);
                    group.clients.extend(run.clients);
                }
                _ => groups.push(run),
            }
        }
        // A proxy exit is often someone's home: what it did outside the run is not the run's.
        // Each verdict stands for the accounts its source tried during the run (from the
        // run's first source to its last, give or take a gap) with the run's clients, and the
        // identifiers that name no account: the household signing in there during a long run,
        // with its own browser, is not the run's.
        let mut verdicts = Vec::new();
        let mut flagged = std::collections::HashSet::new();
        for (number, run) in groups.into_iter().enumerate() {
            let during =
                |ms: i64| run.first_ms - max_gap_ms <= ms && ms <= run.last_ms + max_gap_ms;
            for source in run.sources {
                if !flagged.insert(source) {
                    continue;
                }
                let Some(stats) = state.source(source) else {
                    continue;
                };
                let Some(mut verdict) =
                    Verdict::for_source(self.name(), &["T1110.004"], source, state, 0.7, vec![])
                else {
                    continue;
                };
                verdict.accounts = stats
                    .reach
                    .iter()
                    .filter(|(_, r)| {
                        during(r.first_ms) && (r.agent.is_none() || run.clients.contains(&r.agent))
                    })
                    .map(|(&a, _)| a)
                    .chain(stats.nonexistent.iter().copied())
                    .collect();
                verdict.accounts.sort_unstable();
                verdict.group = Some(number as u64 + 1);
                verdicts.push(verdict);
            }
        }
        verdicts.sort_by_key(|v| (v.first_ms, v.group));
        verdicts
    }
}

#[cfg(test)]
mod tests {
    use forewarn_model::Kind;

    use super::super::tests::{events, run_with_state, Event};
    use super::*;

    /// Proxy `n` of a run tries `account` with the tool's client.
    fn try_from(hour: f64, n: usize, account: &str) -> Event {
        Event::at(hour, Kind::AuthPassword, account)
            .from(&format!("proxy-{n}"), "BR", 28573)
            .on(&format!("d-{n}"), "okhttp/3.12.1")
            .failed()
    }

    #[test]
    fn a_household_signing_in_at_an_exit_during_the_run_is_not_the_runs() {
        let mut seen: Vec<Event> = (0..10)
            .map(|n| try_from(1.0 + n as f64, n, &format!("listed{n}")))
            .collect();
        // Exit 3 is somebody's home: she signs in there with her own browser mid-run.
        seen.push(
            Event::at(4.5, Kind::SessionStart, "isla")
                .from("proxy-3", "BR", 28573)
                .on("d-isla", "Firefox/68.0"),
        );
        seen.sort_by(|a, b| a.hour.total_cmp(&b.hour));
        let (verdicts, state) = run_with_state(Stuffing::new(Params::default()), &events(&seen));
        assert_eq!(verdicts.len(), 10, "{verdicts:?}");
        let isla = state.accounts.get("isla").unwrap();
        assert!(
            verdicts.iter().all(|v| !v.accounts.contains(&isla)),
            "{verdicts:?}"
        );
    }

    #[test]
    fn a_slow_runs_proxies_coming_back_days_later_are_still_the_run() {
        // Ten exits each try one credential in the first hours, then come back for another
        // five days later, when no new exit joins any more.
        let mut seen: Vec<Event> = (0..10)
            .map(|n| try_from(1.0 + n as f64, n, &format!("first{n}")))
            .collect();
        seen.extend((0..10).map(|n| try_from(120.0 + n as f64, n, &format!("later{n}"))));
        let (verdicts, state) = run_with_state(Stuffing::new(Params::default()), &events(&seen));
        assert_eq!(verdicts.len(), 10, "{verdicts:?}");
        for n in 0..10 {
            let later = state.accounts.get(&format!("later{n}")).unwrap();
            assert!(
                verdicts.iter().any(|v| v.accounts.contains(&later)),
                "later{n} is the run's: {verdicts:?}"
            );
        }
    }
}
