"""Compares two Prometheus text scrapes over the series the agent's history stores."""
import re

SAMPLE_LINE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
OWN_PREFIXES = ("ember_collector_", "ember_sample_", "ember_last_sample_", "ember_process_", "ember_read_timeouts")
"""Families that measure the agent itself, so they change whatever the fixture contains."""


def unescape(value):
    return re.sub(r"\\(.)", lambda match: "\n" if match.group(1) == "n" else match.group(1), value)


def parse_samples(text):
    """Returns {(name, frozenset of label pairs): value text} of every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE_LINE.fullmatch(line)
        if match:
            labels = frozenset((name, unescape(value)) for name, value in LABEL.findall(match.group(2) or ""))
            samples[(match.group(1), labels)] = match.group(3)
    return samples


def changed_series(first, last, stored):
    """Returns (changed, of which the agent's own, compared) over the stored series present in both scrapes.

    `stored` is the `series` list of /api/v1/series.
    """
    before, after = parse_samples(first), parse_samples(last)
    changed = own = count = 0
    for series in stored:
        key = (series["name"], frozenset(series["labels"].items()))
        if key not in before or key not in after:
            continue
        count += 1
        if before[key] != after[key]:
            changed += 1
            own += series["name"].startswith(OWN_PREFIXES)
    return changed, own, count


def read_errors(text):
    """Returns the sum of `ember_collector_errors_total` over all collectors in a scrape."""
    samples = parse_samples(text)
    return sum(float(value) for (name, _), value in samples.items() if name == "ember_collector_errors_total")
