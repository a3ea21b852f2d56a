//! Simulator throughput: generation and rendering on one core, nothing written to disk.
//!
//! `cargo bench -p forewarn-sim`. The end-to-end figure (30 days × 200,000 accounts on both
//! cores, files included) is measured with the binary; see docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use forewarn_formats::Format;
use forewarn_sim::simulate::{render_only, SimConfig};

fn config(format: Format) -> SimConfig {
    let mut config = SimConfig::new(1, 20_000, 2);
    config.formats = vec![format];
    config.threads = 1;
    config
}

fn one_core(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate_one_core");
    group.sample_size(10);
    for format in [Format::Native, Format::Okta, Format::Entra] {
        let config = config(format);
        let (events, _) = render_only(&config).expect("the simulation runs");
        group.throughput(Throughput::Elements(events));
        group.bench_function(format.name(), |b| {
            b.iter(|| render_only(&config).expect("the simulation runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, one_core);
criterion_main!(benches);
