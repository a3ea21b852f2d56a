pub mod config;
pub mod decode;
pub mod demo;
pub mod eval;
pub mod formats;
pub mod rules;
pub mod scan;
pub mod simulate;
