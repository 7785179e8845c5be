#!/usr/bin/env bash
# Measures the resident memory of `ember serve` on the RK3588 mainline fixture, with an empty
# storage directory (so the history is nearly empty) and one scrape of /metrics a second.
#
#   bash Tests/scripts/serve-memory.sh [BINARY] [PORT] [SECONDS]
#
# Prints VmRSS, RssAnon, the resident part of the main malloc heap ([heap] in smaps) and the
# thread count after 10 s, 30 s and SECONDS (default 60). BINARY defaults to the release build,
# PORT to 19400 on 127.0.0.1. Only the agent this script starts is stopped, by its pid.
set -euo pipefail
cd "$(dirname "$0")/../.."

binary=${1:-.build/release/ember}
port=${2:-19400}
seconds=${3:-60}
fixture=Tests/Fixtures/rk3588/opi5plus-mainline
storage=$(mktemp -d)

SWIFT_BACKTRACE=enable=no "$binary" serve --path.sysfs="$fixture/sys" --path.procfs="$fixture/proc" \
    --path.debugfs="$fixture/sys/kernel/debug" --storage.path="$storage" --log.level=error \
    --web.listen-address="127.0.0.1:$port" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$storage"' EXIT

status_kib() {
    awk -v key="$1:" '$1 == key { print $2 }' "/proc/$pid/status"
}

report() {
    local heap
    heap=$(awk '/\[heap\]/ { found = 1; next } found && /^Rss:/ { print $2; exit }' "/proc/$pid/smaps")
    echo "t=${1}s VmRSS=$(status_kib VmRSS)kB RssAnon=$(status_kib RssAnon)kB heap=${heap:-0}kB" \
        "threads=$(status_kib Threads)"
}

for ((second = 1; second <= seconds; second++)); do
    sleep 1
    curl -s -o /dev/null "127.0.0.1:$port/metrics" || true
    if ((second == 10 || second == 30 || second == seconds)); then
        report "$second"
    fi
done
