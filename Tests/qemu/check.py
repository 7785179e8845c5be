#!/usr/bin/env python3
"""Check what the test bed guest captured and print one line per check.

Reads the out directory that guest/test.sh wrote: `ember snapshot` outputs (*.prom and their
stderr in *.log), the kernel's own values (truth-*.txt), raw SMART log pages and steps.txt.
Expected values come from what the guest set: QEMU 7.2's NVMe controller, the SSDT's defaults and
the values written with devmem (acpi/ssdt-ember.asl lists both).

Checks of features that are not in every build (NVMe SMART, libsensors configuration, the pcie
collector) print SKIP with the reason while their metric family or flag is missing, and check
normally once it exists. Exit status 1 when any check failed.
"""

import math
import os
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

ATK_LABELS = {"in0": "Vcore Voltage", "in1": "+12V Voltage", "temp1": "CPU Temperature",
              "temp2": "MB Temperature", "fan1": "CPU FAN Speed", "fan2": "CHASSIS FAN Speed"}
# (family, sensor, value) as the SSDT reports them before devmem changes anything.
ATK_INITIAL = [("node_hwmon_in_volts", "in0", 1.2), ("node_hwmon_in_volts", "in1", 12.096),
               ("node_hwmon_temp_celsius", "temp1", 45.5), ("node_hwmon_temp_celsius", "temp2", 38.0),
               ("node_hwmon_fan_rpm", "fan1", 2400), ("node_hwmon_fan_rpm", "fan2", 1100),
               ("node_hwmon_temp_max_celsius", "temp1", 60), ("node_hwmon_temp_crit_celsius", "temp1", 95)]
ATK_CHANGED = [("node_hwmon_temp_celsius", "temp1", 81.2), ("node_hwmon_fan_rpm", "fan1", 6699),
               ("node_hwmon_temp_celsius", "temp2", 38.0), ("node_hwmon_fan_rpm", "fan2", 1100)]
# Why the checks of features missing from a build skip.
NO_SMART = "this build exports no ember_nvme_* family (the SMART reader is not merged)"
NO_PCIE = "this build exports no ember_pcie_* family (the pcie collector is not merged)"
NO_SENSORS_CONFIG = "this build has no --collector.hwmon.sensors-config flag (the libsensors path is not merged)"
CRITICAL_WARNING_BITS = ["available_spare", "temperature", "reliability_degraded", "read_only",
                         "volatile_memory_backup_failed", "persistent_memory_read_only"]


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


def check_guest(capture, report):
    steps = capture.read("steps.txt")
    if steps is None:
        report.expect("guest ran its steps", ["steps.txt is missing: the guest script did not start"])
        return
    failed = [line[len("failed "):] for line in steps.splitlines() if line.startswith("failed ")]
    report.expect(f"guest ran its {len(steps.splitlines())} steps", failed)
    release = (capture.read("kernel-release.txt") or "").strip()
    print(f"     guest kernel {release}")


def check_snapshots(capture, report):
    optional = [name for name in ("sensors-empty", "sensors-edited") if name in capture.snapshots]
    for name in ["initial", "unprivileged", "sysfs-reader", *optional, "changed"]:
        if name not in capture.snapshots:
            report.expect(f"snapshot {name}", [f"{name}.prom is missing"])
            continue
        snapshot = capture.snapshots[name]
        problems = [f"collector {labels['collector']} failed" for labels, value
                    in snapshot.select("ember_collector_success") if value != 1]
        log = capture.read(f"{name}.log") or ""
        problems += [line for line in log.splitlines() if "level=error" in line]
        report.expect(f"snapshot {name}: every collector succeeded, no error logged", problems)


def check_unprivileged(capture, report):
    """Check the snapshot taken as user nobody against the one taken as root just before."""
    initial, unprivileged = capture.snapshots.get("initial"), capture.snapshots.get("unprivileged")
    if not initial or not unprivileged:
        report.expect("unprivileged snapshot", ["initial.prom or unprivileged.prom is missing"])
        return
    report.expect("unprivileged: hwmon series equal root's",
                  describe_difference(unprivileged.hwmon_samples(), initial.hwmon_samples()))

    name = "unprivileged: NVMe SMART reported unavailable, node_nvme_info kept"
    if not initial.has_prefix("ember_nvme_"):
        report.skip(name, NO_SMART)
        return
    problems = [f"{family} exported without privilege" for family in unprivileged.families
                if family.startswith("ember_nvme_")]
    if [value for _, value in unprivileged.select("ember_source_available", collector="nvme")] != [0]:
        problems.append("no single ember_source_available{collector=\"nvme\"} 0")
    if not unprivileged.select("node_nvme_info", device="nvme0"):
        problems.append("node_nvme_info is missing")
    report.expect(name, problems)

    name = "unprivileged: pcie link series from sysfs equal root's"
    if not initial.has_prefix("ember_pcie_"):
        report.skip(name, NO_PCIE)
        return
    links = "ember_pcie_link_"
    report.expect(name, describe_difference(unprivileged.samples(links), initial.samples(links)))


def check_nvme_info(capture, report):
    initial = capture.snapshots.get("initial")
    found = initial.select("node_nvme_info", device="nvme0", serial="TB-NVME-0001",
                           model="QEMU NVMe Ctrl", state="live") if initial else []
    report.expect("node_nvme_info of the QEMU controller", [] if len(found) == 1 and found[0][1] == 1 else
                  [f"no node_nvme_info{{device=\"nvme0\",serial=\"TB-NVME-0001\"}} 1, found {found}"])


def check_hwmon(capture, report):
    initial, changed = capture.snapshots.get("initial"), capture.snapshots.get("changed")
    if not initial or not changed:
        return
    nvme = capture.chip(initial, "nvme")
    # QEMU 7.2 reports 323 K, a warning threshold of 343 K and a critical one of 373 K.
    problems = [p for p in [
        None if initial.select("node_hwmon_sensor_label", chip=nvme or "", sensor="temp1", label="Composite")
        else f"no Composite label on chip {nvme}",
        compare(initial, "node_hwmon_temp_celsius", 49.85, chip=nvme or "", sensor="temp1"),
        compare(initial, "node_hwmon_temp_max_celsius", 69.85, chip=nvme or "", sensor="temp1"),
        compare(initial, "node_hwmon_temp_crit_celsius", 99.85, chip=nvme or "", sensor="temp1"),
    ] if p]
    report.expect("hwmon: nvme chip's Composite temperature", problems)

    atk = capture.chip(initial, "atk0110") or ""
    problems = [f"no label {label!r} on {atk} {sensor}" for sensor, label in ATK_LABELS.items()
                if not initial.select("node_hwmon_sensor_label", chip=atk, sensor=sensor, label=label)]
    report.expect("hwmon: atk0110 labelled sensors", problems)
    problems = [compare(initial, family, value, chip=atk, sensor=sensor) for family, sensor, value in ATK_INITIAL]
    report.expect("hwmon: atk0110 values and limits", [p for p in problems if p])
    problems = [compare(changed, family, value, chip=atk, sensor=sensor) for family, sensor, value in ATK_CHANGED]
    report.expect("hwmon: atk0110 values written with devmem appear", [p for p in problems if p])

    sysfs = capture.snapshots.get("sysfs-reader")
    if sysfs:
        report.expect("hwmon: default reader agrees with the sysfs reader",
                      describe_difference(initial.hwmon_samples(), sysfs.hwmon_samples()))


def describe_difference(left, right):
    return ([f"only in the first: {sample}" for sample in sorted(left - right)]
            + [f"only in the second: {sample}" for sample in sorted(right - left)])


def check_thermal_and_power(capture, report):
    initial, changed = capture.snapshots.get("initial"), capture.snapshots.get("changed")
    if not initial or not changed:
        return
    report.expect("thermal zone acpitz from the SSDT, 40 then 65 C", [p for p in [
        compare(initial, "node_thermal_zone_temp", 40, type="acpitz", zone="0"),
        compare(changed, "node_thermal_zone_temp", 65, type="acpitz", zone="0"),
    ] if p])
    problems = [p for p in [
        compare(initial, "node_power_supply_online", 1, power_supply="AC0"),
        compare(changed, "node_power_supply_online", 0, power_supply="AC0"),
        compare(initial, "node_power_supply_capacity", 80, power_supply="BAT0"),
        compare(changed, "node_power_supply_capacity", 25, power_supply="BAT0"),
    ] if p]
    for snapshot, status in [(initial, "Charging"), (changed, "Discharging")]:
        if not snapshot.select("node_power_supply_info", power_supply="BAT0", status=status, model_name="EMBER-BAT0"):
            problems.append(f"no node_power_supply_info for BAT0 with status {status}")
    report.expect("power supplies AC0 and BAT0 from the SSDT, before and after devmem", problems)

    name = "power: battery discharge power, 16.65 then 9.99 W"
    if not initial.has_prefix("ember_power_watts"):
        report.skip(name, "this build exports no ember_power_watts family (the power collector is not merged)")
        return
    battery = {"domain": "BAT0", "source": "power_supply"}
    problems = [p for p in [
        compare(initial, "node_power_supply_power_watt", 16.65, power_supply="BAT0"),
        compare(changed, "node_power_supply_power_watt", 9.99, power_supply="BAT0"),
        compare(initial, "ember_power_watts", 16.65, **battery),
        compare(changed, "ember_power_watts", 9.99, **battery),
    ] if p]
    # A snapshot integrates the power over the one 2 s interval between its two samples; the
    # interval stretches on a loaded host, hence the wide bounds.
    energy = changed.value("ember_energy_joules_total", **battery)
    if energy is None or not 0.5 * 9.99 * 2 <= energy <= 1.5 * 9.99 * 2:
        problems.append(f"ember_energy_joules_total for BAT0 is {energy}, expected about 9.99 W x 2 s")
    report.expect(name, problems)


def check_network(capture, report):
    changed = capture.snapshots.get("changed")
    interfaces = dict(field.split("=", 1) for field in (capture.read("interfaces.txt") or "").split())
    if not changed or not interfaces.get("sender") or not interfaces.get("receiver"):
        report.expect("network counters", ["interfaces.txt or changed.prom is missing"])
        return
    sender, receiver = interfaces["sender"], interfaces["receiver"]
    # IPv6 is off and no address is set, so the frames l2send sent are the only ones.
    problems = [p for p in [
        compare(changed, "node_network_transmit_packets_total", 10, device=sender),
        compare(changed, "node_network_receive_packets_total", 10, device=receiver),
        compare(changed, "node_network_transmit_packets_total", 5, device=receiver),
        compare(changed, "node_network_receive_packets_total", 5, device=sender),
    ] if p]
    truth = capture.truth("truth-changed.txt")
    for device in (sender, receiver):
        for direction, kernel_name in [("receive", "rx"), ("transmit", "tx")]:
            for unit in ("bytes", "packets"):
                expected = float(truth.get(f"/sys/class/net/{device}/statistics/{kernel_name}_{unit}", "nan"))
                for family in (f"node_network_{direction}_{unit}_total", f"ember_network_{direction}_{unit}_total"):
                    problems.append(compare(changed, family, expected, device=device))
    report.expect(f"network: frames between {sender} and {receiver} counted, equal to sysfs",
                  [p for p in problems if p])


# Families of the node_exporter collectors the guest scraped, which Ember must reproduce.
NODE_EXPORTER_PREFIXES = ("node_hwmon_", "node_thermal_zone_", "node_power_supply_", "node_nvme_", "node_network_")


def check_node_exporter(capture, report):
    """Compare every series node_exporter 1.5 exported with Ember's, which must match in labels and value.

    The device state does not change between the two captures: no frames are sent and no value is
    written after the changed snapshot. Two deviations are expected and checked as such. node_exporter
    1.5 exports an unknown link speed (-1) as -125000 bytes, where Ember omits it. Its netdev collector
    reads rtnetlink by default (--collector.netdev.netlink), which adds rx_nohandler, a counter that
    /proc/net/dev, Ember's source, does not have.

    NOTE: /sys/class/net/IF/statistics/rx_nohandler has the same counter if Ember should export it.
    """
    oracle, changed = capture.snapshots.get("node-exporter"), capture.snapshots.get("changed")
    if not oracle or not changed:
        report.expect("node_exporter 1.5 and ember agree on a real kernel", ["a capture is missing"])
        return
    problems, compared = [], 0
    for family, samples in sorted(oracle.families.items()):
        if not family.startswith(NODE_EXPORTER_PREFIXES):
            continue
        for labels, value in samples:
            actual = changed.value(family, **labels)
            unknown_speed = family == "node_network_speed_bytes" and value == -125000
            if unknown_speed or family == "node_network_receive_nohandler_total":
                if actual is not None:
                    problems.append(f"{family}{labels} is {actual}, expected no series (a known deviation)")
                continue
            compared += 1
            if not close(actual, value):
                problems.append(f"{family}{labels} is {actual}, node_exporter has {value}")
    report.expect(f"node_exporter 1.5 and ember agree on {compared} series on a real kernel", problems)


def smart_fields(page):
    """Decode the SMART / Health Information log fields the checks compare (NVMe Base Spec, log 02h)."""
    little = lambda start, size: int.from_bytes(page[start:start + size], "little")
    return {"critical_warning": page[0], "temperature_kelvin": little(1, 2), "data_units_read": little(32, 16),
            "host_read_commands": little(64, 16), "power_cycles": little(112, 16)}


def check_nvme_smart(capture, report):
    name = "NVMe SMART: ember_nvme_* match the controller's log page"
    initial, changed = capture.snapshots.get("initial"), capture.snapshots.get("changed")
    if not initial or not initial.has_prefix("ember_nvme_"):
        report.skip(name, NO_SMART)
        return
    before = capture.read("smart-log-initial.bin", "rb")
    after = capture.read("smart-log-critical-warning.bin", "rb")
    if not before or not after or len(before) != 512 or len(after) != 512:
        report.expect(name, ["a captured SMART log page is missing or not 512 bytes"])
        return
    fields = smart_fields(before)
    problems = [
        compare(initial, "ember_nvme_critical_warning", fields["critical_warning"], device="nvme0"),
        compare(initial, "ember_nvme_temperature_celsius", fields["temperature_kelvin"] - 273.15,
                device="nvme0", sensor="composite"),
        compare(initial, "ember_nvme_data_read_bytes_total", fields["data_units_read"] * 512000, device="nvme0"),
        compare(initial, "ember_nvme_host_read_commands_total", fields["host_read_commands"], device="nvme0"),
        compare(initial, "ember_nvme_power_cycles_total", fields["power_cycles"], device="nvme0"),
    ]
    report.expect(name, [p for p in problems if p])

    # The guest set smart_critical_warning 4: bit 2, reliability degraded.
    warning = smart_fields(after)["critical_warning"]
    problems = [compare(changed, "ember_nvme_critical_warning", warning, device="nvme0")]
    for bit, label in enumerate(CRITICAL_WARNING_BITS):
        problems.append(compare(changed, "ember_nvme_critical_warning_active", (warning >> bit) & 1,
                                device="nvme0", warning=label))
    problems.append(None if warning == 4 else f"the captured page's critical warning is {warning}, expected 4")
    report.expect("NVMe SMART: critical warning 4 set through QEMU appears", [p for p in problems if p])


def check_libsensors(capture, report):
    parity, edited = capture.snapshots.get("sensors-empty"), capture.snapshots.get("sensors-edited")
    sysfs = capture.snapshots.get("sysfs-reader")
    if not parity or not edited:
        reason = NO_SENSORS_CONFIG
        report.skip("libsensors: empty configuration agrees with the sysfs reader", reason)
        report.skip("libsensors: label, ignore and compute lines apply", reason)
        return
    report.expect("libsensors: empty configuration agrees with the sysfs reader",
                  describe_difference(parity.hwmon_samples(), sysfs.hwmon_samples()) if sysfs
                  else ["sysfs-reader.prom is missing"])

    atk = capture.chip(parity, "atk0110") or ""
    expected = set()
    for family, labels, value in parity.hwmon_samples():
        labels_dict = dict(labels)
        if labels_dict.get("chip") == atk:
            if labels_dict.get("sensor") == "fan2":
                continue  # ignore fan2
            if labels_dict.get("sensor") == "temp1" and family == "node_hwmon_sensor_label":
                labels = tuple(sorted({**labels_dict, "label": "CPU Die"}.items()))
            if labels_dict.get("sensor") == "in1" and family.startswith("node_hwmon_in_"):
                value = value * 2  # compute in1 @*2, @/2
        expected.add((family, labels, value))
    actual = {(family, labels, round(value, 9)) for family, labels, value in edited.hwmon_samples()}
    expected = {(family, labels, round(value, 9)) for family, labels, value in expected}
    report.expect("libsensors: label, ignore and compute lines apply", describe_difference(actual, expected))


# node_exporter's family for each hwmon sensor type in `sensors -u` output, by subfeature suffix.
HWMON_UNITS = {"temp": "celsius", "in": "volts", "fan": "rpm", "curr": "amps"}


def parse_sensors_output(text):
    """Parse `sensors -u` output into {chip name: ({subfeature: value}, {sensor: label})}.

    A chip starts with an unindented line such as `atk0110-acpi-0`, a feature with an unindented
    line ending in a colon (its label), and each subfeature is an indented `temp1_input: 45.500`.
    """
    chips, current, label = {}, None, None
    for line in text.splitlines():
        if not line.strip() or line.startswith("Adapter:"):
            continue
        if not line.startswith(" ") and not line.endswith(":"):
            current = chips.setdefault(line.split("-")[0].lower(), ({}, {}))
        elif not line.startswith(" "):
            label = line[:-1]
        elif current is not None and ":" in line:
            subfeature, value = (part.strip() for part in line.split(":", 1))
            current[0][subfeature] = float(value)
            current[1][subfeature.split("_")[0]] = label
    return chips


def compare_with_sensors(snapshot, sensors_text):
    """List where Ember's hwmon series differ from lm-sensors' `sensors -u` on the same config."""
    problems = []
    for chip_name, (values, labels) in parse_sensors_output(sensors_text).items():
        found = [labels for labels, _ in snapshot.select("node_hwmon_chip_names")
                 if labels["chip_name"].lower() == chip_name]
        if len(found) != 1:
            problems.append(f"no single node_hwmon_chip_names for {chip_name}, found {found}")
            continue
        chip = found[0]["chip"]
        for subfeature, value in values.items():
            sensor, _, attribute = subfeature.partition("_")
            kind = re.sub(r"\d+$", "", sensor)
            if kind not in HWMON_UNITS or attribute not in ("input", "min", "max", "crit"):
                continue
            suffix = "" if attribute == "input" else f"_{attribute}"
            family = f"node_hwmon_{kind}{suffix}_{HWMON_UNITS[kind]}"
            actual = snapshot.value(family, chip=chip, sensor=sensor)
            # sensors -u prints three decimals.
            if actual is None or abs(actual - value) > 0.0006:
                problems.append(f"{family}{{chip={chip},sensor={sensor}}} is {actual}, sensors -u has {value}")
        for sensor, label in labels.items():
            labelled = snapshot.select("node_hwmon_sensor_label", chip=chip, sensor=sensor, label=label)
            if label != sensor and not labelled:
                problems.append(f"no node_hwmon_sensor_label {label!r} for {chip} {sensor}")
    return problems


def check_sensors_program(capture, report):
    for config in ("empty", "edited"):
        name = f"libsensors: ember agrees with lm-sensors' sensors -u, {config} config"
        snapshot, text = capture.snapshots.get(f"sensors-{config}"), capture.read(f"sensors-{config}-lm.txt")
        if not snapshot:
            report.skip(name, NO_SENSORS_CONFIG)
        elif not text:
            report.expect(name, [f"sensors-{config}-lm.txt is missing or empty"])
        else:
            report.expect(name, compare_with_sensors(snapshot, text))


def check_xctest(capture, report):
    name = "XCTest: host-machine tests pass on the guest's /sys"
    output = capture.read("xctest.txt")
    if output is None:
        report.skip(name, "no XCTest bundle given (run.sh --xctest)")
        return
    summaries = re.findall(r"Executed (\d+) tests?, with (\d+) failures?", output)
    skipped = re.findall(r"Test Case '(\S+)' skipped", output)
    if not summaries:
        report.expect(name, ["xctest.txt has no summary line: " + output.strip()[-300:]])
        return
    executed, failures = map(int, summaries[-1])
    failed = re.findall(r"Test Case '(\S+)' failed", output)
    problems = [f"{failures} of {executed} failed: {', '.join(failed)}"] if failures else []
    problems += [] if executed else ["no test ran"]
    problems += [f"skipped on a real kernel: {test}" for test in skipped]
    report.expect(f"{name} ({executed} tests)", problems)


def check_pcie(capture, report):
    initial, changed = capture.snapshots.get("initial"), capture.snapshots.get("changed")
    if not initial or not initial.has_prefix("ember_pcie_"):
        reason = NO_PCIE
        for name in ("names and drivers", "link state", "AER counters"):
            report.skip(f"pcie: {name}", reason)
        return
    problems = []
    for address, driver, device_name in [("0000:01:00.0", "nvme", "NVM Express"),
                                         ("0000:02:00.0", "e1000e", "82574L")]:
        found = initial.select("ember_pcie_device_info", address=address, driver=driver)
        if len(found) != 1 or device_name not in found[0][0].get("device_name", ""):
            problems.append(f"{address}: expected driver {driver} and a device name with {device_name!r}, "
                            f"found {found}")
    report.expect("pcie: names and drivers", problems)

    # Root port 00:01.0 advertises 8 GT/s x4 (x-speed=8,x-width=4); QEMU 7.2 trains it at 2.5 GT/s x1.
    port = "0000:00:01.0"
    report.expect("pcie: link state of root port 00:01.0, flagged below capability", [p for p in [
        compare(initial, "ember_pcie_link_max_speed_transfers_per_second", 8e9, address=port),
        compare(initial, "ember_pcie_link_max_width_lanes", 4, address=port),
        compare(initial, "ember_pcie_link_speed_transfers_per_second", 2.5e9, address=port),
        compare(initial, "ember_pcie_link_width_lanes", 1, address=port),
        compare(initial, "ember_pcie_link_downgraded", 1, address=port),
        compare(initial, "ember_pcie_link_downgraded", 0, address="0000:00:02.0"),
    ] if p])

    # Two correctable errors injected on the e1000e, one uncorrectable from the virtio-net.
    report.expect("pcie: AER counters move after injected errors", [p for p in [
        compare(initial, "ember_pcie_aer_reports_total", 0, address="0000:02:00.0", severity="correctable"),
        compare(changed, "ember_pcie_aer_reports_total", 2, address="0000:02:00.0", severity="correctable"),
        compare(changed, "ember_pcie_aer_errors_total", 1, address="0000:02:00.0", severity="correctable",
                kind="RxErr"),
        compare(changed, "ember_pcie_aer_errors_total", 1, address="0000:02:00.0", severity="correctable",
                kind="BadTLP"),
        compare(changed, "ember_pcie_aer_reports_total", 1, address="0000:03:00.0", severity="nonfatal"),
        compare(changed, "ember_pcie_aer_rootport_reports_total", 2, address="0000:00:02.0", severity="correctable"),
        compare(changed, "ember_pcie_aer_rootport_reports_total", 1, address="0000:00:03.0", severity="nonfatal"),
    ] if p])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check.py OUT_DIR")
    capture = Capture(sys.argv[1])
    report = Report()
    for check in (check_guest, check_snapshots, check_unprivileged, check_nvme_info, check_hwmon,
                  check_thermal_and_power, check_network, check_node_exporter, check_nvme_smart,
                  check_libsensors, check_sensors_program, check_pcie, check_xctest):
        check(capture, report)
    counts = report.counts
    print(f"{counts['ok']} passed, {counts['SKIP']} skipped, {counts['FAIL']} failed")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
