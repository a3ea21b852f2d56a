//! ip-location-db's CSV range files: `first_ip,last_ip,value[,...]`, one range per line.
//!
//! - ASN files (`asn-ipv4.csv`, `asn-ipv6.csv`): `first_ip,last_ip,asn,org_name`, the org name
//!   double-quoted when it holds a comma (`"Cloudflare, Inc."`, `""` for a quote inside).
//! - Country files (`geo-whois-asn-country-ipv4.csv`, ...): `first_ip,last_ip,country_code`.
//!
//! Both ends are inclusive, dotted IPv4 or IPv6 text. The rows are split by hand rather than
//! with a CSV library: a row is always one line, only the last column is ever quoted, and a bad
//! row must be reported by its line number and skipped without losing the rows around it —
//! a few lines of code, where a general CSV reader would add a dependency and its own idea of
//! records spanning lines.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

use forewarn_model::Country;

use crate::ranges::RangeTable;

/// A row that was skipped: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line number in the file.
    pub line: u64,
    pub reason: String,
}

/// What reading a CSV file came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvCounts {
    /// Rows read into the table.
    pub rows: u64,
    /// Rows skipped as malformed.
    pub skipped: u64,
    /// The first skipped row.
    pub first_skipped: Option<BadRow>,
}

impl CsvCounts {
    fn skip(&mut self, line: u64, reason: String) {
        self.skipped += 1;
        if self.first_skipped.is_none() {
            self.first_skipped = Some(BadRow { line, reason });
        }
    }
}

/// Rows of one file, by address family.
struct Rows<V> {
    v4: Vec<(u32, u32, V)>,
    v6: Vec<(u128, u128, V)>,
    counts: CsvCounts,
}

/// Longest piece of a field quoted in a reason.
const SHOWN: usize = 40;

/// `text` cut to a readable length, for a reason.
fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

fn unquote(field: &str) -> Cow<'_, str> {
    let field = field.trim();
    match field
        .strip_prefix('"')
        .map(|f| f.strip_suffix('"').unwrap_or(f))
    {
        Some(inner) if inner.contains("\"\"") => Cow::Owned(inner.replace("\"\"", "\"")),
        Some(inner) => Cow::Borrowed(inner),
        None => Cow::Borrowed(field),
    }
}

fn address(field: &str) -> Result<IpAddr, String> {
    let field = field.trim().trim_matches('"');
    field.parse().map_err(|_| {
        if !field.is_empty() && field.bytes().all(|b| b.is_ascii_digit()) {
            format!(
                "`{}` is a number, not an IP address (the numeric *-num.csv files are not \
                 read: use the asn-ipv4.csv / asn-ipv6.csv kind)",
                shown(field)
            )
        } else {
            format!("`{}` is not an IP address", shown(field))
        }
    })
}

/// Reads every line; `value` turns the third field and whatever follows it (empty when
/// nothing does) into the range's value.
fn read<V>(
    bytes: &[u8],
    what: &str,
    mut value: impl FnMut(&str, &str) -> Result<V, String>,
) -> Rows<V> {
    let mut rows = Rows {
        v4: Vec::new(),
        v6: Vec::new(),
        counts: CsvCounts::default(),
    };
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = index as u64 + 1;
        let line = String::from_utf8_lossy(line);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut fields = line.splitn(4, ',');
        let (Some(first), Some(last), Some(third)) = (fields.next(), fields.next(), fields.next())
        else {
            rows.counts.skip(
                number,
                format!("expected first_ip,last_ip,{what}: `{}`", shown(line)),
            );
            continue;
        };
        let rest = fields.next().unwrap_or("");
        let parsed = address(first).and_then(|first| {
            let last = address(last)?;
            let value = value(third.trim().trim_matches('"'), rest)?;
            Ok((first, last, value))
        });
        let (first, last, value) = match parsed {
            Ok(row) => row,
            // A header line (`first_ip,last_ip,asn,...`) is not a row.
            Err(_) if number == 1 && address(first).is_err() && value(third, rest).is_err() => {
                continue
            }
            Err(reason) => {
                rows.counts.skip(number, reason);
                continue;
            }
        };
        let ordered = match (first, last) {
            (IpAddr::V4(f), IpAddr::V4(l)) => {
                let (f, l) = (u32::from(f), u32::from(l));
                (f <= l).then(|| rows.v4.push((f, l, value)))
            }
            (IpAddr::V6(f), IpAddr::V6(l)) => {
                let (f, l) = (u128::from(f), u128::from(l));
                (f <= l).then(|| rows.v6.push((f, l, value)))
            }
            _ => {
                rows.counts.skip(
                    number,
                    format!("the range {first} - {last} mixes IPv4 and IPv6"),
                );
                continue;
            }
        };
        if ordered.is_none() {
            rows.counts.skip(
                number,
                format!("the range {first} - {last} ends before it starts"),
            );
            continue;
        }
        rows.counts.rows += 1;
    }
    rows
}

/// Each AS's organisation name, from the first row that named it: spans of one buffer, not a
/// string per row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Orgs {
    spans: HashMap<u32, (u32, u32)>,
    names: String,
}

impl Orgs {
    pub(crate) fn add(&mut self, asn: u32, name: &str) {
        if name.is_empty() {
            return;
        }
        let names = &mut self.names;
        self.spans.entry(asn).or_insert_with(|| {
            let at = names.len();
            names.push_str(name);
            (at as u32, (names.len() - at) as u32)
        });
    }

    fn get(&self, asn: u32) -> Option<&str> {
        let &(at, len) = self.spans.get(&asn)?;
        self.names.get(at as usize..(at + len) as usize)
    }
}

/// AS numbers by address range, with each AS's organisation name.
#[derive(Debug, Clone)]
pub struct AsnTable {
    ranges: RangeTable<u32>,
    orgs: Orgs,
}

impl AsnTable {
    pub(crate) fn new(ranges: RangeTable<u32>, orgs: Orgs) -> Self {
        AsnTable { ranges, orgs }
    }

    /// Reads an ip-location-db ASN CSV (`first_ip,last_ip,asn,org_name`). Malformed rows are
    /// skipped and counted, the first one kept with its line and reason.
    pub fn from_csv(bytes: &[u8]) -> (AsnTable, CsvCounts) {
        let mut orgs = Orgs::default();
        let rows = read(bytes, "asn,org_name", |asn, org| {
            let asn = asn
                .strip_prefix("AS")
                .unwrap_or(asn)
                .parse::<u32>()
                .map_err(|_| format!("`{}` is not an AS number", shown(asn)))?;
            orgs.add(asn, &unquote(org));
            Ok(asn)
        });
        let table = AsnTable::new(RangeTable::build(rows.v4, rows.v6), orgs);
        (table, rows.counts)
    }

    /// The AS announcing `ip`. AS 0 (RFC 7607: not routed) is no answer.
    #[inline]
    pub fn asn(&self, ip: IpAddr) -> Option<u32> {
        self.ranges.get(ip).filter(|&asn| asn != 0)
    }

    /// The organisation behind `asn`, as the file names it.
    pub fn org(&self, asn: u32) -> Option<&str> {
        self.orgs.get(asn)
    }

    pub fn ranges(&self) -> &RangeTable<u32> {
        &self.ranges
    }
}

/// Countries by address range.
#[derive(Debug, Clone)]
pub struct CountryTable {
    ranges: RangeTable<Country>,
}

impl CountryTable {
    pub(crate) fn new(ranges: RangeTable<Country>) -> Self {
        CountryTable { ranges }
    }

    /// Reads an ip-location-db country CSV (`first_ip,last_ip,country_code`). Malformed rows
    /// are skipped and counted, the first one kept with its line and reason.
    pub fn from_csv(bytes: &[u8]) -> (CountryTable, CsvCounts) {
        let rows = read(bytes, "country_code", |code, _| {
            Country::new(code).map_err(|e| e.to_string())
        });
        let table = CountryTable {
            ranges: RangeTable::build(rows.v4, rows.v6),
        };
        (table, rows.counts)
    }

    /// Where `ip` is. `ZZ` (unknown, in ip-location-db and others) is no answer.
    #[inline]
    pub fn country(&self, ip: IpAddr) -> Option<Country> {
        self.ranges
            .get(ip)
            .filter(|country| country.as_str() != "ZZ")
    }

    pub fn ranges(&self) -> &RangeTable<Country> {
        &self.ranges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    const SAMPLE: &str = "\
1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"
1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd
1.0.64.0,1.0.127.255,18144,\"Enecom,Inc.\"
5.5.5.0,5.5.5.255,64500,\"The \"\"Quoted\"\" Co\"
2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project
2001:200:1ba::,2001:200:1ba:ffff:ffff:ffff:ffff:ffff,24047,\"Internet Systems Consortium, Inc.\"
";

    #[test]
    fn reads_ipv4_and_ipv6_rows_with_quoted_org_names() {
        let (table, counts) = AsnTable::from_csv(SAMPLE.as_bytes());
        assert_eq!(counts.rows, 6);
        assert_eq!(counts.skipped, 0);
        assert_eq!(table.asn(ip("1.0.0.1")), Some(13335));
        assert_eq!(table.org(13335), Some("Cloudflare, Inc."));
        assert_eq!(table.org(18144), Some("Enecom,Inc."));
        assert_eq!(table.org(38803), Some("Gtelecom Pty Ltd"));
        assert_eq!(table.org(64500), Some("The \"Quoted\" Co"));
        assert_eq!(table.org(1), None);
        assert_eq!(table.asn(ip("2001:200:1ba::1")), Some(24047));
        assert_eq!(table.org(24047), Some("Internet Systems Consortium, Inc."));
    }

    #[test]
    fn finds_both_ends_of_a_range_and_nothing_just_outside() {
        let (table, _) = AsnTable::from_csv(SAMPLE.as_bytes());
        assert_eq!(table.asn(ip("0.255.255.255")), None);
        assert_eq!(table.asn(ip("1.0.0.0")), Some(13335));
        assert_eq!(table.asn(ip("1.0.0.255")), Some(13335));
        assert_eq!(table.asn(ip("1.0.1.0")), None);
        assert_eq!(table.asn(ip("1.0.3.255")), None);
        assert_eq!(table.asn(ip("1.0.4.0")), Some(38803));
        assert_eq!(table.asn(ip("1.0.7.255")), Some(38803));
        assert_eq!(table.asn(ip("1.0.8.0")), None);
        assert_eq!(
            table.asn(ip("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff")),
            None
        );
        assert_eq!(table.asn(ip("2001:200::")), Some(2500));
        assert_eq!(
            table.asn(ip("2001:200:1b9:ffff:ffff:ffff:ffff:ffff")),
            Some(2500)
        );
        assert_eq!(table.asn(ip("2001:200:1ba::")), Some(24047));
        assert_eq!(
            table.asn(ip("2001:200:1ba:ffff:ffff:ffff:ffff:ffff")),
            Some(24047)
        );
        assert_eq!(table.asn(ip("2001:200:1bb::")), None);
        // IPv4 ranges do not answer for IPv6 addresses, nor the reverse.
        assert_eq!(table.asn(ip("::1.0.0.1")), None);
        assert_eq!(table.asn(ip("::ffff:1.0.0.1")), Some(13335));
    }

    #[test]
    fn bad_rows_are_skipped_and_counted_with_the_first_ones_line_and_reason() {
        let text = "\
1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"
1.0.4.0,1.0.7.999,38803,Gtelecom Pty Ltd
1.0.16.0,1.0.16.255,AS2519,ARTERIA Networks Corporation
garbage
1.0.64.0,1.0.127.255,eighteen,Enecom

1.0.128.0,1.0.127.0,1,backwards
1.0.200.0,2001::,1,mixed
16777216,16777471,13335,Cloudflare
2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project
";
        let (table, counts) = AsnTable::from_csv(text.as_bytes());
        assert_eq!(counts.rows, 3, "{counts:?}");
        assert_eq!(counts.skipped, 6, "{counts:?}");
        let first = counts.first_skipped.unwrap();
        assert_eq!(first.line, 2);
        assert_eq!(first.reason, "`1.0.7.999` is not an IP address");
        // The good rows around the bad ones are all there.
        assert_eq!(table.asn(ip("1.0.0.9")), Some(13335));
        assert_eq!(table.asn(ip("1.0.16.9")), Some(2519));
        assert_eq!(table.asn(ip("2001:200::9")), Some(2500));
        assert_eq!(table.asn(ip("1.0.5.1")), None);
    }

    #[test]
    fn every_kind_of_bad_row_says_what_is_wrong() {
        let reason = |line: &str| {
            let (_, counts) =
                AsnTable::from_csv(format!("1.1.1.0,1.1.1.255,1,x\n{line}\n").as_bytes());
            let bad = counts.first_skipped.unwrap();
            assert_eq!(bad.line, 2);
            bad.reason
        };
        assert_eq!(
            reason("garbage"),
            "expected first_ip,last_ip,asn,org_name: `garbage`"
        );
        assert_eq!(
            reason("1.0.64.0,1.0.127.255,eighteen,E"),
            "`eighteen` is not an AS number"
        );
        assert_eq!(
            reason("1.0.64.0,1.0.127.255,99999999999,E"),
            "`99999999999` is not an AS number"
        );
        assert_eq!(
            reason("1.0.128.0,1.0.127.0,1,b"),
            "the range 1.0.128.0 - 1.0.127.0 ends before it starts"
        );
        assert_eq!(
            reason("1.0.200.0,2001::,1,m"),
            "the range 1.0.200.0 - 2001:: mixes IPv4 and IPv6"
        );
        assert!(reason("16777216,16777471,13335,C").contains("is a number, not an IP address"));
        assert!(reason(&"x".repeat(500)).len() < 100);
    }

    #[test]
    fn a_header_line_is_not_a_bad_row() {
        let text = "first_ip,last_ip,asn,org_name\r\n1.0.0.0,1.0.0.255,13335,Cloudflare\r\n";
        let (table, counts) = AsnTable::from_csv(text.as_bytes());
        assert_eq!((counts.rows, counts.skipped), (1, 0));
        assert_eq!(table.asn(ip("1.0.0.255")), Some(13335));
    }

    #[test]
    fn overlapping_rows_give_the_more_specific_range() {
        let text = "\
10.0.0.0,10.255.255.255,1,Big
10.1.0.0,10.1.255.255,2,Small
10.1.2.0,10.1.2.255,3,Smaller
";
        let (table, _) = AsnTable::from_csv(text.as_bytes());
        assert_eq!(table.asn(ip("10.0.0.1")), Some(1));
        assert_eq!(table.asn(ip("10.1.0.1")), Some(2));
        assert_eq!(table.asn(ip("10.1.2.1")), Some(3));
        assert_eq!(table.asn(ip("10.1.3.1")), Some(2));
        assert_eq!(table.asn(ip("10.2.0.1")), Some(1));
    }

    #[test]
    fn as_zero_is_no_answer() {
        let (table, _) = AsnTable::from_csv(b"10.0.0.0,10.0.0.255,0,Not routed\n");
        assert_eq!(table.asn(ip("10.0.0.1")), None);
    }

    #[test]
    fn reads_country_rows() {
        let text = "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.3.255,cn\n1.0.4.0,1.0.4.255,ZZ\n2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP\n1.0.5.0,1.0.5.255,Australia\n";
        let (table, counts) = CountryTable::from_csv(text.as_bytes());
        assert_eq!((counts.rows, counts.skipped), (4, 1));
        assert_eq!(counts.first_skipped.unwrap().line, 5);
        assert_eq!(table.country(ip("1.0.0.7")).unwrap().as_str(), "AU");
        assert_eq!(table.country(ip("1.0.2.7")).unwrap().as_str(), "CN");
        assert_eq!(table.country(ip("1.0.4.7")), None);
        assert_eq!(table.country(ip("2001:200::7")).unwrap().as_str(), "JP");
    }
}
