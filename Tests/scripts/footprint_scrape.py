"""Scrape cost of Ember against node_exporter 1.5 on node_exporter's fixture tree.

Both daemons run as benchmark.py starts them: the same six collectors on
Tests/Fixtures/node-exporter through --path.sysfs and --path.procfs, on loopback. In each round
node_exporter and then Ember are started, left 3 s to take their first samples, and then get:

  * sequential scrapes, each sent when the previous one completed (benchmark.sequential_scrapes);
  * the same number of scrapes from 8 client processes at once, each scraping back to back;
  * resident memory (VmRSS) at the end.

CPU per scrape is the daemon's utime+stime delta over a phase (10 ms clock ticks) divided by the
scrapes of that phase. For Ember it also contains the sampling it does meanwhile on its own clock.
The clients are processes rather than threads, so Python's global lock does not queue their requests.
"""
import multiprocessing
import statistics
import time

import benchmark
from benchmark import ratio

SCRAPERS = 8
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"


def scrape_worker(port, scrapes, ready, go, results):
    """Scrapes `port` `scrapes` times once `go` is set and puts (latencies in s, failures) on `results`."""
    ready.release()
    go.wait()
    latencies, failures = [], 0
    for _ in range(scrapes):
        try:
            elapsed, _ = benchmark.scrape(port)
            latencies.append(elapsed)
        except (OSError, RuntimeError):
            failures += 1
    results.put((latencies, failures))


def concurrent_scrapes(pid, port, scrapes):
    """Sends `scrapes` scrapes from SCRAPERS processes at once; returns CPU per scrape and latencies in ms."""
    context = multiprocessing.get_context("fork")
    ready, go, results = context.Semaphore(0), context.Event(), context.Queue()
    share = max(1, scrapes // SCRAPERS)
    workers = [context.Process(target=scrape_worker, args=(port, share, ready, go, results))
               for _ in range(SCRAPERS)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()

    # The CPU window opens once every client is forked and waiting, so their start-up is not in it.
    cpu_before = benchmark.cpu_seconds(pid)
    go.set()
    outcomes = [results.get(timeout=300) for _ in workers]
    cpu = benchmark.cpu_seconds(pid) - cpu_before
    for worker in workers:
        worker.join()

    latencies = [seconds for outcome in outcomes for seconds in outcome[0]]
    failures = sum(outcome[1] for outcome in outcomes)
    return {
        "cpu_ms_per_scrape": cpu / (share * SCRAPERS) * 1000,
        "latency_median_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "latency_p99_ms": benchmark.percentile(latencies, 0.99) * 1000 if latencies else float("nan"),
        "failed_scrapes": failures,
    }


def measure(peer, binary, scrapes):
    """Starts `peer`, runs both scrape phases and returns {"sequential", "concurrent", "rss_mib"}."""
    process, port = benchmark.start(peer, binary)
    try:
        time.sleep(3)  # Ember's first samples; node_exporter idles
        sequential = benchmark.sequential_scrapes(process.pid, port, scrapes)
        concurrent = concurrent_scrapes(process.pid, port, scrapes)
        return {"sequential": sequential, "concurrent": concurrent, "rss_mib": benchmark.rss_mib(process.pid)}
    finally:
        benchmark.stop(process)


def run_rounds(ember, rounds, scrapes):
    """Measures node_exporter and Ember alternately for `rounds` rounds; returns their results by daemon."""
    results = {"node_exporter": [], "ember": []}
    for round_index in range(rounds):
        for peer, binary in (("node_exporter", NODE_EXPORTER), ("ember", ember)):
            result = measure(peer, binary, scrapes)
            results[peer].append(result)
            print(f"round {round_index + 1} {peer}: {format_result(result)}", flush=True)
    return results


def format_result(result):
    sequential, concurrent = result["sequential"], result["concurrent"]
    return (f"sequential cpu_ms_per_scrape={sequential['cpu_ms_per_scrape']:.3f} "
            f"median_ms={sequential['latency_median_ms']:.3f} p99_ms={sequential['latency_p99_ms']:.3f}; "
            f"{SCRAPERS} scrapers cpu_ms_per_scrape={concurrent['cpu_ms_per_scrape']:.3f} "
            f"median_ms={concurrent['latency_median_ms']:.3f} p99_ms={concurrent['latency_p99_ms']:.3f} "
            f"failed={concurrent['failed_scrapes']}; rss_mib={result['rss_mib']:.1f}")


# (row label, phase or None for the whole run, key)
ROWS = [
    ("CPU per scrape, sequential, ms", "sequential", "cpu_ms_per_scrape"),
    ("latency median, sequential, ms", "sequential", "latency_median_ms"),
    ("latency p99, sequential, ms", "sequential", "latency_p99_ms"),
    (f"CPU per scrape, {SCRAPERS} scrapers, ms", "concurrent", "cpu_ms_per_scrape"),
    (f"latency median, {SCRAPERS} scrapers, ms", "concurrent", "latency_median_ms"),
    (f"latency p99, {SCRAPERS} scrapers, ms", "concurrent", "latency_p99_ms"),
    ("resident memory, MiB", None, "rss_mib"),
    ("exposition size, bytes", "sequential", "body_bytes"),
]


def median_of(runs, phase, key):
    return statistics.median((run[phase] if phase else run)[key] for run in runs)


def table(results):
    """Formats the medians of the rounds, Ember / node_exporter, and the two ratios the targets name."""
    ember, node = results["ember"], results["node_exporter"]
    lines = ["| measure (median of rounds) | Ember | node_exporter 1.5 | Ember / node_exporter |",
             "| --- | --- | --- | --- |"]
    for label, phase, key in ROWS:
        mine, theirs = median_of(ember, phase, key), median_of(node, phase, key)
        digits = 0 if key == "body_bytes" else 3
        lines.append(f"| {label} | {mine:.{digits}f} | {theirs:.{digits}f} | {ratio(mine, theirs, 3)} |")

    targets = []
    for phase, name in (("sequential", "sequential"), ("concurrent", f"{SCRAPERS} scrapers")):
        cpu = ratio(median_of(ember, phase, "cpu_ms_per_scrape"), median_of(node, phase, "cpu_ms_per_scrape"), 3)
        latency = ratio(median_of(ember, phase, "latency_p99_ms"), median_of(node, phase, "latency_median_ms"), 3)
        targets.append(f"- {name}: CPU per scrape, Ember / node_exporter = {cpu} (target at most 0.05); "
                       f"Ember's p99 latency / node_exporter's median = {latency} (target below 1).")
    return "\n".join(lines), "\n".join(targets)


def smoke_problems(results):
    """Lists the runs without latencies or with failed scrapes; a CPU of 0 ticks is a number too."""
    problems = []
    for peer, runs in results.items():
        for run in runs:
            if not run["sequential"]["latency_median_ms"] > 0 or run["sequential"]["body_bytes"] == 0:
                problems.append(f"scrape: {peer} gave no sequential latency or an empty body")
            if run["concurrent"]["failed_scrapes"] > 0 or not run["concurrent"]["latency_median_ms"] > 0:
                problems.append(f"scrape: {peer} failed {run['concurrent']['failed_scrapes']} concurrent scrapes")
    return problems
