#!/usr/bin/env bash
# Prints cargo's target directory (`cargo metadata`'s `target_directory`):
# `target/` by default, CARGO_TARGET_DIR or `build.target-dir` when set.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --no-deps --locked |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
