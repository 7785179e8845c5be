#!/usr/bin/env python3
"""Write grafana/dashboards/ember-board.json, the Grafana dashboard for one Ember board.

A script writes the dashboard so that every panel gets the same datasource, a unique id and a
computed position. Edit the panel lists below, then run `python3 grafana/generate-dashboard.py`.
Tests/scripts/check-monitoring.py fails when the JSON differs from this script's output.
Standard library only.
"""

import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "dashboards" / "ember-board.json"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Label matcher of every query: the board chosen in the `instance` variable.
BOARD = 'instance="$instance"'
GRID_WIDTH = 24


def target(expr, legend="", instant=False, table=False):
    """Return one Prometheus query of a panel."""
    query = {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend or "__auto"}
    if instant:
        query["instant"] = True
        query["range"] = False
    if table:
        query["format"] = "table"
    return query


def panel(title, kind, targets, unit="short", width=12, height=8, description="", **options):
    """Return a panel without id or position; `layout` assigns both."""
    result = {
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
        "gridPos": {"w": width, "h": height},
    }
    for index, query in enumerate(targets):
        query["refId"] = chr(ord("A") + index)
    if description:
        result["description"] = description
    if kind == "timeseries":
        result["options"] = {"legend": {"displayMode": "list", "placement": "bottom"}}
    result.update(options)
    return result


def timeseries(title, targets, unit="short", **options):
    return panel(title, "timeseries", targets, unit, **options)


def stat(title, expr, unit="short", width=6, **options):
    return panel(title, "stat", [target(expr, instant=True)], unit, width=width, height=4, **options)


def table(title, targets, width=12, columns=None, **options):
    """Return a table of instant queries merged on their labels.

    `columns` renames the value column of each query in order (`Value #A`, `Value #B`, ...).
    The Prometheus-side labels `job`, `instance` and `__name__` are hidden.
    """
    hidden = {"Time": True, "job": True, "instance": True, "__name__": True}
    names = {f"Value #{chr(ord('A') + index)}": column for index, column in enumerate(columns or [])}
    transformations = [{"id": "merge", "options": {}},
                       {"id": "organize", "options": {"excludeByName": hidden, "renameByName": names}}]
    return panel(title, "table", targets, width=width, transformations=transformations, **options)


def overview():
    return [
        stat("Hottest thermal zone", f"max(node_thermal_zone_temp{{{BOARD}}})", "celsius"),
        stat("CPU busy", f"avg(ember_cpu_busy_ratio{{{BOARD}}})", "percentunit"),
        stat("Failed collectors", f"count(ember_collector_success{{{BOARD}}} == 0) or vector(0)"),
        stat("Firing alerts", f'count(ALERTS{{alertstate="firing",{BOARD}}}) or vector(0)',
             description="Alerts from exporters/rules/ember-alerts.yml and any other rules on this instance."),
        timeseries("Thermal zones, maximum of each window", [
            target(f"max by (type) (ember_thermal_zone_temp_window_max_celsius{{{BOARD}}})", "{{type}}")],
            "celsius"),
        timeseries("CPU frequency per policy, average between samples", [
            target(f"ember_cpufreq_average_frequency_hertz{{{BOARD}}}", "policy {{policy}}")], "hertz"),
        timeseries("CPU busy per CPU", [target(f"ember_cpu_busy_ratio{{{BOARD}}}", "cpu {{cpu}}")],
                   "percentunit"),
        timeseries("Power by domain", [
            target(f"ember_power_watts{{{BOARD}}}", "{{domain}} ({{source}})")], "watt",
            description="Source `model` is Ember's estimate from the CPU and GPU load, every other source "
                        "a measurement."),
    ]


def thermal():
    passive = ('min without (trip, trip_type) '
               f'(ember_thermal_zone_trip_point_temp_celsius{{trip_type="passive",{BOARD}}})')
    dashed = {"matcher": {"id": "byRegexp", "options": ".*trip$"},
              "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}}]}
    return [
        timeseries("Thermal zones and passive trip points", [
            target(f"node_thermal_zone_temp{{{BOARD}}}", "{{type}}"),
            target(passive, "{{type}} passive trip")], "celsius",
            fieldConfig={"defaults": {"unit": "celsius"}, "overrides": [dashed]}),
        table("Trip points", [target(f"ember_thermal_zone_trip_point_temp_celsius{{{BOARD}}}", instant=True,
                                     table=True)]),
        timeseries("Cooling device state, share of maximum", [
            target(f"node_cooling_device_cur_state{{{BOARD}}} / node_cooling_device_max_state{{{BOARD}}}",
                   "{{type}}")], "percentunit"),
        timeseries("hwmon temperatures", [target(f"node_hwmon_temp_celsius{{{BOARD}}}", "{{chip}} {{sensor}}")],
                   "celsius"),
        timeseries("Fan speed", [target(f"node_hwmon_fan_rpm{{{BOARD}}}", "{{chip}} {{sensor}}")], "rotrpm"),
        timeseries("Fan PWM duty", [target(f"node_hwmon_pwm{{{BOARD}}} / 255", "{{chip}} {{sensor}}")],
                   "percentunit"),
    ]


def cpu():
    rate = "$__rate_interval"
    return [
        timeseries("CPU frequency and policy maximum", [
            target(f"node_cpu_scaling_frequency_hertz{{{BOARD}}}", "cpu {{cpu}}"),
            target(f"node_cpu_scaling_frequency_max_hertz{{{BOARD}}}", "cpu {{cpu}} max")], "hertz",
            description="A policy maximum below the hardware maximum while hot means thermal throttling."),
        timeseries("CPU time by mode", [
            target(f"sum by (mode) (rate(node_cpu_seconds_total{{{BOARD}}}[{rate}]))", "{{mode}}")], "short",
            description="CPUs busy in each mode, summed over all CPUs."),
        panel("Time in each frequency over the range", "bargauge", [
            target(f"sum by (policy, frequency_hertz) (increase(ember_cpufreq_time_in_state_seconds_total"
                   f"{{{BOARD}}}[$__range]))", "policy {{policy}} {{frequency_hertz}} Hz", instant=True)], "s"),
        timeseries("Frequency transitions", [
            target(f"rate(ember_cpufreq_transitions_total{{{BOARD}}}[{rate}])", "policy {{policy}}")], "hertz"),
        timeseries("Idle state residency, average over CPUs", [
            target(f"avg by (state) (rate(ember_cpuidle_state_time_seconds_total{{{BOARD}}}[{rate}]))",
                   "{{state}}")], "percentunit"),
        timeseries("Idle state entries", [
            target(f"sum by (state) (rate(ember_cpuidle_state_usage_total{{{BOARD}}}[{rate}]))", "{{state}}")],
            "hertz"),
    ]


def accelerators():
    return [
        timeseries("devfreq frequency (GPU, NPU, memory)", [
            target(f"ember_devfreq_frequency_hertz{{{BOARD}}}", "{{device}}"),
            target(f"ember_devfreq_max_frequency_hertz{{{BOARD}}}", "{{device}} max")], "hertz"),
        timeseries("devfreq load", [target(f"ember_devfreq_load_ratio{{{BOARD}}}", "{{device}}")], "percentunit",
                   description="Busy share of the governor's last window. Only RK3588 vendor 6.1 kernels have it."),
        timeseries("NPU load per core", [target(f"ember_npu_load_ratio{{{BOARD}}}", "core {{core}}")],
                   "percentunit", description="Load from the RKNPU driver of the vendor kernels. Mainline has none."),
        timeseries("devfreq time per frequency", [
            target(f"rate(ember_devfreq_time_in_state_seconds_total{{{BOARD}}}[$__rate_interval])",
                   "{{device}} {{frequency_hertz}} Hz")], "percentunit"),
    ]


def storage():
    return [
        timeseries("NVMe temperature", [
            target(f"ember_nvme_temperature_celsius{{{BOARD}}}", "{{device}} {{sensor}}"),
            target(f'node_hwmon_temp_celsius{{chip=~"nvme_.+",{BOARD}}}', "{{chip}} {{sensor}} (hwmon)")],
            "celsius"),
        timeseries("NVMe available spare and threshold", [
            target(f"ember_nvme_available_spare_ratio{{{BOARD}}}", "{{device}} spare"),
            target(f"ember_nvme_available_spare_threshold_ratio{{{BOARD}}}", "{{device}} threshold")],
            "percentunit"),
        panel("NVMe endurance used", "bargauge", [
            target(f"ember_nvme_percentage_used_ratio{{{BOARD}}}", "{{device}}", instant=True)], "percentunit",
            fieldConfig={"defaults": {"unit": "percentunit", "min": 0, "max": 1}, "overrides": []}),
        timeseries("NVMe data rate", [
            target(f"rate(ember_nvme_data_written_bytes_total{{{BOARD}}}[5m])", "{{device}} written"),
            target(f"rate(ember_nvme_data_read_bytes_total{{{BOARD}}}[5m])", "{{device}} read")], "Bps",
            description="The SMART log is read once a minute, so rates use a 5 minute window."),
        timeseries("NVMe errors and unsafe shutdowns per hour", [
            target(f"increase(ember_nvme_media_errors_total{{{BOARD}}}[1h])", "{{device}} media errors"),
            target(f"increase(ember_nvme_error_log_entries_total{{{BOARD}}}[1h])", "{{device}} error log"),
            target(f"increase(ember_nvme_unsafe_shutdowns_total{{{BOARD}}}[1h])", "{{device}} unsafe shutdowns")]),
        timeseries("SD and eMMC host errors per hour", [
            target(f"increase(ember_mmc_host_errors_total{{{BOARD}}}[1h])", "{{device}} {{kind}}")],
            description="From debugfs, which only root can read."),
        timeseries("eMMC life time used (upper bound)", [
            target(f"ember_mmc_life_time_used_max_ratio{{{BOARD}}}", "{{device}} {{estimate}}")], "percentunit"),
        stat("eMMC pre-EOL", f"max(ember_mmc_pre_eol_level{{{BOARD}}})", width=6,
             fieldConfig={"defaults": {"unit": "short", "mappings": [{"type": "value", "options": {
                 "1": {"text": "normal"}, "2": {"text": "warning"}, "3": {"text": "urgent"}}}]},
                 "overrides": []}),
        stat("Forced read-only file systems", f"sum(ember_filesystem_forced_readonly{{{BOARD}}})", width=6),
        timeseries("Disk I/O errors and timeouts per hour", [
            target(f"increase(ember_block_io_errors_total{{{BOARD}}}[1h])", "{{device}} errors"),
            target(f"increase(ember_block_io_timeouts_total{{{BOARD}}}[1h])", "{{device}} timeouts")]),
        timeseries("ext4 errors recorded", [target(f"ember_ext4_errors_total{{{BOARD}}}", "{{device}}")]),
    ]


def pcie():
    links = ["ember_pcie_link_speed_transfers_per_second", "ember_pcie_link_max_speed_transfers_per_second",
             "ember_pcie_link_width_lanes", "ember_pcie_link_max_width_lanes", "ember_pcie_link_downgraded"]
    return [
        table("PCIe links: trained and maximum speed and width",
              [target(f"{name}{{{BOARD}}}", instant=True, table=True) for name in links], width=24,
              columns=["speed (T/s)", "max speed (T/s)", "width (lanes)", "max width (lanes)", "downgraded"]),
        timeseries("PCIe AER reports per hour", [
            target(f"sum by (address, severity) (increase(ember_pcie_aer_reports_total{{{BOARD}}}[1h]))",
                   "{{address}} {{severity}}")],
            description="Correctable errors in bursts point to a riser, cable or connector going bad."),
        table("PCIe devices", [target(f"ember_pcie_device_info{{{BOARD}}}", instant=True, table=True)]),
    ]


def network():
    rate = "$__rate_interval"
    return [
        timeseries("Throughput", [
            target(f"rate(ember_network_receive_bytes_total{{{BOARD}}}[{rate}])", "{{device}} receive"),
            target(f"rate(ember_network_transmit_bytes_total{{{BOARD}}}[{rate}])", "{{device}} transmit")], "Bps"),
        timeseries("Errors and drops", [
            target(f"rate(node_network_receive_errs_total{{{BOARD}}}[{rate}])", "{{device}} receive errors"),
            target(f"rate(node_network_transmit_errs_total{{{BOARD}}}[{rate}])", "{{device}} transmit errors"),
            target(f"rate(node_network_receive_drop_total{{{BOARD}}}[{rate}])", "{{device}} receive drops")],
            "pps"),
        timeseries("Carrier changes per hour", [
            target(f"increase(node_network_carrier_changes_total{{{BOARD}}}[1h])", "{{device}}")]),
        timeseries("Bond members up", [
            target(f"node_bonding_active{{{BOARD}}}", "{{master}} up"),
            target(f"node_bonding_slaves{{{BOARD}}}", "{{master}} members")]),
    ]


def power():
    return [
        timeseries("Power by domain, maximum of each window", [
            target(f"ember_power_window_max_watts{{{BOARD}}}", "{{domain}} ({{source}})")], "watt"),
        panel("Energy over the range", "bargauge", [
            target(f"increase(ember_energy_joules_total{{{BOARD}}}[$__range]) / 3600", "{{domain}} ({{source}})",
                   instant=True)], "watth"),
        timeseries("Board input voltage and USB-PD contract", [
            target(f"ember_board_input_volts{{{BOARD}}}", "input {{channel}}"),
            target(f"ember_usb_pd_contract_volts{{{BOARD}}}", "{{power_supply}} contract")], "volt",
            description="The contract is what a USB-C port negotiated, not a measurement. It reads 0 on a port "
                        "that is not the power input."),
        timeseries("USB-PD contract current", [
            target(f"ember_usb_pd_contract_amperes{{{BOARD}}}", "{{power_supply}}")], "amp"),
        timeseries("Power model error against the measured input", [
            target(f"ember_power_model_error_watts{{{BOARD}}}", "error"),
            target(f"ember_power_model_correction_watts{{{BOARD}}}", "fitted static term")], "watt"),
        timeseries("Voltage alarms", [
            target(f"ember_power_undervoltage_alarm{{{BOARD}}}", "{{chip}}"),
            target(f"node_hwmon_in_alarm{{{BOARD}}}", "{{chip}} {{sensor}}"),
            target(f"node_hwmon_in_lcrit_alarm_volts{{{BOARD}}} > bool 0", "{{chip}} {{sensor}} lcrit"),
            target(f"node_hwmon_in_min_alarm_volts{{{BOARD}}} > bool 0", "{{chip}} {{sensor}} min")],
            description="1 while an alarm is set. node_exporter's names scale the min and lcrit alarms like "
                        "a voltage, so the queries compare them with 0."),
        timeseries("Regulator voltages", [target(f"ember_regulator_volts{{{BOARD}}}", "{{name}}")], "volt"),
        timeseries("hwmon voltages", [target(f"node_hwmon_in_volts{{{BOARD}}}", "{{chip}} {{sensor}}")], "volt"),
        timeseries("Power supply readings", [
            target(f"node_power_supply_voltage_volt{{{BOARD}}}", "{{power_supply}} V"),
            target(f"node_power_supply_current_ampere{{{BOARD}}}", "{{power_supply}} A")]),
        stat("Carbon over the range", f"sum(increase(ember_carbon_grams_total{{{BOARD}}}[$__range]))", "massg",
             width=12, description="Only with --collector.power.carbon-intensity or its file option."),
    ]


def agent():
    rate = "$__rate_interval"
    return [
        panel("Collector status", "state-timeline", [
            target(f"ember_collector_success{{{BOARD}}}", "{{collector}}")], width=24,
            fieldConfig={"defaults": {"unit": "short", "mappings": [{"type": "value", "options": {
                "0": {"text": "failed", "color": "red"}, "1": {"text": "ok", "color": "green"}}}]},
                "overrides": []}),
        timeseries("Collector duration", [
            target(f"ember_collector_duration_seconds{{{BOARD}}}", "{{collector}}"),
            target(f"ember_sample_duration_seconds{{{BOARD}}}", "whole sample")], "s"),
        timeseries("Collector errors and failures", [
            target(f"rate(ember_collector_errors_total{{{BOARD}}}[{rate}])", "{{collector}} errors"),
            target(f"rate(ember_collector_failures_total{{{BOARD}}}[{rate}])", "{{collector}} failures")], "hertz"),
        timeseries("Agent resident memory", [target(f"ember_process_resident_memory_bytes{{{BOARD}}}", "RSS")],
                   "bytes"),
        timeseries("Agent CPU", [target(f"rate(ember_process_cpu_seconds_total{{{BOARD}}}[{rate}])", "CPU")],
                   "percentunit"),
        timeseries("Sample age", [target(f"time() - ember_last_sample_timestamp_seconds{{{BOARD}}}", "age")], "s"),
        table("Sources the agent may not read", [
            target(f"ember_source_available{{{BOARD}}} == 0", instant=True, table=True)]),
    ]


ROWS = [
    ("Overview", overview), ("Thermal", thermal), ("CPU", cpu), ("Accelerators", accelerators),
    ("Storage", storage), ("PCIe", pcie), ("Network", network), ("Power", power), ("Agent", agent),
]


def layout(rows):
    """Number the panels from 1 and place them left to right, each row below the last."""
    panels, y = [], 0
    for title, build in rows:
        panels.append({"type": "row", "title": title, "collapsed": False, "datasource": DATASOURCE,
                       "gridPos": {"x": 0, "y": y, "w": GRID_WIDTH, "h": 1}, "panels": []})
        y, x, line_height = y + 1, 0, 0
        for item in build():
            if x + item["gridPos"]["w"] > GRID_WIDTH:
                y, x, line_height = y + line_height, 0, 0
            item["gridPos"].update({"x": x, "y": y})
            x += item["gridPos"]["w"]
            line_height = max(line_height, item["gridPos"]["h"])
            panels.append(item)
        y += line_height
    for number, item in enumerate(panels, start=1):
        item["id"] = number
    return panels


def templating():
    datasource = {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
                  "current": {}, "hide": 0, "refresh": 1, "options": []}
    instance = {"name": "instance", "label": "Board", "type": "query", "datasource": DATASOURCE,
                "query": {"query": "label_values(ember_build_info, instance)", "refId": "instance"},
                "definition": "label_values(ember_build_info, instance)", "refresh": 2, "sort": 1,
                "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": []}
    return {"list": [datasource, instance]}


def alert_annotations():
    """Return an annotation that marks when alerts of the chosen board were firing."""
    return {"name": "Firing alerts", "datasource": DATASOURCE, "enable": True, "iconColor": "red",
            "expr": f'ALERTS{{alertstate="firing",{BOARD}}}', "step": "60s",
            "titleFormat": "{{alertname}}", "textFormat": "{{severity}}", "tagKeys": "severity"}


def dashboard():
    return {
        "uid": "ember-board",
        "title": "Ember board",
        "description": "One RK3588 (or other Linux) board as Ember exports it. Families: METRICS.md.",
        "tags": ["ember", "hardware"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "timezone": "",
        "annotations": {"list": [alert_annotations()]},
        "links": [],
        "templating": templating(),
        "panels": layout(ROWS),
    }


def render():
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {OUTPUT}\n")
