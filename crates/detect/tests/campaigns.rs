//! What a campaign takes in from addresses shared with honest people: regression tests for
//! the two ways it once took too much.

mod common;

use common::{Log, DAY_MS};
use forewarn_detect::{Config, Stage};
use forewarn_model::{Country, Kind, Outcome, Reason};

const VPN_EXIT: &str = "198.51.100.50";
const VPN_ASN: u32 = 64_800;

/// Forty honest people are a small crowd: a client four sources use is still rare in it.
fn small_crowd_config() -> Config {
    Config::parse(
        "[campaigns]\nrare_client_share = 0.15\n",
        std::path::Path::new("test.toml"),
    )
    .unwrap()
}

/// One server failing a password on each of twelve accounts of its own, a minute apart on
/// `day`, with `tools[i % tools.len()]` for the i-th.
fn spray(log: &mut Log, source: &str, asn: u32, day: i64, tools: &[&str]) {
    for i in 0..12 {
        let account = format!("{source}-target{i}@example.com");
        log.add(
            day * DAY_MS + i as i64 * 60_000,
            Kind::AuthPassword,
            Outcome::Failure,
            &account,
            source,
            asn,
            tools[i % tools.len()],
        )
        .reason = Some(Reason::BadPassword);
    }
}

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

/// A credential-stuffing run on day 5: twelve exits (`203.0.113.101…`, or `exit(proxy)`), each
/// failing one password on each of two listed accounts (`listedN@`, or `account(N)`), ten
/// minutes apart, the tool rotating its client string from try to try.
fn stuffing_run(
    log: &mut Log,
    exit: &dyn Fn(usize) -> Option<String>,
    account: &dyn Fn(usize) -> Option<String>,
) {
    for proxy in 0..12 {
        let ip = exit(proxy).unwrap_or_else(|| format!("203.0.113.{}", 100 + proxy));
        for attempt in 0..2 {
            let tool = ["python-requests/2.22", "okhttp/3.12"][attempt];
            let n = proxy * 2 + attempt;
            let listed = account(n).unwrap_or_else(|| format!("listed{n}@example.com"));
            let at = 5 * DAY_MS + n as i64 * 10 * 60_000;
            log.add(
                at,
                Kind::AuthPassword,
                Outcome::Failure,
                &listed,
                &ip,
                7922,
                tool,
            )
            .reason = Some(Reason::BadPassword);
        }
    }
}

/// A credential-stuffing run through residential proxies, one of which is somebody's home:
/// the run's tries from there are the campaign's, the owner signing in a week later is not.
#[test]
fn a_proxy_that_is_someones_home_gives_the_run_only_the_runs_tries() {
    let mut log = Log::new();
    log.honest_crowd();
    let home = "203.0.113.77";
    stuffing_run(
        &mut log,
        &|proxy| (proxy == 0).then(|| home.to_owned()),
        &|_| None,
    );
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

/// A credential-stuffing run tries an honest account among its list; days later the owner
/// sets up a new phone over a VPN, passes her own second factor and enrols the new one — the
/// look-alike of a takeover. A run with passwords only could not have passed that factor: at
/// 200,000 accounts a 10-day run was given such an owner as its eleventh takeover.
#[test]
fn a_takeover_that_passed_the_owners_second_factor_is_not_a_stuffing_runs() {
    let mut log = Log::new();
    log.honest_crowd();
    stuffing_run(&mut log, &|_| None, &|n| {
        (n == 6).then(|| "person5@example.com".to_owned())
    });
    let at = 9 * DAY_MS;
    for (i, (kind, outcome)) in [
        (Kind::AuthPassword, Outcome::Success),
        (Kind::AuthMfa, Outcome::Success),
        (Kind::SessionStart, Outcome::Success),
        (Kind::AccountMfaChange, Outcome::Success),
    ]
    .into_iter()
    .enumerate()
    {
        let event = log.add(
            at + i as i64 * 60_000,
            kind,
            outcome,
            "person5@example.com",
            VPN_EXIT,
            9009,
            "Mozilla/5.0 (Linux; Android 9; Pixel 3)",
        );
        event.country = Some(Country::new("IN").unwrap());
        event.device_id = Some("d-new-phone".into());
    }

    let found = log.scan(Config::default());
    let run = found
        .iter()
        .find(|c| c.has_account("listed0@example.com"))
        .expect("the run is found");
    assert_eq!(
        run.accounts
            .iter()
            .find(|(a, _)| a == "person5@example.com")
            .map(|(_, stage)| *stage),
        Some(Stage::Attacked),
        "{found:?}"
    );
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
    let kit = ["Browser/73", "Browser/74", "Browser/60"];
    spray(
        &mut log,
        "198.51.100.1",
        64_601,
        4,
        &[kit[0], kit[1], kit[2], kit[0]],
    );
    spray(
        &mut log,
        "198.51.100.2",
        64_601,
        5,
        &[kit[1], kit[2], kit[0], kit[1]],
    );
    spray(
        &mut log,
        "198.51.100.3",
        64_601,
        6,
        &[kit[0], kit[1], kit[0], kit[1]],
    );
    // Another operation whose only client is one of the kit's builds.
    spray(&mut log, "203.0.113.9", 64_601, 7, &[kit[2]]);

    let config = small_crowd_config();
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

    let config = small_crowd_config();
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

/// Three accounts taken over through a reset, each from its own address on its own network
/// with the same uncommon client, and no campaign seen attacking them (a SIM swap: the code
/// goes to the attacker's SIM, nothing fails): one campaign. A fourth account taken with the
/// same client through its password got in another way, and is not joined to them.
#[test]
fn takeovers_through_the_same_door_with_the_same_tool_are_one_campaign() {
    let mut log = Log::new();
    log.honest_crowd();
    let tool = "Mozilla/5.0 (Linux; Android 7.0) Mobile SwapKit/67";
    let take = |log: &mut Log, n: i64, by_reset: bool| {
        let account = format!("person{n}@example.com");
        let ip = format!("203.0.113.{}", 10 + n);
        let asn = 64_900 + n as u32;
        let at = (5 + n) * DAY_MS;
        let way_in = if by_reset {
            Kind::RecoveryReset
        } else {
            Kind::AuthPassword
        };
        let device = format!("d-swap-{n}");
        for (after, kind) in [
            (0, way_in),
            (60_000, Kind::SessionStart),
            (600_000, Kind::AccountMfaChange),
        ] {
            let event = log.add(at + after, kind, Outcome::Success, &account, &ip, asn, tool);
            event.country = Some(Country::new("RO").unwrap());
            event.device_id = Some(device.clone().into());
        }
    };
    for n in 0..3 {
        take(&mut log, n, true);
    }
    take(&mut log, 3, false);

    let config = small_crowd_config();
    let found = log.scan(config);
    let campaign_of = |account: &str| found.iter().position(|c| c.has_account(account));
    let swaps = campaign_of("person0@example.com").expect("the takeover is found");
    for account in ["person1@example.com", "person2@example.com"] {
        assert_eq!(campaign_of(account), Some(swaps), "{found:?}");
    }
    let by_password = campaign_of("person3@example.com").expect("the takeover is found");
    assert_ne!(by_password, swaps, "{found:?}");
    assert_eq!(found[swaps].accounts.len(), 3, "{found:?}");
    assert!(found[swaps]
        .accounts
        .iter()
        .all(|(_, stage)| *stage == Stage::Compromised));
}

/// An address no detector flagged that tried two accounts with two of an operation's rare
/// clients joins the operation whenever it acted (the kit says whose it is), but brings only
/// the accounts it came to with the kit: someone signed in from it, with an ordinary browser,
/// before it was rented out as a proxy, and that person was not attacked.
#[test]
fn an_address_with_a_campaigns_kit_joins_with_only_the_kits_accounts() {
    let mut log = Log::new();
    log.honest_crowd();
    let kit = ["Kit/73", "Kit/74", "Kit/60"];
    for (n, source) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let mut rotated = kit;
        rotated.rotate_left(n);
        spray(&mut log, source, 64_601, 4 + n as i64, &rotated);
    }
    let proxy = "192.0.2.240";
    log.sign_in(
        DAY_MS,
        "neighbour@example.com",
        proxy,
        64_777,
        "Mozilla/5.0 Browser/0",
    );
    for (i, tool) in kit[..2].iter().enumerate() {
        log.add(
            20 * DAY_MS + i as i64 * 600_000,
            Kind::AuthPassword,
            Outcome::Failure,
            &format!("late-target{i}@example.com"),
            proxy,
            64_777,
            tool,
        )
        .reason = Some(Reason::BadPassword);
    }

    let config = small_crowd_config();
    let found = log.scan(config);
    let operation = found
        .iter()
        .find(|c| c.has_source("198.51.100.1"))
        .expect("the operation is a campaign");
    assert!(operation.has_source(proxy), "{found:?}");
    assert!(
        operation.has_account("late-target0@example.com"),
        "{found:?}"
    );
    assert!(
        operation.has_account("late-target1@example.com"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .all(|c| !c.has_account("neighbour@example.com")),
        "{found:?}"
    );
}

/// An operation starts recoveries it cannot finish at a few accounts from each of its rented
/// servers, quietly, over two weeks; then one of its addresses on a VPN gets into an account
/// with one of its browser builds through a recovery it did finish (a reset: a step its
/// servers never reached, so the address does not behave like them): that takeover is the
/// operation's. An MFA-bombing run with the same browser build gets into another account by
/// pushing prompts, which the operation never sent: its takeover stays its own.
#[test]
fn a_takeover_that_finishes_an_operations_attack_joins_it() {
    let mut log = Log::new();
    log.honest_crowd();
    let kit = ["Kit/73", "Kit/74", "Kit/60"];
    let servers = [
        ("203.0.113.1", 16_509),
        ("203.0.113.2", 20_473),
        ("203.0.113.3", 16_276),
        ("203.0.113.4", 14_061),
    ];
    for (n, (server, asn)) in servers.iter().enumerate() {
        for k in 0..2 {
            let account = format!("target{n}-{k}@example.com");
            let at = (3 + 4 * n as i64 + k) * DAY_MS;
            let tool = kit[(n + k as usize) % kit.len()];
            log.add(
                at,
                Kind::RecoveryStart,
                Outcome::Success,
                &account,
                server,
                *asn,
                tool,
            );
            log.add(
                at + 60_000,
                Kind::RecoveryCodeVerify,
                Outcome::Failure,
                &account,
                server,
                *asn,
                tool,
            )
            .reason = Some(Reason::BadCode);
        }
    }
    let take = |log: &mut Log, victim: &str, ip: &str, at: i64, steps: &[(Kind, Outcome)]| {
        for (i, &(kind, outcome)) in steps.iter().enumerate() {
            let event = log.add(
                at + i as i64 * 60_000,
                kind,
                outcome,
                victim,
                ip,
                9009,
                "Kit/74",
            );
            event.country = Some(Country::new("NL").unwrap());
            event.device_id = Some(format!("d-{ip}").into());
            if outcome == Outcome::Failure {
                event.reason = Some(Reason::MfaDenied);
            }
        }
    };
    let ok = Outcome::Success;
    take(
        &mut log,
        "person5@example.com",
        "198.51.100.7",
        15 * DAY_MS,
        &[
            (Kind::RecoveryStart, ok),
            (Kind::RecoveryCodeVerify, ok),
            (Kind::RecoveryReset, ok),
            (Kind::SessionStart, ok),
            (Kind::AccountMfaChange, ok),
        ],
    );
    let mut bombing = vec![(Kind::AuthPassword, ok)];
    bombing.extend([(Kind::AuthMfa, Outcome::Failure); 5]);
    bombing.extend([
        (Kind::AuthMfa, ok),
        (Kind::SessionStart, ok),
        (Kind::AccountMfaChange, ok),
    ]);
    take(
        &mut log,
        "person6@example.com",
        "198.51.100.8",
        16 * DAY_MS,
        &bombing,
    );

    let found = log.scan(small_crowd_config());
    let campaign_of = |account: &str| found.iter().position(|c| c.has_account(account));
    let operation = campaign_of("target0-0@example.com").expect("the operation is found");
    for n in 0..servers.len() {
        for k in 0..2 {
            let account = format!("target{n}-{k}@example.com");
            assert_eq!(campaign_of(&account), Some(operation), "{found:?}");
        }
    }
    let taken = |account: &str| {
        found.iter().position(|c| {
            c.accounts
                .iter()
                .any(|(a, stage)| a == account && *stage == Stage::Compromised)
        })
    };
    assert_eq!(taken("person5@example.com"), Some(operation), "{found:?}");
    let bombed = taken("person6@example.com").expect("the MFA bombing's takeover is found");
    assert_ne!(bombed, operation, "{found:?}");
}
