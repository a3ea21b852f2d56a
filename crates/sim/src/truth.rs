//! The ground truth a simulation writes beside its logs (`truth.json`), and the stage rule it
//! is read off the events with.

use std::collections::BTreeMap;

use forewarn_model::{Kind, Outcome};
use serde::{Deserialize, Serialize};

/// How far a campaign got with an account. Stages are cumulative: compromised accounts were
/// also attacked and identified (DESIGN.md, "Stages").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Identified,
    Attacked,
    Compromised,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Identified, Stage::Attacked, Stage::Compromised];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Identified => "identified",
            Stage::Attacked => "attacked",
            Stage::Compromised => "compromised",
        }
    }
}

/// The stage one event by a campaign's infrastructure puts its account in:
/// - compromised: the campaign got in — a session granted, a code verified, a password reset,
///   or a change only a signed-in user can make;
/// - attacked: it tried to get in — a credential submitted, an MFA prompt pushed, a recovery
///   code requested or guessed, a lockout caused;
/// - identified: it probed — looked the account up, or started a flow with its identifier.
pub fn stage_of(kind: Kind, outcome: Outcome) -> Stage {
    use Kind::*;
    match (kind, outcome) {
        (
            SessionStart
            | RecoveryCodeVerify
            | RecoveryReset
            | AccountRecoveryInfoChange
            | AccountMfaChange
            | AccountPasswordChange
            | MailboxRuleCreate
            | AppConsent,
            Outcome::Success,
        ) => Stage::Compromised,
        (AccountLookup | RecoveryStart, _) => Stage::Identified,
        _ => Stage::Attacked,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub identified: usize,
    pub attacked: usize,
    pub compromised: usize,
}

/// Accounts per stage, cumulative, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageAccounts {
    pub identified: Vec<String>,
    pub attacked: Vec<String>,
    pub compromised: Vec<String>,
}

impl StageAccounts {
    pub fn at(&self, stage: Stage) -> &[String] {
        match stage {
            Stage::Identified => &self.identified,
            Stage::Attacked => &self.attacked,
            Stage::Compromised => &self.compromised,
        }
    }

    /// From each account's furthest stage.
    pub fn from_stages<'a>(stages: impl IntoIterator<Item = (&'a str, Stage)>) -> Self {
        let mut accounts = StageAccounts::default();
        for (account, stage) in stages {
            for s in Stage::ALL.into_iter().filter(|&s| s <= stage) {
                match s {
                    Stage::Identified => &mut accounts.identified,
                    Stage::Attacked => &mut accounts.attacked,
                    Stage::Compromised => &mut accounts.compromised,
                }
                .push(account.to_owned());
            }
        }
        accounts.identified.sort();
        accounts.attacked.sort();
        accounts.compromised.sort();
        accounts
    }

    pub fn funnel(&self) -> Funnel {
        Funnel {
            identified: self.identified.len(),
            attacked: self.attacked.len(),
            compromised: self.compromised.len(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Infrastructure {
    pub ips: Vec<String>,
    pub asns: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignTruth {
    pub id: String,
    pub scenario: String,
    pub funnel: Funnel,
    pub infrastructure: Infrastructure,
    pub accounts: StageAccounts,
    pub nonexistent_probed: Vec<String>,
    /// The scenario's parameters as run (defaults and `--set` overrides).
    #[serde(default)]
    pub parameters: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldTruth {
    pub seed: u64,
    pub accounts: usize,
    /// Accounts no campaign touched.
    pub benign_accounts: usize,
    pub days: u32,
    pub start: String,
    pub end: String,
    pub domain: String,
    pub events: u64,
    pub scenarios: Vec<String>,
    pub formats: Vec<String>,
}

/// `truth.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub world: WorldTruth,
    pub campaigns: Vec<CampaignTruth>,
    /// Honest behaviours that look like attacks, and the accounts that showed them.
    pub benign: BTreeMap<String, Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_follow_the_design() {
        assert_eq!(
            stage_of(Kind::AccountLookup, Outcome::Failure),
            Stage::Identified
        );
        assert_eq!(
            stage_of(Kind::RecoveryStart, Outcome::Success),
            Stage::Identified
        );
        assert_eq!(
            stage_of(Kind::AuthPassword, Outcome::Success),
            Stage::Attacked
        );
        assert_eq!(
            stage_of(Kind::RecoveryCodeSent, Outcome::Success),
            Stage::Attacked
        );
        assert_eq!(
            stage_of(Kind::RecoveryCodeVerify, Outcome::Failure),
            Stage::Attacked
        );
        assert_eq!(stage_of(Kind::AuthMfa, Outcome::Success), Stage::Attacked);
        assert_eq!(
            stage_of(Kind::SessionStart, Outcome::Success),
            Stage::Compromised
        );
        assert_eq!(
            stage_of(Kind::RecoveryCodeVerify, Outcome::Success),
            Stage::Compromised
        );
        assert_eq!(
            stage_of(Kind::AccountRecoveryInfoChange, Outcome::Success),
            Stage::Compromised
        );
        assert_eq!(
            stage_of(Kind::AccountRecoveryInfoChange, Outcome::Failure),
            Stage::Attacked
        );
    }

    #[test]
    fn stage_lists_are_cumulative() {
        let accounts = StageAccounts::from_stages([
            ("c@x", Stage::Compromised),
            ("a@x", Stage::Identified),
            ("b@x", Stage::Attacked),
        ]);
        assert_eq!(accounts.identified, ["a@x", "b@x", "c@x"]);
        assert_eq!(accounts.attacked, ["b@x", "c@x"]);
        assert_eq!(accounts.compromised, ["c@x"]);
        assert_eq!(
            accounts.funnel(),
            Funnel {
                identified: 3,
                attacked: 2,
                compromised: 1
            }
        );
    }
}
