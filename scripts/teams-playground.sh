#!/usr/bin/env bash
# A real-client check of Yorozu in Teams: Microsoft 365 Agents Playground (Microsoft's local Teams
# emulator, from npm) in front of `yorozu demo`, both bound to 127.0.0.1, and a scripted set of
# activities sent through the Playground's custom-activity endpoint, checking the replies it records
# (scripts/teams_playground_check.py). Not part of `make test`: it needs Node.js/npm and the npm registry
# the first time.
#
#   make playground                      # or: scripts/teams-playground.sh
#   PLAYGROUND_KEEP=1 make playground    # leave both running afterwards, to use the Playground by hand
#
# Environment: PYTHON (default .venv/bin/python), YOROZU (default .venv/bin/yorozu), PLAYGROUND_CACHE
# (default .cache/teams-playground), PLAYGROUND_VERSION (default 0.2.28), PLAYGROUND_KEEP.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
YOROZU="${YOROZU:-$ROOT/.venv/bin/yorozu}"
CACHE="${PLAYGROUND_CACHE:-$ROOT/.cache/teams-playground}"
VERSION="${PLAYGROUND_VERSION:-0.2.28}"
PACKAGE="@microsoft/m365agentsplayground"

command -v npm >/dev/null || { echo "teams-playground: npm (Node.js 18 or later) is needed" >&2; exit 1; }
[ -x "$PYTHON" ] || { echo "teams-playground: no $PYTHON (run make install, or set PYTHON)" >&2; exit 1; }
[ -x "$YOROZU" ] || { echo "teams-playground: no $YOROZU (run make install, or set YOROZU)" >&2; exit 1; }

mkdir -p "$CACHE"
CLI="$CACHE/node_modules/$PACKAGE/cli.js"
if [ ! -f "$CLI" ] || [ "$(node -p "require('$CACHE/node_modules/$PACKAGE/package.json').version")" != "$VERSION" ]; then
    echo "installing $PACKAGE@$VERSION into $CACHE"
    npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error "$PACKAGE@$VERSION" >/dev/null
fi

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() {  # wait_http URL SECONDS PID: until the URL answers, or the process is gone
    local url="$1" seconds="$2" pid="$3"
    for _ in $(seq "$seconds"); do
        "$PYTHON" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 1
    done
    return 1
}

RUN="$CACHE/run"
rm -rf "$RUN" && mkdir -p "$RUN"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# The demo's sample community, imported once into the cache (a few minutes the first time); each run
# starts from a fresh copy of it, so earlier runs leave nothing behind.
SEED="$CACHE/demo-seed"
if [ ! -f "$SEED/.ready" ]; then
    echo "importing the sample community once into $SEED (a few minutes)"
    rm -rf "$SEED"
    port="$(free_port)"
    "$YOROZU" --data-dir "$SEED" demo --port "$port" >"$RUN/seed.log" 2>&1 &
    seed_pid=$!
    PIDS+=("$seed_pid")
    wait_http "http://127.0.0.1:$port/" 1200 "$seed_pid" || { cat "$RUN/seed.log" >&2; exit 1; }
    kill "$seed_pid" && wait "$seed_pid" || true
    touch "$SEED/.ready"
fi
cp -a "$SEED" "$RUN/data"

YOROZU_PORT="$(free_port)"
PLAYGROUND_PORT="$(free_port)"
# The Playground's default user (Alex Wilber) is a specialist, so FAQにする can be tried too.
YOROZU_SPECIALISTS="teams:00000000-0000-0000-0000-0000000000020" \
    "$YOROZU" --data-dir "$RUN/data" demo --port "$YOROZU_PORT" >"$RUN/yorozu.log" 2>&1 &
yorozu_pid=$!
PIDS+=("$yorozu_pid")
wait_http "http://127.0.0.1:$YOROZU_PORT/" 300 "$yorozu_pid" || { cat "$RUN/yorozu.log" >&2; exit 1; }
echo "yorozu demo on http://127.0.0.1:$YOROZU_PORT (log $RUN/yorozu.log)"

# The Playground listens on every interface by default: the preload binds its servers to 127.0.0.1.
# No browser is opened and no telemetry sent; its log and events recording stay in the run folder.
(
    cd "$RUN"
    export NODE_OPTIONS="--require $ROOT/scripts/teams-playground-loopback.cjs"
    export TEAMSAPPTESTER_BROWSER=none
    export M365_AGENTS_PLAYGROUND_LOGFILE="$RUN/playground.log"
    export M365_AGENTS_PLAYGROUND_RECORDING_FILE="$RUN/recording.log"
    export M365_AGENTS_PLAYGROUND_CONFIG_PATH="$RUN/.m365agentsplayground.yml"  # none: the default team
    exec node "$CLI" --app-endpoint "http://127.0.0.1:$YOROZU_PORT/api/messages" --channel-id msteams \
        --port "$PLAYGROUND_PORT" --service-url "http://127.0.0.1:$PLAYGROUND_PORT/_connector" \
        --enable-events-recording --disable-telemetry
) >"$RUN/playground.out" 2>&1 &
playground_pid=$!
PIDS+=("$playground_pid")
wait_http "http://127.0.0.1:$PLAYGROUND_PORT/_internal/v1/config" 120 "$playground_pid" \
    || { cat "$RUN/playground.out" >&2; exit 1; }
echo "Agents Playground $VERSION on http://127.0.0.1:$PLAYGROUND_PORT (log $RUN/playground.log)"

# Nothing of the Playground's may listen beyond loopback.
"$PYTHON" - "$PLAYGROUND_PORT" <<'EOF'
import socket, sys
port = int(sys.argv[1])
outward = set()
try:
    outward |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
except OSError:
    pass
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # the address of the default route (sends nothing)
    try:
        probe.connect(("10.255.255.255", 1))
        outward.add(probe.getsockname()[0])
    except OSError:
        pass
outward = {a for a in outward if not a.startswith("127.") and a != "0.0.0.0"}
for address in sorted(outward):
    with socket.socket() as s:
        s.settimeout(2)
        if s.connect_ex((address, port)) == 0:
            sys.exit(f"the Playground answers on {address}:{port}: it must listen on 127.0.0.1 only")
print(f"ok   the Playground listens on 127.0.0.1 only (refused on {', '.join(sorted(outward)) or 'no other address'})")
EOF

"$PYTHON" "$ROOT/scripts/teams_playground_check.py" \
    --playground "http://127.0.0.1:$PLAYGROUND_PORT" --recording "$RUN/recording.log"

if [ -n "${PLAYGROUND_KEEP:-}" ]; then
    echo "open http://127.0.0.1:$PLAYGROUND_PORT in a browser; Ctrl-C stops both"
    wait
fi
