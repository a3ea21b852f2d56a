//! The SigmaHQ rules in the shared samples: each loads or gets a reason.

use std::path::PathBuf;

use forewarn_rules::{LoadStatus, Mappings, RuleSet};

#[test]
fn sigmahq_rules_load_or_say_why() {
    let samples = std::env::var("FOREWARN_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples")
        });
    let dir = samples.join("sigma/rules");
    if !dir.is_dir() {
        eprintln!("no samples at {}", dir.display());
        return;
    }
    let (set, reports) = RuleSet::load(&[dir], &Mappings::builtin()).unwrap();
    for report in &reports {
        println!(
            "{} {:?} {:?}",
            report.file.display(),
            report.title,
            report.status
        );
    }
    let loaded = reports
        .iter()
        .filter(|r| matches!(r.status, LoadStatus::Loaded { .. }))
        .count();
    println!(
        "loaded {loaded} of {}; rules {}",
        reports.len(),
        set.rules().len()
    );
    assert!(!reports.iter().any(|r| r.is_parse_error()));
}
