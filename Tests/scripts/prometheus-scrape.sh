#!/usr/bin/env bash
# Scrapes `ember serve` with a real Prometheus server (Debian's `prometheus` package) and checks,
# through Prometheus' HTTP API, that the target is up and that every collector expected to have
# data on the given root produced series.
#
#   prometheus-scrape.sh EMBER_BINARY LABEL SYSFS PROCFS COLLECTOR...
#
# Each COLLECTOR is NAME=METRIC: a family that collector must export on this root. Loopback only.
set -euo pipefail

ember=$1 label=$2 sysfs=$3 procfs=$4
shift 4
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/ember-prom.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {  # wait_for SECONDS URL
    local deadline=$((SECONDS + $1))
    until curl -fsS -o /dev/null "$2" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            echo "FAIL [$label] $2 did not answer within $1 s" >&2
            return 1
        fi
        sleep 0.2
    done
}

ember_port=$(free_port)
"$ember" serve --web.listen-address="127.0.0.1:$ember_port" --path.sysfs="$sysfs" --path.procfs="$procfs" \
    --storage.path="$work/state" --log.level=warn 2>"$work/ember.log" &
pids+=($!)
wait_for 20 "http://127.0.0.1:$ember_port/healthz"

prometheus_port=$(free_port)
sed -e "s/localhost:9811/127.0.0.1:$ember_port/" -e 's/scrape_interval: 15s/scrape_interval: 1s/' \
    -e 's/scrape_timeout: 5s/scrape_timeout: 1s/' "$repo/exporters/prometheus.yml" >"$work/prometheus.yml"
promtool check config "$work/prometheus.yml" >/dev/null
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prometheus_port" --log.level=warn 2>"$work/prometheus.log" &
pids+=($!)
wait_for 60 "http://127.0.0.1:$prometheus_port/-/ready"
api="http://127.0.0.1:$prometheus_port/api/v1"

# The target is up once Prometheus has scraped it successfully.
deadline=$((SECONDS + 60))
until curl -fsS "$api/targets" | python3 -c '
import json, sys
targets = json.load(sys.stdin)["data"]["activeTargets"]
sys.exit(0 if targets and all(t["health"] == "up" for t in targets) else 1)'; do
    if ((SECONDS >= deadline)); then
        echo "FAIL [$label] target never became up" >&2
        curl -fsS "$api/targets" >&2 || true
        exit 1
    fi
    sleep 1
done
echo "ok   [$label] Prometheus reports the ember target up"

failures=0
for pair in "$@"; do
    collector=${pair%%=*} metric=${pair#*=}
    count=$(curl -fsS --get "$api/query" --data-urlencode "query=count(${metric}{job=\"ember\"})" | python3 -c '
import json, sys
result = json.load(sys.stdin)["data"]["result"]
print(int(float(result[0]["value"][1])) if result else 0)')
    success=$(curl -fsS --get "$api/query" \
        --data-urlencode "query=ember_collector_success{job=\"ember\",collector=\"$collector\"}" | python3 -c '
import json, sys
result = json.load(sys.stdin)["data"]["result"]
print(result[0]["value"][1] if result else "absent")')
    if ((count > 0)) && [[ $success == 1 ]]; then
        echo "ok   [$label] $collector: $count series of $metric, ember_collector_success 1"
    else
        echo "FAIL [$label] $collector: $count series of $metric, ember_collector_success $success" >&2
        failures=$((failures + 1))
    fi
done

if ((failures > 0)); then
    echo "--- ember log" >&2
    cat "$work/ember.log" >&2
    exit 1
fi
