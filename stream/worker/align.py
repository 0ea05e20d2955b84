"""Event-time alignment: a family's fetched records leave oldest first, whatever partition.

Kafka orders a partition, never a topic, let alone four. Catching up on a backlog, aiokafka
hands over a partition's fetch at a time (up to a MiB: hours of a quiet partition), so
without this one partition's hours would be applied before the next one's: a trend key's
clock would run hours ahead of the facts still to come from the other partitions, and an
incident spread over them would be judged a window at a time and missed; a video's reports
would come before its upload. As in Kafka Streams' partition group (`max.task.idle.ms`), a
handler's fetched records wait in one queue per partition and leave in record-timestamp
order (the producer's CreateTime: the order the platform wrote them in).

A partition that is behind (the broker holds records it has not fetched) but has nothing
queued bounds the release: its next records are no older than the newest it has fetched, so
the others' records up to that time may go, and no later ones. Catching up, that keeps every
partition at the same time; caught up, what the broker holds was written just now, so
nothing waits. A partition never fetched, or one whose fetch does not come, holds the others
back for at most `idle` seconds.
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
        self._newest: dict[Any, int] = {}  # the newest timestamp fetched, per partition
        self._blocked_since: float | None = None
        self.blocked = False  # the last release stopped at a partition that is behind

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def add(self, tp: Any, records: Iterable[Any]) -> None:
        """Queue a partition's fetched records (in offset order)."""
        queue = self._queues.setdefault(tp, deque())
        queue.extend(records)
        if queue:
            self._newest[tp] = max(self._newest.get(tp, 0), queue[-1].timestamp)

    def queued(self, tp: Any) -> bool:
        """Whether the partition has records waiting (so need not be fetched now)."""
        return bool(self._queues.get(tp))

    def keep_only(self, assigned: Callable[[Any], bool]) -> None:
        """Forget the queues of partitions no longer assigned: unacknowledged, they are read
        again by whoever owns them now."""
        for tp in [tp for tp in self._queues if not assigned(tp)]:
            del self._queues[tp]
            self._newest.pop(tp, None)

    def clear(self) -> None:
        """Forget everything queued (a rebalance: the seek reads it again)."""
        self._queues.clear()
        self._newest.clear()
        self._blocked_since = None

    def release(
        self, members: Iterable[Any], behind: Callable[[Any], bool], now: float, limit: int
    ) -> list[tuple[Any, Any]]:
        """Up to `limit` queued (partition, record), oldest first (each partition's in offset
        order).

        `members` are the handler's active partitions and `behind(tp)` tells whether one has
        records on the broker not fetched yet. A record goes only if no partition that is
        behind with nothing queued may still hold an older one, unless the release has been
        held back for `idle` seconds (`now` is a monotonic clock).
        """
        bound = min(
            (
                self._newest.get(tp, _UNKNOWN)
                for tp in members
                if not self.queued(tp) and behind(tp)
            ),
            default=_NONE,
        )
        heads = [(q[0].timestamp, i, tp) for i, (tp, q) in enumerate(self._queues.items()) if q]
        heapq.heapify(heads)
        forced = self._blocked_since is not None and now - self._blocked_since >= self._idle
        out: list[tuple[Any, Any]] = []
        while heads and len(out) < limit:
            stamp, i, tp = heads[0]
            if stamp > bound and not forced:
                break  # a partition that is behind may still hold an older record
            queue = self._queues[tp]
            out.append((tp, queue.popleft()))
            if queue:
                heapq.heapreplace(heads, (queue[0].timestamp, i, tp))
                continue
            heapq.heappop(heads)
            if behind(tp):  # emptied: its next records are no older than its newest
                bound = min(bound, self._newest[tp])
        self.blocked = bool(heads) and len(out) < limit
        if not self.blocked:
            self._blocked_since = None
        elif self._blocked_since is None or forced or out:
            self._blocked_since = now  # held back from now on: the idle time starts again
        return out


_UNKNOWN = -1  # a partition never fetched: any record may be newer than its next one
_NONE = 1 << 62  # no partition bounds the release
