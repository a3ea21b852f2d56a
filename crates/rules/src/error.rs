//! The errors of loading mappings and rules.

use std::path::PathBuf;

/// A mapping file that cannot be read or is not a valid mapping.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("cannot read mapping {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("mapping {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// A rule path that cannot be read at all (a rule that fails to parse is reported per rule in
/// a [`LoadReport`](crate::LoadReport) instead).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read rules at {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}
