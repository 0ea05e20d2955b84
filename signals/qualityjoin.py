"""The enforcement-quality join: human outcomes meet the automatic decisions they judge.

It runs where both are at hand, in the content family: a video's state remembers the
decisions made on it, the reviews and appeals about it (at most CAP of each, newest kept) and
the areas it was reported in. A human outcome judges a decision it concerns
(signals.judgement) that is no later in event time. Kafka may deliver an appeal before the
report that made the decision, so the join is symmetric: a new decision meets the outcomes
already there, a new outcome the decisions; either way the same pairs meet, with the same
fact ids, so replay and the worker count the same judgements. Reviewer agreement pairs two
reviews of one video and area, the earlier in event time as the first rater.

Each decision, judgement, agreement and report becomes facts for the quality family
(signals.quality), keyed by the decision's rule, version, area, region and pack, or, for
reports, by area and region. A creator's region is that of whichever upload reached it last
(arrival order), so creator decisions are filed under region `-`.
"""

from typing import Any

from schemas.inputs import Report, Review
from schemas.outputs import Decision
from signals.content import ContentState
from signals.decode import Event
from signals.judgement import concerns
from signals.quality import NONE, QualityFact
from signals.records import ActedDecision, QualityReview

CAP = 16  # decisions, and human outcomes, a video remembers


def decided(d: Decision, state: Any, ts: int) -> list[QualityFact]:
    """The facts of a decision just made, with the outcomes already known that judge it; a
    video's state remembers it for the outcomes to come."""
    region = (d.region or NONE) if d.target.type == "content" else NONE
    first_evidence = getattr(state, "upload_ts", 0)
    ms = ts - first_evidence if first_evidence and ts >= first_evidence else -1
    out = [
        QualityFact(
            d.id, "decided", d.rule.id, d.rule.version, d.policy_area, region, d.pack_hash, ts,
            d.kind, d.outcome, ms,
        )
    ]  # fmt: skip
    if not isinstance(state, ContentState) or d.target.type != "content":
        return out
    dec = remembered(d, ts)
    _remember(state.decisions, dec)
    if d.kind != "shadow":
        judging = [r for r in state.reviews if judges(r, dec)]
        out += [_judgement(r, dec) for r in judging]
        out += _agreements(judging, dec)
    if d.kind == "action" and d.policy_area in state.reported:
        out.append(_area_fact(d.id + ":ra", "reported_actioned", d.policy_area, NONE, ts))
    return out


def remembered(d: Decision, ts: int) -> ActedDecision:
    """What a video's state remembers of a decision on it, for the joins to come."""
    region = d.region or NONE
    return (
        d.id, d.rule.id, d.rule.version, d.policy_area, region, d.pack_hash, d.kind, ts,
        d.outcome, d.window,
    )  # fmt: skip


def as_review(ev: Event) -> QualityReview:
    """What a video's state remembers of a review or appeal about it."""
    r = ev.record
    assert isinstance(r, Review)
    return (r.event_id, ev.ts, r.kind, r.outcome, r.policy_area or "", r.action_id or "")


def reviewed(ev: Event, state: ContentState) -> list[QualityFact]:
    """The facts of a review or appeal: a judgement of each decision it judges, and the
    agreement with each other review of the video in the area that judges the same one."""
    new = as_review(ev)
    out = []
    for dec in state.decisions:
        if dec[6] == "shadow" or not judges(new, dec):
            continue
        out.append(_judgement(new, dec))
        if new[2] == "review":
            others = [o for o in state.reviews if o[2] == "review" and o[4] == new[4]]
            out += _agreements([o for o in others if judges(o, dec)] + [new], dec, new)
    _remember(state.reviews, new)
    return out


def reported(ev: Event, state: ContentState) -> list[QualityFact]:
    """The facts of a report: its area's report count in the region it was filed in, and
    the first report of the video in the area (already actioned in it, or not: an action
    after it says so itself). Reported videos are counted without a region: a report may be
    applied before its video's upload says where the video is, depending on arrival."""
    r = ev.record
    assert isinstance(r, Report)
    area = r.reason
    out = [_area_fact(r.event_id, "report", area, r.region, ev.ts)]
    if area not in state.reported:
        state.reported.append(area)
        actioned = any(d[6] == "action" and d[3] == area for d in state.decisions)
        fact = _area_fact(r.event_id + ":r", "reported", area, NONE, ev.ts)
        out.append(fact._replace(a="actioned") if actioned else fact)
    return out


def judges(r: QualityReview, dec: ActedDecision) -> bool:
    """A human outcome judges a decision it concerns that it does not precede."""
    return r[1] >= dec[7] and concerns(r[5], r[4], dec[0], dec[3])


def _judgement(r: QualityReview, dec: ActedDecision) -> QualityFact:
    eid, ts, kind = r[0], r[1], r[2]
    v = verdict_of(r)
    return QualityFact(
        f"{eid}:{dec[0]}", kind, dec[1], dec[2], dec[3], dec[4], dec[5], ts, kind, v, ts - dec[7]
    )


def _agreements(
    judging: list[QualityReview], dec: ActedDecision, only: QualityReview | None = None
) -> list[QualityFact]:
    """Agreement facts for each pair of reviews in one area judging the decision (with
    `only`: the pairs it is in), the earlier review first."""
    reviews = sorted((r for r in judging if r[2] == "review"), key=lambda r: (r[1], r[0]))
    out = []
    for i, first in enumerate(reviews):
        for second in reviews[i + 1 :]:
            if first[4] != second[4] or (only is not None and only not in (first, second)):
                continue
            a, b = (verdict_of(first), verdict_of(second))
            out.append(
                QualityFact(
                    f"{first[0]}:{second[0]}:{dec[0]}", "agree", dec[1], dec[2], dec[3], dec[4],
                    dec[5], second[1], a, b,
                )
            )  # fmt: skip
    return out


def verdict_of(r: QualityReview) -> str:
    """What a remembered human outcome says of the decisions it judges."""
    return "upheld" if r[3] in ("violating", "upheld") else "overturned"


def _remember(items: list[Any], item: Any) -> None:
    items.append(item)
    if len(items) > CAP:
        del items[0]


def _area_fact(fid: str, kind: str, area: str, region: str, ts: int) -> QualityFact:
    return QualityFact(fid, kind, NONE, 0, area, region, NONE, ts)


__all__ = [
    "CAP", "as_review", "decided", "judges", "remembered", "reported", "reviewed", "verdict_of",
]  # fmt: skip
