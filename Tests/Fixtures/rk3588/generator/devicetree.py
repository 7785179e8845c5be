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


def write_devicetree(tree, variant):
    tree.binary(f"{BASE}/model", dt_strings(variant.model))
    tree.binary(f"{BASE}/compatible", dt_strings(*variant.compatible))
    tree.binary(f"{BASE}/cpus/#address-cells", be32(1))
    tree.binary(f"{BASE}/cpus/#size-cells", be32(0))
    for cpu in range(8):
        write_cpu_node(tree, variant, cpu)
    if variant.mainline:
        write_opp_tables(tree)


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


def write_opp_tables(tree):
    """Write the mainline OPP tables.

    `opp-hz` is one 64-bit big-endian value and `opp-microvolt` is <target min max>, with min
    equal to target.
    """
    for table, (opps, maximum) in MAINLINE_OPP_TABLES.items():
        tree.binary(f"{BASE}/{table}/compatible", dt_strings("operating-points-v2"))
        for mhz, microvolts in opps:
            node = f"{BASE}/{table}/opp-{mhz * 1000000}"
            tree.binary(f"{node}/opp-hz", be64(mhz * 1000000))
            tree.binary(f"{node}/opp-microvolt", be32(microvolts, microvolts, maximum))
            tree.binary(f"{node}/clock-latency-ns", be32(40000))
