#!/usr/bin/env python3
"""Regenerate the Orange Pi 5 Plus fixture trees (vendor 5.10, vendor 6.1, mainline) from data tables.

Usage: python3 Tests/Fixtures/rk3588/generate.py

Each tree under this directory is deleted and rebuilt, so the output depends only on the tables in
generator/variants.py. Python 3 standard library only.
"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generator.accelerators import write_devfreq, write_mali, write_rknpu  # noqa: E402
from generator.cpu import write_cpus  # noqa: E402
from generator.devices import write_aspm, write_nvme, write_pwm_fan, write_regulators, write_tcpm  # noqa: E402
from generator.devicetree import write_devicetree  # noqa: E402
from generator.net import write_interfaces  # noqa: E402
from generator.pci import write_pci  # noqa: E402
from generator.procfs import write_procfs  # noqa: E402
from generator.storage import write_storage  # noqa: E402
from generator.thermal import write_thermal  # noqa: E402
from generator.tree import Tree  # noqa: E402
from generator.variants import ALL  # noqa: E402

WRITERS = (
    write_thermal, write_cpus, write_nvme, write_tcpm, write_pwm_fan, write_regulators, write_aspm,
    write_devfreq, write_mali, write_rknpu, write_interfaces, write_devicetree, write_procfs, write_storage,
    write_pci,
)


def build(variant):
    root = os.path.join(HERE, variant.directory)
    if os.path.lexists(root):
        shutil.rmtree(root)
    tree = Tree(root)
    for writer in WRITERS:
        writer(tree, variant)
    tree.verify()
    return root


def main():
    for variant in ALL:
        root = build(variant)
        print(f"wrote {os.path.relpath(root)} ({variant.kernel})")


if __name__ == "__main__":
    main()
