"""Rewrites a copy of a fixture tree once a second with values that change as on a running board.

`FixtureFeed` finds the files of the series that move on a real board and rewrites them. These
are thermal zone and hwmon temperatures, cpufreq and devfreq frequencies with their statistics,
and the CPU regulators that follow them. They are also /proc/stat, cpuidle times and counts,
network counters in `statistics/` and /proc/net/dev, and any hwmon or power-supply voltage,
current, power or energy reading that is not zero. Limits, trip points, settings, error and drop counters stay as
the fixture has them, as they mostly do on a board. The value models are in feed_values.py.

Every write goes to a staging file outside the tree that is then renamed over the target. The
agent opens and reads each file anew at every sample, so it reads either the old or the new
content. Truncating the file in place would let a read fall between the truncation and the
write and see an empty file, which the agent records as a read error.
"""
import glob
import os
import random
import re
import threading
import time

from feed_cpu import cpu_sources, read
from feed_values import Counter, CounterFile, Gauge, Temperature
from kernel_formats import check_round_trip, parse_net_dev, render_net_dev

NETWORK_COUNTERS = {"rx_bytes": 0, "rx_packets": 1, "multicast": 7, "tx_bytes": 8, "tx_packets": 9}
"""The growing `statistics/` counters and their column in /proc/net/dev."""

HWMON_INPUT = re.compile(r"(temp|in|curr|power|energy)\d+_input")
POWER_SUPPLY_READINGS = ("voltage_now", "current_now", "power_now")
FALLBACK_UPTIME_SECONDS = 1e6
"""Uptime assumed when the fixture has no /proc/uptime, as the synthetic feed assumes for its counter rates."""


def uptime_seconds(root):
    path = os.path.join(root, "proc", "uptime")
    return float(read(path).split()[0]) if os.path.exists(path) else FALLBACK_UPTIME_SECONDS


def thermal_temperatures(sysfs):
    """Returns a `Temperature` per thermal zone, also writing the zone's own hwmon `temp1_input`, and their paths."""
    temperatures, mirrored = [], set()
    for zone in sorted(glob.glob(os.path.join(sysfs, "class", "thermal", "thermal_zone*"))):
        path = os.path.join(zone, "temp")
        if not os.path.exists(path):
            continue
        value = int(read(path))
        paths = [path]
        for mirror in glob.glob(os.path.join(zone, "hwmon*", "temp1_input")):
            if int(read(mirror)) == value:
                paths.append(mirror)
                mirrored.add(os.path.realpath(mirror))
        temperatures.append(Temperature(paths, value))
    return temperatures, mirrored


def hwmon_sources(sysfs, mirrored, uptime):
    """Returns a source per hwmon `*_input` reading not already fed through its thermal zone."""
    sources = []
    for chip in sorted(glob.glob(os.path.join(sysfs, "class", "hwmon", "hwmon*"))):
        for name in sorted(os.listdir(chip)):
            match = HWMON_INPUT.fullmatch(name)
            path = os.path.join(chip, name)
            if not match or os.path.realpath(path) in mirrored:
                continue
            value = int(read(path))
            if match.group(1) == "temp":
                sources.append(Temperature([path], value))
            elif value and match.group(1) == "energy":
                sources.append(CounterFile(path, value, uptime))
            elif value:
                sources.append(Gauge(path, value))
    return sources


def power_supply_sources(sysfs):
    sources = []
    for supply in sorted(glob.glob(os.path.join(sysfs, "class", "power_supply", "*"))):
        for name in POWER_SUPPLY_READINGS:
            path = os.path.join(supply, name)
            if os.path.exists(path) and int(read(path)):
                sources.append(Gauge(path, int(read(path))))
    return sources


class Network:
    """The growing counters of every interface, in `statistics/` and in /proc/net/dev.

    An interface that is not `down` and not a bond grows its non-zero counters as `Counter`s. A
    bond grows by the sum of its slaves' increments, as the bonding driver sums them.
    """

    def __init__(self, root, uptime):
        self.procnet_path = os.path.join(root, "proc", "net", "dev")
        self.procnet = None
        if os.path.exists(self.procnet_path):
            self.procnet = check_round_trip(self.procnet_path, read(self.procnet_path), parse_net_dev, render_net_dev)
        self.counters, self.bonds, self.down = {}, {}, set()
        for interface in sorted(glob.glob(os.path.join(root, "sys", "class", "net", "*", "statistics"))):
            self.add_interface(os.path.dirname(interface), uptime)

    def add_interface(self, directory, uptime):
        name = os.path.basename(directory)
        slaves = os.path.join(directory, "bonding", "slaves")
        operstate = os.path.join(directory, "operstate")
        counters = {}
        for key in NETWORK_COUNTERS:
            path = os.path.join(directory, "statistics", key)
            if os.path.exists(path):
                counters[key] = (path, Counter(int(read(path)), uptime))
        self.counters[name] = counters
        if os.path.exists(slaves):
            self.bonds[name] = read(slaves).split()
        elif os.path.exists(operstate) and read(operstate).strip() == "down":
            self.down.add(name)

    def step(self, rng):
        increments = {}
        for name, counters in self.counters.items():
            if name not in self.bonds and name not in self.down:
                increments[name] = {key: counter.grow(rng) for key, (_, counter) in counters.items() if counter.value}
        for bond, slaves in self.bonds.items():
            increments[bond] = {key: sum(increments.get(slave, {}).get(key, 0) for slave in slaves)
                                for key in self.counters[bond]}
            for key, increment in increments[bond].items():
                self.counters[bond][key][1].value += increment

        files = {}
        for name, added in increments.items():
            for key, increment in added.items():
                path, counter = self.counters[name][key]
                if increment:
                    files[path] = f"{counter.value}\n"
        if self.procnet is not None:
            self.add_to_procnet(increments)
            files[self.procnet_path] = render_net_dev(self.procnet)
        return files

    def add_to_procnet(self, increments):
        for name, columns in self.procnet[1]:
            for key, increment in increments.get(name, {}).items():
                columns[NETWORK_COUNTERS[key]] += increment


class StagedWriter:
    """Replaces files by renaming a staging file over them, keeping each file's mode."""

    def __init__(self, staging):
        self.staged = os.path.join(staging, "next")
        self.modes = {}

    def write(self, path, text):
        if path not in self.modes:
            self.modes[path] = os.stat(path).st_mode & 0o7777
        with open(self.staged, "w") as f:
            f.write(text)
        os.chmod(self.staged, self.modes[path])
        os.replace(self.staged, path)


class FixtureFeed:
    """The sources of a fixture tree copy and the seeded generator that moves them.

    `staging` must be a directory on the same file system as `root`, outside it.
    """

    def __init__(self, root, staging, seed):
        self.random = random.Random(seed)
        self.writer = StagedWriter(staging)
        sysfs = os.path.join(root, "sys")
        uptime = uptime_seconds(root)
        temperatures, mirrored = thermal_temperatures(sysfs)
        self.sources = [*temperatures, *hwmon_sources(sysfs, mirrored, uptime), *power_supply_sources(sysfs),
                        *cpu_sources(root, uptime), Network(root, uptime)]
        self.steps = 0
        self.writes = 0

    def step(self):
        """Moves every source by one second and rewrites the files whose content changed."""
        for source in self.sources:
            for path, text in source.step(self.random).items():
                self.writer.write(path, text)
                self.writes += 1
        self.steps += 1


class FeedLoop:
    """Runs `FixtureFeed.step` once a second on a thread until `stop`."""

    def __init__(self, feed):
        self.feed = feed
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="fixture-feed", daemon=True)
        self.error = None

    def start(self):
        self.thread.start()

    def run(self):
        next_step = time.monotonic()
        try:
            while not self.stopping.wait(max(0.0, next_step - time.monotonic())):
                self.feed.step()
                next_step += 1
        except Exception as error:  # Re-raised by stop(), so a broken feed cannot pass for a static tree.
            self.error = error

    def stop(self):
        """Stops the loop and raises the error that ended it early, if any."""
        self.stopping.set()
        self.thread.join()
        if self.error is not None:
            raise self.error
