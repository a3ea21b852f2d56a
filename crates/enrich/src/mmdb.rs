//! MaxMind DB (`.mmdb`) files, read with the `maxminddb` crate from memory.
//!
//! Only the one field wanted is decoded from a record (serde skips the rest without expanding
//! it):
//! - AS number: `autonomous_system_number` (MaxMind GeoLite2-ASN / GeoIP2-ISP, ip-location-db's
//!   `asn-mmdb`).
//! - Country: `country.iso_code` (MaxMind GeoLite2-Country / -City, DB-IP lite), falling back to
//!   `registered_country.iso_code` where a record has no located country; or `country_code`
//!   (ip-location-db's country databases, e.g. `geo-whois-asn-country.mmdb`).

use std::net::IpAddr;
use std::path::Path;

use forewarn_model::Country;
use maxminddb::{Reader, WithinOptions};
use serde::Deserialize;

use crate::error::Error;

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
struct AsnRecord {
    autonomous_system_number: Option<u32>,
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

/// What a MaxMind DB is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Asn,
    Country,
}

/// A MaxMind DB in memory.
pub struct MaxMind {
    reader: Reader<Vec<u8>>,
}

impl std::fmt::Debug for MaxMind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaxMind")
            .field("database_type", &self.database_type())
            .finish_non_exhaustive()
    }
}

/// How many records to look at for the field before calling a database the wrong kind.
const PROBE: usize = 1000;

impl MaxMind {
    /// Opens the database in `bytes` and checks that its records carry `field`.
    pub(crate) fn open(path: &Path, bytes: Vec<u8>, field: Field) -> Result<MaxMind, Error> {
        let reader = Reader::from_source(bytes).map_err(|e| Error::Mmdb {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let db = MaxMind { reader };
        let networks = db
            .reader
            .networks(WithinOptions::default())
            .map_err(|e| Error::Mmdb {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        let has_field = networks.take(PROBE).flatten().any(|hit| match field {
            Field::Asn => hit
                .decode::<AsnRecord>()
                .ok()
                .flatten()
                .is_some_and(|r| r.autonomous_system_number.is_some()),
            Field::Country => hit
                .decode::<CountryRecord<'_>>()
                .ok()
                .flatten()
                .is_some_and(|r| r.code().is_some()),
        });
        if !has_field {
            let (field, hint) = match field {
                Field::Asn => (
                    "autonomous_system_number",
                    "give an ASN database (GeoLite2-ASN, ip-location-db asn-mmdb) to --asn-db, \
                     and a country one to --geo-db",
                ),
                Field::Country => (
                    "country.iso_code or country_code",
                    "give a country database (GeoLite2-Country or -City, ip-location-db \
                     geo-whois-asn-country) to --geo-db, and an ASN one to --asn-db",
                ),
            };
            return Err(Error::WrongMmdb {
                path: path.to_owned(),
                database_type: db.database_type().to_owned(),
                field,
                hint,
            });
        }
        Ok(db)
    }

    /// The database's own name for its kind (`GeoLite2-ASN`, `country ipvAll`).
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// How many nodes its search tree has: a size, for the load note.
    pub fn nodes(&self) -> u64 {
        u64::from(self.reader.metadata().node_count)
    }

    /// The AS number of `ip`; none for an address it does not cover or a record it cannot
    /// decode.
    #[inline]
    pub fn asn(&self, ip: IpAddr) -> Option<u32> {
        let hit = self.reader.lookup(ip).ok()?;
        hit.decode::<AsnRecord>()
            .ok()??
            .autonomous_system_number
            .filter(|&asn| asn != 0)
    }

    /// The country of `ip`.
    #[inline]
    pub fn country(&self, ip: IpAddr) -> Option<Country> {
        let hit = self.reader.lookup(ip).ok()?;
        hit.decode::<CountryRecord<'_>>().ok()??.code()
    }
}
