"""How the worker writes its tables: straight into the store, with changelog records it sends
itself."""

import shutil
from typing import Any, NamedTuple

import structlog
from faust.types import TP

from stream.config import Settings
from stream.worker.outbox import Outbox, Partition
from stream.worker.transport.current import belonging_to
from stream.worker.transport.fetch import Record

log = structlog.get_logger("vigil.worker")
DIRTY = ".unpublished"  # in a worker's data directory: its store holds unpublished states


class Where(NamedTuple):
    """The topic and partition a table change belongs to, when no record caused it."""

    topic: str
    partition: int


def stored(encoded: bytes) -> bytes:
    """An exact-size copy of an encoded state, for a value the table keeps.

    orjson returns bytes inside an allocation sized for its output buffer; kept in a table,
    each pinned about 4 KiB of memory for a 200-byte state (measured: 82 MB against 4.4 MB
    for 20,000 content keys). The copy costs a memcpy per written key.
    """
    return bytes(memoryview(encoded))


def getter(table: Any) -> Any:
    """A function reading a table key's stored value (None when absent).

    Faust's `table.get` goes through three Mapping layers and raises and catches a KeyError
    for every absent key (most content keys are new); the memory store is a plain dict
    underneath, read directly.
    """
    store = table.data
    inner = getattr(store, "data", None)
    return inner.get if isinstance(inner, dict) else table.get


def entries(table: Any) -> list[tuple[bytes, bytes]]:
    """A snapshot of a table's (key, stored value) pairs, for a sweep.

    Faust's `table.items()` goes through its Mapping layers for every pair (about 4 s for
    1.6M keys); a memory store is a plain dict underneath, copied at C speed.
    """
    inner = getattr(table.data, "data", None)
    return list(inner.items()) if isinstance(inner, dict) else list(table.items())


Written = dict[Partition, Any]  # changelog partition -> the table it belongs to


def write_back(
    table: Any, states: dict[bytes, Any], sources: dict[bytes, Record], box: Outbox
) -> Written:
    """Store each key touched in a batch once and queue its changelog record in box.

    Faust's own table writes queue each changelog record in a buffer that is drained one
    message at a time, and its conductor stops delivering events whenever more than 100 are
    waiting: profiled, that throttle held the worker idle half the time and put seconds of
    queueing on decisions. Writing the store directly and sending the records right after the
    batch's outputs (`Outbox.send_changelogs`) makes them durable after the outputs and before
    the batch's offsets can be committed (Faust's buffer gives no such order).

    A key's changelog partition (and RocksDB's store partition, taken from the current
    event) is that of the record that last touched it: its state is co-partitioned with it.
    Returns the changelog partitions written, for `persisted` once Kafka has acked them.
    """
    topic = table.changelog_topic.get_topic_name()
    store = table.data
    add = box.add_changelog
    partitions = set()
    with belonging_to(None) as current:
        for bkey, st in states.items():
            source = sources[bkey]
            value = stored(st.encode())
            current.message = source
            store[bkey] = value  # the store itself: no per-key changelog send
            add(topic, bkey, value, source.partition)
            partitions.add(source.partition)
    return {Partition(topic, p): table for p in partitions}


def write_direct(table: Any, box: Outbox, key: bytes, value: bytes | None, where: Where) -> Written:
    """Store (or, with None, delete) one key outside a batch, as write_back does inside one:
    the store itself, and the changelog record (a tombstone for a delete) queued in box.

    The sweep's deletes once went through Faust's `table[key]` path, a buffered changelog
    send per key whose throttle stalls the stream: expiring a day's videos at once put a
    worker a million events behind.
    """
    topic = table.changelog_topic.get_topic_name()
    store = table.data
    with belonging_to(where):
        if value is None:
            if key in store:
                del store[key]
        else:
            store[key] = value
    box.add_changelog(topic, key, value, where.partition)
    return {Partition(topic, where.partition): table}


def persisted(written: Written, newest: dict[Partition, int]) -> None:
    """Tell each store the newest changelog offset it holds (RocksDB skips it on recovery)."""
    for tp, table in written.items():
        table.data.set_persisted_offset(TP(*tp), newest[tp])


def mark_dirty(settings: Settings) -> None:
    """Record that this worker's local store holds states that were never published.

    A batch writes its states to the store when it is applied, so that the next poll, applied
    while this one publishes, reads them. If the publish then fails, a RocksDB store keeps
    states saying rules fired whose decisions never went out; restored from it, a worker would
    never make them. The changelog is the truth: `discard_if_dirty` rebuilds from it.
    """
    if settings.store == "rocksdb":
        path = settings.data_dir / settings.app_id
        path.mkdir(parents=True, exist_ok=True)
        (path / DIRTY).touch()


def discard_if_dirty(settings: Settings) -> bool:
    """At start: drop a local store marked by `mark_dirty` (Faust restores it from the
    changelog). True if one was dropped."""
    path = settings.data_dir / settings.app_id
    if not (path / DIRTY).exists():
        return False
    shutil.rmtree(path)
    log.warning(
        "local_state_discarded",
        path=str(path),
        detail="a failed publish left states the changelog does not have; the tables "
        "are restored from their changelogs",
    )
    return True
