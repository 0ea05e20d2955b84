"""Root causes of a golden set's errors: which clause of a rule's condition decided, on what.

For a false positive, the clauses that made the condition hold when the rule fired ("why");
for a false negative, the clauses that kept it false at the moment it came nearest to holding
("why not"), with the ones that did hold as context. Each clause comes with the value the
rule read against its threshold. Grouping the errors of a rule by their deciding clauses
makes the common causes stand out: "12 of 15 false positives: reports_24h_hate >= 2 with
score_max_hate >= 0.6, region BR".
"""

import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import cel

from signals.catalogue import SIGNALS
from signals.golden import GoldenResult, ItemRun, Snapshot
from signals.policy.condition import All, AnyOf, Compare, Const, Flag, Member, Node, Not, parse
from signals.policy.model import Rule

FALSE_POSITIVE = "false positive"
FALSE_NEGATIVE = "false negative"


@dataclass(frozen=True)
class Clause:
    """A leaf of the condition as it stood: its text (negated where it was false), the signal
    it read and the value read."""

    text: str
    signal: str | None
    value: Any


@dataclass(frozen=True)
class Cause:
    """Why a rule got one item wrong."""

    item_id: str
    rule_id: str
    kind: str  # false positive | false negative
    deciding: tuple[Clause, ...]  # the clauses that decided the condition's value
    context: tuple[Clause, ...]  # of a miss: the clauses that held
    region: str | None
    ts: int | None  # the snapshot explained (None: no event reached the rule)
    note: str = ""

    @property
    def signature(self) -> tuple[str, ...]:
        """What errors are grouped by: the deciding clauses, or the note without them."""
        return tuple(c.text for c in self.deciding) or (self.note,)


def condition_of(rule: Rule) -> Node | None:
    """The rule's condition as a tree, or None when it is outside the plain subset."""
    return _parsed(rule.when, rule.reads)


@functools.cache
def _parsed(when: str, reads: tuple[str, ...]) -> Node | None:
    return parse(when, {n: SIGNALS[n].type for n in reads})


def explain(rule: Rule, run: ItemRun, fired: bool) -> Cause:
    """Why a rule fired on an item or did not (the cause of a false positive or a false
    negative; the same trace of a right call says why it was right)."""
    kind = FALSE_POSITIVE if fired else FALSE_NEGATIVE
    item_id = run.item.item_id
    if not run.snapshots:
        return Cause(item_id, rule.id, kind, (), (), run.item.region, None, _no_snapshot(run))
    snap = _firing(rule, run.snapshots) if fired else _nearest(rule, run.snapshots)
    variant = rule.for_region(snap.region)
    tree = condition_of(variant)
    note = ""
    if variant.mode == "disabled":
        note = f"the rule is disabled in region {snap.region}"
    if tree is None:
        values = tuple(Clause(n, n, snap.values.get(n)) for n in variant.reads)
        note = note or "condition outside the plain subset: the values it read"
        return Cause(item_id, rule.id, kind, values, (), snap.region, snap.ts, note)
    holds = tree.holds(snap.values)
    deciding = [
        _clause(leaf, truth, snap.values)
        for leaf, truth in _deciding(tree, holds, snap.values)
        if not isinstance(leaf, Const)  # `true` decides nothing worth reading
    ]
    context: list[Clause] = []
    band = _band_clause(variant, snap.values, fired)
    if band is not None:
        if holds and not fired:  # the condition held; the band is what kept it out
            deciding = [band]
        else:
            deciding.append(band)
    if not fired:
        context = [
            _clause(leaf, True, snap.values) for leaf in _leaves(tree) if leaf.holds(snap.values)
        ]
        context = [c for c in context if c.text not in {d.text for d in deciding}]
        if holds and band is None and not note:
            note = "the condition held but another decision outranked it or a human cleared it"
    return Cause(
        item_id, rule.id, kind, tuple(deciding), tuple(context), snap.region, snap.ts, note
    )


@dataclass
class CauseGroup:
    """Errors of one rule and kind that share their deciding clauses."""

    rule_id: str
    kind: str
    signature: tuple[str, ...]
    causes: list[Cause] = field(default_factory=list)

    @property
    def regions(self) -> Counter[str]:
        return Counter(c.region or "unknown" for c in self.causes)

    def ranges(self) -> dict[str, tuple[Any, Any]]:
        """Per signal read by the deciding clauses: the smallest and largest value read."""
        seen: dict[str, list[Any]] = {}
        for c in self.causes:
            for cl in (*c.deciding, *c.context):
                numeric = isinstance(cl.value, int | float) and not isinstance(cl.value, bool)
                if cl.signal is not None and numeric:
                    seen.setdefault(cl.signal, []).append(cl.value)
        return {s: (min(v), max(v)) for s, v in seen.items()}


def causes(result: GoldenResult) -> list[Cause]:
    """The cause of every false positive and false negative in an evaluation."""
    out = []
    for rr in result.rules:
        for kind, ids in (
            (FALSE_POSITIVE, rr.tally.false_positives),
            (FALSE_NEGATIVE, rr.tally.false_negatives),
        ):
            for item_id in ids:
                out.append(explain(rr.rule, result.runs[item_id], kind == FALSE_POSITIVE))
    return out


def grouped(found: list[Cause]) -> list[CauseGroup]:
    """Causes grouped by rule, kind and deciding clauses, largest group first."""
    groups: dict[tuple[str, str, tuple[str, ...]], CauseGroup] = {}
    for c in found:
        key = (c.rule_id, c.kind, c.signature)
        groups.setdefault(key, CauseGroup(*key)).causes.append(c)
    return sorted(groups.values(), key=lambda g: (-len(g.causes), g.rule_id, g.kind, g.signature))


def group_summary(groups: list[CauseGroup]) -> list[dict[str, Any]]:
    """Groups as plain data (`vigil golden eval --json`)."""
    return [
        {
            "rule": g.rule_id,
            "kind": g.kind,
            "clauses": list(g.signature),
            "errors": len(g.causes),
            "regions": dict(g.regions.most_common()),
            "ranges": {s: list(r) for s, r in g.ranges().items()},
            "items": [c.item_id for c in g.causes],
        }
        for g in groups
    ]


def _deciding(node: Node, holds: bool, values: dict[str, Any]) -> list[tuple[Node, bool]]:
    """The leaves that gave `node` (whose value is `holds`) its value, each with its own."""
    if isinstance(node, Not):
        return _deciding(node.inner, not holds, values)
    if isinstance(node, All | AnyOf):
        parts = node.parts
        # a true && needs every part, a false || is false in every part; otherwise the parts
        # that have the node's value decided it
        if holds == isinstance(node, All):
            return [leaf for p in parts for leaf in _deciding(p, holds, values)]
        decided = [p for p in parts if p.holds(values) == holds]
        return [leaf for p in decided for leaf in _deciding(p, holds, values)]
    return [(node, holds)]


def _leaves(node: Node) -> list[Node]:
    return [n for n in node.walk() if isinstance(n, Compare | Flag | Member)]


def _clause(leaf: Node, truth: bool, values: dict[str, Any]) -> Clause:
    signal = getattr(leaf, "signal", None)
    text = leaf.text() if truth else leaf.negated_text()
    return Clause(text, signal, values.get(signal) if signal else None)


def _band_clause(rule: Rule, values: dict[str, Any], fired: bool) -> Clause | None:
    """Where the banded signal sat: at or above the band that fired, or below the lowest."""
    b = rule.bands
    if b is None:
        return None
    v = values.get(b.signal)
    low = b.review_at if b.review_at is not None else b.enforce_at
    if fired:
        edge = b.enforce_at if v is not None and v >= b.enforce_at else low
        return Clause(f"{b.signal} >= {edge!r}", b.signal, v)
    if v is not None and v >= low:
        return None
    return Clause(f"{b.signal} < {low!r}", b.signal, v)


def fires(rule: Rule, values: dict[str, Any]) -> bool:
    """Whether a rule (variant) would fire on these signal values: its condition and its
    bands hold (what the engine's evaluation decides, before windows and conflicts)."""
    if rule.mode == "disabled":
        return False
    try:
        if rule.test is not None:
            holds = rule.test(values)
        else:
            holds = rule.program.execute(cel.Context(variables=values)) is True
    except Exception:  # the engine counts a failing condition as not holding, so do we
        return False
    return holds and (rule.bands is None or rule.bands.band(values[rule.bands.signal]) is not None)


def _matches(rule: Rule, snap: Snapshot) -> bool:
    return fires(rule.for_region(snap.region), snap.values)


def _firing(rule: Rule, snaps: list[Snapshot]) -> Snapshot:
    """The first snapshot at which the rule's condition and bands held (the last if none
    did: a condition outside the plain subset)."""
    return next((s for s in snaps if _matches(rule, s)), snaps[-1])


def _nearest(rule: Rule, snaps: list[Snapshot]) -> Snapshot:
    """The snapshot at which the rule came nearest to holding: the most leaves true, latest
    first among equals."""

    def closeness(s: Snapshot) -> tuple[int, int]:
        tree = condition_of(rule.for_region(s.region))
        if tree is None:
            return 0, s.ts
        return sum(1 for leaf in _leaves(tree) if leaf.holds(s.values)), s.ts

    return max(snaps, key=closeness)


def _no_snapshot(run: ItemRun) -> str:
    if not run.item.events:
        return "the item has no events"
    return "no event about the item reached the rules (its upload never arrived)"


__all__ = [
    "Cause",
    "CauseGroup",
    "Clause",
    "causes",
    "condition_of",
    "explain",
    "fires",
    "group_summary",
    "grouped",
]
