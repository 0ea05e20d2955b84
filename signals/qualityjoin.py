"""The enforcement-quality join: human outcomes meet the automatic decisions they judge.

It runs where both are at hand, in the content family: a video's state remembers the
decisions made on it (at most DECISION_CAP, newest kept), the first review verdict per policy
area and the areas it was reported in. Each decision, review, appeal and report then becomes
facts for the quality family (signals.quality), keyed by the decision's rule, version, area,
region and pack, or, for reports, by area and region. Every fact has a deterministic id, so
replay and the worker emit the same facts, and the worker's ledger drops one that went out
before a crash.
"""

from typing import Any

from schemas.inputs import Report, Review
from schemas.outputs import Decision
from signals.content import ContentState
from signals.decode import Event
from signals.judgement import judges, verdict
from signals.quality import NONE, QualityFact

DECISION_CAP = 16


def decided(d: Decision, state: Any, ts: int) -> list[QualityFact]:
    """The facts of a decision just made; a video's state remembers it for the join."""
    region = d.region or NONE
    first_evidence = getattr(state, "upload_ts", 0)
    ms = ts - first_evidence if first_evidence and ts >= first_evidence else -1
    out = [
        QualityFact(
            d.id, "decided", d.rule.id, d.rule.version, d.policy_area, region, d.pack_hash, ts,
            d.kind, d.outcome, ms,
        )
    ]  # fmt: skip
    if isinstance(state, ContentState) and d.target.type == "content":
        state.decisions.append(
            (d.id, d.rule.id, d.rule.version, d.policy_area, region, d.pack_hash, d.kind, ts, 0)
        )
        if len(state.decisions) > DECISION_CAP:
            del state.decisions[0]
        if d.kind == "action" and d.policy_area in state.reported:
            out.append(_area_fact(d.id + ":ra", "reported_actioned", d.policy_area, state, ts))
    return out


def reviewed(ev: Event, state: ContentState) -> list[QualityFact]:
    """The facts of a review or appeal: for each decision it judges, the review (or appeal),
    the first judgement of the decision, and the reviewers' agreement where the video was
    reviewed before in the same area."""
    r = ev.record
    assert isinstance(r, Review)
    v = verdict(r)
    area_key = r.policy_area or ""
    first = state.verdicts.get(area_key) if r.kind == "review" else None
    if r.kind == "review" and first is None:
        state.verdicts[area_key] = v
    out = []
    for i, (did, rule, version, area, region, pack, kind, ts, judged) in enumerate(state.decisions):
        if kind == "shadow" or not judges(r, did, r.content_id, area):
            continue
        base = (rule, version, area, region, pack, ev.ts)
        fid = f"{r.event_id}:{did}"
        out.append(QualityFact(fid, r.kind, *base, r.kind, v))
        if not judged:
            state.decisions[i] = (did, rule, version, area, region, pack, kind, ts, 1)
            out.append(QualityFact(fid + ":j", "judged", *base, r.kind, v, max(0, ev.ts - ts)))
        if first is not None:
            out.append(QualityFact(fid + ":a", "agree", *base, first, v))
    return out


def reported(ev: Event, state: ContentState) -> list[QualityFact]:
    """The facts of a report: its area's report count, and the first report of the video in
    the area (already actioned in it, or not)."""
    r = ev.record
    assert isinstance(r, Report)
    area = r.reason
    out = [_area_fact(r.event_id, "report", area, state, ev.ts)]
    if area not in state.reported:
        state.reported.append(area)
        actioned = any(d[6] == "action" and d[3] == area for d in state.decisions)
        fact = _area_fact(r.event_id + ":r", "reported", area, state, ev.ts)
        out.append(fact._replace(a="actioned") if actioned else fact)
    return out


def _area_fact(fid: str, kind: str, area: str, state: ContentState, ts: int) -> QualityFact:
    return QualityFact(fid, kind, NONE, 0, area, state.region or NONE, NONE, ts)


__all__ = ["DECISION_CAP", "decided", "reported", "reviewed"]
