# Sourced by the CI scripts that need the sandbox binary running (not run
# on its own): `start_sandbox BINARY [FLAGS...]` starts it on free loopback
# ports with the client id `ci` and secret `ci-secret`, waits for the lines
# it prints, stops it when the script exits, and sets `work` (a scratch
# folder removed at exit), `dm`, `md` and `token`.

export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

work="$(mktemp -d)"
sandbox_pid=""
stop_sandbox() {
    if [ -n "$sandbox_pid" ]; then
        kill "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop_sandbox EXIT

start_sandbox() {
    local binary="$1"
    shift
    "$binary" --host 127.0.0.1 --deepmotion-port 0 --motiondynamic-port 0 \
        --client-id ci --client-secret ci-secret "$@" \
        >"$work/out" 2>"$work/err" &
    sandbox_pid=$!
    for _ in $(seq 1 100); do
        grep -q '^motiondynamic-token ' "$work/out" 2>/dev/null && break
        if ! kill -0 "$sandbox_pid" 2>/dev/null; then
            cat "$work/err" >&2
            echo "the sandbox did not start" >&2
            exit 1
        fi
        sleep 0.1
    done
    dm="$(sed -n 's/^deepmotion //p' "$work/out")"
    md="$(sed -n 's/^motiondynamic //p' "$work/out")"
    token="$(sed -n 's/^motiondynamic-token //p' "$work/out")"
    if [ -z "$dm" ] || [ -z "$md" ] || [ -z "$token" ]; then
        cat "$work/err" >&2
        echo "the sandbox did not print its URLs and token" >&2
        exit 1
    fi
}
