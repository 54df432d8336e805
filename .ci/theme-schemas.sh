#!/usr/bin/env bash
# A second independent JSON Schema validator (Python's jsonschema) on the
# schemas `motionkit themes ID --json-schema` prints: each is valid draft
# 2020-12, accepts the document's example values for the demo theme, and
# rejects `12,1` for l3_prix_01 and `#00FF00` for background_color.
# Uses the embedded sandbox, so nothing leaves this machine.
#
# Runs alone too: .ci/theme-schemas.sh [path/to/motionkit]
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir="$(.ci/venv.sh)"
# Without an argument, the CLI cargo builds (a no-op when current),
# wherever its target directory is.
motionkit="${1:-}"
if [ -z "$motionkit" ]; then
    motionkit="$(.ci/built.sh -p motionkit-cli | sed -n 's/^motionkit=//p')"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# No credentials: the embedded sandbox answers.
unset MOTIONDYNAMIC_API_URL MOTIONDYNAMIC_TOKEN
: >"$work/empty.toml"
export MOTIONKIT_CONFIG="$work/empty.toml"
demo=8239de5c-5cbd-4e39-a102-220e5354a551
"$motionkit" --sandbox --quiet themes "$demo" --json-schema >"$work/demo.json"
"$bin_dir/python" - "$work/demo.json" specs/examples/motiondynamic/generation_request.json <<'PY'
import json, sys
from jsonschema import Draft202012Validator

schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
request = json.load(open(sys.argv[2]))
values = {v["parameter_id"]: v["value"] for v in request["values"]}
errors = [e.message for e in validator.iter_errors(values)]
assert not errors, errors
layer = {p["x-layer"]: key for key, p in schema["properties"].items()}
for name, bad in [("l3_prix_01", "12,1"), ("background_color", "#00FF00")]:
    broken = dict(values, **{layer[name]: bad})
    assert not validator.is_valid(broken), (name, bad)
print("theme JSON Schema: valid draft 2020-12; example values accepted; 12,1 and #00FF00 rejected")
PY
