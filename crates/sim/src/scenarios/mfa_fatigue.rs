//! MFA fatigue: the attacker has the password and sends push after push, late in the victim's
//! evening, until a tired person approves one. Then it enrols its own authenticator.

use forewarn_model::{Channel, Kind, Outcome, Reason};

use super::{scaled, Parameter, Params, Plan, Scenario, MINUTE_MS};
use crate::networks::{NetworkKind, PLACES};
use crate::world::{Subject, Target};

pub struct MfaFatigue;

impl Scenario for MfaFatigue {
    fn name(&self) -> &'static str {
        "mfa_fatigue"
    }

    fn summary(&self) -> &'static str {
        "known password, then push after push at night until one is approved"
    }

    fn parameters(&self, accounts: u32, _days: u32) -> Vec<Parameter> {
        vec![
            Parameter {
                name: "targets",
                default: scaled(10.0, accounts, 2.0),
                help: "accounts with push MFA whose password the attacker has",
            },
            Parameter {
                name: "compromised",
                default: scaled(4.0, accounts, 1.0),
                help: "of those, accounts where a push is approved",
            },
            Parameter {
                name: "pushes",
                default: 12.0,
                help: "mean pushes sent per account",
            },
        ]
    }

    fn plan(&self, plan: &mut Plan<'_>, params: &Params) {
        let world = plan.world;
        let push_mfa = |a: u32| world.accounts[a as usize].mfa == Some(Channel::App);
        let targets = plan.victims(params.count("targets"), push_mfa);
        let approves = params.count("compromised").min(targets.len());
        let addresses = plan.addresses(targets.len().div_ceil(2).max(1), &[NetworkKind::Vpn]);
        for (n, &a) in targets.iter().enumerate() {
            let account = &world.accounts[a as usize];
            let subject = Subject::Account(a);
            let source = addresses[n % addresses.len()];
            let agent = plan.attacker_agent(&[0, 3]);
            let device = plan.new_device();
            let session = plan.rng.next_u64() | 1;
            let day = plan.rng.below(u64::from(plan.days.max(1))) as u32;
            // Late evening where the victim lives.
            let offset = PLACES[usize::from(account.place)].utc_offset_minutes;
            let mut time = plan.working_time(day, offset, (22, 24), [7, 7]);
            let step = |plan: &Plan<'_>, time, kind, outcome| {
                plan.event(time, kind, outcome, subject, source, agent)
                    .on(device, session)
            };
            plan.push(step(plan, time, Kind::AuthPassword, Outcome::Success));
            let pushes = 3 + plan.rng.poisson((params.get("pushes") - 3.0).max(0.0));
            let approved = n < approves;
            for push in 0..pushes {
                time += plan.rng.range(20_000, 4 * MINUTE_MS);
                // A push sent is an MFA challenge (auth.mfa success with its channel).
                plan.push(
                    step(plan, time, Kind::AuthMfa, Outcome::Success)
                        .via(Channel::App, Target::None),
                );
                time += plan.rng.range(5_000, 60_000);
                if approved && push + 1 == pushes {
                    plan.push(
                        step(plan, time, Kind::AuthMfa, Outcome::Success)
                            .via(Channel::App, Target::None),
                    );
                    time += plan.rng.range(200, 1_500);
                    plan.push(step(plan, time, Kind::SessionStart, Outcome::Success));
                    plan.took_over(a, time);
                    time += plan.rng.range(2 * MINUTE_MS, 15 * MINUTE_MS);
                    plan.push(
                        step(plan, time, Kind::AccountMfaChange, Outcome::Success)
                            .via(Channel::App, Target::None),
                    );
                } else {
                    let reason = if plan.rng.chance(0.6) {
                        Reason::MfaTimeout
                    } else {
                        Reason::MfaDenied
                    };
                    plan.push(
                        step(plan, time, Kind::AuthMfa, Outcome::Failure)
                            .via(Channel::App, Target::None)
                            .failed(reason),
                    );
                }
            }
        }
    }
}
