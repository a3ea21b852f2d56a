//! What can go wrong loading a database, said so that a user can fix it.

use std::path::PathBuf;

/// A database that cannot be used. Lookups never fail: an address a database does not cover,
/// or a record it cannot decode, is simply not filled.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{} is {what}, not a database forewarn reads: give an ip-location-db CSV \
         (first_ip,last_ip,value rows) or a MaxMind DB (.mmdb) file",
        path.display()
    )]
    UnknownKind { path: PathBuf, what: &'static str },
    #[error("{} is not a valid MaxMind DB: {reason}", path.display())]
    Mmdb { path: PathBuf, reason: String },
    #[error(
        "{} is a MaxMind DB of type `{database_type}` whose records have no {field}: {hint}",
        path.display()
    )]
    WrongMmdb {
        path: PathBuf,
        database_type: String,
        field: &'static str,
        hint: &'static str,
    },
    #[error(
        "{} has no usable {what} row ({skipped} skipped); line {line}: {reason}",
        path.display()
    )]
    NoRows {
        path: PathBuf,
        what: &'static str,
        skipped: u64,
        line: u64,
        reason: String,
    },
}
