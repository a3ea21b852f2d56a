//! The campaign the project exists for: Microsoft's account of Phosphorus (APT35), August and
//! September 2019. Over 30 days it tried to identify 2,700+ specific people's accounts by
//! guessing their addresses, attacked 241 of them through the password-reset and recovery
//! flows, and took over 4.
//!
//! Low and slow, from a few dozen VPS and VPN addresses, in Tehran office hours (UTC+4:30 in
//! summer, Saturday to Wednesday):
//! - identification: for each target, guessed permutations of their name (most do not exist),
//!   then the real address; often a recovery flow started only to read the masked recovery
//!   email and phone, then abandoned;
//! - attack, days later from another address: a few passwords, then a recovery code sent to the
//!   secondary mailbox or by SMS, and a wrong code;
//! - takeover where the attacker holds the secondary mailbox (at another provider, or — the
//!   chain — another account of this provider it took first) or the phone number: code
//!   verified, password reset, session, then a forwarding rule and a new recovery address.

use forewarn_model::{Channel, Kind, Outcome, Reason};

use super::{
    persist, recovery_attempt, scaled, Parameter, Params, Plan, Scenario, DAY_MS, MINUTE_MS,
};
use crate::benign::recovery_channel;
use crate::names::{FIRST_NAMES, LAST_NAMES};
use crate::networks::NetworkKind;
use crate::world::{address_patterns, RecoveryEmail, Subject, Target};

pub struct Phosphorus;

/// Tehran summer time, and Iran's Thursday–Friday weekend (0 = Monday).
const TEHRAN_OFFSET_MINUTES: i32 = 270;
const TEHRAN_WEEKEND: [u32; 2] = [3, 4];
const OFFICE_HOURS: (i64, i64) = (8, 17);

impl Scenario for Phosphorus {
    fn name(&self) -> &'static str {
        "phosphorus"
    }

    fn summary(&self) -> &'static str {
        "targeted identification by guessed addresses, recovery-flow abuse, secondary-mailbox takeover"
    }

    fn parameters(&self, accounts: u32, _days: u32) -> Vec<Parameter> {
        vec![
            Parameter { name: "identified", default: scaled(2_700.0, accounts, 10.0), help: "existing accounts probed (2,700 at 200,000 accounts)" },
            Parameter { name: "attacked", default: scaled(241.0, accounts, 3.0), help: "of those, accounts attacked (241 at 200,000)" },
            Parameter { name: "compromised", default: scaled(4.0, accounts, 2.0), help: "of those, accounts taken over (4 at 200,000); the first two are a recovery chain" },
            Parameter { name: "addresses", default: 36.0, help: "VPS and VPN addresses the campaign uses" },
            Parameter { name: "guesses", default: 3.0, help: "mean non-existent address permutations guessed per target" },
            Parameter { name: "reveal", default: 0.6, help: "share of targets whose recovery flow is started to reveal the masked channels" },
        ]
    }

    fn plan(&self, plan: &mut Plan<'_>, params: &Params) {
        let world = plan.world;
        let identified = params.count("identified");
        let attacked = params.count("attacked").min(identified);
        let compromised = params.count("compromised").min(attacked);
        let has_channel = |a: u32| recovery_channel(&world.accounts[a as usize]).is_some();

        // The takeovers first: a chain (the secondary mailbox is another account here), then
        // accounts whose recovery mailbox or phone the attacker holds.
        let mut taken_over = Vec::new();
        let mut chain_primary = None;
        if compromised >= 2 {
            let primary = plan.victims(1, |a| match world.accounts[a as usize].recovery_email {
                Some(RecoveryEmail::Internal(b)) => b != a,
                _ => false,
            });
            if let Some(&a) = primary.first() {
                if let Some(RecoveryEmail::Internal(b)) = world.accounts[a as usize].recovery_email
                {
                    if plan.claim(b) {
                        // The secondary falls first, then the primary through it.
                        taken_over.push((b, Route::Password));
                        taken_over.push((a, Route::Recovery));
                        chain_primary = Some(a);
                    }
                }
            }
        }
        let rest = compromised - taken_over.len();
        for a in plan.victims(rest, has_channel) {
            taken_over.push((a, Route::Recovery));
        }
        let attacked_only = plan.victims(attacked - taken_over.len().min(attacked), |_| true);
        let probed_only = plan.victims(
            identified - attacked.max(taken_over.len()).min(identified),
            |_| true,
        );

        let addresses = plan.addresses(
            params.count("addresses").max(1),
            &[NetworkKind::Hosting, NetworkKind::Vpn],
        );
        let browsers = [0u8, 1, 3];
        let last_day = plan.last_day();
        // Leave room after the last probe for the attack and the takeover.
        let probe_days = (f64::from(plan.days) * 0.7).max(1.0) as u64;

        let mut targets: Vec<(u32, Option<Route>, bool)> = Vec::new();
        targets.extend(taken_over.iter().map(|&(a, route)| (a, Some(route), true)));
        targets.extend(attacked_only.iter().map(|&a| (a, None, true)));
        targets.extend(probed_only.iter().map(|&a| (a, None, false)));

        let mut chain_secondary_taken_at = None;
        for (a, route, attack) in targets {
            let account = &world.accounts[a as usize];
            // Identification: guessed permutations, then the real address.
            let day = plan.rng.below(probe_days) as u32;
            let mut time =
                plan.working_time(day, TEHRAN_OFFSET_MINUTES, OFFICE_HOURS, TEHRAN_WEEKEND);
            let source = *plan.rng.pick(&addresses);
            let agent = plan.attacker_agent(&browsers);
            let first = FIRST_NAMES[usize::from(account.first)];
            let last = LAST_NAMES[usize::from(account.last)];
            let domain = &world.domain;
            let mut guesses: Vec<String> = address_patterns(first, last)
                .iter()
                .map(|local| format!("{local}@{domain}"))
                .filter(|address| !world.exists(address))
                .collect();
            plan.rng.shuffle(&mut guesses);
            let wanted = 1 + plan.rng.poisson((params.get("guesses") - 1.0).max(0.0)) as usize;
            for guess in guesses.into_iter().take(wanted) {
                let ghost = plan.ghost(guess);
                plan.push(
                    plan.event(
                        time,
                        Kind::AccountLookup,
                        Outcome::Failure,
                        ghost,
                        source,
                        agent,
                    )
                    .failed(Reason::UnknownAccount),
                );
                time += plan.rng.range(MINUTE_MS, 15 * MINUTE_MS);
            }
            let subject = Subject::Account(a);
            plan.push(plan.event(
                time,
                Kind::AccountLookup,
                Outcome::Success,
                subject,
                source,
                agent,
            ));
            if let Some((channel, target)) = recovery_channel(account) {
                if attack || plan.rng.chance(params.get("reveal")) {
                    time += plan.rng.range(MINUTE_MS, 10 * MINUTE_MS);
                    // Started only to read the masked channels: abandoned at once.
                    plan.push(
                        plan.event(
                            time,
                            Kind::RecoveryStart,
                            Outcome::Success,
                            subject,
                            source,
                            agent,
                        )
                        .via(channel, target),
                    );
                }
            }
            if !attack {
                continue;
            }

            // The attack, days later, from another address.
            let attack_day = (day + 1 + plan.rng.below(5) as u32).min(last_day);
            let mut time = plan
                .working_time(
                    attack_day,
                    TEHRAN_OFFSET_MINUTES,
                    OFFICE_HOURS,
                    TEHRAN_WEEKEND,
                )
                .max(time + 2 * 3_600_000);
            let source = *plan.rng.pick(&addresses);
            let agent = plan.attacker_agent(&browsers);
            let device = plan.new_device();
            let session = plan.rng.next_u64() | 1;
            plan.push(
                plan.event(
                    time,
                    Kind::AccountLookup,
                    Outcome::Success,
                    subject,
                    source,
                    agent,
                )
                .on(device, session),
            );
            let passwords = match route {
                Some(Route::Password) => 1,
                _ => plan.rng.range(1, 3),
            };
            for _ in 0..passwords {
                time += plan.rng.range(20_000, 180_000);
                plan.push(
                    plan.event(
                        time,
                        Kind::AuthPassword,
                        Outcome::Failure,
                        subject,
                        source,
                        agent,
                    )
                    .on(device, session)
                    .failed(Reason::BadPassword),
                );
            }
            match route {
                None => {
                    if let Some((channel, target)) = recovery_channel(account) {
                        time += plan.rng.range(MINUTE_MS, 20 * MINUTE_MS);
                        recovery_attempt(plan, time, a, source, agent, channel, target, false);
                    }
                }
                Some(Route::Password) => {
                    // The secondary mailbox: its password was phished; the next try works.
                    time += plan.rng.range(DAY_MS, 2 * DAY_MS);
                    let device = plan.new_device();
                    let session = plan.rng.next_u64() | 1;
                    plan.push(
                        plan.event(
                            time,
                            Kind::AuthPassword,
                            Outcome::Success,
                            subject,
                            source,
                            agent,
                        )
                        .on(device, session),
                    );
                    time += plan.rng.range(200, 1_500);
                    plan.push(
                        plan.event(
                            time,
                            Kind::SessionStart,
                            Outcome::Success,
                            subject,
                            source,
                            agent,
                        )
                        .on(device, session),
                    );
                    plan.took_over(a, time);
                    chain_secondary_taken_at = Some(time);
                    persist(
                        plan,
                        a,
                        source,
                        agent,
                        super::Foothold {
                            time,
                            device,
                            session,
                        },
                    );
                }
                Some(Route::Recovery) => {
                    let (channel, target) =
                        recovery_channel(account).unwrap_or((Channel::Sms, Target::Phone));
                    // Through the chain, the primary falls only after its secondary did.
                    let not_before = match chain_secondary_taken_at {
                        Some(t) if chain_primary == Some(a) => {
                            t + plan.rng.range(3_600_000, DAY_MS)
                        }
                        _ => time,
                    };
                    time = time.max(not_before) + plan.rng.range(MINUTE_MS, 30 * MINUTE_MS);
                    let foothold =
                        recovery_attempt(plan, time, a, source, agent, channel, target, true);
                    persist(plan, a, source, agent, foothold);
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// The password is known (phished): how the chain's secondary mailbox falls.
    Password,
    /// A recovery code to a mailbox or phone the attacker holds.
    Recovery,
}
