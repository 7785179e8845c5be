"""Network interfaces under sys/class/net, with the attribute set node_exporter's netclass reads."""

from .bonding import attribute_overrides, bonding_flags, netdevs, write_bonds
from .devices import bind_driver, pci_function

# Interface flags from include/uapi/linux/if.h.
IFF_UP = 0x1
IFF_BROADCAST = 0x2
IFF_LOOPBACK = 0x8
IFF_MULTICAST = 0x1000

# net-sysfs `statistics/` counters, in the kernel's attribute order.
STATISTICS = (
    "collisions", "multicast", "rx_bytes", "rx_compressed", "rx_crc_errors", "rx_dropped", "rx_errors",
    "rx_fifo_errors", "rx_frame_errors", "rx_length_errors", "rx_missed_errors", "rx_nohandler",
    "rx_over_errors", "rx_packets", "tx_aborted_errors", "tx_bytes", "tx_carrier_errors", "tx_compressed",
    "tx_dropped", "tx_errors", "tx_fifo_errors", "tx_heartbeat_errors", "tx_packets", "tx_window_errors",
)


def statistics(interface):
    """Return every `statistics/` counter; the ones not set in the variant table are 0."""
    values = dict.fromkeys(STATISTICS, 0)
    values.update(interface.counters.__dict__)
    return values


def interface_path(variant, interface):
    if interface.pci is None:
        return f"sys/devices/virtual/net/{interface.name}"
    return f"{pci_function(variant, interface.pci)}/net/{interface.name}"


def write_interfaces(tree, variant):
    paths = {}
    for interface in netdevs(variant):
        path = interface_path(variant, interface)
        paths[interface.name] = path
        tree.attrs(path, {**attributes(interface), **attribute_overrides(variant, interface)})
        tree.text(f"{path}/ifalias", "")  # an unset alias reads as 0 bytes, not "\n"
        tree.attrs(f"{path}/statistics", statistics(interface))
        tree.link(f"sys/class/net/{interface.name}", path)

        if interface.pci is not None:
            function = pci_function(variant, interface.pci)
            tree.link(f"{path}/device", function)
            bind_driver(tree, function, interface.driver)

    write_bonds(tree, variant, paths)


def attributes(interface):
    """Return the one-line attributes of an interface.

    `speed` and `duplex` are left out where reading them fails with EINVAL (lo and Wi-Fi have no
    link settings), because a fixture file cannot fail a read.
    """
    loopback = interface.kind == "loopback"
    flags = IFF_UP | IFF_LOOPBACK if loopback else IFF_UP | IFF_BROADCAST | IFF_MULTICAST
    values = {
        "addr_assign_type": 0,
        "addr_len": 6,
        "address": interface.address,
        "broadcast": "00:00:00:00:00:00" if loopback else "ff:ff:ff:ff:ff:ff",
        "carrier": interface.carrier,
        "carrier_changes": interface.carrier_up + interface.carrier_down,
        "carrier_up_count": interface.carrier_up,
        "carrier_down_count": interface.carrier_down,
        "dev_id": "0x0",
        "dev_port": 0,
        "dormant": 0,
        "flags": f"{flags | bonding_flags(interface):#x}",
        "ifindex": interface.ifindex,
        "iflink": interface.ifindex,
        "link_mode": 0,
        "mtu": 65536 if loopback else 1500,
        "name_assign_type": 2 if loopback else 4,
        "netdev_group": 0,
        "operstate": interface.operstate,
        "proto_down": 0,
        "tx_queue_len": 1000,
        "type": 772 if loopback else 1,
    }
    if interface.speed is not None:
        values["speed"] = interface.speed
    if interface.duplex is not None:
        values["duplex"] = interface.duplex
    return values
