//! State keyed by network: the /24 (IPv4) or /48 (IPv6) an address is in, and its autonomous
//! system. Attackers rotate addresses inside a rented range or a hosting provider; the range
//! keeps what each address alone does not show.

use std::net::IpAddr;

use forewarn_model::{Kind, Outcome};
use serde::{Deserialize, Serialize};

use crate::intern::{FastSet, Symbol};
use crate::observation::Observation;

/// A network a source address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Network {
    /// The first three octets of an IPv4 address.
    V4Prefix24(u32),
    /// The first 48 bits of an IPv6 address: one site.
    V6Prefix48(u64),
    Asn(u32),
}

impl Network {
    pub fn prefix_of(ip: IpAddr) -> Network {
        match ip {
            IpAddr::V4(v4) => Network::V4Prefix24(u32::from(v4) >> 8),
            IpAddr::V6(v6) => Network::V6Prefix48((u128::from(v6) >> 80) as u64),
        }
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Network::V4Prefix24(p) => {
                let [_, a, b, c] = p.to_be_bytes();
                write!(f, "{a}.{b}.{c}.0/24")
            }
            Network::V6Prefix48(p) => {
                let words = [(p >> 32) as u16, (p >> 16) as u16, p as u16];
                write!(f, "{:x}:{:x}:{:x}::/48", words[0], words[1], words[2])
            }
            Network::Asn(asn) => write!(f, "AS{asn}"),
        }
    }
}

/// What all the addresses of one network did.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct NetworkStats {
    pub first_ms: i64,
    pub last_ms: i64,
    pub events: u64,
    /// Distinct source addresses seen in it.
    pub sources: u32,
    pub password_failures: u32,
    /// Accounts with a failed password from here.
    pub failed_accounts: FastSet<Symbol>,
    pub sessions: u32,
}

impl NetworkStats {
    pub fn observe(&mut self, o: &Observation, new_source: bool) {
        if self.events == 0 {
            self.first_ms = o.time_ms;
        }
        self.first_ms = self.first_ms.min(o.time_ms);
        self.last_ms = self.last_ms.max(o.time_ms);
        self.events += 1;
        self.sources += u32::from(new_source);
        match (o.kind, o.outcome) {
            (Kind::AuthPassword, Outcome::Failure) => {
                self.password_failures += 1;
                self.failed_accounts.insert(o.account);
            }
            (Kind::SessionStart, Outcome::Success) => self.sessions += 1,
            _ => {}
        }
    }

    /// Nothing failed from here.
    pub fn quiet(&self) -> bool {
        self.password_failures == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_names() {
        let v4: IpAddr = "203.0.113.77".parse().unwrap();
        assert_eq!(Network::prefix_of(v4).to_string(), "203.0.113.0/24");
        let same: IpAddr = "203.0.113.1".parse().unwrap();
        assert_eq!(Network::prefix_of(v4), Network::prefix_of(same));
        let other: IpAddr = "203.0.114.1".parse().unwrap();
        assert_ne!(Network::prefix_of(v4), Network::prefix_of(other));
        let v6: IpAddr = "2001:db8:abcd:12::1".parse().unwrap();
        assert_eq!(Network::prefix_of(v6).to_string(), "2001:db8:abcd::/48");
        let site: IpAddr = "2001:db8:abcd:ffff::9".parse().unwrap();
        assert_eq!(Network::prefix_of(v6), Network::prefix_of(site));
        assert_eq!(Network::Asn(64500).to_string(), "AS64500");
    }
}
