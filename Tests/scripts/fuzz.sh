#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzzing/ with AddressSanitizer and runs each for SECONDS
# (default 3), starting from its committed seed corpus in Fuzzing/Corpus/TARGET.
#
#   bash Tests/scripts/fuzz.sh                 # the short run test.sh uses: 3 s per target
#   bash Tests/scripts/fuzz.sh 600             # the long run: 10 minutes per target
#   bash Tests/scripts/fuzz.sh 60 FuzzHTTPRequest FuzzQuery   # chosen targets only
#
# FUZZ_SEED=N fixes libFuzzer's random seed, so a short run explores the same inputs each time and
# a failure it finds reproduces; without it each run draws a new seed, which its log records.
#
# Fails when a target crashes, leaks, runs over 10 s on one input or over 2 GiB of memory. The
# input that did it is kept in .build/fuzz/crashes/TARGET/ (libFuzzer names it crash-*, leak-*,
# timeout-* or oom-*); reproduce it with `Fuzzing/.build/release/TARGET FILE`. New inputs the
# fuzzer finds go to .build/fuzz/corpus/TARGET, which later runs reuse; the committed seeds stay as
# they are (Fuzzing/make-corpus.py rewrites them). Each run's log is .build/fuzz/logs/TARGET.log.
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

seconds=${1:-3}
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)); then
    echo "fuzz.sh: invalid SECONDS \"$seconds\": expected a positive whole number of seconds per target" >&2
    exit 2
fi

bash Tests/scripts/setup.sh --build-only || { echo "fuzz.sh: setup failed" >&2; exit 1; }

# ld.gold, the default linker, stops with an internal error (dwarf_reader.cc:2713) on these
# executables, which SwiftPM links with `--defsym main=<module>_main` next to libFuzzer's own `main`.
# So the targets link with the toolchain's lld through a toolset file.
swift_bin=$(dirname "$(readlink -f "$(command -v swift)")")
if [[ ! -x "$swift_bin/ld.lld" ]]; then
    echo "fuzz.sh: no ld.lld next to $swift_bin/swift; the fuzz targets need the Swift toolchain's lld" >&2
    exit 1
fi
work="$repo/.build/fuzz"
mkdir -p "$work"
printf '{"schemaVersion": "1.0", "linker": {"path": "%s"}}\n' "$swift_bin/ld.lld" >"$work/toolset.json"

echo "== building the fuzz targets"
started=$(date +%s)
# -enable-testing lets the targets reach internal parsers through @testable imports.
if ! swift build --package-path Fuzzing -c release --toolset "$work/toolset.json" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing; then
    echo "fuzz.sh: build failed" >&2
    exit 1
fi
echo "built in $(($(date +%s) - started)) s"

targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=($(ls Fuzzing/Corpus))
fi

# Swift's backtracer would hold a crashing target for minutes; ASan prints the stack itself.
# Deterministic hashing gives Swift's Set and Dictionary the same order in every run, so a
# crashing input reproduces.
export SWIFT_BACKTRACE=enable=no
export SWIFT_DETERMINISTIC_HASHING=1
export ASAN_OPTIONS="quarantine_size_mb=64:${ASAN_OPTIONS:-}"

failed=()
for target in "${targets[@]}"; do
    binary="Fuzzing/.build/release/$target"
    if [[ ! -x "$binary" || ! -d "Fuzzing/Corpus/$target" ]]; then
        echo "fuzz.sh: unknown target $target; the targets are: $(ls Fuzzing/Corpus | tr '\n' ' ')" >&2
        exit 2
    fi
    corpus="$work/corpus/$target"
    crashes="$work/crashes/$target"
    log="$work/logs/$target.log"
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    dictionary="Fuzzing/Dictionaries/$target.dict"
    [[ -f "$dictionary" ]] || dictionary="Fuzzing/Dictionaries/sysfs.dict"

    seed_option=()
    [[ -n "${FUZZ_SEED:-}" ]] && seed_option=(-seed="$FUZZ_SEED")
    "$binary" "${seed_option[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$crashes/" -dict="$dictionary" "$corpus" "Fuzzing/Corpus/$target" >"$log" 2>&1
    status=$?
    runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
    coverage=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
    if ((status == 0)); then
        echo "ok   $target: ${runs:-?} inputs in ${seconds} s, $coverage"
    else
        failed+=("$target")
        echo "FAIL $target (exit status $status); log: $log"
        grep -E "^==[0-9]+==ERROR|^SUMMARY|Fatal error|Test unit written to" "$log" | head -5
    fi
done

if ((${#failed[@]})); then
    echo "fuzz.sh: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets ran ${seconds} s each with no crash, leak or timeout"
