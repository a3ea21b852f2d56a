//! The networks the simulated world signs in from.
//!
//! Every entry is a real operator with a real address range it announces (from the RouteViews /
//! DB-IP ASN table, June 2026), so that forewarn's enrichment of a simulated address agrees with
//! the country and ASN the simulator wrote. Addresses are drawn inside these ranges; the people
//! behind them are invented.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of network a source is: what detectors weigh and look-alikes hide behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetworkKind {
    Residential,
    /// Mobile carriers put thousands of subscribers behind each address (CGNAT).
    Mobile,
    Hosting,
    /// Commercial VPN exits: shared by many honest users, and rented by attackers.
    Vpn,
    /// Company offices: hundreds of employees behind one NAT address.
    Corporate,
    /// University egress: thousands of students and staff behind a few addresses.
    University,
}

#[derive(Debug, Clone, Copy)]
pub enum Prefix {
    V4([u8; 4], u8),
    V6([u16; 8], u8),
}

#[derive(Debug, Clone, Copy)]
pub struct Network {
    pub org: &'static str,
    pub asn: u32,
    /// ISO 3166 alpha-2 code of where its addresses are used.
    pub country: &'static str,
    pub kind: NetworkKind,
    pub prefix: Prefix,
}

impl Network {
    /// The `n`-th usable host address of the range (wrapping), never a `.0` or `.255`.
    pub fn host(&self, n: u64) -> IpAddr {
        match self.prefix {
            Prefix::V4(octets, len) => {
                let base = u32::from_be_bytes(octets);
                let size = 1u64 << (32 - len);
                // Use 254 of every 256 addresses: skip .0 and .255.
                let usable = size / 256 * 254;
                let k = n % usable.max(1);
                let offset = (k / 254) * 256 + k % 254 + 1;
                IpAddr::V4(Ipv4Addr::from(base.wrapping_add(offset as u32)))
            }
            Prefix::V6(segments, len) => {
                let base = u128::from(Ipv6Addr::from(segments));
                // One /64 per subscriber, with a stable interface id.
                let subnets = 1u128 << (64 - u32::from(len)).min(32);
                let subnet = u128::from(n) % subnets;
                let iid = u128::from(crate::rng::mix(n)) & 0xffff_ffff_ffff_ffff;
                IpAddr::V6(Ipv6Addr::from(base | (subnet << 64) | iid.max(1)))
            }
        }
    }
}

const fn v4(
    org: &'static str,
    asn: u32,
    country: &'static str,
    kind: NetworkKind,
    octets: [u8; 4],
    len: u8,
) -> Network {
    Network {
        org,
        asn,
        country,
        kind,
        prefix: Prefix::V4(octets, len),
    }
}

use NetworkKind::*;

/// Index into [`NETWORKS`].
pub type NetworkId = u16;

pub const NETWORKS: &[Network] = &[
    // United States
    v4(
        "Comcast Cable Communications, LLC",
        7922,
        "US",
        Residential,
        [73, 0, 0, 0],
        8,
    ),
    v4(
        "Charter Communications",
        20115,
        "US",
        Residential,
        [75, 132, 0, 0],
        14,
    ),
    v4(
        "Cox Communications Inc.",
        22773,
        "US",
        Residential,
        [68, 0, 0, 0],
        12,
    ),
    v4(
        "T-Mobile USA, Inc.",
        21928,
        "US",
        Mobile,
        [100, 128, 0, 0],
        9,
    ),
    Network {
        org: "T-Mobile USA, Inc.",
        asn: 21928,
        country: "US",
        kind: Mobile,
        prefix: Prefix::V6([0x2607, 0xfb90, 0, 0, 0, 0, 0, 0], 34),
    },
    v4("Verizon Business", 6167, "US", Mobile, [97, 230, 0, 0], 16),
    v4(
        "AT&T Enterprises, LLC",
        7018,
        "US",
        Corporate,
        [99, 23, 0, 0],
        16,
    ),
    v4(
        "Verizon Business",
        701,
        "US",
        Corporate,
        [71, 100, 0, 0],
        16,
    ),
    // United Kingdom
    v4(
        "British Telecommunications PLC",
        2856,
        "GB",
        Residential,
        [86, 128, 0, 0],
        10,
    ),
    v4(
        "Virgin Media Limited",
        5089,
        "GB",
        Residential,
        [86, 0, 0, 0],
        11,
    ),
    v4(
        "Vodafone Limited",
        25135,
        "GB",
        Mobile,
        [148, 252, 128, 0],
        18,
    ),
    v4(
        "Jisc Services Limited",
        786,
        "GB",
        University,
        [193, 60, 0, 0],
        14,
    ),
    // Germany
    v4(
        "Deutsche Telekom AG",
        3320,
        "DE",
        Residential,
        [79, 192, 0, 0],
        10,
    ),
    v4("Vodafone GmbH", 3209, "DE", Residential, [88, 64, 0, 0], 12),
    v4(
        "Telefonica Germany GmbH & Co.OHG",
        6805,
        "DE",
        Mobile,
        [77, 0, 0, 0],
        12,
    ),
    v4(
        "Verein zur Foerderung eines Deutschen Forschungsnetzes e.V.",
        680,
        "DE",
        University,
        [141, 41, 0, 0],
        16,
    ),
    // France
    v4("Orange S.A.", 3215, "FR", Residential, [90, 0, 0, 0], 12),
    v4("Free SAS", 12322, "FR", Residential, [82, 224, 0, 0], 11),
    v4(
        "Bouygues Telecom SA",
        5410,
        "FR",
        Mobile,
        [176, 176, 0, 0],
        13,
    ),
    // Netherlands
    v4(
        "Liberty Global B.V.",
        6830,
        "NL",
        Residential,
        [94, 169, 0, 0],
        16,
    ),
    v4("KPN B.V.", 1136, "NL", Mobile, [77, 160, 0, 0], 12),
    v4("SURF B.V.", 1103, "NL", University, [145, 144, 0, 0], 13),
    // Canada
    v4("Bell Canada", 577, "CA", Residential, [142, 180, 0, 0], 14),
    v4(
        "Rogers Communications Canada Inc.",
        812,
        "CA",
        Mobile,
        [99, 224, 0, 0],
        11,
    ),
    // India
    v4(
        "Bharti Airtel Limited",
        9498,
        "IN",
        Residential,
        [182, 72, 0, 0],
        14,
    ),
    v4(
        "Reliance Jio Infocomm Limited",
        55836,
        "IN",
        Mobile,
        [157, 32, 0, 0],
        12,
    ),
    // Brazil
    v4(
        "TELEFONICA BRASIL S.A",
        18881,
        "BR",
        Residential,
        [179, 176, 0, 0],
        13,
    ),
    v4(
        "Claro NXT Telecomunicacoes Ltda",
        28573,
        "BR",
        Mobile,
        [191, 176, 0, 0],
        14,
    ),
    // Japan
    v4(
        "SoftBank Corp.",
        17676,
        "JP",
        Residential,
        [60, 64, 0, 0],
        11,
    ),
    v4("KDDI CORPORATION", 2516, "JP", Mobile, [106, 128, 0, 0], 10),
    // Iran (diaspora relatives and residents)
    v4(
        "Iran Telecommunication Company PJS",
        58224,
        "IR",
        Residential,
        [5, 232, 0, 0],
        14,
    ),
    v4(
        "Iran Cell Service and Communication Company",
        44244,
        "IR",
        Mobile,
        [5, 112, 0, 0],
        12,
    ),
    // Hosting
    v4(
        "DigitalOcean, LLC",
        14061,
        "US",
        Hosting,
        [45, 55, 0, 0],
        16,
    ),
    v4("Amazon.com, Inc.", 16509, "US", Hosting, [3, 96, 0, 0], 11),
    v4("OVH SAS", 16276, "FR", Hosting, [54, 36, 0, 0], 14),
    v4(
        "Hetzner Online GmbH",
        24940,
        "DE",
        Hosting,
        [2, 28, 0, 0],
        15,
    ),
    v4(
        "The Constant Company, LLC",
        20473,
        "US",
        Hosting,
        [45, 76, 0, 0],
        15,
    ),
    v4(
        "Akamai Technologies, Inc.",
        63949,
        "US",
        Hosting,
        [172, 236, 0, 0],
        14,
    ),
    // Commercial VPN exits
    v4("M247 Europe SRL", 9009, "RO", Vpn, [146, 70, 64, 0], 18),
    v4("Datacamp Limited", 60068, "GB", Vpn, [79, 127, 192, 0], 18),
    v4("PacketHub S.A.", 136787, "PA", Vpn, [85, 115, 96, 0], 19),
];

/// The networks of one kind, optionally in one country.
pub fn of_kind(kind: NetworkKind, country: Option<&str>) -> Vec<NetworkId> {
    NETWORKS
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind == kind && country.is_none_or(|c| n.country == c))
        .map(|(i, _)| i as NetworkId)
        .collect()
}

/// Where the world's people live: share of accounts, typical UTC offset, cities.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub country: &'static str,
    pub weight: u32,
    /// Minutes east of UTC, for the daily rhythm (one offset per country is close enough).
    pub utc_offset_minutes: i32,
    pub cities: &'static [&'static str],
}

pub const PLACES: &[Place] = &[
    Place {
        country: "US",
        weight: 34,
        utc_offset_minutes: -300,
        cities: &[
            "New York", "Chicago", "Denver", "Seattle", "Atlanta", "Austin",
        ],
    },
    Place {
        country: "GB",
        weight: 12,
        utc_offset_minutes: 60,
        cities: &["London", "Manchester", "Leeds", "Bristol"],
    },
    Place {
        country: "DE",
        weight: 10,
        utc_offset_minutes: 120,
        cities: &["Berlin", "Hamburg", "Munich", "Cologne"],
    },
    Place {
        country: "FR",
        weight: 8,
        utc_offset_minutes: 120,
        cities: &["Paris", "Lyon", "Marseille", "Toulouse"],
    },
    Place {
        country: "NL",
        weight: 4,
        utc_offset_minutes: 120,
        cities: &["Amsterdam", "Rotterdam", "Utrecht"],
    },
    Place {
        country: "CA",
        weight: 7,
        utc_offset_minutes: -240,
        cities: &["Toronto", "Montreal", "Vancouver"],
    },
    Place {
        country: "IN",
        weight: 9,
        utc_offset_minutes: 330,
        cities: &["Mumbai", "Delhi", "Bengaluru"],
    },
    Place {
        country: "BR",
        weight: 7,
        utc_offset_minutes: -180,
        cities: &["Sao Paulo", "Rio de Janeiro", "Brasilia"],
    },
    Place {
        country: "JP",
        weight: 5,
        utc_offset_minutes: 540,
        cities: &["Tokyo", "Osaka", "Nagoya"],
    },
    Place {
        country: "IR",
        weight: 4,
        utc_offset_minutes: 270,
        cities: &["Tehran", "Isfahan", "Shiraz"],
    },
];

/// Index into [`PLACES`].
pub type PlaceId = u8;

/// The place of a network's country (hosting and VPN countries may have none).
pub fn place_of(country: &str) -> Option<PlaceId> {
    PLACES
        .iter()
        .position(|p| p.country == country)
        .map(|i| i as PlaceId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_stay_inside_their_range_and_avoid_network_and_broadcast() {
        for network in NETWORKS {
            for n in [0, 1, 253, 254, 255, 1_000_003, u64::MAX / 3] {
                match (network.host(n), network.prefix) {
                    (IpAddr::V4(ip), Prefix::V4(octets, len)) => {
                        let mask = u32::MAX << (32 - len);
                        assert_eq!(
                            u32::from(ip) & mask,
                            u32::from_be_bytes(octets) & mask,
                            "{ip} in {}",
                            network.org
                        );
                        assert!(!matches!(ip.octets()[3], 0 | 255), "{ip}");
                    }
                    (IpAddr::V6(ip), Prefix::V6(segments, len)) => {
                        let mask = u128::MAX << (128 - len);
                        assert_eq!(
                            u128::from(ip) & mask,
                            u128::from(Ipv6Addr::from(segments)) & mask
                        );
                    }
                    (ip, _) => panic!("{ip} has the wrong family for {}", network.org),
                }
            }
        }
    }

    #[test]
    fn every_place_has_residential_and_mobile_networks() {
        for place in PLACES {
            assert!(
                !of_kind(Residential, Some(place.country)).is_empty(),
                "{}",
                place.country
            );
            assert!(
                !of_kind(Mobile, Some(place.country)).is_empty(),
                "{}",
                place.country
            );
        }
    }
}
