"""Ember's CPU and system calls per sample cycle against the pread floor on one tree.

The floor is Tests/bench/pread-floor.c: it opens every attribute file Ember reads in a sample
cycle once and then does one pread per file per cycle, which is the kernel's own cost of the
sample. The file list comes from `strace -f -y -e trace=read,pread64` on `ember snapshot`, which
takes two samples: the files the second one reads are read every cycle. Files read only at start
(discovery) and settled attributes, which a sample answers from memory between rescans, are left out.

The floor runs twice: in a tight loop, which the agent's 100 ms cycles here are compared with,
and with cycles 1 s apart, as at the agent's default interval. Between such cycles the kernel's
caches go cold, so the second figure is the one to hold against CPU measured at 1 Hz.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

from benchmark import REPO, TICKS, free_port, scrape, cpu_seconds

FLOOR_SOURCE = os.path.join(REPO, "Tests", "bench", "pread-floor.c")
# A read of a file descriptor as `strace -f -ttt -y` prints it: PID, time, call, descriptor and path.
READ_PATTERN = re.compile(r'^\d+\s+(\d+\.\d+)\s+(?:pread64|read)\(\d+<([^>]+)>')


def build_floor(work):
    """Compiles pread-floor.c with cc -O2 into `work` and returns the binary's path."""
    binary = os.path.join(work, "pread-floor")
    subprocess.run(["cc", "-O2", "-o", binary, FLOOR_SOURCE], check=True)
    return binary


def attribute_files(ember, sysfs, procfs, work):
    """Returns the sorted regular files under `sysfs` or `procfs` that the second sample of a snapshot reads.

    The snapshot runs with the default rescan interval, as `ember serve` does, so its first sample
    opens and reads every file, and its second re-reads only what a sample cycle reads: the files
    it keeps open, through `pread`. It reads neither the settled attributes (labels, limits,
    addresses), whose bytes it keeps until the next rescan, nor files read only at start. The
    two samples are split at the longest pause between two reads, the wait for the second sample.

    The interval is 2 s because strace slows Ember down several times, and a sample abandons the
    collectors still running at 0.8 × the interval, which would drop their files from the list.
    """
    trace = os.path.join(work, "snapshot.strace")
    command = ["strace", "-f", "-qq", "-ttt", "-y", "-o", trace, "-e", "trace=read,pread64", ember, "snapshot",
               f"--path.sysfs={sysfs}", f"--path.procfs={procfs}", "--sample.interval=2s", "--log.level=error"]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    roots = tuple(os.path.join(root, "") for root in (sysfs, procfs))
    reads = []
    with open(trace) as f:
        for line in f:
            match = READ_PATTERN.search(line)
            if match and match.group(2).startswith(roots):
                reads.append((float(match.group(1)), match.group(2)))
    reads.sort()
    if len(reads) < 2:
        raise RuntimeError(f"the snapshot read {len(reads)} files under {sysfs} and {procfs}; see {trace}")

    pauses = [(later[0] - earlier[0], index + 1) for index, (earlier, later) in enumerate(zip(reads, reads[1:]))]
    second_sample = max(pauses)[1]
    return sorted({path for _, path in reads[second_sample:] if os.path.isfile(path)})


# Cycles of the floor at one-second intervals, the agent's default: cold caches make each one cost
# more than in a tight loop, and 20 keep the part's run time at 20 s per tree.
SPACED_CYCLES = 20


def run_floor(binary, files, cycles, work, interval_ms=0):
    """Runs pread-floor over `files` for `cycles` cycles, `interval_ms` apart, and returns its output as a dict."""
    listing = os.path.join(work, "attribute-files.txt")
    with open(listing, "w") as f:
        f.write("\n".join(files) + "\n")
    with open(listing) as f:
        output = subprocess.run([binary, str(cycles), str(interval_ms)], stdin=f, capture_output=True, text=True,
                                check=True)
    return {key: float(value) for key, value in (pair.split("=") for pair in output.stdout.split())}


def serve_command(ember, sysfs, procfs, port, interval_ms):
    return [ember, "serve", f"--web.listen-address=127.0.0.1:{port}", f"--path.sysfs={sysfs}",
            f"--path.procfs={procfs}", f"--sample.interval={interval_ms}ms", "--no-storage", "--log.level=warn"]


def wait_for_metrics(port, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            scrape(port)
            return
        except (OSError, RuntimeError):
            time.sleep(0.05)
    raise RuntimeError(f"ember on port {port} served no /metrics within {timeout} s")


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def sample_duration_ms(port):
    """Reads ember_sample_duration_seconds (the last sample's wall time) from /metrics, in ms."""
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("ember_sample_duration_seconds "):
                return float(line.split()[1]) * 1000
    return float("nan")


def count_syscalls(pid, seconds, work):
    """Counts the system calls of every thread of `pid` over `seconds`, and names the tool used.

    perf stat on the raw_syscalls:sys_enter tracepoint when it works here, else strace -c -f.
    """
    if shutil.which("perf"):
        output = subprocess.run(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "-p", str(pid),
                                 "--", "sleep", str(seconds)], capture_output=True, text=True)
        for line in output.stderr.splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[2] == "raw_syscalls:sys_enter" and fields[0].isdigit():
                return int(fields[0]), "perf stat -e raw_syscalls:sys_enter"

    summary = os.path.join(work, "serve.strace-c")
    tracer = subprocess.Popen(["strace", "-c", "-f", "-qq", "-o", summary, "-p", str(pid)])
    time.sleep(seconds)
    tracer.terminate()
    tracer.wait(timeout=10)
    with open(summary) as f:
        total = [line for line in f if line.rstrip().endswith("total")]
    return int(total[0].split()[3]), "strace -c -f"


def measure_ember(ember, sysfs, procfs, window, interval_ms, work):
    """Runs `ember serve` at `interval_ms` without scrapes; returns CPU ms and system calls per cycle.

    Without scrapes the agent does not render the text exposition (it renders a snapshot's text at
    publish only while scrapers request it), so a cycle here is sampling, history and the
    exposition plan. The rendering is in the scrape part's CPU per scrape.

    Cycles are counted as window / interval, which is exact while a sample takes less than the
    interval. The last sample's duration is returned so the caller can check that.
    """
    port = free_port()
    process = subprocess.Popen(serve_command(ember, sysfs, procfs, port, interval_ms),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_metrics(port)
        time.sleep(2)
        before, start = cpu_seconds(process.pid), time.monotonic()
        time.sleep(window)
        cpu = cpu_seconds(process.pid) - before
        cycles = (time.monotonic() - start) * 1000 / interval_ms
        duration = sample_duration_ms(port)

        syscall_window = max(2, window // 2)
        syscalls, tool = count_syscalls(process.pid, syscall_window, work)
        return {
            "cpu_ms_per_cycle": cpu * 1000 / cycles,
            "cpu_tick_ms": 1000 / TICKS,
            "cycles": cycles,
            "syscalls_per_cycle": syscalls / (syscall_window * 1000 / interval_ms),
            "syscall_tool": tool,
            "sample_duration_ms": duration,
        }
    finally:
        stop(process)


def measure_tree(ember, name, sysfs, procfs, window, interval_ms, floor_cycles, spaced_cycles=SPACED_CYCLES):
    """Measures Ember and the floor on one tree and returns one result row."""
    with tempfile.TemporaryDirectory(prefix="ember-floor-") as work:
        files = attribute_files(ember, sysfs, procfs, work)
        binary = build_floor(work)
        floor = run_floor(binary, files, floor_cycles, work)
        spaced = run_floor(binary, files, spaced_cycles, work, interval_ms=1000)
        agent = measure_ember(ember, sysfs, procfs, window, interval_ms, work)
    floor_ms = floor["cpu_us_per_cycle"] / 1000
    return {
        "tree": name,
        "files": int(floor["files"]),
        "skipped": int(floor["skipped"]),
        "floor_cpu_ms": floor_ms,
        "floor_1s_cpu_ms": spaced["cpu_us_per_cycle"] / 1000,
        "ember_cpu_ms": agent["cpu_ms_per_cycle"],
        "cpu_ratio": agent["cpu_ms_per_cycle"] / floor_ms,
        "floor_syscalls": floor["syscalls_per_cycle"],
        "ember_syscalls": agent["syscalls_per_cycle"],
        "syscall_ratio": agent["syscalls_per_cycle"] / floor["syscalls_per_cycle"],
        "sample_duration_ms": agent["sample_duration_ms"],
        "cycles": agent["cycles"],
        "syscall_tool": agent["syscall_tool"],
    }
