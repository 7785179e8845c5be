"""CPU topology, caches and cpufreq policies under sys/devices/system/cpu."""

from .procfs import cpu_times
from .formats import (USER_HZ, cpufreq_trans_table, residency_weights, split_time,
                      transition_matrix, visited_states)

CPU = "sys/devices/system/cpu"

# Idle states of every RK3588 core. State 0 is the ARM WFI state the cpuidle-psci driver always
# registers (exit latency 1 us, target residency 1 us). State 1 is the `cpu-sleep` PSCI state of the
# `idle-states` node in mainline `rk3588-base.dtsi`: entry 100 us + exit 120 us = `latency` 220, and
# `min-residency-us` 1000. Inferred: that the vendor trees have the same node, the driver name
# `psci_idle`, the governor `menu`, and every count and time.
IDLE_STATES = (("WFI", "ARM WFI", 1, 1), ("cpu-sleep", "cpu-sleep", 220, 1000))
IDLE_GOVERNOR = "menu"
IDLE_DRIVER = "psci_idle"

# Per-core caches from lscpu on RK3588 (level, type, size); the L3 is shared by all eight cores.
A55_CACHES = ((1, "Data", "32K"), (1, "Instruction", "32K"), (2, "Unified", "128K"), (3, "Unified", "3072K"))
A76_CACHES = ((1, "Data", "64K"), (1, "Instruction", "64K"), (2, "Unified", "512K"), (3, "Unified", "3072K"))

# cpu-map in the RK3588 device trees: cluster0 = cpu0-3 (A55), cluster1 = cpu4-5, cluster2 = cpu6-7.
CLUSTER = (0, 0, 0, 0, 1, 1, 2, 2)
CORE_IN_CLUSTER = (0, 1, 2, 3, 0, 1, 0, 1)


def policy_of(variant, cpu):
    return next(policy for policy in variant.policies if cpu in policy.cpus)


def write_cpus(tree, variant):
    for name in ("online", "possible", "present"):
        tree.attr(f"{CPU}/{name}", "0-7")
    for cpu in range(8):
        write_cpu(tree, variant, cpu)
    for policy in variant.policies:
        write_policy(tree, variant, policy)
    tree.attrs(f"{CPU}/cpuidle", {"current_driver": IDLE_DRIVER, "current_governor": IDLE_GOVERNOR,
                                  "current_governor_ro": IDLE_GOVERNOR})


def write_cpu(tree, variant, cpu):
    path = f"{CPU}/cpu{cpu}"
    tree.attr(f"{path}/cpu_capacity", variant.cpu_capacity[cpu])
    write_topology(tree, variant, cpu, f"{path}/topology")

    caches = A55_CACHES if cpu < 4 else A76_CACHES
    for index, (level, kind, size) in enumerate(caches):
        tree.attrs(f"{path}/cache/index{index}", {"level": level, "type": kind, "size": size})

    tree.link(f"{path}/cpufreq", f"{CPU}/cpufreq/policy{policy_of(variant, cpu).first_cpu}")
    write_idle_states(tree, variant, cpu, f"{path}/cpuidle")


def write_idle_states(tree, variant, cpu, path):
    """Write `cpuidle/stateK`, whose two times add up to the CPU's idle time in /proc/stat.

    Little cores (0-3) spend a larger share in WFI. Average stays are 0.8 ms in WFI and 9 ms in
    cpu-sleep, and `above` and `below` are small fractions of the entries.
    """
    idle_us = cpu_times(variant)[cpu][3] * (1_000_000 // USER_HZ)
    wfi_share = 30 if cpu < 4 else 15
    times = (idle_us * wfi_share // 100, idle_us - idle_us * wfi_share // 100)
    usages = (times[0] // 800, times[1] // 9000)
    for index, ((name, desc, latency, residency), time, usage) in enumerate(zip(IDLE_STATES, times, usages)):
        tree.attrs(f"{path}/state{index}", {
            "name": name, "desc": desc, "latency": latency, "residency": residency, "power": 0,
            "usage": usage, "time": time, "disable": 0, "default_status": "enabled",
            "above": usage // 50 if index else 0, "below": usage // 20 if not index else 0, "rejected": 0,
        })


def write_topology(tree, variant, cpu, path):
    """Write topology files: before Linux 5.16 there is no `cluster_id` and the package is the cluster."""
    siblings = policy_of(variant, cpu).cpus if not variant.has_cluster_id else tuple(range(8))
    values = {
        "core_id": CORE_IN_CLUSTER[cpu],
        "physical_package_id": 0 if variant.has_cluster_id else CLUSTER[cpu],
        "core_siblings_list": f"{siblings[0]}-{siblings[-1]}",
    }
    if variant.has_cluster_id:
        values["cluster_id"] = CLUSTER[cpu]
    tree.attrs(path, values)


def write_policy(tree, variant, policy):
    path = f"{CPU}/cpufreq/policy{policy.first_cpu}"
    cpus = " ".join(str(cpu) for cpu in policy.cpus)
    tree.attrs(path, {
        "affected_cpus": cpus,
        "related_cpus": cpus,
        "cpuinfo_min_freq": policy.frequencies[0],
        "cpuinfo_max_freq": policy.frequencies[-1],
        "cpuinfo_cur_freq": policy.current,
        "cpuinfo_transition_latency": 40000,
        "scaling_cur_freq": policy.current,
        "scaling_min_freq": policy.frequencies[0],
        "scaling_max_freq": policy.frequencies[-1],
        "scaling_governor": variant.governor,
        "scaling_available_governors": variant.governors,
        "scaling_driver": "cpufreq-dt",
    })
    # The kernel prints every frequency followed by a space, so the line ends in " \n".
    tree.text(f"{path}/scaling_available_frequencies", "".join(f"{freq} " for freq in policy.frequencies) + "\n")
    write_policy_stats(tree, variant, policy, f"{path}/stats")


def write_policy_stats(tree, variant, policy, path):
    """Write `stats/`: `time_in_state` rows are "<kHz> <ticks of 10 ms>" and sum to the uptime."""
    states = len(policy.frequencies)
    current = policy.frequencies.index(policy.current)
    matrix = transition_matrix(states, policy.start, current, policy.transitions, seed=policy.first_cpu + 1)
    visited = visited_states(matrix, policy.start)
    weights = [weight if state in visited else 0
               for state, weight in enumerate(residency_weights(states, current, policy.profile))]
    ticks = split_time(variant.uptime_seconds * USER_HZ - 150, weights, current)

    rows = "".join(f"{freq} {tick}\n" for freq, tick in zip(policy.frequencies, ticks))
    tree.text(f"{path}/time_in_state", rows)
    tree.attr(f"{path}/total_trans", sum(map(sum, matrix)))
    tree.text(f"{path}/trans_table", cpufreq_trans_table(policy.frequencies, matrix))
