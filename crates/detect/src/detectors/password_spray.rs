//! Password spraying from a source: failed passwords across many accounts, almost none of
//! which ever signs in from there.
//!
//! An office NAT sees many accounts and a few typos, but mostly sessions.

use super::{sources, Detector, Verdict};
use crate::engine::State;

/// `[detectors.password_spray]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Accounts (or identifiers naming no account) with a failed password from one source,
    /// at least. 10: a family or small office behind one address mistypes on a few
    /// accounts in a month; a spray tries one password on many.
    pub min_accounts: usize,
    /// Share of the identifiers tried that got a session from there, at most (0..1). 0.1:
    /// an office NAT fails on some accounts but signs most of them in; a spray almost never
    /// gets in.
    pub max_session_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_accounts: 10,
            max_session_share: 0.1,
        }
    }
}

pub struct PasswordSpray {
    params: Params,
}

impl PasswordSpray {
    pub fn new(params: Params) -> Self {
        PasswordSpray { params }
    }
}

impl Detector for PasswordSpray {
    fn name(&self) -> &'static str {
        "password_spray"
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        sources(state)
            .filter_map(|(source, stats)| {
                let failed = stats.failed_accounts as usize + stats.nonexistent.len();
                let sessions =
                    f64::from(stats.session_accounts) / stats.identifiers().max(1) as f64;
                (failed >= self.params.min_accounts && sessions <= self.params.max_session_share)
                    .then(|| {
                        Verdict::for_source(
                            self.name(),
                            &["T1110.003"],
                            source,
                            state,
                            0.8,
                            vec![
                                ("accounts_failed", failed as f64),
                                ("password_failures", f64::from(stats.password_failures)),
                                ("session_share", sessions),
                            ],
                        )
                    })?
            })
            .collect()
    }
}
