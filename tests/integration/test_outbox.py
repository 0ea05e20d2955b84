"""The outbox on the real broker: Kafka's partitioning, order, offsets and oversized polls."""

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from signals.facts import PACK_LIMIT, unpack
from stream.outbox import Outbox, Partition, partition_for

from .conftest import BOOTSTRAP


async def _topics(*names: str, partitions: int = 4) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


async def _read(topic: str, n: int) -> list[tuple[int, int, bytes, bytes]]:
    """(partition, offset, key, value) of the first n records of a topic."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=BOOTSTRAP, group_id=None,
                                auto_offset_reset="earliest")
    await consumer.start()
    out: list[tuple[int, int, bytes, bytes]] = []
    try:
        while len(out) < n:
            for records in (await consumer.getmany(timeout_ms=2000)).values():
                out.extend((r.partition, r.offset, r.key, r.value) for r in records)
    finally:
        await consumer.stop()
    return out


async def test_keyed_records_land_where_the_default_partitioner_puts_them() -> None:
    ours, theirs = f"outbox-{uuid.uuid4().hex[:8]}", f"outbox-{uuid.uuid4().hex[:8]}"
    await _topics(ours, theirs)
    keys = [f"creator-{i}".encode() for i in range(200)]
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        box = Outbox()
        for k in keys:
            box.add(ours, k, b"v")
        newest = await box.send(producer)
        for k in keys:  # aiokafka's own per-record path, default partitioner
            await producer.send(theirs, b"v", key=k)
        await producer.flush()
    finally:
        await producer.stop()
    mine = {key: p for p, _, key, _ in await _read(ours, len(keys))}
    reference = {key: p for p, _, key, _ in await _read(theirs, len(keys))}
    assert mine == reference
    assert len(set(mine.values())) == 4
    per_partition = {p: sum(1 for q in mine.values() if q == p) for p in range(4)}
    assert newest == {Partition(ours, p): n - 1 for p, n in per_partition.items()}


async def test_a_poll_larger_than_a_batch_keeps_order_and_reports_the_newest_offset() -> None:
    topic = f"outbox-{uuid.uuid4().hex[:8]}"
    await _topics(topic, partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", max_batch_size=4096)
    await producer.start()
    try:
        box = Outbox()
        values = [f"{i:05d}".encode() * 100 for i in range(300)]  # 500 B each: ~40 batches
        for v in values:
            box.add(topic, b"k", v, partition=1)
        first = await box.send(producer)
        assert len(box) == 0
        box.add(topic, b"k", b"last", partition=1)
        second = await box.send(producer)
    finally:
        await producer.stop()
    assert first == {Partition(topic, 1): 299}
    assert second == {Partition(topic, 1): 300}
    records = await _read(topic, 301)
    assert [(p, o) for p, o, _, _ in records] == [(1, i) for i in range(301)]
    assert [v for *_, v in records] == [*values, b"last"]


async def test_facts_travel_packed_on_their_keys_partitions_in_order() -> None:
    topic = f"outbox-{uuid.uuid4().hex[:8]}"
    await _topics(topic)
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    facts = [(f"tag{i % 300}".encode(), ["hashtag", f"tag{i % 300}", i]) for i in range(2600)]
    try:
        box = Outbox()
        for key, fields in facts:
            box.add_fact(topic, key, fields)
        assert len(box) == len(facts)
        newest = await box.send(producer)
    finally:
        await producer.stop()
    expected: dict[int, list[list[object]]] = {}
    for key, fields in facts:
        expected.setdefault(partition_for(key, 4), []).append(fields)
    records = await _read(topic, sum(-(-len(v) // PACK_LIMIT) for v in expected.values()))
    got: dict[int, list[list[object]]] = {}
    for p, _, key, value in records:
        assert key is None  # a pack holds many keys
        got.setdefault(p, []).extend(unpack(value))
    assert got == expected  # each fact on its key's partition, in the order it was added
    assert newest == {Partition(topic, p): -(-len(v) // PACK_LIMIT) - 1
                      for p, v in expected.items()}
