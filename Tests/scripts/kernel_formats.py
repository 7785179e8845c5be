"""Parsers and printers for the multi-line kernel files that the fixture feed rewrites.

Each printer uses the kernel's own format string (quoted at each function), so a file the feed
rewrites keeps its columns. `check_round_trip` proves this for each file before the feed starts:
printing the parsed fixture file must give back its exact bytes.
"""


class FormatError(Exception):
    """A fixture file whose content the printer does not reproduce byte for byte."""


def check_round_trip(path, text, parse, render):
    """Returns `parse(text)` after checking that `render` prints it back as `text`."""
    parsed = parse(text)
    if render(parsed) != text:
        raise FormatError(f"{path}: the feed cannot reproduce this file's format, so it cannot rewrite it")
    return parsed


def parse_proc_stat(text):
    """Returns the lines of /proc/stat, each `cpu` line as [name, ticks...] and others as text."""
    lines = []
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0].startswith("cpu"):
            lines.append([fields[0], *map(int, fields[1:])])
        else:
            lines.append(line)
    return lines


def render_proc_stat(lines):
    """Prints /proc/stat as fs/proc/stat.c does: `cpu  %llu ...` for the sum, `cpu%d %llu ...` per CPU."""
    out = []
    for line in lines:
        if isinstance(line, list):
            separator = "  " if line[0] == "cpu" else " "
            out.append(line[0] + separator + " ".join(map(str, line[1:])))
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def parse_net_dev(text):
    """Returns the two header lines and [(interface, 16 counters)] of /proc/net/dev."""
    lines = text.splitlines()
    rows = []
    for line in lines[2:]:
        name, _, counters = line.partition(":")
        rows.append((name.strip(), [int(value) for value in counters.split()]))
    return lines[:2], rows


def render_net_dev(parsed):
    """Prints /proc/net/dev with net/core/net-procfs.c's format, `%6s: %7llu %7llu %4llu ...`."""
    header, rows = parsed
    widths = (7, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10)
    out = list(header)
    for name, counters in rows:
        columns = " ".join(f"{value:{width}d}" for value, width in zip(counters, widths))
        out.append(f"{name:>6s}: {columns}")
    return "\n".join(out) + "\n"


def parse_time_in_state(text):
    """Returns cpufreq's `stats/time_in_state` as {kHz: 10 ms ticks}, in the file's order."""
    return {int(khz): int(ticks) for khz, ticks in (line.split() for line in text.splitlines())}


def render_time_in_state(times):
    """Prints `stats/time_in_state` as drivers/cpufreq/cpufreq_stats.c does, `%u %llu` per line."""
    return "".join(f"{khz} {ticks}\n" for khz, ticks in times.items())


def parse_cpufreq_trans_table(text):
    """Returns cpufreq's `stats/trans_table` as (kHz levels, counts[from][to])."""
    rows = text.splitlines()[2:]
    levels = [int(row.split(":")[0]) for row in rows]
    counts = [[int(value) for value in row.split(":")[1].split()] for row in rows]
    return levels, counts


def render_cpufreq_trans_table(parsed):
    """Prints `stats/trans_table` as cpufreq_stats.c does: `%9u: ` per row, `%9u ` per count."""
    levels, counts = parsed
    out = ["   From  :    To\n", "         : " + "".join(f"{level:9d} " for level in levels) + "\n"]
    for level, row in zip(levels, counts):
        out.append(f"{level:9d}: " + "".join(f"{count:9d} " for count in row) + "\n")
    return "".join(out)


def parse_devfreq_trans_stat(text):
    """Returns devfreq's `trans_stat` as (current Hz, Hz levels, counts[from][to], ms per level, total).

    The header row is not parsed, because `%10lu` runs a 10-digit level into its neighbour there.
    """
    lines = text.splitlines()
    rows = lines[2:-1]
    current = None
    levels, counts, milliseconds = [], [], []
    for row in rows:
        level = int(row[1:].split(":")[0])
        values = [int(value) for value in row.split(":")[1].split()]
        if row.startswith("*"):
            current = level
        levels.append(level)
        counts.append(values[:-1])
        milliseconds.append(values[-1])
    total = int(lines[-1].split(":")[1])
    return current, levels, counts, milliseconds, total


def render_devfreq_trans_stat(parsed):
    """Prints `trans_stat` as drivers/devfreq/devfreq.c does: `%10lu` per level, `*` marks the current one."""
    current, levels, counts, milliseconds, total = parsed
    out = ["     From  :   To\n", "           :" + "".join(f"{level:10d}" for level in levels) + "   time(ms)\n"]
    for level, row, time in zip(levels, counts, milliseconds):
        marker = "*" if level == current else " "
        out.append(f"{marker}{level:10d}:" + "".join(f"{count:10d}" for count in row) + f"{time:10d}\n")
    out.append(f"Total transition : {total}\n")
    return "".join(out)
