"""Circuit breakers on automation: one per automatic rule, keyed by rule id.

Every automatic action a rule would take passes its rule's breaker before it is enforced (the
content and creator families hand it over as a RuleFact; on Kafka it travels keyed by rule id,
so one partition sees the rule's actions from every content partition, as the trend family
sees a trend key's). The breaker counts the would-be actions in event time and trips when

- past the pack's hard cap: more than `max_actions_per_hour` in the sliding hour, overall or
  in one region (`per_region`);
- or far above the rule's own normal rate: the trend detector (signals.detect) over the
  rule's counts per period, judging the open period as the trend family does.

Tripped (`held`), the rule's would-be actions become review items, marked with the action
they would have been: nothing is enforced and nothing is dropped. It switches back by command
(a `reset` fact) or once no trip condition held for the pack's quiet period, dated when that
period ended. On-call may also trip it by command (a `trip` fact: a person saw the rule
misfire); a breaker tripped so stays held until a reset, whatever its counts. Every change,
and every period's figures, is a status for the compacted `rule-state` topic; a trip also
pages on-call (the engine builds both from `Change`; a trip by command pages nobody: on-call
gave it).

A would-be action is decided in event-time order once every fact it could be judged with has
come: in replay at once (one stream, in event-time order), on Kafka once the clocks the content
partitions send after their facts (signals.facts) have passed it, so that a partition that
drains hours of event time behind the others cannot change what is counted before a minute is
judged.
Until then it waits in the state (`pending`; at most PENDING_CAP of them): the worker leaves
a partition that stopped sending out of the clocks, so that it does not stop enforcement, and
an input gone quiet decides everything waiting. Trip and reset fall at the same event times
in both, and the same actions are held.
"""

from collections.abc import Iterator
from typing import Any

import msgspec

from schemas.outputs import Decision
from signals import records
from signals import windows as w
from signals.detect import Detector, DetectorConfig
from signals.eventtime import DAY, HOUR, MINUTE
from signals.policy.model import Breaker
from signals.sweeping import DECODE

ACTION, REVERSAL, RESET, TRIP = "action", "reversal", "reset", "trip"
COMMANDS = frozenset({RESET, TRIP})  # what a person may send a breaker (rule-commands)
MANUAL = "manual: "  # the reason of a trip by command starts so
AUTOMATIC, HELD = "automatic", "held"
PERIOD = 5 * MINUTE  # the detector's bucket, as the trend family's
GRACE = 2 * MINUTE  # a minute closes this long after its end, by the rule's clock (as trends')
# the most would-be actions a rule's state holds waiting for the clocks: a memory backstop,
# past which the oldest is decided without them. Not a bound in event time: a draining
# backlog's content partitions drift hours of event time apart in a second (one fetch of a
# sparse partition is hours of it), and what is judged must not depend on that. A partition
# that stopped sending the worker leaves out of the clocks by wall time
# (stream/worker/family.py), and an input gone quiet decides everything waiting
PENDING_CAP = 20_000
DETECTOR = DetectorConfig()
# the normal rate people are shown: a day's exponentially weighted mean of the closed periods'
# counts (the detector's own expectation is on a variance-stabilised scale, floored at one per
# period, and reads badly for a rule that acts a few times an hour)
RATE_MEMORY = DAY // PERIOD
TTL = 30 * DAY  # an automatic rule silent this long forgets its history; a held one never
RECENT_CAP = 256  # decision ids kept for the redelivery guard (a batch applied twice)
HELD_CAP = 4096  # held ids kept: a reversal of one is not sent (nothing was enforced)
EXAMPLES, MODELS, CHANGES = 8, 8, 16

_to_decision = msgspec.convert


class RuleFact:
    """What a family hands a rule's breaker: a would-be action, a reversal of one, or a
    trip or reset by command."""

    __slots__ = ("by", "decision", "kind", "model", "reason", "rule_id", "ts")

    def __init__(
        self,
        kind: str,
        rule_id: str,
        ts: int,
        decision: Decision | dict[str, Any] | None = None,
        model: str = "",
        reason: str = "",
        by: str = "",
    ) -> None:
        self.kind = kind
        self.rule_id = rule_id
        self.ts = ts
        self.decision = _to_decision(decision, Decision) if isinstance(decision, dict) else decision
        self.model = model  # the model (name@version) whose score triggered the action, if any
        self.reason = reason  # a command's reason
        self.by = by  # who gave it

    def fields(self) -> list[Any]:
        """The fact as it travels on the rule re-keying topic."""
        d = msgspec.to_builtins(self.decision) if self.decision is not None else None
        return [self.kind, self.rule_id, self.ts, d, self.model, self.reason, self.by]


class Change:
    """A breaker status to publish; `tripped`: it is a trip (on-call is paged)."""

    __slots__ = ("at", "tripped")

    def __init__(self, at: int, tripped: bool = False) -> None:
        self.at = at
        self.tripped = tripped


class RuleState:
    """One automatic rule's breaker."""

    __slots__ = (
        "changes",
        "counts",
        "cur_period",
        "det",
        "examples",
        "held",
        "hot_at",
        "judged",
        "minutes",
        "mode",
        "models",
        "pending",
        "rate",
        "recent",
        "regions",
        "rule_id",
        "wm",
    )

    def __init__(self, rule_id: str = "") -> None:
        self.wm = 0
        self.rule_id = rule_id
        self.mode = AUTOMATIC
        self.changes: list[records.BreakerChange] = []
        self.hot_at = 0
        self.minutes: w.Buckets = {}
        self.regions: dict[str, w.Buckets] = {}
        self.det: Detector | None = None
        self.cur_period = -1  # the oldest period not yet fed to the detector
        self.judged = -1  # the newest minute the trip conditions were judged at
        self.rate = 0.0  # would-be actions per period, a day's weighted mean (RATE_MEMORY)
        self.models: dict[str, w.Buckets] = {}  # would-be actions per minute, per model
        self.examples: list[str] = []
        self.recent: list[str] = []
        self.held: list[str] = []
        self.counts = (0, 0, 0)  # passed, held, trips
        self.pending: list[RuleFact] = []  # waiting for the clocks, in event-time order

    @property
    def table_key(self) -> str:
        """The key rule state is partitioned by."""
        return self.rule_id

    def encode(self) -> bytes:
        """Serialize for a table value / changelog record (signals.records)."""
        return records.encode(
            records.RuleV2(
                self.wm,
                self.rule_id,
                self.mode,
                self.changes,
                self.hot_at,
                w.flatten(self.minutes),
                {r: w.flatten(b) for r, b in self.regions.items()},
                self.det.to_record() if self.det else None,
                self.cur_period,
                self.judged,
                {m: w.flatten(b) for m, b in self.models.items()},
                self.examples,
                self.recent,
                self.held,
                self.counts,
                self.rate,
                [f.fields() for f in self.pending],  # type: ignore[misc]
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> "RuleState":
        """Inverse of encode."""
        r = records.rule(data)
        s = cls(r.rule_id)
        s.wm, s.mode, s.changes, s.hot_at = r.wm, r.mode, r.changes, r.hot_at
        s.minutes = w.unflatten(r.minutes)
        s.regions = {k: w.unflatten(v) for k, v in r.regions.items()}
        s.det = Detector.from_record(r.det, DETECTOR) if r.det else None
        s.cur_period, s.judged = r.cur_period, r.judged
        s.models = {m: w.unflatten(b) for m, b in r.models.items()}
        s.examples, s.recent, s.held = r.examples, r.recent, r.held
        s.counts, s.rate = r.counts, r.rate
        if isinstance(r, records.RuleV2):  # version 1: nothing waited
            s.pending = [RuleFact(*f) for f in r.pending]
        return s

    @staticmethod
    def triage(data: bytes, now: int) -> int:
        """Rules are few: the sweep decodes each."""
        return DECODE

    def expired(self, now: int) -> bool:
        """An automatic rule with nothing waiting whose newest would-be action is more than
        TTL old."""
        return self.mode == AUTOMATIC and not self.pending and self.wm > 0 and now - self.wm > TTL

    def detector(self) -> Detector:
        """The rule's detector over its closed periods (created on first use)."""
        if self.det is None:
            self.det = Detector(PERIOD)
        return self.det

    @property
    def since(self) -> int:
        """When the mode last changed (0: never)."""
        return self.changes[-1][0] if self.changes else 0

    def hour(self, now: int) -> int:
        """Would-be actions in the hour to now."""
        return w.window_sum(self.minutes, now, HOUR, MINUTE)

    def models_hour(self, now: int) -> dict[str, int]:
        """Would-be actions in the hour to now, per model version behind them."""
        counts = {m: w.window_sum(b, now, HOUR, MINUTE) for m, b in self.models.items()}
        return {m: n for m, n in sorted(counts.items(), key=lambda x: -x[1]) if n}

    def normal_hour(self) -> float:
        """The rule's normal rate: its day-weighted mean period, per hour."""
        return self.rate * (HOUR / PERIOD)


class Decided:
    """A fact its breaker decided: `go` (enforce it), `held` (route it to review) or neither
    (a redelivery, a reversal of a held action, a reset); `changes`: the statuses judging the
    minutes before it made, to publish first."""

    __slots__ = ("changes", "fact", "go", "held")

    def __init__(self, fact: RuleFact, go: bool, held: bool, changes: list[Change]) -> None:
        self.fact, self.go, self.held, self.changes = fact, go, held, changes


def apply(
    state: RuleState, fact: RuleFact, breaker: Breaker, settled: int | None = None
) -> Iterator[Decided]:
    """Fold one fact into its rule's breaker and decide every would-be action whose time
    has come (`release`). `settled`: the time before which the content partitions will send no
    more facts (None: the facts come in event-time order, as in replay)."""
    state.rule_id = fact.rule_id
    d = fact.decision
    if fact.kind in COMMANDS:
        # from the rule's clock on: a worker's clock is the platform's, and a backlog's
        # actions already decided stay as they were (fact.ts is only when it was asked for;
        # it dates a command to a rule that never acted)
        at = max(state.wm, state.since) or fact.ts
        if fact.kind == RESET and state.mode == HELD:
            _switch(state, at, AUTOMATIC, f"reset: {fact.reason}", fact.by)
            yield Decided(fact, False, False, [Change(at)])
        elif fact.kind == TRIP and state.mode == AUTOMATIC:
            _switch(state, at, HELD, MANUAL + fact.reason, fact.by)
            passed, held, trips = state.counts
            state.counts, state.held = (passed, held, trips + 1), []
            yield Decided(fact, False, False, [Change(at, tripped=True)])
    elif d is None:
        pass
    elif fact.kind == REVERSAL:
        waiting = [
            i for i, p in enumerate(state.pending) if p.decision and p.decision.id == d.reverses
        ]
        if waiting:  # decided right after the action it reverses
            state.pending.insert(waiting[0] + 1, fact)
            yield from release(state, breaker, settled)
        else:  # a reversal of an action that was held undoes nothing
            yield Decided(fact, d.reverses not in state.held, False, [])
    elif d.id not in state.recent and d.id not in state.held:  # else redelivered
        state.recent.append(d.id)
        del state.recent[:-RECENT_CAP]
        state.wm = max(state.wm, fact.ts)
        _wait(state, fact)
        yield from release(state, breaker, settled)


def release(state: RuleState, breaker: Breaker, settled: int | None) -> Iterator[Decided]:
    """Decide, in event-time order, the waiting facts the clocks have passed (all of them
    for `settled` None), one at a time (the caller reads the state as of each): first the
    minutes the rule's clock closed before it are judged (which may trip or reset it, dated
    then), then a would-be action is enforced or held by the mode in force at its own time."""
    clock = state.wm if settled is None else settled
    pending = state.pending
    # a reversal waits right behind its action: at the head, its action was just decided
    while pending and (
        pending[0].ts <= clock or pending[0].kind == REVERSAL or len(pending) > PENDING_CAP
    ):
        fact = pending.pop(0)
        d = fact.decision
        assert d is not None  # only decisions wait
        if fact.kind == REVERSAL:
            yield Decided(fact, d.reverses not in state.held, False, [])
            continue
        _count(state, fact, d.region or "")
        changes = _judge(state, breaker, fact.ts)
        passed, held, trips = state.counts
        if mode_at(state, fact.ts) == HELD:
            state.held.append(d.id)
            del state.held[:-HELD_CAP]
            state.counts = (passed, held + 1, trips)
            yield Decided(fact, False, True, changes)
        else:
            state.counts = (passed + 1, held, trips)
            yield Decided(fact, True, False, changes)


def advance(state: RuleState, breaker: Breaker, now: int) -> list[Change]:
    """Judge a held rule's minutes up to `now` without a fact of its own (the clocks moved
    on): a quiet period that ended switches it back, dated when it ended, though the rule is
    silent. Nothing else moves a silent breaker; one with actions waiting moves with them."""
    if state.mode != HELD or state.pending:
        return []
    return _judge(state, breaker, now)


def _wait(state: RuleState, fact: RuleFact) -> None:
    """Queue a would-be action in event-time order, by decision id at equal times (after a
    reversal queued behind an action of its time, too: a reversal's key is not an action's)."""
    d = fact.decision
    at, pending = (fact.ts, d.id if d else ""), state.pending
    i = len(pending)
    while i and (pending[i - 1].ts, _id(pending[i - 1])) > at:
        i -= 1
    pending.insert(i, fact)


def _id(fact: RuleFact) -> str:
    """The id a waiting fact sorts by: its action's (a reversal's, the action it reverses)."""
    d = fact.decision
    if d is None:
        return ""
    return (d.reverses or "") if fact.kind == REVERSAL else d.id


def change_at(state: RuleState, ts: int) -> records.BreakerChange | None:
    """The change in force at event time ts (None: it never changed by then)."""
    for change in reversed(state.changes):
        if change[0] <= ts:
            return change
    return None


def mode_at(state: RuleState, ts: int) -> str:
    """The breaker's mode at event time ts (its changes are dated in event time)."""
    change = change_at(state, ts)
    return change[1] if change else AUTOMATIC


def _count(state: RuleState, fact: RuleFact, region: str) -> None:
    """Count a would-be action in its minute, its region's and its model's."""
    ts = fact.ts
    w.add(state.minutes, ts, MINUTE)
    if region:
        w.add(state.regions.setdefault(region, {}), ts, MINUTE)
    if fact.model:
        w.add(state.models.setdefault(fact.model, {}), ts, MINUTE)
    for buckets in (state.minutes, *state.regions.values(), *state.models.values()):
        w.prune(buckets, ts, HOUR + PERIOD, MINUTE)  # a period closing keeps its minutes
    if len(state.models) > MODELS:  # the least used in the hour goes
        del state.models[min(state.models, key=lambda m: (sum(state.models[m].values()), m))]
    if fact.decision is not None:
        cid = fact.decision.target.id
        if cid in state.examples:
            state.examples.remove(cid)
        state.examples.append(cid)
        del state.examples[:-EXAMPLES]
    if state.cur_period < 0:
        state.cur_period = ts // PERIOD
        state.judged = ts // MINUTE - 1


def _judge(state: RuleState, breaker: Breaker, now: int) -> list[Change]:
    """Judge every minute `now` is GRACE past the end of, in order: the trip conditions on
    the counts through that minute, dated when it closed. A minute closes once no fact of it
    can still come, so what is judged, and when, does not depend on the order in which the
    content partitions' facts arrive (replay and Kafka agree)."""
    closable = (now - GRACE) // MINUTE  # minutes before this one may close
    changes: list[Change] = []
    if closable - 1 <= state.judged:
        return _quiet(state, breaker, now)
    counted = sorted(m for m in state.minutes if state.judged < m < closable)
    for m in _to_judge(state, counted, closable):
        at = (m + 1) * MINUTE + GRACE  # when the minute closed
        changes += _quiet(state, breaker, at)
        if _close_periods(state, m // (PERIOD // MINUTE)):
            changes.append(Change(at))
        why = _tripping(state, m, breaker)
        if not why:
            continue
        state.hot_at = at
        if state.mode == AUTOMATIC:
            _switch(state, at, HELD, why, "")
            passed, held, trips = state.counts
            state.counts, state.held = (passed, held, trips + 1), []
            changes.append(Change(at, tripped=True))
    state.judged = closable - 1
    # no minute still to judge closes before the clock: a quiet period that ended by then
    # ended, whatever those minutes hold (their trips come after it)
    return changes + _quiet(state, breaker, now)


def _to_judge(state: RuleState, counted: list[int], closable: int) -> Iterator[int]:
    """The minutes to judge, in order, up to `closable`: while the rule is held every one
    (a silent minute may still be hot, and whether it is must not depend on when the clocks
    are read), while it is automatic those with counts (a silent one trips nothing)."""
    m, i = state.judged + 1, 0
    while m < closable:
        if state.mode != HELD:
            while i < len(counted) and counted[i] < m:
                i += 1
            if i == len(counted):
                return
            m = counted[i]
        yield m
        m += 1


def _quiet(state: RuleState, breaker: Breaker, now: int) -> list[Change]:
    """Switch back if the quiet period since the last trip condition ended by `now` (a trip
    by command waits for a reset by command)."""
    if state.mode != HELD or not breaker.quiet_period or _manual(state):
        return []
    quiet_at = state.hot_at + breaker.quiet_period
    if quiet_at > now:
        return []
    _switch(state, quiet_at, AUTOMATIC, "quiet_period", "")
    return [Change(quiet_at)]


def _close_periods(state: RuleState, upto: int) -> bool:
    """Feed the detector every period before `upto` (silent ones included). True when one
    closed."""
    q = state.cur_period
    if q >= upto:
        return False
    det, per = state.detector(), PERIOD // MINUTE
    while q < upto:
        count = sum(state.minutes.get(m, 0) for m in range(q * per, (q + 1) * per))
        if count or not det.n:
            det.step(q * PERIOD, count, DETECTOR)
            state.rate += (count - state.rate) / min(det.n, RATE_MEMORY)
            q += 1
            continue
        # a silent run up to the next period with a count, learned in one step
        busy = [m // per for m in state.minutes if q * per <= m < upto * per]
        nxt = min(busy, default=upto)
        det.step(q * PERIOD, 0, DETECTOR)
        if nxt - q > 1:
            det.skip(nxt - q - 1, DETECTOR)
        state.rate *= (1 - 1 / RATE_MEMORY) ** (nxt - q)
        q = nxt
    state.cur_period = q
    return True


def _tripping(state: RuleState, minute: int, breaker: Breaker) -> str:
    """The trip condition that holds on the counts through a minute ("" when none does)."""
    end = minute * MINUTE
    if (
        breaker.max_per_hour
        and w.window_sum(state.minutes, end, HOUR, MINUTE) > breaker.max_per_hour
    ):
        return "cap"
    for region, cap in sorted(breaker.per_region.items()):
        if w.window_sum(state.regions.get(region, {}), end, HOUR, MINUTE) > cap:
            return f"cap:{region}"
    det = state.det
    if not breaker.spike or det is None or det.n < DETECTOR.warmup:
        return ""
    # the open period's count so far, judged as the trend family judges an open period: an
    # incident the detector has open stays hot on the tail test alone
    per = PERIOD // MINUTE
    start = minute - minute % per
    count = sum(state.minutes.get(m, 0) for m in range(start, minute + 1))
    enough = count >= DETECTOR.min_count and count >= DETECTOR.min_ratio * det.expected(
        end, DETECTOR
    )
    return "spike" if (det.open or enough) and det.judge(end, count, DETECTOR)[1] else ""


def _manual(state: RuleState) -> bool:
    """Whether the breaker is held by a trip by command."""
    return bool(state.changes) and state.changes[-1][2].startswith(MANUAL)


def _switch(state: RuleState, at: int, mode: str, reason: str, by: str) -> None:
    state.mode = mode
    state.changes.append((at, mode, reason, by))
    del state.changes[:-CHANGES]
    if reason.startswith("reset"):
        # a reset by command starts counting afresh: the hour that tripped it is judged
        state.minutes, state.regions, state.models = {}, {}, {}


__all__ = [
    "Decided",
    "RuleFact",
    "RuleState",
    "advance",
    "apply",
    "change_at",
    "mode_at",
    "release",
]
