//! MFA fatigue: second-factor prompts failing again and again for one account from one
//! source (denied, unanswered) — an attacker with the password waiting for a tired yes.
//!
//! Addresses on VPN, relay or hosting networks (or on networks the log does not name) bombing
//! prompts within `max_gap_days` of one another are grouped as one operation: where the log
//! names no client (Google Workspace), nothing else ties an operation's VPN exits together.
//! Known false positive of the grouping: two unrelated bombing runs through VPNs in the same
//! fortnight are one campaign.

use std::collections::HashMap;

use forewarn_model::{Kind, Outcome};

use super::account_novelty::RELAY_ASNS;
use super::{group_by_time, on_relay, Detector, Verdict};
use crate::engine::State;
use crate::intern::Symbol;
use crate::observation::Observation;

/// `[detectors.mfa_fatigue]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Second-factor prompts denied or unanswered for one account from one source, at
    /// least. 3: a person misses one push, maybe two, and then answers; a bombing run sends
    /// prompts until one is accepted.
    pub min_failures: u32,
    /// Days between one address's last prompt and the next one's first within which they are
    /// one operation, when both are on relay networks. 14: an operation works through its
    /// few targets over a fortnight or two, a VPN exit or two each.
    pub max_gap_days: u32,
    /// ASNs of VPNs, privacy relays and cloud hosting (as for `account_novelty`): only
    /// addresses there are grouped; a broken authenticator at home is nobody's operation.
    pub relay_asns: Vec<u32>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_failures: 3,
            max_gap_days: 14,
            relay_asns: RELAY_ASNS.to_vec(),
        }
    }
}

pub struct MfaFatigue {
    params: Params,
    /// (account, source) → failures, first and last time, first evidence.
    failures: HashMap<(Symbol, Symbol), Failures>,
}

impl MfaFatigue {
    pub fn new(params: Params) -> Self {
        MfaFatigue {
            params,
            failures: HashMap::new(),
        }
    }
}

/// Failures, first and last time, first evidence.
type Failures = (u32, i64, i64, forewarn_model::RawRef);

impl Detector for MfaFatigue {
    fn name(&self) -> &'static str {
        "mfa_fatigue"
    }

    fn observe(&mut self, o: &Observation, _: &State) {
        if o.kind == Kind::AuthMfa && o.outcome == Outcome::Failure {
            if let Some(source) = o.source {
                let entry = self
                    .failures
                    .entry((o.account, source))
                    .or_insert((0, o.time_ms, o.time_ms, o.raw));
                entry.0 += 1;
                entry.2 = o.time_ms;
            }
        }
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        let mut verdicts: Vec<Verdict> = self
            .failures
            .iter()
            .filter(|(_, f)| f.0 >= self.params.min_failures)
            .filter_map(|(&(account, source), &(count, first, last, raw))| {
                let mut verdict = Verdict::for_source(
                    self.name(),
                    &["T1621"],
                    source,
                    state,
                    0.85,
                    vec![("mfa_failures", f64::from(count))],
                )?;
                // It stands for the account prompted: the address may be a VPN exit shared
                // with honest people, whose sign-ins are not the campaign's.
                verdict.accounts = vec![account];
                let relay = state
                    .source(source)
                    .is_some_and(|s| on_relay(s.network, s.asn, &self.params.relay_asns, true));
                verdict.group = relay.then_some(0);
                verdict.first_ms = first;
                verdict.last_ms = last;
                verdict.evidence.insert(0, raw);
                Some(verdict)
            })
            .collect();
        group_by_time(
            &mut verdicts,
            i64::from(self.params.max_gap_days) * 86_400_000,
        );
        verdicts
    }

    fn expire(&mut self, before_ms: i64) {
        self.failures
            .retain(|_, f| f.2 >= before_ms || f.0 >= self.params.min_failures);
    }

    fn save(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self.failures.iter().collect::<Vec<_>>())
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
        let entries: Vec<((Symbol, Symbol), Failures)> = serde_json::from_value(saved)?;
        self.failures = entries.into_iter().collect();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use forewarn_model::Kind;

    use super::super::tests::{events, run, Event};
    use super::*;

    fn bombing(from_hour: f64, account: &str, source: &str, asn: u32) -> Vec<Event> {
        (0..4)
            .map(|i| {
                Event::at(from_hour + f64::from(i) * 0.02, Kind::AuthMfa, account)
                    .from(source, "NL", asn)
                    .failed()
            })
            .collect()
    }

    #[test]
    fn vpn_exits_bombing_the_same_fortnight_are_one_operation() {
        let mut seen = bombing(10.0, "ann", "exit-1", 9009);
        seen.extend(bombing(24.0 * 8.0, "bob", "exit-2", 60068));
        // Five weeks later: another operation.
        seen.extend(bombing(24.0 * 45.0, "carol", "exit-3", 9009));
        // A broken authenticator at home: nobody's operation.
        seen.extend(bombing(50.0, "dan", "home", 3320));
        let verdicts = run(MfaFatigue::new(Params::default()), &events(&seen));
        let groups: Vec<Option<u64>> = verdicts.iter().map(|v| v.group).collect();
        assert_eq!(groups, [Some(0), None, Some(0), Some(1)], "{verdicts:?}");
    }
}
