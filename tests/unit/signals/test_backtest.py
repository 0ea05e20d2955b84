"""Backtests and judgements: each human outcome judges the decisions it names or is about,
and the newest word on a decision stands."""

import pytest

from schemas.inputs import Review
from schemas.outputs import Decision
from signals.backtest import backtest
from signals.engine import Engine
from signals.judgement import judges, verdict
from signals.pipeline import LocalPipeline
from signals.policy import parse_pack
from tests.unit.signals.events import MIN, event, raw, score, upload
from tests.unit.signals.test_golden import PACK


def _review(cid: str, at: int, outcome: str, kind: str = "review", **kw: str) -> Review:
    ev = event(
        raw("reviews", content_id=cid, kind=kind, outcome=outcome, reviewer="r1", at=at, **kw)
    )
    assert isinstance(ev.record, Review)
    return ev.record


@pytest.fixture(scope="module")
def decisions() -> dict[str, Decision]:
    """One removal per video v1..v5."""
    pipe = LocalPipeline(Engine(parse_pack({"policies/test.yaml": PACK})))
    out = {}
    for n in range(1, 6):
        cid = f"v{n}"
        for topic, key, value in (upload(cid), score(cid, at=MIN, hate=0.99)):
            for e in pipe.feed(topic, key, value):
                if isinstance(e.record, Decision):
                    out[cid] = e.record
    assert len(out) == 5
    return out


def test_what_judges_a_decision(decisions: dict[str, Decision]) -> None:
    d = decisions["v1"]
    assert judges(_review("v1", 0, "violating", policy_area="hate"), d.id, "v1", "hate")
    assert judges(_review("v1", 0, "not_violating"), d.id, "v1", "hate")  # no area: every area
    assert not judges(_review("v1", 0, "violating", policy_area="spam"), d.id, "v1", "hate")
    assert not judges(_review("v2", 0, "violating"), d.id, "v1", "hate")
    appeal = _review("v1", 0, "overturned", kind="appeal", action_id=d.id)
    assert judges(appeal, d.id, "v1", "hate") and verdict(appeal) == "overturned"
    other = _review("v1", 0, "upheld", kind="appeal", action_id="someone-else")
    assert not judges(other, d.id, "v1", "hate")


def test_upheld_rates_and_appeals(decisions: dict[str, Decision]) -> None:
    reviews = [
        _review("v1", 10 * MIN, "violating", policy_area="hate"),  # upheld
        _review("v2", 10 * MIN, "not_violating"),  # wrong
        _review("v3", 10 * MIN, "overturned", kind="appeal", action_id=decisions["v3"].id),
        _review("v4", 10 * MIN, "violating", policy_area="hate"),
        _review("v4", 20 * MIN, "overturned", kind="appeal", policy_area="hate"),  # two words
        # v5: nobody looked
    ]
    run = backtest(decisions.values(), reviews)
    j = run.quality["rule"]["hate.remove"]
    assert (j.decisions, j.judged_decisions, j.judged, j.upheld) == (5, 4, 5, 2)
    assert (j.appeals, j.overturned_appeals) == (2, 2)
    assert j.upheld_rate == 0.4 and j.upheld_ci[0] < 0.4 < j.upheld_ci[1]
    assert run.quality["area"]["hate"].judged == 5
    assert run.quality["region"]["US"].decisions == 5
    assert run.volumes["hate.remove", "remove", "hate", "US", "action"] == 5
