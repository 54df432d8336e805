#!/usr/bin/env bash
# The feature matrix of the published crates, as `cargo hack check
# --each-feature --no-dev-deps` would run it, without installing cargo-hack:
# for each crate, a build with no default features, and one with each
# feature alone (and default features off). Features are read from
# `cargo metadata`, so a new feature is checked without editing this file.
# Dev-dependencies are not built, so they cannot hide a missing feature.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo metadata --no-deps --format-version 1 --locked |
    python3 -c '
import json, sys
meta = json.load(sys.stdin)
for package in meta["packages"]:
    if package.get("publish") == []:
        continue
    features = sorted(f for f in package["features"] if f != "default")
    print(package["name"], "")
    for feature in features:
        print(package["name"], feature)
' |
    while read -r package feature; do
        echo "-- $package --no-default-features ${feature:+--features $feature}"
        # Warnings fail the matrix too (an import only one feature uses),
        # without a RUSTFLAGS change that would rebuild every dependency.
        log="$(cargo check --quiet --locked -p "$package" --no-default-features \
            ${feature:+--features "$feature"} 2>&1)" || { echo "$log"; exit 1; }
        if grep -q "^warning" <<<"$log"; then
            echo "$log"
            exit 1
        fi
    done
