#!/usr/bin/env python3
"""Check what the test bed guest captured and print one line per check.

Reads the out directory that guest/test.sh wrote: `ember snapshot` outputs (*.prom and their
stderr in *.log), the kernel's own values (truth-*.txt), raw SMART log pages and steps.txt.
Expected values come from what the guest set: QEMU 7.2's NVMe controller, the SSDT's defaults and
the values written with devmem (acpi/ssdt-ember.asl lists both).

feature_checks.py has the checks of NVMe SMART, the libsensors configuration, the pcie collector
and the XCTest bundle. Exit status 1 when any check failed.
"""

import sys

from capture import Capture, Report, close, compare, describe_difference, unset_limit
from privilege_checks import check_privileges
from feature_checks import (NO_PCIE, NO_SMART, check_libsensors, check_nvme_smart, check_pcie,
                            check_sensors_program, check_xctest)

ATK_LABELS = {"in0": "Vcore Voltage", "in1": "+12V Voltage", "temp1": "CPU Temperature",
              "temp2": "MB Temperature", "fan1": "CPU FAN Speed", "fan2": "CHASSIS FAN Speed"}
# (family, sensor, value) as the SSDT reports them before devmem changes anything.
ATK_INITIAL = [("node_hwmon_in_volts", "in0", 1.2), ("node_hwmon_in_volts", "in1", 12.096),
               ("node_hwmon_temp_celsius", "temp1", 45.5), ("node_hwmon_temp_celsius", "temp2", 38.0),
               ("node_hwmon_fan_rpm", "fan1", 2400), ("node_hwmon_fan_rpm", "fan2", 1100),
               ("node_hwmon_temp_max_celsius", "temp1", 60), ("node_hwmon_temp_crit_celsius", "temp1", 95)]
ATK_CHANGED = [("node_hwmon_temp_celsius", "temp1", 81.2), ("node_hwmon_fan_rpm", "fan1", 6699),
               ("node_hwmon_temp_celsius", "temp2", 38.0), ("node_hwmon_fan_rpm", "fan2", 1100)]


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
    """Check the snapshot taken as the unprivileged user `nobody` against root's just before."""
    initial, unprivileged = capture.snapshots.get("initial"), capture.snapshots.get("unprivileged")
    if not initial or not unprivileged:
        report.expect("unprivileged snapshot", ["initial.prom or unprivileged.prom is missing"])
        return
    report.expect("unprivileged: hwmon series equal root's",
                  describe_difference(unprivileged.hwmon_samples(), initial.hwmon_samples()))

    name = "unprivileged: NVMe SMART reported unavailable, node_nvme_info kept"
    if not initial.has_prefix("ember_nvme_"):
        report.expect(name, [NO_SMART])
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
        report.expect(name, [NO_PCIE])
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
        report.expect(name, ["the snapshot has no ember_power_watts family"])
        return
    battery = {"domain": "BAT0", "source": "power_supply"}
    problems = [p for p in [
        compare(initial, "node_power_supply_power_watt", 16.65, power_supply="BAT0"),
        compare(changed, "node_power_supply_power_watt", 9.99, power_supply="BAT0"),
        compare(initial, "ember_power_watts", 16.65, **battery),
        compare(changed, "ember_power_watts", 9.99, **battery),
    ] if p]
    # A snapshot integrates the power over the one 2 s interval between its two samples. The
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
    /proc/net/dev, Ember's source, does not have. A temperature limit outside the plausible range,
    such as the -273.15 °C an NVMe drive reports for "no threshold", is exported by node_exporter and
    omitted by Ember.

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
            if unknown_speed or family == "node_network_receive_nohandler_total" or unset_limit(family, value):
                if actual is not None:
                    problems.append(f"{family}{labels} is {actual}, expected no series (a known deviation)")
                continue
            compared += 1
            if not close(actual, value):
                problems.append(f"{family}{labels} is {actual}, node_exporter has {value}")
    report.expect(f"node_exporter 1.5 and ember agree on {compared} series on a real kernel", problems)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check.py OUT_DIR")
    capture = Capture(sys.argv[1])
    report = Report()
    for check in (check_guest, check_snapshots, check_unprivileged, check_privileges, check_nvme_info, check_hwmon,
                  check_thermal_and_power, check_network, check_node_exporter, check_nvme_smart,
                  check_libsensors, check_sensors_program, check_pcie, check_xctest):
        check(capture, report)
    counts = report.counts
    print(f"{counts['ok']} passed, {counts['SKIP']} skipped, {counts['FAIL']} failed")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
