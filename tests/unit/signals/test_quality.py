"""Quality state: facts fold into daily sums that any order of arrival reaches alike, keep a
bounded window, survive their encoding, and redelivered records change nothing."""

from hypothesis import given, settings
from hypothesis import strategies as st

from signals.eventtime import DAY, MINUTE
from signals.quality import (
    GAMMA,
    WINDOW_DAYS,
    QualityFact,
    QualityState,
    bucket,
    quantile,
)
from tests.unit.signals.events import T0

KEY = ("hate.remove", 1, "hate", "US", "sha256:abc")


def fact(n: int, kind: str, ts: int, a: str = "", b: str = "", ms: int = -1) -> QualityFact:
    return QualityFact(f"f{n}", kind, *KEY, ts, a, b, ms)


facts = st.lists(
    st.builds(
        fact,
        st.integers(0, 10_000),
        st.sampled_from(["decided", "review", "appeal", "agree", "report", "reported"]),
        st.integers(0, 40 * DAY).map(lambda t: T0 + t),
        st.sampled_from(["action", "escalation", "shadow", "upheld", "overturned", "actioned", ""]),
        st.sampled_from(["upheld", "overturned", ""]),
        st.integers(-1, 10 * DAY),
    ),
    max_size=60,
)


def _fold(fs: list[QualityFact]) -> QualityState:
    st_ = QualityState(*KEY)
    for f in fs:
        st_.apply(f)
    return st_


@settings(max_examples=200, deadline=None)
@given(facts, st.randoms())
def test_any_order_of_arrival_reaches_the_same_figures(fs: list[QualityFact], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(fs)
    rnd.shuffle(shuffled)
    assert _fold(fs).record() == _fold(shuffled).record()


@settings(max_examples=100, deadline=None)
@given(facts)
def test_a_state_survives_its_encoding_and_keeps_a_bounded_window(fs: list[QualityFact]) -> None:
    state = _fold(fs)
    again = QualityState.decode(state.encode())
    assert again.record() == state.record()
    assert len(state.days) <= WINDOW_DAYS
    if state.days:
        assert max(state.days) - min(state.days) < WINDOW_DAYS


def test_counts_of_each_kind_of_fact() -> None:
    fs = [
        fact(1, "decided", T0, "action", "remove", 5 * MINUTE),
        fact(2, "decided", T0, "escalation", "review"),
        fact(4, "review", T0 + MINUTE, "review", "upheld", 2 * MINUTE),
        fact(5, "appeal", T0 + MINUTE, "appeal", "overturned", 3 * MINUTE),
        fact(6, "agree", T0 + MINUTE, "upheld", "overturned"),
    ]
    (day,) = _fold(fs).record().days
    c = day.counts
    assert (c["actions"], c["routed"], c["judged"], c["upheld"]) == (1, 1, 2, 1)
    assert (c["reviews"], c["reviews_violating"], c["appeals"], c["appeals_overturned"]) == (
        1,
        1,
        1,
        1,
    )
    assert c["agree_vn"] == 1
    assert day.to_action == {str(bucket(5 * MINUTE)): 1}
    assert sum(day.to_review.values()) == 2


def test_redelivered_records_are_skipped_by_offset() -> None:
    state = QualityState(*KEY)
    assert not state.seen(partition=3, offset=10)
    assert state.seen(3, 10) and state.seen(3, 9)
    assert not state.seen(3, 11) and not state.seen(4, 0)
    assert QualityState.decode(state.encode()).offsets == {3: 11, 4: 0}


@given(st.lists(st.integers(1, 30 * DAY), min_size=1, max_size=200), st.sampled_from([0.5, 0.9]))
def test_quantiles_are_within_five_percent(latencies: list[int], q: float) -> None:
    hist: dict[int, int] = {}
    for ms in latencies:
        hist[bucket(ms)] = hist.get(bucket(ms), 0) + 1
    exact = sorted(latencies)[int(q * (len(latencies) - 1))] / 1000
    got = quantile(hist, q)
    assert got is not None
    assert exact / GAMMA <= got <= max(exact, 0.001) * GAMMA + 1e-9
