"""QA sampling: a share of each rule's enforced actions also goes to a QA review queue.

Appeals judge the actions creators contest and reviews the videos users report: both lean to
the mistakes someone noticed. A sample drawn at a known share of every rule's actions, per
rule and region, is judged by reviewers whatever anyone noticed, so its upheld rate estimates
the rule's precision without that lean (`vigil report` uses it where there are samples).

An action is sampled when a hash of its id, with its rule and region, falls below the share:
a Bernoulli draw at the same rate in every stratum, the same in replay and on every worker,
whatever order the actions arrive in.
"""

from schemas.outputs import Decision
from signals.decision import as_review_item, stable_id
from signals.policy.model import ReviewTraffic
from signals.quality import NONE, QualityFact

SCALE = 1 << 32


def sampled(d: Decision, share: float) -> bool:
    """Whether an enforced action is drawn for QA at this share."""
    if share <= 0.0:
        return False
    draw = int(stable_id("qa", d.rule.id, d.region or NONE, d.id)[:8], 16)
    return draw < share * SCALE


def qa_item(d: Decision, share: float, queue: str, ts: int, traffic: ReviewTraffic) -> Decision:
    """The review item asking a human to judge a sampled action, enforced at event time ts:
    its evidence, and the stratum and share it was drawn at (the weight an estimate gives
    it)."""
    stratum = f"{d.rule.id}/{d.region or NONE}"
    return as_review_item(
        d, stable_id(d.id, "qa"), queue, ts, traffic,
        {"qa_sample": {"action": d.outcome, "share": share, "stratum": stratum}},
        sample_of=d.id,
    )  # fmt: skip


def drawn(d: Decision, ts: int) -> QualityFact:
    """The quality fact of a sample drawn: the rule's key counts it."""
    region = (d.region or NONE) if d.target.type == "content" else NONE
    return QualityFact(
        d.id + ":qa", "sampled", d.rule.id, d.rule.version, d.policy_area, region, d.pack_hash, ts
    )


__all__ = ["drawn", "qa_item", "sampled"]
