//! Sigma correlation rules: event-time windows per group, fed by rule matches.
//!
//! A [`Correlator`] is the state: for each correlation rule and each value of its `group-by`
//! fields, the matches of the last `timespan`. The engine owns one, feeds it every
//! [`RuleMatch`] in (roughly) event-time order, and checkpoints it with serde.
//!
//! Semantics (the Sigma correlation specification v2.1 leaves these to the tool):
//! - Windows slide and are closed at both ends: a match at `t` counts for an event at `T`
//!   when `T - timespan <= t <= T`, so two events exactly `timespan` apart are "within" it.
//! - The condition is checked at each match, over the window ending at that match's time.
//!   When it holds, the correlation fires once and that group's window starts over, so a
//!   burst of 1,000 failures with `gte: 10` gives 100 alerts, not 991.
//! - A match without a value for every `group-by` field is not counted (as a SIEM's
//!   `by User` drops rows without a user).
//! - `event_count` counts matches; `value_count` counts distinct values of `condition.field`
//!   (several fields: distinct combinations); `value_sum` / `value_avg` sum or average its
//!   numeric values (others are skipped); `value_percentile` is the `percentile`-th
//!   percentile (default 50, nearest rank) of them, `value_median` the 50th.
//! - `temporal` needs every correlated rule in the window; a condition other than the
//!   default `gte: 1` counts distinct rules instead, and a string condition (`rule_a and
//!   rule_b`) is evaluated over the rules seen. `temporal_ordered` needs them in the order
//!   listed.
//! - Correlations of correlations work: a firing feeds the correlations that name it, its
//!   `group-by` values being the fields it carries.
//! - Matches arriving late (out of time order) are placed in order; entries older than the
//!   group's newest match minus `timespan` are dropped.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use forewarn_model::RawRef;
use jiff::{SignedDuration, Timestamp};
use rsigma_parser::{
    ConditionExpr, ConditionOperator, CorrelationCondition, CorrelationRule, CorrelationType,
};
use serde::{Deserialize, Serialize};

use crate::ruleset::{LoadStatus, RuleId, RuleMatch, RuleMeta, RuleSet};

/// A correlation rule ready to run.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCorrelation {
    pub rule: RuleId,
    pub kind: CorrelationType,
    pub group_by: Vec<String>,
    pub timespan: SignedDuration,
    pub trigger: Trigger,
    pub sources: Vec<Source>,
    pub generate: bool,
}

/// One rule a correlation correlates, and the names of its fields for the correlation.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub rule: RuleId,
    /// The reference as written in `rules:`.
    pub reference: String,
    /// The source's field for each `group-by` entry (aliases applied).
    pub group: Vec<String>,
    /// The source's fields for `condition.field`.
    pub fields: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum Trigger {
    Threshold(Threshold),
    Expression(ConditionExpr),
}

#[derive(Debug, Clone)]
pub(crate) struct Threshold {
    pub predicates: Vec<(ConditionOperator, u64)>,
    pub percentile: Option<u64>,
}

impl Threshold {
    fn holds(&self, value: f64) -> bool {
        self.predicates.iter().all(|&(op, limit)| {
            let limit = limit as f64;
            match op {
                ConditionOperator::Lt => value < limit,
                ConditionOperator::Lte => value <= limit,
                ConditionOperator::Gt => value > limit,
                ConditionOperator::Gte => value >= limit,
                ConditionOperator::Eq => value == limit,
                ConditionOperator::Neq => value != limit,
            }
        })
    }

    /// The parser gives temporal rules without a condition `gte: 1`; the specification's
    /// meaning for them is "all the rules".
    fn is_default(&self) -> bool {
        matches!(self.predicates.as_slice(), [(ConditionOperator::Gte, 1)])
    }
}

/// A correlation rule that fired.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelationMatch<'s> {
    pub rule_id: RuleId,
    pub rule: &'s RuleMeta,
    /// The `group-by` fields and their values.
    pub group: Vec<(&'s str, String)>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Matches in the window when it fired.
    pub events: usize,
    /// What the condition compared: the count, distinct count, sum, average or percentile.
    pub value: f64,
    /// The ids of the rules whose matches are in the window.
    pub rules: Vec<&'s str>,
    /// Where the matches in the window are, for those fed with a place
    /// ([`Correlator::observe_fields`]): the first [`EVIDENCE`]` - 1` and the last.
    pub evidence: Vec<RawRef>,
    /// The distinct values of `condition.field` in the window (value_count and the value
    /// aggregations), the first [`EVIDENCE`] of them.
    pub values: Vec<String>,
    /// False when this correlation only feeds another (whose `generate` is false).
    pub report: bool,
}

/// How many places and values a firing carries at most: enough to read what happened, and
/// a burst of thousands of matches stays a small alert.
pub const EVIDENCE: usize = 10;

/// The state of every correlation: per rule and group, the matches of the last `timespan`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Correlator {
    /// Correlation rule id → group key (values joined by U+001F) → window.
    windows: BTreeMap<String, HashMap<String, Window>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Window {
    /// In time order.
    entries: VecDeque<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    time: Timestamp,
    /// Index into the correlation's sources.
    source: usize,
    value: Option<String>,
    /// Where the match is (absent for matches fed without a place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    evidence: Option<RawRef>,
}

/// A match on its way into correlations: a rule's, or a correlation's that fired.
struct Input<'a> {
    rule: RuleId,
    time: Timestamp,
    fields: Vec<(&'a str, Option<String>)>,
    evidence: Option<RawRef>,
}

const GROUP_SEPARATOR: char = '\u{1f}';

impl Correlator {
    pub fn new() -> Correlator {
        Correlator::default()
    }

    /// Feeds one rule match; returns the correlations it made fire (including chained ones).
    pub fn observe<'s>(
        &mut self,
        rules: &'s RuleSet,
        matched: &RuleMatch<'s>,
    ) -> Vec<CorrelationMatch<'s>> {
        let fields: Vec<(&str, Option<&str>)> = matched
            .fields
            .iter()
            .map(|f| (f.name, f.values.first().map(String::as_str)))
            .collect();
        self.observe_fields(rules, matched.rule_id, matched.time, &fields, None)
    }

    /// Feeds one match of rule `rule` given as its fields' (first) values, with where the
    /// matched record is; returns the correlations it made fire (including chained ones).
    /// For callers that keep matches as owned data (the scan ships them between threads).
    pub fn observe_fields<'s>(
        &mut self,
        rules: &'s RuleSet,
        rule: RuleId,
        time: Timestamp,
        fields: &[(&str, Option<&str>)],
        evidence: Option<RawRef>,
    ) -> Vec<CorrelationMatch<'s>> {
        let mut fired = Vec::new();
        if rules.consumers.get(rule).is_none_or(Vec::is_empty) {
            return fired;
        }
        let mut queue = vec![Input {
            rule,
            time,
            fields: fields
                .iter()
                .map(|&(name, value)| (name, value.map(str::to_owned)))
                .collect(),
            evidence,
        }];
        // Chains are acyclic (checked at load), so this ends.
        while let Some(input) = queue.pop() {
            for &position in &rules.consumers[input.rule] {
                let correlation = &rules.correlations[position];
                let Some(hit) = self.feed(rules, correlation, &input) else {
                    continue;
                };
                queue.push(Input {
                    rule: correlation.rule,
                    time: hit.last_seen,
                    fields: hit
                        .group
                        .iter()
                        .map(|(name, value)| (*name, Some(value.clone())))
                        .collect(),
                    evidence: hit.evidence.last().copied(),
                });
                fired.push(hit);
            }
        }
        fired
    }

    fn feed<'s>(
        &mut self,
        rules: &'s RuleSet,
        correlation: &'s CompiledCorrelation,
        input: &Input<'_>,
    ) -> Option<CorrelationMatch<'s>> {
        let source_index = correlation
            .sources
            .iter()
            .position(|s| s.rule == input.rule)?;
        let source = &correlation.sources[source_index];
        let lookup = |name: &str| {
            input
                .fields
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, v)| v.clone())
        };
        let mut group = Vec::with_capacity(source.group.len());
        for (name, field) in correlation.group_by.iter().zip(&source.group) {
            group.push((name.as_str(), lookup(field)?));
        }
        let value = match source.fields.as_slice() {
            [] => None,
            [field] => lookup(field),
            fields => {
                let parts: Option<Vec<String>> = fields.iter().map(|f| lookup(f)).collect();
                parts.map(|p| p.join(&GROUP_SEPARATOR.to_string()))
            }
        };
        let key = group
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(&GROUP_SEPARATOR.to_string());
        let meta = rules.rule(correlation.rule);
        let window = self
            .windows
            .entry(meta.id.clone())
            .or_default()
            .entry(key.clone())
            .or_default();
        window.insert(Entry {
            time: input.time,
            source: source_index,
            value,
            evidence: input.evidence,
        });
        window.evict(correlation.timespan);

        let start = input.time - correlation.timespan;
        let current: Vec<&Entry> = window
            .entries
            .iter()
            .filter(|e| e.time >= start && e.time <= input.time)
            .collect();
        let measured = measure(correlation, &current)?;
        let first_seen = current.first().map_or(input.time, |e| e.time);
        let mut contributing: Vec<&'s str> = current
            .iter()
            .map(|e| rules.rule(correlation.sources[e.source].rule).id.as_str())
            .collect();
        contributing.sort_unstable();
        contributing.dedup();
        let events = current.len();
        let placed: Vec<RawRef> = current.iter().filter_map(|e| e.evidence).collect();
        let evidence = if placed.len() <= EVIDENCE {
            placed
        } else {
            let mut kept = placed[..EVIDENCE - 1].to_vec();
            kept.extend(placed.last().copied());
            kept
        };
        let mut values: Vec<String> = Vec::new();
        for value in current.iter().filter_map(|e| e.value.as_deref()) {
            if values.len() == EVIDENCE {
                break;
            }
            if !values.iter().any(|v| v == value) {
                values.push(value.to_owned());
            }
        }
        // Fired: the group starts over.
        let groups = self.windows.get_mut(&meta.id)?;
        groups.remove(&key);
        Some(CorrelationMatch {
            rule_id: correlation.rule,
            rule: meta,
            group,
            first_seen,
            last_seen: input.time,
            events,
            value: measured,
            rules: contributing,
            evidence,
            values,
            report: rules
                .consumers
                .get(correlation.rule)
                .is_none_or(|consumers| {
                    consumers.is_empty()
                        || consumers.iter().any(|&c| rules.correlations[c].generate)
                }),
        })
    }

    /// Drops the groups with nothing left inside their window at `now` (call it as event
    /// time advances, e.g. with the engine's other expiry).
    pub fn expire(&mut self, rules: &RuleSet, now: Timestamp) {
        let spans: HashMap<&str, SignedDuration> = rules
            .correlations
            .iter()
            .map(|c| (rules.rule(c.rule).id.as_str(), c.timespan))
            .collect();
        self.windows.retain(|id, groups| {
            let Some(&span) = spans.get(id.as_str()) else {
                // The rule is gone (rules changed since the checkpoint).
                return false;
            };
            groups.retain(|_, window| {
                window
                    .entries
                    .back()
                    .is_some_and(|newest| newest.time >= now - span)
            });
            !groups.is_empty()
        });
    }

    /// Groups currently tracked, over all correlations (for memory accounting).
    pub fn group_count(&self) -> usize {
        self.windows.values().map(HashMap::len).sum()
    }
}

impl Window {
    fn insert(&mut self, entry: Entry) {
        let at = self
            .entries
            .iter()
            .rposition(|e| e.time <= entry.time)
            .map_or(0, |i| i + 1);
        self.entries.insert(at, entry);
    }

    fn evict(&mut self, span: SignedDuration) {
        let Some(newest) = self.entries.back().map(|e| e.time) else {
            return;
        };
        let oldest = newest - span;
        while self.entries.front().is_some_and(|e| e.time < oldest) {
            self.entries.pop_front();
        }
    }
}

/// The correlation's measure over the window, when its condition holds.
fn measure(correlation: &CompiledCorrelation, window: &[&Entry]) -> Option<f64> {
    let sources = correlation.sources.len();
    match (&correlation.trigger, correlation.kind) {
        (Trigger::Expression(expr), CorrelationType::Temporal) => {
            let seen = seen_references(correlation, window);
            eval_expression(expr, &seen).then_some(seen.len() as f64)
        }
        (Trigger::Expression(expr), CorrelationType::TemporalOrdered) => {
            let seen = seen_references(correlation, window);
            (eval_expression(expr, &seen) && in_order(window, sources)).then_some(seen.len() as f64)
        }
        (Trigger::Expression(_), _) => None,
        (Trigger::Threshold(threshold), kind) => {
            let value = match kind {
                CorrelationType::EventCount => window.len() as f64,
                CorrelationType::ValueCount => window
                    .iter()
                    .filter_map(|e| e.value.as_deref())
                    .collect::<HashSet<_>>()
                    .len() as f64,
                CorrelationType::Temporal => {
                    let distinct = window
                        .iter()
                        .map(|e| e.source)
                        .collect::<HashSet<_>>()
                        .len();
                    if threshold.is_default() {
                        return (distinct == sources).then_some(distinct as f64);
                    }
                    distinct as f64
                }
                CorrelationType::TemporalOrdered => {
                    if threshold.is_default() {
                        return in_order(window, sources).then_some(sources as f64);
                    }
                    // Other thresholds count distinct rules, in order or not.
                    window
                        .iter()
                        .map(|e| e.source)
                        .collect::<HashSet<_>>()
                        .len() as f64
                }
                CorrelationType::ValueSum => numbers(window).iter().sum(),
                CorrelationType::ValueAvg => {
                    let numbers = numbers(window);
                    if numbers.is_empty() {
                        return None;
                    }
                    numbers.iter().sum::<f64>() / numbers.len() as f64
                }
                CorrelationType::ValuePercentile | CorrelationType::ValueMedian => {
                    let mut numbers = numbers(window);
                    if numbers.is_empty() {
                        return None;
                    }
                    numbers.sort_by(f64::total_cmp);
                    let p = threshold.percentile.unwrap_or(50) as f64;
                    let rank = ((p / 100.0) * numbers.len() as f64).ceil().max(1.0) as usize;
                    numbers[rank.min(numbers.len()) - 1]
                }
            };
            threshold.holds(value).then_some(value)
        }
    }
}

fn numbers(window: &[&Entry]) -> Vec<f64> {
    window
        .iter()
        .filter_map(|e| e.value.as_deref()?.trim().parse::<f64>().ok())
        .collect()
}

/// Whether sources 0, 1, …, n-1 occur in that order (earliest-first greedy matching finds
/// an ordered occurrence whenever one exists).
fn in_order(window: &[&Entry], sources: usize) -> bool {
    let mut next = 0;
    for entry in window {
        if entry.source == next {
            next += 1;
            if next == sources {
                return true;
            }
        }
    }
    false
}

fn seen_references<'c>(
    correlation: &'c CompiledCorrelation,
    window: &[&Entry],
) -> HashSet<&'c str> {
    window
        .iter()
        .map(|e| correlation.sources[e.source].reference.as_str())
        .collect()
}

fn eval_expression(expr: &ConditionExpr, seen: &HashSet<&str>) -> bool {
    match expr {
        ConditionExpr::And(parts) => parts.iter().all(|p| eval_expression(p, seen)),
        ConditionExpr::Or(parts) => parts.iter().any(|p| eval_expression(p, seen)),
        ConditionExpr::Not(part) => !eval_expression(part, seen),
        ConditionExpr::Identifier(name) => seen.contains(name.as_str()),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let matching = seen
                .iter()
                .filter(|name| pattern.matches_detection_name(name))
                .count();
            match quantifier {
                rsigma_parser::Quantifier::Any => matching >= 1,
                rsigma_parser::Quantifier::All => matching >= 1,
                rsigma_parser::Quantifier::Count(n) => matching as u64 >= *n,
            }
        }
    }
}

/// Resolves a correlation's references and, per source rule, the fields it groups and
/// aggregates by (aliases applied).
pub(crate) fn plan(
    id: RuleId,
    rule: &CorrelationRule,
    by_reference: &HashMap<String, RuleId>,
) -> Result<CompiledCorrelation, String> {
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
pub(crate) fn resolve_status(
    offset: usize,
    detection_count: usize,
    planned: &[Result<CompiledCorrelation, String>],
    status: &mut [Option<LoadStatus>],
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
            resolve_status(
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
