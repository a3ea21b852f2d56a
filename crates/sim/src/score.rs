//! Scores a scan's output (`accounts.jsonl`, `campaigns.json`, DESIGN.md "Output contract")
//! against a simulation's ground truth.
//!
//! Per stage, over accounts: an account counts as found at a stage when the scan puts it at
//! that stage or further (stages are cumulative). Accounts the truth lists as probed but
//! non-existent are not counted either way: the stages are about existing accounts.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::truth::{Funnel, Stage, StageAccounts, Truth};

#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Json {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

/// One line of `accounts.jsonl` (fields the score does not use are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct FoundAccount {
    pub account: String,
    pub stage: Stage,
    #[serde(default)]
    pub campaigns: Vec<String>,
}

/// One campaign of `campaigns.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct FoundCampaign {
    pub id: String,
    #[serde(default)]
    pub funnel: Option<Funnel>,
    #[serde(default)]
    pub accounts: StageAccounts,
}

/// A scan's output, as read from its folder.
#[derive(Debug, Clone)]
pub struct ScanOutput {
    pub accounts: Vec<FoundAccount>,
    pub campaigns: Vec<FoundCampaign>,
}

impl ScanOutput {
    pub fn read(dir: &Path) -> Result<Self, ScoreError> {
        let path = dir.join("accounts.jsonl");
        let text = std::fs::read_to_string(&path).map_err(|source| ScoreError::Io {
            path: path.clone(),
            source,
        })?;
        let mut accounts = Vec::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let account = serde_json::from_str(line).map_err(|e| ScoreError::Json {
                path: path.clone(),
                line: i + 1,
                reason: e.to_string(),
            })?;
            accounts.push(account);
        }
        let path = dir.join("campaigns.json");
        let text = std::fs::read_to_string(&path).map_err(|source| ScoreError::Io {
            path: path.clone(),
            source,
        })?;
        let campaigns = serde_json::from_str(&text).map_err(|e| ScoreError::Json {
            path: path.clone(),
            line: e.line(),
            reason: e.to_string(),
        })?;
        Ok(ScanOutput {
            accounts,
            campaigns,
        })
    }
}

pub fn read_truth(path: &Path) -> Result<Truth, ScoreError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScoreError::Io {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| ScoreError::Json {
        path: path.to_owned(),
        line: e.line(),
        reason: e.to_string(),
    })
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageScore {
    pub stage: Stage,
    /// Accounts the truth puts at this stage or further.
    pub truth: usize,
    /// Accounts the scan puts at this stage or further.
    pub found: usize,
    pub correct: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CampaignScore {
    pub id: String,
    pub scenario: String,
    /// The scan's campaign that shares the most accounts with this one, if any does.
    pub matched: Option<String>,
    pub truth: Funnel,
    /// The matched campaign's funnel as the scan reports it.
    pub found: Funnel,
    /// The largest relative difference between the two funnels over the three stages.
    pub funnel_error: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Score {
    pub stages: Vec<StageScore>,
    pub benign_accounts: usize,
    /// Accounts the scan flagged that no campaign touched.
    pub false_positives: usize,
    pub false_positives_per_10k_benign: f64,
    /// Flagged addresses that do not exist (not counted above).
    pub nonexistent_flagged: usize,
    /// Share of the scan's campaign accounts that belong to their campaign's main true
    /// campaign; `None` when the scan reports no campaign with accounts.
    pub purity: Option<f64>,
    pub campaigns: Vec<CampaignScore>,
}

fn ratio(num: usize, den: usize, empty: f64) -> f64 {
    if den == 0 {
        empty
    } else {
        num as f64 / den as f64
    }
}

pub fn score(truth: &Truth, scan: &ScanOutput) -> Score {
    let nonexistent: HashSet<&str> = truth
        .campaigns
        .iter()
        .flat_map(|c| c.nonexistent_probed.iter().map(String::as_str))
        .collect();
    let mut truth_stage: BTreeMap<&str, Stage> = BTreeMap::new();
    for campaign in &truth.campaigns {
        for stage in Stage::ALL {
            for account in campaign.accounts.at(stage) {
                let entry = truth_stage.entry(account).or_insert(stage);
                *entry = (*entry).max(stage);
            }
        }
    }
    let mut found_stage: BTreeMap<&str, Stage> = BTreeMap::new();
    let mut nonexistent_flagged = HashSet::new();
    for found in &scan.accounts {
        if nonexistent.contains(found.account.as_str()) {
            nonexistent_flagged.insert(found.account.as_str());
            continue;
        }
        let entry = found_stage.entry(&found.account).or_insert(found.stage);
        *entry = (*entry).max(found.stage);
    }

    let stages = Stage::ALL
        .into_iter()
        .map(|stage| {
            let t: HashSet<&str> = truth_stage
                .iter()
                .filter(|(_, s)| **s >= stage)
                .map(|(a, _)| *a)
                .collect();
            let f: HashSet<&str> = found_stage
                .iter()
                .filter(|(_, s)| **s >= stage)
                .map(|(a, _)| *a)
                .collect();
            let correct = t.intersection(&f).count();
            let precision = ratio(correct, f.len(), if t.is_empty() { 1.0 } else { 0.0 });
            let recall = ratio(correct, t.len(), 1.0);
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            StageScore {
                stage,
                truth: t.len(),
                found: f.len(),
                correct,
                precision,
                recall,
                f1,
            }
        })
        .collect();

    let false_positives = found_stage
        .keys()
        .filter(|a| !truth_stage.contains_key(*a))
        .count();
    let benign_accounts = truth.world.benign_accounts;

    // Purity: each found campaign is as pure as its largest share of one true campaign.
    let truth_sets: Vec<HashSet<&str>> = truth
        .campaigns
        .iter()
        .map(|c| c.accounts.identified.iter().map(String::as_str).collect())
        .collect();
    let overlap = |found: &FoundCampaign, t: &HashSet<&str>| {
        found
            .accounts
            .identified
            .iter()
            .filter(|a| t.contains(a.as_str()))
            .count()
    };
    let (mut majority, mut size) = (0, 0);
    for found in &scan.campaigns {
        let accounts: Vec<&String> = found
            .accounts
            .identified
            .iter()
            .filter(|a| !nonexistent.contains(a.as_str()))
            .collect();
        if accounts.is_empty() {
            continue;
        }
        size += accounts.len();
        majority += truth_sets
            .iter()
            .map(|t| overlap(found, t))
            .max()
            .unwrap_or(0);
    }
    let purity = (size > 0).then(|| majority as f64 / size as f64);

    let campaigns = truth
        .campaigns
        .iter()
        .zip(&truth_sets)
        .map(|(campaign, t)| {
            let best = scan
                .campaigns
                .iter()
                .map(|found| (overlap(found, t), found))
                .filter(|(shared, _)| *shared > 0)
                .max_by_key(|(shared, found)| (*shared, std::cmp::Reverse(found.id.clone())));
            let found_funnel = best
                .map(|(_, found)| {
                    found
                        .funnel
                        .clone()
                        .unwrap_or_else(|| found.accounts.funnel())
                })
                .unwrap_or_default();
            let error =
                |truth: usize, found: usize| truth.abs_diff(found) as f64 / truth.max(1) as f64;
            let funnel_error = error(campaign.funnel.identified, found_funnel.identified)
                .max(error(campaign.funnel.attacked, found_funnel.attacked))
                .max(error(campaign.funnel.compromised, found_funnel.compromised));
            CampaignScore {
                id: campaign.id.clone(),
                scenario: campaign.scenario.clone(),
                matched: best.map(|(_, found)| found.id.clone()),
                truth: campaign.funnel.clone(),
                found: found_funnel,
                funnel_error,
            }
        })
        .collect();

    Score {
        stages,
        benign_accounts,
        false_positives,
        false_positives_per_10k_benign: ratio(false_positives * 10_000, benign_accounts, 0.0),
        nonexistent_flagged: nonexistent_flagged.len(),
        purity,
        campaigns,
    }
}
