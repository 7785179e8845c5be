"""CPU time of a process tree with nanosecond resolution, from a cgroup of its own.

/proc/PID/stat gives utime and stime in clock ticks of 10 ms. A daemon that uses 0.15 % of a core
over 60 s therefore shows as 9 ticks, and one tick either way moves its ratio to another daemon by
about 10 %. A cgroup counts every thread and every descendant of the processes moved into it,
including threads that exited during the window, in nanoseconds:

- cgroup v1: `cpuacct.usage` of a new group under the cpuacct hierarchy, in nanoseconds;
- cgroup v2: `usage_usec` in `cpu.stat` of a new group under the unified hierarchy, which
  exists without enabling the cpu controller.

`CpuAccount.open` returns None where neither hierarchy is mounted writable (no root, a container
that hides it). Callers then fall back to clock ticks and report that they did.
"""
import os

CANDIDATES = [
    # (hierarchy directory, file, field or None, nanoseconds per unit)
    ("/sys/fs/cgroup/cpuacct", "cpuacct.usage", None, 1),
    ("/sys/fs/cgroup/unified", "cpu.stat", "usage_usec", 1000),
    ("/sys/fs/cgroup", "cpu.stat", "usage_usec", 1000),
]


class CpuAccount:
    """A cgroup that counts the CPU time of the processes moved into it and of their descendants."""

    def __init__(self, path, file, field, scale):
        self.path, self.file, self.field, self.scale = path, file, field, scale

    @classmethod
    def open(cls, name):
        """Creates the group `name` in the first writable hierarchy; returns None if there is none."""
        for hierarchy, file, field, scale in CANDIDATES:
            if not os.path.exists(os.path.join(hierarchy, file)):
                continue
            path = os.path.join(hierarchy, f"{name}-{os.getpid()}")
            try:
                os.mkdir(path)
            except OSError:
                continue
            return cls(path, file, field, scale)
        return None

    def add(self, pids):
        """Moves `pids` into the group; a pid that has exited meanwhile is skipped."""
        for pid in pids:
            try:
                with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
                    f.write(str(pid))
            except ProcessLookupError:
                continue

    def seconds(self):
        """Returns the group's CPU time so far, user and system together, in seconds."""
        with open(os.path.join(self.path, self.file)) as f:
            text = f.read()
        if self.field is None:
            return int(text) * self.scale / 1e9
        for line in text.splitlines():
            key, value = line.split()
            if key == self.field:
                return int(value) * self.scale / 1e9
        raise RuntimeError(f"no {self.field} in {self.path}/{self.file}")

    def close(self):
        """Removes the group once its processes have exited; a group still in use is left behind."""
        try:
            os.rmdir(self.path)
        except OSError as error:
            print(f"cpu accounting: could not remove {self.path}: {error}")
