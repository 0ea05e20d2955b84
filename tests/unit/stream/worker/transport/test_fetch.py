"""The worker's fetch loop (stream/worker/transport/fetch.py): Faust's bookkeeping, a poll at
a time."""

import asyncio
from collections import defaultdict
from typing import Any, NamedTuple

import pytest
from faust.transport.consumer import Consumer
from faust.types import TP

from stream.worker.transport import fetch


class Rec(NamedTuple):
    topic: str
    partition: int
    offset: int
    key: bytes | None = b"k"
    value: bytes | None = b"v"
    timestamp: int = 0


class Msg:
    """What Faust's Consumer.ack reads of a message."""

    def __init__(self, tp: TP, offset: int) -> None:
        self.tp, self.topic, self.offset, self.acked = tp, tp.topic, offset, False


class Topics:
    def acks_enabled_for(self, topic: str) -> bool:
        return True


class Conf:
    broker_max_poll_records = 100


class App:
    def __init__(self) -> None:
        self.conf = Conf()
        self.topics = Topics()
        self.consumer_generation_id = 1
        self.monitor = self

    def track_tp_end_offset(self, tp: TP, offset: int) -> None:
        pass


class Books:
    """The parts of a Faust consumer the fetch loop reads and writes."""

    def __init__(self, committed: int | None = None) -> None:
        self.app = App()
        self._committed_offset: dict[TP, int | None] = defaultdict(lambda: committed)
        self._acked: dict[TP, list[int]] = defaultdict(list)
        self._acked_index: dict[TP, set[int]] = defaultdict(set)
        self._n_acked = 0
        self._waiting_for_ack: asyncio.Future[None] | None = None
        self._unacked_messages: set[Any] = set()
        self._read_offset: dict[TP, int | None] = defaultdict(lambda: None)
        self._buffered_partitions: set[TP] = set()
        self.gaps: list[tuple[TP, int, int]] = []
        self.delivered: list[int] = []
        self.flow_active = True
        self.should_stop = False
        self.fetches: list[dict[TP, list[Rec]]] = []
        self.suspend_flow = asyncio.Event()
        self.not_waiting_next_records = asyncio.Event()
        self.active = {TP0, TP1, TP("content-state-changelog", 0)}
        self.asked: list[set[TP]] = []

    def _get_active_partitions(self) -> set[TP]:
        return self.active

    async def _getmany(self, active_partitions: set[TP], timeout: float) -> Any:
        self.asked.append(set(active_partitions))
        return self.fetches.pop(0)

    def highwater(self, tp: TP) -> int:
        return 0

    async def _add_gap(self, tp: TP, start: int, end: int) -> None:
        self.gaps.append((tp, start, end))

    def _to_message(self, tp: TP, record: Rec) -> Rec:
        return record

    async def callback(self, message: Rec) -> None:
        self.delivered.append(message.offset)

    async def wait_first(self, *coros: Any) -> None:
        await coros[0]
        coros[1].close()


TP0 = TP("uploads", 0)
TP1 = TP("uploads", 1)


@pytest.mark.parametrize("committed", [None, 5])
def test_acks_a_batch_as_faust_acks_each_record(committed: int | None) -> None:
    offsets = {TP0: [3, 5, 6, 7, 9], TP1: [0, 1, 2]}
    theirs, ours = Books(committed), Books(committed)
    for tp, offs in offsets.items():
        for o in offs:
            Consumer.ack(theirs, Msg(tp, o))  # type: ignore[arg-type]
    fetch._ack(ours, offsets)
    fetch._ack(ours, {TP0: [6, 7]})  # again: nothing changes, as with Faust

    def books(b: Books) -> tuple[Any, ...]:  # empty entries of a defaultdict do not count
        return (
            {tp: v for tp, v in b._acked.items() if v},
            {tp: v for tp, v in b._acked_index.items() if v},
            b._n_acked,
        )

    assert books(ours) == books(theirs)
    assert theirs._n_acked == (8 if committed is None else 4)


async def test_a_poll_groups_records_by_handler_and_sends_the_rest_through_faust() -> None:
    async def content(records: list[Any]) -> fetch.Publish: ...

    books = Books()
    books.fetches.append(
        {
            TP0: [Rec("uploads", 0, o) for o in (4, 5, 7, 8)],  # 6 compacted away
            TP("content-state-changelog", 0): [
                Rec("content-state-changelog", 0, o) for o in (0, 1)
            ],
        }
    )
    books._read_offset[TP0] = 5  # 4 was read before a seek
    batches = await fetch._poll(books, {"uploads": content}, {})
    assert batches is not None
    records, offsets = batches[content]
    assert [r.offset for r in records] == [5, 7, 8]
    assert offsets == {TP0: [5, 7, 8]}
    assert books.gaps == [(TP0, 6, 7)]
    assert books._read_offset[TP0] == 8
    assert books.delivered == [0, 1]  # the changelog, record by record


async def test_a_poll_cut_by_a_rebalance_hands_nothing_over() -> None:
    async def content(records: list[Any]) -> fetch.Publish: ...

    books = Books()

    async def rebalanced(active_partitions: set[TP], timeout: float) -> Any:
        books.app.consumer_generation_id = 1
        return {TP0: [Rec("uploads", 0, 0)], TP1: [Rec("uploads", 1, 0)]}

    books._getmany = rebalanced  # type: ignore[method-assign]
    original = books.highwater

    def new_generation(tp: TP) -> int:  # the group moves on after the first partition
        books.app.consumer_generation_id = 2
        return original(tp)

    books.highwater = new_generation  # type: ignore[method-assign]
    assert await fetch._poll(books, {"uploads": content}, {}) == {}


async def test_a_poll_merges_partitions_oldest_first_and_fetches_only_empty_ones() -> None:
    async def content(records: list[Any]) -> fetch.Publish: ...

    books = Books()
    books.app._vigil_fetch_aligned = frozenset({"uploads"})  # type: ignore[attr-defined]
    books.app.conf.broker_max_poll_records = 3
    books.fetches = [
        {
            TP0: [Rec("uploads", 0, o, timestamp=t) for o, t in ((0, 10), (1, 30), (2, 50))],
            TP1: [Rec("uploads", 1, o, timestamp=t) for o, t in ((0, 20), (1, 40))],
        },
        {},
    ]
    aligners: fetch.Aligners = {}
    first = await fetch._poll(books, {"uploads": content}, aligners)
    assert first is not None
    records, offsets = first[content]
    assert [(r.partition, r.timestamp) for r in records] == [(0, 10), (1, 20), (0, 30)]
    assert offsets == {TP0: [0, 1], TP1: [0]}
    second = await fetch._poll(books, {"uploads": content}, aligners)
    assert second is not None
    assert [r.timestamp for r in second[content][0]] == [40, 50]
    # both partitions still had records queued: only the changelog was fetched
    assert books.asked[1] == {TP("content-state-changelog", 0)}


async def test_a_batch_runs_to_its_end_when_the_loop_is_cancelled() -> None:
    done: list[str] = []

    async def batch() -> None:
        await asyncio.sleep(0.05)
        done.append("published")

    loop = asyncio.create_task(fetch._finish(batch()))
    await asyncio.sleep(0.01)
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop
    assert done == ["published"]


def step(
    log: list[str], name: str, wait: asyncio.Event | None = None, fail: bool = False
) -> fetch.Publish:
    """A batch's publish step that logs, optionally waits for the broker, or fails."""

    async def publish() -> None:
        log.append(f"{name} publishing")
        if wait is not None:  # a loop that never lets the acks arrive fails, not hangs
            await asyncio.wait_for(wait.wait(), 2)
        if fail:
            raise RuntimeError("broker refused the batch")
        log.append(f"{name} published")

    return publish


async def test_a_polls_publish_steps_run_side_by_side_and_each_is_acked_when_done() -> None:
    books = Books()
    log: list[str] = []
    kafka_acks = asyncio.Event()

    async def trend_publish() -> None:
        log.append("trend publishing")  # runs while content waits
        assert books._acked[TP1] == []
        kafka_acks.set()

    steps = [(step(log, "content", kafka_acks), {TP0: [4]}), (trend_publish, {TP1: [7]})]
    # run one after the other, content would wait for ever: time out instead
    await asyncio.wait_for(fetch._publish_all(books, steps), 5)
    assert log == ["content publishing", "trend publishing", "content published"]
    assert books._acked == {TP0: [4], TP1: [7]}


async def test_a_failing_publish_does_not_stop_the_others_and_is_not_acked() -> None:
    books = Books()
    log: list[str] = []
    steps = [(step(log, "content", fail=True), {TP0: [4]}), (step(log, "trend"), {TP1: [7]})]
    with pytest.raises(RuntimeError, match="refused"):
        await fetch._publish_all(books, steps)
    assert books._acked[TP0] == []  # its records are read again after the restart
    assert books._acked[TP1] == [7]  # the other finished, published and acknowledged


async def test_a_failing_apply_keeps_the_other_batches_publish_steps() -> None:
    log: list[str] = []

    async def broken(records: list[Any]) -> fetch.Publish:
        raise ValueError("a bug in one family")

    async def fine(records: list[Any]) -> fetch.Publish:
        return step(log, "trend")

    steps, failed = await fetch._apply_all(
        {
            broken: ([Rec("uploads", 0, 4)], {TP0: [4]}),
            fine: ([Rec("trends", 1, 7)], {TP1: [7]}),
        }
    )
    assert isinstance(failed, ValueError)
    assert [offsets for _, offsets in steps] == [{TP1: [7]}]


class Loop(Books):
    """A consumer the whole fetch loop can run on: polls from a list, then stops."""

    consumer_stopped_errors = (ConnectionError,)

    def __init__(self) -> None:
        super().__init__()
        self.diag = self
        self._stopped = asyncio.Event()
        self._commit_every = None
        self.transport = self
        self.should_stop = False
        self.seeks = 0

    def set_flag(self, flag: str) -> None: ...
    def unset_flag(self, flag: str) -> None: ...

    async def _getmany(self, active_partitions: set[TP], timeout: float) -> Any:
        if not self.fetches:
            self.should_stop = True
            return None
        fetched = self.fetches.pop(0)
        if fetched == "rebalance":
            self.flow_active = False
            return {}
        return fetched

    async def perform_seek(self) -> None:
        self.seeks += 1
        self.flow_active = True


def uploads(*offsets: int) -> dict[TP, list[Rec]]:
    return {TP0: [Rec("uploads", 0, o) for o in offsets]}


def handler(
    log: list[str], broker: dict[int, asyncio.Event], fail: frozenset[int] = frozenset()
) -> fetch.Handler:
    """Logs each apply; its publish waits for broker[first offset], if set there."""

    async def apply(records: list[Any]) -> fetch.Publish:
        first = records[0].offset
        log.append(f"{first} applied")
        if first - 1 in broker:
            broker[first - 1].set()  # the broker acks the previous poll meanwhile
        return step(log, str(first), broker.get(first), fail=first in fail)

    return apply


async def test_the_next_poll_is_applied_while_the_previous_one_waits_for_its_acks() -> None:
    loop = Loop()
    loop.fetches = [uploads(0), uploads(1), uploads(2)]
    log: list[str] = []
    broker = {0: asyncio.Event(), 1: asyncio.Event()}
    await asyncio.wait_for(fetch.drain(loop, loop, {"uploads": handler(log, broker)}), 5)
    assert log == [
        "0 applied",
        "0 publishing",
        "1 applied",  # while 0 waits for its acks
        "0 published",
        "1 publishing",  # only once 0 is out: outputs go out in the order applied
        "2 applied",
        "1 published",
        "2 publishing",
        "2 published",
    ]
    assert loop._acked[TP0] == [0, 1, 2]


async def test_a_failed_publish_stops_every_later_one() -> None:
    loop = Loop()
    loop.fetches = [uploads(0), uploads(1), uploads(2)]
    log: list[str] = []
    with pytest.raises(RuntimeError, match="refused"):
        await fetch.drain(loop, loop, {"uploads": handler(log, {}, fail=frozenset({0}))})
    assert log == ["0 applied", "0 publishing", "1 applied"]  # 1 is never published
    assert loop._acked[TP0] == []


async def test_a_rebalance_waits_for_the_publish_in_flight_before_seeking() -> None:
    loop = Loop()
    loop.fetches = [uploads(0), "rebalance", uploads(1)]  # type: ignore[list-item]
    log: list[str] = []
    seeks_when_published: list[int] = []
    apply = handler(log, {})

    async def watched(records: list[Any]) -> fetch.Publish:
        publish = await apply(records)

        async def then_note() -> None:
            await asyncio.sleep(0.02)
            await publish()
            seeks_when_published.append(loop.seeks)

        return then_note

    await asyncio.wait_for(fetch.drain(loop, loop, {"uploads": watched}), 5)
    assert seeks_when_published == [0, 1]  # poll 0 was out before the seek
    assert loop._acked[TP0] == [0, 1]
