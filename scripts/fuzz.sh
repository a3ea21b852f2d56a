#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60). Needs cargo-fuzz
# (`cargo install cargo-fuzz`); on a stable toolchain RUSTC_BOOTSTRAP=1 lets it use the
# sanitizer flags. Crashes land in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
export RUSTC_BOOTSTRAP=1
for target in $(cargo fuzz list); do
    echo "== $target for ${seconds}s"
    mkdir -p "corpus/$target"
    # Seed each corpus with the fixtures, so the fuzzer starts from real records.
    find ../crates/formats/tests/data -type f -size -64k -exec cp -n {} "corpus/$target/" \; 2>/dev/null || true
    cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048
done
echo "all fuzz targets ran ${seconds}s without a crash"
