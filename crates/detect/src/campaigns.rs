//! Stages, and campaigns made of the sources the detectors suspect.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use forewarn_model::{Kind, Outcome, RawRef};
use serde::{Deserialize, Serialize};

use crate::allowlist::NetworkClass;
use crate::detectors::relay_attempts::RelayAttempts;
use crate::detectors::stuffing::Stuffing;
use crate::detectors::{Subject, Verdict};
use crate::engine::Engine;
use crate::intern::Symbol;
use crate::observation::{Reach, SourceStats};

/// How far a campaign got with an account; cumulative (DESIGN.md, "Stages").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Identified,
    Attacked,
    Compromised,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Identified, Stage::Attacked, Stage::Compromised];

    /// The stage one event by an attacker puts its account in: compromised when it got in (a
    /// session, a verified code, a reset, a change only a signed-in user can make), attacked
    /// when it tried (a credential, an MFA push, a recovery code), identified when it probed.
    pub fn of(kind: Kind, outcome: Outcome) -> Stage {
        use Kind::*;
        match (kind, outcome) {
            (
                SessionStart
                | RecoveryCodeVerify
                | RecoveryReset
                | AccountRecoveryInfoChange
                | AccountMfaChange
                | AccountPasswordChange
                | MailboxRuleCreate
                | AppConsent,
                Outcome::Success,
            ) => Stage::Compromised,
            (AccountLookup | RecoveryStart, _) => Stage::Identified,
            _ => Stage::Attacked,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Stage::Identified => "identified",
            Stage::Attacked => "attacked",
            Stage::Compromised => "compromised",
        }
    }
}

/// One campaign: its sources, and how far it got with each account.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: String,
    pub sources: Vec<Symbol>,
    pub asns: BTreeSet<u32>,
    pub agents: BTreeSet<Symbol>,
    pub detectors: BTreeSet<&'static str>,
    pub techniques: BTreeSet<&'static str>,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Account → (furthest stage, first seen, last seen, evidence of the stage).
    pub accounts: BTreeMap<Symbol, (Stage, i64, i64, RawRef)>,
    pub nonexistent: BTreeSet<Symbol>,
    /// Which kinds of event its sources sent (one bit per kind).
    pub kinds: u32,
}

impl Campaign {
    fn empty() -> Self {
        Campaign {
            id: String::new(),
            sources: Vec::new(),
            asns: BTreeSet::new(),
            agents: BTreeSet::new(),
            detectors: BTreeSet::new(),
            techniques: BTreeSet::new(),
            first_ms: i64::MAX,
            last_ms: i64::MIN,
            accounts: BTreeMap::new(),
            nonexistent: BTreeSet::new(),
            kinds: 0,
        }
    }

    /// Adds a source and everything it did, except with accounts whose own place it is
    /// (sessions on `owners_place_days` days or more); with `only`, what it did with those
    /// accounts alone.
    fn absorb(
        &mut self,
        source: Symbol,
        stats: &SourceStats,
        p: &Params,
        only: Option<&BTreeSet<Symbol>>,
    ) {
        let owners_place_days = p.owners_place_days;
        self.sources.push(source);
        self.kinds |= stats.kinds;
        // A VPN's network is shared by strangers: it says nothing about who else is the
        // campaign's.
        self.asns.extend(telling_asn(stats, p));
        self.agents.extend(stats.agents.iter().copied());
        self.first_ms = self.first_ms.min(stats.first_ms);
        self.last_ms = self.last_ms.max(stats.last_ms);
        self.nonexistent.extend(
            stats
                .nonexistent
                .iter()
                .filter(|a| only.is_none_or(|only| only.contains(a)))
                .copied(),
        );
        for (&account, reach) in stats.reach.iter().filter(|(a, r)| {
            !r.owners_place(owners_place_days) && only.is_none_or(|only| only.contains(a))
        }) {
            let entry = self.accounts.entry(account).or_insert((
                reach.stage,
                reach.first_ms,
                reach.last_ms,
                reach.evidence,
            ));
            if reach.stage > entry.0 {
                entry.0 = reach.stage;
                entry.3 = reach.evidence;
            }
            entry.1 = entry.1.min(reach.first_ms);
            entry.2 = entry.2.max(reach.last_ms);
        }
    }

    pub fn funnel(&self) -> [usize; 3] {
        let at = |s: Stage| self.accounts.values().filter(|a| a.0 >= s).count();
        [
            at(Stage::Identified),
            at(Stage::Attacked),
            at(Stage::Compromised),
        ]
    }
}

/// `[campaigns]`: how flagged sources are joined into campaigns and which quieter addresses
/// join them.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// A client (user agent) used by at most this share of all sources is rare (0..1): a
    /// tool, not a browser, and sharing it links sources. 0.05: each common browser build is
    /// used by far more sources; an attack tool by a few of them.
    pub rare_client_share: f64,
    /// Share of event kinds two flagged sources with the same rare client must have in
    /// common to be one campaign (0..1, shared kinds over the kinds of the one that did
    /// fewer). 0.5: an operation's quieter address does part of what its busiest one does;
    /// one tool used two ways (probing and spraying) is likely two operations.
    pub min_alike: f64,
    /// Share of an unflagged address's ways of approaching accounts (lookup, password, MFA,
    /// recovery start, code sent) that the campaign's flagged sources also use, at least, for
    /// it to join (0..1). 0.75: a campaign's quieter addresses do what its loud ones do, on
    /// fewer accounts.
    pub min_approach_overlap: f64,
    /// A campaign seen on at least this many networks (ASNs) rents proxies, and an address on
    /// yet another network may still join it. 10: a campaign working from its own servers
    /// uses one to three networks; a proxy pool spreads over dozens.
    pub proxy_networks: usize,
    /// Seconds of slack around a campaign's active time when an address that shares the
    /// tools of several campaigns is given to the one active at its time. 3600: the reorder
    /// bound; clocks of one operation's machines agree within it.
    pub time_slack_seconds: u32,
    /// Days with a session from an address after which it is the account's own place (an
    /// infected home router, a shared exit) and the account's sessions there are not the
    /// campaign's. 2: an attacker who got in uses the session that day; an owner comes back.
    pub owners_place_days: u16,
    /// A source seen with at least this many rare clients rotates them, and links by tool
    /// only to a source sharing two of them. 3: an operator may switch tools once; a stuffing
    /// tool cycles through dozens of client strings, and one of its exits carries the clients
    /// of every other operation that picked one of them — linking through one merged three
    /// campaigns into one — while one operation rotating a few browser builds over its
    /// servers shows two or three of them at each.
    pub rotation_clients: usize,
    /// Networks (ASNs) of commercial VPNs and privacy relays: their exits are shared by
    /// strangers, so an address there is never linked to a campaign by its network (as for
    /// the `[allowlist] vpn` ranges). M247, Datacamp / CDN77, Datacamp, PacketHub (VPN exits),
    /// Cloudflare (WARP), Akamai (iCloud Private Relay). Data centres are not in it: a VPS an
    /// operation rents is its own.
    pub vpn_asns: Vec<u32>,
    /// Client strings a log writes for any client it could not name: they say "not a
    /// browser", not which tool, and link nothing. Auth0 summarises every user agent it
    /// cannot parse (curl, python-requests, okhttp, an SDK) as `Other 0.0.0 / Other 0.0.0`:
    /// through it, a spray, a stuffing run and a brute force became one campaign.
    pub placeholder_clients: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            rare_client_share: 0.05,
            min_alike: 0.5,
            min_approach_overlap: 0.75,
            proxy_networks: 10,
            time_slack_seconds: 3600,
            owners_place_days: 2,
            rotation_clients: 3,
            vpn_asns: vec![9009, 60068, 212238, 136787, 13335, 36183],
            placeholder_clients: vec!["Other 0.0.0 / Other 0.0.0".to_owned()],
        }
    }
}

/// The kinds of event that approach an account from outside, as bits of `SourceStats::kinds`:
/// the ways in, up to a password or a reset. A reset is one: an address that got in through
/// a recovery code (a SIM swap) did not come the way a stuffing proxy does, even when it then
/// signs in with the same client.
const APPROACH: u32 = (1 << Kind::AccountLookup as u32)
    | (1 << Kind::AuthPassword as u32)
    | (1 << Kind::AuthMfa as u32)
    | (1 << Kind::RecoveryStart as u32)
    | (1 << Kind::RecoveryCodeSent as u32)
    | (1 << Kind::RecoveryCodeVerify as u32)
    | (1 << Kind::RecoveryReset as u32);

/// The steps of a recovery before its reset, as bits of `SourceStats::kinds`.
const RECOVERY_STEPS: u32 = (1 << Kind::RecoveryStart as u32)
    | (1 << Kind::RecoveryCodeSent as u32)
    | (1 << Kind::RecoveryCodeVerify as u32);

/// Groups suspected sources into campaigns: sources that touched the same accounts, or that
/// one detector grouped together (a proxy network sharing a tool and a time), are one campaign.
/// Addresses in the organisation's own egress (`[allowlist] egress`) never seed or join one.
pub fn build(engine: &Engine, verdicts: &[Verdict]) -> Vec<Campaign> {
    let p = &engine.config().campaigns;
    let own_egress = |source: Symbol| {
        engine
            .source(source)
            .is_some_and(|s| s.network == NetworkClass::Egress)
    };
    // A verdict about a source takes in everything it did, or the accounts it names (a shared
    // address where some accounts were attacked). Verdicts about an account are not about
    // the campaign's sources: `accounts` weighs them.
    let mut named: HashMap<Symbol, BTreeSet<Symbol>> = HashMap::new();
    let mut whole: HashSet<Symbol> = HashSet::new();
    for verdict in verdicts {
        if let Subject::Source(s) = verdict.subject {
            if verdict.accounts.is_empty() {
                whole.insert(s);
            } else {
                named
                    .entry(s)
                    .or_default()
                    .extend(verdict.accounts.iter().copied());
            }
        }
    }
    let only = |source: Symbol| {
        (!whole.contains(&source))
            .then(|| named.get(&source))
            .flatten()
    };
    let mut suspects: Vec<Symbol> = whole
        .iter()
        .chain(named.keys())
        .copied()
        .filter(|&s| !own_egress(s))
        .collect();
    suspects.sort_unstable();
    suspects.dedup();
    let index: HashMap<Symbol, usize> = suspects.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    let mut parent: Vec<usize> = (0..suspects.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let union = |parent: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    };
    // Shared targets.
    let mut first_source_of: HashMap<Symbol, usize> = HashMap::new();
    for (i, &source) in suspects.iter().enumerate() {
        let Some(stats) = engine.source(source) else {
            continue;
        };
        let touched: Vec<Symbol> = match only(source) {
            Some(accounts) => accounts.iter().copied().collect(),
            None => stats
                .reach
                .keys()
                .chain(stats.nonexistent.iter())
                .copied()
                .collect(),
        };
        for account in &touched {
            match first_source_of.get(account) {
                Some(&j) => union(&mut parent, i, j),
                None => {
                    first_source_of.insert(*account, i);
                }
            }
        }
    }
    // One detector's sources sharing a client that few sources use: one tool, one campaign.
    // (Honest browsers are shared by thousands of sources, so they never link.)
    let mut agent_sources: HashMap<Symbol, usize> = HashMap::new();
    let mut total_sources = 0;
    for stats in engine.state().source_stats.iter().filter(|s| s.events > 0) {
        total_sources += 1;
        for &agent in &stats.agents {
            *agent_sources.entry(agent).or_default() += 1;
        }
    }
    let says_nothing: HashSet<Symbol> = p
        .placeholder_clients
        .iter()
        .filter_map(|client| engine.state().agents.get(client))
        .collect();
    let rare = |agent: &Symbol| {
        !says_nothing.contains(agent)
            && agent_sources.get(agent).copied().unwrap_or(0) as f64
                <= p.rare_client_share * total_sources as f64
    };
    // An address shared with honest people: its clients link nothing.
    let shared_exit = |stats: &SourceStats| shared_exit(stats, p.owners_place_days);
    // A tie by method alone (quiet tries from data centres: `relay_attempts`' groups and
    // tools) is the weakest: an address another detector grouped (a stuffing run it happened
    // to try during, with the run's client) is that group's, and does not bring the method's
    // whole group with it (at 5,000 accounts one such address once took all of Phosphorus into
    // a stuffing run).
    let grouped_otherwise: HashSet<Symbol> = verdicts
        .iter()
        .filter(|v| v.group.is_some() && v.detector != RelayAttempts::NAME)
        .filter_map(|v| match v.subject {
            Subject::Source(s) => Some(s),
            Subject::Account { .. } => None,
        })
        .collect();
    let weak_tie = |detector: &str, source: Symbol| {
        detector == RelayAttempts::NAME && grouped_otherwise.contains(&source)
    };
    // Sources that behave alike (the same kinds of event) and share a rare tool.
    let mut with_tool: HashMap<(&'static str, Symbol), Vec<usize>> = HashMap::new();
    let mut seen: HashSet<(&'static str, Symbol)> = HashSet::new();
    let flagged_by = verdicts.iter().filter_map(|v| match v.subject {
        Subject::Source(s) => Some((v.detector, s)),
        Subject::Account { .. } => None,
    });
    for (detector, s) in flagged_by {
        if !seen.insert((detector, s)) || weak_tie(detector, s) {
            continue;
        }
        let (Some(stats), Some(&i)) = (engine.source(s), index.get(&s)) else {
            continue;
        };
        if shared_exit(stats) {
            continue;
        }
        let tools: BTreeSet<Symbol> = stats.agents.iter().copied().filter(|a| rare(a)).collect();
        for agent in &tools {
            let peers = with_tool.entry((detector, *agent)).or_default();
            for &j in peers.iter() {
                let Some(other) = engine.source(suspects[j]) else {
                    continue;
                };
                // A source seen with many rare clients rotates them (a stuffing tool's exit)
                // and carries the tool of every other operation that picked one of them: it
                // is one operation with another only when they share two of its clients.
                let other_tools = other.agents.iter().filter(|a| tools.contains(a)).count();
                let rotating = tools.len() >= p.rotation_clients.max(1)
                    || other.agents.iter().filter(|a| rare(a)).count() >= p.rotation_clients.max(1);
                // Alike in how they come to accounts: what follows once in differs between
                // a try that worked and one that did not (a refused SIM swap, a swap that
                // went through), and says nothing about who sent them.
                if (!rotating || other_tools >= 2) && other.alike_in(stats, APPROACH) >= p.min_alike
                {
                    union(&mut parent, i, j);
                }
            }
            if !peers.contains(&i) {
                peers.push(i);
            }
        }
    }
    // Groups a detector formed.
    let mut first_in_group: HashMap<(&'static str, u64), usize> = HashMap::new();
    for verdict in verdicts {
        if let (Subject::Source(s), Some(group)) = (verdict.subject, verdict.group) {
            let Some(&i) = index.get(&s) else {
                continue;
            };
            if weak_tie(verdict.detector, s) {
                continue;
            }
            match first_in_group.get(&(verdict.detector, group)) {
                Some(&j) => union(&mut parent, i, j),
                None => {
                    first_in_group.insert((verdict.detector, group), i);
                }
            }
        }
    }

    let mut by_root: BTreeMap<usize, Campaign> = BTreeMap::new();
    for (i, &source) in suspects.iter().enumerate() {
        let root = find(&mut parent, i);
        if let Some(stats) = engine.source(source) {
            by_root.entry(root).or_insert_with(Campaign::empty).absorb(
                source,
                stats,
                p,
                only(source),
            );
        }
    }
    let flagged_view: HashMap<usize, Flagged> = by_root
        .iter()
        .map(|(&root, c)| (root, Flagged::of(c)))
        .collect();
    let mut tool_owners: HashMap<Symbol, BTreeSet<usize>> = HashMap::new();
    for (i, &source) in suspects.iter().enumerate() {
        let root = find(&mut parent, i);
        for agent in engine
            .source(source)
            .into_iter()
            .filter(|s| !shared_exit(s))
            .flat_map(|s| s.agents.iter())
            .filter(|a| rare(a))
        {
            tool_owners.entry(*agent).or_default().insert(root);
        }
    }
    let flagged: HashSet<Symbol> = suspects.iter().copied().collect();
    join_quieter(
        engine,
        &mut by_root,
        &flagged_view,
        &tool_owners,
        &flagged,
        &says_nothing,
    );
    for verdict in verdicts {
        let Subject::Source(s) = verdict.subject else {
            continue;
        };
        if let Some(&i) = index.get(&s) {
            let root = find(&mut parent, i);
            if let Some(campaign) = by_root.get_mut(&root) {
                campaign.detectors.insert(verdict.detector);
                campaign
                    .techniques
                    .extend(verdict.techniques.iter().copied());
            }
        }
    }
    // The rare clients each campaign's own flagged addresses used (not those of addresses
    // that joined it, which may be shared with anyone).
    let own_tools: Vec<BTreeSet<Symbol>> = by_root
        .keys()
        .map(|root| {
            tool_owners
                .iter()
                .filter(|(_, roots)| roots.contains(root))
                .map(|(&agent, _)| agent)
                .collect()
        })
        .collect();
    let mut campaigns: Vec<Campaign> = by_root.into_values().collect();
    let takeovers = takeover_campaigns(engine, verdicts, &mut campaigns, &own_tools, &rare);
    campaigns.extend(takeovers);
    campaigns.sort_by_key(|c| (c.first_ms, c.sources.first().copied()));
    for (i, campaign) in campaigns.iter_mut().enumerate() {
        campaign.id = format!("campaign-{}", i + 1);
        campaign.sources.sort_unstable();
    }
    campaigns
}

/// Campaigns of the takeovers no campaign reached: a takeover two account-level detectors
/// agree on is the work of whoever holds the address that got in. Each such address is a
/// campaign of the accounts it took over (only those: the address may be shared with honest
/// people, a VPN exit or a proxy). Addresses that got in the same way (the same kinds of
/// approach: a reset is not a password) with the same rare client are one campaign — several
/// SIM swaps through the carrier's stores, each from its own address, are one operation — but
/// an address shared with honest people links nothing. A client alone links a takeover to no
/// campaign that was only seen attacking (an attack's last step is as likely another
/// operation's as that of one using the same browser build); the client, the way in and the
/// time together do (`joins_attack`).
fn takeover_campaigns(
    engine: &Engine,
    verdicts: &[Verdict],
    found: &mut [Campaign],
    own_tools: &[BTreeSet<Symbol>],
    rare: &dyn Fn(&Symbol) -> bool,
) -> Vec<Campaign> {
    let p = &engine.config().campaigns;
    // Accounts a campaign went for (the takeover is theirs, `accounts::attach`); one a
    // campaign only looked up is not.
    let reached: HashSet<Symbol> = found
        .iter()
        .flat_map(|c| {
            c.accounts
                .iter()
                .filter(|(_, r)| r.0 >= Stage::Attacked)
                .map(|(&a, _)| a)
        })
        .collect();
    let mut by_source: BTreeMap<Symbol, BTreeSet<Symbol>> = BTreeMap::new();
    for (account, source) in crate::accounts::takeovers(verdicts) {
        if !reached.contains(&account) {
            by_source.entry(source).or_default().insert(account);
        }
    }
    let log_shows_recoveries = engine
        .state()
        .source_stats
        .iter()
        .any(|s| s.kinds & RECOVERY_STEPS != 0);
    let mut alone = Vec::new();
    let mut by_way_in: BTreeMap<(Symbol, u32), Campaign> = BTreeMap::new();
    for (source, accounts) in by_source {
        let Some(stats) = engine.source(source) else {
            continue;
        };
        if stats.network == NetworkClass::Egress {
            continue;
        }
        // The one rare client the address used with the accounts it took.
        let tools: BTreeSet<Symbol> = accounts
            .iter()
            .filter_map(|a| stats.reach.get(a).and_then(|r| r.agent))
            .collect();
        let tool = match (tools.first(), tools.len()) {
            (Some(&tool), 1) if rare(&tool) && !shared_exit(stats, p.owners_place_days) => {
                Some(tool)
            }
            _ => None,
        };
        if let Some(campaign) = tool
            .and_then(|tool| joins_attack(found, own_tools, stats, tool, p, log_shows_recoveries))
        {
            campaign.absorb(source, stats, p, Some(&accounts));
            campaign.detectors.insert("shared_tool");
            continue;
        }
        match tool {
            Some(tool) => by_way_in
                .entry((tool, stats.kinds & APPROACH))
                .or_insert_with(Campaign::empty)
                .absorb(source, stats, p, Some(&accounts)),
            None => {
                let mut campaign = Campaign::empty();
                campaign.absorb(source, stats, p, Some(&accounts));
                alone.push(campaign);
            }
        }
    }
    // The address's own place for an account is its owner's: what is left is the takeover
    // (the verdicts already dropped such places in hindsight).
    alone
        .into_iter()
        .chain(by_way_in.into_values())
        .filter(|c| !c.accounts.is_empty())
        .collect()
}

/// The one campaign whose attack a takeover finished: its own flagged addresses used the
/// takeover's rare client, came to accounts every way the takeover's address did (a reset finishes a recovery
/// the campaign started), and either work from its network or were active all the while it
/// was; never a proxy pool's campaign. An MFA-fatigue takeover with a phishing campaign's
/// browser build pushed prompts the phishing campaign never sent; a stuffing run of three days
/// does not own a month-long operation's one password that worked. Two campaigns that fit
/// leave the takeover to itself.
fn joins_attack<'a>(
    found: &'a mut [Campaign],
    own_tools: &[BTreeSet<Symbol>],
    stats: &SourceStats,
    tool: Symbol,
    p: &Params,
    log_shows_recoveries: bool,
) -> Option<&'a mut Campaign> {
    let slack_ms = i64::from(p.time_slack_seconds) * 1000;
    let way_in = stats.kinds & APPROACH;
    let mut fitting = found.iter_mut().zip(own_tools).filter(|(c, tools)| {
        // A reset finishes a recovery: the way in of a campaign that starts recoveries, and
        // of no other (a SIM swap's reset is not a stuffing run's password) — unless the log
        // records no recovery before its reset (OCSF, Google Workspace), where any campaign
        // may have started one unseen.
        let resets = !log_shows_recoveries || c.kinds & RECOVERY_STEPS != 0;
        let ways = c.kinds
            | if resets {
                1 << Kind::RecoveryReset as u32
            } else {
                0
            };
        let same_network = telling_asn(stats, p).is_some_and(|asn| c.asns.contains(&asn));
        // A campaign on many networks, or one stuffing credentials, rents proxies from
        // thousands of homes: its clients, ways and weeks fit anyone (at 200,000 accounts a
        // stuffing run took in every SIM swap through its Android client; in Auth0 and the
        // Office 365 audit there are no networks to count). It owns a takeover only through
        // the accounts it attacked (`accounts::attach`).
        let proxy_pool = c.asns.len() >= p.proxy_networks || c.detectors.contains(Stuffing::NAME);
        !proxy_pool
            && way_in != 0
            && tools.contains(&tool)
            && way_in & ways == way_in
            && (same_network
                || (c.first_ms - slack_ms <= stats.first_ms
                    && stats.last_ms <= c.last_ms + slack_ms))
    });
    match (fitting.next(), fitting.next()) {
        (Some((only, _)), None) => Some(only),
        _ => None,
    }
}

/// What a campaign's flagged sources showed before any quieter address joined: evidence for
/// joining comes from what a detector flagged, so that one address joining never lets the
/// next one in.
struct Flagged {
    /// Which kinds of event (one bit per kind).
    kinds: u32,
    first_ms: i64,
    last_ms: i64,
    asns: BTreeSet<u32>,
    accounts: BTreeSet<Symbol>,
}

impl Flagged {
    fn of(c: &Campaign) -> Self {
        Flagged {
            kinds: c.kinds,
            first_ms: c.first_ms,
            last_ms: c.last_ms,
            asns: c.asns.clone(),
            accounts: c.accounts.keys().copied().collect(),
        }
    }
}

/// A source's network (ASN) when it says something about who is there: not a VPN range of the
/// allowlist nor a commercial VPN or relay network (`vpn_asns`), whose addresses are shared by
/// strangers.
fn telling_asn(stats: &SourceStats, p: &Params) -> Option<u32> {
    stats
        .asn
        .filter(|asn| stats.network != NetworkClass::Vpn && !p.vpn_asns.contains(asn))
}

/// An address some account keeps coming back to (a VPN exit, a carrier gateway, a home router
/// rented out as a proxy) is shared with honest people: its clients are theirs as much as a
/// campaign's.
fn shared_exit(stats: &SourceStats, owners_place_days: u16) -> bool {
    stats
        .reach
        .values()
        .any(|r| r.owners_place(owners_place_days))
}

/// Addresses no detector flagged that share a campaign's rare tool and only ever came to
/// accounts as strangers: the campaign's quieter addresses (an attack address that probed too
/// little to stand out on its own, a proxy whose one try worked). A tool several campaigns use
/// is settled by shared targets, then by time. `tool_owners`: client → campaigns whose flagged
/// sources used it; `shown`: what those sources showed.
fn join_quieter(
    engine: &Engine,
    by_root: &mut BTreeMap<usize, Campaign>,
    shown: &HashMap<usize, Flagged>,
    tool_owners: &HashMap<Symbol, BTreeSet<usize>>,
    flagged: &HashSet<Symbol>,
    placeholders: &HashSet<Symbol>,
) {
    let p = &engine.config().campaigns;
    let slack_ms = i64::from(p.time_slack_seconds) * 1000;
    for (source, stats) in engine.state().source_stats.iter().enumerate() {
        let source = source as Symbol;
        if stats.events == 0 || stats.network == NetworkClass::Egress || flagged.contains(&source) {
            continue;
        }
        // At an address people come back to (a home router rented out as a proxy, a carrier
        // gateway), only the accounts reached with a campaign's tool say anything about it:
        // the rest of its time and behaviour is its people's.
        let shared = shared_exit(stats, p.owners_place_days);
        let part: BTreeMap<Symbol, &Reach> = stats
            .reach
            .iter()
            .filter(|(_, r)| !shared || r.agent.is_some_and(|a| tool_owners.contains_key(&a)))
            .map(|(&a, r)| (a, r))
            .collect();
        if (shared && part.is_empty()) || !part.values().all(|r| r.stranger) {
            continue;
        }
        let (first_ms, last_ms) = if shared {
            (
                part.values()
                    .map(|r| r.first_ms)
                    .min()
                    .unwrap_or(stats.first_ms),
                part.values()
                    .map(|r| r.last_ms)
                    .max()
                    .unwrap_or(stats.last_ms),
            )
        } else {
            (stats.first_ms, stats.last_ms)
        };
        // ...and approaches accounts the way the campaign's own sources do (a probing address
        // is not a proxy's). What it did once in does not count: takeovers look alike. (At a
        // shared address the kinds of event are everyone's: the tool decides.)
        let approach = stats.kinds & APPROACH;
        let behaves_like = |root: &usize| {
            let kinds = shown.get(root).map_or(0, |c| c.kinds);
            shared
                || f64::from((approach & kinds).count_ones())
                    >= p.min_approach_overlap * f64::from(approach.count_ones())
        };
        let tools: BTreeSet<Symbol> = if shared {
            part.values().filter_map(|r| r.agent).collect()
        } else {
            stats.agents.iter().copied().collect()
        };
        // How many of the address's rare clients each campaign's flagged sources used.
        let mut kit_shared: BTreeMap<usize, usize> = BTreeMap::new();
        for root in tools
            .iter()
            .filter_map(|a| tool_owners.get(a))
            .flatten()
            .copied()
            .filter(behaves_like)
        {
            *kit_shared.entry(root).or_default() += 1;
        }
        let owners: BTreeSet<usize> = kit_shared.keys().copied().collect();
        // Two or more rare clients in common with one campaign alone is its kit (an operation
        // picking among the same browser builds at each of its addresses): the address is
        // that campaign's whenever it acted, as a tool alone is not.
        let kit_owner = {
            let most = kit_shared.values().copied().max().unwrap_or(0);
            let mut best = kit_shared.iter().filter(|&(_, &n)| n == most);
            match (best.next(), best.next()) {
                // At a shared address the clients are everyone's.
                (Some((&root, _)), None) if most >= 2 && !shared => Some(root),
                _ => None,
            }
        };
        let shares_targets = |root: &usize| {
            shown
                .get(root)
                .is_some_and(|c| part.keys().any(|a| c.accounts.contains(a)))
        };
        let owner = match owners.len() {
            _ if kit_owner.is_some() => kit_owner,
            0 => None,
            1 => owners.first().copied(),
            // Shared targets first; then, of the campaigns active while the source was, the
            // one active the shortest (a three-day stuffing run over a month-long spray).
            _ => {
                let mut sharing = owners.iter().filter(|o| shares_targets(o));
                match (sharing.next(), sharing.next()) {
                    (Some(&only), None) => Some(only),
                    _ => owners
                        .iter()
                        .filter_map(|o| shown.get(o).map(|c| (*o, (c.first_ms, c.last_ms))))
                        .filter(|&(_, (first, last))| {
                            first - slack_ms <= last_ms && first_ms <= last + slack_ms
                        })
                        .min_by_key(|&(o, (first, last))| (last - first, o))
                        .map(|(o, _)| o),
                }
            }
        };
        // ...and came to accounts the campaign had singled out, or from the networks the
        // campaign is known to use. Where networks say nothing — a campaign already shown on
        // many networks rents proxies, a VPN's network is shared by strangers, a log without
        // AS numbers — only when all it did was within the campaign's active time: a tool
        // and a way of working alone are shared by campaigns months apart.
        let joins = |root: usize| {
            if shares_targets(&root) || kit_owner == Some(root) {
                return true;
            }
            let asn = telling_asn(stats, p);
            match asn {
                Some(asn)
                    if shown
                        .get(&root)
                        .is_some_and(|c| c.asns.len() < p.proxy_networks) =>
                {
                    shown.get(&root).is_some_and(|c| c.asns.contains(&asn))
                }
                _ => shown.get(&root).is_some_and(|c| {
                    c.first_ms - slack_ms <= first_ms && last_ms <= c.last_ms + slack_ms
                }),
            }
        };
        // A quieter address brings only the accounts it came to with the campaign's tools (or
        // with a client the log could not name): a home router rented out as a proxy is
        // someone's home too, and their own sign-in there with their own browser, new to
        // them, is not the campaign's (once, at 200,000 accounts, a takeover). At an address
        // shared with honest people, the campaign's tools only.
        let Some(root) = owner.filter(|&o| joins(o)) else {
            continue;
        };
        let only: BTreeSet<Symbol> = part
            .iter()
            .filter(|(_, r)| match r.agent {
                Some(agent) => {
                    tool_owners
                        .get(&agent)
                        .is_some_and(|roots| roots.contains(&root))
                        || (!shared && placeholders.contains(&agent))
                }
                None => !shared,
            })
            .map(|(&a, _)| a)
            .collect();
        if let Some(campaign) = by_root.get_mut(&root).filter(|_| !only.is_empty()) {
            campaign.absorb(source, stats, p, Some(&only));
            campaign.detectors.insert("shared_tool");
        }
    }
}
