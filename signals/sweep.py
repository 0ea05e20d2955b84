"""Threshold sweeps: how a rule's precision and recall move as one of its thresholds does.

The events are run once (signals.golden keeps every item's signal values after each event);
each grid point re-evaluates only the rule's condition, with one literal replaced, on those
snapshots. An item counts as decided at a grid point when the condition (and the rule's
bands) held at any of its snapshots, which is how the rule fires. The rule is judged on its
own: a decision another rule outranked at the current threshold counts here, so a sweep's
figures can differ from `vigil golden eval`'s by such items.

The critical threshold is the loosest grid point (the most decisions) whose precision meets
the target at the lower bound of its 95% Wilson interval: the point a policy manager can
move to and still defend the target on this set.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from signals.golden import GoldenResult, ItemRun, Tally
from signals.policy.condition import Compare
from signals.policy.model import Bands, Rule
from signals.policy.plain import compile_swept
from signals.rootcause import condition_of, fires
from signals.stats import wilson

ENFORCE_AT = "bands.enforce_at"
REVIEW_AT = "bands.review_at"


class NotSweepable(ValueError):
    """The rule has no threshold a sweep can vary (or its condition is outside the plain
    subset)."""


@dataclass(frozen=True)
class Threshold:
    """One literal of a rule a sweep may vary: a numeric comparison or a band edge."""

    name: str  # the clause as written (`score_max_hate >= 0.85`) or bands.enforce_at
    signal: str
    current: float
    node: Compare | None = None  # None for a band edge


@dataclass
class Point:
    """The rule's figures with the threshold at one value."""

    value: float
    tally: Tally

    @property
    def decisions(self) -> int:
        return self.tally.tp + self.tally.fp

    @property
    def precision_lo(self) -> float:
        """The lower bound of the precision's 95% interval (0 when nothing is decided)."""
        return wilson(self.tally.tp, self.decisions)[0]


@dataclass
class Curve:
    """A threshold's precision/recall curve on a golden set."""

    rule: Rule
    threshold: Threshold
    target: float
    points: list[Point] = field(default_factory=list)
    fixed_regions: tuple[str, ...] = ()  # regions whose override is evaluated as written

    @property
    def current(self) -> Point:
        return next(p for p in self.points if p.value == self.threshold.current)

    @property
    def critical(self) -> Point | None:
        """The loosest point whose precision's lower bound meets the target."""
        ok = [p for p in self.points if p.decisions and p.precision_lo >= self.target]
        if not ok:
            return None
        return max(ok, key=lambda p: (p.decisions, -abs(p.value - self.threshold.current)))

    @property
    def volume_change(self) -> float | None:
        """Decisions at the critical threshold against decisions now, as a ratio minus one."""
        crit, now = self.critical, self.current
        if crit is None or not now.decisions:
            return None
        return crit.decisions / now.decisions - 1


def curve_summary(curve: Curve) -> dict[str, Any]:
    """A curve as plain data (`vigil golden sweep --json`)."""
    crit = curve.critical
    return {
        "rule": curve.rule.id,
        "threshold": curve.threshold.name,
        "signal": curve.threshold.signal,
        "current": curve.threshold.current,
        "target_precision": curve.target,
        "critical": None if crit is None else crit.value,
        "volume_change": curve.volume_change,
        "fixed_regions": list(curve.fixed_regions),
        "points": [
            {
                "value": p.value,
                "decisions": p.decisions,
                "tp": p.tally.tp,
                "fp": p.tally.fp,
                "fn": p.tally.fn,
                "tn": p.tally.tn,
                "precision": p.tally.precision,
                "precision_lo": p.precision_lo,
                "recall": p.tally.estimates()["recall"].value,
            }
            for p in curve.points
        ],
    }


def thresholds(rule: Rule) -> list[Threshold]:
    """Every threshold a sweep may vary in a rule: its numeric comparisons, its band edges."""
    out = []
    tree = condition_of(rule)
    if tree is None and rule.when.strip() != "true":
        raise NotSweepable(
            f"{rule.id}: its condition is outside the plain subset (comparisons of signals "
            "with literals under &&, || and !), so no threshold in it can be varied"
        )
    for node in tree.walk() if tree is not None else ():
        if isinstance(node, Compare) and node.numeric:
            out.append(Threshold(node.text(), node.signal, float(node.literal), node))
    if rule.bands is not None:
        out.append(Threshold(ENFORCE_AT, rule.bands.signal, rule.bands.enforce_at))
        if rule.bands.review_at is not None:
            out.append(Threshold(REVIEW_AT, rule.bands.signal, rule.bands.review_at))
    if not out:
        raise NotSweepable(f"{rule.id}: no numeric threshold or band to vary")
    return out


def sweep(
    result: GoldenResult,
    rule: Rule,
    threshold: Threshold,
    target: float = 0.95,
    grid: int = 40,
) -> Curve:
    """The precision/recall curve of one threshold over a grid of values, from the snapshots
    an evaluation kept (no event is replayed)."""
    judged = _judged(result, rule)
    decides = _decider(rule, threshold)
    fixed = sorted(
        {
            s.region
            for run, _ in judged
            for s in run.snapshots
            if _overridden(rule, rule.for_region(s.region))
        }
    )
    curve = Curve(rule, threshold, target, fixed_regions=tuple(fixed))
    for value in grid_values(judged, threshold, grid):
        tally = Tally()
        for run, violating in judged:
            decided = any(decides(s.region, s.values, value) for s in run.snapshots)
            tally.add(run.item.item_id, decided, violating)
        curve.points.append(Point(value, tally))
    return curve


def grid_values(judged: list[tuple[ItemRun, bool]], threshold: Threshold, grid: int) -> list[float]:
    """The values to try: the signal's values read on the set (where decisions can change),
    thinned to about `grid` evenly spaced by rank, and the current threshold."""
    seen = sorted(
        {
            float(v)
            for run, _ in judged
            for s in run.snapshots
            if isinstance(v := s.values.get(threshold.signal), int | float)
            and not isinstance(v, bool)
        }
    )
    if len(seen) > grid:
        step = (len(seen) - 1) / (grid - 1)
        seen = [seen[round(i * step)] for i in range(grid)]
    return sorted({*seen, threshold.current})


def _judged(result: GoldenResult, rule: Rule) -> list[tuple[ItemRun, bool]]:
    """The items labelled in the rule's area whose target it decides on, with their label."""
    out = []
    for item_id, run in result.runs.items():
        label = result.counted[item_id].get(rule.policy_area)
        if label is not None and run.item.target == rule.target:
            out.append((run, label.violating))
    return out


def _overridden(rule: Rule, variant: Rule) -> bool:
    """A region's override changes what the sweep varies: it is evaluated as written."""
    return variant is not rule and (variant.when != rule.when or variant.bands != rule.bands)


def _decider(rule: Rule, threshold: Threshold) -> Callable[[str, dict[str, Any], float], bool]:
    """decides(region, values, t): whether the rule fires on these values with the threshold
    at t (a region whose override changes the condition or bands uses its own)."""
    tree = condition_of(rule)
    node = threshold.node
    swept = compile_swept(tree, node) if tree is not None and node is not None else None
    base = tree.holds if tree is not None else (lambda v: fires(rule, v))

    def banded(bands: Bands | None, v: dict[str, Any], t: float) -> bool:
        if bands is None:
            return True
        if threshold.name == ENFORCE_AT:
            bands = Bands(bands.signal, t, None)  # the action's band alone
        elif threshold.name == REVIEW_AT:
            bands = Bands(bands.signal, bands.enforce_at, t)
        return bands.band(v[bands.signal]) is not None

    def decides(region: str, v: dict[str, Any], t: float) -> bool:
        variant = rule.for_region(region)
        if variant.mode == "disabled":
            return False
        if _overridden(rule, variant):
            return fires(variant, v)
        return (swept(v, t) if swept is not None else base(v)) and banded(rule.bands, v, t)

    return decides


__all__ = [
    "Curve",
    "NotSweepable",
    "Point",
    "Threshold",
    "curve_summary",
    "sweep",
    "thresholds",
]
