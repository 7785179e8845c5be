#!/usr/bin/env python3
"""Footprint of Ember against the pread floor and against collectd, node_exporter and netdata.

Measures in one run and prints ratios:

  1. floor: CPU ms and system calls per sample cycle of `ember serve --sample.interval=100ms`
     (no scrapes) against Tests/bench/pread-floor.c, which does one pread per attribute file Ember
     reads, on the RK3588 mainline fixture, node_exporter's fixture and this machine's /proc and /sys;
  2. peers: CPU % of one core and resident memory at one sample and one scrape a second, Ember
     against the installed peers in private network and mount namespaces on node_exporter's
     fixture, alternating (footprint_peers.py describes the method);
  3. start-up: time from exec to the first 200 from /metrics, median of 5 starts;
  4. history: the lines of `ember history-benchmark` (memory and bytes per stored value after a
     fast-forwarded fill). history-memory.py measures a running agent with full history.

--quick is the CI smoke run (under 2 minutes): short windows, the floor on node_exporter's
fixture only, the installed peers for 10 s each, no history. It asserts only that every part
produced numbers, never a threshold, because CI machines are noisy.

Usage: footprint.py [--quick] [--peers collectd,node_exporter,netdata] [--window 120] [--warmup 60]
                    [--rounds 1] [--parts floor,startup,peers,history] [--ember PATH]
                    [--markdown BENCHMARKS.md]
Needs root (unshare, mount), strace, cc and curl. perf counts the system calls where it works,
strace -c otherwise. Loopback and namespaces only; every daemon is started and stopped by this script by its pid.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmark import REPO, command_for, free_port, scrape  # noqa: E402
import footprint_floor  # noqa: E402
import footprint_peers  # noqa: E402

FIXTURES = os.path.join(REPO, "Tests", "Fixtures")
TREES = {
    "rk3588 mainline fixture": os.path.join(FIXTURES, "rk3588", "opi5plus-mainline"),
    "node_exporter fixture": os.path.join(FIXTURES, "node-exporter"),
    "this machine": None,
}


def floor_section(ember, quick, window):
    names = ["node_exporter fixture"] if quick else list(TREES)
    rows = []
    for name in names:
        root = TREES[name]
        sysfs, procfs = (os.path.join(root, "sys"), os.path.join(root, "proc")) if root else ("/sys", "/proc")
        rows.append(footprint_floor.measure_tree(ember, name, sysfs, procfs, window, 100, 2000))
    lines = ["| tree | attribute files | floor CPU ms/cycle | Ember CPU ms/cycle | Ember / floor | "
             "floor syscalls/cycle | Ember syscalls/cycle | Ember / floor | Ember sample wall ms |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['tree']} | {r['files']} | {r['floor_cpu_ms']:.3f} | {r['ember_cpu_ms']:.2f} | "
                     f"{r['cpu_ratio']:.1f} | {r['floor_syscalls']:.0f} | {r['ember_syscalls']:.0f} | "
                     f"{r['syscall_ratio']:.1f} | {r['sample_duration_ms']:.2f} |")
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
    return "\n".join(lines)


def ratio(numerator, denominator):
    """Formats numerator / denominator, or n/a for a denominator of 0: a CPU time under one clock tick."""
    return f"{numerator / denominator:.2f}" if denominator > 0 else "n/a (under one tick)"


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
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds over Ember and the peers")
    parser.add_argument("--floor-window", type=int, default=20,
                        help="seconds of `ember serve` at 100 ms per tree for CPU per cycle")
    parser.add_argument("--parts", default="floor,startup,peers,history",
                        help="comma-separated parts to run: floor, startup, peers, history (not with --quick)")
    parser.add_argument("--ember", default=os.path.join(REPO, ".build", "release", "ember"))
    parser.add_argument("--markdown", help="append the results, the command and the machine to this file")
    args = parser.parse_args()
    if args.quick:
        args.window, args.warmup, args.rounds, args.floor_window = 10, 2, 1, 4
    return args


def main():
    args = parse_arguments()
    peers = [peer for peer in args.peers.split(",") if peer]
    unknown_parts = set(args.parts.split(",")) - {"floor", "startup", "peers", "history"}
    if unknown_parts:
        print(f"footprint: unknown part {','.join(sorted(unknown_parts))}; expected some of "
              "floor,startup,peers,history", file=sys.stderr)
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
    floor_rows, peer_results = run_parts(args, peers, sections)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write("\n" + "\n\n".join(sections) + "\n")

    problems = smoke_problems(floor_rows, peer_results)
    for problem in problems:
        print(f"footprint: {problem}", file=sys.stderr)
    return 1 if problems else 0


def run_parts(args, peers, sections):
    """Runs the parts named in --parts in order, printing each table and appending it to `sections`."""
    parts = args.parts.split(",")
    floor_rows, peer_results = [], {}
    if "floor" in parts:
        floor_rows, table, note = floor_section(args.ember, args.quick, args.floor_window)
        sections += ["Sample cycle against the pread floor:", table, note]
        print(table, note, sep="\n", flush=True)

    if "startup" in parts:
        table = startup_section(args.ember, 2 if args.quick else 5)
        sections += ["Start-up:", table]
        print(table, flush=True)

    if "peers" in parts:
        peer_results, table = peers_section(args.ember, peers, args.rounds, args.warmup, args.window)
        sections += [f"One sample and one scrape a second, {args.window} s window after {args.warmup} s "
                     f"warm-up, {args.rounds} round(s):", table]
        print(table, flush=True)

    if "history" in parts and not args.quick:
        table = history_section(args.ember)
        sections += ["`ember history-benchmark`:", table]
        print(table, flush=True)
    return floor_rows, peer_results


def smoke_problems(floor_rows, peer_results):
    """Lists the parts that produced no usable number. The numbers themselves meet no threshold."""
    problems = []
    for row in floor_rows:
        if row["files"] == 0 or not row["floor_cpu_ms"] > 0 or not row["ember_cpu_ms"] > 0:
            problems.append(f"floor on {row['tree']}: no attribute files or no CPU time measured")
        if not row["ember_syscalls"] > 0:
            problems.append(f"floor on {row['tree']}: no system calls counted for Ember")
    for peer, runs in peer_results.items():
        for run in runs:
            if run["series"] == 0 or run["failed_scrapes"] > 0:
                problems.append(f"{peer}: {run['failed_scrapes']} failed scrapes, {run['series']} series")
    return problems


if __name__ == "__main__":
    sys.exit(main())
