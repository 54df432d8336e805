#!/usr/bin/env bash
# The Python package (crates/python): built with `pip install crates/python`
# (maturin from PyPI, as the PEP 517 backend) into a fresh virtual
# environment, in the dev profile; then its pytest suite against the
# embedded sandbox, mypy --strict on the package and its examples, and the
# transfer benchmark's quick form: peak RSS of a 256 MiB upload and
# download, four times the 64 MiB budget, so a transfer that buffers the
# file fails it (CI machines may have little free disk; `cargo xtask bench
# --only python` runs the 1 GiB form).
#
# Runs alone too: .ci/python.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$py" -m pip install --quiet --disable-pip-version-check -r .ci/python-requirements.txt >&2
# The tests want the dev profile (a quick build); a user's `pip install`
# gets the release profile.
MATURIN_PEP517_ARGS="--profile dev" \
    "$py" -m pip install --quiet --disable-pip-version-check ./crates/python >&2
"$py" -c 'import motionkit; print("motionkit", motionkit.__version__, "from", motionkit.__file__)'

echo "== pytest (crates/python/tests)"
(cd crates/python && "$py" -m pytest -q -p no:cacheprovider tests)

echo "== mypy --strict (the package and its examples)"
"$py" -m mypy --strict --no-incremental crates/python/python/motionkit crates/python/examples

echo "== a 256 MiB upload and download from Python: peak RSS, against the official SDK"
"$py" crates/python/bench/transfer_rss.py --size-mib 256 --check
