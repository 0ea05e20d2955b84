"""The standalone trend detector against the shapes it must get right (issue targets)."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signals.detect import Detector, bucket_size, detect_series, nb_surprise, poisson_surprise
from stream.cli.detect import BadRow, detect, parse
from tests import trendshapes as shapes

SEEDS = range(1, 6)


def run(shape: shapes.Shape) -> shapes.Score:
    return shapes.evaluate(shape, [a for _, a in detect_series(shape.rows)])


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
    assert detect_series([(0, 500), (60_000, 500)])[0][1] is False


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


def test_csv_with_space_or_t_and_gaps() -> None:
    lines = [
        "timestamp,count",
        "2026-11-20 10:00,5",
        "2026-11-20T10:01:00Z,4",
        "2026-11-20 10:05,60",
    ]
    out = list(detect(lines, "x.csv"))
    assert [o.split(",")[0] for o in out] == [
        "2026-11-20 10:00",
        "2026-11-20T10:01:00Z",
        "2026-11-20 10:05",
    ]
    assert all(o.endswith((",0", ",1")) for o in out)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["timestamp,count", "2026-11-20 10:00,5,9"], "x.csv:2: expected 2 columns"),
        (["timestamp,count", "noon,5"], "x.csv:2: timestamp 'noon' is not ISO 8601"),
        (["timestamp,count", "2026-11-20 10:00,many"], "x.csv:2: count 'many' is not a number"),
        (["timestamp,count", "2026-11-20 10:01,1", "2026-11-20 10:00,1"], "x.csv:3: timestamps"),
        ([], "x.csv: empty file"),
    ],
)
def test_bad_csv_rows_name_file_and_line(rows: list[str], message: str) -> None:
    with pytest.raises(BadRow, match=message):
        parse(rows, "x.csv")


@given(st.lists(st.text(max_size=30), max_size=6))
def test_arbitrary_csv_text_is_parsed_or_refused_cleanly(rows: list[str]) -> None:
    with contextlib.suppress(BadRow):
        parse(["timestamp,count", *rows], "x.csv")
