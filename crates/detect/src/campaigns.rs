//! Stages, and campaigns made of the sources the detectors suspect.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use forewarn_model::{Kind, Outcome, RawRef};
use serde::{Deserialize, Serialize};

use crate::detectors::{Subject, Verdict};
use crate::engine::Engine;
use crate::intern::Symbol;
use crate::observation::SourceStats;

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

    /// Adds a source and everything it did.
    fn absorb(&mut self, source: Symbol, stats: &SourceStats) {
        self.sources.push(source);
        self.kinds |= stats.kinds;
        self.asns.extend(stats.asn);
        self.agents.extend(stats.agents.iter().copied());
        self.first_ms = self.first_ms.min(stats.first_ms);
        self.last_ms = self.last_ms.max(stats.last_ms);
        self.nonexistent.extend(stats.nonexistent.iter().copied());
        for (&account, reach) in stats.reach.iter().filter(|(_, r)| !r.owners_place()) {
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

/// How alike (shared event kinds) two sources must be for a shared tool to link them.
const ALIKE: f64 = 0.5;

/// The kinds of event that approach an account from outside, as bits of `SourceStats::kinds`.
const APPROACH: u32 = (1 << Kind::AccountLookup as u32)
    | (1 << Kind::AuthPassword as u32)
    | (1 << Kind::AuthMfa as u32)
    | (1 << Kind::RecoveryStart as u32)
    | (1 << Kind::RecoveryCodeSent as u32);

/// A campaign seen on this many networks (ASNs) is taken to rent proxies.
const PROXY_NETWORKS: usize = 10;

/// Groups suspected sources into campaigns: sources that touched the same accounts, or that
/// one detector grouped together (a proxy network sharing a tool and a time), are one campaign.
pub fn build(engine: &Engine, verdicts: &[Verdict]) -> Vec<Campaign> {
    let mut suspects: Vec<Symbol> = verdicts
        .iter()
        .filter_map(|v| match v.subject {
            Subject::Source(s) => Some(s),
            _ => None,
        })
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
        for account in stats.reach.keys().chain(stats.nonexistent.iter()) {
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
    let rare =
        |agent: &Symbol| agent_sources.get(agent).copied().unwrap_or(0) * 20 <= total_sources;
    // Sources that behave alike (the same kinds of event) and share a rare tool.
    let mut with_tool: HashMap<(&'static str, Symbol), Vec<usize>> = HashMap::new();
    for verdict in verdicts {
        let Subject::Source(s) = verdict.subject else {
            continue;
        };
        let Some(stats) = engine.source(s) else {
            continue;
        };
        let i = index[&s];
        for agent in stats.agents.iter().filter(|a| rare(a)) {
            let peers = with_tool.entry((verdict.detector, *agent)).or_default();
            for &j in peers.iter() {
                let alike = engine
                    .source(suspects[j])
                    .is_some_and(|other| other.alike(stats) >= ALIKE);
                if alike {
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
            let i = index[&s];
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
            by_root
                .entry(root)
                .or_insert_with(Campaign::empty)
                .absorb(source, stats);
        }
    }
    // What the flagged sources of each campaign do, before quieter ones join.
    let behaviour: HashMap<usize, u32> = by_root.iter().map(|(root, c)| (*root, c.kinds)).collect();

    // Addresses no detector flagged that share a campaign's rare tool and only ever came to
    // accounts as strangers: the campaign's quieter addresses (an attack address that probed
    // too little to stand out on its own, a proxy whose one try worked).
    // A tool several campaigns use is settled by shared targets, then by time.
    let mut tool_owners: HashMap<Symbol, BTreeSet<usize>> = HashMap::new();
    for (i, &source) in suspects.iter().enumerate() {
        let root = find(&mut parent, i);
        for agent in engine
            .source(source)
            .into_iter()
            .flat_map(|s| s.agents.iter())
            .filter(|a| rare(a))
        {
            tool_owners.entry(*agent).or_default().insert(root);
        }
    }
    const SLACK_MS: i64 = 3_600_000;
    let flagged: std::collections::HashSet<Symbol> = suspects.iter().copied().collect();
    for (source, stats) in engine.state().source_stats.iter().enumerate() {
        let source = source as Symbol;
        if stats.events == 0
            || flagged.contains(&source)
            || !stats.reach.values().all(|r| r.stranger)
        {
            continue;
        }
        // ...and approaches accounts the way the campaign's own sources do (a probing address
        // is not a proxy's). What it did once in does not count: takeovers look alike.
        let approach = stats.kinds & APPROACH;
        let behaves_like = |root: &usize| {
            let kinds = behaviour.get(root).copied().unwrap_or(0);
            (approach & kinds).count_ones() * 4 >= approach.count_ones() * 3
        };
        let owners: BTreeSet<usize> = stats
            .agents
            .iter()
            .filter_map(|a| tool_owners.get(a))
            .flatten()
            .copied()
            .filter(behaves_like)
            .collect();
        let pick = |keep: &dyn Fn(&Campaign) -> bool| -> Option<usize> {
            let mut kept = owners.iter().filter(|o| by_root.get(o).is_some_and(keep));
            let first = *kept.next()?;
            kept.next().is_none().then_some(first)
        };
        let owner = match owners.len() {
            0 => None,
            1 => owners.first().copied(),
            // Shared targets first; then, of the campaigns active while the source was, the
            // one active the shortest (a three-day stuffing run over a month-long spray).
            _ => pick(&|c: &Campaign| stats.reach.keys().any(|a| c.accounts.contains_key(a)))
                .or_else(|| {
                    owners
                        .iter()
                        .filter_map(|o| by_root.get(o).map(|c| (o, c)))
                        .filter(|(_, c)| {
                            c.first_ms - SLACK_MS <= stats.last_ms
                                && stats.first_ms <= c.last_ms + SLACK_MS
                        })
                        .min_by_key(|(o, c)| (c.last_ms - c.first_ms, **o))
                        .map(|(o, _)| *o)
                }),
        };
        // ...and only from the networks the campaign is known to use.
        // A campaign already seen on many networks rents proxies: a new one is no evidence.
        let same_networks = |c: &Campaign| {
            c.asns.len() >= PROXY_NETWORKS || stats.asn.is_none_or(|asn| c.asns.contains(&asn))
        };
        if let Some(campaign) = owner
            .and_then(|o| by_root.get_mut(&o))
            .filter(|c| same_networks(c))
        {
            campaign.absorb(source, stats);
            campaign.detectors.insert("shared_tool");
        }
    }
    for verdict in verdicts {
        if let Subject::Source(s) = verdict.subject {
            let root = find(&mut parent, index[&s]);
            if let Some(campaign) = by_root.get_mut(&root) {
                campaign.detectors.insert(verdict.detector);
                campaign
                    .techniques
                    .extend(verdict.techniques.iter().copied());
            }
        }
    }
    let mut campaigns: Vec<Campaign> = by_root.into_values().collect();
    campaigns.sort_by_key(|c| (c.first_ms, c.sources.first().copied()));
    for (i, campaign) in campaigns.iter_mut().enumerate() {
        campaign.id = format!("campaign-{}", i + 1);
        campaign.sources.sort_unstable();
    }
    campaigns
}
