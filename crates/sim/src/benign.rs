//! Honest traffic, and the honest behaviours that look like attacks.
//!
//! Every account signs in on its own rhythm from its own places; on top of that, a few people
//! each month forget a password, travel, change phones, use a VPN, sit behind an office or
//! campus NAT or a carrier's CGNAT, get help from the help desk, answer a marketing mail in
//! the same hour as thousands of others, or create an inbox rule. These are named in the
//! ground truth ([`Behaviour`]) because they are what makes real detectors noisy.

use std::collections::HashMap;

use forewarn_model::{Channel, Kind, Outcome, Reason};

use crate::names::Agent;
use crate::networks::{of_kind, NetworkKind, PLACES};
use crate::rng::{derive, Rng};
use crate::world::{stream, Origin, SimEvent, Source, Subject, Target, World};

const DAY_MS: i64 = 86_400_000;

/// Honest behaviours that look like attacks, as named in `truth.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Behaviour {
    /// Mistyped the password (or the address) before getting it right.
    Typo,
    /// Forgot the password and reset it through recovery from the usual device and place.
    ForgotPassword,
    /// Signed in from another country for a few days, on the usual devices.
    Traveller,
    /// Got a new phone: new device, new user agent, authenticator enrolled again.
    NewPhone,
    /// Signs in through a commercial VPN.
    VpnUser,
    /// Signs in from an office, hundreds of colleagues behind the same address.
    CorporateNat,
    /// Signs in from a campus, thousands behind a few addresses.
    University,
    /// Signs in over a mobile carrier whose addresses are shared by many subscribers.
    CarrierCgnat,
    /// Help-desk staff who look accounts up, reset passwords and factors for others.
    Helpdesk,
    /// Accounts the help desk looked up or reset.
    HelpdeskAssisted,
    /// Signed in during a marketing mail's burst, with thousands of others in the same hour.
    MarketingBurst,
    /// Created an inbox or forwarding rule.
    InboxRule,
    /// Granted an OAuth app access.
    AppConsent,
    /// Changed their own recovery email or phone.
    RecoveryInfoUpdate,
}

impl Behaviour {
    pub const ALL: &'static [Behaviour] = &[
        Behaviour::Typo,
        Behaviour::ForgotPassword,
        Behaviour::Traveller,
        Behaviour::NewPhone,
        Behaviour::VpnUser,
        Behaviour::CorporateNat,
        Behaviour::University,
        Behaviour::CarrierCgnat,
        Behaviour::Helpdesk,
        Behaviour::HelpdeskAssisted,
        Behaviour::MarketingBurst,
        Behaviour::InboxRule,
        Behaviour::AppConsent,
        Behaviour::RecoveryInfoUpdate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Typo => "typo",
            Behaviour::ForgotPassword => "forgot_password",
            Behaviour::Traveller => "traveller",
            Behaviour::NewPhone => "new_phone",
            Behaviour::VpnUser => "vpn_user",
            Behaviour::CorporateNat => "corporate_nat",
            Behaviour::University => "university",
            Behaviour::CarrierCgnat => "carrier_cgnat",
            Behaviour::Helpdesk => "helpdesk",
            Behaviour::HelpdeskAssisted => "helpdesk_assisted",
            Behaviour::MarketingBurst => "marketing_burst",
            Behaviour::InboxRule => "inbox_rule",
            Behaviour::AppConsent => "app_consent",
            Behaviour::RecoveryInfoUpdate => "recovery_info_update",
        }
    }
}

/// Which accounts showed which behaviour: one bit per account per behaviour.
#[derive(Debug, Clone)]
pub struct Behaviours {
    bits: Vec<Vec<u64>>,
}

impl Behaviours {
    pub fn new(accounts: usize) -> Self {
        Behaviours {
            bits: vec![vec![0; accounts.div_ceil(64)]; Behaviour::ALL.len()],
        }
    }

    pub fn record(&mut self, behaviour: Behaviour, account: u32) {
        self.bits[behaviour as usize][account as usize / 64] |= 1 << (account % 64);
    }

    pub fn merge(&mut self, other: &Behaviours) {
        for (mine, theirs) in self.bits.iter_mut().zip(&other.bits) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a |= b;
            }
        }
    }

    /// The accounts that showed `behaviour`, ascending.
    pub fn accounts(&self, behaviour: Behaviour) -> impl Iterator<Item = u32> + '_ {
        self.bits[behaviour as usize]
            .iter()
            .enumerate()
            .flat_map(|(word, &bits)| {
                (0..64)
                    .filter(move |b| bits & (1 << b) != 0)
                    .map(move |b| (word * 64 + b) as u32)
            })
    }
}

/// A behaviour planned for one account on one day.
#[derive(Debug, Clone, Copy)]
enum Special {
    ForgotPassword,
    NewPhone,
    InboxRule,
    AppConsent,
    RecoveryInfoUpdate,
    /// Help-desk work for the day: `(staff, tickets)`.
    HelpdeskShift(u32),
}

#[derive(Debug, Clone, Copy)]
struct Trip {
    first_day: u32,
    last_day: u32,
    hotel: Source,
}

/// Hourly sign-in weights in local time: asleep at night, busy mornings and evenings.
const DIURNAL: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 4, 8, 10, 10, 9, 8, 8, 8, 8, 8, 8, 8, 9, 10, 10, 8, 5, 3,
];

/// Where and on what a person signs in out of habit.
pub struct Habits {
    pub devices: Vec<u64>,
    pub networks: Vec<crate::networks::NetworkId>,
}

/// Generates the honest traffic of the world, day by day.
pub struct Benign<'w> {
    world: &'w World,
    start_ms: i64,
    /// Day of the week of day 0 (0 = Monday).
    start_weekday: u32,
    specials: Vec<Vec<(u32, Special)>>,
    trips: HashMap<u32, Trip>,
    new_phone_day: HashMap<u32, u32>,
    staff: Vec<u32>,
    /// Day and UTC start of the marketing burst, when the run is long enough for one.
    burst: Option<(u32, i64)>,
    burst_accounts: Vec<u32>,
    vpn: Vec<crate::networks::NetworkId>,
    /// Accounts that campaigns take over: their owners still sign in, but that is for the
    /// scenarios to write, so honest traffic leaves them alone after the takeover day.
    quiet_from: HashMap<u32, u32>,
}

impl<'w> Benign<'w> {
    pub fn new(world: &'w World, start_ms: i64, start_weekday: u32, days: u32) -> Self {
        let mut rng = Rng::for_path(world.seed, &[stream::SPECIALS]);
        let n = world.accounts.len() as u64;
        let per_month =
            |share: f64| ((n as f64 * share * f64::from(days) / 30.0).round() as usize).max(1);
        let mut specials = vec![Vec::new(); days as usize];
        let mut plan = |rng: &mut Rng, count: usize, special: Special| {
            for _ in 0..count {
                let day = rng.below(u64::from(days)) as usize;
                specials[day].push((rng.below(n) as u32, special));
            }
        };
        plan(&mut rng, per_month(0.015), Special::ForgotPassword);
        plan(&mut rng, per_month(0.003), Special::InboxRule);
        plan(&mut rng, per_month(0.005), Special::AppConsent);
        plan(&mut rng, per_month(0.005), Special::RecoveryInfoUpdate);

        let mut new_phone_day = HashMap::new();
        for _ in 0..per_month(0.01) {
            let account = rng.below(n) as u32;
            let day = rng.below(u64::from(days)) as u32;
            if new_phone_day.insert(account, day).is_none() {
                specials[day as usize].push((account, Special::NewPhone));
            }
        }

        let mut trips = HashMap::new();
        for _ in 0..per_month(0.01) {
            let account = rng.below(n) as u32;
            let home = PLACES[usize::from(world.accounts[account as usize].place)].country;
            let destination = loop {
                let place = rng.pick(PLACES);
                if place.country != home {
                    break place;
                }
            };
            let first_day = rng.below(u64::from(days)) as u32;
            trips.insert(
                account,
                Trip {
                    first_day,
                    last_day: first_day + rng.range(3, 10) as u32,
                    hotel: Source {
                        network: *rng.pick(&of_kind(
                            NetworkKind::Residential,
                            Some(destination.country),
                        )),
                        host: rng.next_u64() >> 8,
                    },
                },
            );
        }

        let staff = help_desk_staff(world);
        for day in 0..days {
            if (start_weekday + day) % 7 < 5 {
                for &member in &staff {
                    specials[day as usize].push((member, Special::HelpdeskShift(member)));
                }
            }
        }

        let burst = (days >= 3).then(|| {
            let day = days / 2;
            (day, start_ms + i64::from(day) * DAY_MS + 16 * 3_600_000)
        });
        let burst_accounts = if burst.is_some() {
            rng.sample_indices(n as usize, (n as usize) / 25)
                .into_iter()
                .map(|a| a as u32)
                .collect()
        } else {
            Vec::new()
        };

        Benign {
            world,
            start_ms,
            start_weekday,
            specials,
            trips,
            new_phone_day,
            staff,
            burst,
            burst_accounts,
            vpn: of_kind(NetworkKind::Vpn, None),
            quiet_from: HashMap::new(),
        }
    }

    /// Stops honest traffic for `account` from `day` on (a campaign took it over and writes
    /// what follows).
    pub fn quiet(&mut self, account: u32, day: u32) {
        let entry = self.quiet_from.entry(account).or_insert(day);
        *entry = (*entry).min(day);
    }

    pub fn staff(&self) -> &[u32] {
        &self.staff
    }

    /// The honest events of accounts `range` on `day`, unsorted, recording behaviours.
    pub fn day(
        &self,
        day: u32,
        range: std::ops::Range<u32>,
        out: &mut Vec<SimEvent>,
        seen: &mut Behaviours,
    ) {
        let weekday = (self.start_weekday + day) % 7;
        let weekend = weekday >= 5;
        let day_start = self.start_ms + i64::from(day) * DAY_MS;
        for a in range.clone() {
            if self.quiet_from.get(&a).is_some_and(|&q| day >= q) {
                continue;
            }
            let account = &self.world.accounts[a as usize];
            let mut rng = Rng::for_path(
                self.world.seed,
                &[stream::BENIGN_DAY, u64::from(day), u64::from(a)],
            );
            let rate = f64::from(account.rate) * if weekend { 0.6 } else { 1.0 };
            for _ in 0..rng.poisson(rate) {
                let local_hour = rng.weighted(&DIURNAL) as i64;
                let time = self.local_time(day_start, account.place, local_hour, &mut rng);
                let (source, agent, device) =
                    self.source_for(a, day, local_hour, weekend, &mut rng, seen);
                self.sign_in(out, a, time, source, agent, device, 0.025, &mut rng, seen);
            }
        }
        if let Some((burst_day, burst_start)) = self.burst {
            if burst_day == day {
                for &a in self.burst_accounts.iter().filter(|a| range.contains(a)) {
                    let mut rng = Rng::for_path(
                        self.world.seed,
                        &[stream::BENIGN_DAY, u64::from(day), u64::from(a), 1],
                    );
                    let time = burst_start + rng.range(0, 3_600_000);
                    let (source, agent, device) =
                        self.source_for(a, day, 17, weekend, &mut rng, seen);
                    self.sign_in(out, a, time, source, agent, device, 0.08, &mut rng, seen);
                    seen.record(Behaviour::MarketingBurst, a);
                }
            }
        }
        for &(a, special) in &self.specials[day as usize] {
            if range.contains(&a) && self.quiet_from.get(&a).is_none_or(|&q| day < q) {
                self.special(day, day_start, a, special, out, seen);
            }
        }
    }

    fn local_time(&self, day_start: i64, place: u8, local_hour: i64, rng: &mut Rng) -> i64 {
        let offset_ms = i64::from(PLACES[usize::from(place)].utc_offset_minutes) * 60_000;
        let local_ms = local_hour * 3_600_000 + rng.range(0, 3_599_999);
        day_start + (local_ms - offset_ms).rem_euclid(DAY_MS)
    }

    /// The devices and networks the person used before the window: what their provider
    /// already knows of them.
    pub fn habits(&self, a: u32) -> Habits {
        let account = &self.world.accounts[a as usize];
        let mut networks = vec![account.home.network, account.carrier];
        if let Some(e) = account.egress {
            networks.push(self.world.egresses[e as usize].source.network);
        }
        if account.vpn {
            networks.push(self.vpn[(a as usize) % self.vpn.len()]);
        }
        Habits {
            devices: vec![
                self.desktop_device(a),
                derive(self.world.seed, &[stream::DEVICE, u64::from(a), 1]),
            ],
            networks,
        }
    }

    fn desktop_device(&self, a: u32) -> u64 {
        derive(self.world.seed, &[stream::DEVICE, u64::from(a), 0])
    }

    fn phone_device(&self, a: u32, day: u32) -> (u64, Agent) {
        let account = &self.world.accounts[a as usize];
        match self.new_phone_day.get(&a) {
            Some(&changed) if day >= changed => {
                let Agent::Mobile(old) = account.phone else {
                    return (
                        derive(self.world.seed, &[stream::DEVICE, u64::from(a), 2]),
                        account.phone,
                    );
                };
                let new = Agent::Mobile((old + 1) % crate::names::MOBILE_AGENTS.len() as u8);
                (
                    derive(self.world.seed, &[stream::DEVICE, u64::from(a), 2]),
                    new,
                )
            }
            _ => (
                derive(self.world.seed, &[stream::DEVICE, u64::from(a), 1]),
                account.phone,
            ),
        }
    }

    /// Where an honest sign-in comes from, and on which device.
    fn source_for(
        &self,
        a: u32,
        day: u32,
        local_hour: i64,
        weekend: bool,
        rng: &mut Rng,
        seen: &mut Behaviours,
    ) -> (Source, Agent, u64) {
        let account = &self.world.accounts[a as usize];
        let on_phone = rng.chance(f64::from(account.mobile_share));
        let (phone, phone_agent) = self.phone_device(a, day);
        let (device, agent) = if on_phone {
            (phone, phone_agent)
        } else {
            (self.desktop_device(a), account.desktop)
        };
        if let Some(trip) = self.trips.get(&a) {
            if (trip.first_day..=trip.last_day).contains(&day) {
                seen.record(Behaviour::Traveller, a);
                return (trip.hotel, agent, device);
            }
        }
        if let Some(e) = account.egress {
            if !weekend && (8..18).contains(&local_hour) && rng.chance(0.85) {
                let egress = self.world.egresses[e as usize];
                seen.record(
                    if egress.kind == NetworkKind::University {
                        Behaviour::University
                    } else {
                        Behaviour::CorporateNat
                    },
                    a,
                );
                return (egress.source, account.desktop, self.desktop_device(a));
            }
        }
        if account.vpn && rng.chance(0.5) {
            seen.record(Behaviour::VpnUser, a);
            // Honest VPN customers share the provider's first exits.
            let network = self.vpn[(a as usize) % self.vpn.len()];
            return (
                Source {
                    network,
                    host: rng.below(64),
                },
                agent,
                device,
            );
        }
        if on_phone {
            seen.record(Behaviour::CarrierCgnat, a);
            return (
                self.world.cgnat_source(account.carrier, rng.next_u64()),
                agent,
                device,
            );
        }
        (account.home, agent, device)
    }

    /// An honest sign-in: identifier, password (sometimes mistyped first), second factor,
    /// session.
    #[allow(clippy::too_many_arguments)]
    fn sign_in(
        &self,
        out: &mut Vec<SimEvent>,
        a: u32,
        mut time: i64,
        source: Source,
        agent: Agent,
        device: u64,
        typo_chance: f64,
        rng: &mut Rng,
        seen: &mut Behaviours,
    ) {
        let account = &self.world.accounts[a as usize];
        let session = rng.next_u64() | 1;
        let subject = Subject::Account(a);
        let event = |time, kind, outcome| {
            SimEvent::new(time, kind, outcome, subject, source, agent, Origin::Benign)
                .on(device, session)
        };
        if rng.chance(0.003) {
            // A mistyped address first: it does not exist, then the right one.
            let variant = rng.below(4) as u8;
            if !self
                .world
                .exists(&crate::world::mistyped(&account.address, variant))
            {
                out.push(
                    SimEvent::new(
                        time,
                        Kind::AccountLookup,
                        Outcome::Failure,
                        Subject::Mistyped(a, variant),
                        source,
                        agent,
                        Origin::Benign,
                    )
                    .on(device, session)
                    .failed(Reason::UnknownAccount),
                );
                seen.record(Behaviour::Typo, a);
                time += rng.range(4_000, 20_000);
            }
        }
        out.push(event(time, Kind::AccountLookup, Outcome::Success));
        time += rng.range(3_000, 12_000);
        if rng.chance(typo_chance) {
            out.push(event(time, Kind::AuthPassword, Outcome::Failure).failed(Reason::BadPassword));
            seen.record(Behaviour::Typo, a);
            time += rng.range(5_000, 30_000);
        }
        out.push(event(time, Kind::AuthPassword, Outcome::Success));
        if let Some(channel) = account.mfa {
            time += rng.range(4_000, 25_000);
            let target = if channel == Channel::Sms {
                Target::Phone
            } else {
                Target::None
            };
            out.push(event(time, Kind::AuthMfa, Outcome::Success).via(channel, target));
        }
        time += rng.range(200, 1_500);
        out.push(event(time, Kind::SessionStart, Outcome::Success));
    }

    fn special(
        &self,
        day: u32,
        day_start: i64,
        a: u32,
        special: Special,
        out: &mut Vec<SimEvent>,
        seen: &mut Behaviours,
    ) {
        let world = self.world;
        let account = &world.accounts[a as usize];
        let mut rng = Rng::for_path(
            world.seed,
            &[
                stream::SPECIALS,
                u64::from(day),
                u64::from(a),
                special_label(special),
            ],
        );
        let local_hour = 9 + rng.below(12) as i64;
        let mut time = self.local_time(day_start, account.place, local_hour, &mut rng);
        // Specials happen at home, on the usual computer (the help desk from its office).
        let device = self.desktop_device(a);
        let source = account.home;
        let agent = account.desktop;
        let session = rng.next_u64() | 1;
        let event = |time, kind, outcome| {
            SimEvent::new(
                time,
                kind,
                outcome,
                Subject::Account(a),
                source,
                agent,
                Origin::Benign,
            )
            .on(device, session)
        };
        match special {
            Special::ForgotPassword => {
                let Some((channel, target)) = recovery_channel(account) else {
                    return;
                };
                seen.record(Behaviour::ForgotPassword, a);
                out.push(event(time, Kind::AccountLookup, Outcome::Success));
                for _ in 0..rng.range(1, 3) {
                    time += rng.range(5_000, 40_000);
                    out.push(
                        event(time, Kind::AuthPassword, Outcome::Failure)
                            .failed(Reason::BadPassword),
                    );
                }
                time += rng.range(10_000, 60_000);
                out.push(event(time, Kind::RecoveryStart, Outcome::Success).via(channel, target));
                time += rng.range(2_000, 10_000);
                out.push(
                    event(time, Kind::RecoveryCodeSent, Outcome::Success).via(channel, target),
                );
                time += rng.range(30_000, 240_000);
                out.push(
                    event(time, Kind::RecoveryCodeVerify, Outcome::Success).via(channel, target),
                );
                time += rng.range(20_000, 90_000);
                out.push(event(time, Kind::RecoveryReset, Outcome::Success));
                time += rng.range(5_000, 30_000);
                out.push(event(time, Kind::AuthPassword, Outcome::Success));
                time += rng.range(200, 1_500);
                out.push(event(time, Kind::SessionStart, Outcome::Success));
            }
            Special::NewPhone => {
                seen.record(Behaviour::NewPhone, a);
                let (phone, agent) = self.phone_device(a, day);
                self.sign_in(out, a, time, source, agent, phone, 0.0, &mut rng, seen);
                if account.mfa == Some(Channel::App) {
                    let session_event = out.last().copied();
                    if let Some(last) = session_event {
                        out.push(
                            SimEvent {
                                time_ms: last.time_ms + rng.range(60_000, 600_000),
                                kind: Kind::AccountMfaChange,
                                ..last
                            }
                            .via(Channel::App, Target::None),
                        );
                    }
                }
            }
            Special::InboxRule | Special::AppConsent | Special::RecoveryInfoUpdate => {
                self.sign_in(out, a, time, source, agent, device, 0.0, &mut rng, seen);
                let Some(last) = out.last().copied() else {
                    return;
                };
                let after = last.time_ms + rng.range(30_000, 900_000);
                let (kind, behaviour, channel) = match special {
                    Special::InboxRule => (Kind::MailboxRuleCreate, Behaviour::InboxRule, None),
                    Special::AppConsent => (Kind::AppConsent, Behaviour::AppConsent, None),
                    _ => (
                        Kind::AccountRecoveryInfoChange,
                        Behaviour::RecoveryInfoUpdate,
                        recovery_channel(account),
                    ),
                };
                let mut change = SimEvent {
                    time_ms: after,
                    kind,
                    ..last
                };
                if let Some((channel, target)) = channel {
                    change = change.via(channel, target);
                }
                out.push(change);
                seen.record(behaviour, a);
            }
            Special::HelpdeskShift(member) => {
                seen.record(Behaviour::Helpdesk, member);
                let office = account
                    .egress
                    .map(|e| world.egresses[e as usize].source)
                    .unwrap_or(account.home);
                let n = world.accounts.len() as u64;
                let tickets = rng.poisson((n as f64 / 12_000.0).clamp(3.0, 40.0));
                for _ in 0..tickets {
                    time += rng.range(120_000, 1_800_000);
                    let helped = rng.below(n) as u32;
                    if helped == member || self.quiet_from.contains_key(&helped) {
                        continue;
                    }
                    seen.record(Behaviour::HelpdeskAssisted, helped);
                    let act = |time, kind| {
                        let mut event = SimEvent::new(
                            time,
                            kind,
                            Outcome::Success,
                            Subject::Account(helped),
                            office,
                            account.desktop,
                            Origin::Benign,
                        );
                        event.actor = Some(member);
                        event.session = session;
                        event
                    };
                    out.push(act(time, Kind::AccountLookup));
                    match rng.below(10) {
                        0..4 => {
                            out.push(act(time + rng.range(30_000, 300_000), Kind::RecoveryReset))
                        }
                        4..6 => out.push(
                            act(time + rng.range(30_000, 300_000), Kind::AccountMfaChange)
                                .via(Channel::App, Target::None),
                        ),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Help-desk staff: a few per 100,000 accounts, at least two. Campaigns leave them alone so
/// that the truth about them stays simple.
pub fn help_desk_staff(world: &World) -> Vec<u32> {
    let mut rng = Rng::for_path(world.seed, &[stream::STAFF]);
    let n = world.accounts.len();
    let count = (n / 25_000).max(2).min(n);
    rng.sample_indices(n, count)
        .into_iter()
        .map(|a| a as u32)
        .collect()
}

fn special_label(special: Special) -> u64 {
    match special {
        Special::ForgotPassword => 1,
        Special::NewPhone => 2,
        Special::InboxRule => 3,
        Special::AppConsent => 4,
        Special::RecoveryInfoUpdate => 5,
        Special::HelpdeskShift(_) => 6,
    }
}

/// The channel recovery codes go to: the recovery mailbox when there is one, else the phone.
pub fn recovery_channel(account: &crate::world::Account) -> Option<(Channel, Target)> {
    if account.recovery_email.is_some() {
        Some((Channel::Email, Target::RecoveryEmail))
    } else if account.phone_number.is_some() {
        Some((Channel::Sms, Target::Phone))
    } else {
        None
    }
}
