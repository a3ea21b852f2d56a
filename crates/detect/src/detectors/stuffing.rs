//! Credential stuffing through proxies: each address tries one or two breached credentials
//! and nothing else, so no address stands out; together, hundreds of such addresses with the
//! same client in the same days do.
//!
//! Honest sources that fail also succeed (the typo, then the right password), and a person's
//! failures come from places they sign in from.

use std::collections::HashMap;

use super::{sources, Detector, Verdict};
use crate::engine::State;
use crate::intern::Symbol;

pub struct Stuffing;

const DAY_MS: i64 = 86_400_000;
/// A group of one client's sources is flagged when it has at least this many.
const MIN_SOURCES: usize = 8;
/// A proxy exit makes a handful of tries; more is a different pattern.
const MAX_EVENTS: u32 = 12;

/// Sources of one group are at most this far apart in time (first activity), in a chain.
const MAX_GAP_MS: i64 = 2 * DAY_MS;

impl Detector for Stuffing {
    fn name(&self) -> &'static str {
        "credential_stuffing"
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        // How many sources use each client: a client few use is a tool, not a browser.
        let mut users: HashMap<Symbol, usize> = HashMap::new();
        let mut total = 0;
        for (_, stats) in sources(state) {
            total += 1;
            for &agent in &stats.agents {
                *users.entry(agent).or_default() += 1;
            }
        }
        let rare = |agent: Symbol| users.get(&agent).copied().unwrap_or(0) * 20 <= total;
        // Sources that tried a few credentials, failing, on accounts that never signed in from
        // there. With a rare tool, one try may have worked (a reused password); with a common
        // browser, only sources that never got in count, or every typo would.
        let mut by_agent: HashMap<Symbol, Vec<(i64, Symbol)>> = HashMap::new();
        for (source, stats) in sources(state) {
            let Some(&agent) = stats.agents.first() else {
                continue;
            };
            let failures = stats.password_failures + stats.mfa_failures;
            let mostly_failures = failures > 0
                && failures as usize + stats.nonexistent.len() * 2 >= stats.events as usize / 2;
            let got_in = stats.sessions > 0;
            let strangers = stats.reach.values().all(|r| r.stranger);
            if mostly_failures
                && (!got_in || rare(agent))
                && strangers
                && stats.events <= MAX_EVENTS
            {
                by_agent
                    .entry(agent)
                    .or_default()
                    .push((stats.first_ms, source));
            }
        }
        let mut runs: Vec<(i64, i64, Vec<Symbol>)> = Vec::new();
        let mut agents: Vec<_> = by_agent.into_iter().collect();
        agents.sort_unstable_by_key(|(agent, _)| *agent);
        for (_, mut members) in agents {
            members.sort_unstable();
            // Split where the tool went quiet for days: separate runs, maybe separate actors.
            let mut start = 0;
            for end in 1..=members.len() {
                if end < members.len() && members[end].0 - members[end - 1].0 <= MAX_GAP_MS {
                    continue;
                }
                let run = &members[start..end];
                if run.len() >= MIN_SOURCES {
                    runs.push((
                        run[0].0,
                        run[run.len() - 1].0,
                        run.iter().map(|m| m.1).collect(),
                    ));
                }
                start = end;
            }
        }
        // Runs of different clients at the same time are one operation rotating its tools.
        runs.sort_unstable_by_key(|r| r.0);
        let mut verdicts = Vec::new();
        let mut group = 0u64;
        let mut group_end = i64::MIN;
        for (first, last, members) in runs {
            if first > group_end {
                group += 1;
            }
            group_end = group_end.max(last);
            for source in members {
                if let Some(mut verdict) =
                    Verdict::for_source(self.name(), &["T1110.004"], source, state, 0.7, vec![])
                {
                    verdict.group = Some(group);
                    verdicts.push(verdict);
                }
            }
        }
        verdicts.sort_by_key(|v| (v.first_ms, v.group));
        verdicts
    }
}
