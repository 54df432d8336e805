#!/usr/bin/env bash
# Builds with `cargo build --locked ARGS...` and prints `NAME=PATH` for every
# executable of that build, as cargo reports it (`--message-format` artifacts),
# so that a CARGO_TARGET_DIR, a `build.target-dir` or a `--target` triple is
# followed: no script assumes `target/`.
#
#   .ci/built.sh -p motionkit-cli    # motionkit=/.../debug/motionkit
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --message-format=json-render-diagnostics "$@" |
    python3 -c '
import json, sys
found = {}
for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue
    if message.get("reason") == "compiler-artifact" and message.get("executable"):
        found[message["target"]["name"]] = message["executable"]
if not found:
    sys.exit("built.sh: cargo built no executable for: " + " ".join(sys.argv[1:]))
for name, path in sorted(found.items()):
    print(name + "=" + path)
' "$@"
