"""The worker's fetch loop: records of vigil's own topics reach the engine a poll at a time.

Faust hands every fetched record to its conductor on its own: for each one, mode's
`wait_first` creates four tasks and an `asyncio.wait`, the record becomes an event in a
channel queue, and the agent's stream takes it out again. Profiled, that per-record
scheduling was about half of a worker's time while the engine itself was under 5%.

This loop takes the place of Faust's `Consumer._drain_messages` for an app that routed
handlers (vigil's transport, stream.worker.transport, calls it). The records of a routed
topic go to their handler in batches, each partition in order and the partitions merged
oldest first (stream.worker.align: a backlog is applied in the order it was written, not a
partition's fetch at a time). A handler works in two steps: it applies
the records (state, rules, table writes) and returns its publish step, which sends the
results and waits for Kafka's acks; only then are the records' offsets acknowledged, a
partition at a time, so a committed offset always has its outputs and changelog records
acknowledged by Kafka. A poll's publish steps (one per state family) run side by side, and
while they wait for the broker the loop already polls and applies the next poll's records:
draining a backlog, a worker otherwise sat idle for about a quarter of the time, waiting for
acks. The next poll's publish starts only once the previous one has finished, so outputs
and changelog records reach Kafka in the order they were applied, and a publish that fails
stops every later one. Faust still owns everything else: group membership, assignment,
table recovery (changelog records take Faust's own path, record by record, as before),
seeks, offset gaps and commits.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from itertools import pairwise
from typing import Any, Protocol, TypeVar

from faust.transport.consumer import CONSUMER_FETCHING
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

from stream.worker.align import Aligner


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


Publish = Callable[[], Awaitable[None]]  # a batch's second step: send, wait for acks
Offsets = dict[Any, list[int]]  # a batch's offsets by partition
Batch = tuple[list[Any], Offsets]  # a batch's records, and their offsets
Handler = Callable[[list[Any]], Awaitable[Publish]]  # first step: apply a batch
Aligners = dict[Handler, Aligner]  # each handler's fetched records, not yet applied

_HANDLERS = "_vigil_fetch_handlers"
_ALIGNED = "_vigil_fetch_aligned"
_QUEUED = "_vigil_fetch_queued"  # the drain loop's aligners: fetched records not yet applied


def route(app: Any, handlers: Mapping[str, Handler], aligned: Collection[str] = ()) -> None:
    """Route records of these topics (full names) to their batch handlers in this app; the
    partitions of the `aligned` topics are read oldest first (stream.worker.align)."""
    setattr(app, _HANDLERS, dict(handlers))
    setattr(app, _ALIGNED, frozenset(aligned))


def handlers_of(app: Any) -> dict[str, Handler] | None:
    """The batch handlers routed in this app, None for an app without them."""
    return getattr(app, _HANDLERS, None)


async def drain(consumer: Any, fetcher: Any, handlers: dict[str, Handler]) -> None:
    diag = consumer.diag
    inflight = InFlight(consumer)
    aligners: Aligners = {}
    setattr(consumer.app, _QUEUED, aligners)
    try:
        while not (consumer._stopped.is_set() or fetcher._stopped.is_set()):  # noqa: SLF001
            diag.set_flag(CONSUMER_FETCHING)
            await asyncio.sleep(0)  # a poll can return at once, again and again
            if consumer.should_stop:
                break
            batches = await _poll(consumer, handlers, aligners)
            diag.unset_flag(CONSUMER_FETCHING)
            if batches is None:  # a rebalance: settle what is in flight, then seek
                for aligner in aligners.values():
                    aligner.clear()  # unacknowledged: read again after the seek
                await inflight.settle()
                await consumer.perform_seek()
            elif batches:
                steps, failed = await _finish(_apply_all(batches))
                await inflight.settle()  # in order: the previous poll's outputs go out first
                inflight.start(steps)
                if failed is not None:  # the other families' batches still go out
                    await inflight.settle()
                    raise failed
            else:
                await inflight.check()
            if consumer._commit_every is not None and consumer._n_acked >= consumer._commit_every:  # noqa: SLF001
                consumer._n_acked = 0  # noqa: SLF001
                await consumer.commit()
    except consumer.consumer_stopped_errors:
        if not consumer.transport.app.should_stop:
            raise
    finally:
        diag.unset_flag(CONSUMER_FETCHING)
        await inflight.settle()  # applied already: its outputs must still go out


def drained(app: Any, topics: Collection[str]) -> bool:
    """Whether every assigned partition of these topics (full names) has been read to the end
    Kafka last reported, with none of its records still waiting to be applied: nothing more
    of them can come until more is written. A partition not fetched yet is not drained."""
    consumer = app.consumer
    aligners: Aligners = getattr(app, _QUEUED, {})
    read_offset = consumer._read_offset  # noqa: SLF001
    for tp in consumer.assignment():
        if tp.topic not in topics:
            continue
        high = consumer.highwater(tp)  # the next offset to be written; None until fetched
        if high is None or any(a.queued(tp) for a in aligners.values()):
            return False
        seen = read_offset.get(tp)
        if seen is not None and seen + 1 < high:
            return False
    return True


class InFlight:
    """The previous poll's publish steps, running while the loop polls and applies the next."""

    def __init__(self, consumer: Any) -> None:
        self._consumer = consumer
        self._task: asyncio.Future[None] | None = None

    def start(self, steps: list[tuple[Publish, Offsets]]) -> None:
        """Start publishing a poll's applied batches (the previous ones must have settled)."""
        assert self._task is None
        self._task = asyncio.ensure_future(_publish_all(self._consumer, steps))

    async def settle(self) -> None:
        """Wait until what is in flight is published and acknowledged; raise what it raised."""
        task, self._task = self._task, None
        if task is not None:
            await _finish(task)

    async def check(self) -> None:
        """Raise now if what is in flight has failed; never wait."""
        if self._task is not None and self._task.done():
            await self.settle()


async def _poll(
    consumer: Any, handlers: dict[str, Handler], aligners: Aligners
) -> dict[Handler, Batch] | None:
    """One fetch: records of vigil's topics grouped by handler; the rest through Faust.

    None when flow has stopped for a rebalance: the caller settles what is in flight, then
    seeks back to the committed offsets.

    The checks are those of Faust's `Consumer.getmany` and `_drain_messages`, made once a
    poll instead of once a record: flow stopped for a rebalance, a new generation, paused
    partitions, records read already before a seek, and gaps left by compaction.
    """
    records, active = await _fetch(consumer, aligners)
    generation = consumer.app.consumer_generation_id
    if records is None or consumer.should_stop:
        return {}
    if not consumer.flow_active:  # stopped for a rebalance: start again from the commits
        return None
    read_offset = consumer._read_offset  # noqa: SLF001
    buffered = consumer._buffered_partitions  # noqa: SLF001
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
            await consumer._add_gap(tp, seen + 1, first)  # offsets compacted away  # noqa: SLF001
        if fresh[-1].offset - first + 1 != len(fresh) and acks_enabled_for(tp.topic):
            for a, b in pairwise(fresh):
                if b.offset - a.offset > 1:
                    await consumer._add_gap(tp, a.offset + 1, b.offset)  # noqa: SLF001
        read_offset[tp] = fresh[-1].offset
        if handler is None:  # changelogs during recovery, and anything else
            for record in fresh:
                message = consumer._to_message(tp, record)  # noqa: SLF001
                await consumer.wait_first(consumer.callback(message), consumer.suspend_flow.wait())
            continue
        aligners.setdefault(handler, Aligner()).add(tp, fresh)
    if consumer.app.consumer_generation_id != generation:
        return {}
    return _release(consumer, handlers, aligners, active)


async def _fetch(consumer: Any, aligners: Aligners) -> tuple[Any, set[Any] | None]:
    """Faust's `Consumer._wait_next_records`, asking only for partitions with nothing queued:
    the others' next records wait in aiokafka's fetcher, which fetches no further for them
    meanwhile, so what is queued stays within a fetch per partition."""
    if not consumer.flow_active:
        await consumer.wait(consumer.can_resume_flow)
    consumer.not_waiting_next_records.set()
    active: set[Any] = consumer._get_active_partitions()  # noqa: SLF001
    queued = {tp for a in aligners.values() for tp in active if a.queued(tp)}
    wanted = active - queued
    # nothing queued: wait for records as Faust does; a partition that is behind holds the
    # others back: wait briefly for its fetch; else take only what is fetched already
    timeout = 1.0 if not queued else 0.05 if any(a.blocked for a in aligners.values()) else 0.0
    if not wanted:
        await asyncio.sleep(0)
        return {}, active
    return await consumer._getmany(active_partitions=wanted, timeout=timeout), active  # noqa: SLF001


def _release(
    consumer: Any, handlers: dict[str, Handler], aligners: Aligners, active: set[Any] | None
) -> dict[Handler, Batch]:
    """Each handler's batch: its queued records that may go now, oldest first."""
    read_offset = consumer._read_offset  # noqa: SLF001
    limit = consumer.app.conf.broker_max_poll_records or 5000

    def behind(tp: Any) -> bool:
        high = consumer.highwater(tp)  # the next offset to be written; None until fetched
        seen = read_offset.get(tp)
        if seen is None:
            return high is None  # never fetched: unknown, so waited for a while
        return high is None or seen + 1 < high

    def never(tp: Any) -> bool:
        return False

    aligned: frozenset[str] = getattr(consumer.app, _ALIGNED, frozenset())
    batches: dict[Handler, Batch] = {}
    now = time.monotonic()
    for handler, aligner in aligners.items():
        if active is not None:
            aligner.keep_only(active.__contains__)
        # the others' keys each live in one partition, in the order they were written, so
        # nothing is gained by holding one partition for another
        members = [
            tp for tp in active or () if handlers.get(tp.topic) is handler and tp.topic in aligned
        ]
        released = aligner.release(members, behind if members else never, now, limit)
        if released:
            offsets: Offsets = {}
            for tp, r in released:
                offsets.setdefault(tp, []).append(r.offset)
            batches[handler] = ([r for _, r in released], offsets)
    return batches


async def _apply_all(
    batches: dict[Handler, Batch],
) -> tuple[list[tuple[Publish, Offsets]], BaseException | None]:
    """Apply a poll's batches, one family after another: their publish steps, and the first
    error, if a batch raised (its records are not published, and not acknowledged)."""
    steps, failed = [], None
    for handler, (records, offsets) in batches.items():
        try:
            steps.append((await handler(records), offsets))
        except Exception as exc:
            failed = failed or exc
    return steps, failed


async def _publish_all(consumer: Any, steps: list[tuple[Publish, Offsets]]) -> None:
    """Run a poll's publish steps side by side, acknowledging each batch when it is done.

    The families' batches share nothing (each has its own table and topics), and each spends
    its publish waiting for Redis and Kafka's acks: run together, the waits overlap. The
    first error is raised once every step has finished.
    """

    async def publish(step: Publish, offsets: Offsets) -> None:
        await step()
        _ack(consumer, offsets)

    results = await asyncio.gather(
        *(publish(step, offsets) for step, offsets in steps), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _ack(consumer: Any, offsets: Offsets) -> None:
    """Acknowledge a batch's offsets as Faust's `Consumer.ack` would, a partition at a time."""
    with ack_lock:
        for tp, offs in offsets.items():
            if not consumer.app.topics.acks_enabled_for(tp.topic):
                continue
            committed = consumer._committed_offset[tp]  # noqa: SLF001
            index = consumer._acked_index[tp]  # noqa: SLF001
            new = [o for o in offs if (committed is None or o >= committed) and o not in index]
            index.update(new)
            consumer._acked[tp].extend(new)  # noqa: SLF001
            consumer._n_acked += len(new)  # noqa: SLF001
        notify(consumer._waiting_for_ack)  # noqa: SLF001


T = TypeVar("T")


async def _finish(work: Awaitable[T]) -> T:
    """Run a batch's step to its end even if the fetch loop is cancelled meanwhile.

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
    result = task.result()
    if cancelled:
        raise asyncio.CancelledError
    return result
