"""What a rule's circuit breaker publishes: the review item of a held action, the page to
on-call when it trips, and its status on the compacted `rule-state` topic."""

from schemas.outputs import Decision, RuleStatus, Target
from signals.breaker import HELD, RuleState, change_at
from signals.decision import as_review_item, stable_id
from signals.eventtime import format_ts
from signals.policy.model import HELD_QUEUE, Breaker, ReviewTraffic

ONCALL_QUEUE = "oncall"  # where a breaker's trip pages


def held_item(d: Decision, state: RuleState, ts: int, traffic: ReviewTraffic) -> Decision:
    """The review item an action its rule's breaker held at event time ts becomes: the
    action's evidence, what it would have done, and why the breaker was open then."""
    change = change_at(state, ts) or state.changes[-1]
    since, _, reason, _ = change
    why = {"would_be": d.outcome, "tripped_at": format_ts(since), "reason": reason}
    return as_review_item(
        d, stable_id(d.id, "held"), HELD_QUEUE, ts, traffic, {"breaker": why}, held_action=d.id
    )


def page(state: RuleState, d: Decision, breaker: Breaker) -> Decision:
    """The escalation that pages on-call as a rule's breaker trips (on the action that
    tripped it): the rule, its rate against normal, the models behind it, examples."""
    at, _, reason, _ = state.changes[-1]
    return Decision(
        id=stable_id("breaker", state.rule_id, str(at)),
        ts=format_ts(at),
        kind="escalation",
        target=Target(type="rule", id=state.rule_id),
        policy_area=d.policy_area,
        rule=d.rule,
        outcome="escalate",
        mode="enforce",
        pack_hash=d.pack_hash,
        evidence={
            "breaker": reason,
            "rate_hour": state.hour(at),
            "normal_hour": round(state.normal_hour(), 2),
            "cap": breaker.max_per_hour or None,
            "region_caps": breaker.per_region or None,
            "model_versions": state.models_hour(at),
            "examples": list(reversed(state.examples)),
            "would_be": d.outcome,
        },
        source_event_ids=[],
        window=format_ts(at),
        queue=ONCALL_QUEUE,
        priority=1,
    )


def status(state: RuleState, at: int, breaker: Breaker) -> RuleStatus:
    """The breaker's status at event time `at`."""
    since, reason, by = (None, None, None)
    if state.changes:
        ts, _, why, who = state.changes[-1]
        since, reason, by = format_ts(ts), why, who or None
    passed, _, trips = state.counts
    return RuleStatus(
        rule_id=state.rule_id,
        ts=format_ts(at),
        mode=state.mode,  # type: ignore[arg-type]
        since=since,
        reason=reason,
        changed_by=by,
        rate_hour=state.hour(max(at, state.wm)),
        normal_hour=round(state.normal_hour(), 2),
        cap=breaker.max_per_hour or None,
        held=len(state.held) if state.mode == HELD else 0,
        passed=passed,
        trips=trips,
        model_versions=state.models_hour(max(at, state.wm)),
        examples=list(reversed(state.examples)),
    )


__all__ = ["HELD_QUEUE", "ONCALL_QUEUE", "held_item", "page", "status"]
