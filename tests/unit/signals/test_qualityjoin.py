"""The quality join: each decision, review, appeal and report becomes facts for the keys it
concerns, exactly once per event."""

from signals.engine import Engine
from signals.pipeline import LocalPipeline
from signals.policy import parse_pack
from signals.quality import NONE, key_of
from tests.unit.signals.events import MIN, raw, report, score, upload
from tests.unit.signals.test_golden import PACK


def _pipe() -> LocalPipeline:
    return LocalPipeline(Engine(parse_pack({"policies/test.yaml": PACK})))


def _review(cid: str, at: int, outcome: str, kind: str = "review", **kw: str) -> tuple:
    return raw("reviews", content_id=cid, kind=kind, outcome=outcome, reviewer="r1", at=at, **kw)


def _counts(pipe: LocalPipeline, key: str) -> dict[str, int]:
    (day,) = pipe.quality[key].record().days
    return {k: v for k, v in day.counts.items() if v}


def test_reviews_and_appeals_judge_the_decisions_before_them() -> None:
    pipe = _pipe()
    decisions = []
    for msg in (upload("v1"), score("v1", at=2 * MIN, hate=0.99)):
        decisions += [e.record for e in pipe.feed(*msg)]
    (removal,) = decisions
    for msg in (
        _review("v1", 10 * MIN, "violating", policy_area="hate"),
        _review("v1", 20 * MIN, "not_violating", policy_area="hate"),  # a second look disagrees
        _review("v1", 30 * MIN, "overturned", kind="appeal", action_id=removal.id),
    ):
        pipe.feed(*msg)
    key = key_of("hate.remove", 1, "hate", "US", removal.pack_hash)
    assert _counts(pipe, key) == {
        "actions": 1,
        "judged": 3,  # every review and appeal after it judges it
        "upheld": 1,
        "reviews": 2,
        "reviews_violating": 1,
        "appeals": 1,
        "appeals_overturned": 1,
        "agree_vn": 1,
    }
    (day,) = pipe.quality[key].record().days
    assert sum(day.to_action.values()) == 1 and sum(day.to_review.values()) == 3


def test_outcomes_delivered_before_the_decision_judge_it_all_the_same() -> None:
    """Kafka may deliver the reviews topic ahead of the scores: the same facts, either way."""
    upload_, score_ = upload("v1"), score("v1", at=2 * MIN, hate=0.99)
    outcomes = [
        _review("v1", 10 * MIN, "violating", policy_area="hate"),
        _review("v1", 20 * MIN, "not_violating", policy_area="hate"),
        _review("v1", 30 * MIN, "overturned", kind="appeal", policy_area="hate"),
        _review("v1", 40 * MIN, "not_violating"),  # no area: about every decision on it
        _review("v1", MIN, "violating"),  # before the decision in event time: judges nothing
    ]
    in_time = _pipe()
    for msg in (upload_, score_, *outcomes):
        in_time.feed(*msg)
    early = _pipe()
    for msg in (upload_, *outcomes, score_):
        early.feed(*msg)
    assert {k: s.record() for k, s in early.quality.items()} == {
        k: s.record() for k, s in in_time.quality.items()
    }
    key = next(k for k in in_time.quality if k.startswith("hate.remove"))
    counts = _counts(in_time, key)
    assert counts["judged"] == 4 and counts["upheld"] == 1 and counts["agree_vn"] == 1


def test_a_redelivered_review_changes_nothing() -> None:
    pipe = _pipe()
    for msg in (upload("v1"), score("v1", at=MIN, hate=0.99)):
        pipe.feed(*msg)
    review = _review("v1", 10 * MIN, "violating", policy_area="hate")
    pipe.feed(*review)
    before = {k: s.record() for k, s in pipe.quality.items()}
    pipe.feed(*review)
    assert {k: s.record() for k, s in pipe.quality.items()} == before


def test_reports_count_per_area_and_reported_videos_actioned() -> None:
    pipe = _pipe()
    pipe.feed(*upload("v1"))
    pipe.feed(*report("v1", reporter="p1", at=MIN))
    pipe.feed(*report("v1", reporter="p2", at=2 * MIN))
    pipe.feed(*score("v1", at=3 * MIN, hate=0.99))  # removed after it was reported
    pipe.feed(*upload("v2"))
    pipe.feed(*score("v2", at=MIN, hate=0.99))  # removed, then reported
    pipe.feed(*report("v2", reporter="p3", at=5 * MIN))
    assert _counts(pipe, key_of(NONE, 0, "hate", "US", NONE)) == {"reports": 3}
    assert _counts(pipe, key_of(NONE, 0, "hate", NONE, NONE)) == {
        "reported": 2,
        "reported_actioned": 2,
    }
