"""Interval estimates: Wilson intervals stay in [0, 1], hold the point estimate, and narrow
with more items."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signals.stats import f1, ratio, wilson


def test_wilson_matches_the_published_interval() -> None:
    # 8 of 10: the Wilson 95% interval is 0.490 to 0.943 (Newcombe 1998, table I method 3)
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4)
    assert hi == pytest.approx(0.9433, abs=1e-4)


def test_no_items_means_no_knowledge() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    assert ratio(0, 0) is None
    assert f1(0, 0, 0)[0] is None


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_interval_is_inside_unit_range_and_holds_the_estimate(k: int, extra: int) -> None:
    n = k + extra
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


@given(st.integers(1, 99), st.integers(1, 50))
def test_more_items_narrow_the_interval(k: int, scale: int) -> None:
    lo1, hi1 = wilson(k, 100)
    lo2, hi2 = wilson(k * (scale + 1), 100 * (scale + 1))
    assert hi2 - lo2 < hi1 - lo1


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_f1_is_the_harmonic_mean_of_precision_and_recall(tp: int, fp: int, fn: int) -> None:
    value, (lo, hi) = f1(tp, fp, fn)
    if tp == 0:
        assert value in (None, 0.0)
        return
    p, r = tp / (tp + fp), tp / (tp + fn)
    assert value == pytest.approx(2 * p * r / (p + r))
    assert lo <= value <= hi
