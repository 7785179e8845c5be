#!/usr/bin/env python3
"""Measures what TLS costs `ember serve`: scrape latency on a kept-alive connection and over a new
connection (handshake included), resident memory at start and per idle keep-alive connection.

Each round starts the agent twice on node_exporter's fixture tree, with basic auth alone and with
TLS plus basic auth, so the two differ only in TLS. Certificates and the bcrypt hash are made in a
temporary directory; only loopback is used.

Usage: tls-benchmark.py EMBER_BINARY [--rounds N] [--scrapes N] [--idle N]
"""
import argparse
import base64
import crypt  # noqa: deprecated in 3.11, removed in 3.13; calls the system libxcrypt like the agent
import os
import re
import socket
import ssl
import statistics
import subprocess
import tempfile
import time

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "node-exporter")
PASSWORD = "benchmark"


def make_files(directory):
    def openssl(*arguments):
        subprocess.run(["openssl", *arguments], cwd=directory, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.crt", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1")
    digest = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
    users = f"basic_auth_users:\n  bench: '{digest}'\n"
    with open(os.path.join(directory, "auth.yml"), "w") as file:
        file.write(users)
    with open(os.path.join(directory, "tls.yml"), "w") as file:
        file.write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n" + users)


class Agent:
    def __init__(self, binary, config):
        self.process = subprocess.Popen(
            [binary, "serve", f"--web.config.file={config}", "--web.listen-address=127.0.0.1:0", "--no-storage",
             f"--path.sysfs={FIXTURES}/sys", f"--path.procfs={FIXTURES}/proc", "--log.level=info"],
            stderr=subprocess.PIPE, text=True)
        for line in self.process.stderr:
            match = re.search(r'msg="HTTP server listening".*address=([0-9.]+):(\d+)', line)
            if match:
                self.port = int(match.group(2))
                break

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))

    def stop(self):
        self.process.terminate()
        self.process.wait()


def connect(port, context):
    sock = socket.create_connection(("127.0.0.1", port))
    return context.wrap_socket(sock, server_hostname="127.0.0.1") if context else sock


def scrape(sock, path="/metrics"):
    token = base64.b64encode(f"bench:{PASSWORD}".encode()).decode()
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Basic {token}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    while len(body) < length:
        body += sock.recv(65536)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head.split(b"\r\n")[0].decode())


def wait_until_ready(port, context):
    for _ in range(100):
        try:
            scrape(connect(port, context), "/healthz")
            return
        except (OSError, RuntimeError):
            time.sleep(0.1)
    raise RuntimeError("the agent did not become healthy")


def percentile(values, fraction):
    return sorted(values)[int(len(values) * fraction)] * 1000


def measure(binary, config, context, scrapes, idle):
    agent = Agent(binary, config)
    try:
        wait_until_ready(agent.port, context)
        result = {"rss_start": agent.rss_kib()}
        sock = connect(agent.port, context)
        times = []
        for _ in range(scrapes):
            started = time.perf_counter()
            scrape(sock)
            times.append(time.perf_counter() - started)
        sock.close()
        result["keepalive"] = times
        fresh = []
        for _ in range(scrapes // 4):
            started = time.perf_counter()
            sock = connect(agent.port, context)
            scrape(sock)
            sock.close()
            fresh.append(time.perf_counter() - started)
        result["fresh"] = fresh
        time.sleep(0.5)
        before = agent.rss_kib()
        idle_connections = []
        for _ in range(idle):
            sock = connect(agent.port, context)
            scrape(sock, "/healthz")
            idle_connections.append(sock)
        time.sleep(0.5)
        result["per_idle"] = (agent.rss_kib() - before) / idle
        for sock in idle_connections:
            sock.close()
        return result
    finally:
        agent.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scrapes", type=int, default=400)
    parser.add_argument("--idle", type=int, default=60)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        make_files(directory)
        context = ssl.create_default_context(cafile=os.path.join(directory, "server.crt"))
        for round_number in range(1, arguments.rounds + 1):
            for name, config, tls in (("basic auth", "auth.yml", None), ("TLS + basic auth", "tls.yml", context)):
                result = measure(arguments.binary, os.path.join(directory, config), tls, arguments.scrapes,
                                 arguments.idle)
                keepalive = result["keepalive"]
                print(f"round {round_number} {name:17}: keep-alive scrape median "
                      f"{statistics.median(keepalive) * 1000:.3f} ms p90 {percentile(keepalive, 0.9):.3f} ms; "
                      f"new connection median {statistics.median(result['fresh']) * 1000:.2f} ms "
                      f"p90 {percentile(result['fresh'], 0.9):.2f} ms; RSS at start {result['rss_start']} KiB, "
                      f"{result['per_idle']:.1f} KiB per idle connection")


if __name__ == "__main__":
    main()
