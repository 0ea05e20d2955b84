"""Region holds: a video's events wait for its region instead of being judged without it.

A video's region is its upload's, and a creator's is their newest upload's. Kafka interleaves
topics freely, so a model score often arrives before its upload. A rule with regional variants
evaluated then ran as written and the override was bypassed: with `JP: {mode: disabled}` on a
removal rule, a Japanese video was removed whenever its score came first. Rules without
variants decided too, for no region, where replay (upload first) named one.

So while a video's region is unknown its events are not applied: each is kept in its state,
re-encoded from its typed record (bounded: at most WAIT_CAP, in event-time order). The hold
ends
1. when the upload arrives: it is applied, then the waiting events, in event-time order, with
   the rules each triggers: the very sequence replay applies when the upload comes first; or
2. when the region's source has moved `region_hold` of event time past the first waiting
   event (the uploads of the key's partition): an upload that existed would have arrived by
   then. The events are applied for no region: rules run as written, and each decision says
   `region_unknown`.
Past WAIT_CAP (a report brigade on a video whose upload is still far behind in a backlog) the
oldest waiting event is applied at once, its facts forwarded, but its rules still wait: they
run once per topic, as of its newest such event, when the hold ends. Waiting events forward
their facts (creator, trend) only once applied, so a report on a video whose upload is missing
counts towards trends after the hold.

A creator's region changes with their uploads and no one fact settles it, so for creators
only the rules with regional variants wait: each fact that would have run them is kept as a
trigger ([event time, kind], at most WAIT_CAP), and they run for it once an upload fact gives
a region, or as written when the hold ends.

The engine keeps what waits in the state and releases it (`Engine.release_content`,
`release_creator`); the index below tells the drivers which keys are due, per partition,
soonest first. It is rebuilt from the states after a restart (the worker's sweep).
"""

import bisect
import heapq
from typing import Any

import msgspec

from schemas.inputs import RECORD_FOR_TOPIC
from signals import records
from signals.content import ContentState
from signals.decode import Event

WAIT_CAP = 32  # events (or creator triggers) one key keeps while it waits


def keep(state: ContentState, ev: Event) -> Event | None:
    """Keep an event until the video's region is known: (ts, topic, event id, record), in
    event-time order. Past WAIT_CAP, the oldest waiting event is returned, to apply now."""
    entry = (ev.ts, ev.topic, ev.record.event_id, records.encode(ev.record).decode())
    bisect.insort(state.waiting, entry)
    if len(state.waiting) <= WAIT_CAP:
        return None
    return _event(state.waiting.pop(0))


def has(state: ContentState, event_id: str) -> bool:
    """Whether this event is waiting already (a redelivery)."""
    return any(w[2] == event_id for w in state.waiting)


def take(state: ContentState) -> list[Event]:
    """The waiting events, in event-time order; the state keeps none."""
    waiting, state.waiting = state.waiting, []
    return [_event(w) for w in waiting]


def _event(entry: tuple[int, str, str, str]) -> Event:
    ts, topic, _, record = entry
    return Event(topic, ts, msgspec.json.decode(record, type=RECORD_FOR_TOPIC[topic]))


def remember(held: list[tuple[int, str]], ts: int, kind: str) -> None:
    """Keep a creator fact that would have run rules with regional variants: (ts, kind)."""
    entry = (ts, kind)
    if entry in held:
        return
    bisect.insort(held, entry)
    if len(held) > WAIT_CAP:
        del held[0]


def first(state: Any) -> int:
    """The event time of the first event (or trigger) that waits for the key's region, or 0."""
    if isinstance(state, ContentState):
        times = [state.waiting[0][0]] if state.waiting else []
        return int(min([*times, *state.overflowed.values()], default=0))
    return state.held[0][0] if state.held else 0


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

    def release(self, key: str) -> None:
        """Forget a key whose hold ended before its deadline (its upload came)."""
        self._deadline.pop(key, None)  # its heap entry goes when it reaches the top

    def __contains__(self, key: str) -> bool:
        return key in self._deadline

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

    def soonest(self, partition: int) -> int | None:
        """The soonest deadline of a key of this partition still held (None: nothing is)."""
        heap = self._heaps.get(partition)
        while heap and self._deadline.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)  # replaced by an earlier deadline, or already due
        return heap[0][0] if heap else None

    def partitions(self) -> list[int]:
        """The partitions that have held a key (some may hold none now)."""
        return list(self._heaps)

    def __len__(self) -> int:
        return len(self._deadline)
