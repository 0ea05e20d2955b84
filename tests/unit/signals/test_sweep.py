"""Threshold sweeps: the curve is re-evaluated from the snapshots, agrees with an evaluation
at the current threshold, and finds the loosest value that defends the target."""

import pytest

import signals.golden
from signals.golden import evaluate
from signals.policy import PolicyPack, parse_pack
from signals.sweep import ENFORCE_AT, NotSweepable, sweep, thresholds
from tests.unit.signals.test_golden import FROZEN, PACK, item
from tests.unit.signals.test_rootcause import BANDED

ARITHMETIC = """
  - id: hate.arithmetic
    version: 1
    owner: tests
    description: not plain
    policy_area: hate
    target: content
    when: reports_24h_hate + reports_1h > 3
    outcome: label
"""


@pytest.fixture(scope="module")
def pack() -> PolicyPack:
    return parse_pack({"policies/test.yaml": PACK})


@pytest.fixture(scope="module")
def banded() -> PolicyPack:
    return parse_pack({"policies/test.yaml": "rules:" + BANDED + ARITHMETIC})


def _items() -> list:
    # hate scores: violating ones high, benign ones spread, so a lower threshold buys recall
    # at the cost of precision
    scores = [(0.99, True), (0.98, True), (0.96, True), (0.93, True), (0.9, False)]
    scores += [(0.85, True), (0.8, False), (0.7, False), (0.6, True), (0.3, False)]
    return [item(n, s, v) for n, (s, v) in enumerate(scores)]


def test_the_current_point_is_the_evaluation(
    pack: PolicyPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = evaluate(pack, _items(), FROZEN)
    rule = pack.rule("hate.remove")
    assert rule is not None
    (th,) = thresholds(rule)
    assert th.name == "score_max_hate >= 0.97" and th.current == 0.97

    def no_replay(*_: object) -> None:
        raise AssertionError("a sweep must not run the events again")

    monkeypatch.setattr(signals.golden, "LocalPipeline", no_replay)
    curve = sweep(result, rule, th, target=0.5, grid=50)
    evaluated = next(rr.tally for rr in result.rules if rr.rule.id == "hate.remove")
    now = curve.current.tally
    assert (now.tp, now.fp, now.fn, now.tn) == (
        evaluated.tp,
        evaluated.fp,
        evaluated.fn,
        evaluated.tn,
    )
    assert [p.value for p in curve.points] == sorted(p.value for p in curve.points)
    decisions = [p.decisions for p in curve.points]
    assert decisions == sorted(decisions, reverse=True)  # a higher bar decides less


def test_the_critical_threshold_is_the_loosest_that_defends_the_target(pack: PolicyPack) -> None:
    result = evaluate(pack, _items(), FROZEN)
    rule = pack.rule("hate.remove")
    assert rule is not None
    curve = sweep(result, rule, thresholds(rule)[0], target=0.4, grid=50)
    crit = curve.critical
    assert crit is not None
    ok = [p for p in curve.points if p.decisions and p.precision_lo >= 0.4]
    assert crit.decisions == max(p.decisions for p in ok)
    assert all(p.precision_lo < 0.4 for p in curve.points if p.decisions > crit.decisions)
    assert curve.volume_change == crit.decisions / curve.current.decisions - 1
    # nothing on ten items defends 0.99 at the lower bound
    assert sweep(result, rule, thresholds(rule)[0], target=0.99).critical is None


def test_band_edges_are_thresholds(banded: PolicyPack) -> None:
    pack = banded
    rule = pack.rule("hate.banded")
    assert rule is not None
    names = [t.name for t in thresholds(rule)]
    assert names == ["bands.enforce_at", "bands.review_at"]
    result = evaluate(pack, _items(), FROZEN)
    enforce = sweep(result, rule, thresholds(rule)[0], target=0.5)
    # the action's band alone: at 0.95, the three scores above it
    assert enforce.threshold.name == ENFORCE_AT and enforce.current.decisions == 3


def test_a_condition_outside_the_plain_subset_cannot_be_swept(banded: PolicyPack) -> None:
    pack = banded
    rule = pack.rule("hate.arithmetic")
    assert rule is not None
    with pytest.raises(NotSweepable, match="outside the plain subset"):
        thresholds(rule)
