//! Loading rule files into a [`RuleSet`], reporting on every rule, and evaluating records.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use forewarn_formats::Format;
use jiff::Timestamp;
use rsigma_parser::{
    CorrelationRule, Detections, FilterRule, FilterRuleTarget, LogSource, SigmaRule,
};
use serde::Serialize;

use crate::compile::{Compiler, Program};
use crate::correlation::{self, CompiledCorrelation};
use crate::error::LoadError;
use crate::extract::{Extractor, Scratch, SlotId};
use crate::mapping::Mappings;

/// Index of a rule (detection or correlation) in its [`RuleSet`].
pub type RuleId = usize;

/// Severity of a rule, as Sigma's `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    fn from_sigma(level: Option<rsigma_parser::Level>) -> Level {
        use rsigma_parser::Level as L;
        match level {
            Some(L::Informational) => Level::Informational,
            Some(L::Low) => Level::Low,
            // Sigma leaves a missing level to the tool; medium is what SigmaHQ's conventions
            // treat as "worth a look", and what pySigma backends default to.
            Some(L::Medium) | None => Level::Medium,
            Some(L::High) => Level::High,
            Some(L::Critical) => Level::Critical,
        }
    }
}

/// Whether a rule matches single records or correlates matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Detection,
    Correlation,
}

/// What a finding needs to know about a rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMeta {
    /// The Sigma `id`, or failing that its `name`, or its title.
    pub id: String,
    pub name: Option<String>,
    pub title: String,
    pub level: Level,
    pub kind: RuleKind,
    pub description: Option<String>,
    /// Sigma tags as written (`attack.credential-access`, `attack.t1110.003`).
    pub tags: Vec<String>,
    /// ATT&CK technique ids from the tags, upper-cased (`T1110.003`).
    pub techniques: Vec<String>,
    pub falsepositives: Vec<String>,
    pub references: Vec<String>,
    /// The file it was loaded from.
    pub file: PathBuf,
    /// The formats it runs on (for a correlation: those of the rules it correlates).
    pub formats: Vec<Format>,
}

impl RuleMeta {
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: Option<&String>,
        name: Option<&String>,
        title: &str,
        level: Option<rsigma_parser::Level>,
        kind: RuleKind,
        description: Option<&String>,
        tags: &[String],
        falsepositives: &[String],
        references: &[String],
        file: &Path,
    ) -> RuleMeta {
        let techniques = tags
            .iter()
            .filter_map(|tag| {
                let technique = tag.strip_prefix("attack.")?;
                let rest = technique.strip_prefix(['t', 'T'])?;
                rest.starts_with(|c: char| c.is_ascii_digit())
                    .then(|| technique.to_ascii_uppercase())
            })
            .collect();
        RuleMeta {
            id: id.or(name).cloned().unwrap_or_else(|| title.to_owned()),
            name: name.cloned(),
            title: title.to_owned(),
            level: Level::from_sigma(level),
            kind,
            description: description.cloned(),
            tags: tags.to_vec(),
            techniques,
            falsepositives: falsepositives.to_vec(),
            references: references.to_vec(),
            file: file.to_owned(),
            formats: Vec::new(),
        }
    }
}

/// What kind of Sigma document a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Detection,
    Correlation,
    Filter,
    /// A document that did not parse far enough to tell.
    Unknown,
}

/// The outcome of loading one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoadStatus {
    /// Runs on these formats. `notes` says why it does not run on others its logsource
    /// selects, and carries the parser's warnings.
    Loaded {
        formats: Vec<Format>,
        notes: Vec<String>,
    },
    /// Its logsource is one forewarn does not read.
    NotApplicable { reason: String },
    /// forewarn reads its logsource but cannot run it.
    Unsupported { reason: String },
    /// The file or document is not valid Sigma.
    ParseError { reason: String },
}

/// One line of `forewarn rules check`: a rule (or a file that failed) and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub file: PathBuf,
    pub kind: DocumentKind,
    pub id: Option<String>,
    pub title: Option<String>,
    #[serde(flatten)]
    pub status: LoadStatus,
}

impl LoadReport {
    pub fn is_parse_error(&self) -> bool {
        matches!(self.status, LoadStatus::ParseError { .. })
    }
}

/// A field's values in a match: evidence, and the keys correlations group by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedField<'s> {
    pub name: &'s str,
    pub values: Vec<String>,
}

/// A detection rule that matched one record.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMatch<'s> {
    pub rule_id: RuleId,
    pub rule: &'s RuleMeta,
    pub format: Format,
    pub time: Timestamp,
    /// The fields the rule tests, then those its correlations group or aggregate by.
    pub fields: Vec<MatchedField<'s>>,
    /// False when the rule only feeds correlations (their `generate: false`, the default):
    /// such a match is not a finding of its own.
    pub report: bool,
}

impl<'s> RuleMatch<'s> {
    /// The first value of a field the match carries.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.values.first())
            .map(String::as_str)
    }
}

/// Loaded rules, compiled per format.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<RuleMeta>,
    programs: Vec<Program>,
    /// Position of a format (in [`Format::ALL`]) → its program.
    by_format: Vec<Option<usize>>,
    pub(crate) correlations: Vec<CompiledCorrelation>,
    /// For each rule, the correlations that consume its matches.
    pub(crate) consumers: Vec<Vec<usize>>,
    standalone: Vec<bool>,
    /// Per format: where a record's time, account and source address are.
    record_paths: Vec<Option<RecordPaths>>,
    /// Each rule's `forewarn_tests` extension field, if any.
    tests: Vec<Option<yaml_serde::Value>>,
}

fn format_index(format: Format) -> usize {
    Format::ALL
        .iter()
        .position(|f| *f == format)
        .unwrap_or_default()
}

/// A parsed document and where it came from.
struct Parsed<T> {
    file: PathBuf,
    doc: T,
    notes: Vec<String>,
}

impl RuleSet {
    /// An empty rule set.
    pub fn empty() -> RuleSet {
        RuleSet {
            rules: Vec::new(),
            programs: Vec::new(),
            by_format: vec![None; Format::ALL.len()],
            correlations: Vec::new(),
            consumers: Vec::new(),
            standalone: Vec::new(),
            record_paths: Vec::new(),
            tests: Vec::new(),
        }
    }

    /// Loads every `*.yml` / `*.yaml` rule under `paths` (files, or directories searched
    /// recursively in name order). Returns the rules that run and one report per rule; fails
    /// only when a path cannot be read at all.
    pub fn load(
        paths: &[PathBuf],
        mappings: &Mappings,
    ) -> Result<(RuleSet, Vec<LoadReport>), LoadError> {
        let mut files = Vec::new();
        for path in paths {
            collect_files(path, &mut files)?;
        }
        let mut sources = Vec::with_capacity(files.len());
        for file in files {
            let text = std::fs::read(&file).map_err(|source| LoadError::Io {
                path: file.clone(),
                source,
            })?;
            sources.push((file, String::from_utf8(text)));
        }
        let mut reports = Vec::new();
        let mut texts = Vec::new();
        for (file, text) in sources {
            match text {
                Ok(text) => texts.push((file, text)),
                Err(_) => reports.push(LoadReport {
                    file,
                    kind: DocumentKind::Unknown,
                    id: None,
                    title: None,
                    status: LoadStatus::ParseError {
                        reason: "not UTF-8 text".into(),
                    },
                }),
            }
        }
        let refs: Vec<(&Path, &str)> = texts
            .iter()
            .map(|(file, text)| (file.as_path(), text.as_str()))
            .collect();
        let (set, mut more) = RuleSet::from_sources(&refs, mappings);
        reports.append(&mut more);
        Ok((set, reports))
    }

    /// Loads rules from YAML texts (each named by the file it came from).
    pub fn from_sources(
        sources: &[(&Path, &str)],
        mappings: &Mappings,
    ) -> (RuleSet, Vec<LoadReport>) {
        let mut reports = Vec::new();
        let mut rules: Vec<Parsed<SigmaRule>> = Vec::new();
        let mut correlations: Vec<Parsed<CorrelationRule>> = Vec::new();
        let mut filters: Vec<Parsed<FilterRule>> = Vec::new();
        for (file, text) in sources {
            parse_file(
                file,
                text,
                &mut rules,
                &mut correlations,
                &mut filters,
                &mut reports,
            );
        }
        let mut set = RuleSet::empty();
        set.build(rules, correlations, filters, mappings, &mut reports);
        (set, reports)
    }

    /// Registers, compiles and resolves everything parsed, and reports on each document.
    fn build(
        &mut self,
        rules: Vec<Parsed<SigmaRule>>,
        correlations: Vec<Parsed<CorrelationRule>>,
        filters: Vec<Parsed<FilterRule>>,
        mappings: &Mappings,
        reports: &mut Vec<LoadReport>,
    ) {
        let by_reference = self.register(&rules, &correlations);
        let detection_count = rules.len();

        // Correlations are planned first, as metadata: the fields each rule they correlate
        // must carry in its matches are compiled into that rule.
        let planned: Vec<Result<CompiledCorrelation, String>> = correlations
            .iter()
            .enumerate()
            .map(|(offset, parsed)| {
                correlation::plan(detection_count + offset, &parsed.doc, &by_reference)
            })
            .collect();
        let mut captures: Vec<Vec<String>> = vec![Vec::new(); self.rules.len()];
        for plan in planned.iter().flatten() {
            for source in &plan.sources {
                for name in source.group.iter().chain(&source.fields) {
                    if !captures[source.rule].contains(name) {
                        captures[source.rule].push(name.clone());
                    }
                }
            }
        }

        let mut status: Vec<Option<LoadStatus>> = vec![None; self.rules.len()];
        for (index, parsed) in rules.iter().enumerate() {
            let applicable: Vec<&Detections> = filters
                .iter()
                .filter(|f| filter_applies(&f.doc, &parsed.doc))
                .map(|f| &f.doc.detection)
                .collect();
            let result =
                self.compile_detection(index, &parsed.doc, &applicable, &captures[index], mappings);
            if let LoadStatus::Loaded { formats, .. } = &result {
                self.rules[index].formats = formats.clone();
            }
            status[index] = Some(result);
        }
        for program in &mut self.programs {
            program.build_index();
        }

        self.resolve_correlations(detection_count, planned, &mut status);
        self.record_paths = record_paths(mappings);

        let documents = rules
            .iter()
            .map(|p| {
                (
                    &p.file,
                    &p.notes,
                    DocumentKind::Detection,
                    &p.doc.id,
                    &p.doc.title,
                )
            })
            .chain(correlations.iter().map(|p| {
                (
                    &p.file,
                    &p.notes,
                    DocumentKind::Correlation,
                    &p.doc.id,
                    &p.doc.title,
                )
            }));
        for ((file, notes, kind, id, title), status) in documents.zip(status) {
            let mut status = status.unwrap_or(LoadStatus::Unsupported {
                reason: "not resolved".into(),
            });
            if let LoadStatus::Loaded { notes: n, .. } = &mut status {
                n.extend(notes.iter().cloned());
            }
            reports.push(LoadReport {
                file: file.clone(),
                kind,
                id: id.clone(),
                title: Some(title.clone()),
                status,
            });
        }
        for parsed in &filters {
            reports.push(filter_report(parsed, &rules, &by_reference));
        }
    }

    /// Adds every rule's metadata and tests (detection rules first, then correlations) and
    /// returns the rule each `id` and `name` refers to.
    fn register(
        &mut self,
        rules: &[Parsed<SigmaRule>],
        correlations: &[Parsed<CorrelationRule>],
    ) -> HashMap<String, RuleId> {
        for parsed in rules {
            let r = &parsed.doc;
            self.rules.push(RuleMeta::new(
                r.id.as_ref(),
                r.name.as_ref(),
                &r.title,
                r.level,
                RuleKind::Detection,
                r.description.as_ref(),
                &r.tags,
                &r.falsepositives,
                &r.references,
                &parsed.file,
            ));
            self.tests
                .push(r.custom_attributes.get(crate::testing::TESTS_KEY).cloned());
        }
        for parsed in correlations {
            let c = &parsed.doc;
            self.rules.push(RuleMeta::new(
                c.id.as_ref(),
                c.name.as_ref(),
                &c.title,
                c.level,
                RuleKind::Correlation,
                c.description.as_ref(),
                &c.tags,
                &c.falsepositives,
                &c.references,
                &parsed.file,
            ));
            self.tests
                .push(c.custom_attributes.get(crate::testing::TESTS_KEY).cloned());
        }
        let keys = rules
            .iter()
            .map(|p| (p.doc.id.as_deref(), p.doc.name.as_deref()))
            .chain(
                correlations
                    .iter()
                    .map(|p| (p.doc.id.as_deref(), p.doc.name.as_deref())),
            );
        let mut by_reference = HashMap::new();
        for (rule, (id, name)) in keys.enumerate() {
            // The first file to define an id or name keeps it.
            for key in [id, name].into_iter().flatten() {
                by_reference.entry(key.to_owned()).or_insert(rule);
            }
        }
        by_reference
    }

    /// Decides which correlations load (everything they correlate does), gives each the
    /// formats of its rules, and wires who consumes whose matches.
    fn resolve_correlations(
        &mut self,
        detection_count: usize,
        planned: Vec<Result<CompiledCorrelation, String>>,
        status: &mut [Option<LoadStatus>],
    ) {
        for offset in 0..planned.len() {
            correlation::resolve_status(
                offset,
                detection_count,
                &planned,
                status,
                &mut vec![false; planned.len()],
            );
        }
        // Formats flow from rules to correlations, and through chains of correlations.
        for _ in 0..planned.len() {
            for (offset, plan) in planned.iter().enumerate() {
                let Ok(plan) = plan else { continue };
                let mut formats: Vec<Format> = plan
                    .sources
                    .iter()
                    .flat_map(|s| self.rules[s.rule].formats.clone())
                    .collect();
                formats.sort();
                formats.dedup();
                self.rules[detection_count + offset].formats = formats;
            }
        }
        for (offset, plan) in planned.into_iter().enumerate() {
            let id = detection_count + offset;
            if let (Some(LoadStatus::Loaded { formats, .. }), Ok(plan)) = (&mut status[id], plan) {
                formats.clone_from(&self.rules[id].formats);
                self.correlations.push(plan);
            } else {
                self.rules[id].formats.clear();
            }
        }
        self.consumers = vec![Vec::new(); self.rules.len()];
        for (position, correlation) in self.correlations.iter().enumerate() {
            for source in &correlation.sources {
                self.consumers[source.rule].push(position);
            }
        }
        self.standalone = (0..self.rules.len())
            .map(|rule| {
                self.consumers[rule].is_empty()
                    || self.consumers[rule]
                        .iter()
                        .any(|&c| self.correlations[c].generate)
            })
            .collect();
    }

    fn compile_detection(
        &mut self,
        index: usize,
        rule: &SigmaRule,
        filters: &[&Detections],
        captures: &[String],
        mappings: &Mappings,
    ) -> LoadStatus {
        let targets = match mappings.targets(&rule.logsource) {
            Ok(targets) => targets,
            Err(none) => {
                return LoadStatus::NotApplicable {
                    reason: none.reason,
                }
            }
        };
        let mut formats = Vec::new();
        let mut notes = Vec::new();
        for target in targets {
            let slot = format_index(target.format());
            let program = match self.by_format[slot] {
                Some(program) => program,
                None => {
                    self.programs.push(Program::new(Extractor::new(
                        target.mapping.keys,
                        target.mapping.dotted_keys,
                    )));
                    self.by_format[slot] = Some(self.programs.len() - 1);
                    self.programs.len() - 1
                }
            };
            let mut compiler = Compiler::new(&mut self.programs[program], target);
            match compiler.compile_rule(index, &rule.detection, filters, captures) {
                Ok(()) => formats.push(target.format()),
                Err(reason) => notes.push(format!("{}: {reason}", target.format())),
            }
        }
        if formats.is_empty() {
            LoadStatus::Unsupported {
                reason: notes.join("; "),
            }
        } else {
            LoadStatus::Loaded { formats, notes }
        }
    }

    /// Every rule, detection rules first; a [`RuleId`] indexes this.
    pub fn rules(&self) -> &[RuleMeta] {
        &self.rules
    }

    pub fn rule(&self, id: RuleId) -> &RuleMeta {
        &self.rules[id]
    }

    /// A rule's `forewarn_tests` (see [`crate::testing`]).
    pub fn tests(&self, id: RuleId) -> Option<&yaml_serde::Value> {
        self.tests.get(id)?.as_ref()
    }

    /// Whether any rule runs on this format (so a caller can skip formats without rules).
    pub fn has_rules_for(&self, format: Format) -> bool {
        self.program(format).is_some_and(|p| !p.rules.is_empty())
    }

    /// Whether any correlation rule is loaded.
    pub fn has_correlations(&self) -> bool {
        !self.correlations.is_empty()
    }

    /// A loaded correlation rule's `timespan`; `None` for other rules.
    pub fn timespan(&self, id: RuleId) -> Option<jiff::SignedDuration> {
        self.correlations
            .iter()
            .find(|c| c.rule == id)
            .map(|c| c.timespan)
    }

    fn program(&self, format: Format) -> Option<&Program> {
        self.by_format[format_index(format)].map(|index| &self.programs[index])
    }

    /// Evaluates every rule for `format` on one raw record and appends the matches. `time`
    /// is the record's event time (the decoded event's), used by correlations.
    pub fn evaluate<'s>(
        &'s self,
        format: Format,
        record: &[u8],
        time: Timestamp,
        scratch: &mut Scratch,
        matches: &mut Vec<RuleMatch<'s>>,
    ) {
        let Some(program) = self.program(format) else {
            return;
        };
        if program.rules.is_empty() {
            return;
        }
        program.extractor.extract(record, scratch);
        let mut candidates = std::mem::take(&mut scratch.candidates);
        program.candidates(scratch, &mut candidates);
        for &position in &candidates {
            let compiled = &program.rules[position as usize];
            if !program.matches(compiled, scratch) {
                continue;
            }
            let fields = compiled
                .fields
                .iter()
                .map(|(name, field)| MatchedField {
                    name: name.as_str(),
                    values: program
                        .values(*field, scratch)
                        .iter()
                        .map(|v| scratch.text(v).to_owned())
                        .collect(),
                })
                .collect();
            matches.push(RuleMatch {
                rule_id: compiled.rule,
                rule: &self.rules[compiled.rule],
                format,
                time,
                fields,
                report: self.standalone[compiled.rule],
            });
        }
        scratch.candidates = candidates;
    }

    /// The record's time from the paths its format's mapping names (for records no decoder
    /// has timed, such as `rules test` events).
    pub fn record_time(
        &self,
        format: Format,
        record: &[u8],
        scratch: &mut Scratch,
    ) -> Option<Timestamp> {
        let paths = self.record_paths.get(format_index(format))?.as_ref()?;
        if paths.time.is_empty() {
            return None;
        }
        paths.extractor.extract(record, scratch);
        paths.time.iter().find_map(|&slot| {
            scratch
                .values(slot)
                .iter()
                .find_map(|v| forewarn_model::parse_time(scratch.text(v)).ok())
        })
    }

    /// The account (lower-cased, as decoders give it) and source address a record names, from
    /// the paths its format's mapping names: for records no decoder turned into an event.
    pub fn record_subject(
        &self,
        format: Format,
        record: &[u8],
        scratch: &mut Scratch,
    ) -> RecordSubject {
        let Some(paths) = self
            .record_paths
            .get(format_index(format))
            .and_then(Option::as_ref)
        else {
            return RecordSubject::default();
        };
        if paths.account.is_empty() && paths.source.is_empty() {
            return RecordSubject::default();
        }
        paths.extractor.extract(record, scratch);
        let first = |slots: &[SlotId]| {
            slots.iter().find_map(|&slot| {
                scratch
                    .values(slot)
                    .iter()
                    .map(|v| scratch.text(v).trim())
                    .find(|text| !text.is_empty())
            })
        };
        RecordSubject {
            account: first(&paths.account)
                .map(|a| forewarn_model::normalize_account(a.into()).into_owned()),
            source: first(&paths.source).map(source_address),
        }
    }
}

/// Whose account a record is about and where it came from, as its raw fields say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordSubject {
    pub account: Option<String>,
    /// An address in its canonical text form (a port or brackets removed), or a host name.
    pub source: Option<String>,
}

/// The canonical text of an address written with a port (`203.0.113.7:443`,
/// `[2001:db8::5]:443`) or without one; anything else (a host name) as written.
fn source_address(text: &str) -> String {
    use std::net::{IpAddr, SocketAddr};
    if let Ok(ip) = text.parse::<IpAddr>() {
        return ip.to_string();
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return socket.ip().to_string();
    }
    text.to_owned()
}

/// A format's record paths, read in one pass.
#[derive(Debug)]
struct RecordPaths {
    extractor: Extractor,
    time: Vec<SlotId>,
    account: Vec<SlotId>,
    source: Vec<SlotId>,
}

fn collect_files(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let metadata = std::fs::metadata(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    if !metadata.is_dir() {
        files.push(path.to_owned());
        return Ok(());
    }
    let read_dir = std::fs::read_dir(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = read_dir
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let hidden = entry
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if entry.is_dir() {
            collect_files(&entry, files)?;
        } else if matches!(
            entry.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            files.push(entry);
        }
    }
    Ok(())
}

/// Parses one file's documents, reporting a file (or the documents) that do not parse.
fn parse_file(
    file: &Path,
    text: &str,
    rules: &mut Vec<Parsed<SigmaRule>>,
    correlations: &mut Vec<Parsed<CorrelationRule>>,
    filters: &mut Vec<Parsed<FilterRule>>,
    reports: &mut Vec<LoadReport>,
) {
    let parse_error = |reason: String| LoadReport {
        file: file.to_owned(),
        kind: DocumentKind::Unknown,
        id: None,
        title: None,
        status: LoadStatus::ParseError { reason },
    };
    let collection = match rsigma_parser::parse_sigma_yaml(text) {
        Ok(collection) => collection,
        Err(error) => {
            reports.push(parse_error(error.to_string()));
            return;
        }
    };
    // The parser gathers hard errors and warnings (a bad `level`) in one list; a document
    // count that falls short of the file's tells them apart.
    let produced =
        collection.rules.len() + collection.correlations.len() + collection.filters.len();
    let failed = produced < expected_documents(text) || produced == 0;
    let notes: Vec<String> = if failed {
        for error in &collection.errors {
            reports.push(parse_error(error.clone()));
        }
        if collection.errors.is_empty() {
            reports.push(parse_error("no Sigma document in the file".into()));
        }
        Vec::new()
    } else {
        collection
            .errors
            .iter()
            .map(|e| format!("parser warning: {e}"))
            .collect()
    };
    for doc in collection.rules {
        rules.push(Parsed {
            file: file.to_owned(),
            doc,
            notes: notes.clone(),
        });
    }
    for doc in collection.correlations {
        correlations.push(Parsed {
            file: file.to_owned(),
            doc,
            notes: notes.clone(),
        });
    }
    for doc in collection.filters {
        filters.push(Parsed {
            file: file.to_owned(),
            doc,
            notes: notes.clone(),
        });
    }
}

/// How many rule documents a YAML stream holds (`action: global` / `reset` documents are
/// templates, not rules).
fn expected_documents(text: &str) -> usize {
    use serde::Deserialize;
    let mut count = 0;
    for doc in yaml_serde::Deserializer::from_str(text) {
        let Ok(value) = yaml_serde::Value::deserialize(doc) else {
            // The parser reports the YAML error; count it as a document it missed.
            count += 1;
            break;
        };
        let action = value
            .as_mapping()
            .and_then(|m| m.get(yaml_serde::Value::String("action".into())))
            .and_then(|a| a.as_str());
        match action {
            Some("global" | "reset") => {}
            _ if value.is_null() => {}
            _ => count += 1,
        }
    }
    count
}

fn filter_applies(filter: &FilterRule, rule: &SigmaRule) -> bool {
    let targeted = match &filter.rules {
        FilterRuleTarget::Any => true,
        FilterRuleTarget::Specific(names) => names.iter().any(|name| {
            rule.id.as_deref() == Some(name.as_str()) || rule.name.as_deref() == Some(name.as_str())
        }),
    };
    targeted
        && filter
            .logsource
            .as_ref()
            .is_none_or(|ls| logsource_within(ls, &rule.logsource))
}

/// Whether every part the filter's logsource names equals the rule's.
fn logsource_within(filter: &LogSource, rule: &LogSource) -> bool {
    let part = |want: &Option<String>, have: &Option<String>| match (want, have) {
        (None, _) => true,
        (Some(w), Some(h)) => w.eq_ignore_ascii_case(h),
        (Some(_), None) => false,
    };
    part(&filter.category, &rule.category)
        && part(&filter.product, &rule.product)
        && part(&filter.service, &rule.service)
}

/// The record paths (time, account, source) of every mapped format.
fn record_paths(mappings: &Mappings) -> Vec<Option<RecordPaths>> {
    let mut all: Vec<Option<RecordPaths>> = (0..Format::ALL.len()).map(|_| None).collect();
    for mapping in mappings.formats() {
        let mut extractor = Extractor::new(mapping.keys, mapping.dotted_keys);
        let mut slots = |paths: &[crate::mapping::FieldPath]| -> Vec<SlotId> {
            paths
                .iter()
                .map(|path| {
                    extractor.slot(&crate::mapping::Source {
                        path: path.clone(),
                        values: None,
                    })
                })
                .collect()
        };
        let time = slots(&mapping.time);
        let account = slots(&mapping.account);
        let source = slots(&mapping.source);
        all[format_index(mapping.format)] = Some(RecordPaths {
            extractor,
            time,
            account,
            source,
        });
    }
    all
}

/// A filter's report: loaded (and how many rules it applies to), or which rules it names
/// that no file defines.
fn filter_report(
    parsed: &Parsed<FilterRule>,
    rules: &[Parsed<SigmaRule>],
    by_reference: &HashMap<String, RuleId>,
) -> LoadReport {
    let missing: Vec<&str> = match &parsed.doc.rules {
        FilterRuleTarget::Any => Vec::new(),
        FilterRuleTarget::Specific(names) => names
            .iter()
            .map(String::as_str)
            .filter(|name| !by_reference.contains_key(*name))
            .collect(),
    };
    let status = if missing.is_empty() {
        let applied = rules
            .iter()
            .filter(|r| filter_applies(&parsed.doc, &r.doc))
            .count();
        LoadStatus::Loaded {
            formats: Vec::new(),
            notes: vec![format!("applies to {applied} rule(s)")],
        }
    } else {
        LoadStatus::Unsupported {
            reason: format!(
                "filters rule(s) {} that no loaded file defines",
                missing.join(", ")
            ),
        }
    };
    LoadReport {
        file: parsed.file.clone(),
        kind: DocumentKind::Filter,
        id: parsed.doc.id.clone(),
        title: Some(parsed.doc.title.clone()),
        status,
    }
}

/// Formats by name, for reports.
pub fn format_names(formats: &[Format]) -> String {
    let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
    names.join(", ")
}
