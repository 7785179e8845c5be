#!/usr/bin/env bash
# Scrapes `ember serve` with a real Prometheus server (Debian's `prometheus` package) and checks,
# through Prometheus' HTTP API, that the target is up, that every collector expected to have
# data on the given root produced series, and that every rule of exporters/rules evaluates
# without an error on that data.
#
#   prometheus-scrape.sh EMBER_BINARY LABEL SYSFS PROCFS EXPECTATION...
#
# Each EXPECTATION is NAME=METRIC, a family the collector NAME must export on this root, or
# alert=ALERTNAME, an alert of exporters/rules that must fire on this root. Loopback only.
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
    -e 's/evaluation_interval: 15s/evaluation_interval: 1s/' \
    -e 's/scrape_timeout: 5s/scrape_timeout: 1s/' "$repo/exporters/prometheus.yml" >"$work/prometheus.yml"
cp -R "$repo/exporters/rules" "$work/rules"
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

# A rule whose vector matching fails on real series (duplicate label sets, say) only shows as
# health "err" once Prometheus evaluates it, which promtool's unit tests do not catch.
rule_health() {
    curl -fsS "$api/rules" | python3 -c '
import json, sys
rules = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
errors = [r["name"] + ": " + r.get("lastError", "") for r in rules if r["health"] == "err"]
pending = [r for r in rules if r["health"] == "unknown"]
print("\n".join(errors) if errors else ("unknown" if pending or not rules else "ok"))'
}
deadline=$((SECONDS + 30))
health=$(rule_health)
while [[ $health == unknown ]] && ((SECONDS < deadline)); do
    sleep 1
    health=$(rule_health)
done
if [[ $health != ok ]]; then
    echo "FAIL [$label] rules did not all evaluate: $health" >&2
    exit 1
fi
echo "ok   [$label] every rule of exporters/rules evaluates without an error"

firing_count() {  # firing_count ALERTNAME
    curl -fsS "$api/alerts" | python3 -c '
import json, sys
alerts = json.load(sys.stdin)["data"]["alerts"]
print(sum(1 for a in alerts if a["labels"]["alertname"] == sys.argv[1] and a["state"] == "firing"))' "$1"
}

expect_alert() {  # expect_alert ALERTNAME
    local deadline=$((SECONDS + 30)) count
    count=$(firing_count "$1")
    while ((count == 0)) && ((SECONDS < deadline)); do
        sleep 1
        count=$(firing_count "$1")
    done
    if ((count > 0)); then
        echo "ok   [$label] alert $1 fires ($count alerts)"
        return 0
    fi
    echo "FAIL [$label] alert $1 did not fire within 30 s" >&2
    return 1
}

failures=0
for pair in "$@"; do
    collector=${pair%%=*} metric=${pair#*=}
    if [[ $collector == alert ]]; then
        expect_alert "$metric" || failures=$((failures + 1))
        continue
    fi
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
