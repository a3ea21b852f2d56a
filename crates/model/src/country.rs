//! ISO 3166-1 alpha-2 country codes, stored inline.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An upper-case two-letter country code (`DE`), two bytes instead of a string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

/// A country code that is not two ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid country code `{0}`: expected two letters (ISO 3166-1 alpha-2, like `DE`)")]
pub struct InvalidCountry(pub String);

impl Country {
    /// Accepts two ASCII letters in any case.
    pub fn new(code: &str) -> Result<Self, InvalidCountry> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Country([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(InvalidCountry(code.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.as_str())
    }
}

impl std::str::FromStr for Country {
    type Err = InvalidCountry;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Country::new(s)
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Country::new(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_rejects_junk() {
        assert_eq!(Country::new("de").unwrap().as_str(), "DE");
        assert!(Country::new("DEU").is_err());
        assert!(Country::new("1A").is_err());
    }
}
