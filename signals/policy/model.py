"""The compiled form of a policy pack: rules ready to evaluate, and the pack's content hash."""

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, get_args

from schemas.outputs import Outcome, TargetType
from signals.eventtime import DAY

# the vocabularies are the output contract's (schemas/outputs.py), defined there once
OUTCOMES: tuple[str, ...] = get_args(Outcome)
ESCALATION_OUTCOMES = frozenset({"review", "escalate"})
# Conflicts are settled per channel. Enforcement actions, least to most severe: a target gets an
# action only if it is more severe than every action it already got in the rule's window.
# Routing to humans, least to most urgent: one routing per target per event, the most urgent.
ACTION_SEVERITY: dict[str, int] = {
    "label": 1,
    "age_restrict": 2,
    "limit_distribution": 3,
    "remove": 4,
    "strike": 5,
    "suspend_creator": 6,
}
ROUTING_URGENCY: dict[str, int] = {"review": 1, "escalate": 2}
# what a creator's strike ladder may do at a step (signals.ladder), least to most severe;
# ladders are not rules, so these are never settled against rule actions
LADDER_OUTCOMES: tuple[str, ...] = (
    "warn",
    "feature_limit",
    "limit_distribution",
    "suspend_creator",
    "ban_creator",
)
REINSTATE: Final = "reinstate"  # the outcome of a reversal
# what a rule may decide: the ranked outcomes
RULE_OUTCOMES: tuple[str, ...] = tuple(
    o for o in OUTCOMES if o in ACTION_SEVERITY or o in ROUTING_URGENCY
)
# every outcome is ranked, or belongs to the ladder or to reversals
assert set(ACTION_SEVERITY) | set(ROUTING_URGENCY) | set(LADDER_OUTCOMES) | {REINSTATE} == set(
    OUTCOMES
)
MODES: tuple[str, ...] = ("enforce", "shadow", "disabled")
TARGETS: tuple[str, ...] = get_args(TargetType)


_COMPARISON = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(>=|<=|>|<|==)\s*(-?\d+(?:\.\d+)?)\s*$")
_STRING_EQ = re.compile(r'^\s*([a-z_][a-z0-9_]*)\s*==\s*"([^"\\]*)"\s*$')
_STRING = re.compile(r'"[^"\\]*"')
_STRING_IN = re.compile(r'^\s*([a-z_][a-z0-9_]*)\s+in\s+\[((?:\s*"[^"\\]*"\s*,?)*)\]\s*$')
OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "in": lambda v, c: v in c,
}


def guards_of(when: str) -> tuple[tuple[str, str, Any], ...]:
    """Top-level `signal OP number`, `signal == "text"` and `signal in ["text", ...]` conjuncts
    of a condition: each is necessary for it to hold.

    Only for plain conjunctions (no ||, ?:, !, parentheses, single quotes, or operators inside
    string literals), where splitting on && is exact. A failed guard means CEL would return
    false too, so evaluation can stop early.
    """
    bare = _STRING.sub('""', when)
    if "'" in when or any(tok in bare for tok in ("||", "?", "!", "(", ")")):
        return ()
    if any(ch in lit for lit in _STRING.findall(when) for ch in "&|"):
        return ()
    out: list[tuple[str, str, Any]] = []
    for part in when.split("&&"):
        m = _COMPARISON.match(part)
        if m:
            out.append((m.group(1), m.group(2), float(m.group(3))))
            continue
        m = _STRING_EQ.match(part)
        if m:
            out.append((m.group(1), "==", m.group(2)))
            continue
        m = _STRING_IN.match(part)
        if m:  # a watchlist: one set lookup before anything costlier is read
            words = frozenset(t[1:-1] for t in _STRING.findall(m.group(2)))
            out.append((m.group(1), "in", words))
    return tuple(out)


@dataclass(frozen=True)
class Bands:
    """Confidence bands on one signal: >= enforce_at acts, [review_at, enforce_at) goes to review.

    Below review_at (or below enforce_at when there is no review band) nothing happens.
    """

    signal: str
    enforce_at: float
    review_at: float | None = None

    def band(self, value: float) -> str | None:
        """`enforce`, `review` or None for a signal value."""
        if value >= self.enforce_at:
            return "enforce"
        if self.review_at is not None and value >= self.review_at:
            return "review"
        return None


@dataclass(frozen=True)
class Rule:
    """One validated, compiled rule (or one region's variant of it)."""

    id: str
    version: int
    owner: str
    description: str
    policy_area: str
    target: str
    when: str
    outcome: str
    mode: str
    once_per: int  # decision window in ms; 0 = once per target, ever
    queue: str | None
    priority: int | None
    reads: tuple[str, ...]  # signal names the condition reads
    file: str
    line: int
    program: Any = field(compare=False, repr=False)  # cel.Program
    # the same condition as a Python predicate over the signal values, when it is plain
    # enough (signals.policy.plain); None runs the CEL program
    test: Callable[[dict[str, Any]], bool] | None = field(default=None, compare=False, repr=False)
    bands: Bands | None = None
    region: str | None = None  # the region whose override this variant is
    # the precision the rule must keep on a golden set (`vigil golden eval` fails below it)
    min_precision: float | None = None
    # after a human cleared the video: act on it again once this many reporters reported it
    # since (new evidence), once per clearing; None: never again (`rearm: {new_reporters: N}`)
    rearm_reporters: int | None = None
    regions: dict[str, "Rule"] = field(default_factory=dict, compare=False, repr=False)
    key: str = field(init=False, compare=False, repr=False)  # identity in per-key state
    # necessary conditions checked in Python before CEL runs: (signal, op, constant)
    guards: tuple[tuple[str, str, Any], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.id}@{self.version}")
        guards = guards_of(self.when)
        if self.bands:
            low = (
                self.bands.review_at
                if self.bands.review_at is not None
                else (self.bands.enforce_at)
            )
            guards = ((self.bands.signal, ">=", low), *guards)
        object.__setattr__(self, "guards", guards)

    def for_region(self, region: str) -> "Rule":
        """The variant that applies in a region (the rule itself without an override)."""
        return self.regions.get(region, self) if self.regions else self

    @property
    def acts(self) -> bool:
        """Whether the rule can take an automatic action, in some region."""
        return any(v.outcome in ACTION_SEVERITY for v in (self, *self.regions.values()))

    @property
    def all_reads(self) -> tuple[str, ...]:
        """Signals read by this rule in any region."""
        out = dict.fromkeys(self.reads)
        for v in self.regions.values():
            out.update(dict.fromkeys(v.reads))
        return tuple(out)

    def window_start(self, ts: int) -> int:
        """Start of the decision window ts falls in (0 for once-per-lifetime rules)."""
        return ts - ts % self.once_per if self.once_per else 0


@dataclass(frozen=True)
class Step:
    """One step of a strike ladder: what happens once a creator has this many active
    strikes in the ladder's policy area; `duration` (ms) makes the measure temporary."""

    strikes: int
    outcome: str
    duration: int = 0
    line: int = 0


@dataclass(frozen=True)
class StrikePolicy:
    """The pack's creator strike ladders (signals.ladder): which content actions earn their
    creator a strike in the action's policy area, how long a strike stays active, and the
    steps per area (`default` for the areas without a ladder of their own)."""

    expiry: int  # ms a strike stays active
    earned_by: frozenset[str]  # content action outcomes that earn a strike
    ladders: dict[str, tuple[Step, ...]]
    file: str = ""
    line: int = 0

    def ladder(self, area: str) -> tuple[str, tuple[Step, ...]]:
        """The ladder that applies in a policy area, by name (the area, or `default`)."""
        if area in self.ladders:
            return area, self.ladders[area]
        return "default", self.ladders.get("default", ())


@dataclass(frozen=True)
class Breaker:
    """A rule's circuit breaker (signals.breaker): when its automatic actions switch to
    routing to review, and when they switch back by themselves."""

    max_per_hour: int = 0  # would-be actions in an hour past which it trips (0: no cap)
    per_region: dict[str, int] = field(default_factory=dict)  # the same, per region
    spike: bool = True  # trip when the rule's own count rises far above its normal rate
    quiet_period: int = 0  # ms without a trip condition after which it resets (0: by command)


@dataclass(frozen=True)
class Sampling:
    """QA sampling: the share of each rule's enforced actions (per rule and region) that
    also goes to a QA review queue."""

    share: float = 0.0  # 0: no sampling
    queue: str = "qa-sample"
    rules: dict[str, float] = field(default_factory=dict)  # a rule's own share

    def share_of(self, rule_id: str) -> float:
        """The share sampled of a rule's actions."""
        return self.rules.get(rule_id, self.share)


HELD_QUEUE = "held-by-breaker"  # where the actions a rule's breaker holds wait for a human


@dataclass(frozen=True)
class ReviewQueue:
    """A human review queue (signals.triage): what its reviewers clear in an hour, and the
    wait within which every item should be reviewed (its least urgent items' due time)."""

    capacity_per_hour: int = 100
    service_level: int = DAY  # ms


@dataclass(frozen=True)
class ReviewTraffic:
    """Traffic control for human review: how urgent each policy area's items are at least,
    how reach raises that, and the queues with their capacity and service level."""

    # policy area -> the most urgent priority its items start at (1 most urgent .. 5)
    area_priority: dict[str, int] = field(default_factory=dict)
    reach_step: int = 10  # each reach_step-fold of an item's reach: one priority more urgent
    queues: dict[str, ReviewQueue] = field(default_factory=dict)
    default: ReviewQueue | None = field(default_factory=ReviewQueue)  # None: declared only

    def queue(self, name: str) -> ReviewQueue:
        """A queue's capacity and service level (the default's, for one not declared)."""
        return self.queues.get(name) or self.default or ReviewQueue()


@dataclass(frozen=True)
class Guardrails:
    """The pack's guardrails on automation: each automatic rule's breaker (`default` for the
    rules without one of their own), and QA sampling of their actions."""

    default: Breaker = field(default_factory=Breaker)
    rules: dict[str, Breaker] = field(default_factory=dict)
    file: str = ""
    line: int = 0
    sampling: Sampling = field(default_factory=Sampling)
    review: ReviewTraffic = field(default_factory=ReviewTraffic)

    def breaker(self, rule_id: str) -> Breaker:
        """The breaker of a rule."""
        return self.rules.get(rule_id, self.default)


@dataclass(frozen=True)
class PolicyPack:
    """A validated set of rules and the hash every decision carries."""

    rules: tuple[Rule, ...]
    hash: str
    source: str
    strikes: StrikePolicy | None = None  # without one, no action earns a strike
    # without a guardrails section every automatic rule has the default breaker
    guardrails: Guardrails = field(default_factory=Guardrails)

    @property
    def earns(self) -> frozenset[str]:
        """The content action outcomes that earn their creator a strike."""
        return self.strikes.earned_by if self.strikes else frozenset()

    def active(self, target: str) -> tuple[Rule, ...]:
        """Rules of a target that run (enforce or shadow) in some region, in file order."""
        return tuple(
            r
            for r in self.rules
            if r.target == target
            and (r.mode != "disabled" or any(v.mode != "disabled" for v in r.regions.values()))
        )

    def reads(self, target: str) -> tuple[str, ...]:
        """Every signal the active rules of a target read, each once."""
        seen: dict[str, None] = {}
        for r in self.active(target):
            for name in r.all_reads:
                seen[name] = None
        return tuple(seen)

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, if the pack has it."""
        return next((r for r in self.rules if r.id == rule_id), None)
