#!/usr/bin/env python3
"""Write NVMe SMART / Health Information log pages (log identifier 02h) as 512-byte binary files.

Usage: python3 Tests/Fixtures/nvme/generate.py

Each page is built field by field at the byte offsets of the NVM Express Base Specification, with
multi-byte fields little-endian. README.md gives the source of every page's values. Python 3
standard library only.
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE_SIZE = 512

# (name, byte offset, width in bytes)
FIELDS = (
    ("critical_warning", 0, 1),
    ("composite_kelvin", 1, 2),
    ("available_spare", 3, 1),
    ("available_spare_threshold", 4, 1),
    ("percentage_used", 5, 1),
    ("endurance_group_summary", 6, 1),
    ("data_units_read", 32, 16),
    ("data_units_written", 48, 16),
    ("host_read_commands", 64, 16),
    ("host_write_commands", 80, 16),
    ("controller_busy_minutes", 96, 16),
    ("power_cycles", 112, 16),
    ("power_on_hours", 128, 16),
    ("unsafe_shutdowns", 144, 16),
    ("media_errors", 160, 16),
    ("error_log_entries", 176, 16),
    ("warning_temperature_minutes", 192, 4),
    ("critical_temperature_minutes", 196, 4),
) + tuple((f"sensor{n}_kelvin", 200 + 2 * (n - 1), 2) for n in range(1, 9)) + (
    ("tmt1_transitions", 216, 4),
    ("tmt2_transitions", 220, 4),
    ("tmt1_seconds", 224, 4),
    ("tmt2_seconds", 228, 4),
)

# nvme-cli 2.x `nvme smart-log` of a WDC PC SN530 on a Raspberry Pi 5: 26 °C is 299 K, and the
# drive implements no extra temperature sensor (nvme-cli prints none).
SN530 = {
    "composite_kelvin": 299, "available_spare": 100, "available_spare_threshold": 10,
    "data_units_read": 58670, "data_units_written": 56463,
    "host_read_commands": 829446, "host_write_commands": 255675, "controller_busy_minutes": 3,
    "power_cycles": 14, "power_on_hours": 2, "unsafe_shutdowns": 2, "error_log_entries": 1,
}

# smartctl `-a` SMART section of a WD_BLACK SN770M on a Raspberry Pi 5: 41 °C composite, sensor 1
# at 50 °C and sensor 2 at 41 °C. Sensors 3-8 read 0 (not implemented).
SN770M = {
    "composite_kelvin": 314, "available_spare": 100, "available_spare_threshold": 10,
    "data_units_read": 2789843, "data_units_written": 5679722,
    "host_read_commands": 13434698, "host_write_commands": 25191938, "controller_busy_minutes": 315,
    "power_cycles": 71, "power_on_hours": 10, "unsafe_shutdowns": 10,
    "sensor1_kelvin": 323, "sensor2_kelvin": 314,
}

# A worn drive as smartctl reported one: critical warning 0x04 (reliability degraded) with
# percentage used 100 %. The other fields are constructed.
WORN = dict(SN530, critical_warning=0x04, percentage_used=100, media_errors=3)

# Constructed to reach the edges of the format. Warning bits 0, 3 and 5 are set, percentage used
# is at its maximum of 255 %, and data units written are above 2^64. The spare is below its
# threshold, thermal management is in use, and the warning and critical temperature times are
# non-zero.
EDGES = dict(
    SN530, critical_warning=0x29, available_spare=4, available_spare_threshold=5, percentage_used=255,
    endurance_group_summary=0x04, data_units_written=(1 << 64) + 1000, warning_temperature_minutes=7,
    critical_temperature_minutes=2, sensor3_kelvin=330, tmt1_transitions=12, tmt2_transitions=1,
    tmt1_seconds=3600, tmt2_seconds=45,
)

PAGES = {
    "smart-log-wdc-sn530.bin": SN530,
    "smart-log-wd-black-sn770m.bin": SN770M,
    "smart-log-worn.bin": WORN,
    "smart-log-edges.bin": EDGES,
}


def page(values):
    """Return the 512-byte page with `values` (field name: integer) at their offsets, zeros elsewhere."""
    data = bytearray(PAGE_SIZE)
    known = {name for name, _, _ in FIELDS}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    for name, offset, width in FIELDS:
        data[offset:offset + width] = values.get(name, 0).to_bytes(width, "little")
    return bytes(data)


def main():
    for name, values in PAGES.items():
        with open(os.path.join(HERE, name), "wb") as handle:
            handle.write(page(values))
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
