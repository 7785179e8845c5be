#!/usr/bin/env bash
# Compares the CPU cost of one sysfs attribute read without and with the per-read deadline:
# a bare open+read+close loop, SystemFileSystem(), and SystemFileSystem(readTimeoutSeconds:).
# The stdio modes read as libsensors does, bare and under `withReadDeadline`.
# Runs the modes in turn ROUNDS times and prints each mode's median CPU ns per read.
# Usage: read-guard-benchmark.sh [PATH] [READS] [ROUNDS] [MODES], MODES space-separated
# (default "raw plain guarded stdio stdio-guarded").
set -euo pipefail
cd "$(dirname "$0")/../.."
path=${1:-/sys/class/net/lo/mtu}
reads=${2:-300000}
rounds=${3:-9}
modes=${4:-raw plain guarded stdio stdio-guarded}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swiftc -O -module-name ReadGuardBenchmark $(find Sources/EmberCore -name '*.swift') \
    Tests/scripts/read-guard-benchmark/main.swift -o "$work/bench"

for ((round = 0; round < rounds; round++)); do
    for mode in $modes; do
        "$work/bench" "$mode" "$path" "$reads"
    done
done | sort -k1,1 -k2,2n | awk -v rounds="$rounds" '
    { values[$1] = values[$1] " " $2; count[$1]++ }
    count[$1] == int((rounds + 1) / 2) { median[$1] = $2 }
    END { for (mode in median) printf "%-8s median %d CPU ns per read over %d runs\n", mode, median[mode], rounds }'
