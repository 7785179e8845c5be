#!/usr/bin/env bash
# Replays a root-only cpuinfo_cur_freq (mode 0400, as the kernel creates it) with a real EACCES.
# Runs `ember snapshot` (two samples) as user nobody on a copy of
# Tests/Fixtures/faults/cpufreq-root-only and checks that each denied file is opened once in all
# (counted with strace when it is installed), logged once with the capability that grants access,
# and reported as `ember_source_available 0` while the collector succeeds. Then runs it again with
# CAP_DAC_READ_SEARCH and checks that the hardware frequency is exported.
#
# Usage: root-only-replay.sh EMBER FIXTURES. Needs root to switch users with setpriv; without root
# it skips, except under CI=true, where it fails.
set -euo pipefail

ember=$1
fixtures=$2

if [[ $(id -u) -ne 0 ]]; then
    echo "root-only replay: needs root to run the agent as user nobody" >&2
    [[ "${CI:-}" != true ]]
    exit
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$fixtures/faults/cpufreq-root-only" "$work/tree"
mkdir -p "$work/tree/proc"
cp "$ember" "$work/ember"
chmod -R a+rX "$work"
chmod 0400 "$work"/tree/sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_cur_freq

# snapshot OUTPUT [SETPRIV-FLAGS...]: two samples of the cpufreq collector as nobody.
snapshot() {
    local output=$1
    shift
    local command=(setpriv --reuid=65534 --regid=65534 --clear-groups "$@" "$work/ember" snapshot
        --path.sysfs="$work/tree/sys" --path.procfs="$work/tree/proc" --collector.disable-defaults
        --collector.cpufreq --sample.interval=1s --no-storage --log.level=info)
    if command -v strace >/dev/null; then
        strace -f -qq -e trace=openat -o "$output.trace" "${command[@]}" >"$output.prom" 2>"$output.log"
    else
        "${command[@]}" >"$output.prom" 2>"$output.log"
    fi
}

fail() {
    echo "root-only replay: $*" >&2
    exit 1
}

denied="$work/denied"
snapshot "$denied"
available=$(grep -c '^ember_source_available{collector="cpufreq",needs="[^"]*",source=".*/cpuinfo_cur_freq"} 0$' \
    "$denied.prom" || true)
[[ $available -eq 2 ]] || fail "expected 2 unavailable cpuinfo_cur_freq sources, found $available"
grep -q '^ember_collector_success{collector="cpufreq"} 1$' "$denied.prom" || fail "cpufreq collector did not succeed"
! grep -q '^node_cpu_frequency_hertz' "$denied.prom" || fail "a denied read became node_cpu_frequency_hertz"
grep -q '^node_cpu_scaling_frequency_hertz{cpu="1"} 1.8e+09$' "$denied.prom" || fail "scaling frequency missing"
logged=$(grep -c 'source not readable by this user.*cpuinfo_cur_freq.*CAP_DAC_READ_SEARCH' "$denied.log" || true)
[[ $logged -eq 2 ]] || fail "expected one log line per denied file, found $logged"
if [[ -f "$denied.trace" ]]; then
    opens=$(grep -c 'cpuinfo_cur_freq.*EACCES' "$denied.trace" || true)
    [[ $opens -eq 2 ]] || fail "expected one open per denied file over two samples, found $opens"
fi

granted="$work/granted"
snapshot "$granted" --inh-caps=+dac_read_search --ambient-caps=+dac_read_search
frequencies=$(grep -c '^node_cpu_frequency_hertz{cpu="[01]"} 1.8e+09$' "$granted.prom" || true)
[[ $frequencies -eq 2 ]] || fail "with CAP_DAC_READ_SEARCH expected 2 hardware frequencies, found $frequencies"
! grep -q '^ember_source_available' "$granted.prom" || fail "a source is unavailable with CAP_DAC_READ_SEARCH"
