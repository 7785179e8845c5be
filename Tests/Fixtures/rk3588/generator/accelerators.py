"""devfreq devices (GPU, NPU, DMC), the vendor Mali attributes and the vendor RKNPU debugfs files."""

from .formats import devfreq_trans_stat, split_time, transition_matrix, visited_states


def write_devfreq(tree, variant):
    for index, device in enumerate(variant.devfreq):
        write_devfreq_device(tree, variant, index, device)


def write_devfreq_device(tree, variant, index, device):
    path = f"sys/{device.parent}/devfreq/{device.name}"
    tree.attrs(path, {
        "name": device.name,
        "cur_freq": device.current,
        "target_freq": device.current,
        "min_freq": device.frequencies[0],
        "max_freq": device.frequencies[-1],
        "governor": device.governor,
        "available_governors": variant.devfreq_governors,
        "available_frequencies": " ".join(str(freq) for freq in device.frequencies),
        "polling_interval": 50,
    })
    if device.load is not None:
        # An empty `load` is what the vendor kernel returns while the last status has total_time 0.
        tree.text(f"{path}/load", f"{device.load}\n" if device.load else "")
    tree.text(f"{path}/trans_stat", trans_stat(variant, index, device))
    tree.link(f"{path}/device", f"sys/{device.parent}")
    tree.link(f"sys/class/devfreq/{device.name}", path)


def trans_stat(variant, index, device):
    """Build `trans_stat` with the row markers this kernel prints.

    Mainline and the vendor 5.10 tree mark the row of the current frequency. The vendor 6.1 tree
    compares every row with `freq_table[2]` instead, so it marks all rows or none.
    """
    states = len(device.frequencies)
    current = device.frequencies.index(device.current)
    matrix = transition_matrix(states, 0, current, device.transitions, seed=101 + index)
    visited = visited_states(matrix, 0)
    weights = [2 + 3 * (states - state) if state in visited else 0 for state in range(states)]
    weights[current] = 400
    times_ms = split_time(variant.uptime_seconds * 1000 - 1500, weights, current)

    if variant.devfreq_star_bug:
        marked = set(range(states)) if device.frequencies[2] == device.current else set()
    else:
        marked = {current}
    return devfreq_trans_stat(device.frequencies, matrix, times_ms, marked)


def write_mali(tree, variant):
    """Write the kbase platform attributes; reading `utilisation` on a board blocks for the period (ms)."""
    if variant.mali is None:
        return
    tree.attrs("sys/devices/platform/fb000000.gpu", variant.mali)


def write_rknpu(tree, variant):
    """Write /sys/kernel/debug/rknpu: root-only debugfs files of the vendor NPU driver."""
    if variant.rknpu is None:
        return
    tree.attrs("sys/kernel/debug/rknpu", variant.rknpu)
