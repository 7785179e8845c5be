"""Parsing of what the test bed guest captured, and the report check.py prints.

The guest writes `ember snapshot` outputs (*.prom), their stderr (*.log), the kernel's own values
(truth-*.txt), raw SMART log pages and steps.txt into its out directory; Capture reads them.
"""

import math
import os
import re

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Exposition:
    """Samples of one Prometheus text exposition, by family name."""

    def __init__(self, text):
        self.families = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            match = SAMPLE.match(line)
            if not match:
                raise ValueError(f"invalid sample line: {line!r}")
            name, labels, value = match.groups()
            parsed = {key: bytes(raw, "utf-8").decode("unicode_escape") for key, raw in LABEL.findall(labels or "")}
            self.families.setdefault(name, []).append((parsed, float(value)))

    def select(self, family, **labels):
        return [(found, value) for found, value in self.families.get(family, [])
                if all(found.get(key) == wanted for key, wanted in labels.items())]

    def value(self, family, **labels):
        """Return the one sample's value matching the labels, or None."""
        matches = self.select(family, **labels)
        return matches[0][1] if len(matches) == 1 else None

    def has_prefix(self, prefix):
        return any(name.startswith(prefix) for name in self.families)

    def samples(self, prefix):
        """Return the samples of the families starting with prefix as a set of (family, sorted labels, value)."""
        return {(name, tuple(sorted(labels.items())), value) for name, samples in self.families.items()
                if name.startswith(prefix) for labels, value in samples}

    def hwmon_samples(self):
        return self.samples("node_hwmon_")


class Report:
    def __init__(self):
        self.counts = {"ok": 0, "SKIP": 0, "FAIL": 0}

    def line(self, status, name, detail=""):
        self.counts[status] += 1
        print(f"{status:<4} {name}" + (f": {detail}" if detail else ""))

    def expect(self, name, problems):
        """Print ok when `problems` is empty, else FAIL with the first few."""
        if problems:
            self.line("FAIL", name, "; ".join(problems[:4]) + (" ..." if len(problems) > 4 else ""))
        else:
            self.line("ok", name)

    def skip(self, name, reason):
        self.line("SKIP", name, reason)


def close(actual, expected):
    return actual is not None and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)


def compare(exposition, family, expected, **labels):
    """Return a problem description, or None when the sample has the expected value."""
    actual = exposition.value(family, **labels)
    if close(actual, expected):
        return None
    selector = ",".join(f'{key}="{value}"' for key, value in labels.items())
    return f"{family}{{{selector}}} is {actual}, expected {expected}"


class Capture:
    """The files one guest run wrote."""

    def __init__(self, directory):
        self.directory = directory
        self.snapshots = {}
        for name in os.listdir(directory):
            if name.endswith(".prom"):
                with open(os.path.join(directory, name), encoding="utf-8") as file:
                    self.snapshots[name[:-len(".prom")]] = Exposition(file.read())

    def read(self, name, mode="r"):
        path = os.path.join(self.directory, name)
        if not os.path.exists(path):
            return None
        with open(path, mode) as file:
            return file.read()

    def truth(self, name):
        """Return the kernel's values the guest recorded, by sysfs path."""
        text = self.read(name) or ""
        return dict(line.split("\t", 1) for line in text.splitlines() if "\t" in line)

    def chip(self, snapshot, chip_name):
        """Return the `chip` label of the hwmon chip whose name file is chip_name."""
        found = snapshot.select("node_hwmon_chip_names", chip_name=chip_name)
        return found[0][0]["chip"] if len(found) == 1 else None


def describe_difference(left, right):
    return ([f"only in the first: {sample}" for sample in sorted(left - right)]
            + [f"only in the second: {sample}" for sample in sorted(right - left)])


def unset_limit(family, value):
    """Whether Ember omits this series as a temperature limit meaning "no threshold".

    Ember treats a limit below -200 °C or above 3000 °C as unset (drives report -273.15 and
    65261.85 °C), and node_exporter and lm-sensors print it as a number.
    """
    is_limit = family.startswith("node_hwmon_temp_") and family != "node_hwmon_temp_celsius"
    return is_limit and not -200 <= value <= 3000
