//! Password spraying: a few common passwords tried against thousands of accounts, one or two
//! tries each, in rounds a few days apart, rotating through rented servers so that no address
//! and no account sees many failures. A few accounts without a second factor fall.

use forewarn_model::{Kind, Outcome, Reason};

use super::{scaled, Parameter, Params, Plan, Scenario, DAY_MS};
use crate::networks::NetworkKind;
use crate::world::Subject;

pub struct Spray;

impl Scenario for Spray {
    fn name(&self) -> &'static str {
        "spray"
    }

    fn summary(&self) -> &'static str {
        "a few common passwords across thousands of accounts, low per account and per address"
    }

    fn parameters(&self, accounts: u32, _days: u32) -> Vec<Parameter> {
        vec![
            Parameter {
                name: "targets",
                default: scaled(6_000.0, accounts, 30.0),
                help: "existing accounts sprayed",
            },
            Parameter {
                name: "nonexistent",
                default: 0.1,
                help: "share of sprayed addresses that do not exist (stale lists)",
            },
            Parameter {
                name: "compromised",
                default: scaled(6.0, accounts, 1.0),
                help: "accounts whose password was one of those tried",
            },
            Parameter {
                name: "addresses",
                default: scaled(40.0, accounts, 5.0),
                help: "server addresses rotated through",
            },
            Parameter {
                name: "rounds",
                default: 3.0,
                help: "spray rounds (one password each), days apart",
            },
        ]
    }

    fn plan(&self, plan: &mut Plan<'_>, params: &Params) {
        let world = plan.world;
        let compromised = plan.victims(params.count("compromised"), |a| {
            world.accounts[a as usize].mfa.is_none()
        });
        let others = plan.victims(
            params.count("targets").saturating_sub(compromised.len()),
            |_| true,
        );
        let mut subjects: Vec<Subject> = compromised
            .iter()
            .chain(&others)
            .map(|&a| Subject::Account(a))
            .collect();
        let ghosts = (subjects.len() as f64 * params.get("nonexistent")).round() as usize;
        subjects.extend(plan.listed_ghosts(ghosts, |first, last, i| {
            format!("{first}.{last}.{}", 100 + i)
        }));
        let addresses = plan.addresses(params.count("addresses").max(1), &[NetworkKind::Hosting]);
        let agent = plan.attacker_agent(&[2]);
        let rounds = params.count("rounds").max(1);
        let days = u64::from(plan.days.max(1));
        for round in 0..rounds {
            plan.rng.shuffle(&mut subjects);
            let day = (days * round as u64 / rounds as u64
                + plan.rng.below((days / rounds as u64).max(1))) as i64;
            let mut time = plan.start_ms
                + day.min(days as i64 - 1) * DAY_MS
                + plan.rng.range(0, 20 * 3_600_000);
            // Each round takes a few hours: one try per account, spread over the addresses.
            let step = (4 * 3_600_000 / subjects.len().max(1) as i64).max(50);
            for (i, &subject) in subjects.iter().enumerate() {
                time += plan.rng.range(step / 2, step * 3 / 2);
                let source = addresses[i % addresses.len()];
                let cracked = round + 1 == rounds
                    && matches!(subject, Subject::Account(a) if compromised.contains(&a));
                let attempt = plan.event(
                    time,
                    Kind::AuthPassword,
                    Outcome::Success,
                    subject,
                    source,
                    agent,
                );
                match subject {
                    Subject::Account(a) if cracked => {
                        let session = plan.rng.next_u64() | 1;
                        let device = plan.new_device();
                        plan.push(attempt.on(device, session));
                        plan.push(
                            plan.event(
                                time + 800,
                                Kind::SessionStart,
                                Outcome::Success,
                                subject,
                                source,
                                agent,
                            )
                            .on(device, session),
                        );
                        plan.took_over(a, time);
                    }
                    Subject::Account(_) => plan.push(attempt.failed(Reason::BadPassword)),
                    _ => plan.push(attempt.failed(Reason::UnknownAccount)),
                }
            }
        }
    }
}
