//! Helpers shared by the CLI's end-to-end tests.
#![allow(dead_code)]

use std::path::Path;
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

/// Simulates a world into `out` with `forewarn simulate --out OUT ARGS…`, which must work.
pub fn simulate(out: &Path, args: &[&str]) {
    let out = out.to_str().expect("a UTF-8 temporary path");
    let mut all = vec!["simulate", "--out", out, "-q"];
    all.extend_from_slice(args);
    let run = forewarn(&all);
    assert!(run.status.success(), "{run:?}");
}
