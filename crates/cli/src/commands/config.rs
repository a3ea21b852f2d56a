//! `forewarn config`: the default configuration, and checking a file against it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use forewarn_detect::config::DEFAULT_TOML;
use forewarn_detect::Config;

/// Show or check the configuration (detection thresholds, allowlists).
///
/// A configuration is a TOML file passed with `--config` to `scan` and `demo`. Every key may
/// be left out (its default applies); an unknown key or a value of the wrong type is an error
/// naming the file, line and key. docs/configuration.md explains each key.
///
/// Examples:
///   forewarn config print-default > forewarn.toml
///   forewarn config check forewarn.toml
///   forewarn scan logs/ --out results/ --config forewarn.toml
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ConfigArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Print the default configuration: every key with its default and why.
    PrintDefault,
    /// Check a configuration file and print the configuration in effect (its values, the
    /// defaults for the rest). Exit status 2 when the file is not valid.
    Check {
        /// The TOML file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

pub fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::PrintDefault => print!("{DEFAULT_TOML}"),
        Action::Check { file } => {
            let config = load(Some(&file))?;
            println!("# {}: valid; the configuration in effect:", file.display());
            println!();
            print!(
                "{}",
                toml::to_string(&config).context("cannot print the configuration")?
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The configuration `--config` names, or the default.
pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
    Ok(match file {
        Some(file) => Config::load(file)?,
        None => Config::default(),
    })
}
