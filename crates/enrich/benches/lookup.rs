//! Enrichment lookups on one core, against the real ip-location-db files in the shared samples
//! (`../shared/samples/geo`, or `$FOREWARN_SAMPLES`): the ASN CSV tables, the country MaxMind
//! DB, the whole `Enricher::lookup` a scan makes per event that lacks both fields, and how long
//! loading the tables takes.
//!
//! Addresses: drawn uniformly from the tables' own ranges (every one a hit, as addresses in
//! logs mostly are), plus a share of addresses no range covers.
//!
//! Run: `cargo bench -p forewarn-enrich --bench lookup`. Results: docs/performance.md.

use std::borrow::Cow;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use forewarn_enrich::{AsnDb, CountryDb, Enricher};
use forewarn_model::{AuthEvent, Kind, Outcome, Timestamp};

const ADDRESSES: usize = 10_000;

fn geo() -> PathBuf {
    forewarn_testkit::sample("geo")
        .expect("the bench needs the ip-location-db files (set FOREWARN_SAMPLES)")
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Addresses inside the table's ranges, one in ten anywhere at all.
fn addresses(db: &AsnDb, v6: bool, rng: &mut Rng) -> Vec<IpAddr> {
    let table = db.table();
    let v4: Vec<(u32, u32, u32)> = table.ranges().v4().iter().collect();
    let v6r: Vec<(u128, u128, u32)> = table.ranges().v6().iter().collect();
    (0..ADDRESSES)
        .map(|i| {
            let r = rng.next();
            let any = i % 10 == 9;
            if v6 {
                let (first, last, _) = v6r[r as usize % v6r.len()];
                let span = (last - first).max(1);
                let a = if any {
                    u128::from(r) << 64 | u128::from(rng.next())
                } else {
                    first + (u128::from(rng.next()) << 32 | u128::from(r >> 32)) % span
                };
                IpAddr::V6(Ipv6Addr::from(a))
            } else {
                let (first, last, _) = v4[r as usize % v4.len()];
                let a = if any {
                    rng.next() as u32
                } else {
                    first + (rng.next() as u32) % (last - first).max(1)
                };
                IpAddr::V4(Ipv4Addr::from(a))
            }
        })
        .collect()
}

fn lookup(c: &mut Criterion) {
    let geo = geo();
    let (v4, _) = AsnDb::open(&geo.join("asn/asn-ipv4.csv")).expect("the v4 table loads");
    let (v6, _) = AsnDb::open(&geo.join("asn/asn-ipv6.csv")).expect("the v6 table loads");
    let mmdb = geo.join("geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb");
    let (country, _) = CountryDb::open(&mmdb).expect("the country database loads");
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let a4 = addresses(&v4, false, &mut rng);
    let a6 = addresses(&v6, true, &mut rng);

    let mut group = c.benchmark_group("lookup");
    group.throughput(Throughput::Elements(ADDRESSES as u64));
    group.bench_function("asn-csv/ipv4", |b| {
        b.iter(|| a4.iter().filter_map(|&a| v4.asn(black_box(a))).count())
    });
    group.bench_function("asn-csv/ipv6", |b| {
        b.iter(|| a6.iter().filter_map(|&a| v6.asn(black_box(a))).count())
    });
    group.bench_function("country-mmdb/ipv4", |b| {
        b.iter(|| {
            a4.iter()
                .filter_map(|&a| country.country(black_box(a)))
                .count()
        })
    });
    group.bench_function("country-mmdb/ipv6", |b| {
        b.iter(|| {
            a6.iter()
                .filter_map(|&a| country.country(black_box(a)))
                .count()
        })
    });

    // A scan's per-event call: both ASN tables and the country database, nine in ten events
    // IPv4; and an event whose log gave both fields.
    let mut enricher = Enricher::new();
    enricher.add_asn(v4);
    enricher.add_asn(v6);
    enricher.add_country(country);
    let events: Vec<AuthEvent<'static>> = a4
        .iter()
        .zip(&a6)
        .enumerate()
        .map(|(i, (&ip4, &ip6))| {
            let mut e = AuthEvent::new(
                Timestamp::UNIX_EPOCH,
                Kind::AuthPassword,
                Outcome::Failure,
                Cow::Borrowed("jane@example.com"),
            );
            e.ip = Some(if i % 10 == 0 { ip6 } else { ip4 });
            e
        })
        .collect();
    group.bench_function("enricher/asn+country", |b| {
        b.iter(|| {
            events
                .iter()
                .filter(|e| !enricher.lookup(black_box(e)).is_empty())
                .count()
        })
    });
    let filled: Vec<AuthEvent<'static>> = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.asn = Some(64500);
            e.country = Some("DE".parse().expect("a country"));
            e
        })
        .collect();
    group.bench_function("enricher/log-gave-both", |b| {
        b.iter(|| {
            filled
                .iter()
                .filter(|e| !enricher.lookup(black_box(e)).is_empty())
                .count()
        })
    });
    group.finish();
}

fn load(c: &mut Criterion) {
    let geo = geo();
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    for name in ["asn-ipv4.csv", "asn-ipv6.csv"] {
        let path = geo.join("asn").join(name);
        group.bench_function(name, |b| {
            b.iter(|| AsnDb::open(&path).expect("the table loads"))
        });
    }
    let mmdb = geo.join("geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb");
    group.bench_function("geo-whois-asn-country.mmdb", |b| {
        b.iter(|| CountryDb::open(&mmdb).expect("the database loads"))
    });
    group.finish();
}

criterion_group!(benches, lookup, load);
criterion_main!(benches);
