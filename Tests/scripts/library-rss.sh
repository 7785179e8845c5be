#!/usr/bin/env bash
# Measures the resident memory of `ember serve` on the RK3588 mainline fixture, scraped once a second
# on loopback. It prints VmRSS, RssFile and RssAnon from /proc/PID/status after 10 s and 60 s. At 60 s
# it also prints the resident KiB of libssl, libcrypto and libcrypt from /proc/PID/smaps, 0 when one
# is not mapped. With TLS in WEB_CONFIG, the scrapes use https and skip certificate verification.
# Usage: library-rss.sh EMBER_BINARY PORT [WEB_CONFIG [CURL_ARGS...]]
set -euo pipefail
ember=${1:?usage: library-rss.sh EMBER_BINARY PORT [WEB_CONFIG [CURL_ARGS...]]}
port=${2:?usage: library-rss.sh EMBER_BINARY PORT [WEB_CONFIG [CURL_ARGS...]]}
config=${3:-}
shift 3 || shift $#
fixture="$(cd "$(dirname "$0")/../Fixtures/rk3588/opi5plus-mainline" && pwd)"
storage=$(mktemp -d)
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$storage"
}
trap cleanup EXIT

arguments=(serve --path.sysfs="$fixture/sys" --path.procfs="$fixture/proc" --path.debugfs="$fixture/sys/kernel/debug"
           --web.listen-address="127.0.0.1:$port" --storage.path="$storage")
scheme=http
if [[ -n "$config" ]]; then
    arguments+=(--web.config.file="$config")
    grep -q tls_server_config "$config" && scheme=https
fi
"$ember" "${arguments[@]}" >"$storage.log" 2>&1 &
pid=$!

status_line() {
    awk '/^(VmRSS|RssFile|RssAnon):/ {printf "%s %s KiB  ", $1, $2}' "/proc/$pid/status"
}
library_kib() {  # library_kib NAME prints the resident KiB of every mapping of NAME
    awk -v name="$1" '/^[0-9a-f]+-[0-9a-f]+ / {current = $6} /^Rss:/ && index(current, name) {sum += $2}
                      END {print sum + 0}' "/proc/$pid/smaps"
}

for second in $(seq 60); do
    sleep 1
    curl --silent --insecure --max-time 2 --output /dev/null "$@" "$scheme://127.0.0.1:$port/metrics" || true
    if ((second == 10)); then echo "10 s: $(status_line)"; fi
done
echo "60 s: $(status_line)"
echo "60 s libraries: libssl $(library_kib /libssl.so) KiB, libcrypto $(library_kib /libcrypto.so) KiB," \
     "libcrypt $(library_kib /libcrypt.so) KiB"
rm -f "$storage.log"
