//! Bytes → `AuthEvent` throughput per format, on one core: framing, format detection and
//! decoding, as `forewarn decode` and `scan` run them. Each format's input is its typical
//! record (`forewarn_formats::examples::TYPICAL`) repeated, one per line; the `shapes` group
//! reads other shapes of the busiest formats from the test data, including the ones the
//! decoders leave to their serde path.
//!
//! Run: `cargo bench -p forewarn-formats --bench decode`. Results: docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use forewarn_formats::examples::TYPICAL;
use forewarn_formats::{Format, ReadOptions, Reader};

const EVENTS: usize = 20_000;

fn typical_lines(format: Format) -> Option<Vec<u8>> {
    let (_, record) = TYPICAL.iter().find(|(f, _)| *f == format)?;
    let record = record.trim_ascii();
    let mut bytes = Vec::with_capacity((record.len() + 1) * EVENTS);
    for _ in 0..EVENTS {
        bytes.extend_from_slice(record);
        bytes.push(b'\n');
    }
    Some(bytes)
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    group.sample_size(20);
    for format in Format::ALL {
        let Some(bytes) = typical_lines(*format) else {
            continue;
        };
        group.throughput(Throughput::Elements(EVENTS as u64));
        group.bench_function(
            format!("{}/{}B", format.name(), bytes.len() / EVENTS),
            |b| {
                b.iter(|| {
                    let mut reader = Reader::new(ReadOptions::default());
                    let mut count = 0usize;
                    reader
                        .read_bytes("bench", &bytes, &mut |event| {
                            count += event.account.len();
                            Ok(())
                        })
                        .expect("in-memory input");
                    assert_eq!(
                        reader.summary().rejected(),
                        0,
                        "{format}: typical record rejected"
                    );
                    count
                })
            },
        );
    }
    group.finish();
}

/// Whole test-data files, repeated to about 4 MB, through the reader: shapes other
/// than the typical record. Azure Monitor pages of sign-ins take the fast path; Graph audits
/// and Okta event hooks (several events in one record) take the serde path.
fn shapes(c: &mut Criterion) {
    let mut group = c.benchmark_group("shapes");
    group.sample_size(20);
    let files: [(&str, &[u8]); 3] = [
        (
            "entra-azure-monitor-signin-pages",
            include_bytes!("../tests/data/entra/azure_monitor_signins.jsonl"),
        ),
        (
            "entra-graph-audits",
            include_bytes!("../tests/data/entra/graph_audits.json"),
        ),
        (
            "okta-event-hook",
            include_bytes!("../tests/data/okta/event_hook.json"),
        ),
    ];
    for (name, file) in files {
        let read = |bytes: &[u8]| {
            let mut reader = Reader::new(ReadOptions::default());
            let mut events = 0usize;
            reader
                .read_bytes("bench", bytes, &mut |_| {
                    events += 1;
                    Ok(())
                })
                .expect("in-memory input");
            (events, reader.summary().decoded())
        };
        let (_, records_per_copy) = read(file);
        let copies = (4 << 20) / file.len() + 1;
        let mut bytes = Vec::with_capacity((file.len() + 1) * copies);
        for _ in 0..copies {
            bytes.extend_from_slice(file.trim_ascii());
            bytes.push(b'\n');
        }
        group.throughput(Throughput::Elements(records_per_copy * copies as u64));
        group.bench_function(name, |b| b.iter(|| read(&bytes).0));
    }
    group.finish();
}

/// sonic-rs validating and skipping each record without building anything: what the serde
/// path pays before any of forewarn's own work, for comparison with the fast paths.
fn skip_only(c: &mut Criterion) {
    let mut group = c.benchmark_group("skip_only");
    group.sample_size(20);
    for format in [Format::Okta, Format::Entra] {
        let Some(bytes) = typical_lines(format) else {
            continue;
        };
        group.throughput(Throughput::Elements(EVENTS as u64));
        group.bench_function(format.name(), |b| {
            b.iter(|| {
                bytes
                    .split(|&b| b == b'\n')
                    .filter(|line| !line.is_empty())
                    .map(|line| {
                        sonic_rs::from_slice::<serde::de::IgnoredAny>(line).is_ok() as usize
                    })
                    .sum::<usize>()
            })
        });
        group.bench_function(format!("{}-lazy", format.name()), |b| {
            b.iter(|| {
                bytes
                    .split(|&b| b == b'\n')
                    .filter(|line| !line.is_empty())
                    .map(|line| {
                        sonic_rs::to_object_iter(line)
                            .filter_map(|kv| kv.ok())
                            .count()
                    })
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decode, shapes, skip_only);
criterion_main!(benches);
