"""The outbox on the real broker: Kafka's partitioning, order, offsets and oversized polls."""

import base64
import hashlib
import uuid

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from signals.facts import PACK_LIMIT, unpack
from signals.records import TREND_FACT_PACK
from stream.config import Settings
from stream.topics import size_limits
from stream.worker.outbox import Outbox, OutputRefused, Partition, partition_for

from .conftest import BOOTSTRAP

DEAD = f"outbox-{uuid.uuid4().hex[:8]}-dead-letter"


async def _topics(*names: str, partitions: int = 4, **config: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        await admin.create_topics(
            [NewTopic(n, partitions, 1, topic_configs=config) for n in names if n not in existing]
        )
    finally:
        await admin.close()


async def _read(topic: str, n: int) -> list[tuple[int, int, bytes, bytes]]:
    """(partition, offset, key, value) of the first n records of a topic."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=BOOTSTRAP, group_id=None, auto_offset_reset="earliest"
    )
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
        newest = await box.send(producer, DEAD)
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
            box.add_changelog(topic, b"k", v, 1)
        first = await box.send(producer, DEAD)
        assert len(box) == 0
        box.add_changelog(topic, b"k", b"last", 1)
        second = await box.send(producer, DEAD)
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
    facts = [
        (f"tag{i % 300}".encode(), ["hashtag", f"tag{i % 300}", i, "u", "v", f"e{i}", "US"])
        for i in range(2600)
    ]
    try:
        box = Outbox()
        for key, fields in facts:
            box.add_fact(topic, key, fields)
        assert len(box) == len(facts)
        newest = await box.send(producer, DEAD)
    finally:
        await producer.stop()
    expected: dict[int, list[list[object]]] = {}
    for key, fields in facts:
        expected.setdefault(partition_for(key, 4), []).append(fields)
    records = await _read(topic, sum(-(-len(v) // PACK_LIMIT) for v in expected.values()))
    got: dict[int, list[list[object]]] = {}
    for p, _, key, value in records:
        assert key is None  # a pack holds many keys
        got.setdefault(p, []).extend(list(f) for f in unpack(value, TREND_FACT_PACK))
    assert got == expected  # each fact on its key's partition, in the order it was added
    assert newest == {
        Partition(topic, p): -(-len(v) // PACK_LIMIT) - 1 for p, v in expected.items()
    }


async def test_a_record_over_its_topics_limit_is_dead_lettered_and_the_rest_goes_out() -> None:
    """A topic that takes at most 2,000-byte messages (read from the broker, as the worker
    does): a 5,000-byte record is never sent to it but dead-lettered whole, and a 1.2 MB one
    would be refused by any default broker: its dead letter keeps its first 64 KiB. Every
    other record lands, in order, in batches under the limit, and the idempotent producer
    goes on working."""
    topic = f"outbox-{uuid.uuid4().hex[:8]}"
    await _topics(topic, partitions=1, **{"max.message.bytes": "2000"})
    await _topics(DEAD, partitions=1)
    limits = await size_limits(Settings(broker=f"kafka://{BOOTSTRAP}"), [topic, DEAD])
    assert limits[topic] == 2000
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True)
    await producer.start()
    refused, huge = b"r" * 5000, b"h" * 1_200_000
    small = [f"{i:03d}".encode() * 100 for i in range(12)]  # 300 B each: 3,600 B in all
    try:
        box = Outbox(limits)
        box.add(topic, b"a", b"first")
        box.add(topic, b"b", refused)
        for v in small:
            box.add(topic, b"s", v)
        box.add(topic, b"d", huge)
        newest = await box.send(producer, DEAD)
        box.add(topic, b"e", b"after")
        after = await box.send(producer, DEAD)
    finally:
        await producer.stop()
    landed = [v for *_, v in await _read(topic, 14)]
    assert landed == [b"first", *small, b"after"]
    assert newest[Partition(topic, 0)] == 12 and after == {Partition(topic, 0): 13}
    dead = [orjson.loads(v) for *_, v in await _read(DEAD, 2)]
    by_size = {d["original_size"]: d for d in dead}
    assert set(by_size) == {len(refused), len(huge)}
    assert {d["reason"] for d in dead} == {"output_refused"}
    assert {d["source_topic"] for d in dead} == {topic}
    whole, cut = by_size[len(refused)], by_size[len(huge)]
    assert base64.b64decode(whole["original_b64"]) == refused
    assert not whole["original_truncated"]
    assert cut["original_truncated"] and len(base64.b64decode(cut["original_b64"])) == 64 * 1024
    assert cut["original_sha256"] == hashlib.sha256(huge).hexdigest()
    assert base64.b64decode(cut["key_b64"]) == b"d"


async def test_a_refusal_despite_the_known_limit_raises_output_refused() -> None:
    """A limit lowered after it was read: the broker refuses, and the worker must restart."""
    topic = f"outbox-{uuid.uuid4().hex[:8]}"
    await _topics(topic, partitions=1, **{"max.message.bytes": "2000"})
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        box = Outbox({topic: 100_000})  # stale: the topic takes 2,000
        box.add(topic, b"k", b"x" * 5000)
        with pytest.raises(OutputRefused, match=r"max\.message\.bytes"):
            await box.send(producer, DEAD)
    finally:
        await producer.stop()
