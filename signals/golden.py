"""Golden-set evaluation: run each item's events through the engine and score its decisions.

Each item runs in a pipeline of its own, so one item's events never feed another's signals
(two items of one creator would otherwise lend each other reports). A rule is judged on the
items labelled in its policy area that it could decide on (its target): it is right where it
decided on a violating item (true positive) or left a benign one alone (true negative). A
policy area is judged the same way on any decision in that area. Labels given after the set's
freeze date are left out, so a set keeps meaning what it meant when it was frozen.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import msgspec

from schemas.golden import GoldenItem, GoldenLabel
from schemas.outputs import Decision
from signals.catalogue import SIGNALS
from signals.decision import KIND_TOPIC
from signals.engine import Engine, EngineConfig
from signals.eventtime import epoch_ms, parse_ts
from signals.pipeline import LocalPipeline
from signals.policy.model import ACTION_SEVERITY, ROUTING_URGENCY, PolicyPack, Rule
from signals.stats import f1, ratio, wilson

DECISION_TOPICS = frozenset(KIND_TOPIC.values())
_encode = msgspec.json.Encoder().encode


class Estimate(NamedTuple):
    """A proportion (None when nothing was counted) and its 95% interval."""

    value: float | None
    lo: float
    hi: float


@dataclass
class Tally:
    """A confusion of decided / not decided against violating / benign, with the item ids of
    the two kinds of error."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)

    def add(self, item_id: str, decided: bool, violating: bool) -> None:
        """Count one judged item."""
        if decided and violating:
            self.tp += 1
        elif decided:
            self.fp += 1
            self.false_positives.append(item_id)
        elif violating:
            self.fn += 1
            self.false_negatives.append(item_id)
        else:
            self.tn += 1

    @property
    def support(self) -> int:
        """Items judged."""
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float | None:
        """Share of decided items that were violating (None when nothing was decided)."""
        return ratio(self.tp, self.tp + self.fp)

    def estimates(self) -> dict[str, Estimate]:
        """Precision, recall and F1, each with its 95% interval."""
        f, f_ci = f1(self.tp, self.fp, self.fn)
        return {
            "precision": Estimate(
                ratio(self.tp, self.tp + self.fp), *wilson(self.tp, self.tp + self.fp)
            ),
            "recall": Estimate(
                ratio(self.tp, self.tp + self.fn), *wilson(self.tp, self.tp + self.fn)
            ),
            "f1": Estimate(f, *f_ci),
        }

    def figures(self) -> dict[str, object]:
        """The estimates and the counts behind them, as plain data."""
        out: dict[str, object] = {}
        for name, est in self.estimates().items():
            out[name] = est.value
            out[f"{name}_ci"] = (est.lo, est.hi)
        out |= {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn, "support": self.support}
        return out


@dataclass
class RuleResult:
    """How one rule did on the set."""

    rule: Rule
    tally: Tally = field(default_factory=Tally)

    @property
    def below_target(self) -> bool:
        """The rule names a min_precision and its precision on the set is below it (a rule
        that decided on nothing has no precision and misses nothing)."""
        p = self.tally.precision
        target = self.rule.min_precision
        return target is not None and p is not None and p < target


@dataclass
class GoldenResult:
    """Everything `vigil golden eval` reports."""

    rules: list[RuleResult]
    areas: dict[str, Tally]
    # (policy area, expected, actual) -> items: expected is the label's expected_outcome, or
    # violating / not_violating; actual the most severe outcome vigil gave (or none)
    confusion: Counter[tuple[str, str, str]]
    items: int
    labels: int
    late_labels: int  # given after the freeze date: not counted
    dead_letters: dict[str, int]  # item id -> events the engine refused
    runs: dict[str, "ItemRun"]  # item id -> what the engine did with it
    counted: dict[str, dict[str, GoldenLabel]]  # item id -> the labels that count, per area

    @property
    def failing(self) -> list[RuleResult]:
        """Rules below their min_precision."""
        return [r for r in self.rules if r.below_target]


def evaluate(
    pack: PolicyPack,
    items: Iterable[GoldenItem],
    frozen_at: int | None = None,
    config: EngineConfig | None = None,
) -> GoldenResult:
    """Run every item through the engine and score the pack's rules and policy areas."""
    rules = [r for t in ("content", "creator") for r in pack.active(t)]
    result = GoldenResult(
        rules=[RuleResult(r) for r in rules],
        areas={},
        confusion=Counter(),
        items=0,
        labels=0,
        late_labels=0,
        dead_letters={},
        runs={},
        counted={},
    )
    engine = Engine(pack, config)
    reads = {t: pack.reads(t) for t in ("content", "creator")}
    for item in items:
        result.items += 1
        run = run_item(engine, item, reads[item.target])
        result.runs[item.item_id] = run
        if run.refused:
            result.dead_letters[item.item_id] = run.refused
        labels = current_labels(item.labels, frozen_at)
        result.counted[item.item_id] = labels
        result.late_labels += len(item.labels) - _given(item.labels, frozen_at)
        result.labels += len(labels)
        _score(result, item, labels, run.decisions)
    return result


class Snapshot(NamedTuple):
    """The signals the rules read about an item's target as of one of its events, when rules
    ran (its region known): what a root cause or a threshold sweep re-reads."""

    ts: int
    region: str
    values: dict[str, Any]


@dataclass
class ItemRun:
    """What the engine did with one item: its decisions, the events it refused, and the
    signal values after each event."""

    item: GoldenItem
    decisions: list[Decision] = field(default_factory=list)
    refused: int = 0
    snapshots: list[Snapshot] = field(default_factory=list)


def run_item(engine: Engine, item: GoldenItem, reads: tuple[str, ...] = ()) -> ItemRun:
    """Feed an item's events in event-time order; keep the decisions on its target and,
    after each event, the values of the signals in `reads`."""
    pipe = LocalPipeline(engine)
    states: dict[str, Any] = pipe.content if item.target == "content" else pipe.creators
    run = ItemRun(item)
    timed = sorted(((_event_ts(e.value), n, e) for n, e in enumerate(item.events)))
    for ts, _, ev in timed:
        key = ev.value.get("content_id")
        raw = _encode(ev.value)
        for e in pipe.feed(ev.topic, key.encode() if isinstance(key, str) else None, raw):
            d = e.record
            if (
                e.topic in DECISION_TOPICS
                and isinstance(d, Decision)
                and d.target.type == item.target
                and d.target.id == item.id
            ):
                run.decisions.append(d)
        state = states.get(item.id)
        if reads and state is not None and state.region:
            values = {n: SIGNALS[n].read(state, ts) for n in reads}
            run.snapshots.append(Snapshot(ts, state.region, values))
    run.refused = pipe.dead_letters
    return run


def current_labels(labels: list[GoldenLabel], frozen_at: int | None) -> dict[str, GoldenLabel]:
    """The label that counts per policy area: the newest given by the freeze date."""
    out: dict[str, GoldenLabel] = {}
    for lab in sorted(labels, key=lambda lb: epoch_ms(lb.labelled_at)):
        if frozen_at is None or epoch_ms(lab.labelled_at) <= frozen_at:
            out[lab.policy_area] = lab
    return out


def outcome_of(decisions: list[Decision]) -> str:
    """The outcome an item got in one area: its most severe action, else its most urgent
    routing, else none (shadow decisions are what a draft would have done, so they count)."""
    actions = [d.outcome for d in decisions if d.outcome in ACTION_SEVERITY]
    if actions:
        return max(actions, key=ACTION_SEVERITY.__getitem__)
    routed = [d.outcome for d in decisions if d.outcome in ROUTING_URGENCY]
    return max(routed, key=ROUTING_URGENCY.__getitem__) if routed else "none"


def _score(
    result: GoldenResult,
    item: GoldenItem,
    labels: dict[str, GoldenLabel],
    decisions: list[Decision],
) -> None:
    fired = {d.rule.id for d in decisions}
    for rr in result.rules:
        lab = labels.get(rr.rule.policy_area)
        if lab is not None and rr.rule.target == item.target:
            rr.tally.add(item.item_id, rr.rule.id in fired, lab.violating)
    for area, lab in labels.items():
        in_area = [d for d in decisions if d.policy_area == area]
        result.areas.setdefault(area, Tally()).add(item.item_id, bool(in_area), lab.violating)
        expected = lab.expected_outcome or ("violating" if lab.violating else "not_violating")
        result.confusion[area, expected, outcome_of(in_area)] += 1


def _given(labels: list[GoldenLabel], frozen_at: int | None) -> int:
    if frozen_at is None:
        return len(labels)
    return sum(1 for lab in labels if epoch_ms(lab.labelled_at) <= frozen_at)


def _event_ts(value: dict[str, object]) -> int:
    """An event's time for ordering (unreadable times sort first; the decoder refuses them)."""
    ts = value.get("ts")
    try:
        return parse_ts(ts) if isinstance(ts, str | int) else 0
    except ValueError:
        return 0


def summary(result: GoldenResult) -> dict[str, object]:
    """The result as plain data (`vigil golden eval --json`)."""
    return {
        "items": result.items,
        "labels": result.labels,
        "late_labels": result.late_labels,
        "dead_letters": result.dead_letters,
        "rules": [
            {
                "rule": rr.rule.id,
                "version": rr.rule.version,
                "policy_area": rr.rule.policy_area,
                "mode": rr.rule.mode,
                "min_precision": rr.rule.min_precision,
                "below_target": rr.below_target,
                **rr.tally.figures(),
                "false_positives": rr.tally.false_positives,
                "false_negatives": rr.tally.false_negatives,
            }
            for rr in result.rules
        ],
        "areas": {area: t.figures() for area, t in sorted(result.areas.items())},
        "confusion": [
            {"policy_area": a, "expected": e, "actual": o, "items": n}
            for (a, e, o), n in sorted(result.confusion.items())
        ],
        "failing": [rr.rule.id for rr in result.failing],
    }


__all__ = [
    "GoldenResult",
    "ItemRun",
    "RuleResult",
    "Snapshot",
    "Tally",
    "evaluate",
    "run_item",
    "summary",
]
