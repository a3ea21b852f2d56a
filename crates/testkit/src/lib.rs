//! What the test suites and benchmarks of several crates share: where the real samples written
//! by others are (`../shared/samples` beside the checkout, or `$FOREWARN_SAMPLES`).
//!
//! Test-only: crates take it as a dev-dependency, never as a dependency. Nothing from the
//! samples is copied into the repository; tests read them where they are.

use std::path::PathBuf;

/// `../shared/samples` beside the checkout, or `$FOREWARN_SAMPLES`: where the samples should
/// be, whether or not they are there.
pub fn samples_dir() -> PathBuf {
    std::env::var_os("FOREWARN_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples")
        })
}

/// `relative` inside the samples (`""` for the folder itself), when it is there. CI always runs
/// beside them, so there a missing sample fails the test; a developer machine without them
/// skips what needs them, with a notice on stderr.
pub fn sample(relative: &str) -> Option<PathBuf> {
    let path = samples_dir().join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "samples not found at {}: CI must run beside ../shared",
        path.display()
    );
    eprintln!("samples not found at {}: skipped", path.display());
    None
}
