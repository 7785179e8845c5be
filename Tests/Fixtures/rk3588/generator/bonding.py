"""Bonding masters as the Linux 6.12 bonding driver lays them out in sysfs.

Sources: drivers/net/bonding/bond_sysfs.c (`bonding_masters`, the `bonding/` group),
bond_sysfs_slave.c (`bonding_slave/`), bond_main.c (`bond_enslave`, `bond_master_upper_dev_link`)
and net/core/dev.c (the `master`, `upper_*` and `lower_*` adjacency links).
"""

from dataclasses import fields, replace

from .models import Interface, NetCounters

# Interface flags from include/uapi/linux/if.h.
IFF_MASTER = 0x400
IFF_SLAVE = 0x800

# Values from include/linux/netdevice.h. The bond copies its first slave's MAC (NET_ADDR_STOLEN),
# and dev_set_mac_address() marks each slave's new MAC as set (NET_ADDR_SET). The rtnetlink request
# that created the bond named it (NET_NAME_USER).
NET_ADDR_STOLEN = 2
NET_ADDR_SET = 3
NET_NAME_USER = 3


def netdevs(variant):
    """Return the physical interfaces and the bonding masters in ifindex order, as /proc/net/dev lists them."""
    masters = [master_interface(variant, bond) for bond in variant.bonds]
    return tuple(sorted(variant.interfaces + tuple(masters), key=lambda interface: interface.ifindex))


def master_interface(variant, bond):
    """Return the bond as an interface whose link settings and counters follow from its slaves.

    In active-backup mode bond_ethtool_get_link_ksettings() reports the speed of the one slave that
    can transmit, the active one. bond_get_stats() sums the slaves' counters since enslavement, and
    the slaves are taken to have been enslaved at boot.
    """
    slaves = [interface_named(variant, slave.name) for slave in bond.slaves]
    active = interface_named(variant, active_slave(bond).name)
    any_link = any(slave.mii_status == "up" for slave in bond.slaves)
    return Interface(
        bond.name, bond.ifindex, slaves[0].address, "up" if any_link else "down", int(any_link),
        carrier_up=1, carrier_down=1, speed=active.speed, duplex=active.duplex,
        counters=summed_counters(slave.counters for slave in slaves), kind="bond")


def bonding_flags(interface):
    """Return the interface flag bonding adds: IFF_MASTER on a bond, IFF_SLAVE on its slaves."""
    if interface.kind == "bond":
        return IFF_MASTER
    return 0 if interface.master is None else IFF_SLAVE


def attribute_overrides(variant, interface):
    """Return the net-sysfs attributes, other than `flags`, that bonding changes on a master or a slave."""
    if interface.kind == "bond":
        return {"addr_assign_type": NET_ADDR_STOLEN, "name_assign_type": NET_NAME_USER}
    if interface.master is None:
        return {}
    # With fail_over_mac none, bond_enslave() gives every slave the bond's MAC.
    bond = bond_named(variant, interface.master)
    return {"address": interface_named(variant, bond.slaves[0].name).address, "addr_assign_type": NET_ADDR_SET}


def write_bonds(tree, variant, paths):
    """Write `class/net/bonding_masters`, each bond's `bonding/` group and the slave links.

    `paths` maps each interface name to its device directory, as net.py wrote it.
    """
    if not variant.bonds:
        return
    tree.attr("sys/class/net/bonding_masters", " ".join(bond.name for bond in variant.bonds))
    for bond in variant.bonds:
        write_bonding_group(tree, f"{paths[bond.name]}/bonding", bond)
        for slave in bond.slaves:
            write_slave(tree, variant, paths, bond, slave)


def write_bonding_group(tree, directory, bond):
    """Write the `bonding/` attributes of an active-backup bond, in per_bond_attrs order.

    Options other than `miimon` and `primary` are the driver defaults (Documentation/networking/
    bonding.rst). The 802.3ad attributes read as 0 bytes outside 802.3ad mode.
    """
    names = " ".join(slave.name for slave in bond.slaves)
    values = {
        "slaves": names, "mode": "active-backup 1", "fail_over_mac": "none 0", "arp_validate": "none 0",
        "arp_all_targets": "any 0", "arp_interval": 0, "arp_ip_target": None, "downdelay": 0, "updelay": 0,
        "peer_notif_delay": 0, "lacp_active": "on 1", "lacp_rate": "slow 0", "ad_select": "stable 0",
        "xmit_hash_policy": "layer2 0", "num_grat_arp": 1, "num_unsol_na": 1, "miimon": bond.miimon,
        "primary": bond.primary, "primary_reselect": "always 0", "use_carrier": 1,
        "active_slave": active_slave(bond).name,
        "mii_status": "up" if any(slave.mii_status == "up" for slave in bond.slaves) else "down",
        "ad_aggregator": None, "ad_num_ports": None, "ad_actor_key": None, "ad_partner_key": None,
        "ad_partner_mac": None, "queue_id": " ".join(f"{slave.name}:0" for slave in bond.slaves),
        "all_slaves_active": 0, "resend_igmp": 1, "min_links": 0, "lp_interval": 1, "packets_per_slave": 1,
        "tlb_dynamic_lb": 1, "ad_actor_sys_prio": None, "ad_actor_system": None, "ad_user_port_key": None,
        "arp_missed_max": 2,
    }
    for name, value in values.items():
        if value is None:
            tree.text(f"{directory}/{name}", "")
        else:
            tree.attr(f"{directory}/{name}", value)


def write_slave(tree, variant, paths, bond, slave):
    """Write a slave's `bonding_slave/` kobject and the adjacency links between it and the bond."""
    path = paths[slave.name]
    tree.attrs(f"{path}/bonding_slave", {
        "state": slave.state,
        "mii_status": slave.mii_status,
        "link_failure_count": slave.link_failure_count,
        "perm_hwaddr": interface_named(variant, slave.name).address,
        "queue_id": 0,
        "ad_aggregator_id": "N/A",
        "ad_actor_oper_port_state": "N/A",
        "ad_partner_oper_port_state": "N/A",
    })
    tree.link(f"{path}/master", paths[bond.name])
    tree.link(f"{path}/upper_{bond.name}", paths[bond.name])
    tree.link(f"{paths[bond.name]}/lower_{slave.name}", path)


def summed_counters(counters):
    """Return the field-wise sum of `NetCounters`."""
    totals = dict.fromkeys((field.name for field in fields(NetCounters)), 0)
    for item in counters:
        for name in totals:
            totals[name] += getattr(item, name)
    return replace(NetCounters(), **totals)


def active_slave(bond):
    return next(slave for slave in bond.slaves if slave.state == "active")


def interface_named(variant, name):
    return next(interface for interface in variant.interfaces if interface.name == name)


def bond_named(variant, name):
    return next(bond for bond in variant.bonds if bond.name == name)
