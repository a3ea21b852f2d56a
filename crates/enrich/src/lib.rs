//! The enrich stage: fills an event's AS number and country from local IP databases when its
//! log did not give them.
//!
//! Several vendor logs carry no AS number or country for a source address (Auth0, Microsoft
//! 365), others only some. Detectors weigh the network an address belongs to (data-centre and
//! VPN ASNs) and an account's usual countries, so [`Enricher`] looks the address up in
//! databases the user downloaded once:
//! - ip-location-db CSV range files (`first_ip,last_ip,asn,org_name` or
//!   `first_ip,last_ip,country_code`), kept as sorted flat vectors and searched by binary search
//!   ([`ranges`]);
//! - MaxMind DB files (`.mmdb`: GeoLite2-ASN, GeoLite2-Country / -City, ip-location-db's
//!   `*-mmdb` packages), read with the `maxminddb` crate and walked once at load into the same
//!   kind of range table.
//!
//! What it must not do: **call the network** (every database is a local file, read once), or
//! **override the log** — a field the decoder filled is never touched, since what the identity
//! provider saw is better evidence than a table's guess. Lookups never fail: an address no
//! database covers is left as it was. Loading does fail, with the file and the reason, and
//! reports the rows it skipped so that the caller can warn.

mod csv;
mod error;
mod mmdb;
pub mod ranges;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use forewarn_model::{AuthEvent, Country};

pub use crate::csv::{AsnTable, BadRow, CountryTable, CsvCounts};
pub use crate::error::Error;

/// A source of AS numbers: an ip-location-db CSV or a MaxMind DB, held as a range table.
#[derive(Debug)]
pub struct AsnDb(AsnTable);

impl AsnDb {
    /// Reads an ip-location-db ASN CSV or an ASN MaxMind DB, told apart by content.
    pub fn open(path: &Path) -> Result<(AsnDb, LoadReport), Error> {
        let bytes = read(path)?;
        if mmdb::is_mmdb(&bytes) {
            let (table, kind) = mmdb::asn_table(path, bytes)?;
            let report = LoadReport::mmdb(path, &kind, table.ranges().len());
            return Ok((AsnDb(table), report));
        }
        check_text(path, &bytes)?;
        let (table, counts) = AsnTable::from_csv(&bytes);
        let report = LoadReport::csv(path, table.ranges().len(), counts, "asn,org_name")?;
        Ok((AsnDb(table), report))
    }

    #[inline]
    pub fn asn(&self, ip: IpAddr) -> Option<u32> {
        self.0.asn(ip)
    }

    pub fn table(&self) -> &AsnTable {
        &self.0
    }
}

impl From<AsnTable> for AsnDb {
    fn from(table: AsnTable) -> Self {
        AsnDb(table)
    }
}

/// A source of countries: a MaxMind DB or an ip-location-db CSV, held as a range table.
#[derive(Debug)]
pub struct CountryDb(CountryTable);

impl CountryDb {
    /// Reads a country MaxMind DB or an ip-location-db country CSV, told apart by content.
    pub fn open(path: &Path) -> Result<(CountryDb, LoadReport), Error> {
        let bytes = read(path)?;
        if mmdb::is_mmdb(&bytes) {
            let (table, kind) = mmdb::country_table(path, bytes)?;
            let report = LoadReport::mmdb(path, &kind, table.ranges().len());
            return Ok((CountryDb(table), report));
        }
        check_text(path, &bytes)?;
        let (table, counts) = CountryTable::from_csv(&bytes);
        let report = LoadReport::csv(path, table.ranges().len(), counts, "country_code")?;
        Ok((CountryDb(table), report))
    }

    #[inline]
    pub fn country(&self, ip: IpAddr) -> Option<Country> {
        self.0.country(ip)
    }

    pub fn table(&self) -> &CountryTable {
        &self.0
    }
}

impl From<CountryTable> for CountryDb {
    fn from(table: CountryTable) -> Self {
        CountryDb(table)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })
}

/// Refuses what is plainly not a CSV file, before its every line is reported as a bad row.
fn check_text(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let what = if bytes.starts_with(&[0x1f, 0x8b]) {
        "gzip-compressed (decompress it first)"
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "zstd-compressed (decompress it first)"
    } else if bytes.starts_with(b"PK\x03\x04") {
        "a zip archive (unpack it first)"
    } else if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mmdb"))
    {
        "named .mmdb but has no MaxMind DB metadata (truncated?)"
    } else if bytes.iter().take(4096).any(|&b| b == 0) {
        "a binary file"
    } else if bytes.is_empty() {
        "empty"
    } else {
        return Ok(());
    };
    Err(Error::UnknownKind {
        path: path.to_owned(),
        what,
    })
}

/// What loading one database came to, for a one-line note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub path: PathBuf,
    /// `ip-location-db CSV`, or the MaxMind DB's own type (`GeoLite2-ASN`).
    pub kind: String,
    /// Disjoint ranges in the table, after overlaps were cut and neighbours with the same
    /// value joined.
    pub ranges: u64,
    /// Rows read and skipped (CSV only).
    pub csv: Option<CsvCounts>,
}

impl LoadReport {
    fn mmdb(path: &Path, kind: &str, ranges: usize) -> Self {
        LoadReport {
            path: path.to_owned(),
            kind: format!("MaxMind DB `{kind}`"),
            ranges: ranges as u64,
            csv: None,
        }
    }

    /// A CSV load's report, or an error when not one row was usable.
    fn csv(
        path: &Path,
        ranges: usize,
        counts: CsvCounts,
        what: &'static str,
    ) -> Result<Self, Error> {
        if counts.rows == 0 {
            let (line, reason) = counts
                .first_skipped
                .as_ref()
                .map_or((0, "no rows".to_owned()), |b| (b.line, b.reason.clone()));
            return Err(Error::NoRows {
                path: path.to_owned(),
                what,
                skipped: counts.skipped,
                line,
                reason,
            });
        }
        Ok(LoadReport {
            path: path.to_owned(),
            kind: "ip-location-db CSV".to_owned(),
            ranges: ranges as u64,
            csv: Some(counts),
        })
    }

    /// Rows skipped as malformed.
    pub fn skipped(&self) -> u64 {
        self.csv.as_ref().map_or(0, |c| c.skipped)
    }
}

impl fmt::Display for LoadReport {
    /// `asn-ipv4.csv (ip-location-db CSV): 412345 ranges, 2 rows skipped (first: line 17:
    /// ...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        write!(f, "{name} ({}): {} ranges", self.kind, self.ranges)?;
        if let Some(counts) = self.csv.as_ref().filter(|c| c.skipped > 0) {
            write!(f, ", {} malformed rows skipped", counts.skipped)?;
            if let Some(bad) = &counts.first_skipped {
                write!(f, " (first: line {}: {})", bad.line, bad.reason)?;
            }
        }
        Ok(())
    }
}

/// What an event lacks that the databases know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fill {
    pub asn: Option<u32>,
    pub country: Option<Country>,
}

impl Fill {
    pub fn is_empty(&self) -> bool {
        self.asn.is_none() && self.country.is_none()
    }

    /// Writes the values into `event`'s empty fields (never over one the log filled).
    pub fn apply(self, event: &mut AuthEvent<'_>) {
        if event.asn.is_none() {
            event.asn = self.asn;
        }
        if event.country.is_none() {
            event.country = self.country;
        }
    }
}

/// Fills events' missing AS numbers and countries from local databases.
///
/// Databases of a kind are asked in the order they were added; the first answer wins. Cheap to
/// share between threads (`Arc<Enricher>`): lookups take `&self` and allocate nothing.
#[derive(Debug, Default)]
pub struct Enricher {
    asn: Vec<AsnDb>,
    country: Vec<CountryDb>,
}

impl Enricher {
    pub fn new() -> Self {
        Enricher::default()
    }

    pub fn add_asn(&mut self, db: AsnDb) {
        self.asn.push(db);
    }

    pub fn add_country(&mut self, db: CountryDb) {
        self.country.push(db);
    }

    /// Whether there is nothing to look anything up in.
    pub fn is_empty(&self) -> bool {
        self.asn.is_empty() && self.country.is_empty()
    }

    /// The AS number of `ip`, from the first database that knows it.
    #[inline]
    pub fn asn(&self, ip: IpAddr) -> Option<u32> {
        self.asn.iter().find_map(|db| db.asn(ip))
    }

    /// The country of `ip`, from the first database that knows it.
    #[inline]
    pub fn country(&self, ip: IpAddr) -> Option<Country> {
        self.country.iter().find_map(|db| db.country(ip))
    }

    /// What `event` lacks and the databases know. Looks up only the fields the event does not
    /// have; an event with both, or without an address, costs two comparisons.
    #[inline]
    pub fn lookup(&self, event: &AuthEvent<'_>) -> Fill {
        let Some(ip) = event.ip else {
            return Fill::default();
        };
        Fill {
            asn: if event.asn.is_none() {
                self.asn(ip)
            } else {
                None
            },
            country: if event.country.is_none() {
                self.country(ip)
            } else {
                None
            },
        }
    }

    /// Fills `event`'s missing AS number and country; returns what it filled.
    pub fn enrich(&self, event: &mut AuthEvent<'_>) -> Fill {
        let fill = self.lookup(event);
        fill.apply(event);
        fill
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use forewarn_model::{Kind, Outcome, Timestamp};
    use ipnet::IpNet;
    use serde::Serialize;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn event(ip: Option<&str>) -> AuthEvent<'static> {
        let mut e = AuthEvent::new(
            Timestamp::UNIX_EPOCH,
            Kind::AuthPassword,
            Outcome::Failure,
            Cow::Borrowed("jane@example.com"),
        );
        e.ip = ip.map(|t| t.parse().unwrap());
        e
    }

    fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn mmdb<T: Serialize>(kind: &str, records: &[(&str, T)]) -> Vec<u8> {
        let mut writer = mmdb_writer::Writer::new(kind);
        for (net, record) in records {
            writer
                .insert(net.parse::<IpNet>().unwrap(), record)
                .unwrap();
        }
        writer.to_bytes().unwrap()
    }

    #[derive(Serialize)]
    struct GeoLiteAsn {
        autonomous_system_number: u32,
        autonomous_system_organization: &'static str,
    }

    #[derive(Serialize)]
    struct IsoCode {
        iso_code: &'static str,
    }

    #[derive(Serialize)]
    struct GeoLiteCountry {
        country: Option<IsoCode>,
        registered_country: IsoCode,
    }

    #[derive(Serialize)]
    struct IpLocationDbCountry {
        country_code: &'static str,
    }

    fn csv_enricher() -> Enricher {
        let (table, _) = AsnTable::from_csv(
            b"1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,WIDE\n",
        );
        let (countries, _) = CountryTable::from_csv(b"1.0.0.0,1.0.0.255,AU\n");
        let mut enricher = Enricher::new();
        enricher.add_asn(AsnDb::from(table));
        enricher.add_country(CountryDb::from(countries));
        enricher
    }

    #[test]
    fn fills_what_the_log_lacks() {
        let enricher = csv_enricher();
        let mut e = event(Some("1.0.0.7"));
        let fill = enricher.enrich(&mut e);
        assert_eq!(e.asn, Some(13335));
        assert_eq!(e.country, Some(Country::new("AU").unwrap()));
        assert_eq!(fill.asn, Some(13335));
    }

    #[test]
    fn never_overrides_what_the_log_says() {
        let enricher = csv_enricher();
        let mut e = event(Some("1.0.0.7"));
        e.asn = Some(64500);
        e.country = Some(Country::new("DE").unwrap());
        let fill = enricher.enrich(&mut e);
        assert!(fill.is_empty());
        assert_eq!(e.asn, Some(64500));
        assert_eq!(e.country.unwrap().as_str(), "DE");
        // Only the missing one is looked up.
        let mut e = event(Some("1.0.0.7"));
        e.country = Some(Country::new("DE").unwrap());
        assert_eq!(
            enricher.enrich(&mut e),
            Fill {
                asn: Some(13335),
                country: None
            }
        );
        assert_eq!(e.country.unwrap().as_str(), "DE");
    }

    #[test]
    fn leaves_events_without_an_address_or_outside_every_range_alone() {
        let enricher = csv_enricher();
        let mut e = event(None);
        assert!(enricher.enrich(&mut e).is_empty());
        let mut e = event(Some("203.0.113.9"));
        assert!(enricher.enrich(&mut e).is_empty());
        assert_eq!((e.asn, e.country), (None, None));
        let mut e = event(Some("2001:200::1"));
        assert_eq!(enricher.enrich(&mut e).asn, Some(2500));
        assert!(Enricher::new().lookup(&event(Some("1.0.0.7"))).is_empty());
    }

    #[test]
    fn the_first_database_that_knows_an_address_wins() {
        let (a, _) = AsnTable::from_csv(b"1.0.0.0,1.0.0.127,1,A\n");
        let (b, _) = AsnTable::from_csv(b"1.0.0.0,1.0.0.255,2,B\n");
        let mut enricher = Enricher::new();
        enricher.add_asn(AsnDb::from(a));
        enricher.add_asn(AsnDb::from(b));
        assert_eq!(enricher.asn(ip("1.0.0.1")), Some(1));
        assert_eq!(enricher.asn(ip("1.0.0.200")), Some(2));
    }

    #[test]
    fn reads_geolite2_style_asn_databases() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = mmdb(
            "GeoLite2-ASN",
            &[
                (
                    "1.0.0.0/24",
                    GeoLiteAsn {
                        autonomous_system_number: 13335,
                        autonomous_system_organization: "CLOUDFLARENET",
                    },
                ),
                (
                    "2001:200::/32",
                    GeoLiteAsn {
                        autonomous_system_number: 2500,
                        autonomous_system_organization: "WIDE",
                    },
                ),
            ],
        );
        let path = file(&dir, "GeoLite2-ASN.mmdb", &bytes);
        let (db, report) = AsnDb::open(&path).unwrap();
        assert_eq!(db.table().org(13335), Some("CLOUDFLARENET"));
        assert!(report.to_string().contains("GeoLite2-ASN"), "{report}");
        assert_eq!(db.asn(ip("1.0.0.0")), Some(13335));
        assert_eq!(db.asn(ip("1.0.0.255")), Some(13335));
        assert_eq!(db.asn(ip("1.0.1.0")), None);
        assert_eq!(db.asn(ip("2001:200:ffff::1")), Some(2500));
        assert_eq!(db.asn(ip("2001:201::1")), None);
    }

    #[test]
    fn reads_geolite2_and_ip_location_db_country_databases() {
        let dir = tempfile::tempdir().unwrap();
        let geolite = mmdb(
            "GeoLite2-Country",
            &[
                (
                    "1.0.0.0/24",
                    GeoLiteCountry {
                        country: Some(IsoCode { iso_code: "AU" }),
                        registered_country: IsoCode { iso_code: "US" },
                    },
                ),
                (
                    "1.0.1.0/24",
                    GeoLiteCountry {
                        country: None,
                        registered_country: IsoCode { iso_code: "CN" },
                    },
                ),
            ],
        );
        let (db, _) = CountryDb::open(&file(&dir, "c.mmdb", &geolite)).unwrap();
        assert_eq!(db.country(ip("1.0.0.9")).unwrap().as_str(), "AU");
        assert_eq!(db.country(ip("1.0.1.9")).unwrap().as_str(), "CN");
        assert_eq!(db.country(ip("1.0.2.9")), None);

        let ild = mmdb(
            "country ipvAll",
            &[
                ("1.0.0.0/24", IpLocationDbCountry { country_code: "AU" }),
                ("2001:200::/32", IpLocationDbCountry { country_code: "JP" }),
            ],
        );
        let (db, _) = CountryDb::open(&file(&dir, "geo-whois.mmdb", &ild)).unwrap();
        assert_eq!(db.country(ip("1.0.0.9")).unwrap().as_str(), "AU");
        assert_eq!(db.country(ip("2001:200::9")).unwrap().as_str(), "JP");
    }

    #[test]
    fn a_database_of_the_wrong_kind_is_refused_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let country = mmdb(
            "country ipvAll",
            &[("1.0.0.0/24", IpLocationDbCountry { country_code: "AU" })],
        );
        let path = file(&dir, "country.mmdb", &country);
        let err = AsnDb::open(&path).unwrap_err().to_string();
        assert!(
            err.contains("country.mmdb")
                && err.contains("`country ipvAll`")
                && err.contains("autonomous_system_number")
                && err.contains("--geo-db"),
            "{err}"
        );
    }

    #[test]
    fn files_that_are_no_database_are_refused_with_the_path_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[u8], &str); 5] = [
            ("a.csv.gz", b"\x1f\x8b\x08\x00rest", "gzip-compressed"),
            ("b.mmdb", b"not really a database", "no MaxMind DB metadata"),
            ("c.bin", b"\x00\x01\x02", "a binary file"),
            ("d.csv", b"", "empty"),
            ("e.csv", b"hello,world\nfoo\n", "has no usable asn,org_name row (2 skipped); line 1: expected first_ip,last_ip,asn,org_name: `hello,world`"),
        ];
        for (name, bytes, want) in cases {
            let path = file(&dir, name, bytes);
            let err = AsnDb::open(&path).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains(want), "{name}: {err}");
        }
        let missing = dir.path().join("missing.csv");
        let err = AsnDb::open(&missing).unwrap_err().to_string();
        assert!(
            err.starts_with("cannot read ") && err.contains("missing.csv"),
            "{err}"
        );
    }

    #[test]
    fn the_load_note_counts_ranges_and_shows_the_first_bad_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(
            &dir,
            "asn-ipv4.csv",
            b"1.0.0.0,1.0.0.255,13335,C\n1.0.1.0,1.0.1.999,1,bad\n1.0.4.0,1.0.7.255,38803,G\n",
        );
        let (_, report) = AsnDb::open(&path).unwrap();
        assert_eq!(report.skipped(), 1);
        assert_eq!(
            report.to_string(),
            "asn-ipv4.csv (ip-location-db CSV): 2 ranges, 1 malformed rows skipped \
             (first: line 2: `1.0.1.999` is not an IP address)"
        );
    }
}
