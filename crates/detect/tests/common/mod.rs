//! A hand-written log for engine tests: events added one by one, scanned with a
//! configuration, campaigns returned as (accounts by stage, source addresses).
// Each test file uses its own part of this.
#![allow(dead_code)]

use std::borrow::Cow;

use forewarn_detect::{Config, Engine, Stage};
use forewarn_model::{AuthEvent, Kind, Outcome, Timestamp};

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

pub struct Log {
    events: Vec<AuthEvent<'static>>,
}

/// A campaign as a test sees it.
#[derive(Debug)]
pub struct Found {
    /// Accounts with their furthest stage.
    pub accounts: Vec<(String, Stage)>,
    pub sources: Vec<String>,
}

impl Found {
    pub fn attacked(&self) -> usize {
        self.accounts
            .iter()
            .filter(|(_, s)| *s >= Stage::Attacked)
            .count()
    }

    pub fn has_account(&self, account: &str) -> bool {
        self.accounts.iter().any(|(a, _)| a == account)
    }

    pub fn has_source(&self, source: &str) -> bool {
        self.sources.iter().any(|s| s == source)
    }
}

impl Log {
    pub fn new() -> Self {
        Log { events: Vec::new() }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        at_ms: i64,
        kind: Kind,
        outcome: Outcome,
        account: &str,
        ip: &str,
        asn: u32,
        agent: &str,
    ) -> &mut AuthEvent<'static> {
        let time = Timestamp::from_millisecond(1_565_000_000_000 + at_ms).unwrap();
        let mut event = AuthEvent::new(time, kind, outcome, Cow::Owned(account.to_owned()));
        event.ip = Some(ip.parse().unwrap());
        event.asn = Some(asn);
        event.user_agent = Some(Cow::Owned(agent.to_owned()));
        self.events.push(event);
        self.events.last_mut().unwrap()
    }

    /// A sign-in that works: the password, then the session.
    pub fn sign_in(&mut self, at_ms: i64, account: &str, ip: &str, asn: u32, agent: &str) {
        self.add(
            at_ms,
            Kind::AuthPassword,
            Outcome::Success,
            account,
            ip,
            asn,
            agent,
        );
        self.add(
            at_ms + 1000,
            Kind::SessionStart,
            Outcome::Success,
            account,
            ip,
            asn,
            agent,
        );
    }

    /// Forty people signing in from their homes with common browsers on three days: the
    /// crowd a rare client stands out from.
    pub fn honest_crowd(&mut self) {
        for i in 0..40 {
            let account = format!("person{i}@example.com");
            let ip = format!("192.0.2.{}", i + 1);
            let agent = format!("Mozilla/5.0 Browser/{}", i % 3);
            for day in 0..3 {
                self.sign_in(
                    day * DAY_MS + i64::from(i) * 60_000,
                    &account,
                    &ip,
                    64_501,
                    &agent,
                );
            }
        }
    }

    pub fn scan(&self, config: Config) -> Vec<Found> {
        let mut events = self.events.clone();
        events.sort_by_key(|e| e.time);
        let mut engine = Engine::new(config);
        for event in &events {
            engine.push(event);
        }
        let (state, outcome) = engine.finish();
        outcome
            .campaigns
            .iter()
            .map(|c| Found {
                accounts: c
                    .accounts
                    .iter()
                    .map(|(&a, r)| (state.accounts.resolve(a).to_owned(), r.0))
                    .collect(),
                sources: c
                    .sources
                    .iter()
                    .map(|&s| state.sources.resolve(s).to_owned())
                    .collect(),
            })
            .collect()
    }
}
