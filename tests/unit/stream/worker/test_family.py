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
