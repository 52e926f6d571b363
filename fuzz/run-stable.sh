#!/bin/sh
# Runs a fuzz target with libFuzzer on a stable toolchain: the coverage instrumentation
# cargo-fuzz adds is made of stable codegen options; only its sanitizers need nightly.
#   fuzz/run-stable.sh TARGET [SECONDS]
set -eu
target=${1:?target}
secs=${2:-60}
cd "$(dirname "$0")"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps RUSTFLAGS (the instrumentation) off build scripts.
host=$(rustc -vV | sed -n "s/^host: //p")
cargo build --release --target "$host" --bin "$target"
mkdir -p "corpus/$target" "artifacts/$target"
exec "target/$host/release/$target" "corpus/$target" -artifact_prefix="artifacts/$target/" \
    -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10
