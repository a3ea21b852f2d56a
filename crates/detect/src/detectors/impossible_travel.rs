//! Impossible travel: two sessions of one account in different countries, closer in time than
//! a flight could make (about 1,000 km/h), the later one on a device the account has never
//! used — someone else, elsewhere, using the account.
//!
//! Signals: `distance_km` (the least distance between the two countries), `hours` between the
//! sessions, `speed_kmh`. ATT&CK: T1078 (Valid Accounts).
//!
//! Logs give a country, not coordinates, so each country has one reference point (its main
//! city) and a radius its people live within: the distance that counts is the least one (the
//! points' distance less both radii), so neighbours are never judged, nor are countries missing
//! from the table.
//! Sessions through known VPN, relay and hosting networks, and from addresses that sessions of
//! many accounts come from (VPN exits, carrier CGNAT), say nothing of where the person is, and
//! are left out on both ends. A person travels with their devices (and a logged-in phone keeps
//! its device id through a flight), so the later session must be on a device the account has
//! never used. A destination the account then kept signing in from (on two days or more) is
//! where its owner really went (a trip with a new phone), and is dropped in hindsight.
//!
//! Known false positives: a VPN or relay on a network missing from `relay_asns`, first used on
//! a new device; a mis-located address block.

use forewarn_model::{Country, Kind, Outcome, RawRef};
use serde::{Deserialize, Serialize};

use super::account_novelty::{owners_place, RELAY_ASNS};
use super::{Detector, Verdict};
use crate::engine::State;
use crate::intern::Symbol;
use crate::observation::Observation;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Fastest plausible travel, km/h: a long-haul flight cruises at 900 km/h; with the time
    /// to and from airports no trip between countries is faster than 1,000 km/h door to door.
    pub max_speed_kmh: f64,
    /// An address with sessions of at least this many accounts is shared (VPN exit, CGNAT):
    /// its country is the network's, not the person's. Ten is far above a household.
    pub shared_source_accounts: usize,
    /// Networks (ASNs) whose addresses say nothing of where the person is: commercial VPNs,
    /// privacy relays, cloud hosting. Add your own VPN's here.
    pub relay_asns: Vec<u32>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_speed_kmh: 1_000.0,
            shared_source_accounts: 10,
            relay_asns: RELAY_ASNS.to_vec(),
        }
    }
}

/// Each country's reference point (latitude, longitude of its main city, or of its centre of
/// population for the United States) and how far (km) its people may live from it (overseas
/// territories aside), for the countries the simulator writes and those sign-in logs commonly
/// show. Unknown countries are never judged.
const REFERENCE_POINTS: &[(&str, f64, f64, f64)] = &[
    ("AE", 25.2, 55.3, 300.0),
    ("AR", -34.6, -58.4, 2000.0),
    ("AT", 48.2, 16.4, 400.0),
    ("AU", -33.9, 151.2, 3000.0),
    ("BD", 23.8, 90.4, 300.0),
    ("BE", 50.8, 4.4, 150.0),
    ("BR", -23.5, -46.6, 2500.0),
    ("CA", 43.7, -79.4, 3500.0),
    ("CH", 46.9, 7.4, 200.0),
    ("CL", -33.4, -70.7, 2000.0),
    ("CN", 39.9, 116.4, 2500.0),
    ("CO", 4.7, -74.1, 700.0),
    ("CZ", 50.1, 14.4, 300.0),
    ("DE", 52.5, 13.4, 600.0),
    ("DK", 55.7, 12.6, 300.0),
    ("EG", 30.0, 31.2, 800.0),
    ("ES", 40.4, -3.7, 1800.0),
    ("FI", 60.2, 24.9, 800.0),
    ("FR", 48.9, 2.4, 900.0),
    ("GB", 51.5, -0.1, 900.0),
    ("HK", 22.3, 114.2, 50.0),
    ("ID", -6.2, 106.8, 2500.0),
    ("IE", 53.3, -6.3, 300.0),
    ("IL", 32.1, 34.8, 300.0),
    ("IN", 28.6, 77.2, 1800.0),
    ("IR", 35.7, 51.4, 1000.0),
    ("IT", 41.9, 12.5, 800.0),
    ("JP", 35.7, 139.7, 1500.0),
    ("KE", -1.3, 36.8, 600.0),
    ("KR", 37.6, 127.0, 400.0),
    ("MX", 19.4, -99.1, 1800.0),
    ("MY", 3.1, 101.7, 1500.0),
    ("NG", 6.5, 3.4, 800.0),
    ("NL", 52.4, 4.9, 200.0),
    ("NO", 59.9, 10.8, 1500.0),
    ("NZ", -36.8, 174.8, 1000.0),
    ("PA", 9.0, -79.5, 300.0),
    ("PE", -12.0, -77.0, 1000.0),
    ("PH", 14.6, 121.0, 1000.0),
    ("PK", 33.7, 73.1, 1000.0),
    ("PL", 52.2, 21.0, 500.0),
    ("PT", 38.7, -9.1, 1500.0),
    ("RO", 44.4, 26.1, 400.0),
    ("RU", 55.8, 37.6, 6500.0),
    ("SA", 24.7, 46.7, 1000.0),
    ("SE", 59.3, 18.1, 1100.0),
    ("SG", 1.35, 103.8, 50.0),
    ("TH", 13.8, 100.5, 800.0),
    ("TR", 39.9, 32.9, 1000.0),
    ("TW", 25.0, 121.5, 300.0),
    ("UA", 50.5, 30.5, 700.0),
    ("US", 37.4, -92.2, 3000.0),
    ("VE", 10.5, -66.9, 700.0),
    ("VN", 21.0, 105.8, 1200.0),
    ("ZA", -26.2, 28.0, 1300.0),
];

/// A country's reference point and radius.
fn reference_point(country: Country) -> Option<((f64, f64), f64)> {
    REFERENCE_POINTS
        .binary_search_by(|(code, ..)| (*code).cmp(country.as_str()))
        .ok()
        .map(|i| {
            let (_, lat, lon, radius) = REFERENCE_POINTS[i];
            ((lat, lon), radius)
        })
}

/// The least distance (km) between someone in `a` and someone in `b`: the reference points'
/// distance less both radii; zero for neighbours.
fn least_distance_km(a: Country, b: Country) -> Option<f64> {
    let (pa, ra) = reference_point(a)?;
    let (pb, rb) = reference_point(b)?;
    Some((distance_km(pa, pb) - ra - rb).max(0.0))
}

/// Great-circle distance in km (haversine, mean Earth radius).
fn distance_km((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371.0 * a.sqrt().asin()
}

/// The last session of an account that said where its user was.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Located {
    time_ms: i64,
    country: Country,
    raw: RawRef,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Trip {
    account: Symbol,
    source: Option<Symbol>,
    from: Located,
    to: Located,
    distance_km: f64,
}

pub struct ImpossibleTravel {
    params: Params,
    /// By account id: the last located session.
    last: Vec<Option<Located>>,
    trips: Vec<Trip>,
}

impl ImpossibleTravel {
    pub fn new(params: Params) -> Self {
        ImpossibleTravel {
            params,
            last: Vec::new(),
            trips: Vec::new(),
        }
    }

    /// Where the session says its user is, if it says so.
    fn located(&self, o: &Observation, state: &State) -> Option<Located> {
        let country = o.country?;
        reference_point(country)?;
        if o.asn
            .is_some_and(|asn| self.params.relay_asns.contains(&asn))
        {
            return None;
        }
        let shared = o
            .source
            .and_then(|s| state.source(s))
            .is_some_and(|s| s.session_accounts as usize >= self.params.shared_source_accounts);
        (!shared).then_some(Located {
            time_ms: o.time_ms,
            country,
            raw: o.raw,
        })
    }
}

impl Detector for ImpossibleTravel {
    crate::saved::saved_fields!(last, trips);

    fn name(&self) -> &'static str {
        "impossible_travel"
    }

    fn observe(&mut self, o: &Observation, state: &State) {
        if o.kind != Kind::SessionStart
            || o.outcome != Outcome::Success
            || !o.exists
            || o.actor.is_some_and(|a| a != o.account)
        {
            return;
        }
        let Some(here) = self.located(o, state) else {
            return;
        };
        let i = o.account as usize;
        if self.last.len() <= i {
            self.last.resize(i + 1, None);
        }
        if let Some(before) = self.last[i].filter(|b| b.country != here.country) {
            let new_device = state.baseline(o.account).is_none_or(|b| match o.device {
                Some(device) => !b.devices.contains(&device),
                None => o.agent.is_some_and(|a| !b.agents.contains(&a)),
            });
            let distance = least_distance_km(before.country, here.country).unwrap_or(0.0);
            if new_device && distance > 0.0 {
                // A minute at least: two sessions in the same instant are still a trip.
                let hours = ((here.time_ms - before.time_ms).max(60_000)) as f64 / 3_600_000.0;
                if distance / hours > self.params.max_speed_kmh {
                    self.trips.push(Trip {
                        account: o.account,
                        source: o.source,
                        from: before,
                        to: here,
                        distance_km: distance,
                    });
                }
            }
        }
        self.last[i] = Some(here);
    }

    fn verdicts(&self, state: &State) -> Vec<Verdict> {
        let mut verdicts: Vec<Verdict> = self
            .trips
            .iter()
            .filter(|trip| !owners_place(state, trip.account, trip.source))
            .map(|trip| {
                let hours = (trip.to.time_ms - trip.from.time_ms) as f64 / 3_600_000.0;
                Verdict::for_account(
                    self.name(),
                    &["T1078"],
                    trip.account,
                    trip.source,
                    0.7,
                    vec![
                        ("distance_km", trip.distance_km.round()),
                        ("hours", (hours * 100.0).round() / 100.0),
                        (
                            "speed_kmh",
                            (trip.distance_km / hours.max(1.0 / 60.0)).round(),
                        ),
                    ],
                    vec![trip.from.raw, trip.to.raw],
                    (trip.from.time_ms, trip.to.time_ms),
                )
            })
            .collect();
        // One finding per account and source: the first trip.
        verdicts.sort_by_key(|v| (v.subject, v.first_ms));
        verdicts.dedup_by_key(|v| v.subject);
        verdicts.sort_by_key(|v| (v.first_ms, v.subject));
        verdicts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::tests::{events, run, Event};

    fn travel() -> ImpossibleTravel {
        ImpossibleTravel::new(Params::default())
    }

    fn home(hour: f64) -> Event {
        Event::session(hour, "jane", "home", "US", 7922, "laptop", "firefox")
    }

    #[test]
    fn the_reference_points_are_sorted_for_lookup() {
        assert!(REFERENCE_POINTS.windows(2).all(|w| w[0].0 < w[1].0));
        let country = |c| Country::new(c).unwrap();
        let (berlin, _) = reference_point(country("DE")).unwrap();
        let (paris, _) = reference_point(country("FR")).unwrap();
        let km = distance_km(berlin, paris);
        assert!((850.0..900.0).contains(&km), "{km}");
        let least = least_distance_km(country("DE"), country("US")).unwrap();
        assert!((3_500.0..5_000.0).contains(&least), "{least}");
        assert_eq!(least_distance_km(country("DE"), country("NL")), Some(0.0));
        assert!(reference_point(country("XX")).is_none());
    }

    #[test]
    fn a_stranger_abroad_an_hour_after_the_owner_is_found() {
        let seen = [
            home(0.0),
            home(30.0),
            Event::session(31, "jane", "tehran", "IR", 58224, "other", "chrome"),
        ];
        let verdicts = run(travel(), &events(&seen));
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        let speed = verdicts[0]
            .signals
            .iter()
            .find(|s| s.0 == "speed_kmh")
            .unwrap();
        assert!(speed.1 > 5_000.0, "{speed:?}");
    }

    #[test]
    fn a_traveller_with_the_usual_laptop_is_not() {
        let seen = [
            home(0.0),
            home(30.0),
            Event::session(31, "jane", "hotel", "JP", 17676, "laptop", "firefox"),
        ];
        assert!(run(travel(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_flight_slower_than_a_plane_is_not() {
        let seen = [
            home(0.0),
            Event::session(40, "jane", "hotel", "GB", 2856, "rental", "chrome"),
        ];
        assert!(run(travel(), &events(&seen)).is_empty());
    }

    #[test]
    fn a_vpn_exit_says_nothing_of_where_its_user_is() {
        let seen = [
            home(0.0),
            Event::session(0.5, "jane", "vpn", "RO", 9009, "phone", "safari"),
            home(1.0),
        ];
        assert!(run(travel(), &events(&seen)).is_empty());
    }

    #[test]
    fn an_address_many_accounts_share_is_left_out() {
        let mut seen = vec![home(0.0)];
        for i in 0..12 {
            seen.push(Event::session(
                0.2,
                &format!("o{i}"),
                "exit",
                "NL",
                64512,
                "d",
                "a",
            ));
        }
        seen.push(Event::session(
            0.5, "jane", "exit", "NL", 64512, "phone", "safari",
        ));
        assert!(run(travel(), &events(&seen)).is_empty());
    }

    #[test]
    fn neighbours_and_unknown_countries_are_not_judged() {
        let seen = [
            Event::session(0, "jane", "home", "DE", 3320, "laptop", "firefox"),
            Event::session(0.5, "jane", "x", "NL", 1136, "other", "chrome"),
            Event::session(1.0, "jane", "y", "XK", 1, "other2", "chrome"),
        ];
        assert!(run(travel(), &events(&seen)).is_empty());
    }
}
