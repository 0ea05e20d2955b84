"""The in-process driver of the engine: states in dicts, facts handed straight on.

Used by `vigil replay`, `vigil demo`, backtests and tests. The Faust worker runs the same
stages (signals/stages.py), with tables for state and topics between the families.
"""

from collections.abc import Iterator
from typing import Any

from schemas.common import DEAD_LETTER, REVIEW_QUEUES
from signals.breaker import RuleState
from signals.content import ContentState
from signals.creator import CreatorState
from signals.deadletter import dead_letter, dead_letter_key
from signals.engine import Emit, Engine
from signals.eventtime import HOUR
from signals.quality import QualityState
from signals.queues import QueueState
from signals.reviewitems import ItemsState
from signals.stages import ContentStage, CreatorStage, QualityStage, QueueStage, ReviewStage
from signals.sweeping import EXPIRE_EVERY, RESOLVE_EVERY, crossed
from signals.trend import TrendState

QUEUE_STATUS_EVERY = HOUR  # event time between two publications of the changed queues


class LocalPipeline:
    """All the state families in memory, fed one raw input message at a time."""

    def __init__(self, engine: Engine, not_after: int | None = None) -> None:
        self.engine = engine
        self.not_after = not_after  # newest acceptable event time (the driver's clock + skew)
        self.content: dict[str, ContentState] = {}
        self.creators: dict[str, CreatorState] = {}
        self.trends: dict[str, TrendState] = {}
        self.quality: dict[str, QualityState] = {}
        self.rules: dict[str, RuleState] = {}
        self.items: dict[str, ItemsState] = {}  # review items by video or item key
        self.queues: dict[str, QueueState] = {}
        self.changed_queues: set[str] = set()  # since their statuses were last published
        self.events = 0
        self.dead_letters = 0
        # the stages the worker runs too, on one partition
        self.content_stage = ContentStage(engine)
        self.creator_stage = CreatorStage(engine)
        self.quality_stage = QualityStage()
        self.review_stage = ReviewStage()
        self.queue_stage = QueueStage()

    @property
    def watermark(self) -> int:
        """The newest event time accepted."""
        return self.content_stage.watermark

    @property
    def accepted(self) -> int:
        """Valid events: rejected input must not even shift the silence checks."""
        return self.content_stage.accepted

    def feed(
        self, topic: str, key: bytes | None, raw: bytes, line: int | None = None
    ) -> list[Emit]:
        """Process one input message; return everything it emits, in order."""
        self.events += 1
        before = self.watermark
        fed = self.content_stage.feed(
            topic, key, raw, 0, self.content, self.not_after, {"line": line}
        )
        if fed.rejected is not None:
            self.dead_letters += 1
            return fed.emits
        out = list(fed.emits)
        for cf in fed.creator_facts:
            out.extend(self.creator_stage.feed(cf, 0, self.creators))
        out.extend(self.pass_breakers())
        after = self.watermark
        if crossed(before, after, EXPIRE_EVERY):
            self.sweep()
        if crossed(before, after, RESOLVE_EVERY):
            out.extend(self.pass_watermark())
        engine = self.engine
        # the trend clock after this event: a key applies the facts it passed (trend.release)
        settled = self.content_stage.trend_clock()
        for tf in fed.trend_facts:
            tkey = tf.table_key
            tstate, emits = engine.on_trend(tf, self.trends.get(tkey), 0, settled)
            if tstate is not None:
                self.trends[tkey] = tstate
            out.extend(emits)
        self._fold_facts()
        if crossed(before, after, QUEUE_STATUS_EVERY):
            out.extend(self.queue_statuses())
        return out

    def queue_statuses(self, everything: bool = False) -> list[Emit]:
        """The statuses of the review queues changed since the last call (of every queue,
        with `everything`), as of the watermark: a worker publishes them on a timer, replay
        each hour of event time and at the end."""
        names = sorted(self.queues) if everything else sorted(self.changed_queues)
        self.changed_queues.clear()
        traffic = self.engine.pack.guardrails.review
        now = self.watermark
        return [
            Emit(REVIEW_QUEUES, n, self.queues[n].status(now, traffic.queue(n)))
            for n in names
            if n in self.queues
        ]

    def finish(self) -> list[Emit]:
        """The input ended: every trend fact still waiting for the clocks is applied, as a
        worker whose input went quiet applies them."""
        out: list[Emit] = []
        for tstate in self.trends.values():
            if tstate.waiting:
                out.extend(self.engine.release_trend(tstate, None))
        self._fold_facts()
        return out

    def _fold_facts(self) -> None:
        """Fold the quality facts and review items the engine made into their families."""
        engine = self.engine
        quality = engine.take_quality()
        if quality:
            self.quality_stage.feed(quality, self.quality)
        items = engine.take_item_facts()
        if items:
            facts = self.review_stage.feed(items, self.items)
            self.changed_queues |= self.queue_stage.feed(facts, self.queues)

    def pass_breakers(self) -> list[Emit]:
        """Take the engine's automatic actions through their rules' breakers; the creator
        facts of those let through may make creator actions, which pass theirs in turn."""
        out: list[Emit] = []
        engine = self.engine
        facts = engine.take_rule_facts()
        while facts:
            for rf in facts:
                step = engine.on_rule(rf, self.rules.get(rf.rule_id))
                self.rules[rf.rule_id] = step.state
                out.extend(step.emits)
                for cf in step.creator_facts:
                    out.extend(self.creator_stage.feed(cf, 0, self.creators))
            facts = engine.take_rule_facts()
        return out

    def reject(
        self,
        topic: str,
        key: bytes | None,
        raw: bytes,
        reason: str,
        detail: str,
        line: int | None = None,
    ) -> Emit:
        """Count a rejected message and build its dead-letter output."""
        self.dead_letters += 1
        record = dead_letter(topic, raw, reason, detail, key=key, line=line)
        return Emit(DEAD_LETTER, dead_letter_key(record, key), record)

    def pass_watermark(self) -> list[Emit]:
        """What the watermark decides for trend keys without newer facts of their own: periods
        in grace close, incidents of keys gone quiet resolve (`Engine.on_watermark`); and for
        held breakers of rules gone silent: their quiet period may end (`Engine.advance_rule`,
        at the clock their actions would come by)."""
        out: list[Emit] = []
        ruled = min(self.content_stage.rule_clocks().values(), default=0)
        for rstate in self.rules.values():
            out.extend(self.engine.advance_rule(rstate, ruled))
        clock = self.content_stage.trend_clock()
        for tstate in self.trends.values():
            out.extend(self.engine.on_watermark(tstate, self.watermark, clock))
        return out

    def sweep(self) -> int:
        """Drop state whose TTL has passed at the pipeline's watermark; return how many."""
        now = self.watermark
        dropped = 0
        stores: tuple[dict[str, Any], ...] = (
            self.content,
            self.creators,
            self.trends,
            self.quality,
            self.rules,
            self.items,
            self.queues,
        )
        for store in stores:
            for k in [k for k, s in store.items() if s.expired(now)]:
                del store[k]
                dropped += 1
        return dropped

    def keys(self) -> Iterator[tuple[str, int]]:
        """(family, live keys) for reporting."""
        yield "content", len(self.content)
        yield "creator", len(self.creators)
        yield "trend", len(self.trends)
        yield "quality", len(self.quality)
        yield "rule", len(self.rules)
        yield "review", len(self.items)
        yield "queue", len(self.queues)
