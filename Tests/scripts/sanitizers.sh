#!/usr/bin/env bash
# Runs the XCTest suite under Swift's sanitizers, one build directory per sanitizer so the normal
# debug build is left alone. Slow (each sanitizer rebuilds everything), so it is a separate
# documented command and not part of Tests/scripts/test.sh.
#
#   bash Tests/scripts/sanitizers.sh                       # address, then thread, whole suite
#   bash Tests/scripts/sanitizers.sh address               # one sanitizer
#   bash Tests/scripts/sanitizers.sh thread -- --filter EmberCoreTests   # extra `swift test` arguments
#
# Sanitizers: address (ASan with LeakSanitizer) and thread (TSan). Swift 6.3.1 on Linux rejects
# `-sanitize=undefined` ("unsupported option ... for target x86_64-unknown-linux-gnu"), so UBSan is
# not offered.
# Each run's full output goes to .build/sanitizers/NAME.log, and the script prints the XCTest
# summary and every sanitizer report heading. It exits non-zero when a build or a test fails or
# a sanitizer reports anything.
set -uo pipefail
cd "$(dirname "$0")/../.."

sanitizers=()
while (($#)) && [[ "$1" != "--" ]]; do
    sanitizers+=("$1")
    shift
done
[[ "${1:-}" == "--" ]] && shift
extra=("$@")
((${#sanitizers[@]})) || sanitizers=(address thread)

bash Tests/scripts/setup.sh --build-only || { echo "sanitizers: setup failed" >&2; exit 1; }
mkdir -p .build/sanitizers

# Swift's backtracer would hold a crashing test process for minutes; the sanitizer prints its own
# stack. halt_on_error=0 lets TSan report every race, not just the first.
export SWIFT_BACKTRACE=enable=no
export TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1 ${ASAN_OPTIONS:-}"

status=0
for sanitizer in "${sanitizers[@]}"; do
    log=".build/sanitizers/$sanitizer.log"
    echo "== swift test --sanitize=$sanitizer ${extra[*]}"
    started=$(date +%s)
    swift test --sanitize="$sanitizer" --scratch-path ".build/sanitize-$sanitizer" "${extra[@]}" >"$log" 2>&1
    result=$?
    echo "exit status $result after $(($(date +%s) - started)) s; log: $log"
    grep -E "Executed [0-9]+ tests" "$log" | tail -1
    # Sanitizer reports start with "WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
    # "ERROR: LeakSanitizer" or "runtime error:" (UBSan).
    reports=$(grep -cE "WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:" "$log")
    echo "sanitizer reports: $reports"
    grep -E "WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:|^SUMMARY:" "$log" | sort | uniq -c
    if ((result != 0 || reports != 0)); then
        status=1
    fi
done
exit $status
