"""The summing families' newest figures (quality, queue): which keys changed since they were
last published, and publishing those on their compacted topics on a timer.

On a timer, not per batch: a key's record is a few kB and dashboards need it every few
seconds, not for every batch of facts.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from schemas.common import ENFORCEMENT_QUALITY, REVIEW_QUEUES
from signals.policy.model import ReviewTraffic
from signals.quality import QualityState
from signals.queues import QueueState
from stream import metrics
from stream.config import Settings
from stream.worker.family import Family
from stream.worker.outbox import Outbox
from stream.worker.qualitygauges import QualityGauges
from stream.worker.tables import entries

_encode = msgspec.json.Encoder().encode
Send = Callable[[Outbox, list[Any], dict[Any, Any]], Awaitable[None]]


class Figures:
    """The enforcement-quality and review-queues records of the keys this worker holds."""

    def __init__(
        self,
        settings: Settings,
        families: dict[str, Family],
        limits: dict[str, int],
        send: Send,
        traffic: Callable[[], ReviewTraffic],
        watermark: Callable[[], int],
    ) -> None:
        self.settings, self.families, self.limits = settings, families, limits
        self.send, self.traffic, self.watermark = send, traffic, watermark
        # per summing family, the keys changed since their figures were last published
        self.changed: dict[str, set[bytes]] = {"quality": set(), "queue": set()}
        self.gauges = QualityGauges()

    def quality_records(self) -> list[dict[str, Any]]:
        """The enforcement-quality records of the keys this worker holds (/enforcement)."""
        table = self.families["quality"].table
        return [
            msgspec.to_builtins(QualityState.decode(v).record()) for _, v in entries(table) if v
        ]

    def queue_statuses(self) -> list[dict[str, Any]]:
        """The statuses of the review queues this worker holds, as of its watermark (/queues)."""
        family = self.families["queue"]
        states = (family.cache.load(k) if v else None for k, v in entries(family.table))
        return [msgspec.to_builtins(self._status(st)) for st in states if st is not None]

    async def publish_quality(self, everything: bool = False) -> None:
        """Publish the newest figures of the quality keys changed since the last call (of
        every key this worker holds, with `everything`: a restart forgets which changed) and
        refresh their gauges."""
        states = await self._publish_newest(
            "quality", everything, ENFORCEMENT_QUALITY, lambda st: st.record()
        )
        self.gauges.update(states)

    async def publish_queues(self, everything: bool = False) -> None:
        """Publish on review-queues the statuses of the queues changed since the last call (of
        every queue this worker holds, with `everything`), as of the worker's watermark, and
        set their gauges."""
        states = await self._publish_newest("queue", everything, REVIEW_QUEUES, self._status)
        for st in states:
            metrics.queue_gauges(self._status(st))

    def _status(self, st: QueueState) -> Any:
        return st.status(self.watermark(), self.traffic().queue(st.name))

    async def _publish_newest(
        self, family: str, everything: bool, topic: str, record: Callable[[Any], Any]
    ) -> list[Any]:
        """Publish on a compacted topic the newest record of each key of a summing family
        changed since the last call (every key this worker holds, with `everything`); the
        states published."""
        f, changed = self.families[family], self.changed[family]
        keys = [k for k, v in entries(f.table) if v] if everything else sorted(changed)
        changed.clear()
        states = [st for st in map(f.cache.load, keys) if st is not None]
        if states:
            box = Outbox(self.limits)
            out = self.settings.topic(topic)
            for st in states:
                box.add(out, st.table_key.encode(), _encode(record(st)))
            await self.send(box, [], {})
        return states
