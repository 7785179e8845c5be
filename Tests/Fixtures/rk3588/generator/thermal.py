"""Thermal zones, cooling devices and the thermal-to-hwmon bridge (`soc_thermal` and friends)."""

from .formats import tsadc_temperature

THERMAL = "sys/devices/virtual/thermal"


def zone_path(index):
    return f"{THERMAL}/thermal_zone{index}"


def write_thermal(tree, variant):
    for index, zone in enumerate(variant.zones):
        write_zone(tree, variant, index, zone)
        write_zone_hwmon(tree, index, zone)
    for index, device in enumerate(variant.cooling_devices):
        path = f"{THERMAL}/cooling_device{index}"
        tree.attrs(path, {"type": device.type, "cur_state": device.cur_state, "max_state": device.max_state})
        tree.link(f"sys/class/thermal/cooling_device{index}", path)


def write_zone(tree, variant, index, zone):
    path = zone_path(index)
    tree.attrs(path, {
        "type": zone.type,
        "temp": tsadc_temperature(zone.adc_code),
        "mode": "enabled",
        "policy": variant.thermal_policy,
        "available_policies": variant.available_policies,
    })
    if zone.sustainable_power is not None:
        tree.attr(f"{path}/sustainable_power", zone.sustainable_power)

    for number, trip in enumerate(zone.trips):
        tree.attrs(path, {
            f"trip_point_{number}_type": trip.kind,
            f"trip_point_{number}_temp": trip.temp,
            f"trip_point_{number}_hyst": trip.hyst,
        })

    for number, binding in enumerate(zone.bindings):
        tree.link(f"{path}/cdev{number}", f"{THERMAL}/cooling_device{binding.device}")
        tree.attr(f"{path}/cdev{number}_trip_point", binding.trip)
        tree.attr(f"{path}/cdev{number}_weight", binding.weight)

    tree.link(f"sys/class/thermal/thermal_zone{index}", path)


def write_zone_hwmon(tree, index, zone):
    """Write the hwmon device the thermal core registers under each zone.

    Its name is the zone type with `-` replaced by `_`, and `temp1_crit` exists only when the zone
    has a critical trip. The bridges register before any other hwmon, so hwmonN belongs to zone N.
    """
    path = f"{zone_path(index)}/hwmon{index}"
    tree.attrs(path, {"name": zone.type.replace("-", "_"), "temp1_input": tsadc_temperature(zone.adc_code)})
    critical = [trip.temp for trip in zone.trips if trip.kind == "critical"]
    if critical:
        tree.attr(f"{path}/temp1_crit", critical[0])
    tree.link(f"{path}/device", zone_path(index))
    tree.link(f"sys/class/hwmon/hwmon{index}", path)
