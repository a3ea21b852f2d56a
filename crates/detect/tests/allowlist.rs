//! The `[allowlist]` at work in the engine: the organisation's own egress never makes a
//! campaign, and a known VPN's network links nothing to one.

use std::borrow::Cow;

use forewarn_detect::{Config, Engine, Stage};
use forewarn_model::{AuthEvent, Kind, Outcome, Reason, Timestamp};

const HOUR_MS: i64 = 3_600_000;

struct Log {
    events: Vec<AuthEvent<'static>>,
}

impl Log {
    fn new() -> Self {
        Log { events: Vec::new() }
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
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

    /// Forty people signing in from their homes with common browsers: the crowd a rare
    /// client stands out from.
    fn honest_crowd(&mut self) {
        for i in 0..40 {
            let account = format!("person{i}@example.com");
            let ip = format!("192.0.2.{}", i + 1);
            let agent = format!("Mozilla/5.0 Browser/{}", i % 3);
            for day in 0..3 {
                let at = day * 24 * HOUR_MS + i64::from(i) * 60_000;
                self.add(
                    at,
                    Kind::AuthPassword,
                    Outcome::Success,
                    &account,
                    &ip,
                    64_501,
                    &agent,
                );
                self.add(
                    at + 1000,
                    Kind::SessionStart,
                    Outcome::Success,
                    &account,
                    &ip,
                    64_501,
                    &agent,
                );
            }
        }
    }

    fn scan(&self, config: Config) -> Vec<(usize, Vec<String>)> {
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
            .map(|c| {
                let sources = c
                    .sources
                    .iter()
                    .map(|&s| state.sources.resolve(s).to_owned())
                    .collect();
                let attacked = c
                    .accounts
                    .values()
                    .filter(|a| a.0 >= Stage::Attacked)
                    .count();
                (attacked, sources)
            })
            .collect()
    }
}

fn config(toml: &str) -> Config {
    Config::parse(toml, std::path::Path::new("test.toml")).unwrap()
}

/// An application behind the office NAT with a stale shared credential fails on thirty
/// accounts and never signs in: to the spray detector that is a spray. Listing the office's
/// egress stops it from becoming a campaign, and the real spray elsewhere is still found.
#[test]
fn the_organisations_egress_never_becomes_a_campaign() {
    let mut log = Log::new();
    log.honest_crowd();
    for i in 0..30 {
        let account = format!("person{i}@example.com");
        let at = 30 * HOUR_MS + i64::from(i) * 60_000;
        log.add(
            at,
            Kind::AuthPassword,
            Outcome::Failure,
            &account,
            "203.0.113.10",
            64_500,
            "SyncService/1.0",
        )
        .reason = Some(Reason::BadPassword);
    }
    for i in 0..15 {
        let account = format!("person{}@example.com", 39 - i);
        let at = 50 * HOUR_MS + i64::from(i) * 60_000;
        log.add(
            at,
            Kind::AuthPassword,
            Outcome::Failure,
            &account,
            "198.51.100.66",
            64_666,
            "python-requests/2.31",
        )
        .reason = Some(Reason::BadPassword);
    }

    let found = log.scan(Config::default());
    let office = |campaigns: &[(usize, Vec<String>)]| {
        campaigns
            .iter()
            .any(|(_, sources)| sources.iter().any(|s| s == "203.0.113.10"))
    };
    assert!(
        office(&found),
        "without the allowlist the office is a spray: {found:?}"
    );

    let found = log.scan(config("[allowlist]\negress = [\"203.0.113.0/24\"]\n"));
    assert!(!office(&found), "{found:?}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, ["198.51.100.66"]);
    assert_eq!(found[0].0, 15);
}

/// A campaign probes recovery from one address; a second address on the same network with the
/// same rare client tries one account: it joins the campaign as one of its quieter addresses
/// — unless its range is a known VPN, whose network is shared by strangers.
#[test]
fn a_vpn_network_links_nothing_to_a_campaign() {
    let mut log = Log::new();
    log.honest_crowd();
    let tool = "ProbeKit/0.9";
    for i in 0..6 {
        let account = format!("person{i}@example.com");
        let at = 30 * HOUR_MS + i64::from(i) * 60_000;
        log.add(
            at,
            Kind::RecoveryStart,
            Outcome::Success,
            &account,
            "198.51.100.20",
            64_700,
            tool,
        );
    }
    log.add(
        40 * HOUR_MS,
        Kind::RecoveryStart,
        Outcome::Success,
        "person30@example.com",
        "198.51.100.99",
        64_700,
        tool,
    );

    let joined = |campaigns: &[(usize, Vec<String>)]| {
        campaigns
            .iter()
            .any(|(_, sources)| sources.iter().any(|s| s == "198.51.100.99"))
    };
    let found = log.scan(Config::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(joined(&found), "{found:?}");

    let found = log.scan(config("[allowlist]\nvpn = [\"198.51.100.99/32\"]\n"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(!joined(&found), "{found:?}");
}
