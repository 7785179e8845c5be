"""Kernel text formats and the deterministic number generators behind the placeholder values."""

import struct

USER_HZ = 100
"""Ticks per second in /proc/stat and cpufreq `time_in_state`, whatever CONFIG_HZ is."""

# rockchip_thermal's rk3588_code_table: (ADC code, m°C) pairs with linear integer interpolation.
TSADC_TABLE = ((0, -40000), (215, -40000), (285, 25000), (350, 85000), (395, 125000))


def tsadc_temperature(code):
    """Convert an RK3588 TSADC code to m°C exactly as the driver does (integer division)."""
    for (low_code, low_temp), (high_code, high_temp) in zip(TSADC_TABLE, TSADC_TABLE[1:]):
        if low_code <= code <= high_code:
            return low_temp + (high_temp - low_temp) * (code - low_code) // (high_code - low_code)
    return TSADC_TABLE[-1][1]


def be32(*values):
    """Device-tree cells: each value as a big-endian unsigned 32-bit integer."""
    return b"".join(struct.pack(">I", value) for value in values)


def be64(value):
    """A 64-bit device-tree value such as `opp-hz`: two big-endian cells, high word first."""
    return struct.pack(">Q", value)


def dt_strings(*values):
    """A device-tree string list: every string NUL-terminated, no newline."""
    return b"".join(value.encode("ascii") + b"\0" for value in values)


def padded(value, width):
    """An NVMe identify string as sysfs prints it: space-padded to the field width."""
    if len(value) > width:
        raise ValueError(f"{value!r} is longer than {width}")
    return value.ljust(width)


class Lcg:
    """A tiny linear congruential generator, so the output never depends on Python's `random`."""

    def __init__(self, seed):
        self.state = seed

    def below(self, bound):
        self.state = (self.state * 1103515245 + 12345) % (1 << 31)
        return (self.state >> 8) % bound


def transition_matrix(states, start, end, steps, seed):
    """Count the transitions of a walk over `states` that begins at `start` and ends at `end`.

    Rows are "from" and columns "to". The diagonal is zero, and entries into and out of every state
    balance except at the two ends, as in a real transition table. The walk favours the lowest and
    the highest state, because on-demand governors jump to the top and fall back to idle.
    """
    matrix = [[0] * states for _ in range(states)]
    rng = Lcg(seed)
    current = start
    for _ in range(steps):
        following = pick_state(rng, states, current)
        matrix[current][following] += 1
        current = following
    if current != end:
        matrix[current][end] += 1
    return matrix


def pick_state(rng, states, current):
    weights = [1] * states
    weights[0] = 8
    weights[-1] = 5
    weights[current] = 0
    draw = rng.below(sum(weights))
    for state, weight in enumerate(weights):
        if draw < weight:
            return state
        draw -= weight
    raise AssertionError("unreachable: draw is below the weight sum")


def visited_states(matrix, start):
    """Return the states a walk touched; only these can have accumulated time."""
    states = range(len(matrix))
    return {start} | {state for state in states if sum(matrix[state]) or any(row[state] for row in matrix)}


def split_time(total, weights, current):
    """Split `total` over the states in proportion to `weights`; the rounding rest goes to `current`."""
    weight_sum = sum(weights)
    shares = [total * weight // weight_sum for weight in weights]
    shares[current] += total - sum(shares)
    return shares


def residency_weights(states, current, profile):
    """Return the relative time per state for a governor profile.

    `performance` stays at the current (top) state. `idle` spends most time at the lowest OPP and
    a little at the top, as ondemand and schedutil do on a lightly loaded board.
    """
    if profile == "performance":
        return [1] * states if states == 1 else [1] * (states - 1) + [200000]
    weights = [max(2 + index * 7 % 5, 4000 // 3 ** index) for index in range(states)]
    weights[-1] += 40
    weights[current] += 200
    return weights


def cpufreq_trans_table(frequencies, matrix):
    """`stats/trans_table` as drivers/cpufreq/cpufreq_stats.c prints it (every line ends in a space)."""
    lines = ["   From  :    To", "         : " + "".join(f"{freq:9d} " for freq in frequencies)]
    for freq, row in zip(frequencies, matrix):
        lines.append(f"{freq:9d}: " + "".join(f"{count:9d} " for count in row))
    return "\n".join(lines) + "\n"


def devfreq_trans_stat(frequencies, matrix, times_ms, marked):
    """`trans_stat` as drivers/devfreq/devfreq.c prints it; `marked` contains the indexes of the rows that get a `*`.

    Ten-digit frequencies fill their `%10lu` field, so the header runs them together.
    """
    lines = ["     From  :   To", "           :" + "".join(f"{freq:10d}" for freq in frequencies) + "   time(ms)"]
    for index, (freq, row) in enumerate(zip(frequencies, matrix)):
        marker = "*" if index in marked else " "
        counts = "".join(f"{count:10d}" for count in row)
        lines.append(f"{marker}{freq:10d}:{counts}{times_ms[index]:10d}")
    lines.append(f"Total transition : {sum(map(sum, matrix))}")
    return "\n".join(lines) + "\n"


def proc_net_dev_line(name, stats):
    """One /proc/net/dev row in net/core/net-procfs.c's format, from a full `statistics/` dict."""
    fields = (
        stats["rx_bytes"], stats["rx_packets"], stats["rx_errors"],
        stats["rx_dropped"] + stats["rx_missed_errors"], stats["rx_fifo_errors"],
        stats["rx_length_errors"] + stats["rx_over_errors"] + stats["rx_crc_errors"] + stats["rx_frame_errors"],
        stats["rx_compressed"], stats["multicast"],
        stats["tx_bytes"], stats["tx_packets"], stats["tx_errors"], stats["tx_dropped"],
        stats["tx_fifo_errors"], stats["collisions"],
        stats["tx_carrier_errors"] + stats["tx_aborted_errors"] + stats["tx_window_errors"]
        + stats["tx_heartbeat_errors"],
        stats["tx_compressed"],
    )
    widths = (7, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10)
    return f"{name:>6}: " + " ".join(f"{value:{width}d}" for value, width in zip(fields, widths)) + "\n"
