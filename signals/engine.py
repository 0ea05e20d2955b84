"""The engine: one step per event for each state family, shared by the worker and replay.

Three families, each keyed by its own id:
- content (content_id): folds input events, evaluates content rules, forwards facts;
- creator (creator_id): folds creator facts, evaluates creator rules;
- trend (trend key): folds trend facts and runs the trend detector.
Each step takes the key's state (or None) and returns the new state and what to emit. The
drivers decide where state lives (a dict, a Faust table) and how facts travel (a list, a topic).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from schemas.common import (
    ENFORCEMENT_ACTIONS,
    ESCALATIONS,
    REPORTS,
    REVIEWS,
    RULE_STATE,
    UPLOADS,
)
from schemas.inputs import ModelScore
from schemas.outputs import Decision, Target
from signals import (
    breaker,
    breakeroutputs,
    content,
    creator,
    ladder,
    qasample,
    qualityjoin,
    regionhold,
    reversal,
    reviewitems,
    rules,
    trend,
    triage,
)
from signals.budget import PageBudget
from signals.catalogue import EVENT_KINDS, SIGNALS
from signals.decision import KIND_TOPIC, build
from signals.decode import Event
from signals.emit import Emit
from signals.eventtime import DAY, MINUTE, parse_ts
from signals.forward import forward, on_arrival
from signals.policy.model import ACTION_SEVERITY, Breaker, PolicyPack
from signals.quality import QualityFact
from signals.trendfamily import TrendFamily

# the events that set a key's region: a video's is its upload's, a creator's their newest
# upload's (a report's region is where it was filed)
REGION_SOURCES = {"content": (UPLOADS,), "creator": ("upload",), "trend": ()}
VARIANTS = "#variants"  # a plan's rules with regional variants (they wait for a region)


@dataclass(frozen=True)
class EngineConfig:
    """Engine parameters, all in event time."""

    # an event older than its clock minus this cannot be in any window (the longest is 24h)
    lateness: int = DAY
    trend_promote_at: int = 3  # events in one period before a trend key gets exact state
    # how far a key's region source (its partition's uploads) must move past the first event
    # waiting for its region before the rules run as written (signals.regionhold)
    region_hold: int = 10 * MINUTE
    # the dashboard view of an incident; {kind}, {value} and {incident_id} are filled in
    dashboard_link: str = "/trends/{kind}/{value}?incident={incident_id}"
    trends: trend.TrendConfig = field(default_factory=trend.TrendConfig)


@dataclass
class Counters:
    """What the engine did, for metrics and the demo summary."""

    suppressed_by_human: int = 0
    superseded: int = 0  # actions not emitted: the target already got a more severe one
    late_events: int = 0
    redelivered: int = 0  # events and facts skipped because their id was already applied


class ContentStep(NamedTuple):
    """Result of one content event."""

    state: content.ContentState
    emits: list[Emit]
    creator_facts: list[creator.CreatorFact]
    trend_facts: list[trend.TrendFact]
    hold: int = 0  # rules wait for the region: the deadline to release them at (0: none)


class CreatorStep(NamedTuple):
    """Result of one creator fact."""

    state: creator.CreatorState
    emits: list[Emit]
    hold: int = 0  # as ContentStep.hold


class RuleStep(NamedTuple):
    """Result of one rule fact: what the rule's breaker let through or held, its statuses,
    and the creator facts of the actions it let through."""

    state: breaker.RuleState
    emits: list[Emit]
    creator_facts: list[creator.CreatorFact]


class Engine:
    """Pure decision logic for all three state families."""

    @property
    def rule_errors(self) -> int:
        """Rule conditions that raised at evaluation (counted, never fatal)."""
        return self._eval.errors

    def __init__(self, pack: PolicyPack, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self.counters = Counters()
        self._eval = rules.Evaluation()
        # false pages across every trend key this process judges (signals.budget)
        self.budget = PageBudget(self.config.trends.false_pages_per_day)
        c = self.config
        self.trend = TrendFamily(
            c.trends, c.lateness, c.trend_promote_at, c.dashboard_link, self.budget,
            self.counters, self._trend_rules,
        )  # fmt: skip
        # facts for the enforcement-quality family, as the content, creator and trend steps
        # make them; the driver takes them after each message (take_quality)
        self.quality: list[QualityFact] = []
        # automatic actions (and their reversals) for their rule's breaker, as the content
        # and creator steps make them; the driver takes them after each step (take_rule_facts)
        self.rule_facts: list[breaker.RuleFact] = []
        # review items entering their queues and human outcomes that may clear them, for the
        # review family (signals.reviewitems); the driver takes them after each step
        self.item_facts: list[reviewitems.ItemFact] = []
        self.set_pack(pack)

    def set_pack(self, pack: PolicyPack) -> None:
        """Switch to a new validated pack; per-key state carries over."""
        self.pack = pack
        # (target, event kind) -> rules to evaluate after such an event, and what they read;
        # (target, kind + VARIANTS) -> those of them with regional variants
        self._plans: dict[tuple[str, str], rules.Plan] = {}
        for target, kinds in EVENT_KINDS.items():
            for kind in kinds:
                chosen = tuple(
                    r
                    for r in pack.active(target)
                    if any(kind in SIGNALS[n].touched_by for n in r.all_reads)
                    # a rule with regional variants re-runs when the region changes
                    or (r.regions and kind in REGION_SOURCES[target])
                    # new reporters let a rule with `rearm` act again: counted as they come,
                    # or as the clearing comes when Kafka delivered them first
                    or (r.rearm_reporters is not None and kind in (REPORTS, REVIEWS))
                )
                self._plans[target, kind] = rules.plan(chosen)
                self._plans[target, kind + VARIANTS] = rules.plan(
                    tuple(r for r in chosen if r.regions)
                )
        # rules with `rearm`, judged again as of a video's newest time (Engine._content_event)
        self._rearm = rules.plan(
            tuple(r for r in pack.active("content") if r.rearm_reporters is not None)
        )

    def take_quality(self) -> list[QualityFact]:
        """The quality facts made since the last call."""
        out, self.quality = self.quality, []
        return out

    def take_item_facts(self) -> list[reviewitems.ItemFact]:
        """The review item facts made since the last call."""
        out, self.item_facts = self.item_facts, []
        return out

    def take_rule_facts(self) -> list[breaker.RuleFact]:
        """The rule facts made since the last call."""
        out, self.rule_facts = self.rule_facts, []
        return out

    def _gate(self, emits: list[Emit], ts: int, trigger: object = None) -> list[Emit]:
        """Hand every automatic action among emits to its rule's breaker (signals.breaker)
        instead of enforcing it here; the rest go out as they are. `trigger`: the record that
        triggered them (a model score names the model behind the actions)."""
        out = []
        for e in emits:
            d = e.record
            if isinstance(d, Decision) and d.kind in ("action", "reversal"):
                kind = breaker.ACTION if d.kind == "action" else breaker.REVERSAL
                model = (
                    f"{trigger.model}@{trigger.model_version}"
                    if isinstance(trigger, ModelScore)
                    else ""
                )
                self.rule_facts.append(breaker.RuleFact(kind, d.rule.id, ts, d, model))
            else:
                out.append(e)
        return out

    # -- rule (breaker) ------------------------------------------------------------------
    def on_rule(
        self,
        fact: breaker.RuleFact,
        state: breaker.RuleState | None,
        settled: int | None = None,
    ) -> RuleStep:
        """Pass an automatic action through its rule's breaker: enforce it, or route it to
        review, with those before it whose time came (signals.breaker); publish the breaker's
        changes and page on-call when it trips."""
        if state is None or (state.expired(fact.ts) and not state.pending):
            state = breaker.RuleState(fact.rule_id)
        limits = self.pack.guardrails.breaker(fact.rule_id)
        return self._decided(state, breaker.apply(state, fact, limits, settled), limits)

    def release_rule(self, state: breaker.RuleState, settled: int | None) -> RuleStep:
        """Decide a breaker's waiting actions the clocks have passed (all, for None)."""
        limits = self.pack.guardrails.breaker(state.rule_id)
        return self._decided(state, breaker.release(state, limits, settled), limits)

    def advance_rule(self, state: breaker.RuleState, now: int) -> list[Emit]:
        """The statuses a held breaker publishes as the clocks pass `now` without a fact of
        its own (its quiet period may end)."""
        limits = self.pack.guardrails.breaker(state.rule_id)
        return [
            Emit(RULE_STATE, state.rule_id, breakeroutputs.status(state, ch.at, limits))
            for ch in breaker.advance(state, limits, now)
        ]

    def _decided(
        self, state: breaker.RuleState, decided: Iterable[breaker.Decided], limits: Breaker
    ) -> RuleStep:
        """What a breaker's decisions publish, each as of its own moment."""
        emits: list[Emit] = []
        facts: list[creator.CreatorFact] = []
        for one in decided:
            d = one.fact.decision
            for ch in one.changes:
                emits.append(
                    Emit(RULE_STATE, state.rule_id, breakeroutputs.status(state, ch.at, limits))
                )
                if ch.tripped and d is not None:
                    page = breakeroutputs.page(state, d, limits)
                    emits.append(Emit(ESCALATIONS, state.rule_id, page))
            if d is None:
                continue
            traffic = self.pack.guardrails.review
            if one.held:
                item = breakeroutputs.held_item(d, state, one.fact.ts, traffic)
                emits.append(Emit(ESCALATIONS, d.target.id, item))
                self.item_facts.append(
                    reviewitems.entered(item, one.fact.ts, reviewitems.HELD, d.id)
                )
            elif one.go:
                emits.append(Emit(ENFORCEMENT_ACTIONS, d.target.id, d))
                facts.extend(_enforced(d))
                sampling = self.pack.guardrails.sampling
                share = sampling.share_of(d.rule.id)
                if d.kind == "action" and qasample.sampled(d, share):
                    item = qasample.qa_item(d, share, sampling.queue, one.fact.ts, traffic)
                    emits.append(Emit(ESCALATIONS, d.target.id, item))
                    self.item_facts.append(
                        reviewitems.entered(item, one.fact.ts, reviewitems.QA, d.id)
                    )
                    self.quality.append(qasample.drawn(d, one.fact.ts))
        return RuleStep(state, emits, facts)

    # -- content -------------------------------------------------------------------------
    def on_content(self, ev: Event, state: content.ContentState | None) -> ContentStep:
        """Fold one validated input event into its content's state and evaluate content rules.

        Until the video's upload gives its region, its events wait (signals.regionhold): the
        upload is applied first, then they are, in event-time order, as replay in upload
        order would.
        """
        if state is None or state.expired(ev.ts):
            state = content.ContentState()
        if not state.region and ev.topic != UPLOADS:
            return self._wait(ev, state)
        step = self._content_event(ev, state)
        if ev.topic == UPLOADS and (state.waiting or state.overflowed):
            ended = self._end_hold(ev.record.content_id, state, ev.ts, unknown=False)
            step = _merged(step, ended)
        return step

    def release_content(self, content_id: str, state: content.ContentState) -> ContentStep:
        """End a video's region hold: its region source passed the deadline without its
        upload, so the waiting events are applied now, for no region: rules run as written and
        each decision says `region_unknown`."""
        if state.region:
            return ContentStep(state, [], [], [])
        return self._end_hold(content_id, state, self.hold_deadline(state), unknown=True)

    def _end_hold(
        self, content_id: str, state: content.ContentState, at: int, unknown: bool
    ) -> ContentStep:
        """What waited for the video's region, for its region (or, unknown, for none): first
        the rules of the events applied early (past the cap), as of the newest of each topic,
        then the waiting events, in event-time order. `at`: when the hold ended (the upload's
        time, or the deadline): its automatic actions reach their breakers as of then, when
        they could first be enforced, not as of the events that waited."""
        gated = len(self.rule_facts)
        region = rules.REGION_UNKNOWN if unknown else state.region
        target = Target(type="content", id=content_id)
        facts: list[creator.CreatorFact] = []
        emits: list[Emit] = []
        for ts, topic in sorted((ts, t) for t, ts in state.overflowed.items()):
            hits = self._eval.hits(self._plans["content", topic], state, ts, region)
            emits.extend(self._content_decisions(hits, state, ts, target, region))
        state.overflowed = {}
        step = ContentStep(state, emits, facts, [])
        for waited in regionhold.take(state):
            step = _merged(step, self._content_event(waited, state, unknown=unknown, waited=True))
        for rf in self.rule_facts[gated:]:
            rf.ts = max(rf.ts, at)
        return step

    def _wait(self, ev: Event, state: content.ContentState) -> ContentStep:
        """Keep an event until the video's region is known. Past the cap, the oldest waiting
        event is applied now (its facts go out) but its rules still wait (`overflowed`)."""
        if regionhold.has(state, ev.record.event_id) or (
            ev.ts <= state.wm and ev.record.event_id in state.recent
        ):
            self.counters.redelivered += 1
            return ContentStep(state, [], [], [], self.hold_deadline(state))
        oldest = regionhold.keep(state, ev)
        step = ContentStep(state, [], [], [])
        if on_arrival(ev):
            creator_facts, trend_facts = forward(ev, state)
            step = ContentStep(state, [], creator_facts, trend_facts)
        if oldest is not None:
            step = _merged(step, self._content_event(oldest, state, rules_wait=True, waited=True))
            if oldest.ts > state.overflowed.get(oldest.topic, 0):
                state.overflowed[oldest.topic] = oldest.ts
        return step._replace(hold=self.hold_deadline(state))

    def _content_event(
        self,
        ev: Event,
        state: content.ContentState,
        unknown: bool = False,
        rules_wait: bool = False,
        waited: bool = False,
    ) -> ContentStep:
        """Apply one event to a video's state and run the rules it triggers for the video's
        region (as written when the region is unknown; none at all while rules_wait). An
        event that waited for the region sent its facts on arrival if it could."""
        late_before = state.late
        if not content.apply(state, ev, self.config.lateness):
            self.counters.redelivered += 1
            return ContentStep(state, [], [], [])
        self.counters.late_events += state.late - late_before
        creator_facts, trend_facts = ([], []) if waited and on_arrival(ev) else forward(ev, state)
        reversals: list[Emit] = []
        if ev.topic == REVIEWS:  # judged before rules run: it judges what was decided before
            self.quality.extend(qualityjoin.reviewed(ev, state))
            self.item_facts.extend(reviewitems.outcome_facts(ev.record, ev.ts))
            reversals = self._gate(
                self._reversals(
                    reversal.on_outcome(
                        qualityjoin.as_review(ev), state, ev.record.content_id, self.pack.hash,
                        self.pack.earns,
                    )
                ),
                ev.ts,
            )  # fmt: skip
        elif ev.topic == REPORTS:
            self.quality.extend(qualityjoin.reported(ev, state))
        if rules_wait:
            return ContentStep(state, reversals, creator_facts, trend_facts)
        region = rules.REGION_UNKNOWN if unknown else state.region
        target = Target(type="content", id=ev.record.content_id)
        hits = self._eval.hits(self._plans["content", ev.topic], state, ev.ts, region)
        emits = self._content_decisions(hits, state, ev.ts, target, region, ev.record)
        if self._rearm.rules and ev.ts < state.wm:
            # an event older than the video's newest (Kafka delivered it late: a score after
            # the clearings and the reports): rules with `rearm` are judged again as of each
            # later report, as replay judges them when the last of their evidence comes
            for at in content.rearm_times(state, ev.ts):
                again = self._eval.hits(self._rearm, state, at, region)
                emits += self._content_decisions(again, state, at, target, region, ev.record)
        return ContentStep(state, reversals + emits, creator_facts, trend_facts)

    def _reversals(self, decisions: list[Decision]) -> list[Emit]:
        """Reversals of a video's actions, for their rule's breaker to send (one of an action
        it held undoes nothing)."""
        return [Emit(ENFORCEMENT_ACTIONS, d.target.id, d) for d in decisions]

    def _content_decisions(
        self,
        hits: list[rules.Hit],
        state: content.ContentState,
        ts: int,
        target: Target,
        region: str,
        trigger: object = None,
    ) -> list[Emit]:
        """Decide on a video's hits, human verdicts first; the actions go to their rules'
        breakers (`trigger`: the record that triggered them, as Engine._gate reads it)."""
        if not hits:  # most events: nothing to decide, nothing to build
            return []
        rearm_at, acted = content.cleared_at(state, ts), None
        if rearm_at or content.human_cleared(state, ts):
            kept = [h for h in hits if h.channel != "action" or _rearmed(h, state, ts)]
            self.counters.suppressed_by_human += len(hits) - len(kept)
            hits = kept
            # acting again: what still stands on the video, not the actions a human reversed
            acted = content.acted_in_force(state, ACTION_SEVERITY)
        emits = self._decide(hits, state, ts, target, region, state.creator_id, acted, rearm_at)
        for e in list(emits):
            d = e.record
            if isinstance(d, Decision) and d.kind == "action":
                state.acted = max(state.acted, ACTION_SEVERITY[d.outcome])
                # a human outcome Kafka delivered before this action's trigger overturns it
                emits += self._reversals(
                    reversal.on_action(
                        qualityjoin.remembered(d, ts), state, target.id, self.pack.hash,
                        self.pack.earns,
                    )
                )  # fmt: skip
        return self._gate(emits, ts, trigger)

    def hold_deadline(self, state: Any) -> int:
        """When a state's region hold ends (its first waiting event or trigger plus the hold),
        or 0 when nothing waits."""
        first = regionhold.first(state)
        return first + self.config.region_hold if first else 0

    # -- creator -------------------------------------------------------------------------
    def on_creator(
        self, fact: creator.CreatorFact, state: creator.CreatorState | None
    ) -> CreatorStep:
        """Fold one creator fact and evaluate creator rules.

        A creator's region is their newest upload's and no one fact settles it, so only rules
        with regional variants wait for it (signals.regionhold).
        """
        if state is None or state.expired(fact.ts):
            state = creator.CreatorState()
        if not creator.apply(state, fact, self.config.lateness):
            self.counters.redelivered += 1
            return CreatorStep(state, [])
        target = Target(type="creator", id=fact.creator_id)
        # creator actions have windows of their own (a 6h reach limit, a 30d strike), so they
        # are settled per event only, not against earlier ones
        emits = (
            self._creator_triggers(state, target, state.region)
            if (state.held and state.region)
            else []
        )
        hits = self._eval.hits(self._plans["creator", fact.kind], state, fact.ts, state.region)
        if self._eval.held:
            regionhold.remember(state.held, fact.ts, fact.kind)
        emits += self._decide(hits, state, fact.ts, target, state.region, fact.creator_id, acted=0)
        emits = self._gate(emits, fact.ts)
        strikes = self.pack.strikes
        if strikes is not None and ladder.record(state, fact, strikes):
            emits += [
                Emit(ENFORCEMENT_ACTIONS, fact.creator_id, d)
                for d in ladder.steps(state, fact, strikes, self.pack.hash)
            ]
        return CreatorStep(state, emits, self.hold_deadline(state))

    def release_creator(self, creator_id: str, state: creator.CreatorState) -> CreatorStep:
        """End a creator's region hold (see release_content)."""
        if state.region or not state.held:
            return CreatorStep(state, [])
        return CreatorStep(
            state,
            self._creator_triggers(
                state, Target(type="creator", id=creator_id), rules.REGION_UNKNOWN
            ),
        )

    def _creator_triggers(
        self, state: creator.CreatorState, target: Target, region: str
    ) -> list[Emit]:
        """Run a creator's waiting rules (those with regional variants) for each trigger."""
        triggers, state.held = state.held, []
        emits: list[Emit] = []
        for ts, kind in triggers:
            hits = self._eval.hits(self._plans["creator", kind + VARIANTS], state, ts, region)
            emits += self._gate(
                self._decide(hits, state, ts, target, region, target.id, acted=0), ts
            )
        return emits

    def _decide(
        self,
        hits: list[rules.Hit],
        state: Any,
        ts: int,
        target: Target,
        region: str,
        creator_id: str | None,
        acted: int | None = None,
        rearm_at: int = 0,
    ) -> list[Emit]:
        """Settle conflicts, mark every hit as fired in its window, build the decisions.
        `rearm_at`: the human clearing after which rules with `rearm` act again (0: none)."""
        if not hits:
            return []
        settled = rules.settle(hits, state.acted if acted is None else acted)
        self.counters.superseded += len(settled.superseded)
        for h in hits:
            state.fired[h.key] = h.rule.window_start(ts)
            if rearm_at and h.rule.rearm_reporters is not None:
                state.fired[h.key + content.REARMED] = rearm_at
        emits = []
        traffic, reach = self.pack.guardrails.review, triage.reach_of(state)
        for hit, outranked in settled.emit:
            again = rearm_at if hit.rule.rearm_reporters is not None else 0
            d = build(
                hit,
                self.pack.hash,
                target,
                ts,
                list(state.recent),
                creator_id,
                region,
                outranked,
                traffic,
                reach,
                again,
            )
            emits.append(Emit(KIND_TOPIC[d.kind], target.id, d))
            self.quality.extend(qualityjoin.decided(d, state, ts))
            if d.kind == "escalation" and d.queue is not None and d.outcome == "review":
                self.item_facts.append(reviewitems.entered(d, ts, reviewitems.ROUTED))
        return emits

    # -- trend ---------------------------------------------------------------------------
    def on_trend(
        self,
        fact: trend.TrendFact,
        state: trend.TrendState | None,
        partition: int = 0,
        settled: int | None = None,
    ) -> tuple[trend.TrendState | None, list[Emit]]:
        """Fold one trend fact (signals.trendfamily.TrendFamily.on_trend)."""
        return self.trend.on_trend(fact, state, partition, settled)

    def release_trend(self, state: trend.TrendState, settled: int | None) -> list[Emit]:
        """What a trend key's waiting facts the clocks passed decide (TrendFamily.release)."""
        return self.trend.release(state, settled)

    def on_watermark(self, state: trend.TrendState, now: int, settled: int) -> list[Emit]:
        """What the watermark decides for a trend key (TrendFamily.on_watermark)."""
        return self.trend.on_watermark(state, now, settled)

    def _trend_rules(self, state: trend.TrendState, fact: trend.TrendFact) -> list[Emit]:
        """Trend rules (watchlists, escalation policies) on a key after one of its facts."""
        return self._decide(
            self._eval.hits(self._plans["trend", "upload"], state, fact.ts, ""),
            state,
            fact.ts,
            Target(type="trend", id=fact.table_key),
            "",
            None,
            acted=0,
        )


def _rearmed(hit: rules.Hit, state: content.ContentState, ts: int) -> bool:
    """An action hit on a video a human cleared that its rule's `rearm` lets through."""
    n = hit.rule.rearm_reporters
    return n is not None and content.rearmed(state, hit.key, n, ts)


def _enforced(d: Decision) -> list[creator.CreatorFact]:
    """What the creator family learns from a video's action or reversal that went out: the
    action (a strike, if it earns one), or the strike a reversal removed."""
    if d.target.type != "content" or not d.creator_id:
        return []
    ts = parse_ts(d.ts)
    if d.kind == "action":
        return [
            creator.CreatorFact(
                creator.ACTION, ts, d.creator_id, d.target.id, d.id,
                area=d.policy_area, outcome=d.outcome,
            )
        ]  # fmt: skip
    if d.strike_removed and d.reverses:
        return [
            creator.CreatorFact(
                creator.REVERSED, ts, d.creator_id, d.target.id, d.id,
                party=d.reverses, area=d.policy_area,
            )
        ]  # fmt: skip
    return []


def _merged(a: ContentStep, b: ContentStep) -> ContentStep:
    return ContentStep(
        b.state, a.emits + b.emits, a.creator_facts + b.creator_facts, a.trend_facts + b.trend_facts
    )


__all__ = ["ContentStep", "CreatorStep", "Decision", "Emit", "Engine", "EngineConfig", "RuleStep"]
