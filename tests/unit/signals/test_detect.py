"""The series detector: the shapes it must get right, pages rather than buckets, both kinds of
series, and its stored form."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signals.detect import (
    COUNTS,
    VALUES,
    Detector,
    bucket_size,
    detect_series,
    page_p,
    series_kind,
)
from signals.eventtime import HOUR, MINUTE, WEEK
from tests import trendshapes as shapes

SEEDS = range(1, 6)
DAILY = (shapes.daily_cycle, shapes.daily_cycle_hourly)


def run(shape: shapes.Shape) -> tuple[shapes.Score, shapes.Score]:
    """(pages, open buckets) against the shape's labels."""
    out = detect_series([(t, float(c)) for t, c in shape.rows])
    return (
        shapes.evaluate(shape, [o[2] for o in out]),
        shapes.evaluate(shape, [o[3] for o in out]),
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_a_sudden_10x_spike_pages_once_within_two_buckets_and_stays_open(seed: int) -> None:
    pages, open_ = run(shapes.spike(seed))
    assert pages.alerts == 1 and pages.time_to_detect is not None and pages.time_to_detect <= 2
    assert open_.false_alerts <= 3  # it closes within `calm` buckets of the spike ending
    assert open_.true_alerts >= 0.8 * open_.trend_buckets  # open while it lasts


def test_weeks_of_daily_cycle_page_within_the_false_page_budget() -> None:
    # the budget is 0.1 false pages per series-week: over ten series-weeks, at most one
    weeks = [run(make(seed))[0].alerts for seed in SEEDS for make in DAILY]
    assert sum(weeks) <= 1, weeks


def test_a_slow_ramp_is_caught_within_an_hour_of_doubling() -> None:
    scores = [run(shapes.ramp(seed))[0] for seed in SEEDS]
    assert all(s.time_to_detect is not None and s.time_to_detect <= 60 for s in scores)
    # two quiet days each before the climb: within the budget of 0.1 per series-week
    assert sum(s.false_alerts for s in scores) <= 1


@pytest.mark.parametrize("seed", SEEDS)
def test_a_brand_new_key_pages_at_once(seed: int) -> None:
    pages, _ = run(shapes.brand_new(seed))
    assert pages.time_to_detect == 0 and pages.alerts == 1


def test_the_first_bucket_of_a_series_never_pages() -> None:
    assert detect_series([(0, 500.0), (MINUTE, 500.0)])[0][2] is False


def test_a_level_that_stays_is_the_new_normal_and_pages_once() -> None:
    rng = random.Random(3)
    rows = [
        (i * 5 * MINUTE, float(shapes.overdispersed(rng, 20.0 if i < 3000 else 200.0)))
        for i in range(5000)
    ]
    out = detect_series(rows)
    pages = [i for i, o in enumerate(out) if o[2]]
    assert pages == [3000]
    assert out[-1][0] == pytest.approx(200, rel=0.2)  # the baseline moved to it
    assert not out[-1][3]


def test_values_page_both_ways_and_counts_only_upward() -> None:
    rng = random.Random(5)
    level = [50.0 + rng.gauss(0, 1) for _ in range(2000)]
    dropped = level[:1500] + [v - 20 for v in level[1500:1520]] + level[1520:]
    rows = [(i * 5 * MINUTE, v) for i, v in enumerate(dropped)]
    out = detect_series(rows, VALUES)
    assert [i for i, o in enumerate(out) if o[2]] == [1500]
    counts = [(t, float(round(v))) for t, v in rows]
    assert not any(o[2] for o in detect_series(counts, COUNTS)[1400:])


def test_the_kind_of_a_series_is_read_from_its_values() -> None:
    def rows(*values: float, gap_at: int = -1) -> list[tuple[int, float]]:
        return [(MINUTE * (i + (i > gap_at >= 0)), v) for i, v in enumerate(values)]

    assert series_kind(rows(0.0, 3.0, 12.0), MINUTE) == COUNTS
    assert series_kind(rows(0.5, 3.0), MINUTE) == VALUES
    assert series_kind(rows(-1.0, 3.0), MINUTE) == VALUES
    assert series_kind(rows(60.0, 58.0, 61.0, gap_at=1), MINUTE) == VALUES  # a missed reading
    assert series_kind(rows(0.0, 58.0, 61.0, gap_at=1), MINUTE) == COUNTS  # a quiet bucket


def test_the_page_threshold_is_the_budget_spread_over_a_week() -> None:
    assert page_p(5 * MINUTE) == pytest.approx(0.1 / (WEEK / (5 * MINUTE)))
    assert page_p(HOUR) == pytest.approx(12 * page_p(5 * MINUTE))


def test_a_heavy_tailed_series_learns_that_big_residuals_are_common() -> None:
    light, heavy = Detector(5 * MINUTE), Detector(5 * MINUTE)
    rng = random.Random(9)
    for i in range(4000):
        ts = i * 5 * MINUTE
        light.step(ts, float(shapes.poisson(rng, 30.0)))
        burst = rng.random() < 0.02
        heavy.step(ts, float(shapes.poisson(rng, 30.0 * (4 if burst else 1))))
    ts = 4000 * 5 * MINUTE
    assert heavy.tail_p(ts, 120.0) > 100 * light.tail_p(ts, 120.0)


def test_state_roundtrip_keeps_the_same_answers() -> None:
    shape = shapes.daily_cycle(1, days=2)
    a, b = Detector(60_000), Detector(60_000)
    for i, (ts, c) in enumerate(shape.rows):
        if i % 500 == 0:
            b = Detector.from_record(b.to_record())
        assert a.step(ts, c) == b.step(ts, c)


@given(st.floats(0.002, 0.2), st.floats(0.1, 5.0), st.floats(1e-12, 1e-3))
def test_the_tail_threshold_for_a_probability_inverts_it(
    rate: float, excess: float, p: float
) -> None:
    from signals.tail import Tail

    tail = Tail(rate, excess)
    assert math.isclose(tail.p(tail.z_for(p)), p, rel_tol=1e-9)
    assert tail.z_for(rate) == 3.0 and tail.p(3.0) == 1.0  # at or below FROM: no tail


def test_bucket_size_is_the_common_gap() -> None:
    assert bucket_size([0, 300_000, 600_000, 1_200_000]) == 300_000
    assert bucket_size([5]) == 60_000
