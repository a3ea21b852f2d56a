//! Scan throughput: reading, decoding and every detector, as `forewarn scan` runs them
//! (minus writing the results), on simulated Okta and native logs held in the page cache.
//!
//! `cargo bench -p forewarn-detect --bench scan`. `one_thread` runs everything on one core
//! (events per core-second); `two_threads` decodes on two workers beside the engine's thread,
//! as the binary does on this 2-core machine. See docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use forewarn_detect::{Config, Engine, SightingBatch, Sightings};
use forewarn_formats::input::Input;
use forewarn_formats::{Batcher, Format, ReadOptions, Reader};
use forewarn_model::AuthEvent;
use forewarn_sim::simulate::{simulate, SimConfig};

struct Prepare(Sightings);

impl Batcher for Prepare {
    type Batch = SightingBatch;
    fn add(&mut self, event: &AuthEvent<'_>) {
        self.0.add(event);
    }
    fn take(&mut self) -> SightingBatch {
        self.0.take()
    }
}

/// Scans every file of `dir`; the number of events.
fn scan(files: &[Input], threads: usize) -> u64 {
    let mut engine = Engine::new(Config::default());
    let keys = engine.keys();
    let make = || Prepare(Sightings::new(keys));
    let mut reader = Reader::new(ReadOptions::default());
    let mut events = 0u64;
    for file in files {
        reader
            .read_parallel(file, threads, &make, &mut |batch| {
                events += batch.sightings.len() as u64;
                engine.push_batch(&batch);
                Ok(())
            })
            .expect("the simulated logs read");
    }
    let (_, outcome) = engine.finish();
    assert!(!outcome.campaigns.is_empty(), "the campaigns are found");
    events
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config = SimConfig::new(1, 4_000, 10);
    config.formats = vec![Format::Native, Format::Okta];
    simulate(&config, dir.path(), &mut |_| {}).expect("the simulation runs");
    for format in [Format::Native, Format::Okta] {
        let folder = dir.path().join(format.name());
        let files = forewarn_formats::input::expand(&[folder]).expect("the simulated files");
        let events = scan(&files, 1);
        let mut group = c.benchmark_group(format!("scan_{}", format.name()));
        group.sample_size(10);
        group.throughput(Throughput::Elements(events));
        group.bench_function("one_thread", |b| b.iter(|| scan(&files, 1)));
        group.bench_function("two_threads", |b| b.iter(|| scan(&files, 2)));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
