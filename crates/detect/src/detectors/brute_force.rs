//! Brute force: many failed passwords against one account from one source.
//!
//! Someone who forgot a password tries a few times, then recovers it.
//!
//! Servers in data centres (or on networks the log does not name) guessing about as many
//! passwords per account — one wordlist — within `max_gap_days` of one another are grouped as
//! one operation: where the log names no client (Google Workspace) or only a placeholder
//! (Auth0's `Other 0.0.0`), nothing else ties an operation's servers together. Known false
//! positive of the grouping: two unrelated brute forces from data centres with wordlists of
//! about the same length in the same month are one campaign.

use super::account_novelty::RELAY_ASNS;
use super::{on_relay, sources, Detector, Verdict};
use crate::engine::State;

/// `[detectors.brute_force]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Failed passwords on one account from one source, at least. 20: someone who forgot a
    /// password tries a handful of times and then recovers it; lockout policies commonly
    /// stop at 5–10 per window, so 20 in total is either a tool or a stuck device.
    pub min_failures: u32,
    /// Days between one data-centre server's last failure and the next one's first within
    /// which they can be one operation. 30: an operation works through its few targets over
    /// a month, a server or two at a time.
    pub max_gap_days: u32,
    /// How far apart the guesses per account of two servers of one operation may be, as a
    /// share of the larger (0..1). 0.25: one operation runs one wordlist, so its servers try
    /// about as many passwords on each account (lockouts and retries blur it a little).
    pub max_count_difference: f64,
    /// ASNs of VPNs, privacy relays and cloud hosting (as for `account_novelty`): only
    /// servers there are grouped; a stuck device at home is nobody's operation.
    pub relay_asns: Vec<u32>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_failures: 20,
            max_gap_days: 30,
            max_count_difference: 0.25,
            relay_asns: RELAY_ASNS.to_vec(),
        }
    }
}

pub struct BruteForce {
    params: Params,
}

impl BruteForce {
    pub fn new(params: Params) -> Self {
        BruteForce { params }
    }
}

impl Detector for BruteForce {
    fn name(&self) -> &'static str {
        "brute_force"
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        let p = &self.params;
        let mut verdicts: Vec<Verdict> = sources(state)
            .filter_map(|(source, stats)| {
                let worst = stats.most_failures_on_one_account();
                (worst >= p.min_failures).then(|| {
                    let mut verdict = Verdict::for_source(
                        self.name(),
                        &["T1110.001"],
                        source,
                        state,
                        0.9,
                        vec![("most_failures_on_one_account", f64::from(worst))],
                    )?;
                    // A log without AS numbers (Auth0) cannot say; a home can.
                    let relay = on_relay(stats.network, stats.asn, &p.relay_asns, true);
                    // Marked for grouping below.
                    verdict.group = relay.then_some(0);
                    Some(verdict)
                })?
            })
            .collect();
        verdicts.sort_by_key(|v| v.first_ms);
        // (reference count, last time) of each operation so far.
        let gap_ms = i64::from(p.max_gap_days) * 86_400_000;
        let mut operations: Vec<(f64, i64)> = Vec::new();
        for verdict in verdicts.iter_mut().filter(|v| v.group.is_some()) {
            let count = verdict.signals.first().map_or(0.0, |&(_, worst)| worst);
            let alike = |reference: f64| {
                (count - reference).abs() <= p.max_count_difference * reference.max(count)
            };
            let at = operations.iter().position(|&(reference, last)| {
                alike(reference) && verdict.first_ms <= last.saturating_add(gap_ms)
            });
            let at = at.unwrap_or_else(|| {
                operations.push((count, verdict.last_ms));
                operations.len() - 1
            });
            operations[at].1 = operations[at].1.max(verdict.last_ms);
            verdict.group = Some(at as u64);
        }
        verdicts
    }
}

#[cfg(test)]
mod tests {
    use forewarn_model::Kind;

    use super::super::tests::{events, run, Event};
    use super::*;

    fn guesses(from_hour: f64, account: &str, source: &str, asn: u32, n: u32) -> Vec<Event> {
        (0..n)
            .map(|i| {
                Event::at(from_hour + f64::from(i) * 0.01, Kind::AuthPassword, account)
                    .from(source, "DE", asn)
                    .failed()
            })
            .collect()
    }

    #[test]
    fn data_centre_servers_running_one_wordlist_are_one_operation() {
        let mut seen = guesses(10.0, "ann", "server-1", 20473, 25);
        seen.extend(guesses(300.0, "bob", "server-2", 16509, 24));
        // The same weeks, a wordlist four times as long: another operation.
        seen.extend(guesses(60.0, "erin", "server-4", 16509, 100));
        // Two months later: another operation.
        seen.extend(guesses(60.0 + 24.0 * 60.0, "carol", "server-3", 16509, 25));
        // A stuck phone at home: nobody's operation.
        seen.extend(guesses(70.0, "dan", "home", 3320, 25));
        let verdicts = run(BruteForce::new(Params::default()), &events(&seen));
        let groups: Vec<Option<u64>> = verdicts.iter().map(|v| v.group).collect();
        // In time order: server-1, server-4, home, server-2, server-3.
        assert_eq!(
            groups,
            [Some(0), Some(1), None, Some(0), Some(2)],
            "{verdicts:?}"
        );
    }
}
