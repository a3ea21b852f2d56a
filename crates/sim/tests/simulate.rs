//! The simulator end to end: determinism, every format readable, truth consistent with the
//! events written, the Phosphorus funnel at the report's scale.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use forewarn_sim::render::FORMATS;
use forewarn_sim::simulate::{parse_scenarios, plan, simulate, SimConfig, SimError};
use forewarn_sim::truth::{stage_of, Stage, StageAccounts, Truth};

fn small(seed: u64) -> SimConfig {
    let mut config = SimConfig::new(seed, 1_500, 6);
    config.formats = FORMATS.to_vec();
    config
}

fn run(config: &SimConfig, dir: &Path) -> Truth {
    let report = simulate(config, dir, &mut |_| {}).expect("the simulation runs");
    assert_eq!(report.undecodable, 0, "every campaign record decodes");
    report.truth
}

/// Every file under `dir`, relative path → bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_arguments_give_the_same_bytes_whatever_the_threads() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut one_thread = small(5);
    one_thread.threads = 1;
    let mut three_threads = small(5);
    three_threads.threads = 3;
    run(&one_thread, a.path());
    run(&three_threads, b.path());
    let (a, b) = (files(a.path()), files(b.path()));
    assert!(a.len() >= FORMATS.len() + 2, "{:?}", a.keys());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between runs");
    }

    let c = tempfile::tempdir().unwrap();
    run(&small(6), c.path());
    let c = files(c.path());
    assert_ne!(
        a["native/events.jsonl"], c["native/events.jsonl"],
        "another seed, another world"
    );
}

#[test]
fn compressed_files_hold_the_same_records() {
    let plain = tempfile::tempdir().unwrap();
    let packed = tempfile::tempdir().unwrap();
    let mut config = SimConfig::new(3, 300, 2);
    config.formats = FORMATS.to_vec();
    let truth = run(&config, plain.path());
    config.zstd = true;
    let packed_truth = run(&config, packed.path());
    assert!(truth == packed_truth, "the same world, compressed or not");
    let (plain, packed) = (files(plain.path()), files(packed.path()));
    let mut compressed = 0;
    for (name, bytes) in &packed {
        let Some(original) = name.strip_suffix(".zst") else {
            assert_eq!(bytes, &plain[name], "{name}: not a log, written as it is");
            continue;
        };
        let unpacked = zstd::decode_all(bytes.as_slice()).unwrap();
        assert!(
            unpacked == plain[original],
            "{name} decompresses to {original}"
        );
        assert!(bytes.len() < unpacked.len() / 3, "{name} is compressed");
        compressed += 1;
    }
    assert!(compressed >= FORMATS.len(), "{:?}", packed.keys());
}

#[test]
fn every_format_decodes_with_zero_rejects_and_campaigns_show_in_each() {
    let dir = tempfile::tempdir().unwrap();
    let truth = run(&small(11), dir.path());
    let mut counts = BTreeMap::new();
    for &format in FORMATS {
        let folder = dir.path().join(format.name());
        let mut events = 0;
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let (decoded, summary) = common::decode(&path.display().to_string(), &bytes);
            assert_eq!(
                summary.rejected(),
                0,
                "{}: {:?}",
                path.display(),
                summary.inputs[0]
            );
            if !bytes.is_empty() {
                let formats: Vec<_> = summary.inputs[0].formats.keys().copied().collect();
                assert_eq!(formats, vec![format], "{}", path.display());
            }
            events += decoded.len();
        }
        counts.insert(format, events);
        // Each format's truth: read off its own records, never more than what happened.
        let seen: Truth = read_json(
            &dir.path()
                .join("truth")
                .join(format!("{}.json", format.name())),
        );
        for (shown, real) in seen.campaigns.iter().zip(&truth.campaigns) {
            for stage in Stage::ALL {
                let real: BTreeSet<_> = real.accounts.at(stage).iter().collect();
                assert!(
                    shown.accounts.at(stage).iter().all(|a| real.contains(a)),
                    "{format}: {} shows more at {stage:?} than happened",
                    shown.id
                );
            }
            // Every format shows the takeovers (a session, a reset or a verified code).
            assert_eq!(
                shown.funnel.compromised, real.funnel.compromised,
                "{format}: {} compromised",
                shown.id
            );
        }
    }
    for (format, events) in counts {
        assert!(events > 5_000, "{format}: only {events} events");
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn truth_is_what_the_native_events_show() {
    let dir = tempfile::tempdir().unwrap();
    let truth = run(&small(3), dir.path());
    let bytes = std::fs::read(dir.path().join("native/events.jsonl")).unwrap();
    let (events, summary) = common::decode("events.jsonl", &bytes);
    assert_eq!(summary.rejected(), 0);
    assert_eq!(events.len() as u64, truth.world.events);
    assert!(
        events.windows(2).all(|w| w[0].time <= w[1].time),
        "time ordered"
    );

    let infra: HashMap<String, usize> = truth
        .campaigns
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.infrastructure.ips.iter().map(move |ip| (ip.clone(), i)))
        .collect();
    let mut stages: Vec<HashMap<String, Stage>> = vec![HashMap::new(); truth.campaigns.len()];
    let mut nonexistent: Vec<BTreeSet<String>> = vec![BTreeSet::new(); truth.campaigns.len()];
    for event in &events {
        let Some(&campaign) = event.ip.and_then(|ip| infra.get(&ip.to_string())) else {
            continue;
        };
        if event.account_exists == Some(false) {
            nonexistent[campaign].insert(event.account.to_string());
            continue;
        }
        let stage = stage_of(event.kind, event.outcome);
        let entry = stages[campaign]
            .entry(event.account.to_string())
            .or_insert(stage);
        *entry = (*entry).max(stage);
    }
    for (i, campaign) in truth.campaigns.iter().enumerate() {
        let shown = StageAccounts::from_stages(stages[i].iter().map(|(a, s)| (a.as_str(), *s)));
        assert_eq!(shown, campaign.accounts, "{}", campaign.id);
        assert_eq!(
            nonexistent[i].iter().cloned().collect::<Vec<_>>(),
            campaign.nonexistent_probed,
            "{}",
            campaign.id
        );
        assert!(
            campaign.funnel.identified > 0,
            "{} touched nobody",
            campaign.id
        );
    }

    // Honest accounts keep to their own places: no benign account is in a campaign's lists.
    let targeted: BTreeSet<&String> = truth
        .campaigns
        .iter()
        .flat_map(|c| &c.accounts.identified)
        .collect();
    let staff = &truth.benign["helpdesk"];
    assert!(
        staff.iter().all(|s| !targeted.contains(s)),
        "help-desk staff are never targets"
    );
    assert_eq!(
        truth.world.benign_accounts,
        truth.world.accounts - targeted.len()
    );
}

#[test]
fn honest_look_alikes_are_all_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SimConfig::new(2, 4_000, 10);
    config.scenarios = parse_scenarios("phosphorus").unwrap();
    let truth = run(&config, dir.path());
    for (behaviour, accounts) in &truth.benign {
        assert!(!accounts.is_empty(), "nobody showed {behaviour}");
    }
    // Hundreds of people behind each office address.
    let bytes = std::fs::read(dir.path().join("native/events.jsonl")).unwrap();
    let (events, _) = common::decode("events.jsonl", &bytes);
    let mut per_ip: HashMap<String, BTreeSet<String>> = HashMap::new();
    for event in events
        .iter()
        .filter(|e| e.kind == forewarn_model::Kind::SessionStart)
    {
        per_ip
            .entry(event.ip.unwrap().to_string())
            .or_default()
            .insert(event.account.to_string());
    }
    let crowded = per_ip
        .values()
        .filter(|accounts| accounts.len() >= 100)
        .count();
    assert!(
        crowded >= 3,
        "offices, campuses and carriers put crowds behind one address"
    );
    let agents: BTreeSet<_> = events
        .iter()
        .filter_map(|e| e.user_agent.as_deref())
        .collect();
    assert!(agents.len() >= 10, "{agents:?}");
}

#[test]
fn phosphorus_funnel_is_the_reports_at_200000_accounts_and_scales_down() {
    let mut config = SimConfig::new(1, 200_000, 30);
    config.scenarios = parse_scenarios("phosphorus").unwrap();
    let planned = plan(&config).unwrap();
    let phosphorus = &planned.campaigns[0];
    assert_eq!(
        (
            phosphorus.funnel.identified,
            phosphorus.funnel.attacked,
            phosphorus.funnel.compromised
        ),
        (2_700, 241, 4)
    );
    // Most guessed addresses do not exist: that is how the campaign finds the real one.
    assert!(
        phosphorus.nonexistent_probed.len() > 2_700,
        "{}",
        phosphorus.nonexistent_probed.len()
    );
    assert!((20..=40).contains(&phosphorus.infrastructure.ips.len()));

    let mut config = SimConfig::new(1, 20_000, 30);
    config.scenarios = parse_scenarios("phosphorus").unwrap();
    let phosphorus = &plan(&config).unwrap().campaigns[0];
    assert_eq!(
        (
            phosphorus.funnel.identified,
            phosphorus.funnel.attacked,
            phosphorus.funnel.compromised
        ),
        (270, 24, 2)
    );
}

#[test]
fn parameters_can_be_overridden_and_mistakes_are_explained() {
    let mut config = SimConfig::new(1, 20_000, 30);
    config.scenarios = parse_scenarios("phosphorus,spray").unwrap();
    config.overrides = vec![
        "phosphorus.attacked=50".parse().unwrap(),
        "spray.targets=100".parse().unwrap(),
    ];
    let planned = plan(&config).unwrap();
    assert_eq!(planned.campaigns[0].funnel.attacked, 50);
    assert_eq!(planned.campaigns[1].funnel.attacked, 100);

    config.overrides = vec!["phosphorus.atacked=50".parse().unwrap()];
    let err = plan(&config).err().unwrap().to_string();
    assert!(
        err.contains("no parameter `atacked`") && err.contains("attacked, compromised"),
        "{err}"
    );
    config.overrides = vec!["stuffing.targets=5".parse().unwrap()];
    let err = plan(&config).err().unwrap().to_string();
    assert!(err.contains("not in this run"), "{err}");
    assert!(matches!(
        "phosphorus=5".parse::<forewarn_sim::simulate::Override>(),
        Err(SimError::BadOverride { .. })
    ));
    let err = parse_scenarios("phosphorous").err().unwrap().to_string();
    assert!(
        err.contains("unknown scenario `phosphorous`") && err.contains("phosphorus"),
        "{err}"
    );
}

#[test]
fn refuses_to_write_into_a_folder_holding_something_else() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let err = simulate(&SimConfig::new(1, 100, 1), dir.path(), &mut |_| {}).unwrap_err();
    assert!(matches!(err, SimError::OutputNotEmpty { .. }), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "mine"
    );
}
