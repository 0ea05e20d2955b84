"""Event-time alignment of a handler's partitions (stream.worker.align)."""

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from stream.worker.align import Aligner


@dataclass(frozen=True)
class Rec:
    timestamp: int
    offset: int


def queues(draw: st.DrawFn) -> dict[str, list[Rec]]:
    out = {}
    for tp in draw(st.lists(st.sampled_from("abcd"), unique=True, min_size=1)):
        stamps = sorted(draw(st.lists(st.integers(0, 50), max_size=20)))
        out[tp] = [Rec(t, i) for i, t in enumerate(stamps)]
    return out


@given(st.composite(queues)(), st.integers(1, 30))
def test_caught_up_partitions_leave_oldest_first_each_in_offset_order(
    fetched: dict[str, list[Rec]], limit: int
) -> None:
    a = Aligner()
    for tp, recs in fetched.items():
        a.add(tp, recs)
    out: list[tuple[str, Rec]] = []
    while len(a):
        got = a.release(fetched, lambda tp: False, 0.0, limit)
        assert 0 < len(got) <= limit
        out += got
    assert [r.timestamp for _, r in out] == sorted(
        r.timestamp for rs in fetched.values() for r in rs
    )
    for tp, recs in fetched.items():
        assert [r for t, r in out if t == tp] == recs


def test_a_partition_behind_with_nothing_fetched_holds_the_others_until_idle() -> None:
    a = Aligner(idle=0.5)
    a.add("p0", [Rec(10, 0), Rec(20, 1)])
    behind = {"p1"}.__contains__  # p1 has records on the broker, none fetched yet
    assert a.release(["p0", "p1"], behind, 100.0, 10) == []
    assert a.blocked
    assert a.release(["p0", "p1"], behind, 100.4, 10) == []
    a.add("p1", [Rec(5, 0)])  # its fetch came: its older record goes first
    assert [(tp, r.timestamp) for tp, r in a.release(["p0", "p1"], behind, 100.45, 10)] == [
        ("p1", 5)
    ]  # and p1, behind again with nothing queued, holds p0 back again
    assert a.release(["p0", "p1"], behind, 100.5, 10) == []
    # its next fetch does not come within the idle time: p0 goes on without it
    assert [r.timestamp for _, r in a.release(["p0", "p1"], behind, 101.0, 10)] == [10, 20]


def test_a_partition_behind_bounds_the_others_by_the_newest_it_has_fetched() -> None:
    """Caught up, what the broker holds was written after everything fetched: records up
    to the silent partition's newest go at once, later ones wait for its fetch."""
    a = Aligner()
    a.add("p0", [Rec(100, 0)])
    assert [r.timestamp for _, r in a.release(["p0"], lambda tp: False, 0.0, 10)] == [100]
    a.add("p1", [Rec(50, 0), Rec(60, 1), Rec(150, 2)])
    behind = {"p0"}.__contains__
    got = a.release(["p0", "p1"], behind, 1.0, 10)
    assert [r.timestamp for _, r in got] == [50, 60] and a.blocked
    a.add("p0", [Rec(120, 1)])
    got = a.release(["p0", "p1"], lambda tp: False, 1.1, 10)
    assert [(tp, r.timestamp) for tp, r in got] == [("p0", 120), ("p1", 150)]
    assert not a.blocked


def test_a_queue_that_empties_while_behind_stops_the_release_there() -> None:
    a = Aligner()
    a.add("p0", [Rec(1, 0)])
    a.add("p1", [Rec(2, 0), Rec(3, 1)])
    got = a.release(["p0", "p1"], {"p0"}.__contains__, 0.0, 10)
    assert [(tp, r.timestamp) for tp, r in got] == [("p0", 1)]
    a.add("p0", [Rec(4, 1)])
    got = a.release(["p0", "p1"], lambda tp: False, 0.0, 10)
    assert [r.timestamp for _, r in got] == [2, 3, 4]


def test_revoked_partitions_are_forgotten_and_a_rebalance_forgets_all() -> None:
    a = Aligner()
    a.add("p0", [Rec(1, 0)])
    a.add("p1", [Rec(2, 0)])
    a.keep_only({"p1"}.__contains__)
    assert not a.queued("p0") and a.queued("p1") and len(a) == 1
    a.clear()
    assert len(a) == 0
