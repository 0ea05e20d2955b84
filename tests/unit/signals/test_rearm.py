"""A rule that acted on a video a human then cleared acts again only on new evidence, and only
as its `rearm` says: once per clearing, with an id of its own, in any arrival order."""

import random

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.engine import Engine
from signals.pipeline import LocalPipeline
from signals.policy import PolicyPackInvalid, parse_pack

from .events import MIN, Msg, report, review, score, upload

HOUR = 60 * MIN
RULE = """
rules:
  - id: hate.model_remove
    version: 1
    owner: hate-speech-policy
    description: Remove when the hate classifier is very confident.
    policy_area: hate
    target: content
    when: score_max_hate >= 0.97
    outcome: remove
{rearm}
"""
REARMED = parse_pack({"hate.yaml": RULE.format(rearm="    rearm: {new_reporters: 3}")})
NEVER = parse_pack({"hate.yaml": RULE.format(rearm="")})


def removals(msgs: list[Msg], pack=REARMED) -> list:
    pipe = LocalPipeline(Engine(pack))
    out = [e.record for m in msgs for e in pipe.feed(*m)]
    return [d for d in out if getattr(d, "target", None) and d.target.type == "content"]


def cleared_then(reporters: int, start: int = 0) -> list[Msg]:
    """A removal a reviewer cleared at one hour, then reports from new reporters."""
    msgs = [upload("v1"), score("v1", hate=0.99, at=MIN), review("v1", at=HOUR)]
    return msgs + [
        report("v1", reporter=f"p{start + i}", at=HOUR + (i + 1) * MIN) for i in range(reporters)
    ]


def test_without_rearm_a_cleared_video_is_never_acted_on_again() -> None:
    out = removals(cleared_then(10), NEVER)
    assert [d.kind for d in out] == ["action", "reversal"]


def test_new_reporters_after_the_clearing_let_the_rule_act_again_once() -> None:
    assert [d.kind for d in removals(cleared_then(2))] == ["action", "reversal"]
    first, undo, again = removals(cleared_then(6))
    assert (first.kind, undo.kind, again.kind) == ("action", "reversal", "action")
    assert again.id not in (first.id, undo.id) and again.outcome == "remove"
    assert again.evidence["rearmed_after"] == "2026-11-20T11:00:00Z"
    assert again.ts == "2026-11-20T11:03:00Z"  # the third new reporter's


def test_a_second_clearing_reverses_the_new_action_and_rearms_again() -> None:
    msgs = [*cleared_then(3), review("v1", at=3 * HOUR)]
    msgs += [report("v1", reporter=f"q{i}", at=3 * HOUR + (i + 1) * MIN) for i in range(3)]
    kinds = [(d.kind, d.reverses) for d in removals(msgs)]
    ids = [d.id for d in removals(msgs)]
    assert [k for k, _ in kinds] == ["action", "reversal", "action", "reversal", "action"]
    assert kinds[3][1] == ids[2] and len(set(ids)) == 5


def test_reports_delivered_before_the_review_still_count_by_their_event_time() -> None:
    """Kafka may deliver reports filed after the clearing before the review itself."""
    base = [upload("v1"), score("v1", hate=0.99, at=MIN)]
    late = [report("v1", reporter=f"p{i}", at=HOUR + (i + 1) * MIN) for i in range(3)]
    after = report("v1", reporter="p9", at=HOUR + 10 * MIN)
    in_order = removals([*base, review("v1", at=HOUR), *late, after])
    reordered = removals([*base, *late, review("v1", at=HOUR), after])
    assert {d.id for d in in_order} == {d.id for d in reordered}
    assert len(in_order) == 3


@pytest.mark.parametrize(
    ("rearm", "problem"),
    [
        ("    rearm: {new_reporters: 0}", "new_reporters must be a whole number >= 1"),
        ("    rearm: 5", "`rearm` is a mapping: new_reporters"),
        ("    rearm: {reporters: 5}", "unknown"),
    ],
)
def test_a_bad_rearm_is_refused_naming_file_and_line(rearm: str, problem: str) -> None:
    with pytest.raises(PolicyPackInvalid) as err:
        parse_pack({"hate.yaml": RULE.format(rearm=rearm)})
    assert problem in str(err.value) and "hate.yaml:" in str(err.value)


def test_rearm_belongs_to_content_rules_that_act() -> None:
    routing = RULE.replace("outcome: remove", "outcome: review\n    queue: hate-speech")
    with pytest.raises(
        PolicyPackInvalid, match="`rearm` is for a rule that takes an automatic action"
    ):
        parse_pack({"hate.yaml": routing.format(rearm="    rearm: {new_reporters: 3}")})
    creator = RULE.replace("target: content", "target: creator").replace(
        "score_max_hate >= 0.97", "true"
    )
    with pytest.raises(PolicyPackInvalid, match="`rearm` is for content rules"):
        parse_pack({"hate.yaml": creator.format(rearm="    rearm: {new_reporters: 3}")})


def test_reports_all_delivered_before_the_review_rearm_as_the_review_comes() -> None:
    """Kafka may deliver every report filed after the clearing before the review: the same
    decision as in event-time order, and the clearing does not reverse it."""
    base = [upload("v1"), score("v1", hate=0.99, at=MIN)]
    late = [report("v1", reporter=f"p{i}", at=HOUR + (i + 1) * MIN) for i in range(3)]
    in_order = removals([*base, review("v1", at=HOUR), *late])
    reordered = removals([*base, *late, review("v1", at=HOUR)])
    assert [d.kind for d in reordered] == ["action", "reversal", "action"]
    assert {d.id for d in in_order} == {d.id for d in reordered}


def cleared_videos() -> list[Msg]:
    """Ten videos removed, cleared, reported by 0 to 4 new reporters, some cleared again."""
    msgs: list[Msg] = []
    for i in range(10):
        cid, t = f"v{i}", i * 20_000
        msgs += [upload(cid, at=t), score(cid, at=t + 1_000, hate=0.99), review(cid, at=t + HOUR)]
        msgs += [
            report(cid, reporter=f"p{i}-{r}", at=t + HOUR + (r + 1) * 30_000) for r in range(i % 5)
        ]
        if i % 5 == 4:
            msgs.append(review(cid, at=t + 2 * HOUR))
    return sorted(msgs, key=lambda m: orjson.loads(m[2])["ts"])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_any_interleaving_of_the_topics_rearms_the_same_videos_with_the_same_ids(
    seed: int,
) -> None:
    """Kafka keeps each topic's order, not the order between topics."""
    msgs = cleared_videos()
    rng = random.Random(seed)
    streams: dict[str, list[Msg]] = {}
    for m in msgs:
        streams.setdefault(m[0], []).append(m)
    merged = []
    while any(streams.values()):
        merged.append(streams[rng.choice(sorted(t for t, s in streams.items() if s))].pop(0))
    want = {(d.kind, d.id) for d in removals(msgs)}
    assert {(d.kind, d.id) for d in removals(merged)} == want
    again = {d.target.id for d in removals(msgs) if "rearmed_after" in d.evidence}
    assert again == {"v3", "v4", "v8", "v9"}
