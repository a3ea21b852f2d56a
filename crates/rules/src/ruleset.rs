//! Loading rule files into a [`RuleSet`], reporting on every rule, and evaluating records.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use forewarn_formats::Format;
use jiff::Timestamp;
use rsigma_parser::{
    CorrelationCondition, CorrelationRule, CorrelationType, Detections, FilterRule,
    FilterRuleTarget, LogSource, SigmaRule,
};
use serde::Serialize;

use crate::compile::{Compiler, Program};
use crate::correlation::{CompiledCorrelation, Threshold, Trigger};
use crate::error::LoadError;
use crate::extract::{Extractor, Scratch};
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
    time_paths: Vec<Option<Extractor>>,
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
            time_paths: Vec::new(),
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

    fn build(
        &mut self,
        rules: Vec<Parsed<SigmaRule>>,
        correlations: Vec<Parsed<CorrelationRule>>,
        filters: Vec<Parsed<FilterRule>>,
        mappings: &Mappings,
        reports: &mut Vec<LoadReport>,
    ) {
        // Rule ids: detection rules first, then correlations.
        for parsed in &rules {
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
        }
        for parsed in &correlations {
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
        }
        let tests_of = |attributes: &HashMap<String, yaml_serde::Value>| {
            attributes.get(crate::testing::TESTS_KEY).cloned()
        };
        self.tests = rules
            .iter()
            .map(|r| tests_of(&r.doc.custom_attributes))
            .chain(
                correlations
                    .iter()
                    .map(|c| tests_of(&c.doc.custom_attributes)),
            )
            .collect();
        let detection_count = rules.len();
        let mut by_reference: HashMap<&str, RuleId> = HashMap::new();
        for (index, parsed) in rules.iter().enumerate() {
            for key in [parsed.doc.id.as_deref(), parsed.doc.name.as_deref()]
                .into_iter()
                .flatten()
            {
                by_reference.entry(key).or_insert(index);
            }
        }
        for (offset, parsed) in correlations.iter().enumerate() {
            for key in [parsed.doc.id.as_deref(), parsed.doc.name.as_deref()]
                .into_iter()
                .flatten()
            {
                by_reference.entry(key).or_insert(detection_count + offset);
            }
        }

        // Correlations first as metadata: which fields each source rule must capture.
        let mut captures: Vec<Vec<String>> = vec![Vec::new(); self.rules.len()];
        let mut planned: Vec<Result<CompiledCorrelation, String>> = Vec::new();
        for (offset, parsed) in correlations.iter().enumerate() {
            let plan = plan_correlation(detection_count + offset, &parsed.doc, &by_reference);
            if let Ok(plan) = &plan {
                for source in &plan.sources {
                    for name in source.group.iter().chain(source.fields.iter()) {
                        if !captures[source.rule].contains(name) {
                            captures[source.rule].push(name.clone());
                        }
                    }
                }
            }
            planned.push(plan);
        }

        // Detection rules, compiled per format.
        let mut status: Vec<Option<LoadStatus>> = vec![None; self.rules.len()];
        for (index, parsed) in rules.iter().enumerate() {
            let rule = &parsed.doc;
            let applicable_filters: Vec<&Detections> = filters
                .iter()
                .filter(|f| filter_applies(&f.doc, rule))
                .map(|f| &f.doc.detection)
                .collect();
            let result = self.compile_detection(
                index,
                rule,
                &applicable_filters,
                &captures[index],
                mappings,
            );
            let result = match result {
                LoadStatus::Loaded { formats, mut notes } => {
                    notes.extend(parsed.notes.iter().cloned());
                    LoadStatus::Loaded { formats, notes }
                }
                other => other,
            };
            if let LoadStatus::Loaded { formats, .. } = &result {
                self.rules[index].formats = formats.clone();
            }
            status[index] = Some(result);
        }

        for program in &mut self.programs {
            program.build_index();
        }

        // Correlations: loaded when everything they correlate is.
        self.consumers = vec![Vec::new(); self.rules.len()];
        let mut resolved: Vec<Option<usize>> = vec![None; correlations.len()];
        for offset in 0..correlations.len() {
            correlation_status(
                offset,
                detection_count,
                &planned,
                &mut status,
                &mut vec![false; correlations.len()],
            );
            let id = detection_count + offset;
            if let (Some(LoadStatus::Loaded { .. }), Ok(plan)) = (&status[id], &planned[offset]) {
                let mut formats: Vec<Format> = plan
                    .sources
                    .iter()
                    .flat_map(|s| self.rules[s.rule].formats.clone())
                    .collect();
                formats.sort();
                formats.dedup();
                self.rules[id].formats = formats.clone();
                if let Some(LoadStatus::Loaded { formats: f, .. }) = &mut status[id] {
                    *f = formats;
                }
                resolved[offset] = Some(self.correlations.len());
                self.correlations.push(plan.clone());
            }
        }
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

        for mapping in mappings.formats() {
            let mut extractor = Extractor::new(mapping.keys, mapping.dotted_keys);
            for path in &mapping.time {
                extractor.slot(&crate::mapping::Source {
                    path: path.clone(),
                    values: None,
                });
            }
            let index = format_index(mapping.format);
            if self.time_paths.len() <= index {
                self.time_paths.resize_with(index + 1, || None);
            }
            self.time_paths[index] = Some(extractor);
        }

        for (index, parsed) in rules.iter().enumerate() {
            reports.push(LoadReport {
                file: parsed.file.clone(),
                kind: DocumentKind::Detection,
                id: parsed.doc.id.clone(),
                title: Some(parsed.doc.title.clone()),
                status: status[index].take().unwrap_or(LoadStatus::Unsupported {
                    reason: "not compiled".into(),
                }),
            });
        }
        for (offset, parsed) in correlations.iter().enumerate() {
            let mut status =
                status[detection_count + offset]
                    .take()
                    .unwrap_or(LoadStatus::Unsupported {
                        reason: "not resolved".into(),
                    });
            if let LoadStatus::Loaded { notes, .. } = &mut status {
                notes.extend(parsed.notes.iter().cloned());
            }
            reports.push(LoadReport {
                file: parsed.file.clone(),
                kind: DocumentKind::Correlation,
                id: parsed.doc.id.clone(),
                title: Some(parsed.doc.title.clone()),
                status,
            });
        }
        for parsed in &filters {
            let targets: Vec<&str> = match &parsed.doc.rules {
                FilterRuleTarget::Any => Vec::new(),
                FilterRuleTarget::Specific(names) => names.iter().map(String::as_str).collect(),
            };
            let applied = rules
                .iter()
                .filter(|r| filter_applies(&parsed.doc, &r.doc))
                .count();
            let status = if targets.iter().all(|t| by_reference.contains_key(t)) {
                LoadStatus::Loaded {
                    formats: Vec::new(),
                    notes: vec![format!("applies to {applied} rule(s)")],
                }
            } else {
                let missing: Vec<&str> = targets
                    .iter()
                    .copied()
                    .filter(|t| !by_reference.contains_key(t))
                    .collect();
                LoadStatus::Unsupported {
                    reason: format!(
                        "filters rule(s) {} that no loaded file defines",
                        missing.join(", ")
                    ),
                }
            };
            reports.push(LoadReport {
                file: parsed.file.clone(),
                kind: DocumentKind::Filter,
                id: parsed.doc.id.clone(),
                title: Some(parsed.doc.title.clone()),
                status,
            });
        }
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
        let extractor = self.time_paths.get(format_index(format))?.as_ref()?;
        extractor.extract(record, scratch);
        (0..extractor.slot_count() as u32).find_map(|slot| {
            scratch
                .values(slot)
                .iter()
                .find_map(|v| forewarn_model::parse_time(scratch.text(v)).ok())
        })
    }
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

/// Resolves a correlation's references and, per source rule, the fields it groups and
/// aggregates by (aliases applied).
fn plan_correlation(
    id: RuleId,
    rule: &CorrelationRule,
    by_reference: &HashMap<&str, RuleId>,
) -> Result<CompiledCorrelation, String> {
    use crate::correlation::Source;
    if rule.window != rsigma_parser::WindowMode::Sliding {
        return Err(format!(
            "`window: {}` is not supported; forewarn's correlation windows slide",
            rule.window.as_str()
        ));
    }
    let (trigger, field) = match (&rule.condition, rule.correlation_type) {
        (
            CorrelationCondition::Threshold {
                predicates,
                field,
                percentile,
            },
            kind,
        ) => {
            let needs_field = matches!(
                kind,
                CorrelationType::ValueCount
                    | CorrelationType::ValueSum
                    | CorrelationType::ValueAvg
                    | CorrelationType::ValuePercentile
                    | CorrelationType::ValueMedian
            );
            let fields = field.clone().unwrap_or_default();
            if needs_field && fields.is_empty() {
                return Err(format!(
                    "a {} correlation needs `condition.field`",
                    kind.as_str()
                ));
            }
            let percentile = match kind {
                CorrelationType::ValueMedian => Some(50),
                CorrelationType::ValuePercentile => Some(percentile.unwrap_or(50)),
                _ => None,
            };
            if percentile.is_some_and(|p| p > 100) {
                return Err("`percentile` is between 0 and 100".into());
            }
            (
                Trigger::Threshold(Threshold {
                    predicates: predicates.clone(),
                    percentile,
                }),
                fields,
            )
        }
        (
            CorrelationCondition::Extended(expr),
            CorrelationType::Temporal | CorrelationType::TemporalOrdered,
        ) => (Trigger::Expression(expr.clone()), Vec::new()),
        (CorrelationCondition::Extended(_), kind) => {
            return Err(format!(
                "a {} correlation needs a threshold condition, not an expression",
                kind.as_str()
            ))
        }
    };
    let mut sources = Vec::new();
    let mut seen = HashSet::new();
    for reference in &rule.rules {
        let Some(&source) = by_reference.get(reference.as_str()) else {
            return Err(format!(
                "correlates rule `{reference}`, which no loaded file defines"
            ));
        };
        if !seen.insert(source) {
            continue;
        }
        let resolve = |name: &String| -> Result<String, String> {
            match rule.aliases.iter().find(|a| &a.alias == name) {
                None => Ok(name.clone()),
                Some(alias) => alias.mapping.get(reference).cloned().ok_or_else(|| {
                    format!("alias `{name}` does not say which field of `{reference}` it is")
                }),
            }
        };
        let group = rule
            .group_by
            .iter()
            .map(resolve)
            .collect::<Result<Vec<_>, _>>()?;
        let fields = field.iter().map(resolve).collect::<Result<Vec<_>, _>>()?;
        sources.push(Source {
            rule: source,
            reference: reference.clone(),
            group,
            fields,
        });
    }
    if sources.is_empty() {
        return Err("correlates no rule".into());
    }
    Ok(CompiledCorrelation {
        rule: id,
        kind: rule.correlation_type,
        group_by: rule.group_by.clone(),
        timespan: jiff::SignedDuration::from_secs(
            i64::try_from(rule.timespan.seconds).unwrap_or(i64::MAX),
        ),
        trigger,
        sources,
        generate: rule.generate,
    })
}

/// A correlation's status: its own plan's, then its sources' (recursively, cycles refused).
fn correlation_status(
    offset: usize,
    detection_count: usize,
    planned: &[Result<CompiledCorrelation, String>],
    status: &mut Vec<Option<LoadStatus>>,
    visiting: &mut Vec<bool>,
) {
    let id = detection_count + offset;
    if status[id].is_some() {
        return;
    }
    let plan = match &planned[offset] {
        Ok(plan) => plan,
        Err(reason) => {
            status[id] = Some(LoadStatus::Unsupported {
                reason: reason.clone(),
            });
            return;
        }
    };
    if visiting[offset] {
        status[id] = Some(LoadStatus::Unsupported {
            reason: "correlations reference each other in a cycle".into(),
        });
        return;
    }
    visiting[offset] = true;
    let mut result = LoadStatus::Loaded {
        formats: Vec::new(),
        notes: Vec::new(),
    };
    for source in &plan.sources {
        if source.rule >= detection_count {
            correlation_status(
                source.rule - detection_count,
                detection_count,
                planned,
                status,
                visiting,
            );
            if let Ok(inner) = &planned[source.rule - detection_count] {
                // A correlation's matches carry only its group-by values.
                if let Some(missing) = source
                    .group
                    .iter()
                    .chain(source.fields.iter())
                    .find(|name| !inner.group_by.contains(name))
                {
                    result = LoadStatus::Unsupported {
                        reason: format!(
                            "groups by `{missing}`, which correlation `{}` does not group by",
                            source.reference
                        ),
                    };
                    break;
                }
            }
        }
        match &status[source.rule] {
            Some(LoadStatus::Loaded { .. }) => {}
            Some(LoadStatus::NotApplicable { reason }) => {
                result = LoadStatus::NotApplicable {
                    reason: format!(
                        "its rule `{}` is not applicable: {reason}",
                        source.reference
                    ),
                };
                break;
            }
            Some(LoadStatus::Unsupported { reason } | LoadStatus::ParseError { reason }) => {
                result = LoadStatus::Unsupported {
                    reason: format!("its rule `{}` is unsupported: {reason}", source.reference),
                };
                break;
            }
            None => {
                result = LoadStatus::Unsupported {
                    reason: format!("its rule `{}` did not load", source.reference),
                };
                break;
            }
        }
    }
    visiting[offset] = false;
    status[id] = Some(result);
}

/// Formats by name, for reports.
pub fn format_names(formats: &[Format]) -> String {
    let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
    names.join(", ")
}
