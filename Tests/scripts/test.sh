#!/usr/bin/env bash
# The test command: installs what the tests need, runs the unit and fixture tests (swift test),
# then the checks against real components with the release binary:
#   - `promtool check metrics` on the output for every fixture tree and for this machine;
#   - a root-only `cpuinfo_cur_freq` read as user nobody: opened once, logged once, reported as
#     unavailable, and readable with CAP_DAC_READ_SEARCH (root-only-replay.sh);
#   - a real Prometheus server scraping `ember serve` on this machine and on the RK3588 mainline tree,
#     with the alert rules loaded: every rule evaluates, and the mainline tree's faults fire alerts;
#   - 30 SIGKILLs of `ember serve` during state saves, each restart loading a complete state;
#   - a load test: 1000 idle connections beside 8 scrapers for 30 s, every scrape complete, memory bounded;
#   - the command-line contract (help, version, exit codes);
#   - the alert rules and the Grafana dashboard (check-monitoring.py: families exist in METRICS.md,
#     `promtool check rules`, `promtool test rules`);
#   - least privilege (check-privileges.sh): no write outside the storage directory under strace,
#     `systemd-analyze` of the unit, and the start-up report as user nobody with and without
#     CAP_SYS_ADMIN;
#   - every libFuzzer target for 3 s under AddressSanitizer with a fixed seed (fuzz.sh, about 3
#     minutes with its build);
#   - the QEMU test bed: `ember snapshot` on a real kernel with emulated devices (Tests/qemu).
# Takes about 5 minutes on a 2-core machine from a clean clone, most of it compiling, plus about 3
# for the fuzz targets.
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

bash Tests/scripts/setup.sh || { echo "setup failed" >&2; exit 1; }

passed=0 failed=0
check() {  # check NAME COMMAND...
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
    fi
}

echo "== alert rules and dashboard"
check "alert rules and dashboard" python3 Tests/scripts/check-monitoring.py

echo "== swift test"
if ! swift build --build-tests; then
    echo "build failed" >&2
    exit 1
fi
check "swift test" swift test --skip-build

echo "== release build"
if ! swift build -c release --static-swift-stdlib -Xswiftc -Osize --product ember; then
    echo "release build failed" >&2
    exit 1
fi
ember="$repo/.build/release/ember"

fixtures="$repo/Tests/Fixtures"
roots=(
    "host|/sys|/proc"
    "node-exporter|$fixtures/node-exporter/sys|$fixtures/node-exporter/proc"
)
for variant in opi5plus-v5.10 opi5plus-v6.1 opi5plus-mainline; do
    roots+=("$variant|$fixtures/rk3588/$variant/sys|$fixtures/rk3588/$variant/proc")
done

echo "== promtool check metrics"
lint() {  # lint SYSFS PROCFS FORMAT
    local output findings
    output=$("$ember" snapshot --path.sysfs="$1" --path.procfs="$2" --path.debugfs="$1/kernel/debug" \
        --sample.interval=200ms --format="$3" --log.level=error) || return 1
    [[ -n "$output" ]] || return 1
    findings=$(printf '%s\n' "$output" | promtool check metrics 2>&1)
    [[ -z "$findings" ]] || { printf '%s\n' "$findings" | head -20; return 1; }
}
for entry in "${roots[@]}"; do
    IFS='|' read -r name sysfs procfs <<<"$entry"
    check "promtool check metrics: $name" lint "$sysfs" "$procfs" text
done

check "root-only cpuinfo_cur_freq as nobody: read once, reported once" \
    bash Tests/scripts/root-only-replay.sh "$ember" "$fixtures"

echo "== Prometheus scrapes ember"
check "prometheus scrape: host" bash Tests/scripts/prometheus-scrape.sh "$ember" host /sys /proc \
    cpu=node_cpu_seconds_total netclass=node_network_up netdev=node_network_receive_bytes_total
mainline="$fixtures/rk3588/opi5plus-mainline"
check "prometheus scrape: rk3588 mainline" bash Tests/scripts/prometheus-scrape.sh "$ember" mainline \
    "$mainline/sys" "$mainline/proc" \
    cpu=node_cpu_seconds_total cpufreq=node_cpu_scaling_frequency_hertz \
    thermal_zone=node_thermal_zone_temp hwmon=node_hwmon_temp_celsius \
    netclass=node_network_up netdev=node_network_receive_bytes_total bonding=node_bonding_slaves \
    powersupplyclass=node_power_supply_online nvme=node_nvme_info \
    alert=FilesystemForcedReadOnly alert=EmmcPreEolWarning

echo "== crash safety"
check "crash test: 30 SIGKILLs during state saves" bash Tests/scripts/crash-test.sh "$ember" 30
check "least privilege: no writes, unit, report as nobody" bash Tests/scripts/check-privileges.sh "$ember"

echo "== HTTP load"
check "load test: 1000 idle connections, 8 scrapers" python3 Tests/scripts/load-test.py --ember "$ember"

echo "== command line"
check "ember version" bash -c "'$ember' version | grep -q '^ember '"
check "ember serve --help" bash -c "'$ember' serve --help | grep -q -- '--web.listen-address'"
check "unknown flag exits 2" bash -c "'$ember' serve --no-such-flag 2>/dev/null; test \$? -eq 2"
check "ember snapshot --format openmetrics ends with # EOF" bash -c "'$ember' snapshot --format openmetrics \
    --path.sysfs='$fixtures/node-exporter/sys' --path.procfs='$fixtures/node-exporter/proc' --sample.interval=100ms \
    --log.level=error | tail -n 1 | grep -qx '# EOF'"
check "unknown collector exits 2" bash -c "'$ember' snapshot --collector.nonexistent 2>/dev/null; test \$? -eq 2"
check "no command exits 2, usage on stderr" bash -c \
    "out=\$('$ember' 2>/dev/null); status=\$?; test \$status -eq 2 && test -z \"\$out\" && '$ember' 2>&1 | grep -q '^Usage:'"

check "read deadline: snapshot and serve with a FIFO thermal zone" bash Tests/scripts/read-deadline.sh "$ember" "$fixtures"
check "kept files: a real network device removed and added" bash Tests/scripts/device-removal.sh "$ember"
check "TLS and basic auth with curl and openssl s_client" bash Tests/scripts/tls-check.sh "$ember"
check "footprint benchmark smoke run" python3 Tests/scripts/footprint.py --quick --ember "$ember"
check "release binary links no _StringProcessing" bash -c "! nm '$ember' | grep -q 17_StringProcessing"

echo "== fuzzing"
check "fuzz targets: 3 s each, no crash" env FUZZ_SEED=1 bash Tests/scripts/fuzz.sh 3

echo "== QEMU test bed"
check "qemu: ember snapshot on a real kernel" bash Tests/qemu/run.sh --ember "$ember" \
    --xctest "$repo/.build/debug/EmberPackageTests.xctest"

echo
echo "$passed passed, $failed failed"
((failed == 0))
