"""Bands, region overrides and conflict resolution between rules."""

from signals.engine import Engine
from signals.pipeline import LocalPipeline
from signals.policy import parse_pack

from .events import MIN, report, score, upload

PACK = parse_pack(
    {
        "p.yaml": """rules:
  - id: hate.model
    version: 1
    owner: t
    description: banded
    policy_area: hate
    target: content
    bands: {signal: score_max_hate, enforce_at: 0.95, review_at: 0.7}
    outcome: remove
    queue: hate-speech
    priority: 2
    regions:
      DE: {enforce_at: 0.9}
      JP: {mode: disabled}
      BR: {outcome: limit_distribution}
  - id: hate.label
    version: 1
    owner: t
    description: a softer action on the same signal
    policy_area: hate
    target: content
    when: score_max_hate >= 0.8
    outcome: label
  - id: spam.reports_review
    version: 1
    owner: t
    description: a lower-urgency routing
    policy_area: spam
    target: content
    when: reports_1h >= 2
    outcome: review
    queue: spam
    priority: 4
  - id: spam.reports_escalate
    version: 1
    owner: t
    description: a more urgent routing on the same event
    policy_area: spam
    target: content
    when: reports_1h >= 2 && distinct_reporters_1h >= 2
    outcome: escalate
    priority: 1
"""
    }
)


def decisions(*msgs: tuple[str, bytes, bytes]) -> list:
    pipe = LocalPipeline(Engine(PACK))
    out = []
    for m in msgs:
        out.extend(e.record for e in pipe.feed(*m) if hasattr(e.record, "rule"))
    return out


def summary(ds: list) -> list[tuple[str, str, str | None]]:
    # sorted: an event's actions go out after its routings, once their breaker passed them
    return sorted((d.rule.id, d.outcome, d.evidence["band"]) for d in ds)


def test_bands_route_the_middle_to_review_and_act_on_the_top() -> None:
    assert summary(decisions(upload(), score(hate=0.75))) == [("hate.model", "review", "review")]
    assert decisions(upload(), score(hate=0.5)) == []
    top = decisions(upload(), score(hate=0.97))
    assert summary(top) == [("hate.model", "remove", "enforce")]
    assert top[0].evidence["also_matched"] == [
        {"rule": "hate.label", "version": 1, "outcome": "label"}
    ]
    assert top[0].evidence["bands"] == {
        "signal": "score_max_hate",
        "enforce_at": 0.95,
        "review_at": 0.7,
    }


def test_moving_up_a_band_is_a_new_decision_with_its_own_id() -> None:
    ds = decisions(upload(), score(hate=0.75), score(hate=0.97, at=MIN))
    assert [(d.outcome, d.evidence["band"]) for d in ds] == [
        ("review", "review"),
        ("remove", "enforce"),
    ]
    assert ds[0].id != ds[1].id
    assert ds[0].queue == "hate-speech" and ds[0].kind == "escalation"


def test_region_overrides_change_threshold_outcome_or_disable() -> None:
    de = decisions(upload(region="DE"), score(hate=0.92))
    assert summary(de) == [("hate.model", "remove", "enforce")]
    assert de[0].evidence["region_override"] == "DE" and de[0].region == "DE"
    assert summary(decisions(upload(region="US"), score(hate=0.92))) == [
        ("hate.label", "label", None),
        ("hate.model", "review", "review"),
    ]
    assert summary(decisions(upload(region="JP"), score(hate=0.99))) == [
        ("hate.label", "label", None)
    ]
    br = decisions(upload(region="BR"), score(hate=0.99))
    assert summary(br) == [("hate.model", "limit_distribution", "enforce")]
    assert br[0].evidence["also_matched"][0]["rule"] == "hate.label"


def test_a_lesser_action_after_a_greater_one_is_superseded() -> None:
    pipe = LocalPipeline(Engine(PACK))
    first = [e.record for m in (upload(), score(hate=0.97)) for e in pipe.feed(*m)]
    assert [d.outcome for d in first] == ["remove"]
    # hate.label already counted as matched with the removal; nothing new to do
    later = [e.record for e in pipe.feed(*score(hate=0.85, at=MIN))]
    assert later == []


def test_the_most_urgent_routing_wins_and_records_the_other() -> None:
    ds = decisions(
        upload(), report(reporter="a", reason="spam"), report(reporter="b", reason="spam", at=MIN)
    )
    assert summary(ds) == [("spam.reports_escalate", "escalate", None)]
    assert ds[0].evidence["also_matched"] == [
        {"rule": "spam.reports_review", "version": 1, "outcome": "review"}
    ]


def test_a_rule_fires_once_per_band_window_not_on_every_event() -> None:
    ds = decisions(upload(), *[score(hate=0.75 + i / 100, at=i * MIN) for i in range(5)])
    assert summary(ds) == [("hate.model", "review", "review")]


def test_a_regional_override_applies_when_the_upload_arrives_after_the_score() -> None:
    late_upload = decisions(score(hate=0.92), upload(region="DE", at=MIN))
    assert summary(late_upload)[-1] == ("hate.model", "remove", "enforce")
