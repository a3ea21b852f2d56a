//! The simulated world: people, their accounts, devices, networks and habits.

use std::collections::HashMap;
use std::net::IpAddr;

use forewarn_model::{Channel, Kind, Outcome, Reason, Risk};

use crate::names::{Agent, DESKTOP_AGENTS, FIRST_NAMES, LAST_NAMES, MOBILE_AGENTS};
use crate::networks::{of_kind, place_of, NetworkId, NetworkKind, PlaceId, NETWORKS, PLACES};
use crate::rng::Rng;

/// Where a request came from: a network and a host number inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    pub network: NetworkId,
    pub host: u64,
}

impl Source {
    pub fn ip(self) -> IpAddr {
        NETWORKS[usize::from(self.network)].host(self.host)
    }
}

/// A second mailbox that can receive the account's recovery codes.
#[derive(Debug, Clone)]
pub enum RecoveryEmail {
    /// At another provider: invisible in this provider's logs.
    External(String),
    /// Another account of this same provider: a recovery chain across two accounts can happen.
    Internal(u32),
}

/// A shared egress address: an office or a campus, hundreds of people behind one NAT.
#[derive(Debug, Clone, Copy)]
pub struct Egress {
    pub kind: NetworkKind,
    pub source: Source,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub address: String,
    pub display_name: String,
    pub first: u16,
    pub last: u16,
    pub place: PlaceId,
    pub city: u8,
    /// The home broadband line.
    pub home: Source,
    /// The mobile carrier (addresses come from its shared CGNAT pool).
    pub carrier: NetworkId,
    pub desktop: Agent,
    pub phone: Agent,
    /// Mean sign-ins per weekday.
    pub rate: f32,
    /// Share of sign-ins made on the phone over the carrier network.
    pub mobile_share: f32,
    pub mfa: Option<Channel>,
    pub recovery_email: Option<RecoveryEmail>,
    /// Country calling code and the last four digits of the recovery phone.
    pub phone_number: Option<(u16, u16)>,
    /// Office or campus the person signs in from on working days.
    pub egress: Option<u32>,
    /// Uses a commercial VPN for a share of sign-ins.
    pub vpn: bool,
}

/// The parameters a world is built from.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    pub seed: u64,
    pub accounts: u32,
    pub domain: String,
}

pub struct World {
    pub seed: u64,
    pub domain: String,
    pub accounts: Vec<Account>,
    pub egresses: Vec<Egress>,
    /// Per mobile carrier, how many CGNAT addresses its subscribers share.
    pub cgnat_pool: HashMap<NetworkId, u64>,
    by_address: HashMap<String, u32>,
}

/// Labels for deriving independent random streams (see [`Rng::for_path`]).
pub mod stream {
    pub const WORLD: u64 = 1;
    pub const BENIGN_DAY: u64 = 2;
    pub const SPECIALS: u64 = 3;
    pub const SCENARIO: u64 = 4;
    pub const DEVICE: u64 = 5;
    pub const SESSION: u64 = 6;
    pub const STAFF: u64 = 7;
}

/// How often people sign in: most rarely, a few all the time.
const RATES: &[(f32, u32)] = &[(0.1, 20), (0.35, 30), (0.8, 25), (1.6, 17), (3.5, 8)];

impl World {
    pub fn build(config: &WorldConfig) -> World {
        let mut rng = Rng::for_path(config.seed, &[stream::WORLD]);
        let n = config.accounts as usize;
        let place_weights: Vec<u32> = PLACES.iter().map(|p| p.weight).collect();
        let rate_weights: Vec<u32> = RATES.iter().map(|r| r.1).collect();

        // Offices of 100-400 people and campuses of 300-1,500 behind one NAT address each.
        let corporate = of_kind(NetworkKind::Corporate, None);
        let universities = of_kind(NetworkKind::University, None);
        let mut egresses = Vec::new();
        let mut members = Vec::new();
        let mut office_people = (n as f64 * 0.15) as usize;
        while office_people > 0 {
            let size = (rng.range(100, 400) as usize).min(office_people);
            egresses.push(Egress {
                kind: NetworkKind::Corporate,
                source: Source {
                    network: *rng.pick(&corporate),
                    host: rng.below(1 << 20),
                },
            });
            members.push(size);
            office_people -= size;
        }
        let mut students = (n as f64 * 0.05) as usize;
        while students > 0 {
            let size = (rng.range(300, 1500) as usize).min(students);
            egresses.push(Egress {
                kind: NetworkKind::University,
                source: Source {
                    network: *rng.pick(&universities),
                    host: rng.below(1 << 16),
                },
            });
            members.push(size);
            students -= size;
        }
        // Seat assignment: which accounts belong to which egress, chosen at random.
        let mut seats: Vec<Option<u32>> = vec![None; n];
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let mut next = order.into_iter();
        for (egress, &size) in members.iter().enumerate() {
            for account in next.by_ref().take(size) {
                seats[account] = Some(egress as u32);
            }
        }

        let mut accounts = Vec::with_capacity(n);
        let mut by_address = HashMap::with_capacity(n);
        for (i, seat) in seats.into_iter().enumerate() {
            let first = rng.below(FIRST_NAMES.len() as u64) as u16;
            let last = rng.below(LAST_NAMES.len() as u64) as u16;
            let address = unique_address(&mut rng, first, last, &config.domain, &by_address);
            by_address.insert(address.clone(), i as u32);
            // An office or campus decides the country people live in.
            let place = match seat {
                Some(e) => {
                    place_of(NETWORKS[usize::from(egresses[e as usize].source.network)].country)
                        .unwrap_or(0)
                }
                None => rng.weighted(&place_weights) as PlaceId,
            };
            let country = PLACES[usize::from(place)].country;
            let residential = of_kind(NetworkKind::Residential, Some(country));
            let carriers = of_kind(NetworkKind::Mobile, Some(country));
            let mfa = match rng.below(100) {
                0..35 => Some(Channel::App),
                35..45 => Some(Channel::Sms),
                _ => None,
            };
            let recovery_email = match rng.below(100) {
                0..65 => Some(RecoveryEmail::External(format!(
                    "{}.{}{}@{}",
                    FIRST_NAMES[usize::from(first)],
                    LAST_NAMES[usize::from(last)],
                    rng.below(100),
                    if rng.chance(0.5) {
                        "example.net"
                    } else {
                        "example.org"
                    }
                ))),
                // Filled in below, once every account exists.
                65..80 => Some(RecoveryEmail::Internal(u32::MAX)),
                _ => None,
            };
            accounts.push(Account {
                display_name: format!(
                    "{} {}",
                    capitalized(FIRST_NAMES[usize::from(first)]),
                    capitalized(LAST_NAMES[usize::from(last)])
                ),
                address,
                first,
                last,
                place,
                city: rng.below(PLACES[usize::from(place)].cities.len() as u64) as u8,
                home: Source {
                    network: *rng.pick(&residential),
                    host: rng.next_u64() >> 8,
                },
                carrier: *rng.pick(&carriers),
                desktop: Agent::Desktop(rng.below(DESKTOP_AGENTS.len() as u64) as u8),
                phone: Agent::Mobile(rng.below(MOBILE_AGENTS.len() as u64) as u8),
                rate: RATES[rng.weighted(&rate_weights)].0,
                mobile_share: if rng.chance(0.4) { 0.6 } else { 0.1 },
                mfa,
                recovery_email,
                phone_number: rng
                    .chance(0.8)
                    .then(|| (calling_code(country), rng.below(10_000) as u16)),
                egress: seat,
                vpn: rng.chance(0.05),
            });
        }
        // Internal recovery mailboxes point at another account (a partner's, or one's own
        // second account).
        for (i, account) in accounts.iter_mut().enumerate() {
            if let Some(RecoveryEmail::Internal(_)) = account.recovery_email {
                let other = if n > 1 {
                    let j = rng.below(n as u64 - 1) as usize;
                    (if j >= i { j + 1 } else { j }) as u32
                } else {
                    i as u32
                };
                account.recovery_email = Some(RecoveryEmail::Internal(other));
            }
        }

        // Carriers put many subscribers behind each address: one per ~400 mobile users.
        let mut cgnat_pool: HashMap<NetworkId, u64> = HashMap::new();
        for account in &accounts {
            *cgnat_pool.entry(account.carrier).or_default() += 1;
        }
        for size in cgnat_pool.values_mut() {
            *size = (*size / 400).max(4);
        }

        World {
            seed: config.seed,
            domain: config.domain.clone(),
            accounts,
            egresses,
            cgnat_pool,
            by_address,
        }
    }

    pub fn exists(&self, address: &str) -> bool {
        self.by_address.contains_key(address)
    }

    pub fn account_by_address(&self, address: &str) -> Option<u32> {
        self.by_address.get(address).copied()
    }

    /// A CGNAT address of the account's carrier (many subscribers share each one).
    pub fn cgnat_source(&self, carrier: NetworkId, pick: u64) -> Source {
        let pool = self.cgnat_pool.get(&carrier).copied().unwrap_or(4);
        Source {
            network: carrier,
            // Pool addresses are spread through the carrier's range.
            host: (pick % pool).wrapping_mul(7919) + 11,
        }
    }

    /// The address the recovery email of `account` shows once masked (`j***@example.net`).
    pub fn masked_recovery_email(&self, account: &Account) -> Option<String> {
        let address = match account.recovery_email.as_ref()? {
            RecoveryEmail::External(address) => address.as_str(),
            RecoveryEmail::Internal(other) => self.accounts[*other as usize].address.as_str(),
        };
        Some(mask_email(address))
    }
}

pub fn mask_email(address: &str) -> String {
    let (local, domain) = address.split_once('@').unwrap_or((address, ""));
    let first = local.chars().next().unwrap_or('*');
    format!("{first}***@{domain}")
}

pub fn mask_phone((code, last4): (u16, u16)) -> String {
    format!("+{code} ***-***-{last4:04}")
}

fn calling_code(country: &str) -> u16 {
    match country {
        "US" | "CA" => 1,
        "GB" => 44,
        "DE" => 49,
        "FR" => 33,
        "NL" => 31,
        "IN" => 91,
        "BR" => 55,
        "JP" => 81,
        "IR" => 98,
        _ => 1,
    }
}

fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The local parts people are given or choose, in the order a provider hands them out.
pub fn address_patterns(first: &str, last: &str) -> [String; 10] {
    let f = &first[..1];
    let l = &last[..1];
    [
        format!("{first}.{last}"),
        format!("{first}{last}"),
        format!("{f}{last}"),
        format!("{first}_{last}"),
        format!("{f}.{last}"),
        format!("{last}.{first}"),
        format!("{first}.{l}"),
        format!("{first}{l}"),
        format!("{last}{first}"),
        format!("{first}-{last}"),
    ]
}

fn unique_address(
    rng: &mut Rng,
    first: u16,
    last: u16,
    domain: &str,
    taken: &HashMap<String, u32>,
) -> String {
    let first = FIRST_NAMES[usize::from(first)];
    let last = LAST_NAMES[usize::from(last)];
    // Early sign-ups get the plain patterns; later ones add a number, as real providers do.
    let patterns = address_patterns(first, last);
    let start = rng.below(3) as usize;
    for local in patterns.iter().skip(start).take(4) {
        let address = format!("{local}@{domain}");
        if !taken.contains_key(&address) {
            return address;
        }
    }
    loop {
        let address = format!("{first}.{last}{}@{domain}", rng.range(1, 9999));
        if !taken.contains_key(&address) {
            return address;
        }
    }
}

/// `address` with a typing slip: a doubled letter, two letters swapped, a letter dropped, a
/// wrong domain ending.
pub fn mistyped(address: &str, variant: u8) -> String {
    let (local, domain) = address.split_once('@').unwrap_or((address, ""));
    let chars: Vec<char> = local.chars().collect();
    let mid = chars.len() / 2;
    let local: String = match variant % 4 {
        0 => chars[..mid]
            .iter()
            .chain(&chars[mid..mid + 1])
            .chain(&chars[mid..])
            .collect(),
        1 if chars.len() > 2 => {
            let mut swapped = chars.clone();
            swapped.swap(mid - 1, mid);
            swapped.into_iter().collect()
        }
        2 if chars.len() > 2 => chars[..mid].iter().chain(&chars[mid + 1..]).collect(),
        _ => return format!("{local}@{domain}m"),
    };
    format!("{local}@{domain}")
}

/// Who an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Account(u32),
    /// An address that does not exist, probed by a campaign: an index into the run's list.
    Ghost(u32),
    /// An account's own address mistyped (`variant` selects the slip; see [`mistyped`]).
    Mistyped(u32, u8),
}

/// Which recovery target an event shows, masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    None,
    RecoveryEmail,
    Phone,
    /// A mailbox or phone the attacker adds as the new recovery channel.
    Attacker(Channel),
}

/// Who produced an event, for the ground truth (never rendered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    Benign,
    Campaign(u8),
}

/// One simulated event, compact: strings are looked up in the world when it is rendered.
#[derive(Debug, Clone, Copy)]
pub struct SimEvent {
    /// Milliseconds since the Unix epoch.
    pub time_ms: i64,
    pub kind: Kind,
    pub outcome: Outcome,
    pub reason: Option<Reason>,
    pub channel: Option<Channel>,
    pub target: Target,
    pub subject: Subject,
    /// An admin or help-desk account acting on the subject's behalf.
    pub actor: Option<u32>,
    pub source: Source,
    pub agent: Agent,
    /// Device id number; 0 when the log would not know the device.
    pub device: u64,
    /// Session id number; 0 when there is none.
    pub session: u64,
    pub origin: Origin,
    /// The provider's risk verdict on a granted session (`provider::RiskEngine`).
    pub risk: Option<Risk>,
}

impl SimEvent {
    /// An event with no reason, channel, actor, device or session.
    pub fn new(
        time_ms: i64,
        kind: Kind,
        outcome: Outcome,
        subject: Subject,
        source: Source,
        agent: Agent,
        origin: Origin,
    ) -> SimEvent {
        SimEvent {
            time_ms,
            kind,
            outcome,
            reason: None,
            channel: None,
            target: Target::None,
            subject,
            actor: None,
            source,
            agent,
            device: 0,
            session: 0,
            origin,
            risk: None,
        }
    }

    pub fn failed(mut self, reason: Reason) -> SimEvent {
        self.outcome = Outcome::Failure;
        self.reason = Some(reason);
        self
    }

    pub fn via(mut self, channel: Channel, target: Target) -> SimEvent {
        self.channel = Some(channel);
        self.target = target;
        self
    }

    pub fn on(mut self, device: u64, session: u64) -> SimEvent {
        self.device = device;
        self.session = session;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(accounts: u32) -> World {
        World::build(&WorldConfig {
            seed: 42,
            accounts,
            domain: "example.com".into(),
        })
    }

    #[test]
    fn addresses_are_unique_lower_case_and_findable() {
        let world = world(5000);
        for (i, account) in world.accounts.iter().enumerate() {
            assert_eq!(account.address, account.address.to_lowercase());
            assert!(account.address.ends_with("@example.com"));
            assert_eq!(world.account_by_address(&account.address), Some(i as u32));
        }
    }

    #[test]
    fn offices_and_campuses_hold_hundreds_each() {
        let world = world(20_000);
        let mut sizes = vec![0; world.egresses.len()];
        for account in &world.accounts {
            if let Some(e) = account.egress {
                sizes[e as usize] += 1;
            }
        }
        let crowded = sizes.iter().filter(|&&s| s >= 100).count();
        assert!(crowded >= sizes.len() - 2, "{sizes:?}");
        let share = sizes.iter().sum::<usize>() as f64 / 20_000.0;
        assert!((0.19..0.21).contains(&share), "{share}");
    }

    #[test]
    fn some_recovery_mailboxes_are_other_accounts_of_the_provider() {
        let world = world(2000);
        let internal = world
            .accounts
            .iter()
            .enumerate()
            .filter(|(i, a)| match a.recovery_email {
                Some(RecoveryEmail::Internal(j)) => {
                    assert_ne!(j as usize, *i);
                    true
                }
                _ => false,
            })
            .count();
        assert!((200..400).contains(&internal), "{internal}");
    }

    #[test]
    fn masks_keep_only_what_recovery_pages_show() {
        assert_eq!(mask_email("jane.doe@example.net"), "j***@example.net");
        assert_eq!(mask_phone((1, 147)), "+1 ***-***-0147");
    }
}
