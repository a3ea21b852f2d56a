//! Log-source mappings: which forewarn formats a rule's `logsource` applies to, and where each
//! field name a Sigma author writes is found in that format's raw vendor record.
//!
//! Mappings are data, not code: one YAML file per format in `crates/rules/mappings/`, embedded
//! in the binary, and a user's own files (`--mappings DIR`) laid over them. `docs/rules.md`
//! describes the file format; in short:
//!
//! ```yaml
//! format: entra                      # a forewarn format name
//! time: [createdDateTime, time]      # where the record's time is (records without an event)
//! account: [userPrincipalName]       # whose account a record is about (records without an event)
//! source: [ipAddress]                # the source address it came from (records without an event)
//! keys: ascii_case_insensitive       # match JSON keys ignoring ASCII case (default: exact)
//! prefixes: ["", "properties."]      # an unmapped name is looked up under each prefix
//! dotted_keys: false                 # whether a flattened key `a.b` is the path a → b
//! keywords: [$record]                # what keyword searches search ($record: the raw record)
//! fields:                            # names for every logsource of this format
//!   IPAddress: [ipAddress, properties.ipAddress]
//! logsources:                        # the logsources this format serves, first match wins
//!   - product: azure
//!     service: signinlogs
//!     fields:                        # names for this logsource only (win over `fields`)
//!       ResultType: [status.errorCode, resultType]
//!       Status:
//!         - { path: status.errorCode, values: { "0": Success }, default: Failure }
//!       properties.message: { unsupported: "why, and what to write instead" }
//! not_applicable:                    # logsources forewarn knowingly does not read
//!   - { product: cisco, service: duo, reason: forewarn does not read Cisco Duo logs }
//! ```
//!
//! A field's values are the union of the values found at each of its paths. A path is a
//! dotted walk through objects; arrays on the way are searched element by element, and
//! `list[key=value]` selects the elements of `list` whose `key` equals `value` (Google
//! Workspace parameters, Entra modified properties).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use forewarn_formats::Format;
use rsigma_parser::LogSource;
use serde::Deserialize;

use crate::error::MappingError;

/// The mapping files shipped with forewarn, in the order they are read.
const BUILTIN: &[(&str, &str)] = &[
    ("native.yml", include_str!("../mappings/native.yml")),
    ("okta.yml", include_str!("../mappings/okta.yml")),
    ("entra.yml", include_str!("../mappings/entra.yml")),
    ("gws.yml", include_str!("../mappings/gws.yml")),
    ("auth0.yml", include_str!("../mappings/auth0.yml")),
    ("m365.yml", include_str!("../mappings/m365.yml")),
    ("cloudtrail.yml", include_str!("../mappings/cloudtrail.yml")),
    ("ocsf.yml", include_str!("../mappings/ocsf.yml")),
    ("ecs.yml", include_str!("../mappings/ecs.yml")),
    ("sshd.yml", include_str!("../mappings/sshd.yml")),
    (
        "not_applicable.yml",
        include_str!("../mappings/not_applicable.yml"),
    ),
];

/// The path that stands for the whole raw record, as text.
pub const RECORD_PATH: &str = "$record";

/// Every format's mapping, and the logsources known not to apply.
#[derive(Debug, Clone)]
pub struct Mappings {
    formats: Vec<FormatMapping>,
    not_applicable: Vec<NotApplicable>,
}

/// How one format's records are read by rules.
#[derive(Debug, Clone)]
pub struct FormatMapping {
    pub format: Format,
    /// Paths to the record's time, tried in order (used where no decoded time is at hand).
    pub time: Vec<FieldPath>,
    /// Paths to the account a record is about, tried in order (used for records no decoder
    /// turned into an event, so that a rule finding on one can name its account).
    pub account: Vec<FieldPath>,
    /// Paths to the source address a record came from, tried in order (as `account`).
    pub source: Vec<FieldPath>,
    /// Whether JSON keys match ignoring ASCII case.
    pub keys: KeyCase,
    /// Prefixes under which an unmapped field name is looked up.
    pub prefixes: Vec<String>,
    /// Whether a flattened key `a.b` also stands for the path `a` → `b`.
    pub dotted_keys: bool,
    /// What keyword (field-less) searches look in.
    pub keywords: Vec<Source>,
    /// Field names for every logsource of this format; keys lower-cased.
    fields: BTreeMap<String, FieldEntry>,
    /// The logsources this format serves, first match wins.
    pub logsources: Vec<LogsourceMapping>,
}

/// One logsource a format serves, with the field names particular to it.
#[derive(Debug, Clone)]
pub struct LogsourceMapping {
    pub selector: LogsourceSelector,
    /// Keys lower-cased.
    fields: BTreeMap<String, FieldEntry>,
}

/// The `category` / `product` / `service` a mapping entry names; an absent one matches any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsourceSelector {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
}

impl LogsourceSelector {
    /// True when every part this selector names equals the rule's (ignoring ASCII case).
    pub fn matches(&self, logsource: &LogSource) -> bool {
        fn part(want: &Option<String>, have: &Option<String>) -> bool {
            match (want, have) {
                (None, _) => true,
                (Some(want), Some(have)) => want.eq_ignore_ascii_case(have),
                (Some(_), None) => false,
            }
        }
        part(&self.category, &logsource.category)
            && part(&self.product, &logsource.product)
            && part(&self.service, &logsource.service)
    }
}

impl fmt::Display for LogsourceSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            ("category", &self.category),
            ("product", &self.product),
            ("service", &self.service),
        ];
        let mut first = true;
        for (name, value) in parts {
            if let Some(value) = value {
                if !first {
                    f.write_str(" ")?;
                }
                write!(f, "{name}={value}")?;
                first = false;
            }
        }
        if first {
            f.write_str("(empty logsource)")?;
        }
        Ok(())
    }
}

/// A logsource forewarn knowingly does not read, and why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotApplicable {
    #[serde(flatten)]
    pub selector: LogsourceSelector,
    pub reason: String,
}

/// Whether JSON keys are matched exactly or ignoring ASCII case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyCase {
    #[default]
    Exact,
    AsciiCaseInsensitive,
}

/// Where a field's values come from: a path in the record and an optional value map.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Source {
    pub path: FieldPath,
    pub values: Option<ValueMap>,
}

/// Raw values renamed into the values Sigma authors write (Workspace `admin` →
/// `admin.googleapis.com`), and what any other present value becomes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ValueMap {
    pub map: Vec<(String, String)>,
    pub default: Option<String>,
}

impl ValueMap {
    /// The value a rule sees for a raw value.
    pub fn apply<'v>(&'v self, raw: &'v str) -> &'v str {
        self.map
            .iter()
            .find(|(from, _)| from == raw)
            .map(|(_, to)| to.as_str())
            .or(self.default.as_deref())
            .unwrap_or(raw)
    }
}

/// A parsed path: `$record`, or object keys with optional `[key=value]` element selectors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldPath {
    Record,
    Keys(Vec<Segment>),
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segment {
    pub key: String,
    /// `list[name=value]`: keep only the elements whose `name` is `value`.
    pub select: Option<(String, String)>,
}

impl FieldPath {
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        if text == RECORD_PATH {
            return Ok(FieldPath::Record);
        }
        if text.is_empty() {
            return Err("an empty path".into());
        }
        let mut segments = Vec::new();
        // Split on dots outside brackets: a selector's value may contain dots
        // (`[displayName=ConsentContext.IsAdminConsent]`).
        let mut depth = 0usize;
        let mut start = 0usize;
        let bytes = text.as_bytes();
        let mut pieces = Vec::new();
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'.' if depth == 0 => {
                    pieces.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        pieces.push(&text[start..]);
        for piece in pieces {
            let segment = match piece.find('[') {
                Some(open) if piece.ends_with(']') => {
                    let inner = &piece[open + 1..piece.len() - 1];
                    let (key, value) = inner
                        .split_once('=')
                        .ok_or_else(|| format!("`{piece}`: a selector is `[key=value]`"))?;
                    Segment {
                        key: piece[..open].to_owned(),
                        select: Some((key.to_owned(), value.to_owned())),
                    }
                }
                Some(_) => return Err(format!("`{piece}`: unclosed `[`")),
                None => Segment {
                    key: piece.to_owned(),
                    select: None,
                },
            };
            if segment.key.is_empty() {
                return Err(format!("`{text}` has an empty key"));
            }
            segments.push(segment);
        }
        Ok(FieldPath::Keys(segments))
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldPath::Record => f.write_str(RECORD_PATH),
            FieldPath::Keys(segments) => {
                for (i, segment) in segments.iter().enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(&segment.key)?;
                    if let Some((key, value)) = &segment.select {
                        write!(f, "[{key}={value}]")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// A field name's entry in a mapping: its sources, or why rules using it cannot run.
#[derive(Debug, Clone)]
pub enum FieldEntry {
    Sources(Vec<Source>),
    Unsupported(String),
}

/// Where a field resolves for one format and logsource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Sources(Vec<Source>),
    Unsupported(String),
}

/// One format a rule applies to, with the logsource entry that selected it.
#[derive(Debug, Clone, Copy)]
pub struct Target<'m> {
    pub mapping: &'m FormatMapping,
    pub logsource: &'m LogsourceMapping,
}

impl Target<'_> {
    pub fn format(&self) -> Format {
        self.mapping.format
    }

    /// Where a Sigma field name is found in this format's records.
    pub fn resolve(&self, field: &str) -> Resolved {
        let key = field.to_ascii_lowercase();
        let entry = self
            .logsource
            .fields
            .get(&key)
            .or_else(|| self.mapping.fields.get(&key));
        match entry {
            Some(FieldEntry::Sources(sources)) => Resolved::Sources(sources.clone()),
            Some(FieldEntry::Unsupported(reason)) => Resolved::Unsupported(reason.clone()),
            None => {
                let mut sources = Vec::new();
                for prefix in &self.mapping.prefixes {
                    match FieldPath::parse(&format!("{prefix}{field}")) {
                        Ok(path) => sources.push(Source { path, values: None }),
                        Err(reason) => {
                            return Resolved::Unsupported(format!(
                                "field `{field}` is not a path forewarn can follow: {reason}"
                            ))
                        }
                    }
                }
                Resolved::Sources(sources)
            }
        }
    }
}

/// Why a rule's logsource selects no format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoTarget {
    pub reason: String,
}

impl Mappings {
    /// The mappings shipped with forewarn.
    pub fn builtin() -> Mappings {
        let mut mappings = Mappings {
            formats: Vec::new(),
            not_applicable: Vec::new(),
        };
        for (name, text) in BUILTIN {
            // The embedded files are tested (`builtin_mappings_parse`); a failure here is a
            // build defect, not bad input.
            mappings
                .add_yaml(text, Path::new(name))
                .unwrap_or_else(|error| panic!("built-in mapping {name}: {error}"));
        }
        mappings
    }

    /// Lays every `*.yml` / `*.yaml` file of `dir` (sorted by name) over these mappings: a
    /// file for a format already mapped adds its field names (replacing same-named ones) and
    /// puts its logsources first; `time`, `account`, `source`, `keys`, `prefixes` and
    /// `keywords` replace the existing ones when given.
    pub fn with_dir(mut self, dir: &Path) -> Result<Mappings, MappingError> {
        let read_dir = std::fs::read_dir(dir).map_err(|source| MappingError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let mut files: Vec<PathBuf> = read_dir
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yml" | "yaml")
                )
            })
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|source| MappingError::Io {
                path: path.clone(),
                source,
            })?;
            self.add_yaml(&text, &path)?;
        }
        Ok(self)
    }

    /// Adds one mapping file's content (see [`Mappings::with_dir`] for how it combines).
    pub fn add_yaml(&mut self, text: &str, path: &Path) -> Result<(), MappingError> {
        let invalid = |message: String| MappingError::Invalid {
            path: path.to_owned(),
            message,
        };
        let file: MappingFile =
            yaml_serde::from_str(text).map_err(|error| invalid(error.to_string()))?;
        self.not_applicable.extend(file.not_applicable);
        let Some(format_name) = file.format else {
            if !file.fields.is_empty() || !file.logsources.is_empty() {
                return Err(invalid(
                    "`fields` and `logsources` need a `format` to apply to".into(),
                ));
            }
            return Ok(());
        };
        let format: Format = format_name
            .parse()
            .map_err(|error: forewarn_formats::UnknownFormat| invalid(error.to_string()))?;
        let fields = convert_fields(file.fields).map_err(&invalid)?;
        let mut logsources = Vec::new();
        for entry in file.logsources {
            logsources.push(LogsourceMapping {
                selector: entry.selector,
                fields: convert_fields(entry.fields).map_err(&invalid)?,
            });
        }
        let paths = |key: &str, paths: Option<Vec<String>>| {
            paths
                .map(|paths| {
                    paths
                        .iter()
                        .map(|p| FieldPath::parse(p).map_err(|e| invalid(format!("{key}: {e}"))))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
        };
        let time = paths("time", file.time)?;
        let account = paths("account", file.account)?;
        let source = paths("source", file.source)?;
        let keywords = file
            .keywords
            .map(|paths| {
                paths
                    .iter()
                    .map(|p| {
                        FieldPath::parse(p)
                            .map(|path| Source { path, values: None })
                            .map_err(|e| invalid(format!("keywords: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        match self.formats.iter_mut().find(|m| m.format == format) {
            Some(existing) => {
                existing.fields.extend(fields);
                logsources.append(&mut existing.logsources);
                existing.logsources = logsources;
                if let Some(time) = time {
                    existing.time = time;
                }
                if let Some(account) = account {
                    existing.account = account;
                }
                if let Some(source) = source {
                    existing.source = source;
                }
                if let Some(keys) = file.keys {
                    existing.keys = keys;
                }
                if let Some(prefixes) = file.prefixes {
                    existing.prefixes = prefixes;
                }
                if let Some(dotted_keys) = file.dotted_keys {
                    existing.dotted_keys = dotted_keys;
                }
                if let Some(keywords) = keywords {
                    existing.keywords = keywords;
                }
            }
            None => self.formats.push(FormatMapping {
                format,
                time: time.unwrap_or_default(),
                account: account.unwrap_or_default(),
                source: source.unwrap_or_default(),
                keys: file.keys.unwrap_or_default(),
                prefixes: file.prefixes.unwrap_or_else(|| vec![String::new()]),
                dotted_keys: file.dotted_keys.unwrap_or(false),
                keywords: keywords.unwrap_or_else(|| {
                    vec![Source {
                        path: FieldPath::Record,
                        values: None,
                    }]
                }),
                fields,
                logsources,
            }),
        }
        Ok(())
    }

    /// The mapping of one format, if any.
    pub fn format(&self, format: Format) -> Option<&FormatMapping> {
        self.formats.iter().find(|m| m.format == format)
    }

    /// Every format mapped, in the order they were added.
    pub fn formats(&self) -> impl Iterator<Item = &FormatMapping> {
        self.formats.iter()
    }

    /// The formats a rule's logsource applies to (each with its first matching entry), or
    /// why there are none.
    pub fn targets(&self, logsource: &LogSource) -> Result<Vec<Target<'_>>, NoTarget> {
        let targets: Vec<Target<'_>> = self
            .formats
            .iter()
            .filter_map(|mapping| {
                mapping
                    .logsources
                    .iter()
                    .find(|entry| entry.selector.matches(logsource))
                    .map(|logsource| Target { mapping, logsource })
            })
            .collect();
        if !targets.is_empty() {
            return Ok(targets);
        }
        let shown = LogsourceSelector {
            category: logsource.category.clone(),
            product: logsource.product.clone(),
            service: logsource.service.clone(),
        };
        let reason = match self
            .not_applicable
            .iter()
            .find(|entry| entry.selector.matches(logsource))
        {
            Some(entry) => format!("logsource {shown}: {}", entry.reason.trim()),
            None => format!(
                "no forewarn format reads logsource {shown} (a mapping file can add it: docs/rules.md)"
            ),
        };
        Err(NoTarget { reason })
    }
}

fn convert_fields(
    fields: BTreeMap<String, FileFieldEntry>,
) -> Result<BTreeMap<String, FieldEntry>, String> {
    let mut converted = BTreeMap::new();
    for (name, entry) in fields {
        let entry = match entry {
            FileFieldEntry::Unsupported { unsupported } => FieldEntry::Unsupported(
                unsupported.split_whitespace().collect::<Vec<_>>().join(" "),
            ),
            FileFieldEntry::One(source) => FieldEntry::Sources(vec![source.convert(&name)?]),
            FileFieldEntry::Many(sources) => FieldEntry::Sources(
                sources
                    .into_iter()
                    .map(|source| source.convert(&name))
                    .collect::<Result<_, _>>()?,
            ),
        };
        converted.insert(name.to_ascii_lowercase(), entry);
    }
    Ok(converted)
}

/// A mapping file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    time: Option<Vec<String>>,
    #[serde(default)]
    account: Option<Vec<String>>,
    #[serde(default)]
    source: Option<Vec<String>>,
    #[serde(default)]
    keys: Option<KeyCase>,
    #[serde(default)]
    prefixes: Option<Vec<String>>,
    #[serde(default)]
    dotted_keys: Option<bool>,
    #[serde(default)]
    keywords: Option<Vec<String>>,
    #[serde(default)]
    fields: BTreeMap<String, FileFieldEntry>,
    #[serde(default)]
    logsources: Vec<FileLogsource>,
    #[serde(default)]
    not_applicable: Vec<NotApplicable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLogsource {
    #[serde(flatten)]
    selector: LogsourceSelector,
    #[serde(default)]
    fields: BTreeMap<String, FileFieldEntry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FileFieldEntry {
    Unsupported { unsupported: String },
    One(FileSource),
    Many(Vec<FileSource>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FileSource {
    Path(String),
    Mapped {
        path: String,
        #[serde(default)]
        values: BTreeMap<String, String>,
        #[serde(default)]
        default: Option<String>,
    },
}

impl FileSource {
    fn convert(self, field: &str) -> Result<Source, String> {
        let (path, values) = match self {
            FileSource::Path(path) => (path, None),
            FileSource::Mapped {
                path,
                values,
                default,
            } => (
                path,
                Some(ValueMap {
                    map: values.into_iter().collect(),
                    default,
                }),
            ),
        };
        let path = FieldPath::parse(&path).map_err(|e| format!("field `{field}`: {e}"))?;
        Ok(Source { path, values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logsource(product: &str, service: Option<&str>) -> LogSource {
        LogSource {
            product: Some(product.into()),
            service: service.map(Into::into),
            ..LogSource::default()
        }
    }

    #[test]
    fn builtin_mappings_parse_and_cover_every_format() {
        let mappings = Mappings::builtin();
        for format in Format::ALL {
            assert!(
                mappings.format(*format).is_some(),
                "{format} has no mapping"
            );
        }
    }

    #[test]
    fn logsources_select_formats_or_say_why_not() {
        let mappings = Mappings::builtin();
        let okta = mappings.targets(&logsource("okta", Some("okta"))).unwrap();
        assert_eq!(okta.len(), 1);
        assert_eq!(okta[0].format(), Format::Okta);
        let entra = mappings
            .targets(&logsource("Azure", Some("SignInLogs")))
            .unwrap();
        assert_eq!(entra[0].format(), Format::Entra);

        let pim = mappings
            .targets(&logsource("azure", Some("pim")))
            .unwrap_err();
        assert!(pim.reason.contains("Privileged Identity"), "{}", pim.reason);
        let windows = mappings
            .targets(&logsource("windows", Some("security")))
            .unwrap_err();
        assert!(
            windows.reason.contains("product=windows service=security"),
            "{}",
            windows.reason
        );
        // A selector naming a service does not match a rule without one.
        assert!(mappings.targets(&logsource("linux", None)).is_err());
    }

    #[test]
    fn fields_resolve_per_logsource_then_format_then_as_written() {
        let mappings = Mappings::builtin();
        let signin = mappings
            .targets(&logsource("azure", Some("signinlogs")))
            .unwrap()[0];
        let Resolved::Sources(sources) = signin.resolve("resulttype") else {
            panic!("ResultType is mapped");
        };
        let paths: Vec<String> = sources.iter().map(|s| s.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "status.errorCode",
                "properties.status.errorCode",
                "resultType"
            ]
        );
        assert!(matches!(
            signin.resolve("properties.message"),
            Resolved::Unsupported(_)
        ));
        let Resolved::Sources(sources) = signin.resolve("UserPrincipalName") else {
            panic!()
        };
        let paths: Vec<String> = sources.iter().map(|s| s.path.to_string()).collect();
        assert_eq!(paths, ["UserPrincipalName", "properties.UserPrincipalName"]);
    }

    #[test]
    fn paths_parse_selectors_with_dotted_values() {
        let path = FieldPath::parse("targetResources.modifiedProperties[displayName=A.B].newValue")
            .unwrap();
        let FieldPath::Keys(segments) = &path else {
            panic!()
        };
        assert_eq!(segments.len(), 3);
        assert_eq!(
            segments[1].select,
            Some(("displayName".to_owned(), "A.B".to_owned()))
        );
        assert_eq!(
            path.to_string(),
            "targetResources.modifiedProperties[displayName=A.B].newValue"
        );
        assert!(FieldPath::parse("a[b").is_err());
        assert!(FieldPath::parse("a..b").is_err());
        assert_eq!(FieldPath::parse("$record").unwrap(), FieldPath::Record);
    }

    #[test]
    fn user_files_extend_a_format_and_win() {
        let mut mappings = Mappings::builtin();
        mappings
            .add_yaml(
                "format: okta\nfields:\n  user: actor.alternateId\nlogsources:\n  - product: acme\n",
                Path::new("user.yml"),
            )
            .unwrap();
        let target = mappings.targets(&logsource("acme", None)).unwrap()[0];
        assert_eq!(target.format(), Format::Okta);
        let Resolved::Sources(sources) = target.resolve("user") else {
            panic!()
        };
        assert_eq!(sources[0].path.to_string(), "actor.alternateId");
        // The built-in logsource is still there.
        assert!(mappings.targets(&logsource("okta", Some("okta"))).is_ok());

        let err = mappings
            .add_yaml("format: splunk\n", Path::new("bad.yml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.yml") && err.contains("splunk"), "{err}");
        let err = mappings
            .add_yaml("format: okta\nfeilds: {}\n", Path::new("typo.yml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("feilds"), "{err}");
    }
}
