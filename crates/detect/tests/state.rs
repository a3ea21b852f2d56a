//! The engine's state: a scan resumed from a checkpoint finds what one scan finds; quiet
//! sources are forgotten after the retention, suspicious ones never.

use forewarn_detect::engine_state::State;
use forewarn_detect::{Config, Engine, ScanOutcome, Sightings, Subject};
use forewarn_formats::{ReadOptions, Reader};
use forewarn_model::{AuthEvent, Kind, Outcome, Reason, Timestamp};
use forewarn_sim::simulate::{simulate, SimConfig};

/// Every event of a small simulated month, in file order.
fn month() -> Vec<AuthEvent<'static>> {
    let dir = tempfile::tempdir().unwrap();
    simulate(&SimConfig::new(11, 2_000, 30), dir.path(), &mut |_| {}).unwrap();
    let mut events = Vec::new();
    let mut reader = Reader::new(ReadOptions::default());
    let path = dir.path().join("native/events.jsonl");
    reader
        .read(&forewarn_formats::input::Input::Path(path), &mut |event| {
            events.push(event.clone().into_owned());
            Ok(())
        })
        .unwrap();
    events
}

/// What a person reads in the results: campaigns with their accounts' stages, and verdicts
/// with their subjects and evidence (by input name and line).
fn readable(state: &State, outcome: &ScanOutcome, inputs: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut campaigns: Vec<String> = outcome
        .campaigns
        .iter()
        .map(|c| {
            let mut accounts: Vec<String> = c
                .accounts
                .iter()
                .map(|(&a, r)| format!("{}={:?}", state.accounts.resolve(a), r.0))
                .collect();
            accounts.sort();
            format!("{}: {}", c.id, accounts.join(" "))
        })
        .collect();
    campaigns.sort();
    let mut verdicts: Vec<String> = outcome
        .verdicts
        .iter()
        .map(|v| {
            let subject = match v.subject {
                Subject::Source(s) => state.sources.resolve(s).to_owned(),
                Subject::Account { account, .. } => state.accounts.resolve(account).to_owned(),
            };
            let evidence: Vec<String> = v
                .evidence
                .iter()
                .map(|r| format!("{}:{}", inputs[r.input as usize], r.line))
                .collect();
            format!(
                "{} {subject} {:?} {}",
                v.detector,
                v.signals,
                evidence.join(",")
            )
        })
        .collect();
    verdicts.sort();
    (campaigns, verdicts)
}

#[test]
fn a_scan_resumed_from_a_checkpoint_finds_what_one_scan_finds() {
    let events = month();
    let whole = {
        let mut engine = Engine::new(Config::default());
        events.iter().for_each(|e| engine.push(e));
        let (state, outcome) = engine.finish();
        readable(&state, &outcome, &["month"])
    };
    assert!(whole.0.len() >= 4, "campaigns found: {:?}", whole.0);

    // The same month in two runs: the first stops mid-month (events still in the reorder
    // buffer), the second goes on from its checkpoint, reading "another input".
    let (first, second) = events.split_at(events.len() / 2);
    let mut engine = Engine::new(Config::default());
    first.iter().for_each(|e| engine.push(e));
    assert!(
        engine.buffered() > 0,
        "the checkpoint holds buffered events"
    );
    let mut saved = Vec::new();
    engine
        .save_checkpoint(&["month".to_owned()], &mut saved)
        .unwrap();
    drop(engine);
    let (mut engine, inputs) = Engine::restore(Config::default(), &mut &saved[..]).unwrap();
    assert_eq!(inputs, ["month"]);
    second.iter().for_each(|e| engine.push(e));
    let (state, outcome) = engine.finish();
    // Evidence of the second run points at input 1: the same file read again here.
    let resumed = readable(&state, &outcome, &["month", "month"]);
    assert_eq!(resumed.0, whole.0);
    assert_eq!(resumed.1, whole.1);
}

#[test]
fn sightings_pushed_in_runs_find_what_whole_batches_find() {
    let events = month();
    // Batches made as a decoding thread makes them; `runs` cuts each into the runs pushed.
    let scan = |runs: &dyn Fn(usize) -> Vec<std::ops::Range<usize>>| {
        let mut engine = Engine::new(Config::default());
        let mut sightings = Sightings::new(engine.keys());
        for chunk in events.chunks(4096) {
            chunk.iter().for_each(|e| sightings.add(e));
            let batch = sightings.take();
            for range in runs(batch.sightings.len()) {
                engine.push_sightings(&batch, range);
            }
        }
        let (state, outcome) = engine.finish();
        readable(&state, &outcome, &["month"])
    };
    let whole = scan(&|len| std::iter::once(0..len).collect());
    assert!(whole.0.len() >= 4, "campaigns found: {:?}", whole.0);
    // Runs of 1, 2, 3, … sightings, as a merge of inputs taking turns cuts them.
    let runs = scan(&|len| {
        let mut cuts = vec![0];
        let mut step = 1;
        while *cuts.last().unwrap() < len {
            cuts.push((cuts.last().unwrap() + step).min(len));
            step = step % 50 + 1;
        }
        cuts.windows(2).map(|w| w[0]..w[1]).collect()
    });
    assert_eq!(runs.0, whole.0);
    assert_eq!(runs.1, whole.1);
}

#[test]
fn a_damaged_checkpoint_is_refused_with_a_reason() {
    let error = Engine::restore(Config::default(), &mut &b"{\"version\":1,"[..])
        .err()
        .unwrap();
    assert!(error.to_string().contains("cannot be read"), "{error}");
    let mut saved = Vec::new();
    Engine::new(Config::default())
        .save_checkpoint(&[], &mut saved)
        .unwrap();
    let text = String::from_utf8(saved).unwrap();
    let version = format!("\"version\":{}", forewarn_detect::checkpoint::VERSION);
    assert!(text.contains(&version));
    let future = text.replacen(&version, "\"version\":99", 1);
    let error = Engine::restore(Config::default(), &mut future.as_bytes())
        .err()
        .unwrap();
    assert!(error.to_string().contains("version 99"), "{error}");
}

fn event(
    day: i64,
    minute: i64,
    kind: Kind,
    outcome: Outcome,
    account: &str,
    ip: &str,
) -> AuthEvent<'static> {
    let time = Timestamp::from_second(1_565_000_000 + day * 86_400 + minute * 60).unwrap();
    let mut event = AuthEvent::new(time, kind, outcome, account.to_owned().into());
    event.ip = Some(ip.parse().unwrap());
    event
}

#[test]
fn quiet_sources_are_forgotten_and_suspicious_ones_kept() {
    let mut config = Config::default();
    config.engine.retention_days = 2;
    let mut engine = Engine::new(config);
    // Jane's home on days 0–2; a spray on day 0.
    for day in 0..3 {
        engine.push(&event(
            day,
            600,
            Kind::SessionStart,
            Outcome::Success,
            "jane@example.com",
            "198.51.100.1",
        ));
    }
    for n in 0..12 {
        let mut e = event(
            0,
            700 + n,
            Kind::AuthPassword,
            Outcome::Failure,
            &format!("user{n}@example.com"),
            "203.0.113.66",
        );
        e.reason = Some(Reason::BadPassword);
        engine.push(&e);
    }
    // Life goes on elsewhere until day 10.
    for day in 3..10 {
        engine.push(&event(
            day,
            600,
            Kind::SessionStart,
            Outcome::Success,
            "joe@example.com",
            "192.0.2.10",
        ));
    }
    assert_eq!(
        engine.state().expired_sources,
        1,
        "Jane's home is forgotten"
    );
    assert_eq!(engine.state().live_sources(), 2);
    let (state, outcome) = engine.finish();
    let spray = state.sources.get("203.0.113.66").unwrap();
    assert!(
        outcome
            .verdicts
            .iter()
            .any(|v| v.detector == "password_spray" && v.subject == Subject::Source(spray)),
        "the spray is still found: {:?}",
        outcome.verdicts
    );
}
