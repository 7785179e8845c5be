#!/usr/bin/env bash
# Removes and re-adds a real network device under a running agent that keeps its sysfs files open.
#
# It runs in a private network and mount namespace with its own sysfs mounted, which lists that
# namespace's interfaces only. There it creates a veth pair probe0 and probe1 and starts
# `ember serve` with the netclass collector and the default 1m rescan. It checks on /metrics that:
#   1. probe0's series are there, and the agent keeps its sysfs attribute files open;
#   2. after `ip link del probe0`, the next samples drop its series: the kept descriptors fail with
#      ENODEV, which starts a rescan, and no stale value stays;
#   3. after the pair is added again, its series return;
#   4. a pair the agent has never seen, probe2 and probe3, shows within 5 s, long before the rescan
#      interval: the kernel sends the new devices' add uevents to the namespace that owns them,
#      and each starts a rescan at the next sample.
# Needs root (unshare, mount) and iproute2. Takes a few seconds. Loopback of the private namespace only.
# Usage: device-removal.sh EMBER
set -euo pipefail
ember=$1

if [[ $(id -u) -ne 0 ]]; then
    echo "device-removal: skipped, unshare and mount need root" >&2
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The namespace ends with the inner shell, which stops the agent it started by its pid.
unshare --net --mount bash -s "$ember" "$work" <<'INNER'
set -euo pipefail
ember=$1
work=$2
port=9811

fail() {
    echo "device-removal: $*" >&2
    kill "$agent" 2>/dev/null || true
    exit 1
}

mkdir "$work/sys"
mount -t sysfs sysfs "$work/sys"
ip link set lo up
ip link add probe0 type veth peer name probe1

"$ember" serve --web.listen-address="127.0.0.1:$port" --path.sysfs="$work/sys" --path.procfs=/proc \
    --collector.disable-defaults --collector.netclass --no-storage --log.level=warn 2>"$work/log" &
agent=$!

metrics() {
    curl -sf "http://127.0.0.1:$port/metrics" || true
}

# Waits up to $1 seconds for `metrics | grep -c DEVICE` to satisfy the test in $2 (such as "-gt 0").
# DEVICE is $3, probe0 by default.
wait_for_probe() {
    local deadline=$((SECONDS + $1))
    local device=${3:-probe0}
    while ((SECONDS < deadline)); do
        local count
        count=$(metrics | grep -c "device=\"$device\"" || true)
        if [ "$count" $2 ]; then
            echo "$count"
            return 0
        fi
        sleep 0.2
    done
    return 1
}

present=$(wait_for_probe 10 "-gt 0") || fail "probe0 never appeared on /metrics"
kept=$(ls -l "/proc/$agent/fd" | grep -c "$work/sys/devices/virtual/net/probe0/" || true)
[ "$kept" -gt 0 ] || fail "the agent keeps no probe0 attribute file open"
echo "device-removal: probe0 exported with $present series, $kept of its files kept open"

ip link del probe0
removed_at=$SECONDS
wait_for_probe 3 "-eq 0" >/dev/null || fail "probe0's series stayed on /metrics 3 s after its removal"
left=$(ls -l "/proc/$agent/fd" | grep -c "/probe0/" || true)
[ "$left" -eq 0 ] || fail "$left descriptors of the removed probe0 are still open"
echo "device-removal: series gone $((SECONDS - removed_at)) s after ip link del, descriptors closed"

ip link add probe0 type veth peer name probe1
added_at=$SECONDS
wait_for_probe 13 "-gt 0" >/dev/null || fail "probe0 did not return within 13 s"
echo "device-removal: probe0 back $((SECONDS - added_at)) s after ip link add"

ip link add probe2 type veth peer name probe3
added_at=$SECONDS
wait_for_probe 5 "-gt 0" probe2 >/dev/null || fail "probe2 did not show within 5 s: its add uevent started no rescan"
echo "device-removal: new device probe2 shown $((SECONDS - added_at)) s after ip link add"

kill "$agent"
wait "$agent" || true
if grep -q 'level=error' "$work/log"; then
    cat "$work/log" >&2
    fail "the agent logged errors"
fi
umount "$work/sys"
INNER
