//! Brute force: hundreds of passwords against a handful of accounts from one or two servers,
//! fast, until the account locks; the attacker waits out the lock and goes on. One weak
//! password falls.

use forewarn_model::{Kind, Outcome, Reason};

use super::{scaled, Parameter, Params, Plan, Scenario, MINUTE_MS};
use crate::networks::NetworkKind;
use crate::world::Subject;

pub struct BruteForce;

/// Failures before the account locks, and how long it stays locked.
const LOCK_AFTER: u32 = 10;
const LOCK_MS: i64 = 30 * MINUTE_MS;

impl Scenario for BruteForce {
    fn name(&self) -> &'static str {
        "brute_force"
    }

    fn summary(&self) -> &'static str {
        "hundreds of passwords against a few accounts from one or two servers, through lockouts"
    }

    fn parameters(&self, accounts: u32, _days: u32) -> Vec<Parameter> {
        vec![
            Parameter {
                name: "targets",
                default: scaled(8.0, accounts, 2.0),
                help: "accounts attacked",
            },
            Parameter {
                name: "attempts",
                default: 150.0,
                help: "passwords tried per account",
            },
            Parameter {
                name: "compromised",
                default: 1.0,
                help: "accounts whose password is found (the last try)",
            },
            Parameter {
                name: "addresses",
                default: 2.0,
                help: "server addresses",
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
        let addresses = plan.addresses(params.count("addresses").max(1), &[NetworkKind::Hosting]);
        let agent = plan.attacker_agent(&[2, 4]);
        let attempts = params.count("attempts").max(1);
        for (n, &a) in compromised.iter().chain(&others).enumerate() {
            let subject = Subject::Account(a);
            let source = addresses[n % addresses.len()];
            let day = plan.rng.below(u64::from(plan.days.max(1))) as u32;
            let mut time = plan.working_time(day, 0, (0, 24), [7, 7]);
            let mut failures = 0;
            let mut locked_until = 0;
            for attempt in 0..attempts {
                time += plan.rng.range(1_500, 6_000);
                let event = plan.event(
                    time,
                    Kind::AuthPassword,
                    Outcome::Success,
                    subject,
                    source,
                    agent,
                );
                if attempt + 1 == attempts && compromised.contains(&a) {
                    let session = plan.rng.next_u64() | 1;
                    plan.push(event.on(0, session));
                    plan.push(
                        plan.event(
                            time + 700,
                            Kind::SessionStart,
                            Outcome::Success,
                            subject,
                            source,
                            agent,
                        )
                        .on(0, session),
                    );
                    plan.took_over(a, time);
                    break;
                }
                if time < locked_until {
                    // A few tries hit the lock; then the tool waits it out.
                    plan.push(event.failed(Reason::Locked));
                    if plan.rng.chance(0.5) {
                        time = locked_until;
                    }
                    continue;
                }
                plan.push(event.failed(Reason::BadPassword));
                failures += 1;
                if failures % LOCK_AFTER == 0 {
                    plan.push(plan.event(
                        time + 100,
                        Kind::AccountLockout,
                        Outcome::Success,
                        subject,
                        source,
                        agent,
                    ));
                    locked_until = time + LOCK_MS;
                }
            }
        }
    }
}
