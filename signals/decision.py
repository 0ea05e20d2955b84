"""Turning a fired rule into a Decision: deterministic id, window, routing, evidence."""

import hashlib
from typing import Any

import msgspec

from schemas.common import ENFORCEMENT_ACTIONS, ESCALATIONS, SHADOW_ACTIONS
from schemas.outputs import Decision, RuleRef, Target
from signals.eventtime import format_ts
from signals.policy.model import ESCALATION_OUTCOMES, ReviewTraffic, Rule
from signals.rules import REGION_UNKNOWN, Hit
from signals.triage import triage

KIND_TOPIC = {
    "action": ENFORCEMENT_ACTIONS,
    "escalation": ESCALATIONS,
    "shadow": SHADOW_ACTIONS,
}


def stable_id(*parts: str) -> str:
    """A deterministic 32-hex-digit id from its parts (same parts, same id, on any worker)."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def as_review_item(
    d: Decision,
    id: str,
    queue: str,
    entered: int,
    traffic: ReviewTraffic,
    evidence: dict[str, Any],
    **marks: str,
) -> Decision:
    """An automatic action turned into a review item of its own id for a queue, entering it
    at event time `entered`: the action's evidence plus `evidence` and its triage (priority
    by its area and the reach the action saw, signals.triage), and `marks` saying why
    (held_action, sample_of)."""
    t = triage(None, d.policy_area, d.evidence.get("reach", 0), entered, queue, traffic)
    return msgspec.structs.replace(
        d,
        id=id,
        kind="escalation",
        outcome="review",
        evidence={**d.evidence, **evidence, "triage": t.evidence},
        queue=queue,
        priority=t.priority,
        due=format_ts(t.due),
        **marks,
    )


def window_label(rule: Rule, ts: int) -> str:
    """The decision window the event at ts falls in: `lifetime`, or the window's start."""
    if rule.once_per == 0:
        return "lifetime"
    return format_ts(rule.window_start(ts))


def kind_of(hit: Hit) -> str:
    """action, escalation or shadow: which output topic a hit's decision goes to."""
    if hit.rule.mode == "shadow":
        return "shadow"
    return "escalation" if hit.outcome in ESCALATION_OUTCOMES else "action"


def build(
    hit: Hit,
    pack_hash: str,
    target: Target,
    ts: int,
    sources: list[str],
    creator_id: str | None,
    region: str | None,
    outranked: list[Hit],
    traffic: ReviewTraffic,
    reach: int = 0,
    rearmed_at: int = 0,
) -> Decision:
    """Assemble the decision record with its full evidence.

    `reach`: distinct accounts that reported the target in the last hour (signals.triage);
    a routing's priority and due time come from it, its rule and its queue (`traffic`).
    `rearmed_at`: the human clearing after which a rule with `rearm` acts again (0: none).
    region is the region the decision was made for: the target's, "" while it is not known
    (rules without regional variants do not wait for it), or REGION_UNKNOWN for a rule with
    regional variants run as written after its region hold expired.
    """
    rule = hit.rule
    window = window_label(rule, ts)
    parts = [rule.id, str(rule.version), target.type, target.id, window]
    if hit.band == "review":
        parts.append("review")  # the review band is a decision of its own
    if rearmed_at:  # acting again after a human clearing (`rearm`): once per clearing
        parts.append(f"rearm@{rearmed_at}")
    evidence: dict[str, Any] = {
        "condition": rule.when,
        "signals": {name: hit.values[name] for name in rule.reads},
        "rule_file": rule.file.rsplit("/", 1)[-1],
        "band": hit.band,
        "region_override": rule.region,
    }
    if target.type != "trend":  # what a review item made of this decision is triaged by
        evidence["reach"] = reach
    if rearmed_at:
        evidence["rearmed_after"] = format_ts(rearmed_at)  # the clearing it acts again after
    if region == REGION_UNKNOWN:
        evidence["region_unknown"] = True
        region = None
    if rule.bands:
        evidence["bands"] = {
            "signal": rule.bands.signal,
            "enforce_at": rule.bands.enforce_at,
            "review_at": rule.bands.review_at,
        }
    if outranked:
        evidence["also_matched"] = [
            {"rule": h.rule.id, "version": h.rule.version, "outcome": h.outcome} for h in outranked
        ]
    # a queue, priority and due time belong to routing; a banded rule's enforce decision has
    # none; a page (escalate) has its rule's priority
    queue = rule.queue if hit.outcome == "review" else None
    priority = rule.priority if hit.outcome in ESCALATION_OUTCOMES else None
    due = None
    if queue is not None:
        t = triage(rule.priority, rule.policy_area, reach, ts, queue, traffic)
        priority, due = t.priority, format_ts(t.due)
        evidence["triage"] = t.evidence
    return Decision(
        id=stable_id(*parts),
        ts=format_ts(ts),
        kind=kind_of(hit),  # type: ignore[arg-type]
        target=target,
        policy_area=rule.policy_area,  # type: ignore[arg-type]
        rule=RuleRef(id=rule.id, version=rule.version),
        outcome=hit.outcome,  # type: ignore[arg-type]
        mode="shadow" if rule.mode == "shadow" else "enforce",
        pack_hash=pack_hash,
        evidence=evidence,
        source_event_ids=sources,
        window=window,
        creator_id=creator_id or None,
        region=region or None,
        queue=queue,
        priority=priority,
        due=due,
    )
