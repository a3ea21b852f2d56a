//! SIM swap: the attacker talks the carrier into moving the victim's number to its own SIM,
//! then resets the account by SMS from a new phone, and replaces the recovery phone and the
//! authenticator so the owner cannot come back. Some carriers refuse, and the codes go astray.

use forewarn_model::{Channel, Kind, Outcome, Reason};

use super::{recovery_attempt, scaled, Parameter, Params, Plan, Scenario, MINUTE_MS};
use crate::networks::{of_kind, NetworkKind, PLACES};
use crate::world::{Source, Subject, Target};

pub struct SimSwap;

impl Scenario for SimSwap {
    fn name(&self) -> &'static str {
        "sim_swap"
    }

    fn summary(&self) -> &'static str {
        "SMS recovery from a new phone after the number was moved, then recovery phone and MFA replaced"
    }

    fn parameters(&self, accounts: u32, _days: u32) -> Vec<Parameter> {
        vec![
            Parameter {
                name: "targets",
                default: scaled(6.0, accounts, 2.0),
                help: "accounts whose number the attacker tries to move",
            },
            Parameter {
                name: "compromised",
                default: scaled(4.0, accounts, 1.0),
                help: "of those, swaps that succeed",
            },
        ]
    }

    fn plan(&self, plan: &mut Plan<'_>, params: &Params) {
        let world = plan.world;
        let targets = plan.victims(params.count("targets"), |a| {
            let account = &world.accounts[a as usize];
            account.phone_number.is_some() && account.recovery_email.is_none()
        });
        let swapped = params.count("compromised").min(targets.len());
        for (n, &a) in targets.iter().enumerate() {
            let account = &world.accounts[a as usize];
            let country = PLACES[usize::from(account.place)].country;
            // The attacker's phone is on a mobile network of the victim's country.
            let carriers = of_kind(NetworkKind::Mobile, Some(country));
            let source = Source {
                network: *plan.rng.pick(&carriers),
                host: 5_000_000 + plan.rng.below(1 << 20),
            };
            plan.infrastructure.insert(source);
            let agent = plan.attacker_agent(&[5]);
            let subject = Subject::Account(a);
            let day = plan.rng.below(u64::from(plan.days.max(1))) as u32;
            let mut time = plan.working_time(
                day,
                PLACES[usize::from(account.place)].utc_offset_minutes,
                (9, 20),
                [7, 7],
            );
            plan.push(plan.event(
                time,
                Kind::AccountLookup,
                Outcome::Success,
                subject,
                source,
                agent,
            ));
            time += plan.rng.range(20_000, 90_000);
            let foothold = recovery_attempt(
                plan,
                time,
                a,
                source,
                agent,
                Channel::Sms,
                Target::Phone,
                n < swapped,
            );
            if n < swapped {
                let mut time = foothold.time + plan.rng.range(MINUTE_MS, 10 * MINUTE_MS);
                let step = |plan: &Plan<'_>, time, kind| {
                    plan.event(time, kind, Outcome::Success, subject, source, agent)
                        .on(foothold.device, foothold.session)
                };
                plan.push(
                    step(plan, time, Kind::AccountRecoveryInfoChange)
                        .via(Channel::Sms, Target::Attacker(Channel::Sms)),
                );
                time += plan.rng.range(MINUTE_MS, 10 * MINUTE_MS);
                plan.push(step(plan, time, Kind::AccountMfaChange).via(Channel::App, Target::None));
            } else {
                // The carrier refused: the code went to the real SIM; the attacker guesses.
                let time = foothold.time + plan.rng.range(30_000, 120_000);
                plan.push(
                    plan.event(
                        time,
                        Kind::RecoveryCodeVerify,
                        Outcome::Failure,
                        subject,
                        source,
                        agent,
                    )
                    .on(foothold.device, foothold.session)
                    .via(Channel::Sms, Target::Phone)
                    .failed(Reason::BadCode),
                );
            }
        }
    }
}
