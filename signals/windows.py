"""Sparse event-time bucket counters: the windows behind every count signal.

A counter is a plain dict {bucket index: count}. Buckets older than the longest window are
pruned relative to the key's watermark, so a counter never holds more than keep/width entries.
Windows are read relative to the watermark (the newest event time seen for the key), not to the
event being processed, so counts do not depend on the order in which late events arrive.
"""

from itertools import repeat

Buckets = dict[int, int]


def add(buckets: Buckets, ts: int, width: int, n: int = 1) -> None:
    """Count n at event time ts into buckets of the given width (ms)."""
    idx = ts // width
    buckets[idx] = buckets.get(idx, 0) + n


def window_sum(buckets: Buckets, now: int, span: int, width: int) -> int:
    """Sum the buckets covering (now - span, now], at bucket granularity."""
    hi = now // width
    n = span // width
    if n < len(buckets):
        return sum(map(buckets.get, range(hi - n + 1, hi + 1), repeat(0, n)))
    lo = hi - n
    return sum([c for i, c in buckets.items() if lo < i <= hi])


def series(buckets: Buckets, now: int, span: int, width: int) -> list[int]:
    """The buckets covering (now - span, now], oldest first, 0 where empty (a sparkline)."""
    hi = now // width
    return [buckets.get(i, 0) for i in range(hi - span // width + 1, hi + 1)]


def prune(buckets: Buckets, now: int, keep: int, width: int) -> None:
    """Drop buckets entirely older than now - keep (cheap no-op while few buckets exist)."""
    if len(buckets) <= keep // width + 1:
        return
    lo = (now - keep) // width
    for i in [i for i in buckets if i < lo]:
        del buckets[i]


def flatten(buckets: Buckets) -> list[int]:
    """Encode as [idx, count, idx, count, ...] (JSON objects cannot have int keys)."""
    out: list[int] = []
    for i, c in buckets.items():
        out.append(i)
        out.append(c)
    return out


def unflatten(flat: list[int]) -> Buckets:
    """Inverse of flatten."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


def touch_recent(recent: dict[str, int], key: str, ts: int, cap: int) -> None:
    """Record key as seen at ts, keeping at most cap keys (the least recently seen go first).

    Used for distinct reporters and creators: exact up to cap, then biased to recent activity
    (between cap and 1.25 * cap keys are held before a batch eviction).
    """
    prev = recent.get(key)
    if prev is None or ts > prev:
        recent[key] = ts
    if len(recent) > cap + cap // 4:
        # evict in a batch so the cost is amortised: keep the cap most recent
        for k in sorted(recent, key=recent.__getitem__)[: len(recent) - cap]:
            del recent[k]


def distinct_since(recent: dict[str, int], since: int) -> int:
    """Count keys last seen after since."""
    return len([t for t in recent.values() if t > since])  # a list: cheaper than a generator
