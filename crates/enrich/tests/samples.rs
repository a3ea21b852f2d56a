//! The real ip-location-db files in the shared samples, and the simulator's networks against
//! them.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use forewarn_enrich::{AsnDb, CountryDb, Enricher};
use forewarn_sim::networks::{Prefix, NETWORKS};

/// The shared samples' folder, when it is beside the checkout (see `forewarn_testkit`).
fn samples_dir() -> Option<PathBuf> {
    forewarn_testkit::sample("")
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn asn_db(samples: &Path, name: &str) -> AsnDb {
    let (db, report) = AsnDb::open(&samples.join("geo/asn").join(name)).unwrap();
    eprintln!("{report}");
    db
}

#[test]
fn the_ip_location_db_asn_files_load_whole_and_answer() {
    let Some(samples) = samples_dir() else { return };
    let (v4, report) = AsnDb::open(&samples.join("geo/asn/asn-ipv4.csv")).unwrap();
    let counts = report.csv.clone().unwrap();
    assert!(counts.rows > 400_000, "{report}");
    assert_eq!(counts.skipped, 0, "{report}");
    let table = v4.table();
    assert_eq!(v4.asn(ip("1.0.0.1")), Some(13335));
    assert_eq!(table.org(13335), Some("Cloudflare, Inc."));
    assert_eq!(v4.asn(ip("8.8.8.8")), Some(15169));
    assert_eq!(v4.asn(ip("10.0.0.1")), None);
    assert_eq!(v4.asn(ip("2001:4860:4860::8888")), None);

    let v6 = asn_db(&samples, "asn-ipv6.csv");
    assert_eq!(v6.asn(ip("2001:4860:4860::8888")), Some(15169));
    assert_eq!(v6.asn(ip("2001:200::1")), Some(2500));
    assert_eq!(v6.asn(ip("fe80::1")), None);
}

#[test]
fn the_ip_location_db_country_mmdb_answers_with_its_country_code_field() {
    let Some(samples) = samples_dir() else { return };
    let path = samples.join("geo/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb");
    let (db, report) = CountryDb::open(&path).unwrap();
    assert!(report.to_string().contains("country ipvAll"), "{report}");
    assert_eq!(db.country(ip("1.0.0.1")).unwrap().as_str(), "AU");
    assert_eq!(
        db.country(ip("2001:4860:4860::8888")).unwrap().as_str(),
        "US"
    );
    assert_eq!(db.country(ip("10.0.0.1")), None);
    // A country database is not an ASN one.
    let err = AsnDb::open(&path).unwrap_err().to_string();
    assert!(err.contains("autonomous_system_number"), "{err}");
}

/// Addresses the simulator draws from a network: its first hosts and a spread across it.
fn drawn(network: &forewarn_sim::networks::Network) -> Vec<IpAddr> {
    let size: u64 = match network.prefix {
        Prefix::V4(_, len) => (1u64 << (32 - len)) / 256 * 254,
        Prefix::V6(_, len) => 1u64 << (64 - u32::from(len)).min(32),
    };
    let step = (size / 64).max(1);
    (0..64)
        .map(|k| k * step)
        .chain(0..32)
        .map(|n| network.host(n))
        .collect()
}

#[test]
fn every_simulated_network_resolves_to_its_own_asn_and_country() {
    let Some(samples) = samples_dir() else { return };
    let mut enricher = Enricher::new();
    enricher.add_asn(asn_db(&samples, "asn-ipv4.csv"));
    enricher.add_asn(asn_db(&samples, "asn-ipv6.csv"));
    let (countries, _) =
        CountryDb::open(&samples.join("geo/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"))
            .unwrap();
    enricher.add_country(countries);
    let mut wrong_asn = Vec::new();
    let mut wrong_country = Vec::new();
    for network in NETWORKS {
        let addresses = drawn(network);
        let off: Vec<String> = addresses
            .iter()
            .filter(|&&a| enricher.asn(a) != Some(network.asn))
            .map(|&a| format!("{a} -> {:?}", enricher.asn(a)))
            .collect();
        if !off.is_empty() {
            wrong_asn.push(format!(
                "{} AS{} {:?}: {} of {} addresses, e.g. {}",
                network.org,
                network.asn,
                network.prefix,
                off.len(),
                addresses.len(),
                off[0]
            ));
        }
        let elsewhere: Vec<String> = addresses
            .iter()
            .filter_map(|&a| {
                let found = enricher.country(a).map(|c| c.to_string());
                (found.as_deref() != Some(network.country)).then(|| format!("{a} -> {found:?}"))
            })
            .collect();
        if let Some(example) = elsewhere.first() {
            wrong_country.push(format!(
                "{} {}: {} of {} addresses elsewhere, e.g. {example}",
                network.org,
                network.country,
                elsewhere.len(),
                addresses.len()
            ));
        }
    }
    // Countries are where registries and geofeeds put a range, which need not be where the
    // simulator's people are: shown, not asserted.
    if !wrong_country.is_empty() {
        eprintln!("countries that differ:\n  {}", wrong_country.join("\n  "));
    }
    assert!(
        wrong_asn.is_empty(),
        "simulated networks whose addresses the ASN table gives to another AS:\n  {}",
        wrong_asn.join("\n  ")
    );
}

/// The country table built from the MaxMind DB at load answers as the database itself does,
/// address by address (but for the 6to4 and Teredo aliases, which the table does not follow).
#[test]
fn the_country_mmdb_as_ranges_answers_as_the_database_does() {
    let Some(samples) = samples_dir() else { return };
    let path = samples.join("geo/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb");
    let (db, _) = CountryDb::open(&path).unwrap();
    let reader = maxminddb::Reader::open_readfile(&path).unwrap();
    let mut seed = 0x0123_4567_89ab_cdef_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut answered = 0;
    for i in 0..40_000 {
        let r = next();
        let address: IpAddr = if i % 2 == 0 {
            std::net::Ipv4Addr::from(r as u32).into()
        } else {
            // Inside 2000::/4, where nearly all of IPv6 is allocated.
            let high = (0x2u128 << 124) | (u128::from(r) << 60 >> 4);
            std::net::Ipv6Addr::from(high | u128::from(next() >> 8)).into()
        };
        if let IpAddr::V6(v6) = address {
            let top = v6.segments();
            if top[0] == 0x2002 || (top[0] == 0x2001 && top[1] == 0) {
                continue;
            }
        }
        let direct: Option<String> = reader
            .lookup(address)
            .unwrap()
            .decode_path(&[maxminddb::PathElement::Key("country_code")])
            .unwrap();
        let direct = direct.filter(|c| c != "ZZ");
        let ranged = db.country(address).map(|c| c.to_string());
        assert_eq!(ranged, direct, "at {address}");
        answered += usize::from(direct.is_some());
    }
    assert!(answered > 10_000, "only {answered} addresses had a country");
}
