#!/usr/bin/env python3
"""Side-by-side footprint of Ember and node_exporter on node_exporter's fixture tree.

Both daemons read the same fixture (`--path.sysfs`/`--path.procfs`) with the same six collectors
(hwmon, thermal_zone, cpufreq, netclass, netdev, powersupplyclass) and are measured in one run,
alternating, so machine noise hits both alike. For each daemon and round:

  * scrape phase: N sequential scrapes over fresh connections, each sent when the previous one completes; CPU per
    scrape is the daemon's utime+stime delta (/proc/PID/stat) divided by N, which for Ember also
    contains the sampling it does meanwhile on its own clock;
  * steady phase: one scrape per second for W seconds; CPU as a percentage of one core, which is
    what a Prometheus scraping at 1 Hz costs the board;
  * resident memory (VmRSS, /proc/PID/status) at the end, and scrape latency median and p99.

Usage: benchmark.py [--rounds 3] [--scrapes 300] [--window 60] [--ember PATH] [--markdown FILE]
Loopback only; each daemon is started and stopped by this script by its own pid.
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(REPO, "Tests", "Fixtures", "node-exporter")
COLLECTORS = ["hwmon", "thermal_zone", "cpufreq", "netclass", "netdev", "powersupplyclass"]
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command_for(peer, binary, port):
    sysfs, procfs = os.path.join(FIXTURE, "sys"), os.path.join(FIXTURE, "proc")
    address = f"127.0.0.1:{port}"
    if peer == "ember":
        return [binary, "serve", f"--web.listen-address={address}", f"--path.sysfs={sysfs}",
                f"--path.procfs={procfs}", "--collector.disable-defaults", "--log.level=warn", "--no-storage"] + \
               [f"--collector.{c}" for c in COLLECTORS]
    return [binary, "--collector.disable-defaults", "--no-collector.netdev.netlink",
            "--collector.netdev.device-exclude=", f"--path.sysfs={sysfs}", f"--path.procfs={procfs}",
            f"--web.listen-address={address}"] + [f"--collector.{c}" for c in COLLECTORS]


def scrape(port):
    """One GET /metrics on a fresh connection; returns (seconds, body bytes)."""
    seconds, body = fetch(port, "/metrics")
    return seconds, len(body)


def fetch(port, path, accept_encoding=None):
    """Sends one GET of `path` on a fresh connection and returns (seconds, body).

    With `accept_encoding` the request carries that Accept-Encoding header, and the body is
    returned as sent. Raises RuntimeError unless the status is 200.
    """
    start = time.perf_counter()
    encoding = f"Accept-Encoding: {accept_encoding}\r\n" if accept_encoding else ""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{encoding}Connection: close\r\n\r\n".encode())
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    response = b"".join(chunks)
    if b" 200 " not in response[:16]:
        raise StatusError(path, response)
    return time.perf_counter() - start, response.partition(b"\r\n\r\n")[2]


class StatusError(RuntimeError):
    """A response whose status is not 200, with the status line's code (0 when there is none)."""

    def __init__(self, path, response):
        super().__init__(f"GET {path} failed: {response[:80]!r}")
        fields = response[:16].split()
        self.status = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0


def ratio(numerator, denominator, digits=2):
    """Formats numerator / denominator, or n/a for a denominator of 0: a CPU time under one clock tick."""
    return f"{numerator / denominator:.{digits}f}" if denominator > 0 else "n/a (under one tick)"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wait_ready(port, deadline=20):
    """Waits until /metrics returns 200. A refused connection and a 503, which Ember sends until its
    first sample is complete, mean not ready yet, and any other status fails at once."""
    end = time.time() + deadline
    while time.time() < end:
        try:
            scrape(port)
            return
        except OSError:
            time.sleep(0.1)
        except StatusError as error:
            if error.status != 503:
                raise
            time.sleep(0.1)
    raise RuntimeError(f"daemon on port {port} did not answer within {deadline} s")


def start(peer, binary):
    """Starts `peer` on a free loopback port and returns (process, port) once it serves /metrics."""
    port = free_port()
    process = subprocess.Popen(command_for(peer, binary, port), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
    except RuntimeError:
        stop(process)
        raise
    return process, port


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def percentile(values, fraction):
    """Returns the value below which `fraction` of `values` lie (nearest rank, no interpolation)."""
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * fraction) - 1)]


def sequential_scrapes(pid, port, scrapes):
    """Sends `scrapes` scrapes one after the other; returns CPU ms per scrape, latencies in ms and body size."""
    cpu_before = cpu_seconds(pid)
    latencies = []
    size = 0
    for _ in range(scrapes):
        elapsed, size = scrape(port)
        latencies.append(elapsed)
    cpu = cpu_seconds(pid) - cpu_before
    return {
        "cpu_ms_per_scrape": cpu / scrapes * 1000,
        "latency_median_ms": statistics.median(latencies) * 1000,
        "latency_p99_ms": percentile(latencies, 0.99) * 1000,
        "body_bytes": size,
    }


def steady_cpu_pct(pid, port, window):
    """Scrapes once a second for `window` seconds and returns the daemon's CPU as % of one core."""
    cpu_before = cpu_seconds(pid)
    start_time = time.monotonic()
    for second in range(window):
        scrape(port)
        time.sleep(max(0.0, start_time + second + 1 - time.monotonic()))
    return (cpu_seconds(pid) - cpu_before) / (time.monotonic() - start_time) * 100


def measure(peer, binary, scrapes, window):
    process, port = start(peer, binary)
    try:
        time.sleep(3)  # let Ember fill a few samples; node_exporter is idle meanwhile
        result = sequential_scrapes(process.pid, port, scrapes)
        result["steady_cpu_pct"] = steady_cpu_pct(process.pid, port, window)
        result["rss_mib"] = rss_mib(process.pid)
        return result
    finally:
        stop(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scrapes", type=int, default=2000,
                        help="scrapes per round; CPU time is counted in 10 ms ticks, so many are needed")
    parser.add_argument("--window", type=int, default=60, help="seconds of 1 Hz scraping per round")
    parser.add_argument("--ember", default=os.path.join(REPO, ".build", "release", "ember"))
    parser.add_argument("--node-exporter", default="/usr/bin/prometheus-node-exporter")
    parser.add_argument("--markdown", help="append the result table to this file")
    args = parser.parse_args()

    results = {"ember": [], "node_exporter": []}
    for round_index in range(args.rounds):
        for peer, binary in (("node_exporter", args.node_exporter), ("ember", args.ember)):
            result = measure(peer, binary, args.scrapes, args.window)
            results[peer].append(result)
            print(f"round {round_index + 1} {peer}: " +
                  " ".join(f"{k}={v:.3f}" for k, v in result.items()), flush=True)

    keys = ["cpu_ms_per_scrape", "latency_median_ms", "latency_p99_ms", "steady_cpu_pct", "rss_mib", "body_bytes"]
    medians = {peer: {k: statistics.median(r[k] for r in rounds) for k in keys} for peer, rounds in results.items()}
    lines = ["| measure (median of rounds) | Ember | node_exporter 1.5 | Ember / node_exporter |",
             "| --- | --- | --- | --- |"]
    for k in keys:
        e, n = medians["ember"][k], medians["node_exporter"][k]
        lines.append(f"| {k} | {e:.3f} | {n:.3f} | {e / n:.3f} |")
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
