#!/usr/bin/env bash
# Kills `ember serve` with SIGKILL at random moments while it saves its state every 100 ms. Every
# restart must load the last complete state file, or start empty when none was saved yet. It must
# never crash, read a corrupt file or move one aside. A last run stops with SIGTERM, which must
# save every state file.
#
#   crash-test.sh EMBER_BINARY [KILLS]     (default 30 kills, about a minute; loopback only)
#
# The agent reads the RK3588 mainline fixture and keeps its state in a temporary directory.
set -euo pipefail

ember=$1
kills=${2:-30}
repo=$(cd "$(dirname "$0")/../.." && pwd)
fixture="$repo/Tests/Fixtures/rk3588/opi5plus-mainline"
work=$(mktemp -d /tmp/ember-crash.XXXXXX)
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
series='ember_network_receive_bytes_total{device="enP4p65s0"}'

start_agent() {  # start_agent RUN
    "$ember" serve --web.listen-address="127.0.0.1:$port" --path.sysfs="$fixture/sys" \
        --path.procfs="$fixture/proc" --path.debugfs="$fixture/sys/kernel/debug" --sample.interval=100ms \
        --storage.path="$work/state" --storage.flush-interval=100ms --log.level=info 2>"$work/run-$1.log" &
    pid=$!
    local deadline=$((SECONDS + 20))
    until curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "FAIL run $1: ember exited before serving" >&2
            cat "$work/run-$1.log" >&2
            return 1
        fi
        if ((SECONDS >= deadline)); then
            echo "FAIL run $1: /healthz did not answer within 20 s" >&2
            return 1
        fi
        sleep 0.05
    done
}

# Prints how many minute buckets the agent holds for $series, the open one included.
minute_buckets() {
    curl -fsS "http://127.0.0.1:$port/api/v1/series" | python3 -c '
import json, sys
series_id = sys.argv[1]
for entry in json.load(sys.stdin)["series"]:
    if entry["id"] == series_id:
        print(entry["points"]["minute"])
        break
else:
    print(0)
' "$series"
}

saved_once=0
for run in $(seq 1 "$kills"); do
    start_agent "$run"
    log="$work/run-$run.log"
    if grep -q "moved aside\|not loaded" "$log"; then
        echo "FAIL run $run: the state file was not loaded:" >&2
        grep "moved aside\|not loaded" "$log" >&2
        exit 1
    fi
    if grep -q "loaded saved state" "$log"; then
        buckets=$(minute_buckets)
        if ((buckets < 1)); then
            echo "FAIL run $run: state loaded but $series has no minute bucket" >&2
            exit 1
        fi
    elif ((saved_once)) || ! grep -q "no saved state" "$log"; then
        echo "FAIL run $run: neither loaded the saved state nor started empty with a reason" >&2
        cat "$log" >&2
        exit 1
    fi

    # Kill between 150 ms and 1.5 s later, so kills land before, during and after saves.
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.15, 1.5), 3))')"
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "FAIL run $run: ember exited on its own" >&2
        cat "$log" >&2
        exit 1
    fi
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    [[ -f "$work/state/ember.state" ]] && saved_once=1
done

# A clean stop saves every file: SIGTERM must exit 0, and the next start must load all four.
start_agent stop
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
if ((status != 0)) || ! grep -q "ember stopped" "$work/run-stop.log"; then
    echo "FAIL: SIGTERM did not stop ember cleanly (exit status $status)" >&2
    cat "$work/run-stop.log" >&2
    exit 1
fi
start_agent after-stop
loaded=$(grep -c "loaded saved state" "$work/run-after-stop.log" || true)
if ((loaded != 4)); then
    echo "FAIL: after SIGTERM, $loaded of the 4 state files were loaded" >&2
    cat "$work/run-after-stop.log" >&2
    exit 1
fi

echo "ok: $kills SIGKILLs during saves; every restart loaded the last complete state or started empty;" \
    "SIGTERM saved all 4 files"
