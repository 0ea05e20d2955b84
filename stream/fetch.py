"""The worker's fetch loop: records of vigil's own topics reach the engine a poll at a time.

Faust hands every fetched record to its conductor on its own: for each one, mode's
`wait_first` creates four tasks and an `asyncio.wait`, the record becomes an event in a
channel queue, and the agent's stream takes it out again. Profiled, that per-record
scheduling was about half of a worker's time while the engine itself was under 5%.

This loop takes the place of Faust's `Consumer._drain_messages` for an app that registered
handlers. Each poll's records of a registered topic go to their handler as aiokafka fetched
them, grouped by handler, each partition in order; the handler applies them and publishes the
results, and only then are their offsets acknowledged, a partition at a time, so a committed
offset always has its outputs and changelog records acknowledged by Kafka. A poll's handlers
(one per state family) run side by side. Faust still owns
everything else: group membership, assignment, table recovery (changelog records take
Faust's own path, record by record, as before), seeks, offset gaps and commits.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from itertools import pairwise
from typing import Any, Protocol

from faust.transport.consumer import CONSUMER_FETCHING, Consumer
from faust.types.tuples import ack_lock
from mode.utils.futures import notify


class Record(Protocol):
    """What a batch function reads of a record: aiokafka's and Faust's records both fit."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


Handler = Callable[[list[Any]], Awaitable[None]]

_HANDLERS = "_vigil_fetch_handlers"
_original = Consumer._drain_messages


def install(app: Any, handlers: Mapping[str, Handler]) -> None:
    """Route records of these topics (full names) to their batch handlers in this app."""
    setattr(app, _HANDLERS, dict(handlers))
    Consumer._drain_messages = _drain_messages  # type: ignore[method-assign]


async def _drain_messages(self: Any, fetcher: Any) -> None:
    handlers: dict[str, Handler] | None = getattr(self.app, _HANDLERS, None)
    if handlers is None:  # an app without vigil's handlers (never in the worker)
        await _original(self, fetcher)
        return
    await _drain(self, fetcher, handlers)


async def _drain(consumer: Any, fetcher: Any, handlers: dict[str, Handler]) -> None:
    diag = consumer.diag
    try:
        while not (consumer._stopped.is_set() or fetcher._stopped.is_set()):
            diag.set_flag(CONSUMER_FETCHING)
            await asyncio.sleep(0)  # a poll can return at once, again and again
            if consumer.should_stop:
                break
            batches = await _poll(consumer, handlers)
            diag.unset_flag(CONSUMER_FETCHING)
            if batches:
                await _finish(_handle_all(consumer, batches))
            if consumer._commit_every is not None and consumer._n_acked >= consumer._commit_every:
                consumer._n_acked = 0
                await consumer.commit()
    except consumer.consumer_stopped_errors:
        if not consumer.transport.app.should_stop:
            raise
    finally:
        diag.unset_flag(CONSUMER_FETCHING)


Batch = tuple[list[Any], dict[Any, list[int]]]  # records, and their offsets by partition


async def _poll(consumer: Any, handlers: dict[str, Handler]) -> dict[Handler, Batch]:
    """One fetch: records of vigil's topics grouped by handler; the rest through Faust.

    The checks are those of Faust's `Consumer.getmany` and `_drain_messages`, made once a
    poll instead of once a record: flow stopped for a rebalance, a new generation, paused
    partitions, records read already before a seek, and gaps left by compaction.
    """
    records, active = await consumer._wait_next_records(1.0)
    generation = consumer.app.consumer_generation_id
    batches: dict[Handler, Batch] = {}
    if records is None or consumer.should_stop:
        return batches
    if not consumer.flow_active:  # stopped for a rebalance: start again from the commits
        await consumer.perform_seek()
        return batches
    read_offset = consumer._read_offset
    buffered = consumer._buffered_partitions
    acks_enabled_for = consumer.app.topics.acks_enabled_for
    track_end = consumer.app.monitor.track_tp_end_offset
    for tp, fetched in records.items():
        if not fetched or not (active is None or tp in active or tp in buffered):
            continue
        if consumer.app.consumer_generation_id != generation or not consumer.flow_active:
            return {}  # rebalanced meanwhile: unacknowledged, so read again after the seek
        track_end(tp, consumer.highwater(tp))
        handler = handlers.get(tp.topic)
        seen = read_offset[tp]
        fresh = [r for r in fetched if seen is None or r.offset >= seen]  # else read already
        if not fresh:
            continue
        first = fresh[0].offset
        if seen and first - seen > 1 and acks_enabled_for(tp.topic):
            await consumer._add_gap(tp, seen + 1, first)  # offsets compacted away
        if fresh[-1].offset - first + 1 != len(fresh) and acks_enabled_for(tp.topic):
            for a, b in pairwise(fresh):
                if b.offset - a.offset > 1:
                    await consumer._add_gap(tp, a.offset + 1, b.offset)
        read_offset[tp] = fresh[-1].offset
        if handler is None:  # changelogs during recovery, and anything else
            for record in fresh:
                message = consumer._to_message(tp, record)
                await consumer.wait_first(consumer.callback(message),
                                          consumer.suspend_flow.wait())
            continue
        batch = batches.setdefault(handler, ([], {}))
        batch[0].extend(fresh)
        batch[1].setdefault(tp, []).extend(r.offset for r in fresh)
    if consumer.app.consumer_generation_id != generation:
        return {}
    return batches


async def _handle_all(consumer: Any, batches: dict[Handler, "Batch"]) -> None:
    """Run a poll's batches side by side, acknowledging each when its handler is done.

    The families' batches share nothing (each has its own table and topics), and each spends
    the end of its run waiting for Redis and Kafka's acks: run together, one family's work
    fills another's wait. The first error is raised once every batch has finished.
    """
    async def handle(handler: Handler, records: list[Any], offsets: dict[Any, list[int]]) -> None:
        await handler(records)
        _ack(consumer, offsets)

    results = await asyncio.gather(
        *(handle(h, records, offsets) for h, (records, offsets) in batches.items()),
        return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _ack(consumer: Any, offsets: dict[Any, list[int]]) -> None:
    """Acknowledge a batch's offsets as Faust's `Consumer.ack` would, a partition at a time."""
    with ack_lock:
        for tp, offs in offsets.items():
            if not consumer.app.topics.acks_enabled_for(tp.topic):
                continue
            committed = consumer._committed_offset[tp]
            index = consumer._acked_index[tp]
            new = [o for o in offs if (committed is None or o >= committed) and o not in index]
            index.update(new)
            consumer._acked[tp].extend(new)
            consumer._n_acked += len(new)
        notify(consumer._waiting_for_ack)


async def _finish(work: Awaitable[None]) -> None:
    """Run a batch to its end even if the fetch loop is cancelled meanwhile.

    Faust cancels the fetcher when it stops (and retries the cancel every second). A batch cut
    short would leave state written but outputs unsent; finishing it, then stopping, keeps
    "acknowledged means published" true.
    """
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancelled = True
    task.result()
    if cancelled:
        raise asyncio.CancelledError
