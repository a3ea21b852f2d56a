#!/usr/bin/env bash
# All of forewarn's checks, as CI runs them: formatting, lints, every test, and conformance on
# the real samples in ../shared/samples (which CI always has beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
samples="${FOREWARN_SAMPLES:-$(cd .. && pwd)/shared/samples}"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo doc"
# Broken or private intra-doc links fail here rather than rot.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

echo "== cargo test"
# The sample conformance tests read $FOREWARN_SAMPLES; under CI=true a missing folder fails.
FOREWARN_SAMPLES="$samples" cargo test --workspace --locked

if [ -d "$samples" ]; then
    echo "== forewarn decode --stats on the shared samples"
    FOREWARN_SAMPLES="$samples" ./scripts/samples.sh
fi

if [ -d "$samples/sigma/rules" ]; then
    echo "== forewarn rules check on the SigmaHQ rules in the shared samples"
    # Every rule loads or gets a reason; a rule that fails to parse fails the run.
    cargo run --quiet --locked -- rules check --quiet "$samples/sigma/rules"
fi
