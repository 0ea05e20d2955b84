"""The page budget across trend keys: a daily false-page budget turned into a tail limit."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signals.budget import LAG, PageBudget
from signals.detect import Detector
from signals.eventtime import HOUR, MINUTE

P = 5 * MINUTE


def test_without_a_judged_hour_behind_it_each_key_keeps_its_own_limit() -> None:
    budget = PageBudget(per_day=2.0)
    assert budget.limit(0, 1e-5) == 1e-5
    budget.judged(0)
    assert budget.limit(HOUR, 1e-5) == 1e-5  # the hour before is not complete yet
    assert budget.tests_per_day(LAG * HOUR) == 24.0  # one test in the one hour known


def test_the_limit_is_the_daily_budget_over_the_tests_of_the_last_day() -> None:
    budget = PageBudget(per_day=2.0)
    for hour in range(30):
        for _ in range(100):  # 100 key-periods judged an hour
            budget.judged(hour * HOUR)
    at = 30 * HOUR
    assert budget.tests_per_day(at) == 2400.0
    assert budget.limit(at, 1.0) == pytest.approx(2.0 / 2400)
    assert budget.limit(at, 1e-9) == 1e-9  # never looser than the key's own
    half = PageBudget(per_day=2.0, share=0.5)  # a worker with half the trend partitions
    for _ in range(100):
        half.judged(0)
    assert half.limit(LAG * HOUR, 1.0) == pytest.approx(0.5 * 2.0 / 2400)


def test_hours_more_than_a_day_old_leave_the_count() -> None:
    budget = PageBudget(per_day=2.0)
    for _ in range(1000):
        budget.judged(0)  # a busy first hour
    budget.judged(30 * HOUR)
    assert budget.tests_per_day(LAG * HOUR) == 24_000.0
    assert budget.tests_per_day(27 * HOUR) == 0.0  # hours 2..25: none judged
    assert budget.limit(27 * HOUR, 1e-5) == 1e-5


@given(st.lists(st.integers(min_value=0, max_value=60 * HOUR), max_size=200))
def test_the_count_does_not_depend_on_the_order_tests_arrive_in(stamps: list[int]) -> None:
    """Replay and a worker count the same key-periods in a different order."""
    forward, backward = PageBudget(2.0), PageBudget(2.0)
    for ts in stamps:
        forward.judged(ts)
    for ts in reversed(stamps):
        backward.judged(ts)
    if stamps:
        at = max(stamps)
        assert forward.tests_per_day(at) == backward.tests_per_day(at)


def test_a_tight_budget_pages_less_on_many_ordinary_keys() -> None:
    """Many keys of plain noise, judged against their own limit or the platform's."""

    def pages(per_day: float) -> int:
        rng = random.Random(3)
        budget = PageBudget(per_day)
        dets = [Detector(P) for _ in range(60)]
        paged = 0
        for b in range(2 * 288):  # two days of 5-minute periods
            ts = b * P
            for det in dets:
                count = sum(rng.random() < 0.2 for _ in range(60))  # about 12 a period
                limit = None
                if det.judged(ts, count):
                    budget.judged(ts)
                    limit = budget.limit(ts, 1.0)
                paged += det.step(ts, count, limit=limit)[1]
        return paged

    own, tight = pages(1e6), pages(1e-3)
    assert tight <= own
    assert tight <= 1
