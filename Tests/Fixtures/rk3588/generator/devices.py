"""Platform and PCI devices: NVMe, the Type-C power supply, the PWM fan, regulators, PCIe ASPM."""

from .devicetree import BASE, CPU_SUPPLY_NODES
from .formats import padded

# The FUSB302 at 0x22 on i2c6. Mainline `rk3588-base.dtsi` puts i2c6 at the root as `i2c@fec80000` with
# alias `i2c6`, the same controller name and bus number as on the vendor kernels, so the path is shared.
TCPM_CLIENT = "sys/devices/platform/fec80000.i2c/i2c-6/6-0022"
# tcpm names its supply "tcpm-source-psy-" + dev_name() of the FUSB302's i2c client.
TCPM_NAME = "tcpm-source-psy-6-0022"


def pci_function(variant, slot):
    """Return the sysfs path of the endpoint behind one RK3588 PCIe controller (bus:00.0)."""
    controller, domain, root_bus, device_bus = variant.pcie[slot]
    return f"sys/devices/platform/{controller}/pci{domain}:{root_bus}/{domain}:{root_bus}:00.0/{domain}:{device_bus}:00.0"


def bind_driver(tree, device_path, driver):
    """Link a PCI function to its driver both ways, as the driver core does."""
    driver_path = f"sys/bus/pci/drivers/{driver}"
    tree.link(f"{device_path}/driver", driver_path)
    tree.link(f"{driver_path}/{device_path.rsplit('/', 1)[1]}", device_path)


def write_nvme(tree, variant):
    """Write the NVMe controller and its hwmon.

    Since Linux commit ed7770f66286 (also in 5.10.151 stable) the hwmon device is a child of the
    controller (`nvme/nvme0/hwmonN`), not of the PCI function.
    """
    nvme = variant.nvme
    function = pci_function(variant, "nvme")
    controller = f"{function}/nvme/nvme0"
    tree.attrs(controller, {
        "model": padded(nvme.model, 40),
        "serial": padded(nvme.serial, 20),
        "firmware_rev": padded(nvme.firmware, 8),
        "state": "live",
        "transport": "pcie",
        "address": function.rsplit("/", 1)[1],
        "cntlid": 0,
        "numa_node": -1,
    })
    tree.link(f"{controller}/device", function)
    tree.link("sys/class/nvme/nvme0", controller)
    bind_driver(tree, function, "nvme")

    hwmon = f"{controller}/hwmon{nvme.hwmon}"
    tree.attrs(hwmon, {
        "name": "nvme",
        "temp1_label": "Composite",
        "temp1_input": nvme.temp_input,
        "temp1_min": nvme.temp_min,
        "temp1_max": nvme.temp_max,
        "temp1_crit": nvme.temp_crit,
        "temp1_alarm": 0,
    })
    tree.link(f"{hwmon}/device", controller)
    tree.link(f"sys/class/hwmon/hwmon{nvme.hwmon}", hwmon)


def write_tcpm(tree, variant):
    """Write the FUSB302 USB-PD supply and its hwmon bridge, all zeros.

    On the Orange Pi 5 family this Type-C port is never the power input. With nothing plugged in, tcpm
    reports `online` 0 and zero voltages and currents.

    `usb_type` reads `[C] PD PD_PPS` on every kernel here. Before Linux 6.11 the core prints tcpm's type
    array in order, and from 6.11 it prints the type bitmask in enum order, which is the same sequence.

    The power_supply core adds the hwmon bridge to every supply (`CONFIG_POWER_SUPPLY_HWMON`, default y).
    It has `in0_*` and `curr1_*` for tcpm's voltage and current properties, and its name is the supply's
    with `-` replaced by `_`.
    """
    if variant.tcpm_hwmon is None:
        return
    supply = f"{TCPM_CLIENT}/power_supply/{TCPM_NAME}"
    values = {
        "type": "USB",
        "usb_type": "[C] PD PD_PPS",
        "online": 0,
        "voltage_min": 0,
        "voltage_max": 0,
        "voltage_now": 0,
        "current_max": 0,
        "current_now": 0,
    }
    tree.attrs(supply, values)
    uevent = [f"POWER_SUPPLY_NAME={TCPM_NAME}"]
    uevent += [f"POWER_SUPPLY_{name.upper()}={value}" for name, value in values.items()]
    tree.text(f"{supply}/uevent", "\n".join(uevent) + "\n")
    tree.link(f"{supply}/device", TCPM_CLIENT)
    tree.link(f"sys/class/power_supply/{TCPM_NAME}", supply)

    hwmon = f"{supply}/hwmon{variant.tcpm_hwmon}"
    tree.attrs(hwmon, {"name": TCPM_NAME.replace("-", "_"), "in0_input": 0, "in0_min": 0, "in0_max": 0,
                       "curr1_input": 0, "curr1_max": 0})
    tree.link(f"{hwmon}/device", supply)
    tree.link(f"sys/class/hwmon/hwmon{variant.tcpm_hwmon}", hwmon)


def write_pwm_fan(tree, variant):
    """Write the 2-wire fan on PWM3: `pwm1` only, no tachometer, so no `fan1_input`."""
    device = "sys/devices/platform/pwm-fan"
    hwmon = f"{device}/hwmon/hwmon{variant.pwmfan_hwmon}"
    tree.attrs(hwmon, {"name": "pwmfan", "pwm1": variant.pwmfan_pwm})
    if variant.pwmfan_has_enable:
        tree.attr(f"{hwmon}/pwm1_enable", 1)
    tree.link(f"{hwmon}/device", device)
    tree.link(f"sys/class/hwmon/hwmon{variant.pwmfan_hwmon}", hwmon)


def write_regulators(tree, variant):
    for regulator in variant.regulators:
        path = f"sys/{regulator.parent}/regulator/regulator.{regulator.number}"
        tree.attrs(path, {"name": regulator.name, "type": "voltage", "num_users": regulator.users})
        optional = {"microvolts": regulator.microvolts, "min_microvolts": regulator.min_microvolts,
                    "max_microvolts": regulator.max_microvolts}
        tree.attrs(path, {name: value for name, value in optional.items() if value is not None})
        if regulator.microvolts is not None:
            tree.attr(f"{path}/state", "enabled")
        tree.link(f"{path}/device", f"sys/{regulator.parent}")
        if regulator.name in CPU_SUPPLY_NODES:
            # The driver core links a device with a device-tree node to it as `of_node`.
            tree.link(f"{path}/of_node", f"{BASE}/{CPU_SUPPLY_NODES[regulator.name][0]}")
        tree.link(f"sys/class/regulator/regulator.{regulator.number}", path)


def write_aspm(tree, variant):
    tree.attr("sys/module/pcie_aspm/parameters/policy", variant.aspm_policy)
