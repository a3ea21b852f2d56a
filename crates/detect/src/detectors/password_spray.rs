//! Password spraying from a source: failed passwords across many accounts, almost none of
//! which ever signs in from there.
//!
//! An office NAT sees many accounts and a few typos, but mostly sessions.

use super::{sources, Detector, Verdict};
use crate::engine::State;

pub struct PasswordSpray;

const MIN_ACCOUNTS: usize = 10;
const MAX_SESSION_SHARE: f64 = 0.1;

impl Detector for PasswordSpray {
    fn name(&self) -> &'static str {
        "password_spray"
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        sources(state)
            .filter_map(|(source, stats)| {
                let failed = stats.failed_accounts.len() + stats.nonexistent.len();
                let sessions =
                    stats.session_accounts.len() as f64 / stats.identifiers().max(1) as f64;
                (failed >= MIN_ACCOUNTS && sessions <= MAX_SESSION_SHARE).then(|| {
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
