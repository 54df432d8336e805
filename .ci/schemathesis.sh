#!/usr/bin/env bash
# Schemathesis against the running sandbox: both OpenAPI documents (as the
# sandbox serves them) and /graphql (with the spec's GraphQL schema),
# authenticated with a dmsess cookie and the sandbox's JWT. Checks: no
# server errors, documented status codes, content types and response
# schemas. Bounded: SCHEMATHESIS_MAX_EXAMPLES per operation (default 50)
# and SCHEMATHESIS_MAX_TIME seconds per run (default 40).
#
# Runs alone too: .ci/schemathesis.sh [path/to/motionkit-sandbox]
# (builds the sandbox when no binary is given).
set -euo pipefail
cd "$(dirname "$0")/.."

bin_dir="$(.ci/venv.sh)"
py="$bin_dir/python"
st="$bin_dir/st"
# Without an argument, the sandbox cargo builds (a no-op when current),
# wherever its target directory is.
sandbox="${1:-}"
if [ -z "$sandbox" ]; then
    sandbox="$(.ci/built.sh -p motionkit-sandbox | sed -n 's/^motionkit-sandbox=//p')"
fi
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-50}"
max_time="${SCHEMATHESIS_MAX_TIME:-40}"
seed="${SCHEMATHESIS_SEED:-17}"
# shellcheck source=start-sandbox.sh
. .ci/start-sandbox.sh
# Free loopback ports; a high rate limit so fuzzing is not all 429s (the
# 429 answer itself is documented and covered by the sandbox's own tests).
start_sandbox "$sandbox" --rate-limit 100000

# A dmsess session cookie, the way every client gets one.
cookie="$("$py" - "$dm" <<'PY'
import base64, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
basic = base64.b64encode(b"ci:ci-secret").decode()
request = urllib.request.Request(sys.argv[1] + "/session/auth", headers={"Authorization": "Basic " + basic})
with opener.open(request, timeout=10) as response:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        if name.strip() == "dmsess":
            print(rest.split(";")[0])
            break
PY
)"
if [ -z "$cookie" ]; then
    echo "no dmsess cookie from $dm/session/auth" >&2
    exit 1
fi

# Both credentials must work, or every answer would be a documented 401
# and the runs would prove nothing.
"$py" - "$dm" "$cookie" "$md" "$token" <<'PY'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
dm, cookie, md, token = sys.argv[1:]
for url, header in [(dm + "/list", ("Cookie", "dmsess=" + cookie)), (md + "/rest/themes", ("Authorization", "Bearer " + token))]:
    with opener.open(urllib.request.Request(url, headers=dict([header])), timeout=10) as response:
        assert response.status == 200, (url, response.status)
PY

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
# One worker: with two threads, CPython 3.11's ast.parse (called by
# hypothesis to describe strategies) can fail with "AST constructor
# recursion depth mismatch" (CPython gh-106905), a runtime error of the
# tool, not of the sandbox.
common=(--checks "$checks" --max-examples "$max_examples" --max-time "$max_time"
    --seed "$seed" --workers 1 --no-color --request-timeout 10
    --generation-database none --warnings off)

# Schemathesis keeps a cache in the folder it runs from: run it in $work.
root="$PWD"
st_run() { (cd "$work" && "$st" run "$@"); }

echo "-- schemathesis: DeepMotion ($dm/openapi.json)"
st_run "$dm/openapi.json" --url "$dm" "${common[@]}" \
    --auth ci:ci-secret --header "Cookie: dmsess=$cookie"

# OpenAPI cannot tie the 201 body of POST /rest/generations to the Prefer
# header: without it PostgREST answers an empty 201. Ask for the rows, so
# every documented body is checked.
echo "-- schemathesis: MotionDynamic REST ($md/rest/)"
st_run "$md/rest/" --url "$md" "${common[@]}" \
    --header "Authorization: Bearer $token" --header "Prefer: return=representation"

# The hooks give the GraphQL `JSON` scalar a strategy.
export SCHEMATHESIS_HOOKS=schemathesis_hooks
export PYTHONPATH="$root/.ci${PYTHONPATH:+:$PYTHONPATH}"
echo "-- schemathesis: MotionDynamic GraphQL ($md/graphql, specs/motiondynamic.graphql)"
st_run "$root/specs/motiondynamic.graphql" --url "$md/graphql" \
    --checks not_a_server_error --max-examples "$max_examples" --max-time "$max_time" \
    --seed "$seed" --workers 1 --no-color --request-timeout 10 \
    --generation-database none --warnings off \
    --header "Authorization: Bearer $token"
