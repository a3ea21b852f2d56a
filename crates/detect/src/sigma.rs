//! Sigma rules as a detection stage, beside the built-in detectors.
//!
//! Rules run where records are decoded: a [`RuleRunner`] per decoding thread, all sharing one
//! [`RuleSet`], evaluates every decoded or skipped raw record (many rules are about event
//! types forewarn does not turn into events) and ships each match as a compact owned
//! [`RuleHit`]. The engine's thread never parses a record for rules. There a [`RuleStage`],
//! part of the engine's state (saved in its checkpoints), puts the hits back in event-time
//! order, feeds the correlation rules and keeps the findings:
//!
//! - a detection rule's matches (those that do not only feed a correlation) make one
//!   [`RuleFinding`] per rule, account and source address: how many, first and last time, and
//!   the places and field values of the first matches and the last;
//! - a correlation that fires is one finding: its `group-by` values, window, count or value,
//!   and the places of the matches in the window.
//!
//! Rule findings join campaigns but never make one ([`join_campaigns`]): SigmaHQ's rules fire
//! on honest people (lock-outs, a help desk resetting factors), so a finding only gives a
//! campaign that already holds its source address or account the rule and its techniques,
//! and never puts an account in `accounts.jsonl`.
//!
//! Order. Hits of one input come in file order. `forewarn scan` merges inputs that overlap in
//! time by their events' times, and a batch's hits go to the engine with the run of events
//! they follow in their input, so hits of different inputs come nearly in time order too
//! (a record with matches but no event goes with the events before it). Like the engine's
//! events, hits wait until no hit earlier by more than `[engine] lateness_seconds` can still
//! come (measured on the hits' own times, so the order does not depend on how the input was
//! cut into batches), then go to the correlations in time order. A hit later than that (an
//! input that goes back in time) is still a finding, counted as late, and placed in order
//! in its correlation windows; but a window whose group has moved on by more than the
//! rule's `timespan` no longer holds it. Correlation windows are swept daily (event time): a
//! group with nothing left inside its rule's `timespan` is forgotten.
//!
//! A record without a time of its own (an sshd line the decoder skipped) takes the time of
//! the last event before it in its batch, or else of the latest hit.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};

use forewarn_formats::RawRecord;
use forewarn_model::{RawRef, Timestamp};
use forewarn_rules::{Correlator, RuleId, RuleKind, RuleMatch, RuleSet, Scratch, EVIDENCE};
use serde::{Deserialize, Serialize};

use crate::campaigns::Campaign;
use crate::engine::{State, Unordered};

/// One match of a detection rule, owned: what a decoding thread ships to the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleHit {
    pub rule: RuleId,
    /// Event time (ms); `None` when neither the record nor its batch had one.
    pub time_ms: Option<i64>,
    pub raw: RawRef,
    /// The fields the rule tests, then those its correlations group or aggregate by.
    pub fields: Vec<HitField>,
    /// The account the record is about (its event's, or the mapping's `account` paths').
    pub account: Option<Box<str>>,
    /// The source address (canonical text) or host it came from.
    pub source: Option<Box<str>>,
    /// False when the rule only feeds correlations.
    pub report: bool,
}

/// A field's values in a match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitField {
    pub name: Box<str>,
    pub values: Vec<String>,
}

/// Evaluates rules on raw records, on a decoding thread.
pub struct RuleRunner<'r> {
    rules: &'r RuleSet,
    scratch: Scratch,
    matches: Vec<RuleMatch<'r>>,
    hits: Vec<RuleHit>,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
    /// The time of the last event (or matched record) of this batch: a matched record without
    /// a time of its own takes it.
    last_ms: Option<i64>,
}

impl<'r> RuleRunner<'r> {
    /// A runner for one thread; records outside `since..until` (event time) are not
    /// evaluated, as the scan ignores their events.
    pub fn new(rules: &'r RuleSet, since: Option<Timestamp>, until: Option<Timestamp>) -> Self {
        RuleRunner {
            rules,
            scratch: Scratch::new(),
            matches: Vec::new(),
            hits: Vec::new(),
            since_ms: since.map(|t| t.as_millisecond()),
            until_ms: until.map(|t| t.as_millisecond()),
            last_ms: None,
        }
    }

    /// Evaluates one decoded or skipped record.
    pub fn record(&mut self, record: &RawRecord<'_>) {
        let rules = self.rules;
        if !rules.has_rules_for(record.format) {
            return;
        }
        let inside = |ms: i64, runner: &Self| {
            runner.since_ms.is_none_or(|since| ms >= since)
                && runner.until_ms.is_none_or(|until| ms < until)
        };
        let event_ms = record.event.map(|event| event.time.as_millisecond());
        if let Some(ms) = event_ms {
            self.last_ms = Some(ms);
            if !inside(ms, self) {
                return;
            }
        }
        // `evaluate` leaves the time in its matches, which are not used here: the hit's time is
        // read below, and for a record without an event only when it matched (most do not).
        rules.evaluate(
            record.format,
            record.bytes,
            Timestamp::UNIX_EPOCH,
            &mut self.scratch,
            &mut self.matches,
        );
        if self.matches.is_empty() {
            return;
        }
        let time_ms = match event_ms {
            Some(ms) => Some(ms),
            None => {
                let own = rules
                    .record_time(record.format, record.bytes, &mut self.scratch)
                    .map(|t| t.as_millisecond());
                if let Some(ms) = own {
                    self.last_ms = Some(ms);
                }
                own.or(self.last_ms)
            }
        };
        if time_ms.is_some_and(|ms| !inside(ms, self)) {
            self.matches.clear();
            return;
        }
        let (account, source) = match record.event {
            Some(event) => (
                Some(Box::from(event.account.as_ref())),
                event
                    .ip
                    .map(|ip| ip.to_string().into_boxed_str())
                    .or_else(|| event.source_host.as_deref().map(Box::from)),
            ),
            None => {
                let subject = rules.record_subject(record.format, record.bytes, &mut self.scratch);
                (
                    subject.account.map(String::into_boxed_str),
                    subject.source.map(String::into_boxed_str),
                )
            }
        };
        for matched in self.matches.drain(..) {
            self.hits.push(RuleHit {
                rule: matched.rule_id,
                time_ms,
                raw: record.raw,
                fields: matched
                    .fields
                    .into_iter()
                    .map(|f| HitField {
                        name: f.name.into(),
                        values: f.values,
                    })
                    .collect(),
                account: account.clone(),
                source: source.clone(),
                report: matched.report,
            });
        }
    }

    /// Hits made since the last [`RuleRunner::take`].
    pub fn pending(&self) -> usize {
        self.hits.len()
    }

    /// The hits since the last call (a batch: the next one's records get times of their own).
    pub fn take(&mut self) -> Vec<RuleHit> {
        self.last_ms = None;
        std::mem::take(&mut self.hits)
    }
}

/// One place a finding rests on, with the rule's fields' values there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleEvidence {
    pub raw: RawRef,
    pub fields: Vec<HitField>,
}

/// What a correlation finding adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelationDetail {
    /// The `group-by` fields and their values.
    pub group: Vec<(String, String)>,
    /// What the condition compared: the count, distinct count, sum, average or percentile.
    pub value: f64,
    /// The ids of the rules whose matches were in the window.
    pub rules: Vec<String>,
    /// The distinct values of `condition.field` in the window (bounded).
    pub values: Vec<String>,
}

/// A rule's finding: a detection rule's matches on one account from one source, or one
/// firing of a correlation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleFinding {
    pub rule: RuleId,
    pub account: Option<Box<str>>,
    pub source: Option<Box<str>>,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Matches (detection), or matches in the window (correlation).
    pub count: u64,
    /// The first matches and the last, at most [`EVIDENCE`].
    pub evidence: Vec<RuleEvidence>,
    pub correlation: Option<CorrelationDetail>,
    /// The campaign it joined (an index into the run's campaigns).
    #[serde(skip)]
    pub campaign: Option<usize>,
}

/// Characters of a field value kept as evidence: a keyword rule's value is the whole record.
const EVIDENCE_VALUE_CHARS: usize = 1024;

fn evidence_fields(fields: &[HitField]) -> Vec<HitField> {
    fields
        .iter()
        .map(|f| HitField {
            name: f.name.clone(),
            values: f
                .values
                .iter()
                .map(|v| match v.char_indices().nth(EVIDENCE_VALUE_CHARS) {
                    Some((cut, _)) => format!("{}…", &v[..cut]),
                    None => v.clone(),
                })
                .collect(),
        })
        .collect()
}

const DAY_MS: i64 = 86_400_000;

type DetectionKey = (RuleId, Option<Box<str>>, Option<Box<str>>);

/// The rules' part of the engine's state: hits in waiting, correlation windows, findings.
pub struct RuleStage {
    rules: Arc<RuleSet>,
    lateness_ms: i64,
    correlator: Correlator,
    waiting: BinaryHeap<Reverse<(i64, u64, Unordered<RuleHit>)>>,
    arrived: u64,
    /// Latest hit time seen, and time of the last hit processed.
    max_seen: i64,
    watermark: i64,
    last_sweep_ms: i64,
    /// Hits that came before any time was known.
    untimed: Vec<RuleHit>,
    detections: BTreeMap<DetectionKey, RuleFinding>,
    correlations: Vec<RuleFinding>,
    /// Matches per rule (detection rules' matches, correlations' firings).
    counts: Vec<u64>,
    late: u64,
}

/// What the rules found in a run.
pub struct RuleOutcome {
    pub rules: Arc<RuleSet>,
    /// Findings in time order (first seen, then rule).
    pub findings: Vec<RuleFinding>,
    /// Per rule: its matches (detection rules, including those only feeding correlations)
    /// or firings (correlations).
    pub counts: Vec<u64>,
    /// Hits that came later than the reorder bound.
    pub late: u64,
}

/// A rule stage as a checkpoint holds it. Rules are named by id too, so that a checkpoint
/// taken with other rules (or the same in another order) restores what still applies.
#[derive(Serialize, Deserialize)]
struct Saved {
    rule_ids: Vec<String>,
    correlator: Correlator,
    /// Hits in waiting, in the order they will be processed.
    waiting: Vec<(i64, RuleHit)>,
    untimed: Vec<RuleHit>,
    max_seen: i64,
    watermark: i64,
    last_sweep_ms: i64,
    detections: Vec<RuleFinding>,
    correlations: Vec<RuleFinding>,
    counts: Vec<u64>,
    late: u64,
}

impl RuleStage {
    pub fn new(rules: Arc<RuleSet>, lateness_seconds: u32) -> Self {
        let rule_count = rules.rules().len();
        RuleStage {
            rules,
            lateness_ms: i64::from(lateness_seconds) * 1000,
            correlator: Correlator::new(),
            waiting: BinaryHeap::new(),
            arrived: 0,
            max_seen: i64::MIN,
            watermark: i64::MIN,
            last_sweep_ms: i64::MIN,
            untimed: Vec::new(),
            detections: BTreeMap::new(),
            correlations: Vec::new(),
            counts: vec![0; rule_count],
            late: 0,
        }
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Takes one hit; it is processed once no earlier hit can still come.
    pub fn push(&mut self, hit: RuleHit) {
        let time = match hit.time_ms {
            Some(time) => time,
            None if self.max_seen != i64::MIN => self.max_seen,
            None => {
                self.untimed.push(hit);
                return;
            }
        };
        for mut early in std::mem::take(&mut self.untimed) {
            early.time_ms = Some(time);
            self.queue(time, early);
        }
        self.queue(time, hit);
        let bound = self.max_seen.saturating_sub(self.lateness_ms);
        self.release(bound);
    }

    fn queue(&mut self, time: i64, hit: RuleHit) {
        if time < self.watermark {
            self.late += 1;
            self.process(time, hit);
            return;
        }
        self.arrived += 1;
        self.max_seen = self.max_seen.max(time);
        self.waiting
            .push(Reverse((time, self.arrived, Unordered(hit))));
    }

    fn release(&mut self, bound: i64) {
        while self
            .waiting
            .peek()
            .is_some_and(|Reverse((time, _, _))| *time <= bound)
        {
            if let Some(Reverse((time, _, Unordered(hit)))) = self.waiting.pop() {
                self.watermark = time;
                self.process(time, hit);
            }
        }
    }

    fn process(&mut self, time: i64, hit: RuleHit) {
        if let Some(count) = self.counts.get_mut(hit.rule) {
            *count += 1;
        }
        let rules = &*self.rules;
        if rules.has_correlations() {
            let at = Timestamp::from_millisecond(time).unwrap_or(Timestamp::UNIX_EPOCH);
            let fields: Vec<(&str, Option<&str>)> = hit
                .fields
                .iter()
                .map(|f| (f.name.as_ref(), f.values.first().map(String::as_str)))
                .collect();
            let fired = self
                .correlator
                .observe_fields(rules, hit.rule, at, &fields, Some(hit.raw));
            for alert in fired {
                if let Some(count) = self.counts.get_mut(alert.rule_id) {
                    *count += 1;
                }
                if !alert.report {
                    continue;
                }
                // A correlation grouped by the matched record's account or address is about it.
                let grouped_by =
                    |same: &dyn Fn(&str) -> bool| alert.group.iter().any(|(_, value)| same(value));
                let account = hit
                    .account
                    .as_deref()
                    .filter(|a| grouped_by(&|g| g.trim().eq_ignore_ascii_case(a)));
                let source = hit
                    .source
                    .as_deref()
                    .filter(|s| grouped_by(&|g| same_source(g, s)));
                self.correlations.push(RuleFinding {
                    rule: alert.rule_id,
                    account: account.map(Box::from),
                    source: source.map(Box::from),
                    first_ms: alert.first_seen.as_millisecond(),
                    last_ms: alert.last_seen.as_millisecond(),
                    count: alert.events as u64,
                    evidence: alert
                        .evidence
                        .iter()
                        .map(|&raw| RuleEvidence {
                            raw,
                            fields: Vec::new(),
                        })
                        .collect(),
                    correlation: Some(CorrelationDetail {
                        group: alert
                            .group
                            .iter()
                            .map(|(name, value)| ((*name).to_owned(), value.clone()))
                            .collect(),
                        value: alert.value,
                        rules: alert.rules.iter().map(|r| (*r).to_owned()).collect(),
                        values: alert.values.clone(),
                    }),
                    campaign: None,
                });
            }
        }
        if hit.report {
            let key = (hit.rule, hit.account.clone(), hit.source.clone());
            let evidence = RuleEvidence {
                raw: hit.raw,
                fields: evidence_fields(&hit.fields),
            };
            let finding = self.detections.entry(key).or_insert_with(|| RuleFinding {
                rule: hit.rule,
                account: hit.account,
                source: hit.source,
                first_ms: time,
                last_ms: time,
                count: 0,
                evidence: Vec::new(),
                correlation: None,
                campaign: None,
            });
            finding.count += 1;
            finding.first_ms = finding.first_ms.min(time);
            finding.last_ms = finding.last_ms.max(time);
            // The first matches, and the latest in the last place.
            if finding.evidence.len() < EVIDENCE {
                finding.evidence.push(evidence);
            } else if let Some(last) = finding.evidence.last_mut() {
                *last = evidence;
            }
        }
        if time.saturating_sub(self.last_sweep_ms) >= DAY_MS {
            self.last_sweep_ms = time;
            if let Ok(now) = Timestamp::from_millisecond(time) {
                self.correlator.expire(&self.rules, now);
            }
        }
    }

    /// Correlation groups held (for memory accounting).
    pub fn groups(&self) -> usize {
        self.correlator.group_count()
    }

    /// Processes every hit still waiting and gives the findings. `fallback_ms` times the
    /// hits that never met a time (the engine's latest event time, when no hit had one).
    pub fn finish(mut self, fallback_ms: i64) -> RuleOutcome {
        for mut hit in std::mem::take(&mut self.untimed) {
            hit.time_ms = Some(fallback_ms);
            self.queue(fallback_ms, hit);
        }
        self.release(i64::MAX);
        let mut findings: Vec<RuleFinding> = std::mem::take(&mut self.detections)
            .into_values()
            .chain(std::mem::take(&mut self.correlations))
            .collect();
        // Stable: correlations keep their firing order among equals.
        findings.sort_by_key(|f| (f.first_ms, f.rule));
        RuleOutcome {
            rules: self.rules,
            findings,
            counts: self.counts,
            late: self.late,
        }
    }

    /// The stage's state for a checkpoint.
    pub fn save(&self) -> Result<serde_json::Value, serde_json::Error> {
        let mut waiting: Vec<(i64, u64, RuleHit)> = self
            .waiting
            .iter()
            .map(|Reverse((time, arrived, Unordered(hit)))| (*time, *arrived, hit.clone()))
            .collect();
        waiting.sort_by_key(|(time, arrived, _)| (*time, *arrived));
        serde_json::to_value(Saved {
            rule_ids: self.rules.rules().iter().map(|r| r.id.clone()).collect(),
            correlator: self.correlator.clone(),
            waiting: waiting
                .into_iter()
                .map(|(time, _, hit)| (time, hit))
                .collect(),
            untimed: self.untimed.clone(),
            max_seen: self.max_seen,
            watermark: self.watermark,
            last_sweep_ms: self.last_sweep_ms,
            detections: self.detections.values().cloned().collect(),
            correlations: self.correlations.clone(),
            counts: self.counts.clone(),
            late: self.late,
        })
    }

    /// Takes back what [`RuleStage::save`] gave. Findings and hits of rules no longer loaded
    /// are dropped; correlation windows of such rules go at the next sweep.
    pub fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
        let saved: Saved = serde_json::from_value(saved)?;
        let rules = self.rules.clone();
        let now = |old: RuleId| -> Option<RuleId> {
            let id = saved.rule_ids.get(old)?;
            if rules.rules().get(old).is_some_and(|r| &r.id == id) {
                return Some(old);
            }
            rules.rules().iter().position(|r| &r.id == id)
        };
        let renumber_hit = |mut hit: RuleHit| {
            hit.rule = now(hit.rule)?;
            Some(hit)
        };
        let renumber = |mut finding: RuleFinding| {
            finding.rule = now(finding.rule)?;
            Some(finding)
        };
        self.correlator = saved.correlator;
        self.arrived = 0;
        for (time, hit) in saved.waiting {
            if let Some(hit) = renumber_hit(hit) {
                self.arrived += 1;
                self.waiting
                    .push(Reverse((time, self.arrived, Unordered(hit))));
            }
        }
        self.untimed = saved.untimed.into_iter().filter_map(renumber_hit).collect();
        self.max_seen = saved.max_seen;
        self.watermark = saved.watermark;
        self.last_sweep_ms = saved.last_sweep_ms;
        self.detections = saved
            .detections
            .into_iter()
            .filter_map(renumber)
            .map(|f| ((f.rule, f.account.clone(), f.source.clone()), f))
            .collect();
        self.correlations = saved
            .correlations
            .into_iter()
            .filter_map(renumber)
            .collect();
        for (old, count) in saved.counts.into_iter().enumerate() {
            if let Some(slot) = now(old).and_then(|rule| self.counts.get_mut(rule)) {
                *slot += count;
            }
        }
        self.late = saved.late;
        Ok(())
    }
}

/// Whether two texts name the same source (addresses compared by value).
fn same_source(a: &str, b: &str) -> bool {
    match (
        a.trim().parse::<std::net::IpAddr>(),
        b.trim().parse::<std::net::IpAddr>(),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

/// The name a rule goes by among a campaign's detectors: `sigma:` and its id.
pub fn detector_name(rules: &RuleSet, rule: RuleId) -> &'static str {
    leak(&format!("sigma:{}", rules.rule(rule).id))
}

/// Campaigns list detectors and techniques as `&'static str` (the built-in ones are
/// constants). A rule's id and techniques are made static once per distinct text, so a
/// process leaks at most the text of the rules it ever loaded.
fn leak(text: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let Ok(mut names) = NAMES.lock() else {
        // Poisoned only by a panic elsewhere mid-insert; a fresh copy is still correct.
        return Box::leak(text.to_owned().into_boxed_str());
    };
    if let Some(&known) = names.get(text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Gives each rule finding about a source address or account a campaign holds to that
/// campaign: the campaign lists the rule among its detectors and takes its techniques. A
/// finding about a source goes to the campaign of that source; otherwise to the first
/// campaign that reached its account. Nothing else changes: no account is added, no stage
/// raised, no campaign made.
pub fn join_campaigns(outcome: &mut RuleOutcome, campaigns: &mut [Campaign], state: &State) {
    let mut by_source = HashMap::new();
    let mut by_account = HashMap::new();
    for (index, campaign) in campaigns.iter().enumerate() {
        for &source in &campaign.sources {
            by_source.entry(source).or_insert(index);
        }
        for &account in campaign.accounts.keys() {
            by_account.entry(account).or_insert(index);
        }
    }
    let rules = &*outcome.rules;
    for finding in &mut outcome.findings {
        let source = finding
            .source
            .as_deref()
            .and_then(|s| state.sources.get(s))
            .and_then(|s| by_source.get(&s));
        let account = finding
            .account
            .as_deref()
            .and_then(|a| state.accounts.get(a))
            .and_then(|a| by_account.get(&a));
        let Some(&index) = source.or(account) else {
            continue;
        };
        finding.campaign = Some(index);
        let campaign = &mut campaigns[index];
        campaign
            .detectors
            .insert(detector_name(rules, finding.rule));
        let meta = rules.rule(finding.rule);
        campaign
            .techniques
            .extend(meta.techniques.iter().map(|t| leak(t)));
        if meta.kind == RuleKind::Correlation {
            // The correlated rules' techniques are the correlation's too.
            for id in finding.correlation.iter().flat_map(|c| &c.rules) {
                if let Some(rule) = rules.rules().iter().find(|r| &r.id == id) {
                    campaign
                        .techniques
                        .extend(rule.techniques.iter().map(|t| leak(t)));
                }
            }
        }
    }
}
