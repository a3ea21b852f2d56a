//! What a campaign takes in from addresses shared with honest people: regression tests for
//! the two ways it once took too much.

mod common;

use common::{Log, DAY_MS};
use forewarn_detect::{Config, Stage};
use forewarn_model::{Kind, Outcome, Reason};

const VPN_EXIT: &str = "198.51.100.50";
const VPN_ASN: u32 = 64_800;

/// MFA bombing from a commercial VPN exit that honest people use too. The campaign is the
/// prompted account, not everyone who signed in through the exit that month (once, a campaign
/// like this took in 1,900 honest accounts: each honest address joining let the next in).
#[test]
fn mfa_bombing_at_a_shared_vpn_exit_takes_only_the_prompted_account() {
    let mut log = Log::new();
    log.honest_crowd();
    for i in 0..6 {
        let account = format!("traveller{i}@example.com");
        log.sign_in(
            i * DAY_MS,
            &account,
            VPN_EXIT,
            VPN_ASN,
            "Mozilla/5.0 Browser/1",
        );
    }
    let tool = "Mozilla/5.0 Chrome/74 Attacker";
    let victim = "victim@example.com";
    log.add(
        10 * DAY_MS,
        Kind::AuthPassword,
        Outcome::Success,
        victim,
        VPN_EXIT,
        VPN_ASN,
        tool,
    );
    for push in 0..5 {
        let at = 10 * DAY_MS + (push + 1) * 120_000;
        log.add(
            at,
            Kind::AuthMfa,
            Outcome::Failure,
            victim,
            VPN_EXIT,
            VPN_ASN,
            tool,
        )
        .reason = Some(Reason::MfaDenied);
    }

    let found = log.scan(Config::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].accounts,
        [(victim.to_owned(), Stage::Attacked)],
        "{found:?}"
    );
}

/// A credential-stuffing run through residential proxies, one of which is somebody's home:
/// the run's tries from there are the campaign's, the owner signing in a week later is not.
#[test]
fn a_proxy_that_is_someones_home_gives_the_run_only_the_runs_tries() {
    let mut log = Log::new();
    log.honest_crowd();
    let home = "203.0.113.77";
    for proxy in 0..12 {
        let ip = if proxy == 0 {
            home.to_owned()
        } else {
            format!("203.0.113.{}", 100 + proxy)
        };
        for attempt in 0..2 {
            // The tool rotates its client string from try to try.
            let tool = ["python-requests/2.22", "okhttp/3.12"][attempt];
            let account = format!("listed{}@example.com", proxy * 2 + attempt);
            let at = 5 * DAY_MS + (proxy as i64 * 2 + attempt as i64) * 10 * 60_000;
            log.add(
                at,
                Kind::AuthPassword,
                Outcome::Failure,
                &account,
                &ip,
                7922,
                tool,
            )
            .reason = Some(Reason::BadPassword);
        }
    }
    // A week later the household signs in from home, with its own browser.
    log.sign_in(
        12 * DAY_MS,
        "household@example.com",
        home,
        7922,
        "Mozilla/5.0 Browser/2",
    );

    let found = log.scan(Config::default());
    assert_eq!(found.len(), 1, "{found:?}");
    let run = &found[0];
    assert!(run.has_source(home), "{run:?}");
    assert_eq!(run.attacked(), 24, "{run:?}");
    assert!(!run.has_account("household@example.com"), "{run:?}");
}

/// One operation works from many servers, each attacking its own few accounts with a browser
/// picked from the same three builds per target (Phosphorus without lookups to tie them: at
/// 200,000 accounts in Okta's format it came out as twenty-five campaigns). Servers that share
/// two of those clients are one campaign even though each rotates them; a server that shares
/// only one with a rotating server is not joined through it.
#[test]
fn servers_rotating_the_same_browsers_are_one_operation() {
    let mut log = Log::new();
    log.honest_crowd();
    let attack = |log: &mut Log, source: &str, day: i64, tools: &[&str]| {
        for i in 0..12 {
            let tool = tools[i % tools.len()];
            let account = format!("{source}-target{i}@example.com");
            log.add(
                day * DAY_MS + i as i64 * 60_000,
                Kind::AuthPassword,
                Outcome::Failure,
                &account,
                source,
                64_601,
                tool,
            )
            .reason = Some(Reason::BadPassword);
        }
    };
    let kit = ["Browser/73", "Browser/74", "Browser/60"];
    attack(
        &mut log,
        "198.51.100.1",
        4,
        &[kit[0], kit[1], kit[2], kit[0]],
    );
    attack(
        &mut log,
        "198.51.100.2",
        5,
        &[kit[1], kit[2], kit[0], kit[1]],
    );
    attack(
        &mut log,
        "198.51.100.3",
        6,
        &[kit[0], kit[1], kit[0], kit[1]],
    );
    // Another operation whose only client is one of the kit's builds.
    attack(&mut log, "203.0.113.9", 7, &[kit[2]]);

    let config = Config::parse(
        "[campaigns]\nrare_client_share = 0.15\n",
        std::path::Path::new("test.toml"),
    )
    .unwrap();
    let found = log.scan(config);
    let campaign_of = |source: &str| found.iter().position(|c| c.has_source(source));
    let one = campaign_of("198.51.100.1").expect("the operation is a campaign");
    for source in ["198.51.100.2", "198.51.100.3"] {
        assert_eq!(campaign_of(source), Some(one), "{found:?}");
    }
    assert_ne!(campaign_of("203.0.113.9"), Some(one), "{found:?}");
}

/// Two operations spray from their own servers, each with its own tool; a stuffing exit that
/// cycles through client strings, among them both tools, sprays too. The exit links by tool to
/// no one: once, at 200,000 accounts, such an exit joined Phosphorus, a spray and a stuffing
/// run into one campaign.
#[test]
fn an_exit_rotating_clients_does_not_bridge_two_operations() {
    let mut log = Log::new();
    log.honest_crowd();
    let spray = |log: &mut Log, source: &str, asn: u32, day: i64, tools: &[&str]| {
        for i in 0..12 {
            let account = format!("{source}-target{i}@example.com");
            let tool = tools[i % tools.len()];
            log.add(
                day * DAY_MS + i as i64 * 60_000,
                Kind::AuthPassword,
                Outcome::Failure,
                &account,
                source,
                asn,
                tool,
            )
            .reason = Some(Reason::BadPassword);
        }
    };
    for (n, source) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        spray(&mut log, source, 64_601, 4 + n as i64, &["ToolA/1.0"]);
    }
    for (n, source) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        .iter()
        .enumerate()
    {
        spray(&mut log, source, 64_602, 4 + n as i64, &["ToolB/2.0"]);
    }
    let rotating = ["ToolA/1.0", "ToolB/2.0", "ToolC/3.0", "ToolD/4.0"];
    spray(&mut log, "192.0.2.200", 64_603, 5, &rotating);

    let config = Config::parse(
        "[campaigns]\nrare_client_share = 0.15\n",
        std::path::Path::new("test.toml"),
    )
    .unwrap();
    let found = log.scan(config.clone());
    let campaign_of = |source: &str| found.iter().position(|c| c.has_source(source));
    let a = campaign_of("198.51.100.1").expect("operation A is a campaign");
    let b = campaign_of("203.0.113.1").expect("operation B is a campaign");
    assert_ne!(a, b, "{found:?}");
    for source in ["198.51.100.2", "198.51.100.3"] {
        assert_eq!(campaign_of(source), Some(a), "{found:?}");
    }
    for source in ["203.0.113.2", "203.0.113.3"] {
        assert_eq!(campaign_of(source), Some(b), "{found:?}");
    }

    // The same exit with two clients only is an operator who switched tools once: it links.
    let mut log = Log::new();
    log.honest_crowd();
    for (n, source) in ["198.51.100.1", "198.51.100.2"].iter().enumerate() {
        spray(&mut log, source, 64_601, 4 + n as i64, &["ToolA/1.0"]);
    }
    spray(
        &mut log,
        "192.0.2.200",
        64_603,
        5,
        &["ToolA/1.0", "ToolB/2.0"],
    );
    let found = log.scan(config);
    let campaign_of = |source: &str| found.iter().position(|c| c.has_source(source));
    assert!(campaign_of("198.51.100.1").is_some(), "{found:?}");
    assert_eq!(
        campaign_of("192.0.2.200"),
        campaign_of("198.51.100.1"),
        "{found:?}"
    );
}
