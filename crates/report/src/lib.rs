//! Writes a scan's results as DESIGN.md's output contract: `accounts.jsonl`, `campaigns.json`
//! and `findings.jsonl` (one OCSF 1.3 Detection Finding, class 2004, per verdict and per Sigma
//! rule finding).
//!
//! This crate must not detect anything: it only turns the engine's campaigns and verdicts
//! into files people and tools read.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use forewarn_detect::engine_state::State;
use forewarn_detect::sigma::{RuleFinding, RuleOutcome};
use forewarn_detect::{Campaign, Stage, Subject, Verdict};
use forewarn_model::{RawRef, Timestamp};
use forewarn_rules::Level;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct ReportError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// A flagged account, one line of `accounts.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct AccountLine {
    pub account: String,
    pub stage: Stage,
    pub campaigns: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub detections: Vec<&'static str>,
    pub score: f64,
    pub watchlist: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Funnel {
    pub identified: usize,
    pub attacked: usize,
    pub compromised: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageLists {
    pub identified: Vec<String>,
    pub attacked: Vec<String>,
    pub compromised: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sources {
    pub ips: Vec<String>,
    pub asns: Vec<u32>,
    pub user_agents: Vec<String>,
}

/// One element of `campaigns.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignEntry {
    pub id: String,
    /// The actor, when threat intelligence names one (not yet).
    pub actor: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub funnel: Funnel,
    pub accounts: StageLists,
    pub sources: Sources,
    pub techniques: Vec<&'static str>,
    /// Addresses the campaign tried that name no account.
    pub nonexistent_probed: Vec<String>,
}

fn time(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| String::new(), |t| t.to_string())
}

/// The campaigns as `campaigns.json` holds them.
pub fn campaign_entries(state: &State, campaigns: &[Campaign]) -> Vec<CampaignEntry> {
    campaigns
        .iter()
        .map(|c| {
            let at = |stage: Stage| -> Vec<String> {
                let mut list: Vec<String> = c
                    .accounts
                    .iter()
                    .filter(|(_, r)| r.0 >= stage)
                    .map(|(a, _)| state.accounts.resolve(*a).to_owned())
                    .collect();
                list.sort();
                list
            };
            let accounts = StageLists {
                identified: at(Stage::Identified),
                attacked: at(Stage::Attacked),
                compromised: at(Stage::Compromised),
            };
            let mut ips: Vec<String> = c
                .sources
                .iter()
                .map(|s| state.sources.resolve(*s).to_owned())
                .collect();
            ips.sort();
            let mut nonexistent: Vec<String> = c
                .nonexistent
                .iter()
                .map(|a| state.accounts.resolve(*a).to_owned())
                .collect();
            nonexistent.sort();
            CampaignEntry {
                id: c.id.clone(),
                actor: None,
                first_seen: time(c.first_ms),
                last_seen: time(c.last_ms),
                funnel: Funnel {
                    identified: accounts.identified.len(),
                    attacked: accounts.attacked.len(),
                    compromised: accounts.compromised.len(),
                },
                accounts,
                sources: Sources {
                    ips,
                    asns: c.asns.iter().copied().collect(),
                    user_agents: c
                        .agents
                        .iter()
                        .map(|a| state.agents.resolve(*a).to_owned())
                        .collect(),
                },
                techniques: c.techniques.iter().copied().collect(),
                nonexistent_probed: nonexistent,
            }
        })
        .collect()
}

/// The flagged accounts as `accounts.jsonl` holds them, furthest stage first: every account a
/// campaign reached, and those corroborated account-level verdicts stand for
/// ([`forewarn_detect::accounts`]).
pub fn account_lines(
    state: &State,
    campaigns: &[Campaign],
    verdicts: &[Verdict],
) -> Vec<AccountLine> {
    let mut lines: Vec<AccountLine> = forewarn_detect::accounts::flagged(campaigns, verdicts)
        .into_iter()
        .map(|flagged| AccountLine {
            account: state.accounts.resolve(flagged.account).to_owned(),
            stage: flagged.stage,
            campaigns: flagged
                .campaigns
                .iter()
                .map(|&i| campaigns[i].id.clone())
                .collect(),
            first_seen: time(flagged.first_ms),
            last_seen: time(flagged.last_ms),
            detections: flagged.detections.into_iter().collect(),
            score: match flagged.stage {
                Stage::Identified => 0.4,
                Stage::Attacked => 0.7,
                Stage::Compromised => 0.95,
            },
            watchlist: Vec::new(),
        })
        .collect();
    lines.sort_by(|a, b| {
        b.stage
            .cmp(&a.stage)
            .then_with(|| a.account.cmp(&b.account))
    });
    lines
}

/// The ATT&CK technique's name, for findings people read.
pub fn technique_name(id: &str) -> &'static str {
    match id {
        "T1589.002" => "Gather Victim Identity Information: Email Addresses",
        "T1598" => "Phishing for Information",
        "T1110" => "Brute Force",
        "T1583.003" => "Acquire Infrastructure: Virtual Private Server",
        "T1110.001" => "Brute Force: Password Guessing",
        "T1110.003" => "Brute Force: Password Spraying",
        "T1110.004" => "Brute Force: Credential Stuffing",
        "T1621" => "Multi-Factor Authentication Request Generation",
        "T1451" => "SIM Card Swap",
        "T1098" => "Account Manipulation",
        "T1098.005" => "Account Manipulation: Device Registration",
        "T1078" => "Valid Accounts",
        "T1114.003" => "Email Collection: Email Forwarding Rule",
        "T1564.008" => "Hide Artifacts: Email Hiding Rules",
        "T1528" => "Steal Application Access Token",
        "T1586.002" => "Compromise Accounts: Email Accounts",
        _ => "",
    }
}

/// One OCSF Detection Finding (class 2004) for a verdict.
pub fn finding(
    state: &State,
    verdict: &Verdict,
    campaign: Option<&str>,
    index: usize,
    input_name: &dyn Fn(u32) -> String,
) -> serde_json::Value {
    let (severity_id, severity) = match verdict.score {
        s if s >= 0.9 => (4, "High"),
        s if s >= 0.6 => (3, "Medium"),
        _ => (2, "Low"),
    };
    let (source, account) = match verdict.subject {
        Subject::Source(s) => (Some(state.sources.resolve(s)), None),
        Subject::Account { account, source } => (
            source.map(|s| state.sources.resolve(s)),
            Some(state.accounts.resolve(account)),
        ),
    };
    let related: Vec<&str> = verdict
        .related_accounts
        .iter()
        .map(|&a| state.accounts.resolve(a))
        .collect();
    let title = match account {
        Some(account) => format!(
            "{} on {account} from {}",
            verdict.detector,
            source.unwrap_or("an unknown source")
        ),
        None => format!(
            "{} from {}",
            verdict.detector,
            source.unwrap_or("an unknown source")
        ),
    };
    let mut observables: Vec<serde_json::Value> = source
        .map(|ip| serde_json::json!({"name": "src_endpoint.ip", "type_id": 2, "type": "IP Address", "value": ip}))
        .into_iter()
        .collect();
    observables.extend(account.into_iter().chain(related.iter().copied()).map(|name| {
        serde_json::json!({"name": "user.name", "type_id": 4, "type": "User Name", "value": name})
    }));
    let evidences: Vec<serde_json::Value> = verdict
        .evidence
        .iter()
        .map(|raw: &RawRef| {
            serde_json::json!({"data": {"input": input_name(raw.input), "line": raw.line, "record": raw.index}})
        })
        .collect();
    let signals: serde_json::Map<String, serde_json::Value> = verdict
        .signals
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
        .collect();
    serde_json::json!({
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": verdict.last_ms,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "confidence_score": (verdict.score * 100.0).round(),
        "metadata": {"version": "1.3.0", "product": {"name": "forewarn", "vendor_name": "forewarn", "version": env!("CARGO_PKG_VERSION")}},
        "finding_info": {
            "uid": format!("forewarn-{index}"),
            "title": title,
            "types": [verdict.detector],
            "first_seen_time": verdict.first_ms,
            "last_seen_time": verdict.last_ms,
            "analytic": {"name": verdict.detector, "uid": verdict.detector, "type_id": 1, "type": "Rule"},
            "attacks": verdict.techniques.iter().map(|t| serde_json::json!({"technique": {"uid": t, "name": technique_name(t)}})).collect::<Vec<_>>(),
            "related_events_count": verdict.evidence.len(),
        },
        "observables": observables,
        "evidences": evidences,
        "unmapped": {"signals": signals, "campaign": campaign, "account": account, "related_accounts": related},
    })
}

/// OCSF's severity for a Sigma level.
fn severity(level: Level) -> (u8, &'static str) {
    match level {
        Level::Informational => (1, "Informational"),
        Level::Low => (2, "Low"),
        Level::Medium => (3, "Medium"),
        Level::High => (4, "High"),
        Level::Critical => (5, "Critical"),
    }
}

/// One OCSF Detection Finding (class 2004) for a Sigma rule's finding: analytic type rule,
/// uid the rule's id, name its title; evidence the matched records' places with the rule's
/// field values there (a correlation: the places of the matches in its window).
pub fn rule_finding(
    rules: &RuleOutcome,
    finding: &RuleFinding,
    campaign: Option<&str>,
    index: usize,
    input_name: &dyn Fn(u32) -> String,
) -> serde_json::Value {
    let rule = rules.rules.rule(finding.rule);
    let (severity_id, severity) = severity(rule.level);
    let mut observables: Vec<serde_json::Value> = Vec::new();
    if let Some(source) = finding.source.as_deref() {
        observables.push(serde_json::json!({"name": "src_endpoint.ip", "type_id": 2, "type": "IP Address", "value": source}));
    }
    if let Some(account) = finding.account.as_deref() {
        observables.push(serde_json::json!({"name": "user.name", "type_id": 4, "type": "User Name", "value": account}));
    }
    let evidences: Vec<serde_json::Value> = finding
        .evidence
        .iter()
        .map(|evidence| {
            let fields: serde_json::Map<String, serde_json::Value> = evidence
                .fields
                .iter()
                .map(|f| (f.name.to_string(), serde_json::json!(f.values)))
                .collect();
            let mut data = serde_json::json!({
                "input": input_name(evidence.raw.input),
                "line": evidence.raw.line,
                "record": evidence.raw.index,
            });
            if !fields.is_empty() {
                data["fields"] = serde_json::Value::Object(fields);
            }
            serde_json::json!({"data": data})
        })
        .collect();
    let kind = match finding.correlation {
        Some(_) => "sigma correlation",
        None => "sigma detection",
    };
    let mut unmapped = serde_json::json!({
        "rule": {
            "id": rule.id,
            "level": rule.level,
            "tags": rule.tags,
            "file": rule.file.display().to_string(),
        },
        "matches": finding.count,
        "campaign": campaign,
        "account": finding.account.as_deref(),
    });
    if let Some(correlation) = &finding.correlation {
        let group: serde_json::Map<String, serde_json::Value> = correlation
            .group
            .iter()
            .map(|(name, value)| (name.clone(), serde_json::json!(value)))
            .collect();
        unmapped["correlation"] = serde_json::json!({
            "group": group,
            "timespan_seconds": rules.rules.timespan(finding.rule).map(|t| t.as_secs()),
            "window": {"first_seen": time(finding.first_ms), "last_seen": time(finding.last_ms)},
            "events": finding.count,
            "value": correlation.value,
            "rules": correlation.rules,
            "values": correlation.values,
        });
    }
    let mut info = serde_json::json!({
        "uid": format!("forewarn-{index}"),
        "title": rule.title,
        "types": [kind],
        "first_seen_time": finding.first_ms,
        "last_seen_time": finding.last_ms,
        "analytic": {"name": rule.title, "uid": rule.id, "type_id": 1, "type": "Rule"},
        "attacks": rule.techniques.iter().map(|t| {
            let name = technique_name(t);
            if name.is_empty() {
                serde_json::json!({"technique": {"uid": t}})
            } else {
                serde_json::json!({"technique": {"uid": t, "name": name}})
            }
        }).collect::<Vec<_>>(),
        "related_events_count": finding.count,
    });
    if let Some(description) = &rule.description {
        info["desc"] = serde_json::json!(description);
    }
    serde_json::json!({
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": finding.last_ms,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "metadata": {"version": "1.3.0", "product": {"name": "forewarn", "vendor_name": "forewarn", "version": env!("CARGO_PKG_VERSION")}},
        "finding_info": info,
        "observables": observables,
        "evidences": evidences,
        "unmapped": unmapped,
    })
}

/// Writes the three files into `dir` (created).
pub fn write(
    dir: &Path,
    state: &State,
    campaigns: &[Campaign],
    verdicts: &[Verdict],
    rules: Option<&RuleOutcome>,
    input_name: &dyn Fn(u32) -> String,
) -> Result<(), ReportError> {
    let err = |path: &Path| {
        let path = path.to_owned();
        move |source| ReportError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(err(dir))?;

    let path = dir.join("accounts.jsonl");
    let mut out = BufWriter::new(File::create(&path).map_err(err(&path))?);
    for line in account_lines(state, campaigns, verdicts) {
        serde_json::to_writer(&mut out, &line).map_err(|e| ReportError {
            path: path.clone(),
            source: e.into(),
        })?;
        out.write_all(b"\n").map_err(err(&path))?;
    }
    out.flush().map_err(err(&path))?;

    let path = dir.join("campaigns.json");
    let mut text = serde_json::to_vec_pretty(&campaign_entries(state, campaigns))
        .expect("campaigns serialize");
    text.push(b'\n');
    std::fs::write(&path, text).map_err(err(&path))?;

    let campaign_of: BTreeMap<u32, &str> = campaigns
        .iter()
        .flat_map(|c| c.sources.iter().map(move |s| (*s, c.id.as_str())))
        .collect();
    let path = dir.join("findings.jsonl");
    let mut out = BufWriter::new(File::create(&path).map_err(err(&path))?);
    for (i, verdict) in verdicts.iter().enumerate() {
        let campaign = match verdict.subject {
            Subject::Source(s) => campaign_of.get(&s).copied(),
            // The campaign that took the verdict in: its source is the campaign's, or the
            // campaign reached the account.
            Subject::Account { account, source } => source
                .and_then(|s| campaign_of.get(&s).copied())
                .filter(|id| {
                    campaigns
                        .iter()
                        .any(|c| c.id == *id && c.accounts.contains_key(&account))
                }),
        };
        let value = finding(state, verdict, campaign, i + 1, input_name);
        serde_json::to_writer(&mut out, &value).map_err(|e| ReportError {
            path: path.clone(),
            source: e.into(),
        })?;
        out.write_all(b"\n").map_err(err(&path))?;
    }
    for (i, found) in rules
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .enumerate()
    {
        let (rules, found) = found;
        let campaign = found
            .campaign
            .and_then(|c| campaigns.get(c))
            .map(|c| c.id.as_str());
        let value = rule_finding(rules, found, campaign, verdicts.len() + i + 1, input_name);
        serde_json::to_writer(&mut out, &value).map_err(|e| ReportError {
            path: path.clone(),
            source: e.into(),
        })?;
        out.write_all(b"\n").map_err(err(&path))?;
    }
    out.flush().map_err(err(&path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_finding_names_the_account_and_what_it_links_to() {
        let mut state = State::default();
        let carl = state.accounts.intern("carl@example.com");
        let anna = state.accounts.intern("anna@example.com");
        let source = state.sources.intern("203.0.113.7");
        let verdict = Verdict {
            detector: "recovery_chain",
            techniques: &["T1586.002"],
            subject: Subject::Account {
                account: carl,
                source: Some(source),
            },
            group: None,
            score: 0.9,
            signals: vec![("same_source", 1.0)],
            evidence: vec![RawRef::default()],
            first_ms: 0,
            last_ms: 1,
            related_accounts: vec![anna],
            accounts: Vec::new(),
        };
        let finding = finding(&state, &verdict, None, 1, &|_| "events.jsonl".to_owned());
        assert_eq!(
            finding["finding_info"]["title"],
            "recovery_chain on carl@example.com from 203.0.113.7"
        );
        let names: Vec<&str> = finding["observables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["203.0.113.7", "carl@example.com", "anna@example.com"]
        );
        assert_eq!(
            finding["finding_info"]["attacks"][0]["technique"]["name"],
            "Compromise Accounts: Email Accounts"
        );
    }
}
