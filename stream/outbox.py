"""A batch's records for Kafka, sent a partition at a time and acknowledged together.

Handing aiokafka one record at a time cost a worker more than its whole engine: each send
re-reads the topic's partition set (building a set per record), queues a future, and waiting
for them all schedules a callback per record. An outbox groups a batch's records by
partition, fills one record batch per partition and waits for one future each.

Keyed records go to the partition aiokafka's default partitioner would pick (murmur2 of the
key), so re-keyed facts stay co-partitioned with everything else Kafka routes by key. Facts
are placed the same way, then packed a partition at a time (`signals.facts`).
"""

import asyncio
from functools import lru_cache
from typing import Any, NamedTuple

from aiokafka.partitioner import murmur2

from signals.facts import pack


class Partition(NamedTuple):
    """A topic partition."""

    topic: str
    partition: int


@lru_cache(maxsize=1 << 17)  # murmur2 is pure Python; creators and trend keys recur
def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a key."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


class Outbox:
    """Records to publish together; `send` returns the newest offset written per partition."""

    def __init__(self) -> None:
        # plain tuples, not Partition: a named tuple costs a Python-level call per record
        self._keyed: dict[str, list[tuple[bytes, bytes]]] = {}
        self._placed: dict[tuple[str, int], list[tuple[bytes | None, bytes]]] = {}
        self._facts: dict[str, list[tuple[bytes, list[Any]]]] = {}

    def add(self, topic: str, key: bytes, value: bytes, partition: int | None = None) -> None:
        """Queue a record: to the key's partition, or to the one given."""
        if partition is None:
            self._keyed.setdefault(topic, []).append((key, value))
        else:
            self._placed.setdefault((topic, partition), []).append((key, value))

    def add_fact(self, topic: str, key: bytes, fields: list[Any]) -> None:
        """Queue a fact for the key's partition, to travel packed with that partition's others."""
        self._facts.setdefault(topic, []).append((key, fields))

    def __len__(self) -> int:
        return (sum(map(len, self._keyed.values())) + sum(map(len, self._placed.values()))
                + sum(map(len, self._facts.values())))

    async def send(self, producer: Any) -> dict[Partition, int]:
        """Send everything queued through an AIOKafkaProducer and wait for Kafka's acks.

        Records of one partition keep the order they were added in. Raises what the
        producer raises if any batch is refused.
        """
        groups: dict[tuple[str, int], list[tuple[bytes | None, bytes]]] = dict(self._placed)
        for topic, records in self._keyed.items():
            n = len(await producer.partitions_for(topic))
            for key, value in records:
                groups.setdefault((topic, partition_for(key, n)), []).append((key, value))
        for topic, facts in self._facts.items():
            n = len(await producer.partitions_for(topic))
            placed: dict[int, list[list[Any]]] = {}
            for key, fields in facts:
                placed.setdefault(partition_for(key, n), []).append(fields)
            for partition, items in placed.items():
                # no key: a pack holds many keys; its partition is theirs
                groups.setdefault((topic, partition), []).extend(
                    (None, value) for value in pack(items))
        self._keyed, self._placed, self._facts = {}, {}, {}
        sent: list[tuple[Partition, int, Any]] = []
        for (topic, partition), queued in groups.items():
            tp = Partition(topic, partition)
            batch, count = producer.create_batch(), 0
            for record_key, value in queued:
                if batch.append(key=record_key, value=value, timestamp=None) is None:  # full
                    sent.append((tp, count, await producer.send_batch(
                        batch, topic, partition=partition)))
                    batch, count = producer.create_batch(), 0
                    if batch.append(key=record_key, value=value, timestamp=None) is None:
                        raise ValueError(f"a record for {topic} is larger than a batch")
                count += 1
            sent.append((tp, count, await producer.send_batch(batch, topic,
                                                                partition=partition)))
        acks = await asyncio.gather(*(fut for _, _, fut in sent))
        newest: dict[Partition, int] = {}
        for (tp, count, _), meta in zip(sent, acks, strict=True):
            newest[tp] = meta.offset + count - 1  # a batch's ack carries its base offset
        return newest
