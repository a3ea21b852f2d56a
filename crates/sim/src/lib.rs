//! A labelled synthetic world of sign-ins and account recoveries, with account-takeover
//! campaigns hidden inside it, written in every format forewarn reads, with the ground truth.
//!
//! There is no public labelled data set of targeted account-takeover campaigns, so forewarn
//! makes its own: it drives the demo, the accuracy tests and the benchmarks. The same arguments
//! always give byte-identical output.
//!
//! This crate must not detect anything, and must not read anything but its own arguments:
//! its output is the test of detection, so it cannot share detection's assumptions.

pub mod benign;
pub mod names;
pub mod networks;
pub mod provider;
pub mod render;
pub mod rng;
pub mod scenarios;
pub mod score;
pub mod simulate;
pub mod truth;
pub mod world;
