#!/usr/bin/env bash
# Prints the workspace's published packages (those without `publish =
# false`) in dependency order, one a line: each after every workspace
# package it depends on (normal, build or dev). This is the order in which
# `cargo package` verifies them and `cargo publish` must upload them:
#
#   for p in $(.ci/publish-order.sh); do cargo publish --locked -p "$p"; done
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --no-deps --locked |
    python3 -c '
import json, sys
meta = json.load(sys.stdin)
published = {p["name"]: p for p in meta["packages"] if p.get("publish") != []}
order, state = [], {}
def visit(name, path):
    if state.get(name) == "done":
        return
    if state.get(name) == "visiting":
        sys.exit("publish-order.sh: dependency cycle: " + " -> ".join(path + [name]))
    state[name] = "visiting"
    for dep in sorted(d["name"] for d in published[name]["dependencies"]):
        if dep in published and dep != name:
            visit(dep, path + [name])
    state[name] = "done"
    order.append(name)
for name in sorted(published):
    visit(name, [])
print("\n".join(order))
'
