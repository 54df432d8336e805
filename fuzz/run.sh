#!/usr/bin/env bash
# Runs every fuzz target (or the ones named as arguments) for a bounded time.
#
#   fuzz/run.sh                       # every target, 30 s each
#   FUZZ_SECONDS=120 fuzz/run.sh process_params picture_sniff
#
# Seeds in fuzz/seeds/<target>/ are copied into fuzz/corpus/<target>/
# (gitignored), which libFuzzer grows. Crashes land in
# fuzz/artifacts/<target>/; the script runs every target and exits non-zero
# when any of them crashed. See fuzz/README.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

# cargo-fuzz passes nightly-only -Z flags (sanitizers, coverage passes);
# this lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1

seconds="${FUZZ_SECONDS:-30}"
sanitizer="${FUZZ_SANITIZER:-address}"
# Debug assertions and overflow checks on, so arithmetic overflows crash.
build_flags=(--debug-assertions --sanitizer "$sanitizer")

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

# One build for every target, then runs that reuse it.
cargo fuzz build "${build_flags[@]}"

failed=()
for target in "${targets[@]}"; do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    if [ -d "seeds/$target" ]; then
        cp -n "seeds/$target"/* "$corpus"/ 2>/dev/null || true
    fi
    echo "=== $target: ${seconds}s"
    if ! cargo fuzz run "${build_flags[@]}" "$target" "$corpus" -- \
        -max_total_time="$seconds" -print_final_stats=1; then
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "no crashes in: ${targets[*]}"
