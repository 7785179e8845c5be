#!/usr/bin/env python3
"""Resident memory of the whole agent with full default history, against the 12 MiB budget.

Steps, on the RK3588 mainline fixture tree (or --fixture):

  1. `ember history-benchmark --save-state=DIR` takes one real sample for the series set, fills
     every tier to its default retention with the realistic synthetic feed and saves the state
     as `ember serve` saves it on a stop;
  2. `ember serve --storage.path=DIR` restores that state and runs as it would on a board: one
     sample a second, one scrape of /metrics a second, for --window seconds;
  3. the same `ember serve` with an empty state directory, for the agent without history.

For each run it prints VmRSS, RssAnon and RssFile (/proc/PID/status) at a few points and at the
end, and whether the run with full history stays within the budget. The agent releases start-up
code pages 30 s after its first sample, so runs shorter than about 60 s do not show the steady
state. Exits 1 when the full-history run ends above the budget, 2 on a setup failure.

Usage: history-memory.py [--window 120] [--ember PATH] [--fixture DIR] [--budget-mib 12]
Loopback only; each agent is started and stopped by this script by its own pid.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmark import REPO, free_port, scrape  # noqa: E402

CHECKPOINTS = (10, 30, 45, 60, 90, 120, 180, 300)


def status_kib(pid):
    """Returns VmRSS, RssAnon and RssFile of `pid` in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                values[name] = int(rest.split()[0])
    return values


def tree_flags(fixture):
    return [f"--path.sysfs={fixture}/sys", f"--path.procfs={fixture}/proc",
            f"--path.debugfs={fixture}/sys/kernel/debug"]


def fill(ember, fixture, state):
    """Runs the history benchmark and returns its report lines."""
    command = [ember, "history-benchmark", *tree_flags(fixture), "--log.level=error", f"--save-state={state}"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"history-memory: {' '.join(command)} failed with status {result.returncode}: {result.stderr}")
    return result.stdout.splitlines()


def wait_ready(port, deadline):
    """Waits until /metrics returns 200, which it does after the first sample and the restore."""
    end = time.monotonic() + deadline
    while True:
        try:
            scrape(port)
            return
        except (OSError, RuntimeError):
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def run_agent(ember, fixture, state, window):
    """Runs `ember serve` on `state` for `window` seconds with a scrape a second; returns samples."""
    port = free_port()
    command = [ember, "serve", *tree_flags(fixture), f"--storage.path={state}",
               f"--web.listen-address=127.0.0.1:{port}", "--log.level=error"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    samples = []
    try:
        started = time.monotonic()
        wait_ready(port, deadline=60)
        for second in range(1, window + 1):
            scrape(port)
            time.sleep(max(0.0, started + second - time.monotonic()))
            if second in CHECKPOINTS or second == window:
                samples.append((second, status_kib(process.pid)))
    finally:
        process.terminate()
        process.wait(timeout=30)
    return samples


def mib(kib):
    return f"{kib / 1024:.1f}"


def print_run(title, samples):
    print(f"\n{title}")
    print("| seconds | resident MiB | anonymous MiB | file MiB |")
    print("| ---: | ---: | ---: | ---: |")
    for second, values in samples:
        print(f"| {second} | {mib(values['VmRSS'])} | {mib(values['RssAnon'])} | {mib(values['RssFile'])} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--window", type=int, default=120, help="seconds each agent runs")
    parser.add_argument("--ember", default=os.path.join(REPO, ".build", "release", "ember"))
    parser.add_argument("--fixture", default=os.path.join(REPO, "Tests", "Fixtures", "rk3588", "opi5plus-mainline"))
    parser.add_argument("--budget-mib", type=float, default=12.0)
    arguments = parser.parse_args()
    if not os.access(arguments.ember, os.X_OK):
        print(f"history-memory: no executable at {arguments.ember}; build it with "
              "`swift build -c release --static-swift-stdlib -Xswiftc -Osize --product ember`", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as full, tempfile.TemporaryDirectory() as empty:
        report = fill(arguments.ember, arguments.fixture, full)
        print("history benchmark (fill):")
        print("\n".join("  " + line for line in report if ":" in line and "|" not in line))
        with_history = run_agent(arguments.ember, arguments.fixture, full, arguments.window)
        without_history = run_agent(arguments.ember, arguments.fixture, empty, arguments.window)

    print_run("ember serve restored from the full-history state, one sample and one scrape a second:", with_history)
    print_run("ember serve with an empty state directory, the same way:", without_history)
    final = with_history[-1][1]["VmRSS"] / 1024
    within = final <= arguments.budget_mib
    print(f"\nfull default history: {final:.1f} MiB resident after {with_history[-1][0]} s, "
          f"budget {arguments.budget_mib:g} MiB: {'within' if within else 'ABOVE'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
