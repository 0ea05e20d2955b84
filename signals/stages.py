"""The stages both drivers run, so replay and the worker cannot drift apart.

`ContentStage` takes one raw input message to its video's state: decode (or dead-letter),
advance the watermark, the engine's content step, and the region holds its partition's
uploads have passed. `CreatorStage` does the same for one creator fact. A driver decides only
where states live (`States`: dicts in-process, tables and a cache on Kafka) and how the facts
and outputs travel (in-process calls, or topics). Region holds and the progress of their
region sources are kept per partition: the in-process driver has one, partition 0.
"""

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from schemas.common import DEAD_LETTER, UPLOADS
from signals.creator import UPLOAD, CreatorFact
from signals.deadletter import dead_letter, dead_letter_key
from signals.decode import Rejected, decode
from signals.engine import ContentStep, CreatorStep, Emit, Engine
from signals.quality import QualityFact, QualityState
from signals.queues import QueueState
from signals.regionhold import RegionHolds
from signals.reviewitems import ItemFact, ItemsState, QueueFact
from signals.trend import TrendFact


class States(Protocol):
    """Where a driver keeps one family's states, by key (a dict is one)."""

    def get(self, key: str, /) -> Any | None: ...
    def __setitem__(self, key: str, state: Any, /) -> None: ...


class Fed:
    """What one input message produced (a plain class: compiled, it is built per event at the
    cost of a C struct, where a NamedTuple would be a Python-level call)."""

    __slots__ = ("creator_facts", "emits", "rejected", "topic", "trend_facts")

    def __init__(
        self,
        emits: list[Emit],
        creator_facts: list[CreatorFact],
        trend_facts: list[TrendFact],
        rejected: str | None = None,
        topic: str = "",
    ) -> None:
        self.emits = emits
        self.creator_facts = creator_facts
        self.trend_facts = trend_facts
        self.rejected = rejected  # the dead-letter reason, when the message was refused
        self.topic = topic


class _Holds:
    """A family's region holds, and how far each partition's region source has come."""

    def __init__(self, holds: RegionHolds | None) -> None:
        self.holds = holds if holds is not None else RegionHolds()
        self.sources: dict[int, int] = {}

    def due(self, partition: int, ts: int) -> list[str]:
        """The keys whose hold ends now that the partition's region source reached ts."""
        if ts <= self.sources.get(partition, 0):
            return []
        self.sources[partition] = ts
        return self.holds.due(partition, ts)


class ContentStage:
    """One raw input message into the content family."""

    def __init__(self, engine: Engine, holds: RegionHolds | None = None) -> None:
        self.engine = engine
        self.watermark = 0  # the newest event time accepted
        self.accepted = 0  # valid events
        self._holds = _Holds(holds)

    @property
    def holds(self) -> RegionHolds:
        """The videos whose rules wait for their upload's region."""
        return self._holds.holds

    def trend_clock(self) -> int:
        """The event time before which this stage will send no more trend facts: the oldest
        of its partitions' (`trend_clocks`). 0 before any upload."""
        return min(self.trend_clocks().values(), default=0)

    def trend_clocks(self) -> dict[int, int]:
        """Per partition with an upload or a region hold so far, the event time before which
        it will send no more trend facts: the newest upload time (an upload's tags, sound and
        caption are facts at its time), or the first of the events still waiting for their
        video's region if older (a model score's area fact goes out when it is released). A
        partition whose events all wait, its uploads still to come (a backlog read reports
        first), holds the clock at its first waiting event."""
        hold = self.engine.config.region_hold
        clocks = dict(self._holds.sources)
        for partition in {*clocks, *self.holds.partitions()}:
            deadline = self.holds.soonest(partition)
            if deadline is not None and deadline - hold < clocks.get(partition, deadline):
                clocks[partition] = deadline - hold
        return clocks

    def rule_clocks(self) -> dict[int, int]:
        """Per partition with an upload so far, the event time before which it will send no
        more would-be actions to their breakers: the newest upload time (the actions a region
        hold kept are sent as of when it ended, signals.engine)."""
        return dict(self._holds.sources)

    def feed(
        self,
        topic: str,
        key: bytes | None,
        raw: bytes,
        partition: int,
        states: States,
        not_after: int | None,
        where: Mapping[str, Any],
    ) -> Fed:
        """Process one message of an input topic; `where` names it for a dead letter
        (partition and offset on Kafka, line in a file)."""
        try:
            ev = decode(topic, key, raw, not_after=not_after, watermark=self.watermark)
        except Rejected as r:
            record = dead_letter(topic, raw, r.reason, r.detail, key=key, **where)
            return Fed(
                [Emit(DEAD_LETTER, dead_letter_key(record, key), record)], [], [], r.reason, topic
            )
        self.accepted += 1
        if ev.ts > self.watermark:
            self.watermark = ev.ts
        engine = self.engine
        cid = ev.record.content_id
        step = engine.on_content(ev, states.get(cid))
        states[cid] = step.state
        if step.hold:
            self.holds.hold(partition, cid, step.hold)
        elif cid in self.holds and not engine.hold_deadline(step.state):
            self.holds.release(cid)  # its upload came: the trend clock need not wait for it
        steps = [step]
        if ev.topic == UPLOADS:  # the region source of this partition's videos moved on
            steps += _released(self._holds.due(partition, ev.ts), states, engine.release_content)
        if len(steps) == 1:
            return Fed(step.emits, step.creator_facts, step.trend_facts, None, ev.topic)
        return Fed(
            [e for s in steps for e in s.emits],
            [f for s in steps for f in s.creator_facts],
            [f for s in steps for f in s.trend_facts],
            None,
            ev.topic,
        )


class CreatorStage:
    """One creator fact into the creator family."""

    def __init__(self, engine: Engine, holds: RegionHolds | None = None) -> None:
        self.engine = engine
        self._holds = _Holds(holds)

    @property
    def holds(self) -> RegionHolds:
        """The creators whose rules with regional variants wait for an upload fact."""
        return self._holds.holds

    def feed(self, fact: CreatorFact, partition: int, states: States) -> list[Emit]:
        """Fold one fact; its emits, and those of the holds an upload fact ended."""
        engine = self.engine
        step = engine.on_creator(fact, states.get(fact.creator_id))
        states[fact.creator_id] = step.state
        if step.hold:
            self.holds.hold(partition, fact.creator_id, step.hold)
        if fact.kind != UPLOAD:
            return step.emits
        released = _released(self._holds.due(partition, fact.ts), states, engine.release_creator)
        return [*step.emits, *(e for s in released for e in s.emits)]


class QualityStage:
    """Quality facts into the quality family: one state per key, each fact folded in."""

    def feed(
        self,
        facts: list[QualityFact],
        states: States,
        partition: int = 0,
        offset: int | None = None,
    ) -> set[str]:
        """Fold facts (one Kafka record's, at `offset`: a key that applied it already skips
        them); the keys changed."""
        changed: set[str] = set()
        guarded: dict[str, bool] = {}
        for f in facts:
            key = f.table_key
            st = states.get(key)
            if st is None:
                st = QualityState.for_fact(f)
            if offset is not None:
                skip = guarded.get(key)
                if skip is None:
                    skip = guarded[key] = st.seen(partition, offset)
                if skip:
                    continue
            if st.apply(f) or offset is not None:
                states[key] = st
                changed.add(key)
        return changed


class ReviewStage:
    """Review item facts into the review family: each key's items met by the outcomes that
    clear them (signals.reviewitems)."""

    def feed(self, facts: list[ItemFact], states: States) -> list[QueueFact]:
        """Fold facts; the queue facts of the items they put in or cleared."""
        out: list[QueueFact] = []
        for f in facts:
            st = states.get(f.key)
            if st is None or st.expired(f.ts):
                st = ItemsState()
            out += st.apply(f)
            states[f.key] = st
        return out


class QueueStage:
    """Queue facts into the queue family: one state per review queue (signals.queues)."""

    def feed(
        self,
        facts: list[QueueFact],
        states: States,
        partition: int = 0,
        offset: int | None = None,
    ) -> set[str]:
        """Fold facts (one Kafka record's, at `offset`: a queue that applied it already
        skips them); the queues changed."""
        changed: set[str] = set()
        for f in facts:
            st = states.get(f.queue)
            if st is None:
                st = QueueState(f.queue)
            if offset is not None and f.queue not in changed and st.seen(partition, offset):
                continue
            st.apply(f)
            states[f.queue] = st
            changed.add(f.queue)
        return changed


def _released(keys: list[str], states: States, release: Callable[[str, Any], Any]) -> list[Any]:
    """The steps of the keys whose hold ended (a key expired meanwhile has none)."""
    out = []
    for key in keys:
        st = states.get(key)
        if st is not None:
            out.append(release(key, st))
            states[key] = st  # changed in place: the driver writes it back
    return out


__all__ = [
    "ContentStage",
    "ContentStep",
    "CreatorStage",
    "CreatorStep",
    "Fed",
    "QualityStage",
    "QueueStage",
    "ReviewStage",
    "States",
]
