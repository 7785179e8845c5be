#!/usr/bin/env python3
"""Load test of `ember serve` on loopback: 1000 idle connections beside 8 concurrent scrapers.

Each phase starts a fresh `ember serve` (the release binary) on the RK3588 mainline fixture tree without
storage, opens the idle connections, then runs the scrapers for a fixed time:

  default   --web.max-connections at its default (64): the agent keeps at most 64 of the idle connections and
            closes the one that has waited longest to admit each new one, so the opener replaces them all the
            time;
  held      --web.max-connections=1200: the agent keeps all 1000 idle connections open at once;
  fd-limit  as held, but with a hard RLIMIT_NOFILE of 512: the agent must lower its connection limit to
            (512 - 64) / 2 = 224 and log the lowered limit.

The idle connections are of three kinds, a third each: silent (connect and send nothing), keep-alive (one
GET /healthz and its response, then nothing) and slow (a request sent one byte per second). Each one the
agent closes is replaced about a second later (--reconnect-delay, with jitter), as a retrying client would
do, so the pressure lasts the whole phase. Each scraper sends GET /metrics on a fresh connection every
100 ms, and one more client resets its connection after the first 100 bytes of each /metrics response,
every 50 ms.

A phase passes when every scrape got 200 with a complete body (Content-Length bytes) that parses as
Prometheus text and contains ember_build_info, the agent's resident memory (VmRSS, sampled every 250 ms)
never grew by more than --rss-bound-mib over its value before the idle connections were opened, the agent
was alive throughout and exited with status 0 on SIGTERM. Its own ember_http_open_connections must fall to
at most 2 once the clients have closed, and in the default phase it must have counted evictions.

Usage: load-test.py [--ember PATH] [--idle 1000] [--scrapers 8] [--duration 30] [--reconnect-delay 1]
                    [--rss-bound-mib 16] [--markdown FILE]
Loopback only. The agent is started and stopped by this script, by its own pid. Exits 1 on a failed check.
"""
import argparse
import heapq
import os
import random
import re
import resource
import selectors
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(REPO, "Tests", "Fixtures", "rk3588", "opi5plus-mainline")
SAMPLE_LINE = re.compile(rb'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.]+(e[-+]?[0-9]+)?|NaN|[-+]Inf)$')
COMMENT_LINE = re.compile(rb'^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]*( .*)?$')
SLOW_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: load-test\r\n\r\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def open_descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def read_response(sock):
    """Reads one response with a Content-Length body; returns (status, body) or raises ValueError."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ValueError(f"connection closed after {len(data)} bytes of the head")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    headers = dict(line.split(b": ", 1) for line in lines[1:] if b": " in line)
    length = int(headers.get(b"Content-Length", b"-1"))
    if length < 0:
        raise ValueError("response without Content-Length")
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ValueError(f"body truncated at {len(body)} of {length} bytes")
        body += chunk
    return status, body[:length]


def check_exposition(body):
    """Returns None when the body is valid Prometheus text with ember_build_info, else the first problem."""
    if not body.endswith(b"\n"):
        return "body does not end with a line feed"
    for line in body[:-1].split(b"\n"):
        pattern = COMMENT_LINE if line.startswith(b"#") else SAMPLE_LINE
        if not pattern.match(line):
            return f"invalid line {line[:100]!r}"
    if b"\nember_build_info{" not in body:
        return "ember_build_info missing"
    return None


class Scraper(threading.Thread):
    """Sends GET /metrics on a fresh connection every `interval` seconds until `stop` is set."""

    def __init__(self, port, stop, interval=0.1):
        super().__init__(daemon=True)
        self.port, self.stop, self.interval = port, stop, interval
        self.latencies, self.failures = [], []

    def run(self):
        while not self.stop.is_set():
            start = time.perf_counter()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: load-test\r\nConnection: close\r\n\r\n")
                    status, body = read_response(s)
                problem = f"status {status}" if status != 200 else check_exposition(body)
            except (OSError, ValueError) as error:
                problem = f"{type(error).__name__}: {error}"
            elapsed = time.perf_counter() - start
            if problem:
                self.failures.append(problem)
            else:
                self.latencies.append(elapsed)
            time.sleep(max(0.0, self.interval - elapsed))


class Aborter(threading.Thread):
    """Requests /metrics and resets the connection after the first bytes of the response, every 50 ms, as a
    client killed mid-response does. The agent must neither crash nor leak the connection."""

    def __init__(self, port, stop):
        super().__init__(daemon=True)
        self.port, self.stop = port, stop
        self.aborted = 0

    def run(self):
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: load-test\r\n\r\n")
                    s.recv(100)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.aborted += 1
            except OSError:
                pass
            time.sleep(0.05)


class IdleConnections(threading.Thread):
    """Keeps `count` idle client connections open. Each one the agent closes is replaced 0.5 to 1.5 times
    `reconnect_delay` seconds later (uniformly random), as clients that retry with jitter would do."""

    KINDS = ("silent", "keep-alive", "slow")

    def __init__(self, port, count, stop, reconnect_delay):
        super().__init__(daemon=True)
        self.port, self.count, self.stop = port, count, stop
        self.reconnect_delay = reconnect_delay
        self.reconnects = []  # heap of monotonic times at which a replacement is due
        self.selector = selectors.DefaultSelector()
        self.slow = {}  # socket -> bytes of SLOW_REQUEST sent
        self.opened = self.closed_by_agent = self.connect_failures = 0
        self.next_kind = 0

    def open_one(self):
        kind = self.KINDS[self.next_kind % len(self.KINDS)]
        self.next_kind += 1
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            if kind == "keep-alive":
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: load-test\r\n\r\n")
                read_response(sock)
        except (OSError, ValueError):
            self.connect_failures += 1
            return
        sock.setblocking(False)
        if kind == "slow":
            self.slow[sock] = 0
        self.selector.register(sock, selectors.EVENT_READ, kind)
        self.opened += 1

    def open_all(self):
        """Opens connections up to `count`. Raises RuntimeError after 100 failed connects in a row, so an
        agent that stopped accepting ends the phase instead of hanging it."""
        failures_in_a_row = 0
        while len(self.selector.get_map()) < self.count:
            failures_before = self.connect_failures
            self.open_one()
            failures_in_a_row = failures_in_a_row + 1 if self.connect_failures > failures_before else 0
            if failures_in_a_row >= 100:
                raise RuntimeError(f"100 connects in a row failed with {len(self.selector.get_map())} idle open")

    def close_all(self):
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            key.fileobj.close()
        self.slow.clear()

    def drop(self, sock):
        self.selector.unregister(sock)
        self.slow.pop(sock, None)
        sock.close()
        self.closed_by_agent += 1
        heapq.heappush(self.reconnects, time.monotonic() + self.reconnect_delay * random.uniform(0.5, 1.5))

    def open_due(self):
        now = time.monotonic()
        while self.reconnects and self.reconnects[0] <= now:
            heapq.heappop(self.reconnects)
            self.open_one()

    def run(self):
        next_byte = time.monotonic() + 1
        while not self.stop.is_set():
            for key, _ in self.selector.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:  # the agent closed it, or a slow request got 408 and then its close
                    self.drop(key.fileobj)
            if time.monotonic() >= next_byte:
                next_byte += 1
                self.send_slow_bytes()
            self.open_due()

    def send_slow_bytes(self):
        for sock, sent in list(self.slow.items()):
            if sent >= len(SLOW_REQUEST):
                continue
            try:
                sock.send(SLOW_REQUEST[sent:sent + 1])
                self.slow[sock] = sent + 1
            except OSError:
                self.drop(sock)


def agent_http_counters(port):
    """Returns the agent's own ember_http_* series after the next sample, as {series: value}."""
    time.sleep(1.2)  # the families are published with each 1 s sample
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: load-test\r\nConnection: close\r\n\r\n")
        _, body = read_response(s)
    counters = {}
    for line in body.decode().splitlines():
        if line.startswith("ember_http_"):
            series, value = line.rsplit(" ", 1)
            counters[series.replace("ember_http_", "")] = float(value)
    return counters


def wait_ready(port, process, deadline=30):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"ember exited with status {process.returncode} before serving")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: load-test\r\n\r\n")
                status, body = read_response(s)
                if status == 200 and check_exposition(body) is None:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"ember on port {port} served no valid /metrics within {deadline} s")


def run_phase(name, args, extra_flags, hard_nofile=None):
    port = free_port()
    command = [args.ember, "serve", f"--web.listen-address=127.0.0.1:{port}",
               f"--path.sysfs={FIXTURE}/sys", f"--path.procfs={FIXTURE}/proc",
               f"--path.debugfs={FIXTURE}/sys/kernel/debug", "--no-storage", "--log.level=info"] + extra_flags

    def limit_descriptors():
        if hard_nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard_nofile, hard_nofile))

    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, preexec_fn=limit_descriptors)
    result = {"phase": name, "problems": []}
    stop = threading.Event()
    idle = None
    try:
        wait_ready(port, process)
        time.sleep(2)  # a few more samples, so the history and exposition buffers reach their steady size
        result["rss_before_mib"] = rss_mib(process.pid)

        idle = IdleConnections(port, args.idle, stop, args.reconnect_delay)
        idle.open_all()
        idle.start()
        scrapers = [Scraper(port, stop) for _ in range(args.scrapers)]
        for scraper in scrapers:
            scraper.start()
        aborter = Aborter(port, stop)
        aborter.start()

        rss_max, descriptors_max = 0.0, 0
        end = time.monotonic() + args.duration * {"default": 0.5, "held": 0.3, "fd-limit": 0.2}[name]
        while time.monotonic() < end:
            if process.poll() is not None:
                result["problems"].append(f"ember exited with status {process.returncode} under load")
                break
            rss_max = max(rss_max, rss_mib(process.pid))
            descriptors_max = max(descriptors_max, open_descriptors(process.pid))
            time.sleep(0.25)
        stop.set()
        for scraper in scrapers:
            scraper.join(timeout=15)
        idle.join(timeout=5)
        aborter.join(timeout=10)
        idle.close_all()
        try:
            result["agent"] = agent_http_counters(port)
        except (OSError, ValueError) as error:
            result["agent"] = {}
            result["problems"].append(f"reading the agent's ember_http_* families failed: {error}")

        latencies = sorted(l for s in scrapers for l in s.latencies)
        failures = [f for s in scrapers for f in s.failures]
        result.update(scrapes=len(latencies) + len(failures), failed=len(failures),
                      median_ms=statistics.median(latencies) * 1000 if latencies else float("nan"),
                      p99_ms=latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000 if latencies else float("nan"),
                      max_ms=latencies[-1] * 1000 if latencies else float("nan"),
                      rss_max_mib=rss_max, descriptors_max=descriptors_max,
                      idle_opened=idle.opened, idle_closed_by_agent=idle.closed_by_agent,
                      idle_connect_failures=idle.connect_failures, aborted=aborter.aborted)
        if process.poll() is None:
            result["rss_after_mib"] = rss_mib(process.pid)
        if failures:
            result["problems"].append(f"{len(failures)} failed scrapes, first: {failures[0]}")
        still_open = result["agent"].get("open_connections")
        if still_open is None:
            if result["agent"]:
                result["problems"].append("ember_http_open_connections is missing from /metrics")
        elif not 0 <= still_open <= 2:
            result["problems"].append(f"the agent had {still_open:g} connections open after every client closed")
        evicted = result["agent"].get('connections_closed_total{reason="evicted"}', 0)
        if name == "default" and evicted == 0:
            result["problems"].append("the agent counted no connection closed for a new one at the limit")
        if not latencies:
            result["problems"].append("no scrape succeeded")
        if rss_max - result["rss_before_mib"] > args.rss_bound_mib:
            result["problems"].append(
                f"resident memory grew by {rss_max - result['rss_before_mib']:.1f} MiB, over {args.rss_bound_mib} MiB")
    except RuntimeError as error:
        result["problems"].append(str(error))
    finally:
        stop.set()
        if idle:
            idle.close_all()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            status = process.wait()
            result["problems"].append("ember did not stop within 15 s of SIGTERM")
        if status != 0:
            result["problems"].append(f"ember exited with status {status}")
        log.seek(0)
        result["log"] = log.read().decode("utf-8", "replace")
        log.close()
    return result


def format_row(result):
    return (f"| {result['phase']} | {result.get('scrapes', 0)} | {result.get('failed', 0)} "
            f"| {result.get('median_ms', float('nan')):.1f} | {result.get('p99_ms', float('nan')):.1f} "
            f"| {result.get('max_ms', float('nan')):.1f} "
            f"| {result.get('rss_before_mib', float('nan')):.1f} | {result.get('rss_max_mib', float('nan')):.1f} "
            f"| {result.get('rss_after_mib', float('nan')):.1f} | {result.get('descriptors_max', 0)} "
            f"| {result.get('idle_opened', 0)} | {result.get('idle_closed_by_agent', 0)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ember", default=os.path.join(REPO, ".build", "release", "ember"))
    parser.add_argument("--idle", type=int, default=1000, help="idle connections kept open")
    parser.add_argument("--scrapers", type=int, default=8, help="concurrent scrapers")
    parser.add_argument("--duration", type=float, default=30,
                        help="seconds of scraping over all phases (split 50/30/20 percent)")
    parser.add_argument("--reconnect-delay", type=float, default=1.0,
                        help="seconds before an idle connection closed by the agent is replaced; 0 makes a "
                             "reconnect flood")
    parser.add_argument("--rss-bound-mib", type=float, default=16,
                        help="allowed growth of the agent's VmRSS over its value before the idle connections")
    parser.add_argument("--markdown", help="append the result table to this file")
    args = parser.parse_args()

    # The idle connections, the scrapers' sockets and Python's own files exceed a soft limit of 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = args.idle + args.scrapers + 64
    if hard != resource.RLIM_INFINITY and hard < needed:
        print(f"FAIL the hard open-file limit is {hard}, and {args.idle} idle connections need about {needed}. "
              f"Raise it (ulimit -Hn, or LimitNOFILE= for a CI service) or pass a smaller --idle.", flush=True)
        return 1
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    phases = [
        ("default", [], None),
        ("held", ["--web.max-connections=1200"], None),
        ("fd-limit", ["--web.max-connections=1200"], 512),
    ]
    results = []
    for name, flags, hard_nofile in phases:
        result = run_phase(name, args, flags, hard_nofile)
        if name == "fd-limit" and "effective=224" not in result["log"]:
            result["problems"].append("no log line with the lowered connection limit effective=224")
        results.append(result)
        status = "FAIL" if result["problems"] else "ok"
        print(f"{status} {name}: " + " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                                               for k, v in result.items()
                                               if k not in ("log", "problems", "phase", "agent")),
              flush=True)
        print("     agent: " + " ".join(f"{k}={v:g}" for k, v in sorted(result.get("agent", {}).items())))
        for problem in result["problems"]:
            print(f"     {problem}", flush=True)
        if result["problems"]:
            print("     agent log (last 20 lines):\n" + "\n".join(result["log"].splitlines()[-20:]), flush=True)

    table = "\n".join([
        "| phase | scrapes | failed | median ms | p99 ms | max ms | RSS before MiB | RSS max MiB | RSS after MiB "
        "| max open fds | idle connections opened | closed by the agent |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ] + [format_row(r) for r in results])
    print(table)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write(table + "\n")
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
