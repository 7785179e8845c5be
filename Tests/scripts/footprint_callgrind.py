"""Instructions per sample cycle of `ember serve`, counted with callgrind, against a committed baseline.

Method. A copy of the release binary with its debug sections stripped (`strip -g`, because
valgrind 3.19 cannot read the DWARF that Swift 6 writes) runs as

    valgrind --tool=callgrind --dump-before=<Sampler.sampleOnce()> ember serve
        --sample.interval=1s --sample.timeout=1s --no-storage (default collectors, no scrapes)

so callgrind writes one profile each time a sample cycle starts. Profile k+1 contains exactly cycle k:
its collectors on the lane threads, the snapshot, the history and trailing windows
(`Agent.record`), the exposition plan (`ExpositionCache.publish`) and whatever the other
threads did until the next cycle started. Without scrapes the text exposition is not rendered:
the agent renders a snapshot's text at publish only while scrapers request it. The first WARMUP_CYCLES cycles (discovery, first
caches) are skipped and the next CYCLES are read. Counting whole cycles makes the count independent
of timing, where a window of N seconds cuts cycles at random points and catches a varying number.

Per cycle it reports the total and the inclusive instructions of four functions, found by their
demangled names in the binary's symbol table: `CollectorWorker.run(cycle:)` summed over the
collectors (sampling), `Sampler.sampleOnce()` on the sampler thread, `Agent.record(_:)` and
`ExpositionCache.publish(samples:sequence:wallTime:)`. The figure kept is the median over the
cycles. A few cycles carry periodic work: `HistoryTier.advance` encoding a chunk (up to 1.7 times
a plain cycle) and the release of start-up memory 30 s after the first sample. Whether such a
cycle falls among the measured ones depends on timing, so the median is stable where the mean is
not. The mean is printed beside it.

The interval is 1 s, not 100 ms, because callgrind runs the agent tens of times slower, and a
cycle that misses --sample.timeout abandons its collectors. The number of collector runs per cycle
is checked to be the same in every measured cycle.
"""
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time

from benchmark import REPO, free_port

BASELINE = os.path.join(REPO, "Tests", "bench", "cycle-instructions.json")
WARMUP_CYCLES = 10
CYCLES = 20
GROWTH_LIMIT = 0.10  # the largest growth of a count accepted without a reason in BENCHMARKS.md

# Figure name -> demangled name (swift demangle --simplified) of the function whose inclusive
# instructions it counts. "cycle" is also the function that triggers each profile dump.
FUNCTIONS = {
    "collectors": "CollectorWorker.run(cycle:)",
    "cycle": "Sampler.sampleOnce()",
    "history": "Agent.record(_:)",
    "exposition": "ExpositionCache.publish(samples:sequence:wallTime:)",
}
CHECKED = ("total", "collectors")  # the figures compared with the baseline


def stripped_copy(ember, work):
    copy = os.path.join(work, "ember")
    shutil.copy2(ember, copy)
    subprocess.run(["strip", "-g", copy], check=True)
    return copy


def mangled_names(binary):
    """Returns {figure: mangled symbol} for FUNCTIONS, from `nm` and `swift demangle`."""
    symbols = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True)
    mangled = [line.split()[-1] for line in symbols.stdout.splitlines() if line.split()[-1].startswith("$s")]
    demangled = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(mangled),
                               capture_output=True, text=True, check=True).stdout.splitlines()
    by_name = {}
    for symbol, name in zip(mangled, demangled):
        by_name.setdefault(name, []).append(symbol)

    names = {}
    for figure, name in FUNCTIONS.items():
        found = by_name.get(name, [])
        if len(found) != 1:
            raise RuntimeError(f"expected one symbol demangling to {name} in {binary}, found {len(found)}; "
                               "update FUNCTIONS in footprint_callgrind.py to the renamed function")
        names[figure] = found[0]
    return names


def parse_profile(path, names):
    """Reads one callgrind profile; returns the total Ir and, per figure, (calls, inclusive Ir).

    The profile must be written with --compress-strings=no, so every call line names its callee. The
    line after `calls=` contains the inclusive cost of those calls, Ir being the only event.
    """
    figures = {symbol: figure for figure, symbol in names.items()}
    counts = {figure: [0, 0] for figure in names}
    total, callee, after_calls = None, None, False
    with open(path) as f:
        for line in f:
            if after_calls:
                if callee in figures:
                    counts[figures[callee]][1] += int(line.split()[-1])
                after_calls = False
            elif line.startswith("cfn="):
                callee = line[4:].strip()
            elif line.startswith("calls="):
                after_calls = True
                if callee in figures:
                    counts[figures[callee]][0] += int(line[6:].split()[0])
            elif line.startswith(("totals:", "summary:")):
                total = int(line.split()[1])
    if total is None:
        raise RuntimeError(f"no totals line in {path}")
    return total, counts


def record_cycles(ember, sysfs, procfs, warmup, cycles, work):
    """Runs `ember serve` under callgrind until `warmup + cycles` cycles are dumped; returns their profiles."""
    binary = stripped_copy(ember, work)
    names = mangled_names(binary)
    output = os.path.join(work, "callgrind.out")
    command = ["valgrind", "--tool=callgrind", "--compress-strings=no", "--compress-pos=no",
               f"--dump-before={names['cycle']}", f"--callgrind-out-file={output}", binary, "serve",
               f"--web.listen-address=127.0.0.1:{free_port()}", f"--path.sysfs={sysfs}", f"--path.procfs={procfs}",
               "--sample.interval=1s", "--sample.timeout=1s", "--collector.read-timeout=500ms", "--no-storage",
               "--log.level=warn"]
    log = open(os.path.join(work, "valgrind.log"), "w")
    process = subprocess.Popen(command, stdout=log, stderr=log)
    # Profile k is complete once profile k + 1 exists; profile 1 is start-up, profile k + 1 cycle k.
    last = warmup + cycles + 2
    deadline = time.monotonic() + 120 + 5 * (warmup + cycles)
    try:
        while not os.path.exists(f"{output}.{last}"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"callgrind run ended or timed out before cycle {last - 1}; see "
                                   f"{log.name}: {tail(log.name)}")
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
    return [parse_profile(f"{output}.{k}", names) for k in range(warmup + 2, last)]


def tail(path):
    with open(path) as f:
        return " | ".join(f.read().strip().splitlines()[-3:])


def measure_tree(ember, name, sysfs, procfs, warmup=WARMUP_CYCLES, cycles=CYCLES):
    """Counts `cycles` sample cycles on one tree; returns the median and mean per figure."""
    with tempfile.TemporaryDirectory(prefix="ember-callgrind-") as work:
        profiles = record_cycles(ember, sysfs, procfs, warmup, cycles, work)

    runs = [counts["collectors"][0] for _, counts in profiles]
    if len(set(runs)) != 1:
        raise RuntimeError(f"collector runs per cycle varied on {name} ({sorted(set(runs))}): a cycle "
                           "missed --sample.timeout under callgrind, so its count is not a full cycle")
    for figure, name_in_binary in FUNCTIONS.items():
        if figure != "cycle" and any(counts[figure][0] == 0 for _, counts in profiles):
            raise RuntimeError(f"{name_in_binary} was not called in every cycle on {name}: the agent no "
                               "longer calls it each cycle, so FUNCTIONS needs the function that does")
    series = {"total": [total for total, _ in profiles]}
    for figure in FUNCTIONS:
        series[figure] = [counts[figure][1] for _, counts in profiles]
    return {
        "tree": name,
        "arch": platform.machine(),
        "warmup_cycles": warmup,
        "cycles": len(profiles),
        "collector_runs": runs[0],
        "median": {figure: int(statistics.median(values)) for figure, values in series.items()},
        "mean": {figure: int(statistics.mean(values)) for figure, values in series.items()},
        "min_total": min(series["total"]),
        "max_total": max(series["total"]),
    }


def table(rows):
    lines = ["| tree | cycles | collectors | sampler thread | history and windows | exposition | "
             "total (median) | total (mean) | total min–max |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        median = row["median"]
        lines.append(f"| {row['tree']} | {row['cycles']} | {median['collectors']:,} | {median['cycle']:,} | "
                     f"{median['history']:,} | {median['exposition']:,} | {median['total']:,} | "
                     f"{row['mean']['total']:,} | {row['min_total']:,}–{row['max_total']:,} |")
    return "\n".join(lines)


def load_baseline(path=BASELINE):
    if not os.path.exists(path):
        return {"trees": {}}
    with open(path) as f:
        return json.load(f)


def compare(rows, baseline):
    """Compares each row's CHECKED figures with the baseline; returns (report lines, regressions).

    A tree without a baseline, or with one taken on another architecture or over other cycle counts,
    is reported and not checked. The counts differ between x86_64 and aarch64 builds, and they grow
    with the cycle number while the trailing windows fill.
    """
    lines, regressions = [], []
    for row in rows:
        recorded = baseline["trees"].get(row["tree"])
        if recorded is None:
            lines.append(f"{row['tree']}: no baseline in {os.path.relpath(BASELINE, REPO)}; "
                         "record one with --update-baseline")
            continue
        if recorded["arch"] != row["arch"]:
            lines.append(f"{row['tree']}: not compared, the baseline was counted on {recorded['arch']}")
            continue
        if (recorded["warmup_cycles"], recorded["cycles"]) != (row["warmup_cycles"], row["cycles"]):
            lines.append(f"{row['tree']}: not compared, the baseline counts {recorded['cycles']} cycles after "
                         f"{recorded['warmup_cycles']} and this run {row['cycles']} after {row['warmup_cycles']}")
            continue
        for figure in CHECKED:
            before, now = recorded[figure], row["median"][figure]
            growth = now / before - 1
            lines.append(f"{row['tree']}: {figure} {now:,} instructions per cycle, baseline {before:,} "
                         f"at {recorded['commit']}, ratio {now / before:.3f}")
            if growth > GROWTH_LIMIT:
                regressions.append((row["tree"], figure, before, now, growth))
    return lines, regressions


def regression_lines(regressions):
    return [f"REGRESSION: {figure} instructions per sample cycle on the {tree} grew from {before:,} to {now:,} "
            f"(+{growth:.1%}, limit +{GROWTH_LIMIT:.0%}). Find the cause, or rerun with --accept-growth \"REASON\" "
            "to record the new count and the reason in BENCHMARKS.md."
            for tree, figure, before, now, growth in regressions]


def current_commit():
    """Returns HEAD's short hash, with "+changes" when Sources or Package.swift differ from it."""
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    changes = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "Sources", "Package.swift"],
                             capture_output=True, text=True)
    commit = head.stdout.strip() or "unknown"
    return commit + ("+changes" if changes.stdout.strip() else "")


def save_baseline(rows, reason, baseline, path=BASELINE):
    """Writes the rows' CHECKED figures as the new baseline of their trees, keeping other trees."""
    commit, day = current_commit(), time.strftime("%Y-%m-%d", time.gmtime())
    for row in rows:
        entry = {figure: row["median"][figure] for figure in CHECKED}
        entry.update(arch=row["arch"], warmup_cycles=row["warmup_cycles"], cycles=row["cycles"], commit=commit,
                     date=day, reason=reason)
        baseline["trees"][row["tree"]] = entry
    baseline["method"] = ("python3 Tests/scripts/footprint.py --parts callgrind: median instructions per "
                          "sample cycle of `ember serve` under callgrind, see footprint_callgrind.py")
    with open(path, "w") as f:
        json.dump(baseline, f, indent=2, sort_keys=True)
        f.write("\n")


ACCEPTED_HEADING = "## Accepted growth of instructions per sample cycle"


def record_accepted_growth(markdown, regressions, reason):
    """Adds the reason and the grown counts to the accepted-growth section of `markdown`.

    The section is created at the end of the file the first time; later entries go at its end.
    """
    day = time.strftime("%Y-%m-%d", time.gmtime())
    numbers = "; ".join(f"{figure} on the {tree} {before:,} → {now:,} (+{growth:.1%})"
                        for tree, figure, before, now, growth in regressions)
    entry = f"- {day}, commit {current_commit()}: {reason} ({numbers}).\n"
    with open(markdown) as f:
        text = f.read()

    if ACCEPTED_HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{ACCEPTED_HEADING}\n\n`footprint.py --parts callgrind --accept-growth` " \
            "records here each growth of more than 10 % that a change brought, with its reason.\n\n" + entry
    else:
        start = text.index(ACCEPTED_HEADING) + len(ACCEPTED_HEADING)
        end = text.find("\n## ", start)
        end = len(text) if end < 0 else end
        text = text[:end].rstrip("\n") + "\n" + entry + text[end:]
    with open(markdown, "w") as f:
        f.write(text)
