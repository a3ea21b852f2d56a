//! Which accounts to warn, and why: every account a campaign reached, and the accounts that
//! account-level verdicts (novelty, travel, persistence, a recovery chain) stand for.
//!
//! Account verdicts reach the output three ways:
//! - every one is a finding of its own (`findings.jsonl`);
//! - one whose source belongs to a campaign that reached the account is that campaign's: the
//!   account is compromised (account verdicts are about sessions and changes that worked) and
//!   the campaign takes the detector and its techniques;
//! - one that another account-level detector *corroborates* — a second detector's verdict on
//!   the same account from the same source (where from, how it got in, what it did once in) —
//!   stands for a compromised account: joined to a campaign that attacked the account (with a
//!   chain's secondary mailbox, when the campaign reached it too; having only looked the
//!   account up is not enough), or else to the campaign of its own that the address that got
//!   in makes ([`takeovers`], `campaigns::build`). A single
//!   uncorroborated account verdict never lists an account: a traveller with a new phone is
//!   a finding to read, not a person to alarm.

use std::collections::{BTreeMap, BTreeSet};

use forewarn_model::Kind;

use crate::campaigns::{Campaign, Stage};
use crate::detectors::stuffing::Stuffing;
use crate::detectors::{Subject, Verdict};
use crate::engine::State;
use crate::intern::Symbol;

/// A flagged account: one line of `accounts.jsonl`.
#[derive(Debug, Clone, PartialEq)]
pub struct FlaggedAccount {
    pub account: Symbol,
    pub stage: Stage,
    /// Indices of the campaigns that reached it, in campaign order.
    pub campaigns: Vec<usize>,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Detectors behind it: its campaigns' and its own account-level ones.
    pub detections: BTreeSet<&'static str>,
}

/// The account verdicts, by account and source.
fn by_account(verdicts: &[Verdict]) -> BTreeMap<(Symbol, Option<Symbol>), Vec<&Verdict>> {
    let mut map: BTreeMap<_, Vec<&Verdict>> = BTreeMap::new();
    for verdict in verdicts {
        if let Subject::Account { account, source } = verdict.subject {
            map.entry((account, source)).or_default().push(verdict);
        }
    }
    map
}

/// Whether a set of verdicts on one account from one source is enough to say the account was
/// taken: two detectors agree.
fn corroborated(verdicts: &[&Verdict]) -> bool {
    // A recovery chain rests on a masked mailbox, which in a large organisation's own domain
    // matches thousands of accounts, some of which someone always starts on a new device
    // that fortnight: it confirms what a campaign did, it does not corroborate on its own.
    // (At 200,000 accounts, forgotten passwords reset to a colleague-looking mask became
    // takeovers.)
    let detectors: BTreeSet<&str> = verdicts
        .iter()
        .map(|v| v.detector)
        .filter(|&d| d != "recovery_chain")
        .collect();
    detectors.len() >= 2
}

/// The accounts that corroborated account verdicts stand for, with the verdicts. The accounts a
/// verdict relates to its subject (a chain's secondary mailbox) are not among them: a masked
/// address names one account in a few dozen, so a secondary is only raised where a campaign
/// already reached it.
fn corroborated_accounts(verdicts: &[Verdict]) -> BTreeMap<Symbol, Vec<&Verdict>> {
    let mut accounts: BTreeMap<Symbol, Vec<&Verdict>> = BTreeMap::new();
    for ((account, _), group) in by_account(verdicts) {
        if !corroborated(&group) {
            continue;
        }
        accounts.entry(account).or_default().extend(group);
    }
    accounts
}

/// The takeovers corroborated account verdicts stand for, as (account, source) pairs: the
/// source that got in is the attacker's, and seeds a campaign (`campaigns::build`) that takes
/// in that account from it, and the quieter addresses sharing its tool.
pub fn takeovers(verdicts: &[Verdict]) -> Vec<(Symbol, Symbol)> {
    by_account(verdicts)
        .into_iter()
        .filter(|(_, group)| corroborated(group))
        .filter_map(|((account, source), _)| Some((account, source?)))
        .collect()
}

/// Gives campaigns the account verdicts that are theirs (see the module doc): the account's
/// stage becomes compromised, the campaign takes the detector and its techniques.
pub fn attach(campaigns: &mut [Campaign], verdicts: &[Verdict], state: &State) {
    let strong = corroborated_accounts(verdicts);
    // A second factor passed at the first prompt is the owner's (or a phishing kit's that
    // relays it); a credential-stuffing run has passwords only.
    let passed_a_factor = |verdict: &Verdict| match verdict.subject {
        Subject::Account {
            source: Some(source),
            ..
        } => state.source(source).is_some_and(|stats| {
            stats.kinds & (1 << Kind::AuthMfa as u32) != 0 && stats.mfa_failures == 0
        }),
        _ => false,
    };
    for campaign in campaigns.iter_mut() {
        let mut taken: Vec<&Verdict> = Vec::new();
        for verdict in verdicts {
            let Subject::Account { account, source } = verdict.subject else {
                continue;
            };
            let ours = source.is_some_and(|s| campaign.sources.binary_search(&s).is_ok());
            if ours && campaign.accounts.contains_key(&account) {
                taken.push(verdict);
            }
        }
        // A takeover from elsewhere is the campaign's only when the campaign went for the
        // account: having looked it up is not enough (an honest owner with a new phone, one
        // of 2,700 people Phosphorus identified, is not one of the 241 it attacked). Nor when
        // it passed a second factor a stuffing run could not have: at 200,000 accounts a
        // 10-day run tried an owner who, days later, set up a new phone abroad.
        let passwords_only = campaign.detectors.contains(Stuffing::NAME);
        for (account, found) in &strong {
            if campaign
                .accounts
                .get(account)
                .is_some_and(|r| r.0 >= Stage::Attacked)
            {
                taken.extend(
                    found
                        .iter()
                        .copied()
                        .filter(|v| !(passwords_only && passed_a_factor(v))),
                );
            }
        }
        taken.sort_by_key(|v| *v as *const Verdict);
        taken.dedup_by_key(|v| *v as *const Verdict);
        for verdict in taken {
            let Subject::Account { account, .. } = verdict.subject else {
                continue;
            };
            for account in std::iter::once(account).chain(verdict.related_accounts.iter().copied())
            {
                if let Some(entry) = campaign.accounts.get_mut(&account) {
                    if entry.0 < Stage::Compromised {
                        entry.0 = Stage::Compromised;
                        if let Some(&raw) = verdict.evidence.last() {
                            entry.3 = raw;
                        }
                    }
                    entry.2 = entry.2.max(verdict.last_ms);
                }
            }
            campaign.detectors.insert(verdict.detector);
            campaign
                .techniques
                .extend(verdict.techniques.iter().copied());
        }
    }
}

/// Every account to warn, furthest stage first, then by account id.
pub fn flagged(campaigns: &[Campaign], verdicts: &[Verdict]) -> Vec<FlaggedAccount> {
    let mut accounts: BTreeMap<Symbol, FlaggedAccount> = BTreeMap::new();
    for (i, campaign) in campaigns.iter().enumerate() {
        for (&account, &(stage, first, last, _)) in &campaign.accounts {
            let line = accounts.entry(account).or_insert_with(|| FlaggedAccount {
                account,
                stage,
                campaigns: Vec::new(),
                first_ms: first,
                last_ms: last,
                detections: BTreeSet::new(),
            });
            line.stage = line.stage.max(stage);
            line.campaigns.push(i);
            line.first_ms = line.first_ms.min(first);
            line.last_ms = line.last_ms.max(last);
            line.detections.extend(campaign.detectors.iter().copied());
        }
    }
    for (account, found) in corroborated_accounts(verdicts) {
        let first = found.iter().map(|v| v.first_ms).min().unwrap_or(0);
        let last = found.iter().map(|v| v.last_ms).max().unwrap_or(0);
        let line = accounts.entry(account).or_insert_with(|| FlaggedAccount {
            account,
            stage: Stage::Compromised,
            campaigns: Vec::new(),
            first_ms: first,
            last_ms: last,
            detections: BTreeSet::new(),
        });
        line.stage = Stage::Compromised;
        line.first_ms = line.first_ms.min(first);
        line.last_ms = line.last_ms.max(last);
        line.detections.extend(found.iter().map(|v| v.detector));
    }
    let mut lines: Vec<FlaggedAccount> = accounts.into_values().collect();
    lines.sort_by(|a, b| b.stage.cmp(&a.stage).then(a.account.cmp(&b.account)));
    lines
}

#[cfg(test)]
mod tests {
    use forewarn_model::RawRef;

    use super::*;

    fn verdict(detector: &'static str, account: Symbol, source: Symbol) -> Verdict {
        Verdict {
            detector,
            techniques: &["T1078"],
            subject: Subject::Account {
                account,
                source: Some(source),
            },
            group: None,
            score: 0.8,
            signals: vec![],
            evidence: vec![RawRef::default()],
            first_ms: 10,
            last_ms: 20,
            related_accounts: vec![],
            accounts: Vec::new(),
        }
    }

    #[test]
    fn one_account_verdict_alone_lists_nobody() {
        let verdicts = [
            verdict("account_novelty", 1, 7),
            // Another detector, but from another address: another session.
            verdict("persistence", 1, 8),
        ];
        assert!(flagged(&[], &verdicts).is_empty());
    }

    #[test]
    fn two_detectors_on_one_session_list_the_account_as_compromised() {
        let verdicts = [
            verdict("account_novelty", 1, 7),
            verdict("persistence", 1, 7),
        ];
        let lines = flagged(&[], &verdicts);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].stage, Stage::Compromised);
        assert!(lines[0].campaigns.is_empty());
        assert_eq!(
            lines[0].detections.iter().copied().collect::<Vec<_>>(),
            ["account_novelty", "persistence"]
        );
    }

    #[test]
    fn a_chain_confirms_a_takeover_but_never_corroborates_one_nor_lists_its_secondary() {
        let mut chain = verdict("recovery_chain", 1, 7);
        chain.related_accounts.push(2);
        assert!(flagged(&[], &[chain.clone()]).is_empty());
        // A chain and one other detector: still one detector's word.
        let lines = flagged(&[], &[chain.clone(), verdict("persistence", 1, 7)]);
        assert!(lines.is_empty());
        let lines = flagged(
            &[],
            &[
                chain,
                verdict("persistence", 1, 7),
                verdict("account_novelty", 1, 7),
            ],
        );
        let listed: Vec<Symbol> = lines.iter().map(|l| l.account).collect();
        assert_eq!(listed, [1]);
        assert!(lines[0].detections.contains("recovery_chain"));
    }
}
