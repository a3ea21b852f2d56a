//! The SigmaHQ rules in the shared samples (`../shared/samples/sigma/rules`): every rule loads
//! or gets a reason, and the rules fire on vendor records written the way each vendor writes
//! them (tests/data), in every shape forewarn reads.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use forewarn_formats::Format;
use forewarn_rules::{LoadReport, LoadStatus, Mappings, RuleSet};

/// The shared samples' folder, when SigmaHQ's rules are in it (see `forewarn_testkit`).
fn samples_dir() -> Option<PathBuf> {
    forewarn_testkit::sample("sigma/rules").map(|_| forewarn_testkit::samples_dir())
}

fn sigmahq() -> Option<&'static (RuleSet, Vec<LoadReport>)> {
    static LOADED: OnceLock<Option<(RuleSet, Vec<LoadReport>)>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let dir = samples_dir()?.join("sigma/rules");
            Some(RuleSet::load(&[dir], &Mappings::builtin()).expect("the rules folder reads"))
        })
        .as_ref()
}

#[test]
fn every_sigmahq_rule_loads_or_says_why() {
    let Some((_, reports)) = sigmahq() else {
        return;
    };
    assert_eq!(reports.len(), 199, "one report per rule file");
    let mut not_loaded = Vec::new();
    for report in reports {
        match &report.status {
            LoadStatus::Loaded { formats, .. } => assert!(!formats.is_empty()),
            LoadStatus::NotApplicable { reason } | LoadStatus::Unsupported { reason } => {
                assert!(reason.len() > 20, "a reason a person can act on: {reason}");
                not_loaded.push(
                    report
                        .file
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
            LoadStatus::ParseError { reason } => {
                panic!("{} does not parse: {reason}", report.file.display())
            }
        }
    }
    not_loaded.sort();
    // PIM alerts, Cisco Duo and OneLogin are logs forewarn does not read; three Azure sign-in
    // rules name fields Entra sign-ins do not have.
    assert_eq!(
        not_loaded,
        [
            "azure_app_device_code_authentication.yml",
            "azure_app_ropc_authentication.yml",
            "azure_legacy_authentication_protocols.yml",
            "azure_pim_account_stale.yml",
            "azure_pim_invalid_license.yml",
            "azure_pim_role_assigned_outside_of_pim.yml",
            "azure_pim_role_frequent_activation.yml",
            "azure_pim_role_no_mfa_required.yml",
            "azure_pim_role_not_used.yml",
            "azure_pim_too_many_global_admins.yml",
            "cisco_duo_mfa_bypass_via_bypass_code.yml",
            "onelogin_assumed_another_user.yml",
            "onelogin_user_account_locked.yml",
        ]
    );
}

/// (record index, rule title) for every match over a fixture file.
fn fired(format: Format, fixture: &str) -> Option<Vec<(usize, String)>> {
    let (set, _) = sigmahq()?;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(fixture);
    let text = std::fs::read_to_string(&path).unwrap();
    let records: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
    let mut fired: Vec<(usize, String)> = common::matches(set, format, &records)
        .into_iter()
        .map(|(index, m)| (index, m.rule.title.clone()))
        .collect();
    fired.sort();
    Some(fired)
}

fn expect(format: Format, fixture: &str, expected: &[(usize, &str)]) {
    let Some(fired) = fired(format, fixture) else {
        return;
    };
    let mut expected: Vec<(usize, String)> = expected
        .iter()
        .map(|(i, t)| (*i, (*t).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(fired, expected, "{fixture}");
}

#[test]
fn okta_rules_fire_on_system_log_events() {
    expect(
        Format::Okta,
        "okta.jsonl",
        &[
            (1, "Okta Admin Functions Access Through Proxy"),
            (
                1,
                "Okta User Session Start Via An Anonymising Proxy Service",
            ),
            (2, "Potential Okta Password in AlternateID Field"),
            (3, "Okta MFA Reset or Deactivated"),
            (4, "Okta New Admin Console Behaviours"),
            (5, "Okta User Account Locked Out"),
        ],
    );
}

#[test]
fn azure_rules_fire_on_graph_and_azure_monitor_records() {
    expect(
        Format::Entra,
        "entra.jsonl",
        &[
            // Graph signIn: status.errorCode 50053; isCompliant false (a JSON boolean).
            (0, "Account Lockout"),
            (0, "Sign-ins from Non-Compliant Devices"),
            // Azure Monitor sign-in: ResultType "0" (so Status "Success"), azurehound user
            // agent, single factor, at risk, null device trust type, no network locations
            // ('[]') and an empty device id.
            (1, "Discovery Using AzureHound"),
            (1, "Azure AD Only Single Factor Authentication Required"),
            (1, "Suspicious SignIns From A Non Registered Device"),
            (1, "Sign-ins by Unknown Devices"),
            // Azure Monitor sign-in: 500121 with the strong-auth description; Status holds
            // "MFA denied".
            (2, "Multifactor Authentication Interrupted"),
            (2, "Multifactor Authentication Denied"),
            // Graph directoryAudit.
            (3, "Azure Service Principal Created"),
            // Azure Monitor audit: a user's consent (the modified property
            // ConsentContext.IsAdminConsent is "\"False\"").
            (4, "End User Consent"),
            // Azure Monitor risk event.
            (5, "Password Spray Activity"),
        ],
    );
}

#[test]
fn workspace_rules_fire_on_api_and_flattened_activities() {
    expect(
        Format::Gws,
        "gws.jsonl",
        &[
            (0, "Google Workspace Application Access Level Modified"),
            (1, "Google Workspace MFA Disabled"),
            // The flattened shape: the event name is at the top.
            (3, "Suspicious Login Activity Classified By Google"),
        ],
    );
}

#[test]
fn m365_rules_fire_on_unified_audit_records() {
    expect(
        Format::M365,
        "m365.jsonl",
        &[
            // Record 1 is the same login to Intune, which the rule filters out.
            (0, "Azure Login Bypassing Conditional Access Policies"),
            (2, "Disabling Multi Factor Authentication"),
            (3, "Suspicious Inbox Forwarding"),
        ],
    );
}

#[test]
fn aws_rules_fire_on_cloudtrail_and_eventbridge_records() {
    expect(
        Format::CloudTrail,
        "cloudtrail.jsonl",
        &[
            (0, "AWS Successful Console Login Without MFA"),
            (1, "AWS ConsoleLogin Failed Authentication"),
            (2, "AWS CloudTrail Important Change"),
            (2, "AWS Root Credentials"),
            (3, "AWS CloudTrail Important Change"),
        ],
    );
}

#[test]
fn sshd_keywords_fire_on_syslog_lines_and_journald_records() {
    expect(
        Format::Sshd,
        "sshd.log",
        &[
            (1, "Suspicious OpenSSH Daemon Error"),
            (2, "Suspicious OpenSSH Daemon Error"),
        ],
    );
}
