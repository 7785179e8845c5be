"""sys/firmware/devicetree/base: raw property files (NUL-terminated strings, big-endian u32 cells)."""

from .formats import be32, dt_strings

BASE = "sys/firmware/devicetree/base"

# Cortex-A55 and Cortex-A76 `capacity-dmips-mhz`, the same in the vendor and mainline trees.
DMIPS_PER_MHZ = {"arm,cortex-a55": 530, "arm,cortex-a76": 1024}


def write_devicetree(tree, variant):
    tree.binary(f"{BASE}/model", dt_strings(variant.model))
    tree.binary(f"{BASE}/compatible", dt_strings(*variant.compatible))
    tree.binary(f"{BASE}/cpus/#address-cells", be32(1))
    tree.binary(f"{BASE}/cpus/#size-cells", be32(0))
    for cpu in range(8):
        write_cpu_node(tree, variant, cpu)


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
