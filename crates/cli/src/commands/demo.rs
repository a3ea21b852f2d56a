//! `forewarn demo`: the main job on the embedded default.

use std::process::ExitCode;

use clap::Args;
use forewarn_formats::examples::TYPICAL;
use forewarn_formats::{ReadOptions, Reader};

use crate::summary::clean;

/// Show forewarn working end to end, with nothing to install or download.
///
/// The full demo — a simulated month of sign-ins with a Phosphorus-style campaign inside,
/// detected and reported — needs the simulator and the detection engine, which are still being
/// built. Until they land, the demo shows the first stage: one typical record of every log
/// format forewarn reads, and the normalized event it becomes.
///
/// Example:
///   forewarn demo
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DemoArgs {}

pub fn run(_args: DemoArgs) -> anyhow::Result<ExitCode> {
    println!("forewarn demo");
    println!();
    println!("The simulator and detection are not built yet, so this demo shows the first stage:");
    println!("one typical record of each format forewarn reads, and what it becomes.");
    println!();
    println!(
        "{:<11} {:<8} {:<30} {:<8} {:<15} {:<34} source",
        "format", "bytes", "event", "outcome", "reason", "account"
    );
    for (format, record) in TYPICAL {
        let mut reader = Reader::new(ReadOptions {
            format: Some(*format),
            ..ReadOptions::default()
        });
        let mut rows = Vec::new();
        reader.read_bytes(format.name(), record, &mut |event| {
            let source = match (&event.ip, &event.source_host) {
                (Some(ip), _) => ip.to_string(),
                (None, Some(host)) => host.to_string(),
                (None, None) => "-".to_owned(),
            };
            rows.push(format!(
                "{:<30} {:<8} {:<15} {:<34} {}",
                event.kind.as_str(),
                event.outcome.as_str(),
                event.reason.map_or("-", |r| r.as_str()),
                clean(&event.account),
                clean(&source),
            ));
            Ok(())
        })?;
        for (i, row) in rows.iter().enumerate() {
            let (name, size) = if i == 0 {
                (format.name().to_owned(), record.len().to_string())
            } else {
                (String::new(), String::new())
            };
            println!("{name:<11} {size:<8} {row}");
        }
    }
    println!();
    println!("Next: point it at your own logs with `forewarn decode --stats PATH`.");
    Ok(ExitCode::SUCCESS)
}
