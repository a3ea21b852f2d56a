//! `forewarn scan --asn-db / --geo-db` end to end: a simulated Auth0 tenant (whose log carries
//! no AS number or country) scanned without and with the ip-location-db files of the shared
//! samples.

mod common;
use common::{forewarn, text};

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The shared samples' geo databases, when they are beside the checkout (see
/// `forewarn_testkit`).
fn geo() -> Option<PathBuf> {
    forewarn_testkit::sample("geo")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// Every AS number in campaigns.json's `sources.asns`.
fn campaign_asns(out: &Path) -> Vec<u64> {
    let campaigns: Value =
        serde_json::from_slice(&std::fs::read(out.join("campaigns.json")).unwrap()).unwrap();
    let campaigns = campaigns.as_array().unwrap();
    assert!(
        !campaigns.is_empty(),
        "no campaign found in {}",
        out.display()
    );
    campaigns
        .iter()
        .flat_map(|c| c["sources"]["asns"].as_array().unwrap().clone())
        .map(|asn| asn.as_u64().unwrap())
        .collect()
}

#[test]
fn an_auth0_tenant_gets_the_campaigns_networks_from_the_asn_table() {
    let Some(geo) = geo() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let run = forewarn(&[
        "simulate",
        "--accounts",
        "2000",
        "--format",
        "auth0",
        "--out",
        path(&sim),
        "-q",
    ]);
    assert!(run.status.success(), "{run:?}");
    let logs = sim.join("auth0");

    let plain = dir.path().join("plain");
    let run = forewarn(&["scan", path(&logs), "--out", path(&plain), "-q"]);
    assert!(run.status.success(), "{run:?}");
    assert_eq!(
        campaign_asns(&plain),
        Vec::<u64>::new(),
        "Auth0 logs carry no ASN"
    );

    let enriched = dir.path().join("enriched");
    let v4 = geo.join("asn/asn-ipv4.csv");
    let v6 = geo.join("asn/asn-ipv6.csv");
    let country = geo.join("geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb");
    let run = forewarn(&[
        "scan",
        path(&logs),
        "--out",
        path(&enriched),
        "--asn-db",
        path(&v4),
        "--asn-db",
        path(&v6),
        "--geo-db",
        path(&country),
    ]);
    assert!(run.status.success(), "{run:?}");
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("asn database asn-ipv4.csv (ip-location-db CSV): ")
            && stdout.contains("asn database asn-ipv6.csv")
            && stdout.contains("country database geo-whois-asn-country.mmdb (MaxMind DB"),
        "{stdout}"
    );
    assert!(text(&run.stderr).is_empty(), "{run:?}");
    let asns = campaign_asns(&enriched);
    assert!(!asns.is_empty(), "no ASN in the enriched campaigns");
    // The simulator draws its addresses from real operators' ranges in this same table.
    let known: Vec<u64> = forewarn_sim::networks::NETWORKS
        .iter()
        .map(|n| u64::from(n.asn))
        .collect();
    assert!(
        asns.iter().all(|asn| known.contains(asn)),
        "{asns:?} not all among the simulator's networks {known:?}"
    );
}

/// An input of one lookup from 1.0.0.7, an address of AS13335 in the sample table.
fn one_lookup(dir: &Path) -> PathBuf {
    let input = dir.join("events.jsonl");
    std::fs::write(
        &input,
        r#"{"time":"2019-08-14T08:00:00Z","event":"account.lookup","outcome":"success","account":"ana@example.com","ip":"1.0.0.7"}
"#,
    )
    .unwrap();
    input
}

#[test]
fn a_missing_or_wrong_database_is_a_usage_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = one_lookup(dir.path());
    let out = dir.path().join("out");
    // A usage error (exit 2); what it said.
    let refused = |flag: &str, database: &Path| {
        let run = forewarn(&[
            "scan",
            path(&input),
            "--out",
            path(&out),
            flag,
            path(database),
        ]);
        assert_eq!(run.status.code(), Some(2), "{run:?}");
        text(&run.stderr)
    };
    let stderr = refused("--asn-db", &dir.path().join("nowhere/asn-ipv4.csv"));
    assert!(
        stderr.contains("--asn-db") && stderr.contains("nowhere/asn-ipv4.csv"),
        "{stderr}"
    );

    let gzipped = dir.path().join("asn-ipv4.csv.gz");
    std::fs::write(&gzipped, b"\x1f\x8b\x08\x00\x00").unwrap();
    let stderr = refused("--geo-db", &gzipped);
    assert!(
        stderr.contains("asn-ipv4.csv.gz") && stderr.contains("gzip-compressed"),
        "{stderr}"
    );
}

#[test]
fn a_database_with_bad_rows_warns_and_the_good_rows_still_fill_events() {
    let dir = tempfile::tempdir().unwrap();
    let input = one_lookup(dir.path());
    let table = dir.path().join("asn.csv");
    std::fs::write(
        &table,
        "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n1.0.1.0,1.0.1.x,2,bad\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = forewarn(&[
        "scan",
        path(&input),
        "--out",
        path(&out),
        "--asn-db",
        path(&table),
    ]);
    assert!(run.status.success(), "{run:?}");
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("warning: asn database asn.csv (ip-location-db CSV): 1 ranges, 1 malformed rows skipped (first: line 2: `1.0.1.x` is not an IP address)"),
        "{stderr}"
    );
    let quiet = forewarn(&[
        "scan",
        path(&input),
        "--out",
        path(&out),
        "--asn-db",
        path(&table),
        "-q",
    ]);
    assert!(quiet.status.success(), "{quiet:?}");
    assert!(
        quiet.stdout.is_empty() && quiet.stderr.is_empty(),
        "{quiet:?}"
    );
}

#[test]
fn the_configuration_names_databases_beside_it_and_the_flags_replace_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = one_lookup(dir.path());
    let out = dir.path().join("out");
    let settings = dir.path().join("settings");
    std::fs::create_dir_all(settings.join("geo")).unwrap();
    std::fs::write(
        settings.join("geo/asn.csv"),
        "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n",
    )
    .unwrap();
    let config = settings.join("forewarn.toml");
    std::fs::write(&config, "[enrich]\nasn_db = [\"geo/asn.csv\"]\n").unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", path(&input), "--out", path(&out), "--config"];
        args.push(path(&config));
        args.extend_from_slice(extra);
        forewarn(&args)
    };
    let run = scan(&[]);
    assert!(run.status.success(), "{run:?}");
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("asn database asn.csv (ip-location-db CSV): 1 ranges"),
        "{stdout}"
    );

    let other = dir.path().join("other.csv");
    std::fs::write(
        &other,
        "1.0.0.0,1.0.0.255,13335,Cloudflare\n1.0.1.0,1.0.1.255,2,x\n",
    )
    .unwrap();
    let run = scan(&["--asn-db", path(&other)]);
    assert!(run.status.success(), "{run:?}");
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("asn database other.csv (ip-location-db CSV): 2 ranges")
            && !stdout.contains("asn.csv "),
        "{stdout}"
    );

    std::fs::write(&config, "[enrich]\nasn_db = [\"geo/missing.csv\"]\n").unwrap();
    let run = scan(&[]);
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("[enrich] asn_db") && stderr.contains("geo/missing.csv"),
        "{stderr}"
    );
}
