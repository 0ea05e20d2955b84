"""Labelled synthetic series for the trend detector: the shapes it must get right.

Used by tests/unit/signals/test_detect.py (targets as assertions) and `make bench`
(pages, false pages and time to page across many seeds). Counts are negative-binomial
(gamma-Poisson), because real traffic is over-dispersed.
"""

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

MIN = 60_000


def poisson(r: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 60:
        return max(0, int(r.gauss(lam, math.sqrt(lam)) + 0.5))
    limit, k, p = math.exp(-lam), 0, r.random()
    while p > limit:
        k += 1
        p *= r.random()
    return k


def overdispersed(r: random.Random, mu: float, dispersion: float = 2.0) -> int:
    """A count with mean mu and variance dispersion * mu."""
    return poisson(r, r.gammavariate(mu / (dispersion - 1), dispersion - 1)) if mu > 0 else 0


@dataclass
class Shape:
    """A labelled series: rows of (ts, count) and, per row, whether it is part of a trend."""

    rows: list[tuple[int, int]]
    truth: list[bool]


def spike(seed: int) -> Shape:
    """5 per minute, then ten minutes at 10x."""
    r = random.Random(seed)
    lam = [50.0 if 240 <= m < 250 else 5.0 for m in range(300)]
    return Shape([(m * MIN, overdispersed(r, x)) for m, x in enumerate(lam)], [x > 5 for x in lam])


def ramp(seed: int) -> Shape:
    """Two quiet days at 5 per minute, then a slow climb of 0.15 per minute per minute."""
    r = random.Random(seed)
    start = 2 * 1440 + 300
    lam = [5.0 if m < start else 5.0 + (m - start) * 0.15 for m in range(start + 300)]
    return Shape(
        [(m * MIN, overdispersed(r, x)) for m, x in enumerate(lam)], [x >= 10 for x in lam]
    )  # a trend once the rate has doubled


def brand_new(seed: int) -> Shape:
    """An hour of nothing, then hundreds per minute."""
    r = random.Random(seed)
    lam = [0.0 if m < 60 else 200.0 for m in range(120)]
    return Shape([(m * MIN, poisson(r, x)) for m, x in enumerate(lam)], [x > 0 for x in lam])


def daily_cycle(seed: int, days: int = 7) -> Shape:
    """A week of a strong daily rhythm (1.5 to 8.5 per minute) and no incident."""
    r = random.Random(seed)
    rows = [
        (m * MIN, overdispersed(r, 5 + 3.5 * math.sin(2 * math.pi * m / 1440)))
        for m in range(days * 1440)
    ]
    return Shape(rows, [False] * len(rows))


def daily_cycle_hourly(seed: int, days: int = 7) -> Shape:
    """The same rhythm at hourly buckets, busier and more over-dispersed."""
    r = random.Random(seed)
    rows = [
        (h * 60 * MIN, overdispersed(r, 300 + 210 * math.sin(2 * math.pi * h / 24), 3.0))
        for h in range(days * 24)
    ]
    return Shape(rows, [False] * len(rows))


SHAPES: dict[str, Callable[[int], Shape]] = {
    "sudden 10x spike (1-min buckets)": spike,
    "slow ramp after 2 quiet days": ramp,
    "brand-new key, 0 to hundreds": brand_new,
    "daily cycle, 7 days, no incident": daily_cycle,
    "daily cycle, hourly buckets, 7 days": daily_cycle_hourly,
}


@dataclass
class Score:
    """Detection quality on one labelled series."""

    alerts: int
    true_alerts: int
    trend_buckets: int
    time_to_detect: int | None  # buckets from the first trend bucket to the first true alert

    @property
    def false_alerts(self) -> int:
        return self.alerts - self.true_alerts


def evaluate(shape: Shape, alerts: list[bool]) -> Score:
    """Compare the detector's alerts with the labels."""
    hits = [i for i, a in enumerate(alerts) if a]
    true_hits = [i for i in hits if shape.truth[i]]
    first = next((i for i, t in enumerate(shape.truth) if t), None)
    ttd = true_hits[0] - first if (true_hits and first is not None) else None
    return Score(len(hits), len(true_hits), sum(shape.truth), ttd)
