//! The ECS decoder on its fixtures (tests/data/ecs), read through the Reader as a user's file
//! would be: Winlogbeat, Filebeat system.auth, Okta and Google Workspace integrations,
//! ecs-logging style dotted keys, Elasticsearch hits, and bad records.

mod common;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason};

type Row = (Kind, Outcome, Option<Reason>, String, Option<String>);

fn rows(events: &[AuthEvent<'_>]) -> Vec<Row> {
    events
        .iter()
        .map(|e| {
            (
                e.kind,
                e.outcome,
                e.reason,
                e.account.to_string(),
                e.actor.as_deref().map(str::to_owned),
            )
        })
        .collect()
}

fn row(kind: Kind, outcome: Outcome, reason: Option<Reason>, account: &str) -> Row {
    (kind, outcome, reason, account.to_owned(), None)
}

fn skipped(summary: &forewarn_formats::Summary) -> Vec<(String, u64)> {
    summary.inputs[0]
        .skipped
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

#[test]
fn nested_documents_from_beats_and_integrations() {
    let (events, summary) = common::decode_fixture("ecs/nested.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(input.formats.keys().collect::<Vec<_>>(), [&Format::Ecs]);
    use Kind::*;
    use Outcome::*;
    let jane = "jane.doe@example.com";
    let mut admin_reset = row(RecoveryReset, Success, None, "a.smith");
    admin_reset.4 = Some("helpdesk.admin".to_owned());
    let mut lockout = row(AccountLockout, Success, None, "a.smith");
    lockout.4 = Some("dc01$".to_owned());
    assert_eq!(
        rows(&events),
        [
            // Winlogbeat
            row(SessionStart, Success, None, "jdoe"),
            row(AuthPassword, Failure, Some(Reason::UnknownAccount), "ghost"),
            row(AuthPassword, Failure, Some(Reason::BadPassword), "jdoe"),
            row(AuthPassword, Failure, None, "a.smith"),
            lockout,
            admin_reset,
            row(AccountPasswordChange, Success, None, "jdoe"),
            // Filebeat system.auth (sshd)
            row(SessionStart, Success, None, "deploy"),
            row(AuthPassword, Failure, Some(Reason::BadPassword), "root"),
            row(
                AuthPassword,
                Failure,
                Some(Reason::UnknownAccount),
                "oracle"
            ),
            // Okta integration
            row(SessionStart, Success, None, jane),
            row(AuthPassword, Failure, Some(Reason::BadPassword), jane),
            row(AuthMfa, Failure, Some(Reason::MfaDenied), jane),
            row(AccountMfaChange, Success, None, jane),
            row(RecoveryCodeSent, Success, None, jane),
            row(AccountLockout, Success, None, jane),
            // Google Workspace integration
            row(AuthPassword, Failure, None, "b.jones@example.com"),
            row(AccountMfaChange, Success, None, "b.jones@example.com"),
            row(
                AccountRecoveryInfoChange,
                Success,
                None,
                "b.jones@example.com"
            ),
        ]
    );

    let ghost = &events[1];
    assert_eq!(ghost.account_exists, Some(false));
    assert_eq!(ghost.ip, "198.51.100.61".parse().ok());
    // `::ffff:` v4-mapped peers are their v4 address.
    assert_eq!(events[3].ip, "198.51.100.78".parse().ok());
    let ssh = &events[8];
    assert_eq!(ssh.country.map(|c| c.to_string()).as_deref(), Some("DE"));
    assert_eq!(ssh.asn, Some(64496));
    let sso = &events[10];
    assert_eq!(sso.ip, "203.0.113.45".parse().ok());
    assert!(sso
        .user_agent
        .as_deref()
        .is_some_and(|ua| ua.contains("Chrome/122")));
    assert_eq!(events[12].channel, Some(Channel::App));
    assert_eq!(events[14].channel, Some(Channel::Sms));
    assert_eq!(events[18].channel, Some(Channel::Sms));

    assert_eq!(
        skipped(&summary),
        [
            ("event category process".to_owned(), 1),
            ("event kind signal".to_owned(), 1),
            ("event type added-user-account".to_owned(), 1),
            ("event type kerberos-service-ticket-requested".to_owned(), 1),
            ("event type logged-out".to_owned(), 1),
            (
                "event type user.authentication.verify with outcome unknown".to_owned(),
                1
            ),
            ("event type user.session.end".to_owned(), 1),
        ]
    );
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn dotted_keys_and_fields_api_arrays() {
    let (events, summary) = common::decode_fixture("ecs/dotted.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 0, "{:?}", input.examples);
    assert_eq!(input.skipped(), 0);
    use Kind::*;
    use Outcome::*;
    let mut reset = row(RecoveryReset, Success, None, "carol@example.com");
    reset.4 = Some("support.bot".to_owned());
    assert_eq!(
        rows(&events),
        [
            row(SessionStart, Success, None, "carol@example.com"),
            row(
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                "carol@example.com"
            ),
            row(
                AuthPassword,
                Failure,
                Some(Reason::UnknownAccount),
                "dave@example.com"
            ),
            reset,
            row(
                AuthPassword,
                Failure,
                Some(Reason::BadPassword),
                "corp\\jdoe"
            ),
            row(SessionStart, Success, None, "u-5512"),
        ]
    );
    // `source.address` with a port, and a host name where no address is given.
    assert_eq!(events[1].ip, "192.0.2.44".parse().ok());
    assert_eq!(
        events[1].country.map(|c| c.to_string()).as_deref(),
        Some("FR")
    );
    assert_eq!(events[1].asn, Some(64511));
    assert_eq!(events[3].ip, None);
    assert_eq!(
        events[3].source_host.as_deref(),
        Some("internal-admin.example.com")
    );
    // Epoch milliseconds in `@timestamp`, and `client.ip` when there is no `source`.
    assert_eq!(events[5].time, "2024-03-05T08:03:00Z".parse().unwrap());
    assert_eq!(events[5].ip, "2001:db8::7".parse().ok());
    insta::assert_snapshot!(common::native_lines(&events));
}

#[test]
fn elasticsearch_hits_in_a_pretty_printed_array() {
    let (events, summary) = common::decode_fixture("ecs/hits.json");
    assert_eq!(summary.rejected(), 0);
    let kinds: Vec<(Kind, Option<Reason>)> = events.iter().map(|e| (e.kind, e.reason)).collect();
    assert_eq!(
        kinds,
        [
            (Kind::AuthPassword, Some(Reason::BadPassword)),
            (Kind::AccountMfaChange, None),
        ]
    );
    assert_eq!(events[0].account, "root");
    assert_eq!(events[1].account, "jane.doe@example.com");
    assert_ne!(events[0].raw.line, events[1].raw.line);
}

#[test]
fn elasticsearch_fields_hits_one_a_line() {
    let (events, summary) = common::decode_fixture("ecs/fields_hits.jsonl");
    assert_eq!(summary.rejected(), 0, "{:?}", summary.inputs[0].examples);
    let rows: Vec<(Kind, Outcome, Option<Reason>)> = events
        .iter()
        .map(|e| (e.kind, e.outcome, e.reason))
        .collect();
    assert_eq!(
        rows,
        [
            (Kind::SessionStart, Outcome::Success, None),
            (Kind::AuthMfa, Outcome::Failure, Some(Reason::MfaDenied)),
        ]
    );
    assert_eq!(events[0].account, "deploy");
    assert_eq!(events[0].asn, Some(64496));
    assert_eq!(events[1].channel, Some(Channel::App));
}

#[test]
fn a_whole_search_response_is_rejected_with_how_to_convert_it() {
    let (events, summary) = common::decode_fixture("ecs/search_response.json");
    assert!(events.is_empty());
    let input = &summary.inputs[0];
    assert_eq!(input.rejected(), 1);
    assert!(
        input.examples[0].reason.contains("jq -c '.hits.hits[]'"),
        "{}",
        input.examples[0]
    );
}

#[test]
fn api_page_envelope() {
    let (events, summary) = common::decode_fixture("ecs/page.json");
    assert_eq!(summary.rejected(), 0);
    let kinds: Vec<Kind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [Kind::SessionStart, Kind::SessionStart]);
    assert_eq!(
        events.iter().map(|e| e.raw.index).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn the_typical_record_decodes() {
    let (events, summary) = common::decode_fixture("ecs/typical.json");
    assert_eq!(summary.rejected(), 0);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, Kind::AuthPassword);
    assert_eq!(events[0].reason, Some(Reason::UnknownAccount));
}

#[test]
fn bad_records_are_rejected_with_a_reason_and_the_rest_still_read() {
    let (events, summary) = common::decode_fixture("ecs/bad.jsonl");
    let input = &summary.inputs[0];
    assert_eq!(events.len(), 1, "the good record between the bad ones");
    assert_eq!(input.records, 8);
    assert_eq!(input.rejected(), 7, "{:?}", input.rejected);
    let reasons: Vec<&str> = input.rejected.keys().map(String::as_str).collect();
    assert_eq!(
        reasons,
        [
            "invalid JSON",
            "invalid `@timestamp`",
            "invalid type: integer `7`, expected a keyword or an array of keywords",
            "invalid type: string \"jdoe\", expected struct UserFields",
            "missing field `@timestamp`",
            "missing field `user.name`",
        ]
    );
    // A record without `@timestamp` is not recognizable as ECS on its own; after an ECS
    // record it is read as the input's format and named.
    assert_eq!(
        input.examples[0].to_string(),
        "line 2: missing field `@timestamp`"
    );
    assert!(
        input.examples[1]
            .to_string()
            .starts_with("line 3: invalid `@timestamp`: `yesterday` is not an RFC 3339 time"),
        "{}",
        input.examples[1]
    );
}

/// Every prefix of a full record, and the record with each byte replaced by characters that
/// change its structure or types, decodes or is rejected — never panics.
#[test]
fn truncated_and_mangled_records_never_panic() {
    let decoder = forewarn_formats::decoder_for(Format::Ecs).expect("registered");
    let context = forewarn_formats::DecodeContext::default();
    let typical = include_bytes!("data/ecs/typical.json").trim_ascii();
    for end in 0..typical.len() {
        let _ = decoder.decode(&typical[..end], &context);
    }
    let mut record = typical.to_vec();
    for at in 0..record.len() {
        let original = record[at];
        for replacement in [b'"', b'0', b'[', b'{', b'-', b'\\', 0xff] {
            record[at] = replacement;
            let _ = decoder.decode(&record, &context);
        }
        record[at] = original;
    }
}
