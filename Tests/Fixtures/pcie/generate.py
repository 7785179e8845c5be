#!/usr/bin/env python3
"""Write the synthesised PCI configuration spaces used by the pcie collector tests.

Usage: python3 Tests/Fixtures/pcie/generate.py

Each dump is `lspci -xxxx` text (4096 bytes per function), which libpci's dump method reads. The
`config-only` tree is a sysfs `bus/pci/devices` directory whose function has a binary `config`
file and no link attributes. Python 3 standard library only; the output is byte-identical on
every run. See README.md for the provenance of each value.
"""

import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

ROCKCHIP_ROOT = dict(vendor=0x1D87, device=0x3588, revision=0x01, class_code=0x060400)
SANDISK_NVME = dict(vendor=0x15B7, device=0x501A, revision=0x00, class_code=0x010802)
RTL8852BE = dict(vendor=0x10EC, device=0xB852, revision=0x00, class_code=0x028000)
RTL8125 = dict(vendor=0x10EC, device=0x8125, revision=0x05, class_code=0x020000)

SPEED_CODE = {2.5: 1, 5: 2, 8: 3, 16: 4}

# Link Capabilities: ASPM support in bits 11:10 (L1 = 0b10, L0s and L1 = 0b11). Root ports also
# report Data Link Layer Link Active (bit 20). Link Status: Slot Clock (bit 12), DLActive (bit 13).
ASPM_L1 = 0x800
ASPM_L0S_L1 = 0xC00
DLL_ACTIVE_REPORTING = 1 << 20
SLOT_CLOCK = 1 << 12
DL_ACTIVE = 1 << 13


def put(config, offset, fmt, value):
    struct.pack_into("<" + fmt, config, offset, value)


def config_space(ids, root_port, link, secondary_bus=0, link_active=True):
    """Return 4096 bytes: header, PM (0x40), MSI (0x50), PCI Express (0x70), MSI-X (0xb0), AER (0x100).

    `link` is (trained speed GT/s, trained width, capable speed, capable width).
    """
    config = bytearray(4096)
    put(config, 0x00, "H", ids["vendor"])
    put(config, 0x02, "H", ids["device"])
    put(config, 0x04, "H", 0x0406 if not root_port else 0x0507)
    put(config, 0x06, "H", 0x0010)  # capability list present
    put(config, 0x08, "I", ids["revision"] | ids["class_code"] << 8)
    config[0x0E] = 0x01 if root_port else 0x00
    if root_port:
        config[0x18], config[0x19], config[0x1A] = 0x00, secondary_bus, 0xFF
    else:
        put(config, 0x2C, "H", ids["vendor"])
        put(config, 0x2E, "H", ids["device"])
        config[0x3D] = 0x01
    config[0x34] = 0x40

    config[0x40:0x44] = bytes([0x01, 0x50, 0x03, 0x00])  # PM version 3, next MSI
    config[0x50:0x54] = bytes([0x05, 0x70, 0x80, 0x00])  # MSI, 64-bit, next PCI Express
    config[0x70:0x72] = bytes([0x10, 0xB0])
    put(config, 0x72, "H", 0x0042 if root_port else 0x0002)  # version 2; root port or endpoint
    speed, width, max_speed, max_width = link
    capabilities = SPEED_CODE[max_speed] | max_width << 4
    capabilities |= (ASPM_L1 | DLL_ACTIVE_REPORTING) if root_port else ASPM_L0S_L1
    put(config, 0x7C, "I", capabilities)
    status = SPEED_CODE[speed] | width << 4 | SLOT_CLOCK | (DL_ACTIVE if root_port and link_active else 0)
    put(config, 0x82, "H", status)
    config[0xB0:0xB4] = bytes([0x11, 0x00, 0x7F if root_port else 0x1F, 0x00])  # MSI-X, end of list

    put(config, 0x100, "I", 0x0001 | 2 << 16)  # AER version 2, end of extended list
    put(config, 0x10C, "I", 0x00062030)  # UESvrt: DLP, SDES, FCP, RxOF, MalfTLP
    put(config, 0x114, "I", 0x00002000)  # CEMsk: AdvNonFatalErr
    put(config, 0x118, "I", 0x000000A0)  # AERCap: ECRCGenCap, ECRCChkCap
    return bytes(config)


def dump_text(functions):
    """Format functions as `lspci -D -xxxx` prints them, each followed by a blank line."""
    lines = []
    for address, description, config in functions:
        lines.append(f"{address} {description}")
        for offset in range(0, len(config), 16):
            label = f"{offset:02x}" if offset < 0x100 else f"{offset:03x}"
            lines.append(f"{label}: " + " ".join(f"{byte:02x}" for byte in config[offset:offset + 16]))
        lines.append("")
    return "\n".join(lines)


def opi5plus():
    """The Orange Pi 5 Plus of Linux 6.1.43: four root ports, NVMe, Wi-Fi and two RTL8125."""
    port = "PCI bridge: Rockchip Electronics Co., Ltd RK3588 (rev 01)"
    return [
        ("0000:00:00.0", port, config_space(ROCKCHIP_ROOT, True, (8, 4, 8, 4), 0x01)),
        ("0000:01:00.0", "Non-Volatile memory controller: Sandisk Corp WD Blue SN570 NVMe SSD 1TB",
         config_space(SANDISK_NVME, False, (8, 4, 8, 4))),
        ("0002:20:00.0", port, config_space(ROCKCHIP_ROOT, True, (2.5, 1, 5, 1), 0x21)),
        ("0002:21:00.0", "Network controller: Realtek Semiconductor Co., Ltd. RTL8852BE PCIe 802.11ax Wireless "
         "Network Controller", config_space(RTL8852BE, False, (2.5, 1, 2.5, 1))),
        ("0003:30:00.0", port, config_space(ROCKCHIP_ROOT, True, (5, 1, 5, 1), 0x31)),
        ("0003:31:00.0", "Ethernet controller: Realtek Semiconductor Co., Ltd. RTL8125 2.5GbE Controller (rev 05)",
         config_space(RTL8125, False, (5, 1, 5, 1))),
        ("0004:40:00.0", port, config_space(ROCKCHIP_ROOT, True, (5, 1, 5, 1), 0x41)),
        ("0004:41:00.0", "Ethernet controller: Realtek Semiconductor Co., Ltd. RTL8125 2.5GbE Controller (rev 05)",
         config_space(RTL8125, False, (5, 1, 5, 1))),
    ]


def downtrained():
    """An NVMe drive capable of 8 GT/s x4 that trained at 2.5 GT/s x1 under an 8 GT/s x4 root port."""
    return [
        ("0000:00:00.0", "PCI bridge: Rockchip Electronics Co., Ltd RK3588 (rev 01)",
         config_space(ROCKCHIP_ROOT, True, (2.5, 1, 8, 4), 0x01)),
        ("0000:01:00.0", "Non-Volatile memory controller: Sandisk Corp WD Blue SN570 NVMe SSD 1TB",
         config_space(SANDISK_NVME, False, (2.5, 1, 8, 4))),
    ]


def empty_slot():
    """The mainline 6.6 pcie3x4 root port of an OPi5+ with an empty M.2 slot: 8 GT/s x4 capable,
    Link Status 2.5 GT/s x1 with DLActive-, because no device trained a link."""
    return [
        ("0000:00:00.0", "PCI bridge: Rockchip Electronics Co., Ltd RK3588 (rev 01)",
         config_space(ROCKCHIP_ROOT, True, (2.5, 1, 8, 4), 0x01, link_active=False)),
    ]


def link_active_clear():
    """A root port with DLActive- although an NVMe drive responds on its secondary bus, as QEMU 7.2's
    root ports report it for a device present at boot: 8 GT/s x4 capable, trained at 2.5 GT/s x1."""
    return [
        ("0000:00:00.0", "PCI bridge: Rockchip Electronics Co., Ltd RK3588 (rev 01)",
         config_space(ROCKCHIP_ROOT, True, (2.5, 1, 8, 4), 0x01, link_active=False)),
        ("0000:01:00.0", "Non-Volatile memory controller: Sandisk Corp WD Blue SN570 NVMe SSD 1TB",
         config_space(SANDISK_NVME, False, (2.5, 1, 8, 4))),
    ]


def unknown_ids():
    """IDs pci.ids does not list: vendor f00d, Rockchip device 9999, and base class 0x3f."""
    unknown_vendor = dict(vendor=0xF00D, device=0x0001, revision=0x00, class_code=0x3F0000)
    unknown_device = dict(vendor=0x1D87, device=0x9999, revision=0x00, class_code=0x020000)
    return [
        ("0000:01:00.0", "Unassigned class [3f00]: Device f00d:0001",
         config_space(unknown_vendor, False, (5, 1, 5, 1))),
        ("0001:11:00.0", "Ethernet controller: Rockchip Electronics Co., Ltd Device 9999",
         config_space(unknown_device, False, (5, 1, 5, 1))),
    ]


def write_config_only_tree():
    """A sysfs function without `*_link_*` attributes, so its link comes from `config`."""
    root = os.path.join(HERE, "config-only")
    if os.path.lexists(root):
        shutil.rmtree(root)
    function = os.path.join(root, "sys", "bus", "pci", "devices", "0000:01:00.0")
    os.makedirs(function)
    for name, value in (("vendor", "0x15b7"), ("device", "0x501a"), ("class", "0x010802")):
        with open(os.path.join(function, name), "w") as handle:
            handle.write(value + "\n")
    with open(os.path.join(function, "config"), "wb") as handle:
        handle.write(config_space(SANDISK_NVME, False, (5, 2, 8, 4)))


def main():
    for name, functions in (("opi5plus", opi5plus()), ("downtrained", downtrained()), ("empty-slot", empty_slot()),
                            ("link-active-clear", link_active_clear()), ("unknown-ids", unknown_ids())):
        with open(os.path.join(HERE, name + ".lspci"), "w") as handle:
            handle.write(dump_text(functions))
    write_config_only_tree()


if __name__ == "__main__":
    main()
