//! Attack scenarios: each is one campaign with its own infrastructure and timing.
//!
//! A scenario is one file implementing [`Scenario`], registered in [`SCENARIOS`]. It writes
//! its campaign's events through a [`Plan`]; the ground truth (who was identified, attacked,
//! compromised) is then read off those events with [`crate::truth::stage_of`], so a scenario
//! cannot claim a stage its events do not show.

mod brute_force;
mod mfa_fatigue;
mod phosphorus;
mod sim_swap;
mod spray;
mod stuffing;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use forewarn_model::{Channel, Kind, Outcome, Reason};

use crate::names::{Agent, ATTACKER_AGENTS, FIRST_NAMES, LAST_NAMES};
use crate::networks::{of_kind, NetworkKind};
use crate::rng::Rng;
use crate::world::{Origin, SimEvent, Source, Subject, Target, World};

pub use brute_force::BruteForce;
pub use mfa_fatigue::MfaFatigue;
pub use phosphorus::Phosphorus;
pub use sim_swap::SimSwap;
pub use spray::Spray;
pub use stuffing::Stuffing;

/// Every scenario, in the order `--scenario all` runs them.
pub static SCENARIOS: &[&dyn Scenario] = &[
    &Phosphorus,
    &Spray,
    &Stuffing,
    &BruteForce,
    &MfaFatigue,
    &SimSwap,
];

pub fn scenario_named(name: &str) -> Option<&'static dyn Scenario> {
    SCENARIOS.iter().copied().find(|s| s.name() == name)
}

/// A tunable number of a scenario, with its default for the world at hand.
#[derive(Debug, Clone, Copy)]
pub struct Parameter {
    pub name: &'static str,
    pub default: f64,
    pub help: &'static str,
}

/// A scenario's parameters after defaults and `--set` overrides.
#[derive(Debug, Clone, Default)]
pub struct Params(pub BTreeMap<&'static str, f64>);

impl Params {
    pub fn count(&self, name: &str) -> usize {
        self.0.get(name).map_or(0, |&v| v.max(0.0).round() as usize)
    }

    pub fn get(&self, name: &str) -> f64 {
        self.0.get(name).copied().unwrap_or(0.0)
    }
}

/// One kind of attack campaign.
pub trait Scenario: Sync {
    fn name(&self) -> &'static str;

    /// One line for `--help` and `docs/simulator.md`.
    fn summary(&self) -> &'static str;

    /// The parameters, with defaults scaled to a world of `accounts` accounts over `days` days.
    fn parameters(&self, accounts: u32, days: u32) -> Vec<Parameter>;

    /// Writes the campaign's events.
    fn plan(&self, plan: &mut Plan<'_>, params: &Params);
}

/// Scales a count given for the 200,000-account world of the Phosphorus report to `accounts`,
/// keeping at least `min`.
pub fn scaled(at_200k: f64, accounts: u32, min: f64) -> f64 {
    (at_200k * f64::from(accounts) / 200_000.0).round().max(min)
}

/// When a run happens.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    /// Midnight UTC of day 0, in milliseconds since the Unix epoch.
    pub start_ms: i64,
    pub days: u32,
    /// Day of the week of day 0 (0 = Monday).
    pub start_weekday: u32,
}

/// What a scenario writes into, and the tools it writes with.
pub struct Plan<'w> {
    pub world: &'w World,
    pub rng: Rng,
    pub start_ms: i64,
    pub days: u32,
    /// Day of the week of day 0 (0 = Monday).
    pub start_weekday: u32,
    pub origin: Origin,
    pub events: Vec<SimEvent>,
    /// Addresses that do not exist, shared by every campaign of the run.
    pub ghosts: &'w mut Vec<String>,
    pub infrastructure: BTreeSet<Source>,
    /// Accounts other campaigns already chose; campaigns keep to their own victims so that the
    /// truth says unambiguously whose each one is.
    pub taken: &'w mut HashSet<u32>,
    /// Accounts this campaign takes over, and from which day (honest traffic stops there).
    pub takeovers: Vec<(u32, u32)>,
    next_host: u64,
}

pub const DAY_MS: i64 = 86_400_000;
pub const HOUR_MS: i64 = 3_600_000;
pub const MINUTE_MS: i64 = 60_000;

impl<'w> Plan<'w> {
    pub fn new(
        world: &'w World,
        rng: Rng,
        timeline: Timeline,
        origin: Origin,
        ghosts: &'w mut Vec<String>,
        taken: &'w mut HashSet<u32>,
    ) -> Self {
        let campaign = match origin {
            Origin::Campaign(c) => u64::from(c),
            Origin::Benign => 0,
        };
        Plan {
            world,
            rng,
            start_ms: timeline.start_ms,
            days: timeline.days,
            start_weekday: timeline.start_weekday,
            origin,
            events: Vec::new(),
            ghosts,
            infrastructure: BTreeSet::new(),
            taken,
            takeovers: Vec::new(),
            // Attackers' addresses sit far from the few exits honest VPN users share.
            next_host: 1_000 + campaign * 100_003,
        }
    }

    /// `count` accounts no other campaign has chosen, drawn with `filter`.
    pub fn victims(&mut self, count: usize, filter: impl Fn(u32) -> bool) -> Vec<u32> {
        let n = self.world.accounts.len() as u64;
        let mut chosen = Vec::with_capacity(count);
        let mut tries = 0;
        while chosen.len() < count && tries < count * 200 + 1000 {
            tries += 1;
            let a = self.rng.below(n) as u32;
            if !self.taken.contains(&a) && filter(a) {
                self.taken.insert(a);
                chosen.push(a);
            }
        }
        chosen
    }

    /// Claims a specific account for this campaign; false when another campaign has it.
    pub fn claim(&mut self, account: u32) -> bool {
        self.taken.insert(account)
    }

    /// `count` new addresses in networks of `kinds` (cycling through them).
    pub fn addresses(&mut self, count: usize, kinds: &[NetworkKind]) -> Vec<Source> {
        let networks: Vec<_> = kinds.iter().flat_map(|&k| of_kind(k, None)).collect();
        (0..count)
            .map(|_| {
                let network = *self.rng.pick(&networks);
                self.next_host += 1 + self.rng.below(5_000);
                let source = Source {
                    network,
                    host: self.next_host,
                };
                self.infrastructure.insert(source);
                source
            })
            .collect()
    }

    /// Up to `count` addresses from a stale or breached list that do not exist here: random
    /// names, local part from `local(first, last, i)`. Addresses that happen to exist are left
    /// out, so that the list stays about people who are not in the world.
    pub fn listed_ghosts(
        &mut self,
        count: usize,
        local: impl Fn(&str, &str, usize) -> String,
    ) -> Vec<Subject> {
        let mut ghosts = Vec::new();
        for i in 0..count {
            let first = *self.rng.pick(FIRST_NAMES);
            let last = *self.rng.pick(LAST_NAMES);
            let address = format!("{}@{}", local(first, last, i), self.world.domain);
            if !self.world.exists(&address) {
                ghosts.push(self.ghost(address));
            }
        }
        ghosts
    }

    /// A ghost: an address that does not exist in the world.
    pub fn ghost(&mut self, address: String) -> Subject {
        self.ghosts.push(address);
        Subject::Ghost(self.ghosts.len() as u32 - 1)
    }

    /// A time on `day` within working hours `hours` of a place `utc_offset_minutes` from UTC,
    /// on one of its working days (`weekend`: the two days off, 0 = Monday).
    pub fn working_time(
        &mut self,
        day: u32,
        utc_offset_minutes: i32,
        hours: (i64, i64),
        weekend: [u32; 2],
    ) -> i64 {
        // Move to the nearest working day at or after `day` (or before, at the end).
        let mut day = day.min(self.days.saturating_sub(1));
        for _ in 0..3 {
            if weekend.contains(&((self.start_weekday + day) % 7)) {
                day = if day + 1 < self.days {
                    day + 1
                } else {
                    day.saturating_sub(1)
                };
            }
        }
        let local = self.rng.range(hours.0 * HOUR_MS, hours.1 * HOUR_MS - 1);
        let offset = i64::from(utc_offset_minutes) * MINUTE_MS;
        self.start_ms + i64::from(day) * DAY_MS + (local - offset).rem_euclid(DAY_MS)
    }

    /// An event from this campaign.
    pub fn event(
        &self,
        time: i64,
        kind: Kind,
        outcome: Outcome,
        subject: Subject,
        source: Source,
        agent: Agent,
    ) -> SimEvent {
        SimEvent::new(time, kind, outcome, subject, source, agent, self.origin)
    }

    pub fn push(&mut self, event: SimEvent) {
        self.events.push(event);
    }

    pub fn attacker_agent(&mut self, choices: &[u8]) -> Agent {
        let i = *self.rng.pick(choices);
        debug_assert!(usize::from(i) < ATTACKER_AGENTS.len());
        Agent::Attacker(i)
    }

    /// A device id the account has never used.
    pub fn new_device(&mut self) -> u64 {
        self.rng.next_u64() | 1
    }

    pub fn last_day(&self) -> u32 {
        self.days.saturating_sub(1)
    }

    /// Records that `account` is taken over on `day`: its owner's honest traffic stops there.
    pub fn took_over(&mut self, account: u32, time_ms: i64) {
        let day = ((time_ms - self.start_ms).max(0) / DAY_MS) as u32;
        self.takeovers.push((account, day));
    }
}

/// Where an attacker stands after a step: the time, and the device and session it used.
#[derive(Debug, Clone, Copy)]
pub struct Foothold {
    pub time: i64,
    pub device: u64,
    pub session: u64,
}

/// The recovery-code sequence an attacker runs: start (channels revealed), code sent, and
/// either a verified code, a reset and a session, or a wrong code.
#[allow(clippy::too_many_arguments)]
pub fn recovery_attempt(
    plan: &mut Plan<'_>,
    mut time: i64,
    account: u32,
    source: Source,
    agent: Agent,
    channel: Channel,
    target: Target,
    succeeds: bool,
) -> Foothold {
    let device = plan.new_device();
    let session = plan.rng.next_u64() | 1;
    let subject = Subject::Account(account);
    let step = |plan: &Plan<'_>, time, kind, outcome| {
        plan.event(time, kind, outcome, subject, source, agent)
            .on(device, session)
    };
    plan.push(step(plan, time, Kind::RecoveryStart, Outcome::Success).via(channel, target));
    time += plan.rng.range(5_000, 40_000);
    plan.push(step(plan, time, Kind::RecoveryCodeSent, Outcome::Success).via(channel, target));
    time += plan.rng.range(60_000, 600_000);
    if succeeds {
        plan.push(
            step(plan, time, Kind::RecoveryCodeVerify, Outcome::Success).via(channel, target),
        );
        time += plan.rng.range(20_000, 120_000);
        plan.push(step(plan, time, Kind::RecoveryReset, Outcome::Success));
        time += plan.rng.range(10_000, 60_000);
        plan.push(step(plan, time, Kind::AuthPassword, Outcome::Success));
        time += plan.rng.range(200, 1_500);
        plan.push(step(plan, time, Kind::SessionStart, Outcome::Success));
        plan.took_over(account, time);
    } else {
        plan.push(
            step(plan, time, Kind::RecoveryCodeVerify, Outcome::Failure)
                .via(channel, target)
                .failed(Reason::BadCode),
        );
    }
    Foothold {
        time,
        device,
        session,
    }
}

/// What an attacker does once in: forward the mail out, and lock the owner out of recovery.
pub fn persist(
    plan: &mut Plan<'_>,
    account: u32,
    source: Source,
    agent: Agent,
    foothold: Foothold,
) {
    let Foothold {
        mut time,
        device,
        session,
    } = foothold;
    let subject = Subject::Account(account);
    time += plan.rng.range(2 * MINUTE_MS, 20 * MINUTE_MS);
    plan.push(
        plan.event(
            time,
            Kind::MailboxRuleCreate,
            Outcome::Success,
            subject,
            source,
            agent,
        )
        .on(device, session),
    );
    time += plan.rng.range(MINUTE_MS, 10 * MINUTE_MS);
    plan.push(
        plan.event(
            time,
            Kind::AccountRecoveryInfoChange,
            Outcome::Success,
            subject,
            source,
            agent,
        )
        .on(device, session)
        .via(Channel::Email, Target::Attacker(Channel::Email)),
    );
}
