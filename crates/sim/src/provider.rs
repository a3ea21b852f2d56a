//! The identity provider's own risk engine, as the logs show it: Google's `is_suspicious`,
//! Okta's `debugContext.debugData.risk`, Entra ID's `riskLevelDuringSignIn`, Auth0's
//! `riskAssessment`.
//!
//! A provider sees what its logs leave out (the device cookie of every sign-in, years of
//! history before the window), and flags a granted session when its properties are
//! unfamiliar for the account: a device it has never seen, from a network (AS) it has never
//! seen the account on, `medium`; from a hosting network, `high`; and, as real engines flag
//! atypical travel, a third of the sessions from a country it has never seen the account in,
//! on a device it knows, `medium`. It judges honest people by the same rules: a traveller's
//! first sign-in abroad is often flagged, one who buys a phone there always. The engine learns from every session it
//! grants, flagged or not, as the real ones learn from sessions the user does not dispute.
//!
//! It knows nothing of the scenarios: it reads the events in time order, as a provider would.

use std::collections::HashMap;

use forewarn_model::{Kind, Outcome, Risk};

use crate::benign::Benign;
use crate::networks::{NetworkKind, NETWORKS};
use crate::rng::mix;
use crate::world::{SimEvent, Subject};

/// What the provider knows of one account.
#[derive(Default)]
struct Familiar {
    devices: Vec<u64>,
    asns: Vec<u32>,
    countries: Vec<&'static str>,
}

/// Flags granted sessions whose device and network are both new to the account.
pub struct RiskEngine<'b, 'w> {
    benign: &'b Benign<'w>,
    accounts: HashMap<u32, Familiar>,
}

impl<'b, 'w> RiskEngine<'b, 'w> {
    pub fn new(benign: &'b Benign<'w>) -> Self {
        RiskEngine {
            benign,
            accounts: HashMap::new(),
        }
    }

    /// Sets the risk of the sessions in `events`, which are in time order and follow every
    /// event assessed before.
    pub fn assess(&mut self, events: &mut [SimEvent]) {
        for event in events {
            let Subject::Account(a) = event.subject else {
                continue;
            };
            if event.kind != Kind::SessionStart
                || event.outcome != Outcome::Success
                || event.actor.is_some()
            {
                continue;
            }
            let benign = self.benign;
            // What the provider learned before the window: the person's habits.
            let familiar = self.accounts.entry(a).or_insert_with(|| {
                let habits = benign.habits(a);
                let networks = habits.networks.iter().map(|&n| &NETWORKS[usize::from(n)]);
                Familiar {
                    devices: habits.devices,
                    asns: networks.clone().map(|n| n.asn).collect(),
                    countries: networks.map(|n| n.country).collect(),
                }
            });
            let network = &NETWORKS[usize::from(event.source.network)];
            let new_device = event.device == 0 || !familiar.devices.contains(&event.device);
            let new_network = !familiar.asns.contains(&network.asn);
            let new_country = !familiar.countries.contains(&network.country);
            // Which sessions abroad look atypical is the engine's own business: a hash.
            let atypical = mix(event.time_ms as u64 ^ u64::from(a)) % 3 == 0;
            event.risk = match (new_device, new_network, network.kind) {
                (true, true, NetworkKind::Hosting) => Some(Risk::High),
                (true, true, _) => Some(Risk::Medium),
                _ if new_country && atypical => Some(Risk::Medium),
                _ => None,
            };
            if event.device != 0 && new_device {
                familiar.devices.push(event.device);
            }
            if new_network {
                familiar.asns.push(network.asn);
            }
            if new_country {
                familiar.countries.push(network.country);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use forewarn_model::{Kind, Outcome};

    use super::*;
    use crate::names::Agent;
    use crate::networks::{of_kind, NetworkId};
    use crate::world::{Origin, Source, World, WorldConfig};

    fn session(a: u32, source: Source, device: u64) -> SimEvent {
        SimEvent::new(
            0,
            Kind::SessionStart,
            Outcome::Success,
            Subject::Account(a),
            source,
            Agent::Desktop(0),
            Origin::Benign,
        )
        .on(device, 1)
    }

    fn world() -> World {
        World::build(&WorldConfig {
            seed: 7,
            accounts: 200,
            domain: "example.com".into(),
        })
    }

    fn knows(benign: &Benign<'_>, a: u32, n: NetworkId) -> bool {
        benign
            .habits(a)
            .networks
            .iter()
            .any(|&h| NETWORKS[usize::from(h)].asn == NETWORKS[usize::from(n)].asn)
    }

    #[test]
    fn flags_a_new_device_on_a_new_network_once_and_not_the_owners_habits() {
        let world = world();
        let benign = Benign::new(&world, 0, 0, 30);
        let mut engine = RiskEngine::new(&benign);
        // An owner with another broadband provider in their own country, unknown to them
        // and to a second account.
        let (owner, elsewhere) = (0..200u32)
            .find_map(|a| {
                let country =
                    NETWORKS[usize::from(world.accounts[a as usize].home.network)].country;
                of_kind(NetworkKind::Residential, Some(country))
                    .into_iter()
                    .find(|&n| !knows(&benign, a, n) && !knows(&benign, a + 1, n))
                    .map(|n| (a, n))
            })
            .expect("a country with two broadband providers");
        let home = world.accounts[owner as usize].home;
        let laptop = benign.habits(owner).devices[0];
        let stranger = Source {
            network: elsewhere,
            host: 9,
        };
        let mut events = vec![
            // The owner at home on the usual laptop.
            session(owner, home, laptop),
            // A new phone at home: the network is known.
            session(owner, home, 0xfeed),
            // The usual laptop on another network at home (a friend's).
            session(owner, stranger, laptop),
            // Somebody else's device there.
            session(
                owner,
                Source {
                    host: 10,
                    ..stranger
                },
                0xbad,
            ),
        ];
        engine.assess(&mut events);
        let risks: Vec<_> = events.iter().map(|e| e.risk).collect();
        assert_eq!(
            risks,
            [None, None, None, None],
            "the friend's taught it the network"
        );

        let mut attacker = vec![
            session(owner + 1, stranger, 0xbad),
            session(owner + 1, stranger, 0xbad),
        ];
        engine.assess(&mut attacker);
        assert_eq!(attacker[0].risk, Some(Risk::Medium));
        assert_eq!(
            attacker[1].risk, None,
            "learned from the session it granted"
        );
    }

    #[test]
    fn flags_some_first_sessions_abroad_on_the_usual_device() {
        let world = world();
        let benign = Benign::new(&world, 0, 0, 30);
        let mut engine = RiskEngine::new(&benign);
        let mut events: Vec<SimEvent> = (0..200u32)
            .filter_map(|a| {
                let account = &world.accounts[a as usize];
                let home = NETWORKS[usize::from(account.home.network)].country;
                // A hotel on a network they know the AS of would not be new: skip those.
                let abroad = of_kind(NetworkKind::Residential, None)
                    .into_iter()
                    .find(|&n| NETWORKS[usize::from(n)].country != home && !knows(&benign, a, n))?;
                let laptop = benign.habits(a).devices[0];
                let mut first = session(
                    a,
                    Source {
                        network: abroad,
                        host: 1,
                    },
                    laptop,
                );
                first.time_ms = i64::from(a) * 1_000;
                Some([
                    first,
                    SimEvent {
                        time_ms: first.time_ms + 1,
                        ..first
                    },
                ])
            })
            .flatten()
            .collect();
        engine.assess(&mut events);
        let first_flagged = events
            .iter()
            .step_by(2)
            .filter(|e| e.risk.is_some())
            .count();
        let trips = events.len() / 2;
        assert!(trips > 100, "{trips}");
        assert!(
            (trips / 6..trips / 2).contains(&first_flagged),
            "{first_flagged} of {trips} first sessions abroad flagged"
        );
        assert!(
            events.iter().skip(1).step_by(2).all(|e| e.risk.is_none()),
            "a second session in the same country is familiar"
        );
    }
}
