"""Turning a fired rule into a Decision: deterministic id, window, routing, evidence."""

import hashlib
from typing import Any

from schemas.outputs import Decision, RuleRef, Target
from signals.eventtime import format_ts
from signals.policy.model import ESCALATION_OUTCOMES, Rule

KIND_TOPIC = {
    "action": "enforcement-actions",
    "escalation": "escalations",
    "shadow": "shadow-actions",
}


def stable_id(*parts: str) -> str:
    """A deterministic 32-hex-digit id from its parts (same parts, same id, on any worker)."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def window_label(rule: Rule, ts: int) -> str:
    """The decision window the event at ts falls in: `lifetime`, or the window's start."""
    if rule.once_per == 0:
        return "lifetime"
    return format_ts(rule.window_start(ts))


def kind_of(rule: Rule) -> str:
    """action, escalation or shadow: which output topic the rule's decisions go to."""
    if rule.mode == "shadow":
        return "shadow"
    return "escalation" if rule.outcome in ESCALATION_OUTCOMES else "action"


def build(
    rule: Rule,
    pack_hash: str,
    target: Target,
    window: str,
    ts: int,
    values: dict[str, Any],
    sources: list[str],
    creator_id: str | None,
    region: str | None,
) -> Decision:
    """Assemble the decision record with its full evidence."""
    return Decision(
        id=stable_id(rule.id, str(rule.version), target.type, target.id, window),
        ts=format_ts(ts),
        kind=kind_of(rule),  # type: ignore[arg-type]
        target=target,
        policy_area=rule.policy_area,  # type: ignore[arg-type]
        rule=RuleRef(id=rule.id, version=rule.version),
        outcome=rule.outcome,  # type: ignore[arg-type]
        mode="shadow" if rule.mode == "shadow" else "enforce",
        pack_hash=pack_hash,
        evidence={
            "condition": rule.when,
            "signals": {name: values[name] for name in rule.reads},
            "rule_file": rule.file.rsplit("/", 1)[-1],
        },
        source_event_ids=sources,
        window=window,
        creator_id=creator_id or None,
        region=region or None,
        queue=rule.queue,
        priority=rule.priority,
    )
