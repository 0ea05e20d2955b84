"""The Faust worker: seven agents, one per state family, each with a changelog-backed table.

content agent   <- uploads, reports, model-scores, reviews (keyed content_id)
                -> decisions, dead letters; creator facts and trend facts re-keyed onto
                   vigil-creator-facts (creator_id) and vigil-trend-facts (trend key)
creator agent   <- vigil-creator-facts -> creator decisions
trend agent     <- vigil-trend-facts   -> trend alerts
quality agent   <- vigil-quality-facts -> enforcement-quality (compacted: a key's newest figures)
rule agent      <- vigil-rule-facts (rule id: the content and creator families' automatic
                   actions) -> the actions its breaker lets through, the review items of those
                   it holds, on-call pages, rule-state (compacted: each breaker's newest status)
                   and the creator facts of the actions enforced
review agent    <- vigil-review-facts (a video's, or an item's, review key: review items made
                   by the other families, human outcomes from the content family) -> the
                   entries and exits of items, re-keyed by queue onto vigil-queue-facts
queue agent     <- vigil-queue-facts -> review-queues (compacted: each queue's newest status)

Every family's decisions, and the content family's join of reviews and appeals to them, make
quality facts (signals.qualityjoin), re-keyed by quality key once the ledger has them
(stream/worker/guarantee.py).

Records arrive a poll at a time (stream/worker/transport/fetch.py, below Faust's per-record
machinery); within a batch every event is applied and evaluated in order (the same Engine
steps as replay), and each touched key is written back to its table once.
"""

import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import msgspec
import structlog

from schemas.common import (
    INPUT_TOPICS,
    MAX_FUTURE_SKEW_MS,
    TREND_ALERTS,
)
from signals.breaker import COMMANDS, RuleFact
from signals.creator import CreatorFact
from signals.engine import Emit, Engine, RuleStep
from signals.policy import PolicyPack
from signals.quality import QualityFact
from signals.records import (
    CREATOR_FACT_PACK,
    ITEM_FACT_PACK,
    QUALITY_FACT_PACK,
    QUEUE_FACT_PACK,
    RULE_FACT_PACK,
    TREND_FACT_PACK,
)
from signals.reviewitems import ItemFact, QueueFact
from signals.stages import ContentStage, CreatorStage, QualityStage, QueueStage, ReviewStage
from signals.trend import TrendFact
from stream import metrics
from stream.config import Settings
from stream.notify import Notifier, configured_sinks, notifier_config
from stream.topics import (
    CREATOR_FACTS,
    REVIEW_FACTS,
    RULE_COMMANDS,
    RULE_FACTS,
    TREND_FACTS,
)
from stream.worker import guarantee
from stream.worker.app import make_app
from stream.worker.batchstates import BatchStates, clocked_facts_of, facts_of
from stream.worker.board.feed import Feed
from stream.worker.board.panels import Board
from stream.worker.family import build_families
from stream.worker.figures import Figures
from stream.worker.incidents import ActiveTrends
from stream.worker.ledger import Ledger
from stream.worker.outbox import Outbox
from stream.worker.policyreload import PackSwitch
from stream.worker.sweep import release_waiting
from stream.worker.tables import Written, mark_dirty, write_back
from stream.worker.transport import Producer, compat, fetch
from stream.worker.transport.fetch import Publish, Record
from stream.worker.vitals import Vitals
from stream.worker.wiring import wire

log = structlog.get_logger("vigil.worker")
T = TypeVar("T")
CLOCK_EVERY = 1_000  # event time between the content stage's clocks to every trend partition
# to every rule partition: would-be actions wait for these clocks before their breakers decide
RULE_CLOCK_EVERY = 1_000
# the input quiet this long (seconds): the clocks will not move, so nothing waits for them
QUIET_SECONDS = 3.0
# a content partition whose clock has not moved this long (seconds) while another's did is
# left out of the clocks the breakers wait for (it stopped sending); and the trend and rule
# families wait this long at most for every content partition's first clock
STALLED_SECONDS = 30.0


_encode = msgspec.json.Encoder().encode


class Runtime:
    """The worker's moving parts: engine, ledger, tables, and how a batch is processed."""

    def __init__(
        self, settings: Settings, pack: PolicyPack, limits: dict[str, int] | None = None
    ) -> None:
        self.settings = settings
        # each written topic's max.message.bytes: no record the broker would refuse is sent
        self.limits: dict[str, int] = dict(limits or {})
        self.engine = Engine(pack, settings.engine_config())
        self.ledger = Ledger(settings.redis_url, f"vigil:{settings.app_id}", settings.ledger_ttl)
        self.app = make_app(settings)
        # before anything runs: the transport's private Faust names are all still there
        compat.check(self.app.consumer)
        self.vitals = Vitals(self.app, settings.shutdown_timeout)
        self.logical = {settings.topic(t): t for t in INPUT_TOPICS}
        # the stages replay runs too (signals/stages.py), with their region holds per
        # partition: the sweep registers the holds a restored state still has
        self.content_stage = ContentStage(self.engine)
        # per topic, the content stage's clock when it last went to every partition
        self._clocks_sent: dict[str, int] = {}
        self.last_input = time.perf_counter()  # when the content family last had a batch
        self.creator_stage = CreatorStage(self.engine)
        self.quality_stage = QualityStage()
        self.review_stage = ReviewStage()
        self.queue_stage = QueueStage()
        self.family = build_families(
            self.app,
            settings,
            {"content": self.content_stage.holds, "creator": self.creator_stage.holds},
        )
        self.families = list(self.family.values())  # in FAMILIES' order, as the sweep reads it
        self.caches = {name: f.cache for name, f in self.family.items()}
        self.figures = Figures(
            settings, self.family, self.limits, self.publish,
            lambda: self.engine.pack.guardrails.review, lambda: self.watermark,
        )  # fmt: skip
        self.app.on_partitions_revoked.connect(self.figures.gauges.clear)
        self.app.on_partitions_revoked.connect(metrics.clear_queue_gauges)
        self.packs = PackSwitch(pack, self.engine.set_pack)
        self.active = ActiveTrends()
        # the deployment as every worker publishes it: the on-call page's, and what on-call
        # acknowledged or snoozed, which this worker's notifier heeds
        self.board = Board()
        self.feed = Feed(settings, self.board)
        sinks = configured_sinks(settings)
        self.notifier = (
            Notifier(
                sinks, settings.redis_url, f"vigil:{settings.app_id}", notifier_config(settings)
            )
            if sinks
            else None
        )
        self._wire()

    # -- wiring ----------------------------------------------------------------------------
    def _wire(self) -> None:
        wire(self)

    # -- batches ---------------------------------------------------------------------------
    # Each batch function applies its records and returns the step that publishes the results
    # (stream/worker/transport/fetch.py runs it while the next poll is applied).
    async def content_batch(self, records: Sequence[Record]) -> Publish:
        """Decode, apply and evaluate each input record; write each content key once."""
        return self._guarded("content", lambda: self._content_batch(records))

    async def creator_batch(self, records: Sequence[Record]) -> Publish:
        """Apply creator facts and evaluate creator rules; write each creator once."""
        return self._guarded("creator", lambda: self._creator_batch(records))

    async def trend_batch(self, records: Sequence[Record]) -> Publish:
        """Apply trend facts and run the detector; write each trend key once."""
        return self._guarded("trend", lambda: self._trend_batch(records))

    async def rule_batch(self, records: Sequence[Record]) -> Publish:
        """Pass automatic actions through their rules' breakers; write each rule once."""
        return self._guarded("rule", lambda: self._rule_batch(records))

    async def review_batch(self, records: Sequence[Record]) -> Publish:
        """Meet review items and the human outcomes that clear them; write each key once."""
        return self._guarded("review", lambda: self._review_batch(records))

    async def queue_batch(self, records: Sequence[Record]) -> Publish:
        """Fold the entries and exits of review items; write each queue once."""
        return self._guarded("queue", lambda: self._queue_batch(records))

    async def quality_batch(self, records: Sequence[Record]) -> Publish:
        """Fold quality facts; write each quality key once and publish its newest figures."""
        return self._guarded("quality", lambda: self._quality_batch(records))

    @property
    def watermark(self) -> int:
        """The newest event time the worker has accepted (its sweep's clock)."""
        return self.content_stage.watermark

    def _guarded(self, family: str, apply: Callable[[], Publish]) -> Publish:
        """Apply a batch and return its publish step; a failure drops the family's decoded
        states, which may be applied but never written back (so does a failed publish)."""
        try:
            return apply()
        except BaseException:
            self._unpublished(family)
            raise

    def _unpublished(self, family: str) -> None:
        """States were applied (to the cache, maybe to the store) that will not be published:
        forget the decoded ones, and have the next start rebuild a local store from the
        changelog (a RocksDB store keeps what it was given)."""
        self.caches[family].clear()
        mark_dirty(self.settings)

    def _content_batch(self, records: Sequence[Record]) -> Publish:
        t0 = self.last_input = time.perf_counter()
        stage = self.content_stage
        states = BatchStates(self.caches["content"].load)
        emits: list[Emit] = []
        box = Outbox(self.limits)
        creator_facts = self.settings.topic(CREATOR_FACTS)
        trend_facts = self.settings.topic(TREND_FACTS)
        seen: Counter[str] = Counter()
        not_after = time.time_ns() // 1_000_000 + MAX_FUTURE_SKEW_MS
        for msg in records:
            topic = self.logical.get(msg.topic, msg.topic)
            raw: bytes = msg.value if isinstance(msg.value, bytes) else b""
            key = msg.key if isinstance(msg.key, bytes) else None
            seen[topic] += 1
            states.source = msg
            fed = stage.feed(
                topic,
                key,
                raw,
                msg.partition,
                states,
                not_after,
                {"partition": msg.partition, "offset": msg.offset},
            )
            emits.extend(fed.emits)
            if fed.rejected is not None:
                metrics.DEAD_LETTERS.labels(reason=fed.rejected).inc()
                continue
            for cf in fed.creator_facts:
                box.add_fact(creator_facts, cf.creator_id.encode(), cf.fields())
            for tf in fed.trend_facts:
                box.add_fact(trend_facts, tf.table_key.encode(), tf.fields())
        self._send_clocks(box, trend_facts, stage.trend_clocks(), CLOCK_EVERY)
        self._rule_facts(box)
        self._item_facts(box)
        self._send_clocks(
            box, self.settings.topic(RULE_FACTS), stage.rule_clocks(), RULE_CLOCK_EVERY
        )
        for topic, n in seen.items():
            metrics.EVENTS.labels(topic=topic).inc(n)
        written = self._write_back("content", states.states, states.sources, box)
        self._gauges()
        return self._publishing("content", t0, box, emits, written, self.engine.take_quality())

    def _creator_batch(self, records: Sequence[Record]) -> Publish:
        t0 = time.perf_counter()
        stage = self.creator_stage
        states = BatchStates(self.caches["creator"].load)
        emits: list[Emit] = []
        box = Outbox(self.limits)
        for msg in records:
            states.source = msg
            for fields in facts_of(msg, CREATOR_FACT_PACK):
                emits.extend(stage.feed(CreatorFact(*fields), msg.partition, states))
        self._rule_facts(box)
        self._item_facts(box)
        written = self._write_back("creator", states.states, states.sources, box)
        return self._publishing("creator", t0, box, emits, written, self.engine.take_quality())

    def _trend_batch(self, records: Sequence[Record]) -> Publish:
        """A batch of trend facts; a key still in the sketch tier has no exact state. A key's
        facts wait in its state until the content partitions' clocks pass them (signals.trend):
        the keys waiting on a partition whose clocks moved apply theirs at the batch's end."""
        t0 = time.perf_counter()
        states: dict[bytes, Any] = {}
        sources: dict[bytes, Record] = {}
        emits: list[Emit] = []
        load = self.caches["trend"].load
        on_trend = self.engine.on_trend
        family = self.family["trend"]
        clocked: dict[int, Record] = {}  # partitions whose clocks came, with their last record
        # per trend partition, the batch's facts with their records: applied oldest first,
        # not pack by pack (each pack is one content partition's span of the batch, hours of a
        # backlog), so that the sketch tier counts them nearly in event-time order too
        facts: dict[int, list[tuple[TrendFact, Record]]] = {}
        for msg in records:
            fact_fields, clocks = clocked_facts_of(msg, TREND_FACT_PACK)
            if clocks is not None:  # sent after every fact older than them
                family.mark(msg.partition, clocks)
                clocked[msg.partition] = msg
            facts.setdefault(msg.partition, []).extend(
                (TrendFact(*fields), msg) for fields in fact_fields
            )
        # the page budget this worker holds: its share of the trend partitions it has heard
        # from (a batch may carry only clocks: never none, or a key would page at no limit)
        heard = {*family.clock, *family.marks, *facts}
        self.engine.budget.share = min(1.0, max(1, len(heard)) / self.settings.partitions)
        for partition, batch in sorted(facts.items()):
            # the clocks of the whole batch: each came after the facts before it
            settled = family.settled_live(partition, time.monotonic(), STALLED_SECONDS)
            batch.sort(key=lambda fm: (fm[0].ts, fm[0].event_id))
            for fact, msg in batch:
                family.advance(partition, fact.ts)
                bkey = fact.table_key.encode()
                st = states.get(bkey)
                if st is None:
                    st = load(bkey)
                st, out = on_trend(fact, st, partition, settled)
                emits.extend(out)
                if st is not None:
                    states[bkey] = st
                    sources[bkey] = msg
                    family.note_waiting(partition, fact.table_key, bool(st.waiting))
        for partition, msg in sorted(clocked.items()):
            settled = family.settled_live(partition, time.monotonic(), STALLED_SECONDS)
            for key in sorted(family.waiting.get(partition, ())):
                bkey = key.encode()
                st = states.get(bkey) or load(bkey)
                if st is None or not st.waiting:
                    family.note_waiting(partition, key, False)
                elif st.waiting[0].ts <= settled:
                    emits += self.engine.release_trend(st, settled)
                    states[bkey], sources[bkey] = st, msg
                    family.note_waiting(partition, key, bool(st.waiting))
        metrics.TREND_WAITING.set(sum(map(len, family.waiting.values())))
        box = Outbox(self.limits)
        written = self._write_back("trend", states, sources, box)
        return self._publishing("trend", t0, box, emits, written, self.engine.take_quality())

    def _send_clocks(self, box: Outbox, topic: str, clocks: dict[int, int], every: int) -> None:
        """The content stage's clocks go with its facts for a topic; to every partition of
        it, too, once they moved `every` on since they last did, so that keys without new
        facts move on as well (signals.facts)."""
        if not clocks:
            return
        low = min(clocks.values())
        everywhere = low - self._clocks_sent.get(topic, 0) >= every
        if everywhere:
            self._clocks_sent[topic] = low
        box.add_clocks(topic, sorted(clocks.items()), everywhere)

    def _rule_facts(self, box: Outbox) -> None:
        """Send the automatic actions the engine made to their rules' breakers."""
        topic = self.settings.topic(RULE_FACTS)
        for rf in self.engine.take_rule_facts():
            box.add_fact(topic, rf.rule_id.encode(), rf.fields())

    def _item_facts(self, box: Outbox) -> None:
        """Send the review items the engine made, and the human outcomes that may clear them,
        to the review family."""
        topic = self.settings.topic(REVIEW_FACTS)
        for f in self.engine.take_item_facts():
            box.add_fact(topic, f.key.encode(), list(f.fields()))

    def _review_batch(self, records: Sequence[Record]) -> Publish:
        """A batch of review item facts: the entries and exits of items go, through the
        ledger, to their queues (a redelivered item or outcome is known by its id)."""
        t0 = time.perf_counter()
        states = BatchStates(self.caches["review"].load)
        queue_facts: list[QueueFact] = []
        for msg in records:
            states.source = msg
            facts = [ItemFact(*f) for f in facts_of(msg, ITEM_FACT_PACK)]
            queue_facts += self.review_stage.feed(facts, states)
        box = Outbox(self.limits)
        written = self._write_back("review", states.states, states.sources, box)
        return self._publishing("review", t0, box, [], written, queue_facts)

    def _queue_batch(self, records: Sequence[Record]) -> Publish:
        """A batch of queue facts: each changed queue's status goes out on the next timer."""
        return self._summing_batch("queue", records, QUEUE_FACT_PACK, QueueFact, self.queue_stage)

    def _summing_batch(
        self,
        family: str,
        records: Sequence[Record],
        decoder: Any,
        fact: Callable[..., Any],
        stage: QualityStage | QueueStage,
    ) -> Publish:
        """A batch of a family that sums its facts (quality, queue): a record a key applied
        already (a redelivery) is skipped by its offset; the keys it changed are noted for
        the next publish of their figures."""
        t0 = time.perf_counter()
        states = BatchStates(self.caches[family].load)
        changed = self.figures.changed[family]
        for msg in records:
            states.source = msg
            facts = [fact(*f) for f in facts_of(msg, decoder)]
            keys = stage.feed(facts, states, msg.partition, msg.offset)
            changed.update(k.encode() for k in keys)
        box = Outbox(self.limits)
        written = self._write_back(family, states.states, states.sources, box)
        return self._publishing(family, t0, box, [], written)

    def _rule_batch(self, records: Sequence[Record]) -> Publish:
        """A batch of rule facts: each breaker's verdicts, statuses and pages; the creator
        facts of the actions it let through go on to the creator family."""
        t0 = time.perf_counter()
        states = BatchStates(self.caches["rule"].load)
        emits: list[Emit] = []
        box = Outbox(self.limits)
        creator_facts = self.settings.topic(CREATOR_FACTS)
        on_rule = self.engine.on_rule
        commands = self.settings.topic(RULE_COMMANDS)
        family = self.family["rule"]

        def stepped(step: RuleStep, partition: int) -> None:
            states[step.state.rule_id] = step.state
            family.note_waiting(partition, step.state.rule_id, bool(step.state.pending))
            emits.extend(step.emits)
            for cf in step.creator_facts:
                box.add_fact(creator_facts, cf.creator_id.encode(), cf.fields())

        for msg in records:
            states.source = msg
            fact_fields, clocks = clocked_facts_of(msg, RULE_FACT_PACK)
            settled = None
            if msg.topic != commands:
                if clocks is not None:  # sent after every fact older than them
                    family.mark(msg.partition, clocks)
                settled = family.settled_live(msg.partition, time.monotonic(), STALLED_SECONDS)
            for fields in fact_fields:
                fact = RuleFact(*fields)
                if msg.topic == commands and fact.kind not in COMMANDS:
                    # who may trip or reset a breaker may not hand it actions to enforce
                    log.warning("rule_command_refused", kind=fact.kind, rule=fact.rule_id)
                    continue
                stepped(on_rule(fact, states.get(fact.rule_id), settled), msg.partition)
            if clocks:  # the actions waiting on this partition whose time came
                for rule_id in sorted(family.waiting.get(msg.partition, ())):
                    st = states.get(rule_id)
                    if st is None:
                        continue
                    waited = len(st.pending)
                    step = self.engine.release_rule(st, settled)
                    if len(step.state.pending) != waited:
                        stepped(step, msg.partition)
        for st in states.states.values():  # once per rule the batch touched
            metrics.BREAKER_HELD.labels(rule=st.rule_id).set(1 if st.mode == "held" else 0)
        metrics.BREAKER_WAITING.set(sum(map(len, family.waiting.values())))
        self._item_facts(box)
        written = self._write_back("rule", states.states, states.sources, box)
        return self._publishing("rule", t0, box, emits, written, self.engine.take_quality())

    def _quality_batch(self, records: Sequence[Record]) -> Publish:
        """A batch of quality facts: each changed key's figures go to enforcement-quality on
        the next timer."""
        return self._summing_batch(
            "quality", records, QUALITY_FACT_PACK, QualityFact, self.quality_stage
        )

    def _publishing(
        self,
        family: str,
        t0: float,
        box: Outbox,
        emits: list[Emit],
        written: Written,
        quality: Sequence[QualityFact | QueueFact] = (),
    ) -> Publish:
        """The publish step of an applied batch; the batch's time runs until it is done."""

        async def publish() -> None:
            try:
                await self.publish(box, emits, written, quality)
            except BaseException:
                self._unpublished(family)  # its states may never reach the changelog
                raise
            metrics.BATCH_SECONDS.labels(family=family).observe(time.perf_counter() - t0)

        return publish

    def _write_back(
        self,
        family: str,
        states: dict[bytes, Any],
        sources: dict[bytes, Record],
        box: Outbox,
    ) -> Written:
        """Write a batch's states to their table and changelog, and keep them decoded."""
        cache = self.caches[family]
        written = write_back(self.family[family].table, states, sources, box)
        cache.keep(states)
        metrics.STATE_READS.labels(family=family, source="cache").inc(cache.hits)
        metrics.STATE_READS.labels(family=family, source="table").inc(cache.misses)
        cache.hits = cache.misses = 0
        return written

    async def publish(
        self,
        box: Outbox,
        emits: list[Emit],
        written: Written,
        quality: Sequence[QualityFact | QueueFact] = (),
    ) -> None:
        """Steps 2 to 5 of the delivery guarantee (stream/worker/guarantee.py) for a batch."""
        producer = cast(Producer, self.app.producer)  # vigil's transport's; it holds the client
        sent = await guarantee.publish(
            box, emits, written, producer.client(), self.ledger, self.settings, quality
        )
        for e in sent:
            if e.topic == TREND_ALERTS:
                alert = msgspec.to_builtins(e.record)
                self.active.add(alert)
                # only alerts Kafka acknowledged; never blocks; none on-call silenced
                if self.notifier is not None and not self.board.silenced(alert, _now()):
                    self.notifier.offer(alert)

    async def release_waiting(self) -> None:
        """Once the input has been quiet for QUIET_SECONDS and every input partition is read
        to its end, decide the would-be actions and apply the trend facts still waiting for
        clocks that will not move until more comes (stream/worker/sweep.py)."""
        families = [self.family["rule"], self.family["trend"]]
        if not any(keys for f in families for keys in f.waiting.values()):
            return
        if time.perf_counter() - self.last_input < QUIET_SECONDS:
            return
        if not fetch.drained(self.app, self.logical):
            # a loaded worker can go seconds between content batches with input still to
            # read: deciding now would judge minutes whose actions are still to come
            return
        n = await release_waiting(
            families,
            self.engine,
            self.publish,
            self.limits,
            self.settings.topic(CREATOR_FACTS),
            self.settings.topic(REVIEW_FACTS),
        )
        metrics.BREAKER_WAITING.set(sum(map(len, self.family["rule"].waiting.values())))
        metrics.TREND_WAITING.set(sum(map(len, self.family["trend"].waiting.values())))
        log.info("waiting_released", waited=n)

    def _gauges(self) -> None:
        c = self.engine.counters
        metrics.RULE_ERRORS.set(self.engine.rule_errors)
        metrics.SUPPRESSED.set(c.suppressed_by_human)


def _now() -> datetime:
    return datetime.now(UTC)


def create_runtime(
    settings: Settings, pack: PolicyPack, limits: dict[str, int] | None = None
) -> Runtime:
    """Build the worker for these settings, this validated pack and the topics' size limits."""
    return Runtime(settings, pack, limits)
