"""The three Orange Pi 5 Plus variants as data tables.

Provenance of each value is in ../README.md; values it lists as placeholders are chosen to be
plausible and mutually consistent, not measured.
"""

from .models import (Bond, BondSlave, CoolingBinding, CoolingDevice, Devfreq, Interface, NetCounters, Nvme,
                     Policy, Regulator, Trip, Variant, Zone)

A55_VENDOR = (408000, 600000, 816000, 1008000, 1200000, 1416000, 1608000, 1800000)
A76_VENDOR_LOW = A55_VENDOR + (2016000, 2208000)
A55_MAINLINE = (1008000, 1200000, 1416000, 1608000, 1800000)
A76_MAINLINE = (1200000, 1416000, 1608000, 1800000, 2016000, 2208000, 2400000)
GPU_NPU_HZ = tuple(mhz * 1000000 for mhz in range(300, 1001, 100))
DMC_LPDDR4X_HZ = (528000000, 1068000000, 1560000000, 2112000000)

SOC_TRIPS_VENDOR = (Trip("passive", 75000, 2000), Trip("passive", 85000, 2000), Trip("critical", 115000, 2000))
CRIT_VENDOR = (Trip("critical", 115000, 2000),)
CRIT_MAINLINE = (Trip("critical", 115000, 0),)
PASSIVE_MAINLINE = (Trip("passive", 85000, 2000), Trip("critical", 115000, 0))
FAN_TRIPS_MAINLINE = CRIT_MAINLINE + (Trip("active", 55000, 2000), Trip("active", 65000, 2000))

# soc-thermal's cooling maps on trip 1 ("target"): cpu_l0, cpu_b0, cpu_b2 and the GPU, contribution 1024.
VENDOR_SOC_BINDINGS = tuple(CoolingBinding(device, 1, 1024) for device in range(4))

VENDOR_PCIE = {
    "nvme": ("fe150000.pcie", "0000", "00", "01"),
    "wifi": ("fe170000.pcie", "0002", "20", "21"),
    "right": ("fe180000.pcie", "0003", "30", "31"),
    "left": ("fe190000.pcie", "0004", "40", "41"),
}
MAINLINE_PCIE = {
    "nvme": ("a40000000.pcie", "0000", "00", "01"),
    "wifi": ("a40800000.pcie", "0002", "20", "21"),
    "right": ("a40c00000.pcie", "0003", "30", "31"),
    "left": ("a41000000.pcie", "0004", "40", "41"),
}

I2C0 = "devices/platform/fd880000.i2c/i2c-0"
I2C1 = "devices/platform/fea90000.i2c/i2c-1"

NVME_FIKWOT = Nvme(model="FIKWOT FN501 Pro 512GB", serial="FN501P512G0000000042", firmware="V1.0.0",
                   hwmon=9, temp_input=43850, temp_min=-5150, temp_max=79850, temp_crit=84850)
NVME_SANDISK = Nvme(model="SanDisk Ultra 3D NVMe", serial="22293C452220", firmware="211210WD",
                    hwmon=9, temp_input=40850, temp_min=-150, temp_max=71850, temp_crit=89850)


def interfaces(driver, wifi=False, bond=None):
    """lo, the right port up at 2.5 Gb/s, the left port admin-up without a cable, optionally Wi-Fi.

    With `bond`, both ports are its slaves, and the left port is a backup that had link once. Until
    its cable failed it received the LAN's broadcast and multicast frames. Bonding drops those on a
    backup, so the core counts them in `rx_nohandler`.
    """
    loopback = NetCounters(rx_bytes=93120, rx_packets=1044, tx_bytes=93120, tx_packets=1044)
    if bond is None:
        left_carrier_up, left_counters = 0, NetCounters()
    else:
        left_carrier_up = 1
        left_counters = NetCounters(rx_bytes=392816, rx_packets=4210, multicast=3904, rx_nohandler=4210)
    result = [
        Interface("lo", 1, "00:00:00:00:00:00", "unknown", 1, 0, 0, None, None, loopback, kind="loopback"),
        Interface("enP3p49s0", 2, "c0:74:2b:f9:d8:57", "up", 1, 1, 1, 2500, "full",
                  NetCounters(rx_bytes=1873466542, rx_packets=1623114, rx_dropped=312, multicast=18231,
                              tx_bytes=95732211, tx_packets=602331),
                  pci="right", driver=driver, master=bond),
        Interface("enP4p65s0", 3, "c0:74:2b:f9:d8:56", "down", 0, left_carrier_up, 1 + left_carrier_up, -1,
                  "unknown", left_counters, pci="left", driver=driver, master=bond),
    ]
    if wifi:
        result.append(Interface("wlP2p33s0", 4, "00:e0:4c:88:52:be", "down", 0, 0, 1, None, None,
                                NetCounters(), pci="wifi", driver="rtw89_8852be", kind="wlan"))
    return tuple(result)


def regulators(big0, big1, npu, fixed_node):
    return (
        Regulator(0, "devices/platform/reg-dummy", "regulator-dummy", None, None, None, 6),
        Regulator(1, f"devices/platform/{fixed_node}", "vcc5v0_sys", 5000000, 5000000, 5000000, 12),
        Regulator(2, f"{I2C0}/0-0042", "vdd_cpu_big0_s0", big0, 550000, 1050000, 2),
        Regulator(3, f"{I2C0}/0-0043", "vdd_cpu_big1_s0", big1, 550000, 1050000, 2),
        Regulator(4, f"{I2C1}/1-0042", "vdd_npu_s0", npu, 550000, 950000, 2),
    )


def vendor_zones(codes, crit_everywhere):
    names = ("soc", "bigcore0", "bigcore1", "littlecore", "center", "gpu", "npu")
    zones = [Zone("soc-thermal", codes[0], SOC_TRIPS_VENDOR, VENDOR_SOC_BINDINGS, sustainable_power=2100)]
    for name, code in zip(names[1:], codes[1:]):
        zones.append(Zone(f"{name}-thermal", code, CRIT_VENDOR if crit_everywhere else (), sustainable_power=0))
    return tuple(zones)


# What the vendor device tree and BSP drivers give both vendor kernels (1800/2304/2352 MHz silicon bin).
VENDOR_BOARD = {
    "thermal_policy": "power_allocator",
    "available_policies": "power_allocator user_space step_wise fair_share",
    "cpu_capacity": (405, 405, 405, 405, 1003, 1003, 1024, 1024),
    "model": "RK3588 OPi 5 Plus",
    "compatible": ("rockchip,rk3588-orangepi-5-plus", "rockchip,rk3588"),
    "power_coefficients": {0: 100, 4: 300, 6: 300},
    "tcpm_hwmon": 7,
    "pwmfan_hwmon": 8,
    "pcie": VENDOR_PCIE,
}

V5_10 = Variant(
    **VENDOR_BOARD,
    directory="opi5plus-v5.10",
    kernel="5.10.160-legacy-rk35xx",
    mainline=False,
    uptime_seconds=273600,
    zones=vendor_zones((305, 304, 305, 304, 304, 303, 303), crit_everywhere=False),
    cooling_devices=(
        CoolingDevice("thermal-cpufreq-0", 0, 7), CoolingDevice("thermal-cpufreq-1", 0, 10),
        CoolingDevice("thermal-cpufreq-2", 0, 10), CoolingDevice("thermal-devfreq-0", 0, 7),
        CoolingDevice("pwm-fan", 0, 5),
    ),
    policies=(
        Policy(0, (0, 1, 2, 3), A55_VENDOR, 1800000, 3, 4, "performance"),
        Policy(4, (4, 5), A76_VENDOR_LOW + (2304000,), 2304000, 3, 4, "performance"),
        Policy(6, (6, 7), A76_VENDOR_LOW + (2352000,), 2352000, 3, 4, "performance"),
    ),
    governors="conservative ondemand userspace powersave performance schedutil",
    governor="performance",
    has_cluster_id=False,
    pwmfan_pwm=0,
    pwmfan_has_enable=False,
    nvme=NVME_FIKWOT,
    interfaces=interfaces("r8125"),
    devfreq=(
        Devfreq("fb000000.gpu", "devices/platform/fb000000.gpu", GPU_NPU_HZ, 300000000, "simple_ondemand", 1450),
        Devfreq("fdab0000.npu", "devices/platform/fdab0000.npu", GPU_NPU_HZ, 1000000000, "rknpu_ondemand", 12),
    ),
    devfreq_governors="rknpu_ondemand userspace powersave performance simple_ondemand",
    devfreq_star_bug=False,
    regulators=regulators(1000000, 1000000, 800000, "vcc5v0-sys"),
    rknpu={"version": "RKNPU driver: v0.9.6", "load": "NPU load:  Core0:  0%, Core1:  0%, Core2:  0%,",
           "power": "on", "freq": 1000000000, "volt": 800000},
    mali={"gpuinfo": "Mali-G610 4 cores r0p0 0xA867", "power_policy": "[coarse_demand] always_on",
          "utilisation": 0, "utilisation_period": 100},
    aspm_policy="default [performance] powersave powersupersave",
    memory={"total": 16109200, "free": 14627844, "buffers": 52148, "cached": 739304, "anon": 312560,
            "shmem": 18920, "slab": 96084, "swap": 8054596, "cma": 8192, "vmalloc_total": 263061440},
    load_average="0.00 0.02 0.00 1/251 2843",
)

V6_1 = Variant(
    **VENDOR_BOARD,
    directory="opi5plus-v6.1",
    kernel="6.1.43-rockchip-rk3588",
    mainline=False,
    uptime_seconds=95400,
    zones=vendor_zones((313, 314, 313, 312, 312, 311, 311), crit_everywhere=True),
    cooling_devices=(
        CoolingDevice("cpufreq-cpu0", 0, 7), CoolingDevice("cpufreq-cpu4", 0, 10),
        CoolingDevice("cpufreq-cpu6", 0, 10), CoolingDevice("devfreq-fb000000.gpu", 0, 7),
        CoolingDevice("devfreq-dmc", 0, 3), CoolingDevice("pwm-fan", 1, 5),
    ),
    policies=(
        Policy(0, (0, 1, 2, 3), A55_VENDOR, 408000, 3, 48211, "idle"),
        Policy(4, (4, 5), A76_VENDOR_LOW + (2304000,), 816000, 3, 23350, "idle"),
        Policy(6, (6, 7), A76_VENDOR_LOW + (2352000,), 408000, 3, 19807, "idle"),
    ),
    governors="interactive conservative ondemand userspace powersave performance schedutil",
    governor="ondemand",
    has_cluster_id=True,
    pwmfan_pwm=50,
    pwmfan_has_enable=True,
    nvme=NVME_SANDISK,
    interfaces=interfaces("r8169", wifi=True),
    devfreq=(
        Devfreq("fb000000.gpu", "devices/platform/fb000000.gpu", GPU_NPU_HZ, 300000000, "simple_ondemand", 862,
                load="0@300000000Hz"),
        Devfreq("fdab0000.npu", "devices/platform/fdab0000.npu", GPU_NPU_HZ, 500000000, "rknpu_ondemand", 6,
                load=""),
        Devfreq("dmc", "devices/platform/dmc", DMC_LPDDR4X_HZ, 528000000, "dmc_ondemand", 87,
                load="3@528000000Hz"),
    ),
    devfreq_governors="powersave performance rknpu_ondemand dmc_ondemand simple_ondemand",
    devfreq_star_bug=True,
    regulators=regulators(675000, 675000, 700000, "vcc5v0-sys"),
    rknpu={"version": "RKNPU driver: v0.9.8", "load": "NPU load:  Core0:  0%, Core1:  0%, Core2:  0%,",
           "power": "on", "freq": 500000000, "volt": 700000},
    mali={"gpuinfo": "Mali-G610 4 cores r0p0 0x0A080607", "power_policy": "[coarse_demand] always_on",
          "utilisation": 3, "utilisation_period": 100},
    aspm_policy="[default] performance powersave powersupersave",
    memory={"total": 16110068, "free": 14289412, "buffers": 61320, "cached": 905116, "anon": 398744,
            "shmem": 22408, "slab": 121360, "swap": 8055032, "cma": 8192, "vmalloc_total": 263061440},
    load_average="0.08 0.05 0.01 1/287 3190",
)

MAINLINE = Variant(
    directory="opi5plus-mainline",
    kernel="6.12.1-edge-rockchip-rk3588",
    mainline=True,
    uptime_seconds=51300,
    zones=(
        Zone("package-thermal", 300, FAN_TRIPS_MAINLINE, (CoolingBinding(4, 1, 0), CoolingBinding(4, 2, 0))),
        Zone("bigcore0-thermal", 301, PASSIVE_MAINLINE),
        Zone("bigcore2-thermal", 300, PASSIVE_MAINLINE),
        Zone("littlecore-thermal", 299, PASSIVE_MAINLINE),
        Zone("center-thermal", 300, CRIT_MAINLINE),
        Zone("gpu-thermal", 298, PASSIVE_MAINLINE),
        Zone("npu-thermal", 298, CRIT_MAINLINE),
    ),
    thermal_policy="step_wise",
    available_policies="power_allocator step_wise",
    cooling_devices=(
        CoolingDevice("cpufreq-cpu0", 0, 4), CoolingDevice("cpufreq-cpu4", 0, 6),
        CoolingDevice("cpufreq-cpu6", 0, 6), CoolingDevice("devfreq-fb000000.gpu", 0, 7),
        CoolingDevice("pwm-fan", 0, 4),
    ),
    policies=(
        Policy(0, (0, 1, 2, 3), A55_MAINLINE, 1008000, 2, 8126, "idle"),
        Policy(4, (4, 5), A76_MAINLINE, 1200000, 2, 5377, "idle"),
        Policy(6, (6, 7), A76_MAINLINE, 1416000, 2, 4954, "idle"),
    ),
    governors="conservative ondemand userspace powersave performance schedutil",
    governor="schedutil",
    cpu_capacity=(397, 397, 397, 397, 1024, 1024, 1024, 1024),
    has_cluster_id=True,
    model="Xunlong Orange Pi 5 Plus",
    compatible=("xunlong,orangepi-5-plus", "rockchip,rk3588"),
    power_coefficients={cpu: 228 if cpu < 4 else 416 for cpu in range(8)},
    # Mainline `rk3588-orangepi-5-plus.dts` describes the FUSB302 (`usb-typec@22` on i2c6), so tcpm
    # registers the same supply as the vendor kernels. Its hwmon number after the fan and the NVMe
    # drive is a placeholder.
    tcpm_hwmon=9,
    pwmfan_hwmon=7,
    pwmfan_pwm=0,
    pwmfan_has_enable=True,
    nvme=Nvme(**{**NVME_SANDISK.__dict__, "hwmon": 8}),
    pcie=MAINLINE_PCIE,
    interfaces=interfaces("r8169", bond="bond0"),
    devfreq=(
        Devfreq("fb000000.gpu", "devices/platform/fb000000.gpu", GPU_NPU_HZ, 300000000, "simple_ondemand", 311),
    ),
    devfreq_governors="userspace powersave performance simple_ondemand",
    devfreq_star_bug=False,
    regulators=regulators(675000, 725000, 800000, "regulator-vcc5v0-sys"),
    rknpu=None,
    mali=None,
    aspm_policy="[default] performance powersave powersupersave",
    memory={"total": 16135996, "free": 15012740, "buffers": 40212, "cached": 612804, "anon": 241388,
            "shmem": 11264, "slab": 88420, "swap": 8067996, "cma": 65536, "vmalloc_total": 133141626880},
    load_average="0.11 0.06 0.02 1/203 1877",
    # Both ports in one active-backup bond. The left port's link failed once: a cable is failing.
    bonds=(Bond("bond0", 4, (BondSlave("enP3p49s0", "active", "up", 0), BondSlave("enP4p65s0", "backup", "down", 1)),
                miimon=100, primary="enP3p49s0"),),
)

ALL = (V5_10, V6_1, MAINLINE)
