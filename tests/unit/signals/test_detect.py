"""The standalone trend detector against the shapes it must get right (issue targets)."""

import pytest

from signals.detect import Detector, bucket_size, detect_series, nb_surprise, poisson_surprise
from tests import trendshapes as shapes

SEEDS = range(1, 6)


def run(shape: shapes.Shape) -> shapes.Score:
    return shapes.evaluate(shape, [o[3] for o in detect_series(shape.rows)])


@pytest.mark.parametrize("seed", SEEDS)
def test_a_sudden_10x_spike_is_detected_within_two_buckets(seed: int) -> None:
    s = run(shapes.spike(seed))
    assert s.time_to_detect is not None and s.time_to_detect <= 2
    assert s.false_alerts == 0
    assert s.true_alerts >= 0.8 * s.trend_buckets  # and it stays detected while it lasts


@pytest.mark.parametrize("seed", SEEDS)
def test_a_week_of_daily_cycle_raises_no_alert(seed: int) -> None:
    assert run(shapes.daily_cycle(seed)).alerts == 0
    assert run(shapes.daily_cycle_hourly(seed)).alerts == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_a_slow_ramp_is_caught(seed: int) -> None:
    s = run(shapes.ramp(seed))
    assert s.false_alerts == 0
    assert s.time_to_detect is not None and s.time_to_detect <= 60


@pytest.mark.parametrize("seed", SEEDS)
def test_a_brand_new_key_alerts_at_once(seed: int) -> None:
    s = run(shapes.brand_new(seed))
    assert s.time_to_detect == 0 and s.false_alerts == 0


def test_the_first_bucket_of_a_series_never_alerts() -> None:
    assert detect_series([(0, 500), (60_000, 500)])[0][3] is False


def test_state_roundtrip_keeps_the_same_answers() -> None:
    shape = shapes.daily_cycle(1, days=2)
    a, b = Detector(60_000), Detector(60_000)
    for i, (ts, c) in enumerate(shape.rows):
        if i % 500 == 0:
            b = Detector.from_record(b.to_record())
        assert a.step(ts, c) == b.step(ts, c)


def test_tails_match_direct_sums() -> None:
    import math

    for k, mu in [(10, 2.3), (40, 8.0)]:
        exact = -math.log10(
            sum(math.exp(i * math.log(mu) - mu - math.lgamma(i + 1)) for i in range(k, k + 500))
        )
        assert abs(poisson_surprise(k, mu) - exact) < 1e-6
    assert nb_surprise(28, 8.0, 16.0) < poisson_surprise(28, 8.0)  # fatter tail, less surprise
    assert nb_surprise(3, 8.0, 16.0) == 0.0


def test_bucket_size_is_the_common_gap() -> None:
    assert bucket_size([0, 300_000, 600_000, 1_200_000]) == 300_000
    assert bucket_size([5]) == 60_000
