"""QA sampling: a fixed share of each rule's actions in every region, the same draw wherever
and in whatever order the actions are seen, judged by `qa` reviews into the rule's figures."""

from collections import Counter

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from schemas.outputs import Decision, RuleRef, Target
from signals import qasample
from signals.engine import Engine
from signals.eventtime import DAY, parse_ts
from signals.pipeline import LocalPipeline
from signals.policy import parse_pack
from signals.policy.model import ReviewQueue, ReviewTraffic

from .events import MIN, review, score, upload
from .test_policy import GOOD_RULE


def action(i: int, rule: str, region: str) -> Decision:
    return Decision(
        id=f"{rule}-{region}-{i}",
        ts="2026-11-20T10:00:00Z",
        kind="action",
        target=Target(type="content", id=f"v{i}"),
        policy_area="hate",
        rule=RuleRef(id=rule, version=1),
        outcome="remove",
        mode="enforce",
        pack_hash="sha256:0",
        evidence={"condition": "score_max_hate >= 0.97"},
        source_event_ids=[],
        window="lifetime",
        region=region,
    )


def test_every_rule_and_region_is_sampled_at_the_share() -> None:
    drawn: Counter[tuple[str, str]] = Counter()
    for rule in ("hate.a", "spam.b"):
        for region in ("US", "DE", "BR"):
            for i in range(10_000):
                drawn[rule, region] += qasample.sampled(action(i, rule, region), 0.02)
    assert all(150 <= n <= 250 for n in drawn.values()), drawn  # 2% of 10,000, +-5 sd
    assert not qasample.sampled(action(1, "hate.a", "US"), 0.0)
    assert qasample.sampled(action(1, "hate.a", "US"), 1.0)


@given(st.integers(0, 10**6), st.floats(0.0, 1.0))
def test_the_draw_depends_on_the_action_alone(i: int, share: float) -> None:
    d = action(i, "hate.a", "US")
    again = msgspec.json.decode(msgspec.json.encode(d), type=Decision)
    assert qasample.sampled(d, share) == qasample.sampled(again, share)


def test_a_qa_item_asks_a_human_to_judge_the_action_with_its_evidence() -> None:
    d = action(7, "hate.a", "US")
    traffic = ReviewTraffic(area_priority={"hate": 2}, queues={"qa-sample": ReviewQueue(30, DAY)})
    item = qasample.qa_item(d, 0.02, "qa-sample", parse_ts(d.ts), traffic)
    assert (item.kind, item.outcome, item.queue, item.sample_of) == (
        "escalation", "review", "qa-sample", d.id,
    )  # fmt: skip
    # triaged as its area's items are; due two fifths of the queue's service level later
    assert (item.priority, item.due) == (2, "2026-11-20T19:36:00Z")
    assert item.evidence["condition"] == d.evidence["condition"]
    assert item.evidence["qa_sample"] == {"action": "remove", "share": 0.02, "stratum": "hate.a/US"}


PACK = "rules:\n" + GOOD_RULE + "guardrails:\n  sampling: {share: 1.0, queue: qa}\n"


def test_a_qa_review_of_a_sample_counts_in_the_rule_s_figures() -> None:
    pipe = LocalPipeline(Engine(parse_pack({"policies/p.yaml": PACK})))
    out = []
    for m in (upload("v1"), score("v1", hate=0.95, at=MIN)):
        out += pipe.feed(*m)
    (item,) = [e.record for e in out if getattr(e.record, "sample_of", None)]
    (act,) = [e.record for e in out if e.topic == "enforcement-actions"]
    assert item.sample_of == act.id and item.queue == "qa"
    pipe.feed(*review("v1", kind="qa", outcome="violating", at=2 * MIN))
    (state,) = [s for s in pipe.quality.values() if s.rule == "hate.test"]
    counts = Counter()
    for day in state.record().days:
        counts.update(day.counts)
    assert (counts["sampled"], counts["sample_judged"], counts["sample_upheld"]) == (1, 1, 1)
    assert (counts["judged"], counts["upheld"]) == (1, 1)  # a review like any other too
