//! Helpers for detectors' checkpoints (`Detector::save` / `restore`).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map saved as a list of pairs: JSON object keys must be strings, keyed state's are ids and
/// tuples of ids.
pub mod pairs {
    use super::*;

    pub fn serialize<K, V, H, S>(map: &HashMap<K, V, H>, serializer: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize,
        V: Serialize,
        S: Serializer,
    {
        serializer.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, H, D>(deserializer: D) -> Result<HashMap<K, V, H>, D::Error>
    where
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
        H: BuildHasher + Default,
        D: Deserializer<'de>,
    {
        let pairs: Vec<(K, V)> = Vec::deserialize(deserializer)?;
        Ok(pairs.into_iter().collect())
    }
}

/// Implements `Detector::save` and `Detector::restore` for the fields that hold a detector's
/// state: plain fields (serde types), then, after `;`, maps whose keys are not strings (saved
/// as lists of pairs, since JSON object keys must be strings).
macro_rules! saved_fields {
    ($($field:ident),* $(; $($map:ident),+)?) => {
        fn save(&self) -> Result<serde_json::Value, serde_json::Error> {
            let mut saved = serde_json::Map::new();
            $(saved.insert(stringify!($field).to_owned(), serde_json::to_value(&self.$field)?);)*
            $($(saved.insert(
                stringify!($map).to_owned(),
                serde_json::to_value(self.$map.iter().collect::<Vec<_>>())?,
            );)+)?
            Ok(serde_json::Value::Object(saved))
        }

        fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
            let serde_json::Value::Object(mut saved) = saved else {
                return Err(<serde_json::Error as serde::de::Error>::custom(
                    "a detector's saved state is not an object",
                ));
            };
            $(self.$field = serde_json::from_value(
                saved.remove(stringify!($field)).unwrap_or_default(),
            )?;)*
            $($(
                let pairs: Vec<(_, _)> =
                    serde_json::from_value(saved.remove(stringify!($map)).unwrap_or_default())?;
                self.$map = pairs.into_iter().collect();
            )+)?
            Ok(())
        }
    };
}
pub(crate) use saved_fields;
