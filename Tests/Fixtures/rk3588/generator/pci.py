"""PCI functions under `sys/bus/pci/devices`: IDs, link attributes and AER counters.

Each populated RK3588 controller is a root port `DDDD:RR:00.0` with one endpoint `DDDD:EE:00.0` behind it.
IDs and link speeds are from linuxhw/LsPCI captures of an OPi5+ (5.10.160, 6.1.43); attribute formats from
`drivers/pci/pci-sysfs.c` and `drivers/pci/pcie/aer.c`. Every AER count is inferred.
"""

from .devices import bind_driver, pci_function

ROOT_PORT = {"vendor": "0x1d87", "device": "0x3588", "class": "0x060400", "revision": "0x01"}

# slot: endpoint IDs, then (speed, width) trained and capable for the endpoint and for its root port.
ENDPOINTS = {
    "nvme": ({"vendor": "0x15b7", "device": "0x501a", "class": "0x010802", "revision": "0x00"},
             ("8.0 GT/s PCIe", 4, "8.0 GT/s PCIe", 4), ("8.0 GT/s PCIe", 4, "8.0 GT/s PCIe", 4)),
    # The E-key root port trained at 2.5 GT/s under a 5 GT/s capability (lspci "downgraded", 6.1.43).
    "wifi": ({"vendor": "0x10ec", "device": "0xb852", "class": "0x028000", "revision": "0x00"},
             ("2.5 GT/s PCIe", 1, "2.5 GT/s PCIe", 1), ("2.5 GT/s PCIe", 1, "5.0 GT/s PCIe", 1)),
    "right": ({"vendor": "0x10ec", "device": "0x8125", "class": "0x020000", "revision": "0x05"},
              ("5.0 GT/s PCIe", 1, "5.0 GT/s PCIe", 1), ("5.0 GT/s PCIe", 1, "5.0 GT/s PCIe", 1)),
    "left": ({"vendor": "0x10ec", "device": "0x8125", "class": "0x020000", "revision": "0x05"},
             ("5.0 GT/s PCIe", 1, "5.0 GT/s PCIe", 1), ("5.0 GT/s PCIe", 1, "5.0 GT/s PCIe", 1)),
}

CORRECTABLE = ("RxErr", "BadTLP", "BadDLLP", "Rollover", "Timeout", "NonFatalErr", "CorrIntErr", "HeaderOF")
UNCORRECTABLE = ("Undefined", "DLP", "SDES", "TLP", "FCP", "CmpltTO", "CmpltAbrt", "UnxCmplt", "RxOF", "MalfTLP",
                 "ECRC", "UnsupReq", "ACSViol", "UncorrIntErr", "BlockedTLP", "AtomicOpBlocked", "TLPBlockedErr",
                 "PoisonTLPBlocked")

# Inferred: the right port's link took a few replayed TLPs, which its root port received as ERR_COR messages.
CORRECTABLE_COUNTS = {"right": {"RxErr": 2, "BadTLP": 1}}


def populated_slots(variant):
    """The NVMe slot and every slot with a PCI network interface, in controller order."""
    slots = {"nvme"} | {interface.pci for interface in variant.interfaces if interface.pci is not None}
    return [slot for slot in variant.pcie if slot in slots]


def aer_text(names, counts, total_name):
    lines = [f"{name} {counts.get(name, 0)}" for name in names]
    lines.append(f"{total_name} {sum(counts.values())}")
    return "\n".join(lines) + "\n"


def write_function(tree, path, ids, link, counts):
    tree.attrs(path, ids)
    current_speed, current_width, max_speed, max_width = link
    tree.attrs(path, {"current_link_speed": current_speed, "current_link_width": current_width,
                      "max_link_speed": max_speed, "max_link_width": max_width})
    tree.text(f"{path}/aer_dev_correctable", aer_text(CORRECTABLE, counts, "TOTAL_ERR_COR"))
    tree.text(f"{path}/aer_dev_nonfatal", aer_text(UNCORRECTABLE, {}, "TOTAL_ERR_NONFATAL"))
    tree.text(f"{path}/aer_dev_fatal", aer_text(UNCORRECTABLE, {}, "TOTAL_ERR_FATAL"))
    address = path.rsplit("/", 1)[1]
    tree.link(f"sys/bus/pci/devices/{address}", path)


def write_pci(tree, variant):
    for slot in populated_slots(variant):
        endpoint = pci_function(variant, slot)
        root_port = endpoint.rsplit("/", 1)[0]
        ids, endpoint_link, port_link = ENDPOINTS[slot]
        counts = CORRECTABLE_COUNTS.get(slot, {})

        write_function(tree, root_port, ROOT_PORT, port_link, {})
        tree.attrs(root_port, {"aer_rootport_total_err_cor": sum(counts.values()),
                               "aer_rootport_total_err_fatal": 0, "aer_rootport_total_err_nonfatal": 0})
        bind_driver(tree, root_port, "pcieport")
        write_function(tree, endpoint, ids, endpoint_link, counts)
