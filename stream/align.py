"""Event-time alignment: a family's fetched records leave oldest first, whatever partition.

Kafka orders a partition, never a topic, let alone four. Catching up on a backlog, aiokafka
hands over a partition's fetch at a time (up to a MiB: hours of a quiet partition), so
without this one partition's hours would be applied before the next one's: a trend key's
clock would run hours ahead of the facts still to come from the other partitions, and an
incident spread over them would be judged a window at a time and missed; a video's reports
would come before its upload. As in Kafka Streams' partition group (`max.task.idle.ms`), a
handler's fetched records wait in one queue per partition and leave in record-timestamp
order (the producer's CreateTime: the order the platform wrote them in), never ahead of a
partition that is behind with nothing fetched yet, whose next record may be older. A
partition whose position is unknown, or whose fetch does not come, holds the others back
for at most `idle` seconds. Caught up, no partition is behind, nothing waits, and records
leave as they come.
"""

import heapq
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol

ALIGN_IDLE_SECONDS = 0.5  # how long a silent partition that is behind may hold the others


class Stamped(Protocol):
    """What alignment reads of a record: aiokafka's ConsumerRecord fits."""

    @property
    def timestamp(self) -> int: ...


class Aligner:
    """One handler's fetched, not yet applied records, a queue per partition."""

    def __init__(self, idle: float = ALIGN_IDLE_SECONDS) -> None:
        self._idle = idle
        self._queues: dict[Any, deque[Any]] = {}
        self._blocked_since: float | None = None
        self.blocked = False  # the last release stopped at a partition that is behind

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def add(self, tp: Any, records: Iterable[Any]) -> None:
        """Queue a partition's fetched records (in offset order)."""
        self._queues.setdefault(tp, deque()).extend(records)

    def queued(self, tp: Any) -> bool:
        """Whether the partition has records waiting (so need not be fetched now)."""
        return bool(self._queues.get(tp))

    def keep_only(self, assigned: Callable[[Any], bool]) -> None:
        """Forget the queues of partitions no longer assigned: unacknowledged, they are read
        again by whoever owns them now."""
        for tp in [tp for tp in self._queues if not assigned(tp)]:
            del self._queues[tp]

    def clear(self) -> None:
        """Forget everything queued (a rebalance: the seek reads it again)."""
        self._queues.clear()
        self._blocked_since = None

    def release(
        self, members: Iterable[Any], behind: Callable[[Any], bool], now: float, limit: int
    ) -> list[tuple[Any, Any]]:
        """Up to `limit` queued (partition, record), oldest first (each partition's in offset
        order).

        `members` are the handler's active partitions and `behind(tp)` tells whether one has
        records on the broker not fetched yet. Release stops where a partition that is behind
        has an empty queue, unless that has lasted `idle` seconds (`now` is a monotonic clock).
        """
        forced, self.blocked = False, True
        if not any(behind(tp) for tp in members if not self.queued(tp)):
            self._blocked_since = None
        else:
            if self._blocked_since is None:
                self._blocked_since = now
            forced = now - self._blocked_since >= self._idle
            if not forced:
                return []
        self.blocked = False
        heads = [(q[0].timestamp, i, tp) for i, (tp, q) in enumerate(self._queues.items()) if q]
        heapq.heapify(heads)
        out: list[tuple[Any, Any]] = []
        while heads and len(out) < limit:
            _, i, tp = heads[0]
            queue = self._queues[tp]
            out.append((tp, queue.popleft()))
            if queue:
                heapq.heapreplace(heads, (queue[0].timestamp, i, tp))
                continue
            heapq.heappop(heads)
            if not forced and behind(tp):
                self.blocked = True
                break  # its next record, not fetched yet, may be older than the other heads
        return out
