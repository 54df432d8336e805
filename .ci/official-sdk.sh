#!/usr/bin/env bash
# DeepMotion's official Python SDK, dm-animate3d-api 1.0.2 from PyPI,
# against the sandbox: .ci/official_sdk_test.py drives the SDK's own
# prepare_multi_person_job / start_multi_person_job / download_job (and a
# single-person job) against the sandbox binary on a free loopback port.
# The SDK lives in a virtual environment of its own in cargo's target
# directory (MOTIONKIT_SDK_VENV overrides it), created once; a stamp skips
# pip when the pinned version is already there.
#
# Runs alone too: .ci/official-sdk.sh [path/to/motionkit-sandbox]
set -euo pipefail
cd "$(dirname "$0")/.."

sdk="dm-animate3d-api==1.0.2"
venv="${MOTIONKIT_SDK_VENV:-$(.ci/target-dir.sh)/sdk-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if [ "$(cat "$venv/.sdk" 2>/dev/null || true)" != "$sdk" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$sdk" >&2
    echo "$sdk" >"$venv/.sdk"
fi

sandbox="${1:-}"
if [ -z "$sandbox" ]; then
    sandbox="$(.ci/built.sh -p motionkit-sandbox | sed -n 's/^motionkit-sandbox=//p')"
fi
# shellcheck source=start-sandbox.sh
. .ci/start-sandbox.sh
# Jobs run 60 times faster than real time, so the SDK's 1 s polls see them end.
start_sandbox "$sandbox" --time-scale 60
"$venv/bin/python" .ci/official_sdk_test.py "$dm" ci ci-secret tests/fixtures/walk.mp4 "$work"
