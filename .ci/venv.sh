#!/usr/bin/env bash
# Creates (once) the Python virtual environment with the CI-only tools of
# .ci/requirements.txt and prints its bin folder. Idempotent and quick: a
# stamp holding the requirements' checksum skips pip when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
# In cargo's target directory (wherever CARGO_TARGET_DIR puts it), unless
# MOTIONKIT_CI_VENV says otherwise.
venv="${MOTIONKIT_CI_VENV:-$(.ci/target-dir.sh)/ci-venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum .ci/requirements.txt | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r .ci/requirements.txt >&2
    echo "$want" > "$stamp"
fi
echo "$(cd "$venv/bin" && pwd)"
