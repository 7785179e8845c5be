"""Ember against collectd, node_exporter and netdata at one sample and one scrape a second.

Each daemon runs in `unshare --net --mount --propagation private`. Loopback there gets 127.0.0.2
besides 127.0.0.1, because collectd's write_prometheus resolves its listen address with
AI_ADDRCONFIG and glibc treats a namespace whose only IPv4 address is 127.0.0.1 as having none.
A small init script brings up loopback, adds one dummy (or ifb) interface per directory in the fixture's
class/net so /proc/net/dev lists the fixture's interface names, bind-mounts the fixture's sys
read-only over /sys and then execs the daemon, which keeps the pid. /proc is the real procfs of
the namespace. The script scrapes once a second with `nsenter --net=/proc/PID/ns/net curl`, asking for gzip as Prometheus does, on a
fresh connection and, after each scrape, reads VmRSS and VmHWM of the daemon and all its
descendants. CPU time comes from a cgroup that the daemon's process tree joins when the window
starts (cpu_accounting.py, nanoseconds, every thread and descendant), or from
utime+stime+cutime+cstime in clock ticks where no cgroup hierarchy is writable.

Ember reads the fixture through --path.sysfs=<fixture>/sys rather than the bind mount: with
--path.sysfs=/sys it reads hwmon through libsensors, and libsensors 3.6 rejects a /sys whose
statfs type is not sysfs, as a bind mount's is.
"""
import gzip
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

from benchmark import REPO, TICKS
from cpu_accounting import CpuAccount

FIXTURE = os.path.join(REPO, "Tests", "Fixtures", "node-exporter")
PORT = 19400

NS_INIT = """set -eu
fixture=$1; shift
ip link set lo up
ip addr add 127.0.0.2/8 dev lo
for d in "$fixture"/class/net/*; do
    [ -d "$d" ] || continue
    n=${d##*/}
    ip link add "$n" type dummy 2>/dev/null || ip link add "$n" type ifb 2>/dev/null \\
        || echo "ns-init: cannot create interface $n" >&2
done
mount --bind "$fixture" /sys
mount -o remount,bind,ro /sys
exec "$@"
"""

COLLECTD_CONF = """Hostname "footprint"
FQDNLookup false
BaseDir "{work}"
PIDFile "{work}/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
Interval 1
AutoLoadPlugin false
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File STDERR
</Plugin>
LoadPlugin cpu
LoadPlugin cpufreq
LoadPlugin thermal
LoadPlugin sensors
LoadPlugin interface
LoadPlugin battery
LoadPlugin write_prometheus
<Plugin write_prometheus>
  Host "127.0.0.1"
  Port "{port}"
</Plugin>
"""

NETDATA_CONF = """[global]
    run as user = netdata
    web files owner = root
    web files group = root
    hostname = footprint
[directories]
    cache = {work}/cache
    lib = {work}/lib
    log = {work}/log
    lock = {work}/lock
    home = {work}/home
[web]
    bind to = 127.0.0.1:{port}
[registry]
    enabled = no
[health]
    script to execute on alarm = /bin/true
"""

NODE_EXPORTER_COLLECTORS = ["hwmon", "thermal_zone", "cpufreq", "netclass", "netdev", "nvme",
                            "powersupplyclass", "rapl"]

# Binary of each peer as Debian installs it; a peer whose binary is missing is reported as not installed.
PEER_BINARIES = {
    "collectd": "/usr/sbin/collectd",
    "node_exporter": "/usr/bin/prometheus-node-exporter",
    "netdata": "/usr/sbin/netdata",
}


def installed(peer, ember):
    return os.access(ember if peer == "ember" else PEER_BINARIES[peer], os.X_OK)


def peer_command(peer, ember, work):
    """Returns (command, environment, metrics path) for `peer` listening on PORT inside the namespace."""
    address = f"127.0.0.1:{PORT}"
    if peer == "ember":
        return ([ember, "serve", f"--web.listen-address={address}", f"--path.sysfs={FIXTURE}/sys",
                 "--path.procfs=/proc", "--no-storage", "--log.level=warn"], None, "/metrics")
    if peer == "node_exporter":
        flags = [f"--collector.{c}" for c in NODE_EXPORTER_COLLECTORS]
        return ([PEER_BINARIES[peer], "--collector.disable-defaults", *flags, "--no-collector.netdev.netlink",
                 "--collector.netdev.device-exclude=", "--path.sysfs=/sys", "--path.procfs=/proc",
                 f"--web.listen-address={address}"], None, "/metrics")
    if peer == "collectd":
        conf = os.path.join(work, "collectd.conf")
        with open(conf, "w") as f:
            f.write(COLLECTD_CONF.format(work=work, port=PORT))
        return ([PEER_BINARIES[peer], "-f", "-C", conf], None, "/metrics")
    return netdata_command(work)


def netdata_command(work):
    """Writes netdata.conf with every state folder under `work`, owned by the netdata user."""
    for folder in ("cache", "lib", "log", "lock", "home"):
        os.makedirs(os.path.join(work, folder), exist_ok=True)
        shutil.chown(os.path.join(work, folder), "netdata", "netdata")
    os.chmod(work, 0o755)
    conf = os.path.join(work, "netdata.conf")
    with open(conf, "w") as f:
        f.write(NETDATA_CONF.format(work=work, port=PORT))
    # VIRTUALIZATION=none skips netdata's cloud-metadata probes at start.
    environment = dict(os.environ, DO_NOT_TRACK="1", VIRTUALIZATION="none")
    return ([PEER_BINARIES["netdata"], "-D", "-c", conf], environment, "/api/v1/allmetrics?format=prometheus")


def process_tree(root):
    """Returns the pids of `root` and all its living descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def tree_usage(root):
    """Returns (CPU seconds with reaped children, Σ VmRSS MiB, Σ VmHWM MiB) over the process tree."""
    cpu = rss = hwm = 0.0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        cpu += sum(int(value) for value in fields[11:15]) / TICKS
        rss += int(status.get("VmRSS", "0 kB").split()[0]) / 1024
        hwm += int(status.get("VmHWM", "0 kB").split()[0]) / 1024
    return cpu, rss, hwm


def scrape_in_namespace(pid, path):
    """Scrapes the daemon inside its network namespace; returns the body, or None on a failure.

    The request accepts gzip as Prometheus does, so a daemon that compresses pays for it.
    """
    command = ["nsenter", f"--net=/proc/{pid}/ns/net", "curl", "-sf", "-m", "5", "-H", "Accept-Encoding: gzip",
               f"http://127.0.0.1:{PORT}{path}"]
    result = subprocess.run(command, capture_output=True)
    if result.returncode != 0:
        return None
    body = result.stdout
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return body.decode("utf-8", "replace")


def series_count(body):
    return sum(1 for line in body.splitlines() if line and not line.startswith("#"))


def start_time(pid):
    """Returns the start time of `pid` in clock ticks since boot, or None once it has exited."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def stop_daemon(process):
    """Sends SIGTERM and waits up to 20 s, then SIGKILL.

    Helpers the daemon started (netdata's plugins) and that outlive it get SIGKILL too, each by
    pid and only while its start time shows the pid was not reused.
    """
    helpers = {pid: start_time(pid) for pid in process_tree(process.pid) if pid != process.pid}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

    time.sleep(1)
    for pid, started in helpers.items():
        if started is not None and start_time(pid) == started:
            os.kill(pid, signal.SIGKILL)


def measure_peer(peer, ember, warmup, window):
    """Runs `peer` in its namespaces, scraped at 1 Hz, and returns CPU %, RSS and series counts."""
    with tempfile.TemporaryDirectory(prefix=f"footprint-{peer}-") as work:
        init = os.path.join(work, "ns-init.sh")
        with open(init, "w") as f:
            f.write(NS_INIT)
        command, environment, path = peer_command(peer, ember, work)
        log = open(os.path.join(work, "daemon.log"), "w")
        account = CpuAccount.open(f"ember-footprint-{peer}")
        process = subprocess.Popen(["unshare", "--net", "--mount", "--propagation", "private", "--",
                                    "/bin/sh", init, os.path.join(FIXTURE, "sys"), *command],
                                   stdout=log, stderr=log, env=environment)
        try:
            return scrape_and_sample(peer, process, path, warmup, window, account)
        except RuntimeError as error:
            log.flush()
            with open(log.name) as f:
                tail = f.read().strip().splitlines()[-3:]
            raise RuntimeError(f"{peer}: {error}; last lines of its log: {' | '.join(tail)}") from error
        finally:
            stop_daemon(process)
            log.close()
            if account:
                account.close()


def wait_first_scrape(process, path, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"daemon exited with status {process.returncode} before serving {path}")
        if scrape_in_namespace(process.pid, path) is not None:
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout} s waiting for a 200 on {path}")


def scrape_and_sample(peer, process, path, warmup, window, account):
    """Scrapes once a second; returns CPU %, RSS and series counts over the last `window` seconds.

    With an `account`, the daemon's process tree joins its cgroup when the window starts, and the
    CPU figure is the group's time. Without one, it is the tree's clock ticks.
    """
    wait_first_scrape(process, path)
    samples, failed, body = [], 0, ""
    start = time.monotonic()
    for second in range(warmup + window):
        scraped = scrape_in_namespace(process.pid, path)
        failed += scraped is None and second >= warmup
        body = scraped or body
        if second == warmup - 1 and account:
            account.add(process_tree(process.pid))
        if second >= warmup - 1:
            ticks_cpu, rss, hwm = tree_usage(process.pid)
            samples.append((time.monotonic(), account.seconds() if account else ticks_cpu, rss, hwm))
        time.sleep(max(0.0, start + second + 1 - time.monotonic()))

    (first_time, first_cpu, _, _), (last_time, last_cpu, _, last_hwm) = samples[0], samples[-1]
    return {
        "peer": peer,
        "cpu_pct": (last_cpu - first_cpu) / (last_time - first_time) * 100,
        "cpu_source": "cgroup" if account else "clock ticks",
        "rss_median_mib": statistics.median(sample[2] for sample in samples[1:]),
        "rss_peak_mib": last_hwm,
        "processes": len(process_tree(process.pid)),
        "series": series_count(body),
        "failed_scrapes": failed,
    }
