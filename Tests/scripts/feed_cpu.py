"""Fixture feed sources for CPU load, cpuidle, cpufreq, devfreq and the regulators that follow them."""
import glob
import os
import re
import struct

from feed_values import Counter, Level, clamp
from kernel_formats import (check_round_trip, parse_cpufreq_trans_table, parse_devfreq_trans_stat,
                            parse_proc_stat, parse_time_in_state, render_cpufreq_trans_table,
                            render_devfreq_trans_stat, render_proc_stat, render_time_in_state)

USER_HZ = 100
"""Ticks per second of /proc/stat and cpufreq's `time_in_state`, fixed at 100 by the kernel's ABI."""

BUSY_MODES = (0, 1, 2, 4, 5, 6)
"""/proc/stat columns that count as busy here: user, nice, system, iowait, irq, softirq."""

IDLE_MODE = 3


def read(path):
    with open(path) as f:
        return f.read()


class CPULoad:
    """Each CPU's busy share, written to /proc/stat and spent as idle time in its cpuidle states.

    The busy share starts at the CPU's share in the fixture and takes a random walk of up to two
    points per second between 1 % and 60 %. Busy ticks are split among the busy columns in the
    fixture's proportions. Each cpuidle state gets the idle time in its fixture share of that
    CPU's idle time, and its `usage`, `above` and `below` counts grow as `Counter`s.
    """

    def __init__(self, root, uptime_seconds):
        self.path = os.path.join(root, "proc", "stat")
        self.lines = check_round_trip(self.path, read(self.path), parse_proc_stat, render_proc_stat)
        self.total = next(line for line in self.lines if isinstance(line, list) and line[0] == "cpu")
        self.cpus = [line for line in self.lines if isinstance(line, list) and line[0] != "cpu"]
        self.busy = [self.busy_share(line) for line in self.cpus]
        self.shares = [self.mode_shares(line) for line in self.cpus]
        self.fractions = [[0.0] * len(line) for line in self.cpus]
        sysfs_cpus = os.path.join(root, "sys", "devices", "system", "cpu")
        self.idle_states = [self.cpuidle_states(sysfs_cpus, line[0][3:], uptime_seconds) for line in self.cpus]

    @staticmethod
    def busy_share(line):
        ticks = line[1:9]
        return clamp(sum(ticks[mode] for mode in BUSY_MODES) / max(1, sum(ticks)), 0.01, 0.6)

    @staticmethod
    def mode_shares(line):
        busy = [line[1 + mode] for mode in BUSY_MODES]
        total = sum(busy)
        return {mode: (ticks / total if total else 1 / len(busy)) for mode, ticks in zip(BUSY_MODES, busy)}

    @staticmethod
    def cpuidle_states(sysfs_cpus, cpu, uptime_seconds):
        """Returns the `IdleState`s of one CPU, each with its share of the CPU's idle time in the fixture."""
        directories = sorted(glob.glob(os.path.join(sysfs_cpus, f"cpu{cpu}", "cpuidle", "state*")))
        states = [IdleState(directory, uptime_seconds) for directory in directories]
        idle_total = sum(state.microseconds for state in states)
        for state in states:
            state.share = state.microseconds / idle_total if idle_total else 1 / len(states)
        return states

    def step(self, rng):
        files = {}
        for index, line in enumerate(self.cpus):
            self.busy[index] = clamp(self.busy[index] + rng.uniform(-0.02, 0.02), 0.01, 0.6)
            self.add_ticks(index, IDLE_MODE, USER_HZ * (1 - self.busy[index]))
            for mode, share in self.shares[index].items():
                self.add_ticks(index, mode, USER_HZ * self.busy[index] * share)
            files.update(self.step_idle_states(index, rng))
        for column in range(1, len(self.total)):
            self.total[column] = sum(line[column] for line in self.cpus)
        files[self.path] = render_proc_stat(self.lines)
        return files

    def add_ticks(self, index, mode, ticks):
        """Adds whole ticks to a column and carries the fraction to the next second."""
        self.fractions[index][mode] += ticks
        whole = int(self.fractions[index][mode])
        self.fractions[index][mode] -= whole
        self.cpus[index][1 + mode] += whole

    def step_idle_states(self, index, rng):
        files = {}
        idle_microseconds = (1 - self.busy[index]) * 1_000_000
        for state in self.idle_states[index]:
            files.update(state.step(idle_microseconds, rng))
        return files


class IdleState:
    """One cpuidle state: its residency `time` in µs and its `usage`, `above` and `below` counts."""

    def __init__(self, directory, uptime_seconds):
        self.directory = directory
        self.microseconds = int(read(os.path.join(directory, "time")))
        self.share = 0.0
        self.counts = {name: Counter(int(read(os.path.join(directory, name))), uptime_seconds)
                       for name in ("usage", "above", "below") if os.path.exists(os.path.join(directory, name))}

    def step(self, idle_microseconds, rng):
        """Adds this state's share of one second's idle time and grows its non-zero counts."""
        self.microseconds += round(idle_microseconds * self.share)
        files = {os.path.join(self.directory, "time"): f"{self.microseconds}\n"}
        for name, counter in self.counts.items():
            if counter.value and counter.grow(rng):
                files[os.path.join(self.directory, name)] = f"{counter.value}\n"
        return files


class CpufreqPolicy:
    """One cpufreq policy: its current frequency, its `stats/` files, and the regulator that follows it."""

    def __init__(self, directory, regulator=None):
        self.directory = directory
        stats = os.path.join(directory, "stats")
        self.times = self.load(os.path.join(stats, "time_in_state"), parse_time_in_state, render_time_in_state)
        self.table = self.load(os.path.join(stats, "trans_table"), parse_cpufreq_trans_table,
                               render_cpufreq_trans_table)
        self.total_path = os.path.join(stats, "total_trans")
        self.total = int(read(self.total_path)) if os.path.exists(self.total_path) else None
        levels_path = os.path.join(directory, "scaling_available_frequencies")
        levels = [int(value) for value in read(levels_path).split()] if os.path.exists(levels_path) else []
        self.level = Level(levels or list(self.times or {}), int(read(os.path.join(directory, "scaling_cur_freq"))))
        self.regulator = regulator

    @staticmethod
    def load(path, parse, render):
        return check_round_trip(path, read(path), parse, render) if os.path.exists(path) else None

    def step(self, rng):
        files = {}
        if self.times is not None and self.level.current in self.times:
            self.times[self.level.current] += USER_HZ
            files[os.path.join(self.directory, "stats", "time_in_state")] = render_time_in_state(self.times)
        previous = self.level.step(rng)
        if previous is None:
            return files
        files.update(self.transition_files(previous))
        for name in ("scaling_cur_freq", "cpuinfo_cur_freq"):
            if os.path.exists(os.path.join(self.directory, name)):
                files[os.path.join(self.directory, name)] = f"{self.level.current}\n"
        if self.regulator is not None:
            files.update(self.regulator.follow(self.level.current * 1000))
        return files

    def transition_files(self, previous):
        files = {}
        if self.total is not None:
            self.total += 1
            files[self.total_path] = f"{self.total}\n"
        if self.table is not None:
            levels, counts = self.table
            if previous in levels and self.level.current in levels:
                counts[levels.index(previous)][levels.index(self.level.current)] += 1
                files[os.path.join(self.directory, "stats", "trans_table")] = render_cpufreq_trans_table(self.table)
        return files


class Devfreq:
    """One devfreq device (the RK3588 GPU, NPU or DMC): `cur_freq`, `target_freq` and `trans_stat`."""

    def __init__(self, directory):
        self.directory = directory
        self.stat_path = os.path.join(directory, "trans_stat")
        self.stat = check_round_trip(self.stat_path, read(self.stat_path), parse_devfreq_trans_stat,
                                     render_devfreq_trans_stat)
        levels = [int(value) for value in read(os.path.join(directory, "available_frequencies")).split()]
        self.level = Level(levels, int(read(os.path.join(directory, "cur_freq"))))

    def step(self, rng):
        current, levels, counts, milliseconds, total = self.stat
        if self.level.current in levels:
            milliseconds[levels.index(self.level.current)] += 1000
        previous = self.level.step(rng)
        if previous is not None and previous in levels and self.level.current in levels:
            counts[levels.index(previous)][levels.index(self.level.current)] += 1
            total += 1
        self.stat = (self.level.current, levels, counts, milliseconds, total)
        files = {self.stat_path: render_devfreq_trans_stat(self.stat)}
        if previous is not None:
            for name in ("cur_freq", "target_freq"):
                files[os.path.join(self.directory, name)] = f"{self.level.current}\n"
        return files


class FollowingRegulator:
    """A CPU cluster's supply, whose `microvolts` is the OPP voltage of the cluster's frequency."""

    def __init__(self, path, microvolts_by_hertz):
        self.path = path
        self.microvolts_by_hertz = microvolts_by_hertz

    def follow(self, hertz):
        microvolts = self.microvolts_by_hertz.get(hertz)
        return {} if microvolts is None else {self.path: f"{microvolts}\n"}


def cells(path):
    """Returns a device-tree property as big-endian 32-bit cells."""
    with open(path, "rb") as f:
        data = f.read()
    return struct.unpack(f">{len(data) // 4}I", data[:len(data) // 4 * 4])


def opp_tables(device_tree):
    """Returns {phandle: {Hz: µV}} of every `operating-points-v2` table in the device tree."""
    tables = {}
    for directory, subdirectories, files in os.walk(device_tree):
        points = [name for name in subdirectories if name.startswith("opp-")]
        if "phandle" not in files or not points:
            continue
        table = {}
        for point in points:
            node = os.path.join(directory, point)
            if os.path.exists(os.path.join(node, "opp-hz")) and os.path.exists(os.path.join(node, "opp-microvolt")):
                high_and_low = cells(os.path.join(node, "opp-hz"))
                table[high_and_low[0] << 32 | high_and_low[1]] = cells(os.path.join(node, "opp-microvolt"))[0]
        tables[cells(os.path.join(directory, "phandle"))[0]] = table
    return tables


def cpu_nodes(device_tree):
    """Returns the `cpus/cpu@` nodes in `reg` order.

    That is logical CPU order on arm64 when the boot CPU has the lowest `reg`, as on the RK3588.
    """
    nodes = glob.glob(os.path.join(device_tree, "cpus", "cpu@*"))
    return sorted(nodes, key=lambda node: cells(os.path.join(node, "reg")))


def regulators_by_phandle(sysfs):
    """Returns {phandle: `microvolts` path} of the regulators whose `of_node` has a phandle."""
    found = {}
    for directory in glob.glob(os.path.join(sysfs, "class", "regulator", "*")):
        phandle = os.path.join(directory, "of_node", "phandle")
        if os.path.exists(phandle) and os.path.exists(os.path.join(directory, "microvolts")):
            found[cells(phandle)[0]] = os.path.join(directory, "microvolts")
    return found


def cluster_regulator(policy, device_tree, nodes, tables, regulators):
    """Returns the `FollowingRegulator` of a policy's first CPU, or None when the device tree does not name one."""
    first_cpu = int(read(os.path.join(policy, "related_cpus")).split()[0])
    if first_cpu >= len(nodes):
        return None
    node = nodes[first_cpu]
    supply, table = os.path.join(node, "cpu-supply"), os.path.join(node, "operating-points-v2")
    if not (os.path.exists(supply) and os.path.exists(table)):
        return None
    path = regulators.get(cells(supply)[0])
    points = tables.get(cells(table)[0])
    return FollowingRegulator(path, points) if path and points else None


def cpu_sources(root, uptime_seconds):
    """Returns the CPU load, cpufreq and devfreq sources of the fixture tree at `root`."""
    sysfs = os.path.join(root, "sys")
    device_tree = os.path.join(sysfs, "firmware", "devicetree", "base")
    nodes = cpu_nodes(device_tree) if os.path.isdir(device_tree) else []
    tables = opp_tables(device_tree) if nodes else {}
    regulators = regulators_by_phandle(sysfs)
    sources = [CPULoad(root, uptime_seconds)]
    policies = glob.glob(os.path.join(sysfs, "devices", "system", "cpu", "cpufreq", "policy*"))
    for policy in sorted(policies, key=lambda path: int(re.sub(r"\D", "", os.path.basename(path)))):
        sources.append(CpufreqPolicy(policy, cluster_regulator(policy, device_tree, nodes, tables, regulators)))
    for device in sorted(glob.glob(os.path.join(sysfs, "class", "devfreq", "*"))):
        if os.path.exists(os.path.join(device, "trans_stat")):
            sources.append(Devfreq(device))
    return sources
