"""The engine: one step per event for each state family, shared by the worker and replay.

Three families, each keyed by its own id:
- content (content_id): folds input events, evaluates content rules, forwards facts;
- creator (creator_id): folds creator facts, evaluates creator rules;
- trend (trend key): folds trend facts and runs the trend detector.
Each step takes the key's state (or None) and returns the new state and what to emit. The
drivers decide where state lives (a dict, a Faust table) and how facts travel (a list, a topic).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import cel
import msgspec

from schemas.inputs import ModelScore, Report, Review, Upload
from schemas.outputs import Decision, Target, TrendAlert, TrendKey
from signals import content, creator, trend
from signals.catalogue import EVENT_KINDS, SIGNALS
from signals.decision import KIND_TOPIC, build, stable_id, window_label
from signals.decode import Event
from signals.eventtime import DAY, format_ts
from signals.policy.model import ESCALATION_OUTCOMES, OPS, PolicyPack, Rule


class Emit(NamedTuple):
    """A record for an output topic (logical name, without prefix), keyed by target id."""

    topic: str
    key: str
    record: msgspec.Struct


@dataclass(frozen=True)
class EngineConfig:
    """Engine parameters, all in event time."""

    # an event older than its clock minus this cannot be in any window (the longest is 24h)
    lateness: int = DAY
    trends: trend.TrendConfig = field(default_factory=trend.TrendConfig)


@dataclass
class Counters:
    """What the engine did, for metrics and the demo summary."""

    evaluations: int = 0
    suppressed_by_human: int = 0
    rule_errors: int = 0
    late_events: int = 0
    redelivered: int = 0  # events and facts skipped because their id was already applied


class _Plan(NamedTuple):
    rules: tuple[Rule, ...]
    reads: tuple[tuple[str, Callable[[Any, int], Any]], ...]
    readers: dict[str, Callable[[Any, int], Any]]
    # rules whose first guard is `signal >= c` or `signal > c`, grouped by signal with the
    # lowest such c: one read and one comparison rule out the whole group on most events
    groups: tuple[tuple[str, float, tuple[Rule, ...]], ...]
    ungrouped: tuple[Rule, ...]


def _plan(rules: tuple[Rule, ...]) -> _Plan:
    reads = dict.fromkeys(n for r in rules for n in r.reads)
    by_signal: dict[str, list[Rule]] = {}
    ungrouped = []
    for r in rules:
        if r.guards and r.guards[0][1] in (">=", ">"):
            by_signal.setdefault(r.guards[0][0], []).append(r)
        else:
            ungrouped.append(r)
    groups = tuple((sig, min(r.guards[0][2] for r in rs), tuple(rs))
                   for sig, rs in by_signal.items())
    return _Plan(rules, tuple((n, SIGNALS[n].read) for n in reads),
                 {n: SIGNALS[n].read for n in reads}, groups, tuple(ungrouped))


class ContentStep(NamedTuple):
    """Result of one content event."""

    state: content.ContentState
    emits: list[Emit]
    creator_facts: list[creator.CreatorFact]
    trend_facts: list[trend.TrendFact]


class Engine:
    """Pure decision logic for all three state families."""

    def __init__(self, pack: PolicyPack, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self.counters = Counters()
        self.set_pack(pack)

    def set_pack(self, pack: PolicyPack) -> None:
        """Switch to a new validated pack; per-key state carries over."""
        self.pack = pack
        # (target, event kind) -> rules to evaluate after such an event, and what they read
        self._plans: dict[tuple[str, str], _Plan] = {}
        for target, kinds in EVENT_KINDS.items():
            for kind in kinds:
                self._plans[target, kind] = _plan(tuple(
                    r for r in pack.active(target)
                    if any(kind in SIGNALS[n].touched_by for n in r.reads)))

    # -- content -------------------------------------------------------------------------
    def on_content(self, ev: Event, state: content.ContentState | None) -> ContentStep:
        """Fold one validated input event into its content's state and evaluate content rules."""
        if state is None or state.expired(ev.ts):
            state = content.ContentState()
        late_before = state.late
        if not content.apply(state, ev, self.config.lateness):
            self.counters.redelivered += 1
            return ContentStep(state, [], [], [])
        self.counters.late_events += state.late - late_before
        creator_facts, trend_facts = _forward(ev, state)
        emits: list[Emit] = []
        target = Target(type="content", id=ev.record.content_id)
        for rule, values in self._fire(self._plans["content", ev.topic], state, ev.ts):
            if (rule.mode == "enforce" and rule.outcome not in ESCALATION_OUTCOMES
                    and content.human_cleared(state, ev.ts)):
                self.counters.suppressed_by_human += 1
                continue
            window = window_label(rule, ev.ts)
            state.fired[rule.key] = rule.window_start(ev.ts)
            d = build(rule, self.pack.hash, target, window, ev.ts, values, list(state.recent),
                      state.creator_id, state.region)
            emits.append(Emit(KIND_TOPIC[d.kind], target.id, d))
            if d.kind == "action" and state.creator_id:
                creator_facts.append(creator.CreatorFact(
                    creator.ACTION, ev.ts, state.creator_id, target.id, d.id,
                    area=rule.policy_area, outcome=rule.outcome))
        return ContentStep(state, emits, creator_facts, trend_facts)

    # -- creator -------------------------------------------------------------------------
    def on_creator(
        self, fact: creator.CreatorFact, state: creator.CreatorState | None
    ) -> tuple[creator.CreatorState, list[Emit]]:
        """Fold one creator fact and evaluate creator rules."""
        if state is None or state.expired(fact.ts):
            state = creator.CreatorState()
        if not creator.apply(state, fact, self.config.lateness):
            self.counters.redelivered += 1
            return state, []
        emits: list[Emit] = []
        target = Target(type="creator", id=fact.creator_id)
        for rule, values in self._fire(self._plans["creator", fact.kind], state, fact.ts):
            window = window_label(rule, fact.ts)
            state.fired[rule.key] = rule.window_start(fact.ts)
            d = build(rule, self.pack.hash, target, window, fact.ts, values, list(state.recent),
                      fact.creator_id, None)
            emits.append(Emit(KIND_TOPIC[d.kind], target.id, d))
        return state, emits

    def _fire(self, plan: "_Plan", state: Any, ts: int) -> list[tuple[Rule, dict[str, Any]]]:
        """Rules of the plan whose condition holds now and that have not fired in this window.

        Signals are read lazily and once: a rule whose guard (a necessary `signal OP number`
        conjunct) fails is skipped without running CEL, which is most rules on most events.
        Signals are read as of the triggering event: facts later in event time that Kafka
        happened to deliver first do not count yet.
        """
        fired_before = state.fired
        readers = plan.readers
        values: dict[str, Any] = {}
        todo: list[Rule] = []
        for sig, lowest, group in plan.groups:
            v = values[sig] = readers[sig](state, ts)
            if v >= lowest:
                self._screen(group, state, ts, fired_before, readers, values, todo)
        if plan.ungrouped:
            self._screen(plan.ungrouped, state, ts, fired_before, readers, values, todo)
        if not todo:
            return []
        for name, read in plan.reads:
            if name not in values:
                values[name] = read(state, ts)
        ctx = cel.Context(variables=values)
        self.counters.evaluations += len(todo)
        fired = []
        for rule in todo:
            try:
                hit = rule.program.execute(ctx)
            except Exception:  # a condition error must never stop the stream
                self.counters.rule_errors += 1
                continue
            if hit is True:
                fired.append((rule, values))
        return fired

    @staticmethod
    def _screen(rules: tuple[Rule, ...], state: Any, ts: int, fired_before: dict[str, int],
                readers: dict[str, Callable[[Any, int], Any]], values: dict[str, Any],
                todo: list[Rule]) -> None:
        """Append the rules that have not fired in this window and whose guards all pass."""
        for rule in rules:
            if fired_before.get(rule.key, -1) == rule.window_start(ts):
                continue
            for name, op, const in rule.guards:
                v = values.get(name)
                if v is None:
                    v = values[name] = readers[name](state, ts)
                if not OPS[op](v, const):
                    break
            else:
                todo.append(rule)

    # -- trend ---------------------------------------------------------------------------
    def on_trend(
        self, fact: trend.TrendFact, state: trend.TrendState | None
    ) -> tuple[trend.TrendState, list[Emit]]:
        """Fold one trend fact and open, grow or resolve the key's incident."""
        cfg = self.config.trends
        if state is None or state.expired(fact.ts):
            state = trend.TrendState()
        r = trend.apply(state, fact, cfg, self.config.lateness)
        if r is None:
            self.counters.redelivered += 1
            return state, []
        now = state.wm
        inc = state.incident
        status = None
        if r.alerting(cfg):
            if inc is None or (not inc[3] and now - inc[2] >= cfg.cooldown):
                start = now - now % cfg.period
                inc = [stable_id("trend", fact.table_key, str(start)), r.severity, now, True]
                status = "firing"
            elif inc[3] and r.severity > inc[1]:
                inc[1] = r.severity
                status = "updated"
        elif inc is not None and inc[3] and r.ratio < cfg.min_ratio / 2:
            inc[3] = False
            status = "resolved"
        state.incident = inc
        if status is None or inc is None:
            return state, []
        alert = TrendAlert(
            id=stable_id(inc[0], status, str(inc[1])),
            incident_id=inc[0],
            ts=format_ts(now),
            key=TrendKey(kind=fact.kind, value=fact.key),  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
            severity=trend.SEVERITIES[inc[1]],  # type: ignore[arg-type]
            window_start=format_ts(now - cfg.period),
            window_end=format_ts(now),
            observed=r.observed,
            expected=round(r.expected, 3),
            score=round(r.score, 4),
            growth=round(r.ratio, 2),
            distinct_creators=r.distinct,
            first_seen=format_ts(state.first_seen),
            sample_content_ids=state.samples[-5:],
            top_creators=trend.top_creators(state),
            region=None,  # hashtag and audio trends span regions
        )
        return state, [Emit("trend-alerts", fact.table_key, alert)]


def _forward(
    ev: Event, state: content.ContentState
) -> tuple[list[creator.CreatorFact], list[trend.TrendFact]]:
    """The facts a content event contributes to the creator and trend families."""
    rec = ev.record
    if isinstance(rec, Upload):
        facts = [creator.CreatorFact(creator.UPLOAD, ev.ts, rec.creator_id, rec.content_id,
                                     rec.event_id)]
        tags = dict.fromkeys(t.lstrip("#").lower() for t in rec.hashtags)
        trends = [trend.TrendFact("hashtag", t, ev.ts, rec.creator_id, rec.content_id,
                                  rec.event_id, rec.region) for t in tags if t]
        if rec.audio_id:
            trends.append(trend.TrendFact("audio", rec.audio_id, ev.ts, rec.creator_id,
                                          rec.content_id, rec.event_id, rec.region))
        return facts, trends
    if isinstance(rec, Report):
        return [creator.CreatorFact(creator.REPORT, ev.ts, rec.creator_id, rec.content_id,
                                    rec.event_id, party=rec.reporter_id, area=rec.reason)], []
    if isinstance(rec, Review):
        who = rec.creator_id or state.creator_id
        kind = {"violating": creator.CONFIRMED, "overturned": creator.OVERTURNED}.get(rec.outcome)
        if who and kind:
            return [creator.CreatorFact(kind, ev.ts, who, rec.content_id, rec.event_id,
                                        area=rec.policy_area or "")], []
        return [], []
    assert isinstance(rec, ModelScore)
    return [], []


__all__ = ["ContentStep", "Decision", "Emit", "Engine", "EngineConfig"]
