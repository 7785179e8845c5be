"""Data types for one fixture variant: what a board exposes on one kernel family.

Every number here ends up in a sysfs or procfs file. Units follow the kernel file the value is
written to (m°C for temperatures, kHz for cpufreq, Hz for devfreq, µV for regulators).
"""

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Trip:
    """One thermal trip point as `trip_point_N_{type,temp,hyst}` shows it."""
    kind: str
    temp: int
    hyst: int


@dataclass(frozen=True)
class CoolingBinding:
    """A `cdevK` link of a thermal zone: the cooling device index, the trip it acts on, its weight."""
    device: int
    trip: int
    weight: int


@dataclass(frozen=True)
class Zone:
    """A thermal zone. `adc_code` is the raw TSADC code, so `temp` always lands on the sensor grid."""
    type: str
    adc_code: int
    trips: tuple = ()
    bindings: tuple = ()
    sustainable_power: Optional[int] = None


@dataclass(frozen=True)
class CoolingDevice:
    type: str
    cur_state: int
    max_state: int


@dataclass(frozen=True)
class Policy:
    """A cpufreq policy; `frequencies` are the OPPs in kHz, lowest first."""
    first_cpu: int
    cpus: tuple
    frequencies: tuple
    current: int
    start: int
    transitions: int
    profile: str


@dataclass(frozen=True)
class Devfreq:
    """A devfreq device. `load` is None when the kernel has no `load` file, "" when it reads empty."""
    name: str
    parent: str
    frequencies: tuple
    current: int
    governor: str
    transitions: int
    load: Optional[str] = None


@dataclass(frozen=True)
class Regulator:
    number: int
    parent: str
    name: str
    microvolts: Optional[int]
    min_microvolts: Optional[int]
    max_microvolts: Optional[int]
    users: int


@dataclass(frozen=True)
class NetCounters:
    """The `statistics/` counters that /proc/net/dev is computed from."""
    rx_bytes: int = 0
    rx_packets: int = 0
    rx_dropped: int = 0
    multicast: int = 0
    tx_bytes: int = 0
    tx_packets: int = 0
    rx_nohandler: int = 0


@dataclass(frozen=True)
class Interface:
    """A network interface. `pci` is None for virtual devices; `speed`/`duplex` None means the read fails.

    `address` is the permanent (burned-in) MAC. `master` names the bond the interface is enslaved to,
    which changes its `address`, `addr_assign_type` and `flags` (see bonding.py).
    """
    name: str
    ifindex: int
    address: str
    operstate: str
    carrier: int
    carrier_up: int
    carrier_down: int
    speed: Optional[int]
    duplex: Optional[str]
    counters: NetCounters
    pci: Optional[tuple] = None
    driver: Optional[str] = None
    kind: str = "ether"
    master: Optional[str] = None


@dataclass(frozen=True)
class BondSlave:
    """One slave's `bonding_slave/` state: `state` is "active" or "backup", `mii_status` "up" or "down"."""
    name: str
    state: str
    mii_status: str
    link_failure_count: int


@dataclass(frozen=True)
class Bond:
    """An active-backup bonding master with `fail_over_mac` none.

    Its address, link settings and counters are derived from the slaves (bonding.py), so only the
    bonding options are listed here. `slaves` are `BondSlave`s in enslavement order, and the bond
    takes the first one's MAC.
    """
    name: str
    ifindex: int
    slaves: tuple
    miimon: int
    primary: str


@dataclass(frozen=True)
class Nvme:
    model: str
    serial: str
    firmware: str
    hwmon: int
    temp_input: int
    temp_min: int
    temp_max: int
    temp_crit: int


@dataclass(frozen=True)
class Variant:
    """Everything one fixture tree contains."""
    directory: str
    kernel: str
    mainline: bool
    uptime_seconds: int
    zones: tuple
    thermal_policy: str
    available_policies: str
    cooling_devices: tuple
    policies: tuple
    governors: str
    governor: str
    cpu_capacity: tuple
    has_cluster_id: bool
    model: str
    compatible: tuple
    power_coefficients: dict
    tcpm_hwmon: Optional[int]
    pwmfan_hwmon: int
    pwmfan_pwm: int
    pwmfan_has_enable: bool
    nvme: Nvme
    pcie: dict
    interfaces: tuple
    devfreq: tuple
    devfreq_governors: str
    devfreq_star_bug: bool
    regulators: tuple
    rknpu: Optional[dict]
    mali: Optional[dict]
    aspm_policy: str
    memory: dict
    load_average: str
    bonds: tuple = ()
