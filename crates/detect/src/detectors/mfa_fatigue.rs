//! MFA fatigue: second-factor prompts failing again and again for one account from one
//! source (denied, unanswered) — an attacker with the password waiting for a tired yes.

use std::collections::HashMap;

use forewarn_model::{Kind, Outcome};

use super::{Detector, Verdict};
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
}

impl Default for Params {
    fn default() -> Self {
        Params { min_failures: 3 }
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
                verdict.first_ms = first;
                verdict.last_ms = last;
                verdict.evidence.insert(0, raw);
                Some(verdict)
            })
            .collect();
        verdicts.sort_by_key(|v| v.first_ms);
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
