"""sys/firmware/devicetree/base: raw property files (NUL-terminated strings, big-endian u32 cells)."""

from .formats import be32, be64, dt_strings

BASE = "sys/firmware/devicetree/base"

# Cortex-A55 and Cortex-A76 `capacity-dmips-mhz`, the same in the vendor and mainline trees.
DMIPS_PER_MHZ = {"arm,cortex-a55": 530, "arm,cortex-a76": 1024}

# Mainline rk3588-opp.dtsi: (MHz, target µV) per OPP and the table's maximum µV; cluster1 and
# cluster2 are identical.
MAINLINE_A55_OPPS = ((1008, 675000), (1200, 712500), (1416, 762500), (1608, 850000), (1800, 950000))
MAINLINE_A76_OPPS = ((1200, 675000), (1416, 725000), (1608, 762500), (1800, 850000), (2016, 925000),
                     (2208, 987500), (2400, 1000000))
MAINLINE_OPP_TABLES = {
    "opp-table-cluster0": (MAINLINE_A55_OPPS, 950000),
    "opp-table-cluster1": (MAINLINE_A76_OPPS, 1000000),
    "opp-table-cluster2": (MAINLINE_A76_OPPS, 1000000),
}

# Vendor OPP tables as sbc-bench prints them on an Orange Pi 5 with Armbian 5.10.160: (MHz, first
# `opp-microvolt` cell). Every OPP node is in the device tree; `opp-supported-hw` decides which the
# kernel enables, so the tables list more frequencies than scaling_available_frequencies.
VENDOR_A55_OPPS = ((408, 675000), (600, 675000), (816, 675000), (1008, 675000), (1200, 712500),
                   (1416, 762500), (1608, 850000), (1704, 900000), (1800, 950000))
VENDOR_A76_OPPS = ((408, 675000), (600, 675000), (816, 675000), (1008, 675000), (1200, 675000),
                   (1416, 725000), (1608, 762500), (1800, 850000), (2016, 925000), (2208, 987500),
                   (2256, 1000000), (2304, 1030000), (2352, 1040000), (2400, 1050000))
VENDOR_GPU_OPPS = ((300, 675000), (400, 675000), (500, 675000), (600, 675000), (700, 700000),
                   (800, 750000), (900, 800000), (1000, 850000))
VENDOR_OPP_TABLES = {
    "cluster0-opp-table": (VENDOR_A55_OPPS, 950000),
    "cluster1-opp-table": (VENDOR_A76_OPPS, 1050000),
    "cluster2-opp-table": (VENDOR_A76_OPPS, 1050000),
    "gpu-opp-table": (VENDOR_GPU_OPPS, 850000),
}
# The vendor GPU node's `dynamic-power-coefficient` (Rockchip rk3588s.dtsi).
VENDOR_GPU_COEFFICIENT = 2982

# Placeholder phandles. dtc numbers phandles in the order it meets references, so the real values
# depend on the whole source. Only the links between nodes matter to readers.
CLUSTER_PHANDLES = (0x10, 0x11, 0x12)
GPU_OPP_PHANDLE = 0x13


# The A76 clusters' RK8602/RK8603 regulators at 0x42/0x43 on i2c0 and the CPUs each supplies
# (`cpu-supply`). The node names are placeholders.
CPU_SUPPLY_NODES = {
    "vdd_cpu_big0_s0": ("i2c@fd880000/regulator@42", 0x20, (4, 5)),
    "vdd_cpu_big1_s0": ("i2c@fd880000/regulator@43", 0x21, (6, 7)),
}


def cluster_of(cpu):
    """Return the RK3588 cluster index of a CPU: 0 for cpu0-3 (A55), 1 for cpu4-5, 2 for cpu6-7."""
    if cpu < 4:
        return 0
    if cpu < 6:
        return 1
    return 2


def write_devicetree(tree, variant):
    tree.binary(f"{BASE}/model", dt_strings(variant.model))
    tree.binary(f"{BASE}/compatible", dt_strings(*variant.compatible))
    tree.binary(f"{BASE}/cpus/#address-cells", be32(1))
    tree.binary(f"{BASE}/cpus/#size-cells", be32(0))
    for cpu in range(8):
        write_cpu_node(tree, variant, cpu)
    write_cpu_supplies(tree)
    if variant.mainline:
        write_opp_tables(tree, MAINLINE_OPP_TABLES, cells=3)
    else:
        write_opp_tables(tree, VENDOR_OPP_TABLES, cells=6)
        write_vendor_gpu_node(tree)


def write_cpu_node(tree, variant, cpu):
    """Write `cpu@N00`; a property the tree does not set has no file, as in /proc/device-tree."""
    node = f"{BASE}/cpus/cpu@{cpu * 0x100:x}"
    core = "arm,cortex-a55" if cpu < 4 else "arm,cortex-a76"
    tree.binary(f"{node}/compatible", dt_strings(core))
    tree.binary(f"{node}/device_type", dt_strings("cpu"))
    tree.binary(f"{node}/reg", be32(cpu * 0x100))
    tree.binary(f"{node}/capacity-dmips-mhz", be32(DMIPS_PER_MHZ[core]))
    if cpu in variant.power_coefficients:
        tree.binary(f"{node}/dynamic-power-coefficient", be32(variant.power_coefficients[cpu]))
    tree.binary(f"{node}/operating-points-v2", be32(CLUSTER_PHANDLES[cluster_of(cpu)]))


def write_cpu_supplies(tree):
    """Write the big clusters' regulator nodes and the `cpu-supply` phandles that point at them."""
    for name, (node, phandle, cpus) in CPU_SUPPLY_NODES.items():
        tree.binary(f"{BASE}/{node}/regulator-name", dt_strings(name))
        tree.binary(f"{BASE}/{node}/phandle", be32(phandle))
        for cpu in cpus:
            tree.binary(f"{BASE}/cpus/cpu@{cpu * 0x100:x}/cpu-supply", be32(phandle))


def write_opp_tables(tree, tables, cells):
    """Write OPP tables, each with the `phandle` its users reference.

    `opp-hz` is one 64-bit big-endian value. Mainline `opp-microvolt` is <target min max>, with min
    equal to target. The vendor one has 6 cells, a second triple for the memory supply; that triple
    repeats the CPU triple here as a placeholder.
    """
    phandles = CLUSTER_PHANDLES + (GPU_OPP_PHANDLE,)
    for (table, (opps, maximum)), phandle in zip(tables.items(), phandles):
        tree.binary(f"{BASE}/{table}/compatible", dt_strings("operating-points-v2"))
        tree.binary(f"{BASE}/{table}/phandle", be32(phandle))
        for mhz, microvolts in opps:
            node = f"{BASE}/{table}/opp-{mhz * 1000000}"
            triple = (microvolts, microvolts, maximum)
            tree.binary(f"{node}/opp-hz", be64(mhz * 1000000))
            tree.binary(f"{node}/opp-microvolt", be32(*(triple * (cells // 3))))
            tree.binary(f"{node}/clock-latency-ns", be32(40000))


def write_vendor_gpu_node(tree):
    """Write the vendor Mali node's energy-model properties: its coefficient and OPP table."""
    node = f"{BASE}/gpu@fb000000"
    tree.binary(f"{node}/compatible", dt_strings("arm,mali-bifrost"))
    tree.binary(f"{node}/dynamic-power-coefficient", be32(VENDOR_GPU_COEFFICIENT))
    tree.binary(f"{node}/operating-points-v2", be32(GPU_OPP_PHANDLE))
