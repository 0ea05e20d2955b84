"""Region holds: a rule with regional variants waits for its target's region.

A video's region is its upload's, and a creator's is their newest upload's. Kafka interleaves
topics freely, so a model score often arrives before its upload. A rule with regional variants
evaluated then would run as written, and the override would be bypassed: with `JP: {mode:
disabled}` on a removal rule, a Japanese video was removed whenever its score came first.

So such a rule is held while the region is unknown: not evaluated at all. The hold ends
1. when the region arrives: the upload's (or upload fact's) own evaluation runs the rule for
   that region, as it would have in upload order; or
2. when the region's source has moved `region_hold` of event time past the first held event
   (the uploads of the key's partition, for a video; the upload facts of the creator's): an
   upload that existed would have arrived by then. The rule then runs as written, at that
   event time, and its decision says `region_unknown`.
Rules without regional variants never wait. The engine marks a state held and releases it
(`Engine.release_content`, `release_creator`); this index tells the drivers which keys are
due, per partition, soonest first. It is rebuilt from the states' own marks after a restart.
"""

import heapq


class RegionHolds:
    """Keys of one state family with a rule held for their region, by deadline."""

    def __init__(self) -> None:
        self._heaps: dict[int, list[tuple[int, str]]] = {}
        self._deadline: dict[str, int] = {}

    def hold(self, partition: int, key: str, deadline: int) -> None:
        """Track a key until its deadline (an earlier deadline replaces a later one)."""
        known = self._deadline.get(key)
        if known is not None and known <= deadline:
            return
        self._deadline[key] = deadline
        heapq.heappush(self._heaps.setdefault(partition, []), (deadline, key))

    def due(self, partition: int, watermark: int) -> list[str]:
        """The keys of a partition whose deadline its region source has reached, soonest
        first; each is forgotten (the engine's release decides whether anything is still
        held)."""
        heap = self._heaps.get(partition)
        out: list[str] = []
        while heap and heap[0][0] <= watermark:
            deadline, key = heapq.heappop(heap)
            if self._deadline.get(key) == deadline:
                del self._deadline[key]
                out.append(key)
        return out

    def __len__(self) -> int:
        return len(self._deadline)
