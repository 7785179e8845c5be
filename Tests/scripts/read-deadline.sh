#!/usr/bin/env bash
# Runs the built `ember snapshot` on a copy of the RK3588 mainline fixture whose thermal zone 1
# `temp` is a FIFO that no process writes to, so opening it blocks in the kernel. Passes when the
# snapshot finishes in time, zone 0 is exported, zone 1 is absent (never 0 °C), the abandoned read
# is counted, and the log names the path and the deadline.
# Usage: read-deadline.sh EMBER FIXTURES_DIR
set -euo pipefail
ember=$1
fixtures=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$fixtures/rk3588/opi5plus-mainline/." "$work/"
fifo="$work/sys/devices/virtual/thermal/thermal_zone1/temp"
rm "$fifo"
mkfifo "$fifo"

start=$(date +%s%N)
timeout 20 "$ember" snapshot --path.sysfs="$work/sys" --path.procfs="$work/proc" --sample.interval=1s \
    --collector.read-timeout=250ms --log.level=warn >"$work/out.prom" 2>"$work/log.txt"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))

fail() {
    echo "read-deadline: $*" >&2
    exit 1
}
# Two samples 1 s apart, with room for a loaded machine. Zone 0 shows that the deadline worked:
# without it the whole thermal collector misses the sample timeout and zone 0 is absent too.
((elapsed_ms < 5000)) || fail "snapshot took ${elapsed_ms} ms, expected under 5000 ms"
grep -qx 'node_thermal_zone_temp{type="package-thermal",zone="0"} 38.846' "$work/out.prom" \
    || fail "zone 0 temperature missing"
if grep -q 'node_thermal_zone_temp{type="bigcore0-thermal",zone="1"}' "$work/out.prom"; then
    fail "zone 1 exported although its read blocked"
fi
grep -qx 'ember_read_timeouts_total{collector="thermal_zone"} 1' "$work/out.prom" \
    || fail "ember_read_timeouts_total for thermal_zone is not 1"
logged_path="$work/sys/class/thermal/thermal_zone1/temp"
grep -q "read timed out and was abandoned.*collector=thermal_zone path=$logged_path deadline=250ms" "$work/log.txt" \
    || fail "no log line naming the path and the deadline"
echo "read-deadline: snapshot took ${elapsed_ms} ms"
