#!/usr/bin/env python3
"""Resident memory of the whole agent with full default history and changing values, against the 12 MiB budget.

Steps, on a copy of the RK3588 mainline fixture tree (or --fixture) in a temporary directory:

  1. `ember history-benchmark --save-state=DIR` takes one real sample of the copy for the series
     set, fills the minute and hour tiers to their default retention with the realistic synthetic
     feed and saves the state as `ember serve` saves it on a stop;
  2. `ember serve --storage.path=DIR` restores that state and runs as it would on a board, one
     sample a second and one scrape of /metrics a second, for --window seconds;
  3. the same `ember serve` with an empty state directory, for the agent without history (skipped
     with --skip-empty).

During steps 2 and 3 a feed (fixture_feed.py, seeded by --seed) rewrites the copy once a second
as a board's kernel would change it. Temperatures move on the RK3588 TSADC grid, CPU and GPU
frequencies switch levels and the CPU regulators follow them, and /proc/stat, cpuidle and network
counters grow at the fixture's average rates. The agent's raw tier and newest buckets then hold
changing values, which compress less than the static fixture's.

For each run it reads VmRSS, RssAnon and RssFile (/proc/PID/status) every second and prints them
at checkpoints, the start-up peak, the maximum from 45 s on and the final value. The start-up
line adds VmHWM, which also counts peaks between two readings but which the kernel updates lazily,
so it can be a little below a reading. The agent releases start-up code pages 30 s after its
first sample, so 45 s is where the steady state starts. It also prints how many stored series
changed between the scrape at 5 s and the last one, and the read errors the agent counted. The
raw tier fills in 900 s and the agent saves its state every 300 s, so the default window of
960 s covers a full raw tier and three saves.

NOTE: the fill samples the copy once, before the feed starts, so the series that exist only while
counters move (busy ratios, average frequencies, modelled power and energy: 23 of 1126 on the
mainline fixture) get no filled minute and hour history. Their share, about 2 % of the series, is
missing from the measurement.

Exits 1 when the full-history run's maximum from 45 s on is above the budget, 2 on a setup failure.

With --static the copy stays unchanged, as before the feed existed, to measure what changing
values cost.

Usage: history-memory.py [--window 960] [--skip-empty] [--seed 1] [--static] [--ember PATH] [--fixture DIR]
                         [--budget-mib 12]
Loopback only; each agent is started and stopped by this script by its own pid.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmark import REPO, fetch, free_port  # noqa: E402
from fixture_feed import FeedLoop, FixtureFeed  # noqa: E402
from kernel_formats import FormatError  # noqa: E402
from series_changes import changed_series, read_errors  # noqa: E402

CHECKPOINTS = (10, 30, 45, 60, 90, 120, 180, 300, 600, 900, 960)
WARM_UP_SECONDS = 45
"""The first second of the steady state, because the agent releases start-up code pages 30 s after its first sample."""
READY_SECONDS = 60
"""How long the agent may take to restore its state and serve the first scrape."""
FIRST_COMPARED_SECOND = 5
"""The first scrape compared for changes. Rates, modelled power and energy appear only from the second sample on."""


def status_kib(pid):
    """Returns VmRSS, RssAnon, RssFile and VmHWM (the kernel's peak resident size) of `pid` in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


def tree_flags(tree):
    return [f"--path.sysfs={tree}/sys", f"--path.procfs={tree}/proc", f"--path.debugfs={tree}/sys/kernel/debug"]


def fill(ember, tree, state):
    """Runs the history benchmark and returns its report lines."""
    command = [ember, "history-benchmark", *tree_flags(tree), "--log.level=error", f"--save-state={state}"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"history-memory: {' '.join(command)} failed with status {result.returncode}: {result.stderr}")
    return result.stdout.splitlines()


class Run:
    """What one agent run recorded: RSS in KiB per second, the first and last scrape, and its series list."""

    def __init__(self):
        self.readings = []
        self.first = None
        self.last = None
        self.series = None


def run_agent(ember, tree, state, window):
    """Runs `ember serve` on `state` for `window` seconds with a scrape a second and returns its `Run`."""
    port = free_port()
    # The feed renames new files over the old ones, which a kept descriptor does not see until
    # the next rescan (sysfs changes a file's content in place instead). A rescan every second
    # reopens the files at about every sample, and still builds the caches a default agent keeps.
    command = [ember, "serve", *tree_flags(tree), f"--storage.path={state}",
               f"--web.listen-address=127.0.0.1:{port}", "--log.level=error", "--collector.rescan-interval=1s"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    run = Run()
    try:
        started = time.monotonic()
        for second in range(1, window + 1):
            time.sleep(max(0.0, started + second - time.monotonic()))
            if process.poll() is not None:
                sys.exit(f"history-memory: {' '.join(command)} exited with status {process.returncode} "
                         f"after {second} s")
            scrape_once(run, port, second)
            run.readings.append((second, status_kib(process.pid)))
        if run.first is None:
            sys.exit(f"history-memory: {' '.join(command)} served no /metrics in {window} s")
        run.series = json.loads(fetch(port, "/api/v1/series")[1])["series"]
    finally:
        process.terminate()
        process.wait(timeout=30)
    return run


def scrape_once(run, port, second):
    """Scrapes /metrics and keeps the first compared and the last body. A failure raises only after `READY_SECONDS`.

    It requests gzip, as Prometheus does, so the agent's compression counts in its memory.
    """
    try:
        body = fetch(port, "/metrics", accept_encoding="gzip")[1]
        body = (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).decode()
    except (OSError, RuntimeError):
        if run.last is not None or second > READY_SECONDS:
            raise
        return
    if run.first is None and second >= FIRST_COMPARED_SECOND:
        run.first = (second, body)
    run.last = (second, body)


def mib(kib):
    return f"{kib / 1024:.1f}"


def largest(readings, start, end):
    """Returns the (second, values) with the highest VmRSS among seconds in [start, end), or None."""
    inside = [reading for reading in readings if start <= reading[0] < end]
    return max(inside, key=lambda reading: reading[1]["VmRSS"]) if inside else None


def describe(reading):
    second, values = reading
    return (f"{mib(values['VmRSS'])} MiB at {second} s "
            f"({mib(values['RssAnon'])} anonymous, {mib(values['RssFile'])} file)")


def print_run(title, run):
    print(f"\n{title}")
    print("| seconds | resident MiB | anonymous MiB | file MiB |")
    print("| ---: | ---: | ---: | ---: |")
    final_second = run.readings[-1][0]
    for second, values in run.readings:
        if second in CHECKPOINTS or second == final_second:
            print(f"| {second} | {mib(values['VmRSS'])} | {mib(values['RssAnon'])} | {mib(values['RssFile'])} |")
    high_water = [values for second, values in run.readings if second < WARM_UP_SECONDS][-1]["VmHWM"]
    print(f"start-up peak (before {WARM_UP_SECONDS} s): {describe(largest(run.readings, 0, WARM_UP_SECONDS))}, "
          f"VmHWM {mib(high_water)} MiB")
    print(f"maximum after warm-up ({WARM_UP_SECONDS} s on): "
          f"{describe(largest(run.readings, WARM_UP_SECONDS, final_second + 1))}")
    print(f"final: {describe(run.readings[-1])}")
    print_feed_check(run)


def print_feed_check(run):
    """Prints how many stored series changed between the first compared and the last scrape, and the read errors."""
    changed, own, compared = changed_series(run.first[1], run.last[1], run.series)
    points = {tier: sum(series["points"].get(tier, 0) for series in run.series) for tier in ("raw", "minute", "hour")}
    print(f"stored series changed between the scrapes at {run.first[0]} s and {run.last[0]} s: {changed} of "
          f"{compared} in both scrapes, {len(run.series)} stored ({changed - own} read from the fed files, "
          f"{own} the agent's own measurements)")
    print(f"points held at the end: raw {points['raw']}, minute {points['minute']}, hour {points['hour']}")
    print(f"read and parse errors the agent counted (ember_collector_errors_total): {read_errors(run.last[1]):g}")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--window", type=int, default=960, help="seconds each agent runs (more than 45)")
    parser.add_argument("--skip-empty", action="store_true", help="skip the run with an empty state directory")
    parser.add_argument("--seed", type=int, default=1, help="seed of the feed's random generator")
    parser.add_argument("--static", action="store_true",
                        help="leave the fixture copy unchanged, to measure what the changing values cost")
    parser.add_argument("--ember", default=os.path.join(REPO, ".build", "release", "ember"),
                        help="ember binary to measure (default: the release build)")
    parser.add_argument("--fixture", default=os.path.join(REPO, "Tests", "Fixtures", "rk3588", "opi5plus-mainline"),
                        help="fixture tree to copy (default: the RK3588 mainline fixture)")
    parser.add_argument("--budget-mib", type=float, default=12.0, help="resident memory budget in MiB")
    arguments = parser.parse_args()
    if arguments.window <= WARM_UP_SECONDS:
        parser.error(f"--window must be more than {WARM_UP_SECONDS} s, the end of the warm-up; got {arguments.window}")
    return arguments


def measure(arguments, scratch):
    """Copies the fixture, fills the history, and returns the runs of the agents on the copy, fed unless --static."""
    tree, staging = os.path.join(scratch, "tree"), os.path.join(scratch, "staging")
    full, empty = os.path.join(scratch, "full-state"), os.path.join(scratch, "empty-state")
    for directory in (staging, full, empty):
        os.mkdir(directory)
    subprocess.run(["cp", "-a", arguments.fixture, tree], check=True)
    report = fill(arguments.ember, tree, full)
    print("history benchmark (fill):")
    print("\n".join("  " + line for line in report if ":" in line and "|" not in line))

    if arguments.static:
        print("\nfeed: none (--static), the fixture copy stays unchanged")
        return run_agents(arguments, tree, full, empty)

    try:
        feed = FixtureFeed(tree, staging, arguments.seed)
    except (FormatError, OSError, ValueError) as error:
        sys.exit(f"history-memory: cannot feed the fixture copy: {error}")
    loop = FeedLoop(feed)
    loop.start()
    try:
        runs = run_agents(arguments, tree, full, empty)
    finally:
        loop.stop()
    print(f"\nfeed: seed {arguments.seed}, {len(feed.sources)} sources, {feed.steps} steps, "
          f"{feed.writes / max(1, feed.steps):.0f} files rewritten per step")
    return runs


def run_agents(arguments, tree, full, empty):
    """Runs the agent restored from `full`, then unless --skip-empty from `empty`, and returns (title, `Run`) pairs."""
    restored = run_agent(arguments.ember, tree, full, arguments.window)
    runs = [("ember serve restored from the full-history state", restored)]
    if not arguments.skip_empty:
        without_history = run_agent(arguments.ember, tree, empty, arguments.window)
        runs.append(("ember serve with an empty state directory", without_history))
    return runs


def main():
    arguments = parse_arguments()
    if not os.access(arguments.ember, os.X_OK):
        print(f"history-memory: no executable at {arguments.ember}; build it with "
              "`swift build -c release --static-swift-stdlib -Xswiftc -Osize --product ember`", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="history-memory-") as scratch:
        runs = measure(arguments, scratch)
    for title, run in runs:
        copy = "static" if arguments.static else "fed"
        print_run(f"{title}, {copy} fixture copy, one sample and one scrape a second:", run)

    with_history = runs[0][1]
    peak = largest(with_history.readings, WARM_UP_SECONDS, with_history.readings[-1][0] + 1)
    peak_mib = peak[1]["VmRSS"] / 1024
    within = peak_mib <= arguments.budget_mib
    print(f"\nfull default history: maximum {peak_mib:.1f} MiB resident from {WARM_UP_SECONDS} s to "
          f"{with_history.readings[-1][0]} s (at {peak[0]} s), budget {arguments.budget_mib:g} MiB: "
          f"{'within' if within else 'ABOVE'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
