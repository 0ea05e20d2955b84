"""The outbox's grouping: one record batch per partition, facts packed, limits kept.

The producer is a stand-in for aiokafka's (outside vigil) that fills aiokafka's own
BatchBuilder and acknowledges each batch with a base offset, as the broker would.
"""

import asyncio
from typing import Any

from aiokafka.producer.message_accumulator import BatchBuilder
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.creator import CreatorFact
from signals.facts import unpack
from signals.records import CREATOR_FACT_PACK
from stream.worker.outbox import Outbox, Partition, partition_for


class Ack:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class Producer:
    """Records every batch it is handed: (topic, partition, [(key, value)])."""

    def __init__(self, partitions: int = 4, batch_size: int = 1 << 20) -> None:
        self.partitions, self.batch_size = partitions, batch_size
        self.batches: list[tuple[str, int, list[tuple[bytes | None, bytes | None]]]] = []
        self.end: dict[tuple[str, int], int] = {}

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(self.partitions))

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(self.batch_size, 0)  # no compression

    async def send_batch(self, batch: BatchBuilder, topic: str, *, partition: int) -> Any:
        records = _records(batch)
        base = self.end.get((topic, partition), 0)
        self.end[topic, partition] = base + len(records)
        self.batches.append((topic, partition, records))
        done: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        done.set_result(Ack(base))
        return done


def _records(batch: BatchBuilder) -> list[tuple[bytes | None, bytes | None]]:
    from aiokafka.record.default_records import DefaultRecordBatch

    data = batch._build()  # what aiokafka puts on the wire
    return [(r.key, r.value) for r in DefaultRecordBatch(bytearray(data))]


def run(box: Outbox, producer: Producer) -> dict[Partition, int]:
    return asyncio.run(box.send(producer, "dead-letter"))


keys = st.lists(st.binary(min_size=1, max_size=8), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(keys)
def test_each_partition_gets_one_batch_in_the_order_added(key_list: list[bytes]) -> None:
    producer, box = Producer(), Outbox()
    for i, key in enumerate(key_list):
        box.add("enforcement-actions", key, b"v%d" % i)
    newest = run(box, producer)
    assert len({(t, p) for t, p, _ in producer.batches}) == len(producer.batches)
    for topic, partition, records in producer.batches:
        expected = [
            (k, b"v%d" % i) for i, k in enumerate(key_list) if partition_for(k, 4) == partition
        ]
        assert records == expected  # the default partitioner's choice, in order
        assert newest[Partition(topic, partition)] == len(records) - 1


def test_facts_travel_packed_to_their_keys_partitions() -> None:
    producer, box = Producer(), Outbox()
    facts = {
        b"creator-%d" % i: CreatorFact("upload", i, f"creator-{i}", "v", f"e{i}").fields()
        for i in range(40)
    }
    for key, fields in facts.items():
        box.add_fact("vigil-creator-facts", key, fields)
    run(box, producer)
    for _, partition, records in producer.batches:
        got = [list(f) for _, value in records for f in unpack(value or b"", CREATOR_FACT_PACK)]
        want = [f for k, f in facts.items() if partition_for(k, 4) == partition]
        assert got == want and all(key is None for key, _ in records)


def test_changelogs_go_after_the_outputs_to_the_partition_given_tombstones_too() -> None:
    producer, box = Producer(), Outbox()
    box.add_changelog("app-content-state-changelog", b"v1", b"state", 3)
    box.add_changelog("app-content-state-changelog", b"v2", None, 3)
    box.add("escalations", b"v1", b"decision")
    run(box, producer)
    assert [t for t, _, _ in producer.batches] == ["escalations", "app-content-state-changelog"]
    assert producer.batches[1][1:] == (3, [(b"v1", b"state"), (b"v2", None)])


def test_a_partition_over_its_limit_splits_and_a_record_over_it_is_dead_lettered() -> None:
    limit = 1000
    producer, box = Producer(partitions=1), Outbox({"trend-alerts": limit, "dead-letter": 4000})
    for i in range(20):
        box.add("trend-alerts", b"k", bytes([65 + i]) * 100)  # 20 x ~140 bytes: 3+ batches
    box.add("trend-alerts", b"k", b"x" * 2000)  # over the topic's limit on its own
    newest = run(box, producer)
    alerts = [r for t, _, r in producer.batches if t == "trend-alerts"]
    assert len(alerts) >= 3 and sum(map(len, alerts)) == 20
    assert [v for batch in alerts for _, v in batch] == [bytes([65 + i]) * 100 for i in range(20)]
    dead = [r for t, _, r in producer.batches if t == "dead-letter"]
    assert len(dead) == 1 and b"output_refused" in (dead[0][0][1] or b"")
    assert newest[Partition("trend-alerts", 0)] == 19
