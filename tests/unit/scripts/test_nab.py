"""The NAB scorer `make bench` uses: NAB v1.1's method on hand-worked cases, and on real files
against figures from NAB's reference scorer (`../shared/tools/nab_score.py`)."""

import functools
import math
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

import nab

T0 = datetime(2026, 11, 20, tzinfo=UTC)
corpus = functools.cache(nab.load)  # read the 48 files once for the module


def series(rows: int = 200, window: tuple[int, int] = (50, 59), step_min: int = 5) -> nab.Series:
    times = [T0 + timedelta(minutes=step_min * i) for i in range(rows)]
    return nab.Series("realTest/x.csv", times, [0.0] * rows, [window])


def detections(*rows: int, n: int = 200) -> list[bool]:
    return [i in rows for i in range(n)]


def s(y: float) -> float:
    return 2 / (1 + math.exp(5 * y)) - 1


def test_the_earliest_detection_in_a_window_scores_and_later_ones_add_nothing() -> None:
    x = series()
    assert x.probation == 30
    assert nab.score(x, detections(50, 51, 55)).score == pytest.approx(1.0)
    right_edge = nab.score(x, detections(59)).score
    assert right_edge == pytest.approx(s(-1 / 10) / s(-1))
    assert nab.normalised([nab.score(x, detections(50))]) == pytest.approx(100.0)
    assert nab.normalised([nab.score(x, detections())]) == pytest.approx(0.0)


def test_false_detections_cost_by_where_they_fall() -> None:
    x = series()
    assert nab.score(x, detections(40)).score == pytest.approx(-1 - 0.11)  # before: flat
    after = nab.score(x, detections(62)).score
    assert after == pytest.approx(-1 + 0.11 * s((62 - 59) / 9))
    assert nab.score(x, detections(10)).score == pytest.approx(-1)  # probation: not scored
    low_fp = nab.score(x, detections(40), "reward_low_FP_rate").score
    assert low_fp == pytest.approx(-1 - 0.22)


def test_false_pages_under_an_hour_apart_are_one_page() -> None:
    x = series()
    assert nab.score(x, detections(100, 106, 111)).false_pages == 1  # 55 minutes in all
    assert nab.score(x, detections(100, 112)).false_pages == 2  # an hour apart
    assert nab.score(x, detections(55)).false_pages == 0  # inside the window


@pytest.mark.parametrize(
    ("name", "profile", "reference"),
    [
        ("realKnownCause/nyc_taxi.csv", "standard", -4.536348146492664),
        ("realKnownCause/nyc_taxi.csv", "reward_low_FP_rate", -13.8717669393699),
        ("realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv", "standard", -1.3182338603322372),
    ],
)
def test_real_files_score_as_the_reference_scorer_does(
    name: str, profile: str, reference: float
) -> None:
    x = next(c for c in corpus() if c.name == name)
    every_97th = [i % 97 == 0 for i in range(len(x.times))]
    assert nab.score(x, every_97th, profile).score == pytest.approx(reference, abs=1e-9)


def test_the_vendored_corpus_is_whole() -> None:
    whole = corpus()
    assert len(whole) == 48
    assert sum(len(c.windows) for c in whole) == 83
    assert {c.category for c in whole} == {
        "artificialNoAnomaly",
        "artificialWithAnomaly",
        "realAWSCloudwatch",
        "realAdExchange",
        "realKnownCause",
        "realTraffic",
    }
