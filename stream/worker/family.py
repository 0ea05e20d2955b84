"""A state family as the worker holds it: its table, its decoded-state cache, how its stored
states are read, and the topic its keys are co-partitioned with; and the worker's families."""

import time
from dataclasses import dataclass, field
from typing import Any

from schemas.common import UPLOADS
from signals.breaker import RuleState
from signals.content import ContentState
from signals.creator import CreatorState
from signals.quality import QualityState
from signals.queues import QueueState
from signals.regionhold import RegionHolds
from signals.reviewitems import ItemsState
from signals.trend import TrendState
from stream.config import Settings
from stream.topics import (
    CREATOR_FACTS,
    QUALITY_FACTS,
    QUEUE_FACTS,
    REVIEW_FACTS,
    RULE_FACTS,
    TREND_FACTS,
)
from stream.worker.statecache import StateCache


@dataclass(frozen=True)
class Family:
    """content, creator, trend, quality or rule."""

    name: str
    table: Any  # the Faust table: encoded states by key
    cache: StateCache
    state: Any  # the state class: decode, triage, expired
    source: str  # the full topic whose partitioning its keys follow (for changes no record made)
    holds: RegionHolds | None = None  # keys whose rules wait for their region
    # the newest event time applied per source partition: the watermark the sweep passes
    # a trend key at, once that key's own facts up to it have been applied
    clock: dict[int, int] = field(default_factory=dict)
    # per source partition, the senders' clocks (signals.facts): per content partition, the
    # newest event time before which it will send no more facts
    marks: dict[int, dict[int, int]] = field(default_factory=dict)
    # per source partition, the keys whose states hold facts that wait for those clocks
    waiting: dict[int, set[str]] = field(default_factory=dict)
    # per source partition and sender, when (monotonic seconds) its clock last moved on
    moved: dict[int, dict[int, float]] = field(default_factory=dict)
    # the content partitions that send clocks (0: not known, the first clock settles)
    senders: int = 0

    def advance(self, partition: int, ts: int) -> None:
        """Note an applied fact's event time on its partition's clock."""
        if ts > self.clock.get(partition, 0):
            self.clock[partition] = ts

    def mark(self, partition: int, clocks: list[tuple[int, int]]) -> None:
        """Note the clocks a record on this source partition carried. The newest per content
        partition counts: a worker that lost a partition in a rebalance may still send its
        older clock."""
        marks = self.marks.setdefault(partition, {})
        moved = self.moved.setdefault(partition, {})
        now = time.monotonic()
        for sender, clock in clocks:
            if clock > marks.get(sender, 0):
                marks[sender] = clock
                moved[sender] = now

    def settled(self, partition: int) -> int | None:
        """The event time before which no more facts will come to this source partition, by
        the clocks it carried (None: none did, a sender of before clocks)."""
        marks = self.marks.get(partition)
        return min(marks.values()) if marks else None

    def settled_for_facts(
        self, partition: int, now: float | None = None, stalled: float = 0.0
    ) -> int:
        """`settled` for the facts of a record: 0 (nothing is settled) until the partition
        has carried a clock. A sender's clocks follow its batch's facts, and the first batch
        of a backlog can span hours of several content partitions' events: its facts must
        not close periods on their own clock before the clocks after them come. With `now`
        and a known number of senders, nothing is settled either until every sender's clock
        came, or `stalled` seconds passed since the first did (a partition with nothing to
        read sends none, and must not hold the family back for ever)."""
        marks = self.marks.get(partition)
        if not marks:
            return 0
        if now is not None and self.senders and len(marks) < self.senders:
            first = min(self.moved.get(partition, {}).values(), default=now)
            if now - first < stalled:
                return 0
        return min(marks.values())

    def settled_live(self, partition: int, now: float, stalled: float) -> int:
        """`settled_for_facts`, leaving out a sender whose clock has not moved for `stalled`
        seconds while another's did: a content partition that stopped sending (its uploads
        stopped, or its worker is gone) must not hold the breakers back. Its facts were all
        sent before its last clock, so nothing it sent is judged without; only what it may
        send after a stall of that long can be."""
        if not self.settled_for_facts(partition, now, stalled):
            return 0
        marks = self.marks[partition]
        moved = self.moved.get(partition, {})
        newest = max(moved.values(), default=now)
        live = [c for s, c in marks.items() if newest - moved.get(s, newest) < stalled]
        return min(live or marks.values())

    def note_waiting(self, partition: int, key: str, waits: bool) -> None:
        """Note whether a key's state holds facts that wait for its partition's clocks."""
        keys = self.waiting.setdefault(partition, set())
        if waits:
            keys.add(key)
        else:
            keys.discard(key)

    def hold_again(self, partition: int, key: str, deadline: int) -> None:
        """Register a hold a restored state still has (after a restart)."""
        if self.holds is not None:
            self.holds.hold(partition, key, deadline)


# the families in the order the sweep and the batches index them: name, table, state class,
# the logical topic its keys follow, and whether its facts wait for the content partitions'
# clocks (signals.facts: one sender per content partition)
FAMILIES: tuple[tuple[str, str, Any, str, bool], ...] = (
    ("content", "content-state", ContentState, UPLOADS, False),
    ("creator", "creator-state", CreatorState, CREATOR_FACTS, False),
    ("trend", "trend-state", TrendState, TREND_FACTS, True),
    ("quality", "quality-state", QualityState, QUALITY_FACTS, False),
    ("rule", "breaker-state", RuleState, RULE_FACTS, True),
    ("review", "review-state", ItemsState, REVIEW_FACTS, False),
    ("queue", "queue-state", QueueState, QUEUE_FACTS, False),
)


def build_families(
    app: Any, settings: Settings, holds: dict[str, RegionHolds]
) -> dict[str, Family]:
    """Every family with its changelog-backed table and decoded-state cache; `holds`: the
    region holds of the families whose rules wait for a video's region."""
    n, out = settings.partitions, {}
    for name, table_name, state, topic, clocked in FAMILIES:
        # bytes in, bytes out: Faust picks the changelog and store serializers from the types
        # (anything else means JSON, which would mangle the encoded state on recovery)
        table = app.Table(table_name, partitions=n, key_type=bytes, value_type=bytes)
        cache = StateCache(table, state.decode, settings.state_cache_keys)
        # a partition that leaves may come back changed
        app.on_partitions_revoked.connect(cache.clear)
        app.on_partitions_assigned.connect(cache.clear)
        out[name] = Family(
            name,
            table,
            cache,
            state,
            settings.topic(topic),
            holds.get(name),
            senders=n if clocked else 0,
        )
    return out
