//! Networks the operator vouches for: the organisation's own egress (NAT gateways, web
//! proxies) and known VPN or relay ranges. Each source address is looked up once per event in
//! a longest-prefix-match trie, so a thousand ranges cost what ten do.
//!
//! What each class means to detection (docs/configuration.md, `[allowlist]`):
//! - **egress**: the organisation's own way out to the internet. Hundreds of honest people
//!   share it, and an attacker cannot easily send from it, so an address there never seeds or
//!   joins a campaign, and every account counts it as a place it knows.
//! - **vpn**: commercial VPN or relay ranges. Many unrelated people share them, attackers
//!   included, so sharing one is no evidence: an address there never links to a campaign by
//!   its network, and a sign-in from there is neither novel nor impossible travel. A VPN
//!   address is still judged by what it does.

use std::net::IpAddr;

use ipnet::IpNet;
use prefix_trie::joint::JointPrefixMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What the configuration says about the network a source address is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum NetworkClass {
    /// In no configured range (or no address at all).
    #[default]
    Unlisted,
    /// The organisation's own egress: never part of a campaign; a place every account knows.
    Egress,
    /// A known VPN or relay range: shared by strangers, so sharing it proves nothing.
    Vpn,
}

/// The `[allowlist]` section: address ranges in CIDR notation (`203.0.113.0/24`,
/// `2001:db8::/32`) or single addresses (`198.51.100.7`, taken as /32 or /128).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// The organisation's own NAT and proxy egress. Default: none — forewarn cannot know
    /// them, and an office NAT is already told apart by what it does (many sessions, few
    /// failures); listing it makes sure and saves the work.
    #[serde(serialize_with = "ranges_out", deserialize_with = "ranges_in")]
    pub egress: Vec<IpNet>,
    /// Known VPN and relay ranges (the company VPN's exits, iCloud Private Relay, a
    /// commercial VPN's published ranges). Default: none.
    #[serde(serialize_with = "ranges_out", deserialize_with = "ranges_in")]
    pub vpn: Vec<IpNet>,
}

/// The configured ranges, ready for lookups.
#[derive(Debug, Clone, Default)]
pub struct Networks {
    ranges: JointPrefixMap<IpNet, NetworkClass>,
}

impl Networks {
    /// Where ranges overlap the most specific one decides; a range listed as both egress and
    /// VPN is egress (the organisation's own word about its own network).
    pub fn new(params: &Params) -> Self {
        let mut ranges = JointPrefixMap::new();
        for (class, list) in [
            (NetworkClass::Vpn, &params.vpn),
            (NetworkClass::Egress, &params.egress),
        ] {
            for range in list {
                ranges.insert(range.trunc(), class);
            }
        }
        Networks { ranges }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The class of the most specific configured range holding `ip`.
    pub fn classify(&self, ip: IpAddr) -> NetworkClass {
        if self.ranges.is_empty() {
            return NetworkClass::Unlisted;
        }
        // An IPv4 address written as IPv6 (::ffff:203.0.113.7) is the IPv4 address.
        let host = IpNet::from(ip.to_canonical());
        self.ranges
            .get_lpm(&host)
            .map_or(NetworkClass::Unlisted, |(_, class)| *class)
    }
}

/// One range as written in the configuration.
struct Range(IpNet);

impl<'de> Deserialize<'de> for Range {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor, so that a bad range fails inside its own value and the error points at
        // that element rather than at the whole list.
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Range;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an address range such as 203.0.113.0/24")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Range, E> {
                parse_range(text).map(Range).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// Parses `203.0.113.0/24`, `2001:db8::/32` or a single address.
pub fn parse_range(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if let Ok(range) = text.parse::<IpNet>() {
        return Ok(range);
    }
    text.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
        format!("`{text}` is not an address range: expected e.g. 203.0.113.0/24, 2001:db8::/32 or 198.51.100.7")
    })
}

fn ranges_in<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
    let ranges = Vec::<Range>::deserialize(deserializer)?;
    Ok(ranges.into_iter().map(|r| r.0).collect())
}

fn ranges_out<S: Serializer>(ranges: &[IpNet], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(ranges.iter().map(ToString::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn networks(egress: &[&str], vpn: &[&str]) -> Networks {
        let parse = |list: &[&str]| list.iter().map(|r| parse_range(r).unwrap()).collect();
        Networks::new(&Params {
            egress: parse(egress),
            vpn: parse(vpn),
        })
    }

    fn class(networks: &Networks, ip: &str) -> NetworkClass {
        networks.classify(ip.parse().unwrap())
    }

    #[test]
    fn finds_v4_and_v6_ranges() {
        let n = networks(&["203.0.113.0/24"], &["2001:db8:100::/48"]);
        assert_eq!(class(&n, "203.0.113.77"), NetworkClass::Egress);
        assert_eq!(class(&n, "203.0.114.1"), NetworkClass::Unlisted);
        assert_eq!(class(&n, "2001:db8:100:7::1"), NetworkClass::Vpn);
        assert_eq!(class(&n, "2001:db8:101::1"), NetworkClass::Unlisted);
        // The IPv4 address written as IPv6 is the same address.
        assert_eq!(class(&n, "::ffff:203.0.113.9"), NetworkClass::Egress);
    }

    #[test]
    fn the_most_specific_range_decides() {
        // A VPN provider's /16 with the organisation's own gateway inside it, and the
        // organisation's /24 with one address that is its VPN concentrator.
        let n = networks(
            &["10.20.0.0/24", "198.51.100.0/24"],
            &["10.0.0.0/8", "198.51.100.7"],
        );
        assert_eq!(class(&n, "10.20.0.5"), NetworkClass::Egress);
        assert_eq!(class(&n, "10.21.0.5"), NetworkClass::Vpn);
        assert_eq!(class(&n, "198.51.100.7"), NetworkClass::Vpn);
        assert_eq!(class(&n, "198.51.100.8"), NetworkClass::Egress);
    }

    #[test]
    fn a_single_address_is_a_host_range() {
        let n = networks(&["192.0.2.1/32", "2001:db8::1"], &[]);
        assert_eq!(class(&n, "192.0.2.1"), NetworkClass::Egress);
        assert_eq!(class(&n, "192.0.2.2"), NetworkClass::Unlisted);
        assert_eq!(class(&n, "2001:db8::1"), NetworkClass::Egress);
        assert_eq!(class(&n, "2001:db8::2"), NetworkClass::Unlisted);
    }

    #[test]
    fn a_range_listed_twice_is_egress_and_host_bits_are_ignored() {
        let n = networks(&["192.0.2.77/24"], &["192.0.2.0/24"]);
        assert_eq!(class(&n, "192.0.2.200"), NetworkClass::Egress);
        assert!(networks(&[], &[]).is_empty());
        assert_eq!(
            class(&networks(&[], &[]), "192.0.2.1"),
            NetworkClass::Unlisted
        );
    }

    #[test]
    fn rejects_what_is_not_a_range() {
        assert!(parse_range("203.0.113.0/33").is_err());
        assert!(parse_range("office").unwrap_err().contains("`office`"));
        assert_eq!(
            parse_range(" 2001:db8::/32 ").unwrap(),
            "2001:db8::/32".parse::<IpNet>().unwrap()
        );
    }
}
