"""The on-call page's feed: every worker follows what every worker publishes.

A consumer outside the worker group (no group id, no commits) reads every partition of the
topics the page shows: the compacted ones (rule-state, review-queues, enforcement-quality,
oncall-actions) and trend-alerts from their start, escalations from their last few hundred
records per partition. So a page served by any worker shows the whole deployment, and an
acknowledgement made on one worker's page shows on every other's, and silences their
notifiers too.
"""

import asyncio
from collections.abc import Mapping
from typing import Any

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from schemas.common import (
    ENFORCEMENT_QUALITY,
    ESCALATIONS,
    ONCALL_ACTIONS,
    REVIEW_QUEUES,
    RULE_STATE,
    TREND_ALERTS,
)
from stream.config import Settings
from stream.worker.board.panels import Board

log = structlog.get_logger("vigil.board")

FOLLOWED = (
    TREND_ALERTS,
    RULE_STATE,
    REVIEW_QUEUES,
    ENFORCEMENT_QUALITY,
    ONCALL_ACTIONS,
    ESCALATIONS,
)
TAIL = {ESCALATIONS: 200}  # records per partition read back at start; the others whole
RETRY_SECONDS = 5.0
ASSIGN_SECONDS = 10.0  # waited at most for every followed topic's partitions


class Feed:
    """Follows the published topics into a Board until stopped."""

    def __init__(self, settings: Settings, board: Board | None = None) -> None:
        self.settings = settings
        self.board = board if board is not None else Board()
        self.logical: Mapping[str, str] = {settings.topic(t): t for t in FOLLOWED}

    async def run(self) -> None:
        """Follow the topics; a broker that goes away is retried, never fatal."""
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as exc:
                log.warning("board_feed_retry", error=type(exc).__name__)
                await asyncio.sleep(RETRY_SECONDS)

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            *self.logical,
            **self.settings.kafka(),
            group_id=None,  # every partition, outside the worker group, no commits
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            await self._seek_tails(consumer)
            while True:
                batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
                for tp, records in batch.items():
                    topic = self.logical.get(tp.topic)
                    if topic is None:
                        continue
                    for r in records:
                        self._add(topic, r.value)
        finally:
            await consumer.stop()

    async def _seek_tails(self, consumer: AIOKafkaConsumer) -> None:
        """Once every followed topic's partitions are assigned, start the tailed ones (the
        escalations) at their last records; the others read from their start."""
        deadline = asyncio.get_running_loop().time() + ASSIGN_SECONDS
        assigned: set[TopicPartition] = set()
        while asyncio.get_running_loop().time() < deadline:
            assigned = consumer.assignment()
            if {tp.topic for tp in assigned} >= set(self.logical):
                break
            await asyncio.sleep(0.1)
        tails = [tp for tp in assigned if self.logical.get(tp.topic) in TAIL]
        if tails:
            ends = await consumer.end_offsets(tails)
            starts = await consumer.beginning_offsets(tails)
            for tp in tails:
                back = TAIL[self.logical[tp.topic]]
                consumer.seek(tp, max(starts[tp], ends[tp] - back))
        log.info("board_feed_following", partitions=len(assigned))

    def _add(self, topic: str, value: bytes | None) -> None:
        try:
            record: Any = orjson.loads(value or b"")
        except orjson.JSONDecodeError:
            return
        if isinstance(record, dict):
            self.board.add(topic, record)


__all__ = ["FOLLOWED", "Feed"]
