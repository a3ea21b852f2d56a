//! Sigma detection and correlation rules, run on forewarn's raw vendor records.
//!
//! [`RuleSet::load`] reads rule files with rsigma-parser (detection rules, correlations,
//! filters) and compiles each detection rule, per format its `logsource` applies to (the
//! [`mapping`] data files decide which, and where each field is), into a predicate tree over
//! the few values a single pass pulls out of a raw record ([`extract`](crate::Scratch)): no
//! generic JSON tree per event. [`RuleSet::evaluate`] runs one record; a [`Correlator`] turns
//! matches into correlation alerts over event-time windows. Every rule gets a
//! [`LoadReport`]: loaded, not applicable (no forewarn format reads its logsource), or
//! unsupported, with the reason. `docs/rules.md` is the user's guide.

mod compile;
mod correlation;
mod error;
mod extract;
pub mod mapping;
mod matcher;
mod ruleset;
pub mod testing;

pub use correlation::{CorrelationMatch, Correlator, EVIDENCE};
pub use error::{LoadError, MappingError};
pub use extract::Scratch;
pub use mapping::Mappings;
pub use ruleset::{
    format_names, DocumentKind, Level, LoadReport, LoadStatus, MatchedField, RecordSubject, RuleId,
    RuleKind, RuleMatch, RuleMeta, RuleSet,
};
