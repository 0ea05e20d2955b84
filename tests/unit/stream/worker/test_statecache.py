"""The worker's cache of decoded states: hits, misses, eviction and invalidation."""

from types import SimpleNamespace

import pytest

from signals.creator import UPLOAD, CreatorFact, CreatorState, apply
from stream.worker.statecache import StateCache


class Table:
    """A table whose store is a plain dict, as Faust's memory store holds it."""

    def __init__(self) -> None:
        self.data = SimpleNamespace(data={})

    def __setitem__(self, key: bytes, state: CreatorState) -> None:
        self.data.data[key] = state.encode()


def creator(uploads: int) -> CreatorState:
    st = CreatorState()
    for i in range(uploads):
        apply(
            st,
            CreatorFact(UPLOAD, 1_800_000_000_000 + i, "u1", f"v{i}", f"e{i}", region="US"),
            lateness=86_400_000,
        )
    return st


@pytest.fixture
def table() -> Table:
    return Table()


def test_a_miss_decodes_from_the_table_and_a_kept_state_is_served_as_is(table: Table) -> None:
    table[b"u1"] = creator(3)
    cache = StateCache(table, CreatorState.decode, capacity=10)
    assert cache.load(b"absent") is None
    decoded = cache.load(b"u1")
    assert decoded is not None and decoded.encode() == creator(3).encode()
    assert (cache.hits, cache.misses) == (0, 2)

    cache.keep({b"u1": decoded})
    assert cache.load(b"u1") is decoded  # no decode: the very object the batch wrote back
    assert (cache.hits, cache.misses) == (1, 2)


def test_the_least_recently_used_key_is_evicted_first(table: Table) -> None:
    states = {k: creator(1) for k in (b"a", b"b", b"c", b"d")}
    for k, st in states.items():
        table[k] = st
    cache = StateCache(table, CreatorState.decode, capacity=2)
    cache.keep({b"a": states[b"a"], b"b": states[b"b"]})
    cache.keep({b"c": states[b"c"]})  # a is the oldest
    assert len(cache) == 2
    assert cache.load(b"a") is not states[b"a"]  # decoded again from the table
    assert cache.load(b"b") is states[b"b"]  # b is now the most recent
    cache.keep({b"d": states[b"d"]})
    assert cache.load(b"b") is states[b"b"]
    assert cache.load(b"c") is not states[b"c"]


def test_a_key_written_again_by_a_batch_becomes_the_most_recent(table: Table) -> None:
    a, b, c = creator(1), creator(1), creator(1)
    cache = StateCache(table, CreatorState.decode, capacity=2)
    cache.keep({b"a": a, b"b": b})
    cache.keep({b"a": a})
    cache.keep({b"c": c})  # evicts b, not a
    assert cache.load(b"a") is a
    table[b"b"] = b
    assert cache.load(b"b") is not b


def test_drop_and_clear_send_the_next_read_to_the_table(table: Table) -> None:
    old, new = creator(1), creator(5)
    cache = StateCache(table, CreatorState.decode, capacity=10)
    cache.keep({b"u1": old, b"u2": old})
    table[b"u1"] = new  # changed outside a batch (the sweep): the cache must not answer
    cache.drop(b"u1")
    loaded = cache.load(b"u1")
    assert loaded is not None and loaded.encode() == new.encode()
    cache.clear(object(), revoked=set(), signal=None)  # as a Faust signal calls it
    assert len(cache) == 0
    assert cache.load(b"u2") is None  # never in the table


def test_capacity_zero_keeps_nothing(table: Table) -> None:
    st = creator(1)
    table[b"u1"] = st
    cache = StateCache(table, CreatorState.decode, capacity=0)
    cache.keep({b"u1": st})
    assert len(cache) == 0
    assert cache.load(b"u1") is not st


def test_a_state_from_a_newer_vigil_is_refused_naming_the_table_and_key() -> None:
    import orjson

    from stream.errors import StateVersionError

    table = Table()
    table.name = "creator-state"  # type: ignore[attr-defined]
    newer = orjson.loads(creator(1).encode())
    newer[0] = 99  # an encoding this version does not know
    table.data.data[b"u1"] = orjson.dumps(newer)
    cache = StateCache(table, CreatorState.decode, 10)
    with pytest.raises(StateVersionError, match=r"table creator-state, key b'u1': .*encoding 99"):
        cache.load(b"u1")
