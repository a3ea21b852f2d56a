//! Sigma rule throughput on raw Okta records, on one core: every SigmaHQ rule for Okta loaded
//! (from `../shared/samples/sigma/rules`, or `$FOREWARN_SAMPLES`), evaluated on each record as
//! the scan will, plus the floors and the generic-tree cost for comparison.
//!
//! Records: the simulator's Okta System Log output (a labelled world with its attacks) and
//! the typical Okta record of `crates/formats/tests/data/okta/typical.json`, repeated.
//!
//! Run: `cargo bench -p forewarn-rules --bench rules`. Results: docs/performance.md.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use forewarn_formats::Format;
use forewarn_rules::{Correlator, Mappings, RuleSet, Scratch};
use forewarn_sim::simulate::{simulate, SimConfig};

fn samples() -> PathBuf {
    forewarn_testkit::samples_dir()
}

fn sigmahq() -> RuleSet {
    let dir = samples().join("sigma/rules");
    assert!(
        dir.is_dir(),
        "the bench needs the SigmaHQ rules at {} (set FOREWARN_SAMPLES)",
        dir.display()
    );
    let (set, _) = RuleSet::load(&[dir], &Mappings::builtin()).expect("the rules read");
    set
}

/// SigmaHQ's rules plus forewarn's example correlation (failures, then a success).
fn with_correlation() -> RuleSet {
    let (set, _) = RuleSet::load(
        &[
            samples().join("sigma/rules"),
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rules"),
        ],
        &Mappings::builtin(),
    )
    .expect("the rules read");
    set
}

fn simulated_okta() -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config = SimConfig::new(1, 3_000, 4);
    config.formats = vec![Format::Okta];
    simulate(&config, dir.path(), &mut |_| {}).expect("the simulation runs");
    let text = std::fs::read(dir.path().join("okta/events.jsonl")).expect("the Okta output");
    text.split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn typical_okta(count: usize) -> Vec<Vec<u8>> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/data/okta/typical.json");
    let record = std::fs::read(path).expect("the typical Okta record");
    let record = record.trim_ascii().to_vec();
    vec![record; count]
}

fn evaluate_all(set: &RuleSet, records: &[Vec<u8>], scratch: &mut Scratch) -> usize {
    let time = jiff::Timestamp::UNIX_EPOCH;
    let mut matches = Vec::new();
    let mut total = 0;
    for record in records {
        matches.clear();
        set.evaluate(Format::Okta, record, time, scratch, &mut matches);
        total += matches.len();
    }
    total
}

fn bench(c: &mut Criterion) {
    let set = sigmahq();
    let okta_rules = set
        .rules()
        .iter()
        .filter(|r| r.formats.contains(&Format::Okta))
        .count();
    assert_eq!(okta_rules, 21, "every SigmaHQ Okta rule is loaded");
    let simulated = simulated_okta();
    let typical = typical_okta(20_000);
    let mean = |records: &[Vec<u8>]| records.iter().map(Vec::len).sum::<usize>() / records.len();

    for (name, records) in [("simulated", &simulated), ("typical", &typical)] {
        let mut group = c.benchmark_group(format!("sigma_okta_{name}_{}B", mean(records)));
        group.sample_size(10);
        group.throughput(Throughput::Elements(records.len() as u64));
        let mut scratch = Scratch::new();
        group.bench_function("sigmahq_21_rules", |b| {
            b.iter(|| evaluate_all(&set, records, &mut scratch))
        });
        // The floor: sonic-rs validating and skipping each record, nothing extracted.
        group.bench_function("floor_sonic_skip", |b| {
            b.iter(|| {
                let mut keys = 0usize;
                for record in records.iter() {
                    for entry in sonic_rs::to_object_iter(record.as_slice()) {
                        keys += usize::from(entry.is_ok());
                    }
                }
                keys
            })
        });
        // What engines that build a generic tree per event pay before matching anything.
        group.bench_function("generic_tree_serde_json_value", |b| {
            b.iter(|| {
                let mut keys = 0usize;
                for record in records.iter() {
                    let value: serde_json::Value =
                        serde_json::from_slice(record).expect("valid JSON");
                    keys += value.as_object().map_or(0, |o| o.len());
                }
                keys
            })
        });
        group.finish();
    }

    let correlated = with_correlation();
    let mut group = c.benchmark_group(format!("sigma_okta_simulated_{}B", mean(&simulated)));
    group.sample_size(10);
    group.throughput(Throughput::Elements(simulated.len() as u64));
    let mut scratch = Scratch::new();
    let mut time_scratch = Scratch::new();
    let times: Vec<jiff::Timestamp> = simulated
        .iter()
        .map(|r| {
            correlated
                .record_time(Format::Okta, r, &mut time_scratch)
                .expect("simulated records have a time")
        })
        .collect();
    group.bench_function("sigmahq_plus_correlations", |b| {
        b.iter(|| {
            let mut correlator = Correlator::new();
            let mut matches = Vec::new();
            let mut alerts = 0usize;
            for (record, time) in simulated.iter().zip(&times) {
                matches.clear();
                correlated.evaluate(Format::Okta, record, *time, &mut scratch, &mut matches);
                for matched in &matches {
                    alerts += correlator.observe(&correlated, matched).len();
                }
            }
            alerts
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
