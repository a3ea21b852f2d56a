//! The `[allowlist]` at work in the engine: the organisation's own egress never makes a
//! campaign, and a known VPN's network links nothing to one.

mod common;

use common::{Found, Log, HOUR_MS};
use forewarn_detect::Config;
use forewarn_model::{Kind, Outcome, Reason};

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
    let office = |campaigns: &[Found]| campaigns.iter().any(|c| c.has_source("203.0.113.10"));
    assert!(
        office(&found),
        "without the allowlist the office is a spray: {found:?}"
    );

    let found = log.scan(config("[allowlist]\negress = [\"203.0.113.0/24\"]\n"));
    assert!(!office(&found), "{found:?}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].sources, ["198.51.100.66"]);
    assert_eq!(found[0].attacked(), 15);
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

    let joined = |campaigns: &[Found]| campaigns.iter().any(|c| c.has_source("198.51.100.99"));
    let found = log.scan(Config::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(joined(&found), "{found:?}");

    // A recovery started from a VPN the account never used is still told (relay_attempts),
    // on its own: not as the campaign's.
    let found = log.scan(config("[allowlist]\nvpn = [\"198.51.100.99/32\"]\n"));
    let campaign = found
        .iter()
        .find(|c| c.has_source("198.51.100.20"))
        .expect("the probing campaign");
    assert!(!campaign.has_source("198.51.100.99"), "{found:?}");
    assert_eq!(campaign.accounts.len(), 6, "{found:?}");
}
