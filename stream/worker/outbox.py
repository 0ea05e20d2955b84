"""A batch's records for Kafka, sent a partition at a time and acknowledged together.

Handing aiokafka one record at a time cost a worker more than its whole engine: each send
re-reads the topic's partition set (building a set per record), queues a future, and waiting
for them all schedules a callback per record. An outbox groups a batch's records by
partition, fills one record batch per partition and waits for one future each.

Keyed records go to the partition aiokafka's default partitioner would pick (murmur2 of the
key), so re-keyed facts stay co-partitioned with everything else Kafka routes by key. Facts
are placed the same way, then packed a partition at a time (`signals.facts`).

No record, however large, may stop the stream. Each topic's limit (its `max.message.bytes`,
read from the broker when the worker starts; Kafka's default where unknown) bounds every
record and every record batch sent to it. A record over its topic's limit is never sent: it
goes to the dead-letter topic instead, bounded (`signals.deadletter`), reason
`output_refused`. The broker is never asked to refuse anything, which matters: aiokafka's
idempotent producer cannot recover a partition's sequence numbers after a refused batch. A
refusal all the same (a limit lowered while the worker runs) raises OutputRefused, and the
worker exits; its restart reads the limits again.
"""

import asyncio
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

import msgspec
import structlog
from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError
from aiokafka.partitioner import murmur2

from signals.deadletter import dead_letter, dead_letter_key
from signals.facts import Clocks, pack
from stream import metrics

log = structlog.get_logger("vigil.outbox")

# Kafka's default message.max.bytes (1,048,588), for a topic whose limit is not known
DEFAULT_LIMIT = 1_048_588
BATCH_OVERHEAD = 61  # a record batch's header
RECORD_OVERHEAD = 32  # a record's own framing, at most (varints, attributes, no headers)
Queued = list[tuple[bytes | None, bytes | None]]  # (key, value); a None value: tombstone


class OutputRefused(Exception):
    """The broker refused a record batch for its size although it was within the topic's known
    limit: the limit changed while the worker ran. Raised so the worker restarts."""


class Partition(NamedTuple):
    """A topic partition."""

    topic: str
    partition: int


@lru_cache(maxsize=1 << 17)  # murmur2 is pure Python; creators and trend keys recur
def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a key."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


class Outbox:
    """Records to publish together, in two steps: `send_outputs` (decisions, alerts, dead
    letters, facts), then `send_changelogs` (the batch's table changes), each returning the
    newest offset written per partition.

    The order is what keeps a refused or failed output from being lost: a changelog record
    says a rule has fired, and a worker restored from it would never make the decision again.
    Sent only once the outputs are acknowledged, it can at worst be missing, and then the
    restarted worker applies the batch again and makes the same decisions, ids included (the
    ledger skips those that went out).

    limits: the largest record batch each (full) topic accepts, its `max.message.bytes`; a
    topic not in it (a changelog Faust has yet to create) gets the smallest of them, as its
    broker's default cannot be larger than a topic created without an override.
    """

    def __init__(self, limits: Mapping[str, int] | None = None) -> None:
        self._limits = limits or {}
        self._default = min(self._limits.values(), default=DEFAULT_LIMIT)
        # plain tuples, not Partition: a named tuple costs a Python-level call per record
        self._keyed: dict[str, list[tuple[bytes, bytes]]] = {}
        self._facts: dict[str, list[tuple[bytes, list[Any]]]] = {}
        self._clocks: dict[str, tuple[Clocks, bool]] = {}
        self._changelog: dict[tuple[str, int], Queued] = {}

    def add(self, topic: str, key: bytes, value: bytes) -> None:
        """Queue an output record for its key's partition."""
        self._keyed.setdefault(topic, []).append((key, value))

    def add_fact(self, topic: str, key: bytes, fields: list[Any]) -> None:
        """Queue a fact for the key's partition, to travel packed with that partition's others."""
        self._facts.setdefault(topic, []).append((key, fields))

    def add_clocks(self, topic: str, clocks: Clocks, everywhere: bool) -> None:
        """Send the sender's clocks (signals.facts) with this batch's facts for the topic; with
        `everywhere`, to its partitions without facts too."""
        self._clocks[topic] = (clocks, everywhere)

    def add_changelog(self, topic: str, key: bytes, value: bytes | None, partition: int) -> None:
        """Queue a table change for its changelog partition (sent after the outputs); None
        deletes the key (a tombstone)."""
        self._changelog.setdefault((topic, partition), []).append((key, value))

    def __len__(self) -> int:
        return (
            sum(map(len, self._keyed.values()))
            + sum(map(len, self._facts.values()))
            + sum(map(len, self._changelog.values()))
            + len(self._clocks)
        )

    async def send_outputs(self, producer: Any, dead_letters: str) -> dict[Partition, int]:
        """Send the queued outputs and facts through an AIOKafkaProducer; wait for the acks.

        Records of one partition keep the order they were added in. dead_letters is the (full)
        dead-letter topic, where a record over its topic's limit goes instead. Raises what the
        producer raises if any batch is refused (OutputRefused for a refusal for size).
        """
        groups: dict[tuple[str, int], Queued] = {}
        for topic, records in self._keyed.items():
            n = len(await producer.partitions_for(topic))
            for key, value in records:
                groups.setdefault((topic, partition_for(key, n)), []).append((key, value))
        for topic in {*self._facts, *self._clocks}:
            n = len(await producer.partitions_for(topic))
            placed: dict[int, list[list[Any]]] = {}
            for key, fields in self._facts.get(topic, ()):
                placed.setdefault(partition_for(key, n), []).append(fields)
            clocks, everywhere = self._clocks.get(topic, (None, False))
            if everywhere:
                for partition in range(n):
                    placed.setdefault(partition, [])
            for partition, items in placed.items():
                # no key: a pack holds many keys; its partition is theirs
                groups.setdefault((topic, partition), []).extend(
                    (None, value) for value in pack(items, clocks)
                )
        self._keyed, self._facts, self._clocks = {}, {}, {}
        return await self._send(producer, groups, dead_letters)

    async def send_changelogs(self, producer: Any, dead_letters: str) -> dict[Partition, int]:
        """Send the queued table changes (after `send_outputs` was acknowledged)."""
        groups, self._changelog = self._changelog, {}
        return await self._send(producer, groups, dead_letters)

    async def send(self, producer: Any, dead_letters: str) -> dict[Partition, int]:
        """Both steps, in order."""
        newest = await self.send_outputs(producer, dead_letters)
        newest.update(await self.send_changelogs(producer, dead_letters))
        return newest

    async def _send(
        self, producer: Any, groups: dict[tuple[str, int], Queued], dead_letters: str
    ) -> dict[Partition, int]:
        sent: list[tuple[Partition, int, Any]] = []
        refused: list[tuple[Partition, bytes | None, bytes | None]] = []
        for (topic, partition), queued in groups.items():
            tp = Partition(topic, partition)
            limit = self._limits.get(topic, self._default) - BATCH_OVERHEAD
            batch, count, size = producer.create_batch(), 0, 0
            for record_key, value in queued:
                record_size = len(value or b"") + len(record_key or b"") + RECORD_OVERHEAD
                if record_size > limit:
                    refused.append((tp, record_key, value))
                    continue
                if (
                    size + record_size > limit
                    or batch.append(key=record_key, value=value, timestamp=None) is None
                ):  # full
                    sent.append(
                        (tp, count, await producer.send_batch(batch, topic, partition=partition))
                    )
                    batch, count, size = producer.create_batch(), 0, 0
                    batch.append(key=record_key, value=value, timestamp=None)  # a first fits
                count += 1
                size += record_size
            if count:
                sent.append(
                    (tp, count, await producer.send_batch(batch, topic, partition=partition))
                )
        for tp, record_key, value in refused:
            assert value is not None  # a tombstone is never over a limit
            dead_limit = self._limits.get(dead_letters, self._default) - BATCH_OVERHEAD
            routed = await _dead_letter(producer, dead_letters, dead_limit, tp, record_key, value)
            if routed is not None:
                sent.append(routed)
        try:
            acks = await asyncio.gather(*(fut for _, _, fut in sent))
        except (MessageSizeTooLargeError, RecordListTooLargeError) as exc:
            raise OutputRefused(
                f"the broker refused a record batch for its size ({exc}): a "
                "topic's max.message.bytes changed while the worker ran"
            ) from exc
        newest: dict[Partition, int] = {}
        for (tp, count, _), meta in zip(sent, acks, strict=True):
            offset = meta.offset + count - 1  # a batch's ack carries its base offset
            if offset > newest.get(tp, -1):
                newest[tp] = offset
        return newest


async def _dead_letter(
    producer: Any, topic: str, limit: int, tp: Partition, key: bytes | None, value: bytes
) -> tuple[Partition, int, Any] | None:
    """Send an output over its topic's limit to the dead-letter topic instead, bounded.

    None when even the bounded dead letter is over the dead-letter topic's own limit: the
    record is lost, the one loss the stream survives, logged by topic, partition and SHA-256.
    """
    dead = dead_letter(
        tp.topic,
        value,
        "output_refused",
        f"a {len(value)}-byte record is over the topic's max.message.bytes",
        key=key,
        partition=tp.partition,
    )
    dead_key = dead_letter_key(dead, key).encode()
    encoded = msgspec.json.encode(dead)
    if len(encoded) + len(dead_key) + RECORD_OVERHEAD > limit:
        metrics.OUTPUTS_LOST.labels(topic=tp.topic).inc()
        log.critical(
            "output_lost",
            topic=tp.topic,
            partition=tp.partition,
            size=len(value),
            sha256=dead.original_sha256,
            detail="its dead letter is over the dead-letter topic's max.message.bytes too",
        )
        return None
    metrics.OUTPUTS_REFUSED.labels(topic=tp.topic).inc()
    log.error(
        "output_refused",
        topic=tp.topic,
        partition=tp.partition,
        size=len(value),
        sha256=dead.original_sha256,
        dead_letter=dead.id,
    )
    place = Partition(topic, partition_for(dead_key, len(await producer.partitions_for(topic))))
    batch = producer.create_batch()
    batch.append(key=dead_key, value=encoded, timestamp=None)
    return place, 1, await producer.send_batch(batch, topic, partition=place.partition)
