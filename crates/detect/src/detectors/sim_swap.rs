//! SIM-swap-style takeover: an SMS recovery code verified from a source and device the
//! account has never signed in from, followed by a change of recovery info or MFA from there.
//!
//! People who reset a forgotten password do it from home, on their own device.

use std::collections::HashMap;

use forewarn_model::{Channel, Kind, Outcome};

use super::{Detector, Verdict};
use crate::engine::State;
use crate::intern::Symbol;
use crate::observation::Observation;

#[derive(Default)]
pub struct SimSwap {
    /// (account, source) of strangers' verified SMS codes → time and evidence.
    verified: HashMap<(Symbol, Symbol), (i64, forewarn_model::RawRef)>,
    /// Those followed by a change of recovery info or MFA from the same source.
    changed: Vec<(Symbol, Symbol, i64, i64)>,
}

const FOLLOW_UP_MS: i64 = 86_400_000;

impl Detector for SimSwap {
    fn name(&self) -> &'static str {
        "sim_swap"
    }

    fn observe(&mut self, o: &Observation, state: &State) {
        let Some(source) = o.source else {
            return;
        };
        match (o.kind, o.outcome, o.channel) {
            (Kind::RecoveryCodeVerify, Outcome::Success, Some(Channel::Sms)) => {
                let stranger = state.baseline(o.account).is_none_or(|b| !b.knows(o));
                if stranger {
                    self.verified
                        .insert((o.account, source), (o.time_ms, o.raw));
                }
            }
            (Kind::AccountRecoveryInfoChange | Kind::AccountMfaChange, Outcome::Success, _) => {
                if let Some(&(at, _)) = self.verified.get(&(o.account, source)) {
                    if o.time_ms - at <= FOLLOW_UP_MS {
                        self.changed.push((o.account, source, at, o.time_ms));
                    }
                }
            }
            _ => {}
        }
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        let mut verdicts = Vec::new();
        for &(account, source, first, last) in &self.changed {
            let Some(mut verdict) =
                Verdict::for_source(self.name(), &["T1451", "T1098"], source, state, 0.9, vec![])
            else {
                continue;
            };
            if let Some(&(_, raw)) = self.verified.get(&(account, source)) {
                verdict.evidence.insert(0, raw);
            }
            verdict.first_ms = first;
            verdict.last_ms = last;
            verdicts.push(verdict);
        }
        verdicts.dedup_by_key(|v| v.subject);
        verdicts
    }

    fn save(&self) -> Result<serde_json::Value, serde_json::Error> {
        let verified: Vec<_> = self.verified.iter().collect();
        serde_json::to_value((verified, &self.changed))
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
        type Saved = (
            Vec<((Symbol, Symbol), (i64, forewarn_model::RawRef))>,
            Vec<(Symbol, Symbol, i64, i64)>,
        );
        let (verified, changed): Saved = serde_json::from_value(saved)?;
        self.verified = verified.into_iter().collect();
        self.changed = changed;
        Ok(())
    }
}
