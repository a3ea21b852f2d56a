//! MaxMind DB (`.mmdb`) files, read with the `maxminddb` crate and turned into range tables.
//!
//! Only the one field wanted is decoded from a record (serde skips the rest without expanding
//! it):
//! - AS number: `autonomous_system_number`, with `autonomous_system_organization` as the org
//!   name (MaxMind GeoLite2-ASN / GeoIP2-ISP, ip-location-db's `asn-mmdb`).
//! - Country: `country.iso_code` (MaxMind GeoLite2-Country / -City, DB-IP lite), falling back to
//!   `country_code` (ip-location-db's country databases, e.g. `geo-whois-asn-country.mmdb`) and
//!   then to `registered_country.iso_code` where a record has no located country.
//!
//! At load, every network of the search tree is walked once and its value kept in the same
//! sorted flat vectors the CSV tables use ([`crate::ranges`]): a lookup is then a binary search
//! over a few megabytes (≈ 25 ns for IPv4) instead of a walk down the tree and a record decode
//! (≈ 120 – 190 ns), which matters at hundreds of thousands of events a second. Networks that
//! share a record are decoded once. What is lost: the IPv6 aliases of the IPv4 space other
//! than IPv4-mapped addresses (6to4 `2002::/16`, Teredo) are not followed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use forewarn_model::Country;
use maxminddb::{LookupResult, Reader, WithinOptions};
use serde::Deserialize;

use crate::csv::{AsnTable, CountryTable, Orgs};
use crate::error::Error;
use crate::ranges::{Key, RangeTable};

/// Where the file's metadata section starts; every MaxMind DB ends with it.
const METADATA_MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";
/// The metadata section is at most this far from the end of the file.
const METADATA_MAX: usize = 128 * 1024;

/// Whether `bytes` look like a MaxMind DB (its metadata marker near the end).
pub(crate) fn is_mmdb(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(METADATA_MAX)..];
    tail.windows(METADATA_MARKER.len())
        .any(|w| w == METADATA_MARKER)
}

#[derive(Deserialize)]
struct AsnRecord<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

#[derive(Deserialize)]
struct CountryRecord<'a> {
    #[serde(borrow)]
    country: Option<Named<'a>>,
    #[serde(borrow)]
    registered_country: Option<Named<'a>>,
    country_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct Named<'a> {
    iso_code: Option<&'a str>,
}

impl CountryRecord<'_> {
    fn code(&self) -> Option<Country> {
        let code = self
            .country
            .as_ref()
            .and_then(|c| c.iso_code)
            .or(self.country_code)
            .or(self.registered_country.as_ref().and_then(|c| c.iso_code))?;
        Country::new(code).ok().filter(|c| c.as_str() != "ZZ")
    }
}

fn invalid(path: &Path, error: maxminddb::MaxMindDbError) -> Error {
    Error::Mmdb {
        path: path.to_owned(),
        reason: error.to_string(),
    }
}

/// Every network whose record `value` gives a value, as a range table. A record shared by
/// several networks is decoded once.
fn collect<V: Copy + Eq>(
    path: &Path,
    reader: &Reader<Vec<u8>>,
    mut value: impl FnMut(&LookupResult<'_, Vec<u8>>) -> Option<V>,
) -> Result<RangeTable<V>, Error> {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    let mut decoded: HashMap<usize, Option<V>> = HashMap::new();
    let networks = reader
        .networks(WithinOptions::default())
        .map_err(|e| invalid(path, e))?;
    for hit in networks {
        let hit = hit.map_err(|e| invalid(path, e))?;
        let Some(offset) = hit.offset() else { continue };
        let found = match decoded.get(&offset) {
            Some(&found) => found,
            None => {
                let found = value(&hit);
                decoded.insert(offset, found);
                found
            }
        };
        let Some(found) = found else { continue };
        let network = hit.network().map_err(|e| invalid(path, e))?;
        match (network.network(), network.broadcast()) {
            (IpAddr::V4(first), IpAddr::V4(last)) => {
                extend(&mut v4, u32::from(first), u32::from(last), found);
            }
            (IpAddr::V6(first), IpAddr::V6(last)) => {
                extend(&mut v6, u128::from(first), u128::from(last), found);
            }
            // A network's ends are of one family.
            _ => {}
        }
    }
    Ok(RangeTable::build(v4, v6))
}

/// Appends a network, or joins it to the previous one when it follows it with the same value:
/// the tree cuts ranges into CIDR blocks, and the walk meets them in order.
fn extend<K: Key, V: Eq>(rows: &mut Vec<(K, K, V)>, first: K, last: K, value: V) {
    if let Some(previous) = rows.last_mut() {
        if previous.2 == value && previous.1.next() == Some(first) {
            previous.1 = last;
            return;
        }
    }
    rows.push((first, last, value));
}

fn open(path: &Path, bytes: Vec<u8>) -> Result<Reader<Vec<u8>>, Error> {
    Reader::from_source(bytes).map_err(|e| invalid(path, e))
}

/// The database's AS numbers, and its own name for its kind (`GeoLite2-ASN`).
pub(crate) fn asn_table(path: &Path, bytes: Vec<u8>) -> Result<(AsnTable, String), Error> {
    let reader = open(path, bytes)?;
    let kind = reader.metadata().database_type.clone();
    let mut orgs = Orgs::default();
    let ranges = collect(path, &reader, |hit| {
        let record = hit.decode::<AsnRecord<'_>>().ok()??;
        let asn = record.autonomous_system_number?;
        if let Some(org) = record.autonomous_system_organization {
            orgs.add(asn, org);
        }
        Some(asn)
    })?;
    if ranges.is_empty() {
        return Err(Error::WrongMmdb {
            path: path.to_owned(),
            database_type: kind,
            field: "autonomous_system_number",
            hint: "give an ASN database (GeoLite2-ASN, ip-location-db asn-mmdb) to --asn-db, \
                   and a country one to --geo-db",
        });
    }
    Ok((AsnTable::new(ranges, orgs), kind))
}

/// The database's countries, and its own name for its kind (`country ipvAll`).
pub(crate) fn country_table(path: &Path, bytes: Vec<u8>) -> Result<(CountryTable, String), Error> {
    let reader = open(path, bytes)?;
    let kind = reader.metadata().database_type.clone();
    let ranges = collect(path, &reader, |hit| {
        hit.decode::<CountryRecord<'_>>().ok()??.code()
    })?;
    if ranges.is_empty() {
        return Err(Error::WrongMmdb {
            path: path.to_owned(),
            database_type: kind,
            field: "country.iso_code or country_code",
            hint: "give a country database (GeoLite2-Country or -City, ip-location-db \
                   geo-whois-asn-country) to --geo-db, and an ASN one to --asn-db",
        });
    }
    Ok((CountryTable::new(ranges), kind))
}
