"""The human review queues as a table for a person: `vigil queues` and `vigil demo` print it."""

from collections.abc import Iterable

from rich.table import Table

from schemas.outputs import QueueStatus
from signals.policy import PolicyPack
from stream import readback


def duration(seconds: int) -> str:
    """A wait as a person reads it: 45m, 3h10m, 2d4h."""
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"


def newest(statuses: Iterable[QueueStatus]) -> list[QueueStatus]:
    """The status with the newest event time per queue (as compaction leaves the topic)."""
    return readback.newest(statuses, lambda s: s.queue, lambda s: s.ts)


def table(statuses: list[QueueStatus], pack: PolicyPack) -> Table:
    """Each queue's depth by priority, oldest wait, what is past due and what overflows its
    capacity; the pack's declared queues that never had an item are listed empty."""
    traffic = pack.guardrails.review
    by_name = {s.queue: s for s in statuses}
    t = Table(title="Human review queues (served earliest due first)")
    cols = ("queue", "waiting", "by priority", "oldest", "past due", "overflow")
    for col in (*cols, "capacity", "within", "cleared/late 24h"):
        left = col in ("queue", "by priority")
        t.add_column(col, justify="left" if left else "right", no_wrap=True)
    for name in sorted({*by_name, *traffic.queues}):
        s = by_name.get(name)
        if s is None:
            q = traffic.queue(name)
            level = duration(q.service_level // 1000)
            t.add_row(name, "0", "", "-", "0", "0", f"{q.capacity_per_hour}/h", level, "0/0")
            continue
        prios = " ".join(f"p{p}:{n}" for p, n in sorted(s.by_priority.items()) if n)
        t.add_row(
            name,
            str(s.depth),
            prios,
            duration(s.oldest_wait_seconds) if s.depth else "-",
            _alarm(s.past_due),
            _alarm(s.overflow),
            f"{s.capacity_per_hour}/h",
            duration(s.service_level_seconds),
            f"{s.cleared_24h}/{s.cleared_late_24h}",
        )
    return t


def _alarm(n: int) -> str:
    return f"[bold red]{n}[/bold red]" if n else "0"


__all__ = ["duration", "newest", "table"]
