"""A regional override holds whatever order Kafka delivers a video's events in."""

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.engine import Engine, EngineConfig
from signals.pipeline import LocalPipeline
from signals.policy import parse_pack
from signals.regionhold import RegionHolds

from .events import MIN, T0, Msg, raw, report, score, upload

PACK = parse_pack(
    {
        "hate.yaml": """
rules:
  - id: hate.model_remove
    version: 1
    owner: hate-speech-policy
    description: Remove when the hate classifier is very confident.
    policy_area: hate
    target: content
    when: score_max_hate >= 0.97
    outcome: remove
    regions:
      DE: {when: "score_max_hate >= 0.93"}
      IN: {outcome: age_restrict}
      JP: {mode: disabled}
  - id: hate.model_limit
    version: 1
    owner: hate-speech-policy
    description: Limit reach on strong scores.
    policy_area: hate
    target: content
    when: score_max_hate >= 0.85 && score_max_hate < 0.97
    outcome: limit_distribution
"""
    }
)
HOLD = EngineConfig().region_hold
# (video, region, hate score): what each region's variant must do with it
VIDEOS = [
    ("v-jp", "JP", 0.99),
    ("v-de", "DE", 0.95),
    ("v-in", "IN", 0.99),
    ("v-us", "US", 0.95),
    ("v-us2", "US", 0.99),
]
EXPECTED = {"v-jp": None, "v-de": "remove", "v-in": "age_restrict", "v-us": None, "v-us2": "remove"}


def messages() -> list[Msg]:
    out: list[Msg] = []
    for i, (cid, region, p) in enumerate(VIDEOS):
        out.append(upload(cid, creator=f"u{i}", at=i * 1000, region=region))
        out.append(score(cid, at=i * 1000 + 500, creator=f"u{i}", hate=p))
        out.append(report(cid, reporter=f"p{i}", at=i * 1000 + 700, creator=f"u{i}"))
    return out


def run(msgs: list[Msg]) -> list[dict[str, Any]]:
    pipe = LocalPipeline(Engine(PACK))
    out = [e for m in msgs for e in pipe.feed(*m)]
    return [msgspec.to_builtins(e.record) for e in out if e.topic != "dead-letter"]


@settings(max_examples=300)
@given(st.permutations(messages()))
def test_the_regional_variant_applies_in_every_arrival_order(order: list[Msg]) -> None:
    decisions = run(order)
    removal = {d["target"]["id"]: d for d in decisions if d["rule"]["id"] == "hate.model_remove"}
    assert {
        cid: removal[cid]["outcome"] if cid in removal else None for cid, _, _ in VIDEOS
    } == EXPECTED
    regions = {cid: region for cid, region, _ in VIDEOS}
    for cid, d in removal.items():
        assert d["region"] == regions[cid]  # the region it was made for
        assert "region_unknown" not in d["evidence"]
    assert removal["v-de"]["evidence"]["region_override"] == "DE"
    for d in decisions:  # every decision is made for the video's region, in any order
        assert d["region"] == regions[d["target"]["id"]], d


def test_a_video_whose_upload_never_comes_is_acted_on_as_written_after_the_hold() -> None:
    lost = score("v-lost", at=0, creator="u9", hate=0.99)
    before = upload("v-other", creator="u8", at=HOLD - MIN, region="US")
    after = upload("v-late", creator="u7", at=HOLD + MIN, region="US")
    pipe = LocalPipeline(Engine(PACK))
    first = [e.record for m in (lost, before) for e in pipe.feed(*m)]
    assert not any(getattr(d, "rule", None) and d.rule.id == "hate.model_remove" for d in first)
    released = [e.record for e in pipe.feed(*after)]
    removal = [d for d in released if getattr(d, "rule", None) and d.rule.id == "hate.model_remove"]
    assert len(removal) == 1
    d = removal[0]
    assert d.target.id == "v-lost" and d.outcome == "remove" and d.region is None
    assert d.evidence["region_unknown"] is True and d.evidence["region_override"] is None
    assert d.ts == "2026-11-20T10:00:00Z"  # as of the score that triggered it
    assert pipe.content["v-lost"].waiting == []


def test_an_upload_after_the_scores_runs_them_in_order_for_its_region() -> None:
    pipe = LocalPipeline(Engine(PACK))
    assert pipe.feed(*score("v-jp", at=0, creator="u1", hate=0.9)) == []  # waits
    assert pipe.feed(*score("v-jp", at=100, creator="u1", hate=0.99)) == []
    assert [w[:2] for w in pipe.content["v-jp"].waiting] == [
        (T0, "model-scores"),
        (T0 + 100, "model-scores"),
    ]
    out = pipe.feed(*upload("v-jp", creator="u1", at=-1000, region="JP"))
    # the limit at the first score, for JP; the removal is disabled in JP
    assert [(e.record.rule.id, e.record.region, e.record.ts) for e in out] == [  # type: ignore[attr-defined]
        ("hate.model_limit", "JP", "2026-11-20T10:00:00Z")
    ]
    assert pipe.content["v-jp"].waiting == []
    later = raw(
        "uploads", content_id="v-x", creator_id="u2", region="US", language="en", at=HOLD * 3
    )
    assert [e for e in pipe.feed(*later) if e.topic != "dead-letter"] == []  # nothing left


def test_the_index_gives_each_due_key_once_soonest_first() -> None:
    holds = RegionHolds()
    holds.hold(0, "b", 200)
    holds.hold(0, "a", 100)
    holds.hold(0, "b", 150)  # earlier wins
    holds.hold(0, "c", 300)
    holds.hold(1, "d", 50)
    assert holds.due(0, 99) == []
    assert holds.due(0, 160) == ["a", "b"]
    assert holds.due(0, 1000) == ["c"]
    assert holds.due(0, 1000) == [] and len(holds) == 1
    assert holds.due(1, 50) == ["d"]


def test_a_brigade_ahead_of_the_upload_stays_bounded_and_decides_for_the_region() -> None:
    """More reports than WAIT_CAP arrive before the upload (a backlog: the reports topic runs
    ahead): the oldest are applied early, their rules still wait, and state stays bounded."""
    from signals.regionhold import WAIT_CAP
    from stream.config import SHIPPED_POLICIES
    from stream.policyfiles import load_pack

    pipe = LocalPipeline(Engine(load_pack(SHIPPED_POLICIES)))
    early = pipe.feed(*score("v-b", at=MIN + 30_000, creator="u-b", harassment_bullying=0.1))
    for i in range(WAIT_CAP + 17):
        early += pipe.feed(
            *report(
                "v-b",
                reporter=f"p{i}",
                reason="harassment_bullying",
                at=MIN + i * 1000,
                creator="u-b",
            )
        )
    state = pipe.content["v-b"]
    assert [e for e in early if e.topic != "dead-letter"] == []  # nothing decided, no region
    assert len(state.waiting) == WAIT_CAP and state.overflowed == {"reports": T0 + MIN + 17_000}
    assert state.rep_total == 18  # the oldest were applied, their facts forwarded
    assert any(w[1] == "model-scores" for w in state.waiting)
    out = pipe.feed(*upload("v-b", creator="u-b", at=0, region="BR"))
    decided = [e.record for e in out if e.topic != "dead-letter"]
    assert decided and {d.region for d in decided} == {"BR"}  # type: ignore[attr-defined]
    assert "harassment.report_surge_review" in {d.rule.id for d in decided}  # type: ignore[attr-defined]
    assert state.waiting == [] and state.overflowed == {} and state.rep_total == WAIT_CAP + 17


def test_reports_ahead_of_the_upload_count_for_the_trend_and_creator_at_once_and_once() -> None:
    """A report's facts read only the report: they go out on arrival, while its rules wait,
    so a brigade delivered before its videos' uploads still reaches its trend key in time."""
    from signals.decode import decode

    engine = Engine(PACK)
    state = None
    sent: list[tuple[str, str]] = []
    msgs = [
        report("v-r", reporter=f"p{i}", reason="harassment_bullying", at=MIN + i, creator="u-r")
        for i in range(3)
    ]
    msgs.append(score("v-r", at=MIN + 10, creator="u-r", harassment_bullying=0.95))
    msgs.append(upload("v-r", creator="u-r", at=0, region="DE"))
    for topic, key, value in msgs:
        step = engine.on_content(decode(topic, key, value), state)
        state = step.state
        sent += [(f.kind, f.key) for f in step.trend_facts]
        sent += [("creator", f.kind) for f in step.creator_facts]
        if topic == "reports":  # on arrival, before the upload
            assert ("area_region", "harassment_bullying:US") in sent and step.hold
    reports = [s for s in sent if s == ("area_region", "harassment_bullying:US")]
    assert len(reports) == 3  # once each: not again when the upload released them
    # the score's fact needs the video's region, so it went out with the upload
    assert ("area_region", "harassment_bullying:DE") in sent
    from signals import creator

    assert sent.count(("creator", creator.REPORT)) == 3
