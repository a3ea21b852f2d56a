//! `forewarn formats`: what forewarn reads.

use std::process::ExitCode;

use clap::Args;
use forewarn_formats::Format;

/// List the log formats forewarn reads, with the names `--format` takes.
///
/// Example:
///   forewarn formats
#[derive(Debug, Args)]
pub struct FormatsArgs {}

pub fn run(_args: FormatsArgs) -> anyhow::Result<ExitCode> {
    for format in Format::ALL {
        println!("{:<12} {}", format.name(), format.title());
    }
    Ok(ExitCode::SUCCESS)
}
