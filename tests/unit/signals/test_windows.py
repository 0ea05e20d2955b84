from hypothesis import given
from hypothesis import strategies as st

from signals import windows as w

MIN = 60_000


@given(
    st.lists(st.integers(min_value=0, max_value=3 * 3_600_000), max_size=200),
    st.integers(min_value=0, max_value=4 * 3_600_000),
    st.sampled_from([5 * MIN, 60 * MIN, 120 * MIN]),
)
def test_window_sum_matches_brute_force(times: list[int], now: int, span: int) -> None:
    b: w.Buckets = {}
    for t in times:
        w.add(b, t, MIN)
    hi = now // MIN
    expected = sum(1 for t in times if hi - span // MIN < t // MIN <= hi)
    assert w.window_sum(b, now, span, MIN) == expected


@given(st.lists(st.integers(min_value=0, max_value=10 * 3_600_000), max_size=300))
def test_prune_keeps_the_window_exact_and_bounds_size(times: list[int]) -> None:
    b: w.Buckets = {}
    now = 0
    for t in times:
        now = max(now, t)
        w.add(b, t, MIN)
        before = w.window_sum(b, now, 60 * MIN, MIN)
        w.prune(b, now, 60 * MIN, MIN)
        assert w.window_sum(b, now, 60 * MIN, MIN) == before
        assert len(b) <= 62


@given(st.dictionaries(st.integers(), st.integers(min_value=1)))
def test_flatten_roundtrip(b: dict[int, int]) -> None:
    assert w.unflatten(w.flatten(b)) == b


def test_touch_recent_is_bounded_and_keeps_the_newest() -> None:
    recent: dict[str, int] = {}
    for i in range(1000):
        w.touch_recent(recent, f"r{i}", i, cap=100)
        assert len(recent) <= 125
    assert "r999" in recent and "r0" not in recent
    assert w.distinct_since(recent, 989) == 10
