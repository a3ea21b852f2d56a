//! Helpers shared by the CLI's end-to-end tests.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs the real `forewarn` binary with `args`.
pub fn forewarn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_forewarn"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Output bytes as text, for messages and assertions.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
