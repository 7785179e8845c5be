#!/usr/bin/env python3
"""Footprint of Ember against the pread floor and against collectd, node_exporter and netdata.

Measures in one run and prints ratios:

  1. floor: CPU ms and system calls per sample cycle of `ember serve --sample.interval=100ms`
     (no scrapes) against Tests/bench/pread-floor.c, which does one pread per attribute file Ember
     reads, on the RK3588 mainline fixture, node_exporter's fixture and this machine's /proc and /sys;
  2. start-up: time from exec to the first 200 from /metrics, median of 5 starts;
  3. scrape: CPU per scrape, scrape latency (median, p99) sequentially and with 8 concurrent
     scrapers, and resident memory, Ember against node_exporter 1.5 with the same six collectors on
     node_exporter's fixture, alternating (footprint_scrape.py);
  4. peers: CPU % of one core and resident memory at one sample and one scrape a second, Ember
     against the installed peers in private network and mount namespaces on node_exporter's
     fixture, alternating (footprint_peers.py describes the method);
  5. history: the lines of `ember history-benchmark` (memory and bytes per stored value after a
     fast-forwarded fill). history-memory.py measures a running agent with full history;
  6. callgrind: instructions per sample cycle under valgrind's callgrind on the RK3588 mainline
     fixture and node_exporter's fixture (footprint_callgrind.py describes the method), compared
     with Tests/bench/cycle-instructions.json. A total or collector count more than 10 % above
     the baseline prints a REGRESSION line and fails the run, unless --accept-growth "REASON"
     stores the new counts as the baseline and writes the reason and the numbers into
     BENCHMARKS.md. --update-baseline stores them without the check.

--quick is the CI smoke run (under 2 minutes): short windows, the floor on node_exporter's
fixture only, 500 scrapes per scrape phase, the installed peers for 10 s each, callgrind over 5
cycles on node_exporter's fixture without the baseline check, no history. It asserts only that
every part produced numbers, never a threshold, because CI machines are noisy.

Usage: footprint.py [--quick] [--peers collectd,node_exporter,netdata] [--window 120] [--warmup 60]
                    [--rounds 1] [--scrapes 2000] [--parts floor,startup,scrape,peers,history,callgrind]
                    [--accept-growth REASON | --update-baseline] [--ember PATH] [--markdown BENCHMARKS.md]
Needs root (unshare, mount), strace, cc, curl, valgrind, strip and `swift demangle`. perf counts
the system calls where it works, strace -c otherwise. Loopback and namespaces only; every daemon is
started and stopped by this script by its pid.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmark import REPO, command_for, free_port, ratio, scrape  # noqa: E402
import footprint_callgrind  # noqa: E402
import footprint_floor  # noqa: E402
import footprint_peers  # noqa: E402
import footprint_scrape  # noqa: E402

FIXTURES = os.path.join(REPO, "Tests", "Fixtures")
TREES = {
    "rk3588 mainline fixture": os.path.join(FIXTURES, "rk3588", "opi5plus-mainline"),
    "node_exporter fixture": os.path.join(FIXTURES, "node-exporter"),
    "this machine": None,
}


PARTS = ["floor", "startup", "scrape", "peers", "history", "callgrind"]


def floor_section(ember, quick, window):
    names = ["node_exporter fixture"] if quick else list(TREES)
    rows = []
    for name in names:
        root = TREES[name]
        sysfs, procfs = (os.path.join(root, "sys"), os.path.join(root, "proc")) if root else ("/sys", "/proc")
        rows.append(footprint_floor.measure_tree(ember, name, sysfs, procfs, window, 100, 2000,
                                                 spaced_cycles=3 if quick else footprint_floor.SPACED_CYCLES))
    lines = ["| tree | attribute files | floor CPU ms/cycle | Ember CPU ms/cycle | Ember / floor | "
             "floor syscalls/cycle | Ember syscalls/cycle | Ember / floor | Ember sample wall ms | "
             "floor CPU ms/cycle, 1 s apart |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['tree']} | {r['files']} | {r['floor_cpu_ms']:.3f} | {r['ember_cpu_ms']:.2f} | "
                     f"{r['cpu_ratio']:.1f} | {r['floor_syscalls']:.0f} | {r['ember_syscalls']:.0f} | "
                     f"{r['syscall_ratio']:.1f} | {r['sample_duration_ms']:.2f} | {r['floor_1s_cpu_ms']:.3f} |")
    note = (f"System calls counted with {rows[0]['syscall_tool']}; Ember's cycles are window / 100 ms "
            f"({rows[0]['cycles']:.0f} in the CPU window), CPU from utime+stime in clock ticks.")
    return rows, "\n".join(lines), note


def peers_section(ember, peers, rounds, warmup, window):
    """Measures Ember and each installed peer `rounds` times, alternating, and returns the runs and a table."""
    if os.geteuid() != 0:
        return {}, "Peers skipped: unshare --net --mount and the bind mount over /sys need root."
    installed = [peer for peer in peers if footprint_peers.installed(peer, ember)]
    results = {peer: [] for peer in ["ember", *installed]}
    for round_index in range(rounds):
        for peer in results:
            try:
                result = footprint_peers.measure_peer(peer, ember, warmup, window)
            except RuntimeError as error:
                print(f"footprint: {error}", file=sys.stderr)
                result = {"peer": peer, "failed": str(error), "failed_scrapes": window, "series": 0}
            results[peer].append(result)
            print(f"round {round_index + 1} {peer}: " + " ".join(f"{k}={v}" for k, v in result.items()),
                  flush=True)

    return results, peer_table(results, peers)


def peer_table(results, peers):
    """Formats the median of the successful runs of each daemon, with ratios of Ember to it."""
    good = {peer: [r for r in runs if "failed" not in r] for peer, runs in results.items()}
    medians = {}
    for peer, runs in good.items():
        if runs:
            medians[peer] = (statistics.median(r["cpu_pct"] for r in runs),
                             statistics.median(r["rss_median_mib"] for r in runs))
    ember_cpu, ember_rss = medians.get("ember", (float("nan"), float("nan")))
    lines = ["| daemon | CPU % of a core | RSS median MiB | RSS peak MiB | series | processes | "
             "Ember / daemon CPU | Ember / daemon RSS |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for peer in ["ember", *peers]:
        if peer not in results:
            lines.append(f"| {peer} | not installed | | | | | | |")
        elif peer not in medians:
            lines.append(f"| {peer} | failed: {results[peer][-1]['failed']} | | | | | | |")
        else:
            cpu, rss = medians[peer]
            runs = good[peer]
            peak = max(r["rss_peak_mib"] for r in runs)
            lines.append(f"| {peer} | {cpu:.3f} | {rss:.1f} | {peak:.1f} | {runs[-1]['series']} | "
                         f"{runs[-1]['processes']} | {ratio(ember_cpu, cpu)} | {ratio(ember_rss, rss)} |")
    sources = sorted({r["cpu_source"] for runs in good.values() for r in runs})
    if sources:
        lines.append(f"\nCPU time measured with: {', '.join(sources)}.")
    return "\n".join(lines)


def time_to_first_scrape(command, port, timeout=30):
    """Starts `command` and returns the seconds from exec to the first 200 from /metrics."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - start < timeout:
            try:
                scrape(port)
                return time.monotonic() - start
            except (OSError, RuntimeError):
                time.sleep(0.002)
        raise RuntimeError(f"{command[0]} served no /metrics within {timeout} s")
    finally:
        footprint_floor.stop(process)


def startup_commands(ember):
    """Returns (daemon, tree, command for a port) for each start-up measured."""
    fixture = TREES["node_exporter fixture"]
    sysfs, procfs = os.path.join(fixture, "sys"), os.path.join(fixture, "proc")
    commands = [
        ("ember", "node_exporter fixture",
         lambda port: footprint_floor.serve_command(ember, sysfs, procfs, port, 1000)),
        ("ember", "this machine",
         lambda port: footprint_floor.serve_command(ember, "/sys", "/proc", port, 1000)),
    ]
    node_exporter = footprint_peers.PEER_BINARIES["node_exporter"]
    if os.access(node_exporter, os.X_OK):
        # The six collectors of benchmark.py, on the same fixture.
        commands.append(("node_exporter", "node_exporter fixture",
                         lambda port: command_for("node_exporter", node_exporter, port)))
    return commands


def startup_section(ember, starts):
    """Times `starts` starts of each daemon from exec to its first 200 and returns a table of medians."""
    lines = ["| daemon | tree | exec to first 200 from /metrics, median ms | min ms | max ms |",
             "| --- | --- | --- | --- | --- |"]
    for daemon, where, command in startup_commands(ember):
        times = []
        for _ in range(starts):
            port = free_port()
            times.append(time_to_first_scrape(command(port), port) * 1000)
        lines.append(f"| {daemon} | {where} | {statistics.median(times):.0f} | {min(times):.0f} | "
                     f"{max(times):.0f} |")
    return "\n".join(lines)


def scrape_section(ember, rounds, scrapes):
    """Runs the scrape part (footprint_scrape.py) and returns its results, its table and the target ratios."""
    if not os.access(footprint_scrape.NODE_EXPORTER, os.X_OK):
        return {}, f"Scrape part skipped: node_exporter is not installed at {footprint_scrape.NODE_EXPORTER}.", ""
    results = footprint_scrape.run_rounds(ember, rounds, scrapes)
    table, targets = footprint_scrape.table(results)
    return results, table, targets


def callgrind_section(ember, quick):
    """Counts instructions per sample cycle on each fixture tree; returns the rows and a table.

    The quick run counts 5 cycles after 3 on node_exporter's fixture only, about 15 s.
    """
    names = ["node_exporter fixture"] if quick else ["rk3588 mainline fixture", "node_exporter fixture"]
    rows = []
    for name in names:
        root = TREES[name]
        if quick:
            row = footprint_callgrind.measure_tree(ember, name, f"{root}/sys", f"{root}/proc", warmup=3, cycles=5)
        else:
            row = footprint_callgrind.measure_tree(ember, name, f"{root}/sys", f"{root}/proc")
        rows.append(row)
        print(footprint_callgrind.table([row]).splitlines()[-1], flush=True)
    return rows, footprint_callgrind.table(rows)


def check_cycle_instructions(rows, args):
    """Compares the counts with the committed baseline and records them as --accept-growth or
    --update-baseline ask. Returns the report lines and whether the check failed."""
    baseline = footprint_callgrind.load_baseline()
    lines, regressions = footprint_callgrind.compare(rows, baseline)
    if args.update_baseline or args.accept_growth:
        reason = args.accept_growth or "recorded with --update-baseline, without a check"
        footprint_callgrind.save_baseline(rows, reason, baseline)
        lines.append(f"baseline {os.path.relpath(footprint_callgrind.BASELINE, REPO)} updated: {reason}")
    if regressions and args.accept_growth:
        footprint_callgrind.record_accepted_growth(os.path.join(REPO, "BENCHMARKS.md"), regressions,
                                                  args.accept_growth)
        lines.append("growth accepted and recorded in BENCHMARKS.md with the reason")
        return lines, False
    if regressions and not args.update_baseline:
        return lines + footprint_callgrind.regression_lines(regressions), True
    return lines, False


def history_section(ember):
    """Runs `ember history-benchmark` on the RK3588 mainline fixture, the series set of a board."""
    tree = TREES["rk3588 mainline fixture"]
    command = [ember, "history-benchmark", f"--path.sysfs={tree}/sys", f"--path.procfs={tree}/proc",
               "--log.level=warn"]
    output = subprocess.run(command, capture_output=True, text=True, check=True)
    return "```\n" + output.stdout.strip() + "\n```"


def machine_description():
    with open("/proc/cpuinfo") as f:
        models = {line.split(":", 1)[1].strip() for line in f if line.startswith(("model name", "Model"))}
    return (f"{platform.machine()}, {os.cpu_count()} CPUs ({', '.join(sorted(models)) or 'model unknown'}), "
            f"Linux {platform.release()}, load average {os.getloadavg()[0]:.2f} at the start")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke run, under 2 minutes, no thresholds")
    parser.add_argument("--peers", default="collectd,node_exporter,netdata",
                        help="comma-separated peers to compare when installed")
    parser.add_argument("--window", type=int, default=120, help="seconds of 1 Hz scraping measured per daemon")
    parser.add_argument("--warmup", type=int, default=60, help="seconds of 1 Hz scraping before the window")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds of the scrape and peers parts")
    parser.add_argument("--floor-window", type=int, default=20,
                        help="seconds of `ember serve` at 100 ms per tree for CPU per cycle")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="comma-separated parts to run: " + ", ".join(PARTS) + " (history not with --quick)")
    parser.add_argument("--scrapes", type=int, default=2000,
                        help="scrapes per daemon and phase of the scrape part, sequential and concurrent")
    parser.add_argument("--accept-growth", metavar="REASON",
                        help="callgrind part: accept instruction counts that grew by more than 10 %%, store "
                             "them as the baseline and write REASON with the numbers into BENCHMARKS.md")
    parser.add_argument("--update-baseline", action="store_true",
                        help="callgrind part: store the counts as the baseline without comparing them")
    parser.add_argument("--ember", default=os.path.join(REPO, ".build", "release", "ember"))
    parser.add_argument("--markdown", help="append the results, the command and the machine to this file")
    args = parser.parse_args()
    if args.quick:
        args.window, args.warmup, args.rounds, args.floor_window, args.scrapes = 10, 2, 1, 4, 500
    return args


def main():
    args = parse_arguments()
    peers = [peer for peer in args.peers.split(",") if peer]
    unknown_parts = set(args.parts.split(",")) - set(PARTS)
    if unknown_parts:
        print(f"footprint: unknown part {','.join(sorted(unknown_parts))}; expected some of "
              f"{','.join(PARTS)}", file=sys.stderr)
        return 2
    if (args.accept_growth or args.update_baseline) and (args.quick or "callgrind" not in args.parts.split(",")):
        print("footprint: --accept-growth and --update-baseline need the callgrind part in --parts, "
              "and not --quick", file=sys.stderr)
        return 2
    unknown = [peer for peer in peers if peer not in footprint_peers.PEER_BINARIES]
    if unknown:
        print(f"footprint: unknown peer {','.join(unknown)}; expected some of "
              f"{','.join(footprint_peers.PEER_BINARIES)}", file=sys.stderr)
        return 2
    if not os.access(args.ember, os.X_OK):
        print(f"footprint: no Ember binary at {args.ember}; build it with `swift build -c release` "
              "or pass --ember", file=sys.stderr)
        return 2

    command = " ".join(["python3", "Tests/scripts/footprint.py", *sys.argv[1:]])
    sections = [f"Machine: {machine_description()}.", f"Command: `{command}`."]
    results = run_parts(args, peers, sections)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write("\n" + "\n\n".join(sections) + "\n")

    problems = smoke_problems(results)
    for problem in problems:
        print(f"footprint: {problem}", file=sys.stderr)
    return 1 if problems or results["regression"] else 0


def run_parts(args, peers, sections):
    """Runs the parts named in --parts in order, printing each table and appending it to `sections`.

    Returns each part's results by part name, and "regression": whether the callgrind check failed.
    """
    parts = args.parts.split(",")
    results = {"floor": [], "scrape": {}, "peers": {}, "callgrind": [], "regression": False}
    if "floor" in parts:
        results["floor"], table, note = floor_section(args.ember, args.quick, args.floor_window)
        sections += ["Sample cycle against the pread floor:", table, note]
        print(table, note, sep="\n", flush=True)

    if "startup" in parts:
        table = startup_section(args.ember, 2 if args.quick else 5)
        sections += ["Start-up:", table]
        print(table, flush=True)

    if "scrape" in parts:
        results["scrape"], table, targets = scrape_section(args.ember, args.rounds, args.scrapes)
        sections += [f"Scrapes on node_exporter's fixture, {args.scrapes} per phase and daemon, "
                     f"{args.rounds} round(s):", table, targets]
        print(table, targets, sep="\n", flush=True)

    if "peers" in parts:
        results["peers"], table = peers_section(args.ember, peers, args.rounds, args.warmup, args.window)
        sections += [f"One sample and one scrape a second, {args.window} s window after {args.warmup} s "
                     f"warm-up, {args.rounds} round(s):", table]
        print(table, flush=True)

    if "history" in parts and not args.quick:
        table = history_section(args.ember)
        sections += ["`ember history-benchmark`:", table]
        print(table, flush=True)

    if "callgrind" in parts:
        results["callgrind"], table = callgrind_section(args.ember, args.quick)
        sections += ["Instructions per sample cycle (callgrind, medians over the cycles):", table]
        print(table, flush=True)
        if not args.quick:
            lines, results["regression"] = check_cycle_instructions(results["callgrind"], args)
            sections += ["\n".join(lines)]
            print("\n".join(lines), flush=True)
    return results


def smoke_problems(results):
    """Lists the parts that produced no usable number. The numbers themselves meet no threshold."""
    problems = []
    for row in results["floor"]:
        if row["files"] == 0 or not row["floor_cpu_ms"] > 0 or not row["ember_cpu_ms"] > 0:
            problems.append(f"floor on {row['tree']}: no attribute files or no CPU time measured")
        if not row["ember_syscalls"] > 0:
            problems.append(f"floor on {row['tree']}: no system calls counted for Ember")
    for peer, runs in results["peers"].items():
        for run in runs:
            if run["series"] == 0 or run["failed_scrapes"] > 0:
                problems.append(f"{peer}: {run['failed_scrapes']} failed scrapes, {run['series']} series")
    problems += footprint_scrape.smoke_problems(results["scrape"])
    for row in results["callgrind"]:
        if not (row["median"]["total"] > 0 and row["median"]["collectors"] > 0):
            problems.append(f"callgrind on {row['tree']}: no instructions counted")
    return problems


if __name__ == "__main__":
    sys.exit(main())
