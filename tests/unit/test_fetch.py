"""The worker's fetch loop (stream/fetch.py): Faust's bookkeeping, kept a poll at a time."""

import asyncio
from collections import defaultdict
from typing import Any, NamedTuple

import pytest
from faust.transport.consumer import Consumer
from faust.types import TP

from stream import fetch


class Rec(NamedTuple):
    topic: str
    partition: int
    offset: int
    key: bytes | None = b"k"
    value: bytes | None = b"v"


class Msg:
    """What Faust's Consumer.ack reads of a message."""

    def __init__(self, tp: TP, offset: int) -> None:
        self.tp, self.topic, self.offset, self.acked = tp, tp.topic, offset, False


class Topics:
    def acks_enabled_for(self, topic: str) -> bool:
        return True


class App:
    def __init__(self) -> None:
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

    async def _wait_next_records(self, timeout: float) -> tuple[Any, Any]:
        return self.fetches.pop(0), None

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
        return ({tp: v for tp, v in b._acked.items() if v},
                {tp: v for tp, v in b._acked_index.items() if v}, b._n_acked)

    assert books(ours) == books(theirs)
    assert theirs._n_acked == (8 if committed is None else 4)


async def test_a_poll_groups_records_by_handler_and_sends_the_rest_through_faust() -> None:
    async def content(records: list[Any]) -> None: ...
    books = Books()
    books.fetches.append({
        TP0: [Rec("uploads", 0, o) for o in (4, 5, 7, 8)],  # 6 compacted away
        TP("content-state-changelog", 0): [Rec("content-state-changelog", 0, o)
                                           for o in (0, 1)],
    })
    books._read_offset[TP0] = 5  # 4 was read before a seek
    batches = await fetch._poll(books, {"uploads": content})
    records, offsets = batches[content]
    assert [r.offset for r in records] == [5, 7, 8]
    assert offsets == {TP0: [5, 7, 8]}
    assert books.gaps == [(TP0, 6, 7)]
    assert books._read_offset[TP0] == 8
    assert books.delivered == [0, 1]  # the changelog, record by record


async def test_a_poll_cut_by_a_rebalance_hands_nothing_over() -> None:
    async def content(records: list[Any]) -> None: ...
    books = Books()

    async def rebalanced(timeout: float) -> tuple[Any, Any]:
        books.app.consumer_generation_id = 1
        return {TP0: [Rec("uploads", 0, 0)], TP1: [Rec("uploads", 1, 0)]}, None

    books._wait_next_records = rebalanced  # type: ignore[method-assign]
    original = books.highwater

    def new_generation(tp: TP) -> int:  # the group moves on after the first partition
        books.app.consumer_generation_id = 2
        return original(tp)

    books.highwater = new_generation  # type: ignore[method-assign]
    assert await fetch._poll(books, {"uploads": content}) == {}


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


async def test_a_polls_batches_run_side_by_side_and_each_is_acked_when_done() -> None:
    books = Books()
    order: list[str] = []
    kafka_acks = asyncio.Event()

    async def content(records: list[Any]) -> None:
        order.append("content applied")
        await kafka_acks.wait()  # its publish: waiting for the broker
        order.append("content published")

    async def trend(records: list[Any]) -> None:
        order.append("trend applied")  # runs while content waits
        assert books._acked[TP1] == []
        kafka_acks.set()

    batches: dict[fetch.Handler, fetch.Batch] = {
        content: ([Rec("uploads", 0, 4)], {TP0: [4]}),
        trend: ([Rec("trends", 1, 7)], {TP1: [7]}),
    }
    # run one after the other, content would wait for ever: time out instead
    await asyncio.wait_for(fetch._handle_all(books, batches), 5)
    assert order == ["content applied", "trend applied", "content published"]
    assert books._acked == {TP0: [4], TP1: [7]}


async def test_a_failing_batch_does_not_stop_the_others_and_is_not_acked() -> None:
    books = Books()

    async def broken(records: list[Any]) -> None:
        raise RuntimeError("broker refused the batch")

    async def slow(records: list[Any]) -> None:
        await asyncio.sleep(0.01)

    batches: dict[fetch.Handler, fetch.Batch] = {
        broken: ([Rec("uploads", 0, 4)], {TP0: [4]}),
        slow: ([Rec("trends", 1, 7)], {TP1: [7]}),
    }
    with pytest.raises(RuntimeError, match="refused"):
        await fetch._handle_all(books, batches)
    assert books._acked[TP0] == []  # its records are read again after the restart
    assert books._acked[TP1] == [7]  # the other finished, published and acknowledged
