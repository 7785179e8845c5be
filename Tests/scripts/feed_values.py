"""Value models of the fixture feed, each moved once per simulated second.

They follow `FeedModel.realistic` in Sources/EmberCLI/SyntheticFeeder.swift where it has a rule
(temperatures, frequencies, counters) and stay close to the fixture's own values elsewhere.
"""

TSADC_CODES = range(285, 351)
"""The RK3588 TSADC codes between 25 and 85 °C, one temperature each."""

TEMPERATURE_STEPS = 5
"""How many grid steps (or whole degrees off the grid) a temperature may move from its fixture value."""


def tsadc_millidegrees(code):
    """Returns the temperature of a TSADC code as the mainline kernel's table interpolates it, in m°C."""
    return 25_000 + (60_000 * (code - 285)) // 65


def tsadc_code(millidegrees):
    """Returns the TSADC code whose temperature is `millidegrees`, or None off the grid."""
    for code in TSADC_CODES:
        if tsadc_millidegrees(code) == millidegrees:
            return code
    return None


def clamp(value, low, high):
    return min(high, max(low, value))


class Temperature:
    """One sensor's temperature in m°C, written to its file and to any file that mirrors it.

    With a chance of one in four per second it moves one step either way, and it stays within
    `TEMPERATURE_STEPS` steps of the fixture value. A step is one TSADC grid step (about 0.92 °C)
    for a value on the RK3588 grid, else 1 °C, the resolution of NVMe and most hwmon chips.
    """

    def __init__(self, paths, millidegrees):
        self.paths = paths
        self.sampled = self.value = millidegrees
        self.sampled_code = self.code = tsadc_code(millidegrees)

    def step(self, rng):
        if rng.randrange(4) != 0:
            return {}
        move = rng.choice((-1, 1))
        if self.sampled_code is not None:
            low = max(TSADC_CODES.start, self.sampled_code - TEMPERATURE_STEPS)
            high = min(TSADC_CODES.stop - 1, self.sampled_code + TEMPERATURE_STEPS)
            self.code = clamp(self.code + move, low, high)
            self.value = tsadc_millidegrees(self.code)
        else:
            limit = TEMPERATURE_STEPS * 1000
            self.value = clamp(self.value + move * 1000, self.sampled - limit, self.sampled + limit)
        return {path: f"{self.value}\n" for path in self.paths}


class Level:
    """A frequency that switches among `levels` with a chance of one in ten per second, to one chosen at random."""

    def __init__(self, levels, current):
        self.levels = levels
        self.current = current

    def step(self, rng):
        """Returns the level left (None when it stays) after one second at the current level."""
        if rng.randrange(10) != 0:
            return None
        previous = self.current
        self.current = rng.choice(self.levels)
        return previous if self.current != previous else None


class Counter:
    """A counter growing at its fixture value divided by the fixture's uptime, ±50 % per second.

    The fraction of an increment is kept with its probability, so a counter slower than one per
    second still grows at its average rate.
    """

    def __init__(self, value, uptime_seconds):
        self.value = value
        self.rate = value / uptime_seconds

    def grow(self, rng):
        """Adds one second's increment and returns it."""
        expected = self.rate * rng.uniform(0.5, 1.5)
        increment = int(expected) + (1 if rng.random() < expected % 1 else 0)
        self.value += increment
        return increment


class CounterFile:
    """A file whose content is one `Counter`, such as an hwmon `energy*_input` in µJ."""

    def __init__(self, path, value, uptime_seconds):
        self.path = path
        self.counter = Counter(value, uptime_seconds)

    def step(self, rng):
        if self.counter.grow(rng) == 0:
            return {}
        return {self.path: f"{self.counter.value}\n"}


class Gauge:
    """A reading such as a voltage, current or power in the file's integer unit.

    It takes a random walk of up to 1 % of its fixture value per second and stays within 10 %.
    """

    def __init__(self, path, value):
        self.path = path
        self.sampled = self.value = value
        self.stride = max(1, round(abs(value) * 0.01))

    def step(self, rng):
        limit = 10 * self.stride
        value = clamp(self.value + rng.randint(-self.stride, self.stride), self.sampled - limit, self.sampled + limit)
        if value == self.value:
            return {}
        self.value = value
        return {self.path: f"{value}\n"}
