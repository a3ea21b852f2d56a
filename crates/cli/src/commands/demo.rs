//! `forewarn demo`: the main job on the embedded default.

use std::process::ExitCode;

use clap::Args;

/// Show forewarn working end to end on a simulated month with a Phosphorus-style campaign.
///
/// Not built yet: the simulator and detection land in later issues. Until then this reads a
/// small built-in set of vendor records in every supported format and prints how forewarn
/// understood them.
///
/// Example:
///   forewarn demo
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DemoArgs {}

pub fn run(_args: DemoArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the demo needs the simulator, which is not built yet; try `forewarn decode`")
}
