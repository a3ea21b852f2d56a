//! Mapping behaviour seen from rules: flattened keys, key case, selectors, value maps, user
//! mapping files, and records that are not what they claim.

mod common;

use std::path::Path;

use common::{hits, rules};
use forewarn_formats::Format;
use forewarn_rules::{LoadStatus, Mappings, RuleSet};

#[test]
fn ecs_follows_flattened_and_nested_documents() {
    let set = rules(
        "title: t\nlogsource:\n  product: ecs\ndetection:\n  sel:\n    event.action: user-login\n  condition: sel\n",
    );
    let records = [
        r#"{"@timestamp":"2024-05-01T00:00:00Z","event":{"action":"user-login"}}"#,
        r#"{"@timestamp":"2024-05-01T00:00:00Z","event.action":"user-login"}"#,
        r#"{"_source":{"event":{"action":"user-login"}}}"#,
        r#"{"event":{"action":"user-logout"}}"#,
    ];
    assert_eq!(hits(&set, Format::Ecs, &records), [0, 1, 2]);
    // Formats without `dotted_keys` take a dotted key literally.
    let native = rules(
        "title: t\nlogsource:\n  product: forewarn\ndetection:\n  sel:\n    a.b: x\n  condition: sel\n",
    );
    assert_eq!(
        hits(
            &native,
            Format::Native,
            &[r#"{"a.b":"x"}"#, r#"{"a":{"b":"x"}}"#]
        ),
        [1]
    );
}

#[test]
fn entra_keys_match_ignoring_case_and_under_properties() {
    let set = rules(
        "title: t\nlogsource:\n  product: azure\n  service: signinlogs\ndetection:\n  sel:\n    AppDisplayName: OfficeHome\n    ResultType: 50126\n  condition: sel\n",
    );
    let records = [
        r#"{"createdDateTime":"2025-01-01T00:00:00Z","userPrincipalName":"a@example.com","appDisplayName":"OfficeHome","status":{"errorCode":50126}}"#,
        r#"{"category":"SignInLogs","operationName":"Sign-in activity","resultType":"50126","properties":{"appDisplayName":"OfficeHome"}}"#,
        r#"{"category":"SignInLogs","operationName":"Sign-in activity","resultType":"0","properties":{"appDisplayName":"OfficeHome","status":{"errorCode":0}}}"#,
    ];
    assert_eq!(hits(&set, Format::Entra, &records), [0, 1]);
}

#[test]
fn workspace_parameters_are_selected_by_name() {
    let set = rules(
        "title: t\nlogsource:\n  product: gcp\n  service: google_workspace.admin\ndetection:\n  sel:\n    eventService: admin.googleapis.com\n    new_value: 'false'\n  condition: sel\n",
    );
    let records = [
        // NEW_VALUE false: matches.
        r#"{"kind":"admin#reports#activity","id":{"applicationName":"admin","uniqueQualifier":"1"},"events":[{"name":"X","parameters":[{"name":"NEW_VALUE","value":"false"},{"name":"OLD_VALUE","value":"true"}]}]}"#,
        // `false` is the OLD_VALUE here: no match.
        r#"{"kind":"admin#reports#activity","id":{"applicationName":"admin","uniqueQualifier":"2"},"events":[{"name":"X","parameters":[{"value":"false","name":"OLD_VALUE"},{"name":"NEW_VALUE","value":"true"}]}]}"#,
        // The selector key after the value it selects: still matches.
        r#"{"kind":"admin#reports#activity","id":{"applicationName":"admin","uniqueQualifier":"3"},"events":[{"name":"X","parameters":[{"value":"false","name":"NEW_VALUE"}]}]}"#,
        // Another application: the value map makes `login` login.googleapis.com.
        r#"{"kind":"admin#reports#activity","id":{"applicationName":"login","uniqueQualifier":"4"},"events":[{"name":"X","parameters":[{"name":"NEW_VALUE","value":"false"}]}]}"#,
    ];
    assert_eq!(hits(&set, Format::Gws, &records), [0, 2]);
}

#[test]
fn malformed_records_expose_no_fields() {
    // A truncated record must not let `not filter` match on the half that was read.
    let set = rules(
        "title: t\nlogsource:\n  product: forewarn\ndetection:\n  sel:\n    event: auth.password\n  filter:\n    ip: 192.0.2.1\n  condition: sel and not filter\n",
    );
    let records = [
        r#"{"event":"auth.password","ip":"198.51.100.1"}"#,
        r#"{"event":"auth.password","ip":"192.0.2.1""#,
        r#"{"event":"auth.password","ip":"192.0.2.1"}"#,
        "not json at all",
    ];
    assert_eq!(hits(&set, Format::Native, &records), [0]);
}

#[test]
fn user_mapping_files_add_logsources_and_fields() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme.yml"),
        "format: native\nlogsources:\n  - product: acme\n    fields:\n      username: account\n",
    )
    .unwrap();
    let mappings = Mappings::builtin().with_dir(dir.path()).unwrap();
    let rule = "title: t\nlogsource:\n  product: acme\ndetection:\n  sel:\n    username: jo@example.com\n  condition: sel\n";
    let (set, reports) = RuleSet::from_sources(&[(Path::new("r.yml"), rule)], &mappings);
    assert!(
        matches!(&reports[0].status, LoadStatus::Loaded { formats, .. } if formats == &[Format::Native])
    );
    assert_eq!(
        hits(
            &set,
            Format::Native,
            &[
                r#"{"account":"jo@example.com"}"#,
                r#"{"username":"jo@example.com"}"#
            ]
        ),
        [0]
    );
    // Without the user file the logsource is unknown.
    let (_, reports) = RuleSet::from_sources(&[(Path::new("r.yml"), rule)], &Mappings::builtin());
    assert!(
        matches!(&reports[0].status, LoadStatus::NotApplicable { reason } if reason.contains("product=acme"))
    );

    std::fs::write(
        dir.path().join("bad.yml"),
        "format: native\nfields:\n  x: 'a[b'\n",
    )
    .unwrap();
    let error = Mappings::builtin()
        .with_dir(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("bad.yml") && error.contains("unclosed"),
        "{error}"
    );
}

#[test]
fn a_record_names_its_account_and_source_through_the_mapping() {
    let set = RuleSet::from_sources(&[], &Mappings::builtin()).0;
    let mut scratch = forewarn_rules::Scratch::new();
    let okta = br#"{"published":"2024-05-01T10:00:00.000Z","eventType":"policy.rule.update","actor":{"alternateId":"Admin@Example.COM"},"client":{"ipAddress":"203.0.113.9"}}"#;
    let subject = set.record_subject(Format::Okta, okta, &mut scratch);
    assert_eq!(subject.account.as_deref(), Some("admin@example.com"));
    assert_eq!(subject.source.as_deref(), Some("203.0.113.9"));
    assert_eq!(
        set.record_time(Format::Okta, okta, &mut scratch),
        Some("2024-05-01T10:00:00Z".parse().unwrap())
    );
    // Microsoft 365 writes addresses with a port, IPv6 in brackets.
    let m365 = br#"{"CreationTime":"2024-05-01T10:00:00","Operation":"Set-Mailbox","UserId":"ann@example.com","ClientIP":"[2001:db8::5]:443"}"#;
    let subject = set.record_subject(Format::M365, m365, &mut scratch);
    assert_eq!(subject.source.as_deref(), Some("2001:db8::5"));
    // Entra keys ignore case and are found under `properties` too.
    let entra = br#"{"time":"2024-05-01T10:00:00Z","properties":{"UserPrincipalName":"bo@example.com","IPAddress":"198.51.100.4"}}"#;
    let subject = set.record_subject(Format::Entra, entra, &mut scratch);
    assert_eq!(subject.account.as_deref(), Some("bo@example.com"));
    assert_eq!(subject.source.as_deref(), Some("198.51.100.4"));
    // sshd lines have no paths: nothing.
    let line = b"May  1 10:00:00 host sshd[1]: Connection closed by 203.0.113.9 port 22";
    assert_eq!(
        set.record_subject(Format::Sshd, line, &mut scratch),
        forewarn_rules::RecordSubject::default()
    );
}
