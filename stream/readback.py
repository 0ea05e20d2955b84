"""Reading vigil's own output topics back, from their start until nothing more arrives (for
`vigil explain --kafka` and `vigil report --kafka`)."""

import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer

from stream.config import Settings


async def read_topics(
    settings: Settings, topics: list[str], idle_seconds: float = 2.0
) -> list[tuple[Any, str]]:
    """Every JSON record on the topics (full names), each with where it was read, in
    partition order; unreadable values are skipped."""
    consumer = AIOKafkaConsumer(
        *topics,
        **settings.kafka(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    out: list[tuple[Any, str]] = []
    try:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < idle_seconds:
            batch = await consumer.getmany(timeout_ms=500)
            if batch:
                quiet_since = time.monotonic()
            for tp, msgs in batch.items():
                for m in msgs:
                    try:
                        doc = orjson.loads(m.value or b"")
                    except orjson.JSONDecodeError:
                        continue
                    out.append((doc, f"{tp.topic}[{tp.partition}]@{m.offset}"))
    finally:
        await consumer.stop()
    return out
