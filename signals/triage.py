"""Triage of human review items: how urgent each is, and by when it should be reviewed.

When reviewers cannot keep up, the order they work in decides which harm stays up longest.
An item's priority (1 most urgent to 5) is the more urgent of its rule's own priority and its
policy area's (the pack's `guardrails: review: area_priority`), raised one step for each
`reach_step`-fold of its reach: the distinct accounts that reported the video (or the
creator's videos) in the last hour, the exposure vigil can see. Distinct accounts, so one
account reporting again and again raises nothing.

Waiting counts through the due time: an item is due its priority's share of its queue's
service level after it entered (priority 5 at the full service level, priority 1 at a fifth of
it). Serving the earliest due first is the classic deadline order, and it ages every item
alike: an item that has waited a fifth of the service level ranks with a fresh item one
priority more urgent, so a low-priority item is never starved, and the urgent ones are still
reviewed first when capacity is short.
"""

from typing import Any, NamedTuple

from signals import content, creator
from signals import windows as w
from signals.eventtime import HOUR, format_ts
from signals.policy.model import ReviewQueue, ReviewTraffic

LEAST_URGENT = 5


class Triage(NamedTuple):
    """An item's priority, due time and why."""

    priority: int
    due: int
    evidence: dict[str, Any]


def reach_of(state: Any) -> int:
    """The reach vigil sees of a video or creator: distinct accounts that reported it (its
    videos) in the last hour of its reports; 0 for anything else."""
    if isinstance(state, content.ContentState):
        return content.distinct_reporters(state, HOUR)
    if isinstance(state, creator.CreatorState):
        return w.distinct_since(state.reporters, state.rep_wm - HOUR)
    return 0


def steps(reach: int, step: int) -> int:
    """How many whole `step`-folds reach holds: 0 below step, 1 from step, 2 from step²."""
    n = 0
    while reach >= step:
        reach //= step
        n += 1
    return n


def priority(rule_priority: int | None, area: str, reach: int, traffic: ReviewTraffic) -> int:
    """An item's priority: the more urgent of its rule's and its area's, raised by reach."""
    base = min(rule_priority or LEAST_URGENT, traffic.area_priority.get(area, LEAST_URGENT))
    return max(1, base - steps(reach, traffic.reach_step))


def due(entered: int, prio: int, queue: ReviewQueue) -> int:
    """When an item that entered its queue at `entered` should have been reviewed."""
    return entered + queue.service_level * prio // LEAST_URGENT


def triage(
    rule_priority: int | None,
    area: str,
    reach: int,
    entered: int,
    queue: str,
    traffic: ReviewTraffic,
) -> Triage:
    """Priority and due time of an item entering `queue` at `entered`, with its evidence."""
    prio = priority(rule_priority, area, reach, traffic)
    at = due(entered, prio, traffic.queue(queue))
    return Triage(
        prio,
        at,
        {
            "priority": prio,
            "rule_priority": rule_priority,
            "area_priority": traffic.area_priority.get(area),
            "reach": reach,
            "due": format_ts(at),
        },
    )


__all__ = ["LEAST_URGENT", "Triage", "due", "priority", "reach_of", "steps", "triage"]
