//! Credential stuffing: address and password pairs from other sites' breaches, each tried once,
//! through thousands of residential proxies so that every address makes only a try or two. Many
//! addresses do not exist here; the few people who reused a password fall, unless a second
//! factor stops the attacker.

use forewarn_model::{Channel, Kind, Outcome, Reason};

use super::{scaled, Parameter, Params, Plan, Scenario, DAY_MS};
use crate::networks::NetworkKind;
use crate::world::{Subject, Target};

pub struct Stuffing;

impl Scenario for Stuffing {
    fn name(&self) -> &'static str {
        "stuffing"
    }

    fn summary(&self) -> &'static str {
        "breached address/password pairs tried once each through thousands of residential proxies"
    }

    fn parameters(&self, accounts: u32, _days: u32) -> Vec<Parameter> {
        vec![
            Parameter {
                name: "targets",
                default: scaled(3_000.0, accounts, 20.0),
                help: "existing accounts in the combo list",
            },
            Parameter {
                name: "nonexistent",
                default: 1.0,
                help: "non-existent addresses per existing one in the list",
            },
            Parameter {
                name: "reused",
                default: scaled(20.0, accounts, 2.0),
                help: "accounts whose breached password is still theirs",
            },
            Parameter {
                name: "addresses",
                default: scaled(2_000.0, accounts, 20.0),
                help: "residential proxy addresses",
            },
            Parameter {
                name: "days",
                default: 3.0,
                help: "how many days the run lasts",
            },
        ]
    }

    fn plan(&self, plan: &mut Plan<'_>, params: &Params) {
        let world = plan.world;
        // Half the reused passwords belong to people without a second factor, who fall; the
        // second factor stops the attacker at the others.
        let count = params.count("reused");
        let mut reused = plan.victims(count.div_ceil(2), |a| {
            world.accounts[a as usize].mfa.is_none()
        });
        reused.extend(plan.victims(count / 2, |a| world.accounts[a as usize].mfa.is_some()));
        let others = plan.victims(params.count("targets").saturating_sub(reused.len()), |_| {
            true
        });
        let mut subjects: Vec<Subject> = reused
            .iter()
            .chain(&others)
            .map(|&a| Subject::Account(a))
            .collect();
        let ghosts = (subjects.len() as f64 * params.get("nonexistent")).round() as usize;
        subjects.extend(plan.listed_ghosts(ghosts, |first, last, i| {
            format!("{first}{last}{}", 1960 + i % 50 + (i / 50) * 100)
        }));
        plan.rng.shuffle(&mut subjects);
        let addresses = plan.addresses(
            params.count("addresses").max(1),
            &[NetworkKind::Residential, NetworkKind::Mobile],
        );
        let span_days = params.get("days").clamp(1.0, f64::from(plan.days.max(1)));
        let first_day = plan.rng.below(u64::from(plan.days) - span_days as u64 + 1) as i64;
        let start = plan.start_ms + first_day * DAY_MS;
        let span = (span_days * DAY_MS as f64) as i64;
        for (i, &subject) in subjects.iter().enumerate() {
            let time =
                start + span * i as i64 / subjects.len().max(1) as i64 + plan.rng.range(0, 30_000);
            let source = *plan.rng.pick(&addresses);
            let agent = plan.attacker_agent(&[2, 4, 0, 5]);
            let attempt = plan.event(
                time,
                Kind::AuthPassword,
                Outcome::Success,
                subject,
                source,
                agent,
            );
            match subject {
                Subject::Account(a) if reused.contains(&a) => {
                    let session = plan.rng.next_u64() | 1;
                    let device = plan.new_device();
                    plan.push(attempt.on(device, session));
                    match world.accounts[a as usize].mfa {
                        // The second factor holds: nobody approves a push they did not ask for.
                        Some(channel) => plan.push(
                            plan.event(
                                time + 2_000,
                                Kind::AuthMfa,
                                Outcome::Failure,
                                subject,
                                source,
                                agent,
                            )
                            .on(device, session)
                            .via(
                                channel,
                                if channel == Channel::Sms {
                                    Target::Phone
                                } else {
                                    Target::None
                                },
                            )
                            .failed(Reason::MfaTimeout),
                        ),
                        None => {
                            plan.push(
                                plan.event(
                                    time + 900,
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
                    }
                }
                Subject::Account(_) => plan.push(attempt.failed(Reason::BadPassword)),
                _ => plan.push(attempt.failed(Reason::UnknownAccount)),
            }
        }
    }
}
