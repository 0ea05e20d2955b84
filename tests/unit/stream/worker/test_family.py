"""A family's view of its senders' clocks: the newest per content partition, the lowest of
them settled, and nothing settled for facts before the first clock."""

from hypothesis import given
from hypothesis import strategies as st

from stream.worker.family import Family


def family() -> Family:
    return Family("trend", None, None, None, "vigil-trend-facts")  # type: ignore[arg-type]


def test_nothing_is_settled_for_facts_until_a_clock_came() -> None:
    f = family()
    assert f.settled(0) is None and f.settled_for_facts(0) == 0
    f.mark(0, [(0, 500), (1, 300)])
    assert f.settled(0) == f.settled_for_facts(0) == 300
    assert f.settled_for_facts(1) == 0  # another source partition has carried none


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 10_000)), min_size=1))
def test_an_older_clock_from_a_worker_that_lost_its_partition_never_moves_it_back(
    clocks: list[tuple[int, int]],
) -> None:
    f = family()
    for sender, clock in clocks:
        f.mark(0, [(sender, clock)])
    newest: dict[int, int] = {}
    for sender, clock in clocks:
        newest[sender] = max(newest.get(sender, 0), clock)
    assert f.settled(0) == min(newest.values())


def test_a_partition_that_stopped_sending_holds_the_breakers_back_no_longer(
    monkeypatch: object,
) -> None:
    import stream.worker.family as fam

    now = [100.0]
    monkeypatch.setattr(fam.time, "monotonic", lambda: now[0])  # type: ignore[attr-defined]
    f = family()
    f.mark(0, [(0, 1_000), (1, 1_000)])
    now[0] = 110.0
    f.mark(0, [(0, 5_000)])  # partition 1 lags: the breakers wait for it
    assert f.settled_live(0, now[0], stalled=30.0) == 1_000
    now[0] = 135.0
    f.mark(0, [(0, 9_000)])  # 35 s without a move of partition 1 while 0 moved: left out
    assert f.settled_live(0, now[0], stalled=30.0) == 9_000
    f.mark(0, [(1, 9_500)])  # back: it counts again
    assert f.settled_live(0, now[0], stalled=30.0) == 9_000
    assert family().settled_live(0, now[0], stalled=30.0) == 0  # no clock yet: nothing settled


def test_nothing_is_settled_until_every_content_partition_sent_a_clock_or_a_while_passed() -> None:
    f = Family("trend", None, None, None, "vigil-trend-facts", senders=3)  # type: ignore[arg-type]
    f.mark(0, [(0, 500), (1, 300)])
    first = min(f.moved[0].values())
    assert f.settled_for_facts(0, first + 1, stalled=30.0) == 0  # partition 2 still to come
    assert f.settled_for_facts(0, first + 31, stalled=30.0) == 300  # it has nothing to send
    f.mark(0, [(2, 400)])
    assert f.settled_for_facts(0, first + 1, stalled=30.0) == 300
    assert f.settled_for_facts(0) == 300  # without a clock of its own: as before
