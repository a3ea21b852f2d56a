//! The configuration: every threshold of the engine, the campaigns and each detector, and the
//! operator's allowlists, read from TOML (`forewarn scan --config FILE`).
//!
//! Each part keeps its own `Params` beside the code that uses it (a detector's thresholds in
//! the detector's file); this module only gathers them into sections:
//!
//! ```toml
//! [engine]                       # engine::Params
//! [campaigns]                    # campaigns::Params
//! [allowlist]                    # allowlist::Params
//! [enrich]                       # Enrich (read by the scan, which loads the databases)
//! [detectors.<name>]             # detectors::<name>::Params
//! ```
//!
//! [`DEFAULT_TOML`] is the commented default that `forewarn config print-default` prints; tests
//! hold it to [`Config::default()`] key for key and value for value, so it cannot drift.
//! Every key may be left out (its default applies); a key forewarn does not know, or a value
//! of the wrong type, is an error naming the file, line, column and key — a misspelt
//! threshold must never be silently ignored.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::detectors::{
    account_novelty, brute_force, enumeration, forced_entry, impossible_travel, mfa_fatigue,
    password_spray, persistence, recovery_chain, recovery_probe, relay_attempts, sim_swap,
    stuffing,
};
use crate::{allowlist, campaigns, engine};

/// The commented default configuration: every key, its default and why.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub engine: engine::Params,
    pub campaigns: campaigns::Params,
    pub allowlist: allowlist::Params,
    pub enrich: Enrich,
    pub detectors: Detectors,
}

/// `[enrich]`: local IP databases that fill in the network (AS) and country a log leaves out
/// (docs/enrichment.md). The engine does not read them: `scan` loads them before it starts.
/// Relative paths are taken from the configuration file's folder, so a configuration and its
/// databases move together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Enrich {
    /// AS number databases (ip-location-db ASN CSV, MaxMind ASN DB); the first that knows an
    /// address wins. Default: none — forewarn never looks addresses up online.
    pub asn_db: Vec<PathBuf>,
    /// Country databases (MaxMind country or city DB, ip-location-db country CSV). Default:
    /// none.
    pub geo_db: Vec<PathBuf>,
}

/// `[detectors.<name>]`: one section per detector, named as the detector reports itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Detectors {
    pub enumeration: enumeration::Params,
    pub recovery_probe: recovery_probe::Params,
    pub password_spray: password_spray::Params,
    pub brute_force: brute_force::Params,
    pub credential_stuffing: stuffing::Params,
    pub mfa_fatigue: mfa_fatigue::Params,
    pub sim_swap: sim_swap::Params,
    pub account_novelty: account_novelty::Params,
    pub impossible_travel: impossible_travel::Params,
    pub persistence: persistence::Params,
    pub recovery_chain: recovery_chain::Params,
    pub forced_entry: forced_entry::Params,
    pub relay_attempts: relay_attempts::Params,
    // New detectors: their `Params` here, in `DETECTORS` order, and their section in
    // default.toml (a test checks that every key is there).
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}:{line}:{column}: {}{message} (`forewarn config print-default` shows every key)",
        path.display(),
        key.as_deref().map(|k| format!("{k}: ")).unwrap_or_default()
    )]
    Invalid {
        path: PathBuf,
        /// 1-based, as editors count.
        line: usize,
        column: usize,
        /// The dotted key at fault (`detectors.brute_force.min_failures`), when one is.
        key: Option<String>,
        message: String,
    },
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Config::parse(&text, path)?;
        if let Some(folder) = path.parent() {
            let enrich = &mut config.enrich;
            for database in enrich.asn_db.iter_mut().chain(enrich.geo_db.iter_mut()) {
                if database.is_relative() {
                    *database = folder.join(&*database);
                }
            }
        }
        Ok(config)
    }

    /// Parses configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let invalid = |offset: usize, key: Option<String>, message: String| {
            let (line, column) = line_and_column(text, offset);
            ConfigError::Invalid {
                path: origin.to_owned(),
                line,
                column,
                key,
                message,
            }
        };
        let config: Config = toml::from_str(text).map_err(|error| {
            let offset = error.span().map_or(0, |span| span.start).min(text.len());
            invalid(
                offset,
                key_at(text, offset),
                error.message().trim().to_owned(),
            )
        })?;
        if let Some((key, value)) = config
            .shares()
            .into_iter()
            .find(|(_, v)| !(0.0..=1.0).contains(v))
        {
            let offset = offset_of(text, key).unwrap_or(0);
            return Err(invalid(
                offset,
                Some(key.to_owned()),
                format!("{value} is not a share: expected a number from 0 to 1"),
            ));
        }
        Ok(config)
    }

    /// Every key that is a share (0..1), with its value.
    fn shares(&self) -> [(&'static str, f64); 11] {
        let (c, d) = (&self.campaigns, &self.detectors);
        [
            ("campaigns.rare_client_share", c.rare_client_share),
            ("campaigns.min_alike", c.min_alike),
            ("campaigns.min_approach_overlap", c.min_approach_overlap),
            ("detectors.enumeration.min_share", d.enumeration.min_share),
            (
                "detectors.recovery_probe.max_completion",
                d.recovery_probe.max_completion,
            ),
            (
                "detectors.recovery_probe.rare_client_share",
                d.recovery_probe.rare_client_share,
            ),
            (
                "detectors.password_spray.max_session_share",
                d.password_spray.max_session_share,
            ),
            (
                "detectors.brute_force.max_count_difference",
                d.brute_force.max_count_difference,
            ),
            (
                "detectors.credential_stuffing.min_failure_share",
                d.credential_stuffing.min_failure_share,
            ),
            (
                "detectors.credential_stuffing.rare_client_share",
                d.credential_stuffing.rare_client_share,
            ),
            (
                "detectors.sim_swap.rare_client_share",
                d.sim_swap.rare_client_share,
            ),
        ]
    }
}

/// Where `section.key` is set in the text: the `key =` line under its `[section]` header (or
/// written out in full, `section.key =`).
fn offset_of(text: &str, dotted: &str) -> Option<usize> {
    let (section, name) = dotted.rsplit_once('.')?;
    let mut table = String::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            table = trimmed
                .trim_start_matches('[')
                .split(']')
                .next()?
                .trim()
                .to_owned();
        } else if let Some((key, _)) = trimmed.split_once('=') {
            let key = key.trim();
            let full = if table.is_empty() {
                key.to_owned()
            } else {
                format!("{table}.{key}")
            };
            if (table == section && key == name) || full == dotted {
                return Some(offset + (line.len() - line.trim_start().len()));
            }
        }
        offset += line.len();
    }
    None
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

/// The dotted key whose line holds `offset`: the nearest `key =` line at or above it (a value
/// may span lines), under the table header above that; or the header itself, when the error
/// is on it.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let line_end = text
        .get(offset..)?
        .find('\n')
        .map_or(text.len(), |i| offset + i);
    let mut key: Option<&str> = None;
    for (i, line) in text[..line_end].lines().rev().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            let table = line.trim_start_matches('[').split(']').next()?.trim();
            return match key {
                Some(key) => Some(format!("{table}.{key}")),
                None if i == 0 => Some(table.to_owned()),
                None => None,
            };
        }
        if key.is_none() && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                let name = name.trim();
                let bare = name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
                if bare && !name.is_empty() {
                    key = Some(name);
                }
            }
        }
    }
    key.map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("forewarn.toml"))
    }

    #[test]
    fn the_default_file_is_the_default() {
        assert_eq!(parse(DEFAULT_TOML).unwrap(), Config::default());
        assert_eq!(parse("").unwrap(), Config::default());
    }

    /// Every key of `Config::default()` is written out in the default file, and nothing
    /// else: the file is the one list of keys with their reasons.
    #[test]
    fn the_default_file_names_every_key() {
        fn keys(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
            if let serde_json::Value::Object(map) = value {
                for (key, value) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    if value.is_object() {
                        keys(&path, value, out);
                    } else {
                        out.push(path);
                    }
                }
            }
        }
        fn toml_keys(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
            for (key, value) in table {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                match value {
                    toml::Value::Table(t) => toml_keys(&path, t, out),
                    _ => out.push(path),
                }
            }
        }
        let mut expected = Vec::new();
        keys(
            "",
            &serde_json::to_value(Config::default()).unwrap(),
            &mut expected,
        );
        let mut written = Vec::new();
        toml_keys(
            "",
            &DEFAULT_TOML.parse::<toml::Table>().unwrap(),
            &mut written,
        );
        expected.sort();
        written.sort();
        assert_eq!(written, expected);
        // ...and docs/configuration.md explains each one.
        let docs = include_str!("../../../docs/configuration.md");
        for key in &expected {
            let (section, name) = key.rsplit_once('.').unwrap();
            let section = match section.strip_prefix("detectors.") {
                Some(detector) => format!("| `{detector}` |"),
                None => format!("`[{section}]`"),
            };
            assert!(
                docs.contains(&format!("| `{name}` |")) && docs.contains(&section),
                "docs/configuration.md does not explain {key}"
            );
        }
        // Each key has its reason on the comment line above it.
        let lines: Vec<&str> = DEFAULT_TOML.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.contains(" = ") && !line.starts_with('#') {
                assert!(
                    i > 0 && lines[i - 1].starts_with('#'),
                    "no comment above `{line}`"
                );
            }
        }
    }

    #[test]
    fn databases_are_found_beside_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("forewarn.toml");
        std::fs::write(
            &file,
            "[enrich]\nasn_db = [\"geo/asn-ipv4.csv\", \"/srv/geo/asn-ipv6.csv\"]\ngeo_db = [\"country.mmdb\"]\n",
        )
        .unwrap();
        let config = Config::load(&file).unwrap();
        assert_eq!(
            config.enrich.asn_db,
            [
                dir.path().join("geo/asn-ipv4.csv"),
                PathBuf::from("/srv/geo/asn-ipv6.csv")
            ]
        );
        assert_eq!(config.enrich.geo_db, [dir.path().join("country.mmdb")]);
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let config = parse(
            "[detectors.brute_force]\nmin_failures = 50\n\n[allowlist]\negress = [\"203.0.113.0/24\", \"2001:db8::1\"]\n",
        )
        .unwrap();
        assert_eq!(config.detectors.brute_force.min_failures, 50);
        assert_eq!(config.allowlist.egress.len(), 2);
        assert_eq!(config.allowlist.egress[1].to_string(), "2001:db8::1/128");
        assert_eq!(config.engine, engine::Params::default());
        assert_eq!(
            config.detectors.credential_stuffing,
            stuffing::Params::default()
        );
    }

    #[test]
    fn an_unknown_key_names_file_line_and_key() {
        let error =
            parse("[engine]\nlateness_seconds = 60\n\n[detectors.brute_force]\nmin_failure = 5\n")
                .unwrap_err();
        let ConfigError::Invalid {
            line, column, key, ..
        } = &error
        else {
            panic!("{error}");
        };
        assert_eq!((*line, *column), (5, 1));
        assert_eq!(key.as_deref(), Some("detectors.brute_force.min_failure"));
        let text = error.to_string();
        assert!(
            text.starts_with(
                "forewarn.toml:5:1: detectors.brute_force.min_failure: unknown field `min_failure`"
            ),
            "{text}"
        );
        assert!(text.contains("min_failures"), "names the right key: {text}");
    }

    #[test]
    fn an_unknown_section_is_named() {
        let error = parse("[detectors.bruteforce]\nmin_failures = 5\n").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("bruteforce"), "{text}");
        assert!(text.starts_with("forewarn.toml:1:"), "{text}");
    }

    #[test]
    fn a_wrong_type_names_file_line_and_key() {
        let error =
            parse("# thresholds\n[detectors.enumeration]\nmin_share = \"high\"\n").unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("forewarn.toml:3:13: detectors.enumeration.min_share: invalid type"),
            "{text}"
        );
        let error = parse("[engine]\nlateness_seconds = -5\n").unwrap_err();
        assert!(
            error.to_string().contains("engine.lateness_seconds"),
            "{error}"
        );
    }

    #[test]
    fn a_share_outside_zero_to_one_names_its_line() {
        let error =
            parse("[detectors.password_spray]\nmin_accounts = 10\nmax_session_share = 10\n")
                .unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with(
                "forewarn.toml:3:1: detectors.password_spray.max_session_share: 10 is not a share"
            ),
            "{text}"
        );
        let error = parse("campaigns.min_alike = -0.5\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("forewarn.toml:1:1: campaigns.min_alike"),
            "{error}"
        );
        assert!(parse("[campaigns]\nmin_alike = 1.0\n").is_ok());
    }

    /// Every fractional threshold is a share (0..1) and checked as one: a new one must be
    /// added to `Config::shares`.
    #[test]
    fn every_fraction_is_checked_as_a_share() {
        fn floats(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        let path = if prefix.is_empty() {
                            key.clone()
                        } else {
                            format!("{prefix}.{key}")
                        };
                        floats(&path, value, out);
                    }
                }
                serde_json::Value::Number(n) if n.is_f64() => out.push(prefix.to_owned()),
                _ => {}
            }
        }
        let mut found = Vec::new();
        floats(
            "",
            &serde_json::to_value(Config::default()).unwrap(),
            &mut found,
        );
        let checked: Vec<&str> = Config::default().shares().iter().map(|(k, _)| *k).collect();
        // Fractional thresholds that are quantities, not shares.
        const QUANTITIES: &[&str] = &[
            "detectors.impossible_travel.max_speed_kmh",
            "detectors.relay_attempts.max_accounts_a_day",
        ];
        for key in found.iter().filter(|k| !QUANTITIES.contains(&k.as_str())) {
            assert!(
                checked.contains(&key.as_str()),
                "{key} is not in Config::shares"
            );
        }
        assert_eq!(found.len(), checked.len() + QUANTITIES.len());
    }

    #[test]
    fn a_bad_range_names_its_line() {
        let error = parse("[allowlist]\nvpn = [\n  \"198.51.100.0/24\",\n  \"office-nat\",\n]\n")
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with(
                "forewarn.toml:4:3: allowlist.vpn: `office-nat` is not an address range"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = Config::load(Path::new("/nonexistent/forewarn.toml")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/forewarn.toml"));
    }
}
