#!/usr/bin/env bash
# Runs the built agent on a copy of the RK3588 mainline fixture whose thermal zone 1 `temp` is a
# FIFO, so opening it blocks in the kernel until a writer appears, as a sensor whose driver never
# returns. Loopback only.
#   1. `ember snapshot`: finishes in time, zone 0 exported, zone 1 absent (never 0 °C), the
#      abandoned read counted, and a log line naming the path and the deadline.
#   2. `ember serve`: the same on /metrics, and after the 30 s retry, with a writer feeding the
#      FIFO, zone 1 comes back and its recovery is logged once. Takes about 40 s.
# Usage: read-deadline.sh EMBER FIXTURES_DIR
set -euo pipefail
ember=$1
fixtures=$2

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "read-deadline: $*" >&2
    exit 1
}

tree="$work/tree"
mkdir "$tree"
cp -a "$fixtures/rk3588/opi5plus-mainline/." "$tree/"
fifo="$tree/sys/devices/virtual/thermal/thermal_zone1/temp"
rm "$fifo"
mkfifo "$fifo"
logged_path="$tree/sys/class/thermal/thermal_zone1/temp"
zone0='node_thermal_zone_temp{type="package-thermal",zone="0"} 38.846'
zone1='node_thermal_zone_temp{type="bigcore0-thermal",zone="1"}'
timeouts='ember_read_timeouts_total{collector="thermal_zone"}'

# 1. ember snapshot: two samples 1 s apart, with room for a loaded machine. Zone 0 shows that the
# deadline worked: without it the whole thermal collector misses the sample timeout and zone 0 is
# absent too.
start=$(date +%s%N)
timeout 20 "$ember" snapshot --path.sysfs="$tree/sys" --path.procfs="$tree/proc" --sample.interval=1s \
    --collector.read-timeout=250ms --log.level=warn >"$work/snapshot.prom" 2>"$work/snapshot.log"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
((elapsed_ms < 5000)) || fail "snapshot took ${elapsed_ms} ms, expected under 5000 ms"
grep -qxF "$zone0" "$work/snapshot.prom" || fail "snapshot: zone 0 temperature missing"
! grep -qF "$zone1" "$work/snapshot.prom" || fail "snapshot: zone 1 exported although its read blocked"
grep -qxF "$timeouts 1" "$work/snapshot.prom" || fail "snapshot: $timeouts is not 1"
grep -q "read timed out and was abandoned.*collector=thermal_zone path=$logged_path deadline=250ms" \
    "$work/snapshot.log" || fail "snapshot: no log line naming the path and the deadline"
echo "read-deadline: snapshot took ${elapsed_ms} ms"

# 2. ember serve, scraped over loopback.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$ember" serve --web.listen-address="127.0.0.1:$port" --path.sysfs="$tree/sys" --path.procfs="$tree/proc" \
    --no-storage --collector.read-timeout=250ms --log.level=info 2>"$work/serve.log" &
pids+=($!)
for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    sleep 0.2
done
sleep 2
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/before.prom" || fail "serve: /metrics did not respond"
grep -qxF "$zone0" "$work/before.prom" || fail "serve: zone 0 temperature missing"
! grep -qF "$zone1" "$work/before.prom" || fail "serve: zone 1 exported although its read blocked"
grep -qxF "$timeouts 1" "$work/before.prom" || fail "serve: $timeouts is not 1 after later samples skipped it"

# Every open of the FIFO for reading now gets one value from this writer.
( while true; do echo 41000 >"$fifo"; done ) &
pids+=($!)
for _ in $(seq 60); do
    curl -fsS "http://127.0.0.1:$port/metrics" >"$work/after.prom" || true
    grep -qxF "$zone1 41" "$work/after.prom" && break
    sleep 1
done
grep -qxF "$zone1 41" "$work/after.prom" || fail "serve: zone 1 did not come back after its retry"
recoveries=$(grep -c "file responds again.*collector=thermal_zone" "$work/serve.log" || true)
((recoveries == 1)) || fail "serve: expected one recovery log line for thermal_zone, found $recoveries"
echo "read-deadline: serve skipped zone 1, then read it again after the retry"
