"""The queue family: each human review queue's depth, oldest wait and overflow, from the
entries and exits of its items (signals.reviewitems).

A queue's state counts its waiting items by entry time (5-minute buckets) and priority, and
its entries, exits and late exits per hour: all sums, so the same facts give the same state in
any order of arrival, and replay and the worker agree. What a queue's status says is read off
these counts at an event time `now` against the pack's capacity and service level:

- depth, and depth per priority;
- oldest wait: `now` minus the start of the oldest bucket with an item waiting (an upper
  bound, within a bucket);
- past due: items certainly waiting past their due time (signals.triage);
- overflow: items beyond what the queue's reviewers clear within its service level at its
  capacity (depth - capacity x service level): served earliest due first, these are the ones
  that will wait longer, the least urgent of them. Nothing is dropped: they stay in the queue,
  and on-call sees the overflow.

An item nobody cleared for signals.reviewitems.TTL after it entered leaves the counts as
`expired`, as its review-family state does.
"""

from schemas.outputs import QueueStatus
from signals import records
from signals.eventtime import HOUR, MINUTE, format_ts
from signals.policy.model import ReviewQueue
from signals.reviewitems import TTL, QueueFact
from signals.sweeping import EXPIRED, KEEP
from signals.triage import LEAST_URGENT

BUCKET = 5 * MINUTE  # the resolution of entry times (and of the oldest wait)
HOURS_KEPT = 24  # hourly entries and exits kept, back from the newest


class QueueState:
    """One review queue's waiting items by entry bucket and priority, and its hourly flow."""

    __slots__ = ("expired_items", "hours", "name", "offsets", "waiting", "wm")

    def __init__(self, name: str) -> None:
        self.name = name
        self.wm = 0  # newest fact time
        # entry bucket -> waiting items per priority (index 0 is priority 1)
        self.waiting: dict[int, list[int]] = {}
        # hour number -> [entered, cleared, cleared after their due time]
        self.hours: dict[int, list[int]] = {}
        self.expired_items = 0  # left uncleared after the TTL
        # Kafka partition -> newest offset applied: a redelivered record changes nothing
        self.offsets: dict[int, int] = {}

    @property
    def table_key(self) -> str:
        return self.name

    def seen(self, partition: int, offset: int) -> bool:
        """Whether a record at this offset was applied already; notes it otherwise."""
        if offset <= self.offsets.get(partition, -1):
            return True
        self.offsets[partition] = offset
        return False

    def apply(self, f: QueueFact) -> bool:
        """Fold one entry or exit; False when its item entered before the TTL (gone)."""
        if f.ts > self.wm:
            self.wm = f.ts
            self._expire()
        if f.entered // BUCKET * BUCKET + BUCKET <= self.wm - TTL:
            return False
        b = f.entered // BUCKET
        counts = self.waiting.get(b)
        if counts is None:
            counts = self.waiting[b] = [0] * LEAST_URGENT
        p = min(max(f.priority, 1), LEAST_URGENT) - 1
        if f.kind == "in":
            counts[p] += 1
            hour = self._hour(f.ts)
            if hour is not None:
                hour[0] += 1
        elif f.kind == "out":
            counts[p] -= 1
            self._cleared(f.ts, f.due, 1)
        else:  # moved: it was cleared earlier than first known
            self._cleared(f.was, f.due, -1)
            self._cleared(f.ts, f.due, 1)
        if not any(counts):
            del self.waiting[b]
        return True

    def _cleared(self, ts: int, due: int, n: int) -> None:
        hour = self._hour(ts)
        if hour is not None:
            hour[1] += n
            if due and ts > due:
                hour[2] += n

    def _hour(self, ts: int) -> list[int] | None:
        """The counters of ts's hour; None for an hour out of the window (as if it had come
        before the window moved on: the same counts in any order of arrival)."""
        h = ts // HOUR
        if h <= self.wm // HOUR - HOURS_KEPT:
            return None
        hour = self.hours.get(h)
        if hour is None:
            hour = self.hours[h] = [0, 0, 0]
        return hour

    def _expire(self) -> None:
        """Drop the buckets whose items entered before the TTL, and hours out of range."""
        for b in [b for b in self.waiting if b * BUCKET + BUCKET <= self.wm - TTL]:
            self.expired_items += sum(self.waiting.pop(b))
        oldest_hour = self.wm // HOUR - HOURS_KEPT + 1
        for h in [h for h in self.hours if h < oldest_hour]:
            del self.hours[h]

    def expired(self, now: int) -> bool:
        return now - self.wm > TTL and not self.waiting

    @staticmethod
    def triage(data: bytes, now: int) -> int:
        """The sweep's verdict: EXPIRED when quiet past the TTL with nothing waiting."""
        r = records.queue(data)
        return EXPIRED if now - r.wm > TTL and not r.waiting else KEEP

    def encode(self) -> bytes:
        return records.encode(
            records.QueueV1(
                self.name,
                self.wm,
                self.offsets,
                sorted(self.waiting.items()),
                sorted(self.hours.items()),
                self.expired_items,
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> "QueueState":
        r = records.queue(data)
        s = cls(r.name)
        s.wm = r.wm
        s.offsets = dict(r.offsets)
        s.waiting = {b: list(c) for b, c in r.waiting}
        s.hours = {h: list(c) for h, c in r.hours}
        s.expired_items = r.expired
        return s

    def status(self, now: int, queue: ReviewQueue) -> QueueStatus:
        """The queue as of event time `now`, against its capacity and service level."""
        now = max(now, self.wm)
        by_priority = [0] * LEAST_URGENT
        past_due, expired = 0, self.expired_items
        for b, counts in self.waiting.items():
            if b * BUCKET + BUCKET <= now - TTL:  # gone, though no fact has said so yet
                expired += sum(counts)
                continue
            for p, n in enumerate(counts):
                by_priority[p] += n
                # every item of the bucket is past due once the bucket's end is
                if b * BUCKET + BUCKET + queue.service_level * (p + 1) // LEAST_URGENT <= now:
                    past_due += n
        depth = sum(by_priority)
        oldest = min(
            (b for b, c in self.waiting.items() if any(c) and b * BUCKET + BUCKET > now - TTL),
            default=None,
        )
        hour = self.hours.get(now // HOUR - 1, [0, 0, 0])  # the last whole hour
        day = [sum(h[i] for h in self.hours.values()) for i in range(3)]
        within = queue.capacity_per_hour * queue.service_level // HOUR
        return QueueStatus(
            queue=self.name,
            ts=format_ts(now),
            depth=depth,
            by_priority={str(p + 1): n for p, n in enumerate(by_priority)},
            oldest_entered=None if oldest is None else format_ts(oldest * BUCKET),
            oldest_wait_seconds=0 if oldest is None else (now - oldest * BUCKET) // 1000,
            past_due=past_due,
            overflow=max(0, depth - within),
            capacity_per_hour=queue.capacity_per_hour,
            service_level_seconds=queue.service_level // 1000,
            entered_last_hour=hour[0],
            cleared_last_hour=hour[1],
            entered_24h=day[0],
            cleared_24h=day[1],
            cleared_late_24h=day[2],
            expired=expired,
        )


__all__ = ["BUCKET", "QueueState"]
