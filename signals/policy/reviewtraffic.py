"""Validate the `review:` part of a pack's guardrails: traffic control for human review.

```yaml
guardrails:
  review:
    area_priority: {child_safety: 1, spam: 4}   # the most urgent an area's items start at
    reach_step: 10                              # each tenfold of reach: one step more urgent
    queues:
      default: {capacity_per_hour: 100, service_level: 24h}
      child-safety-specialists: {capacity_per_hour: 40, service_level: 1h}
```

Enforcement managers own it: it never changes what a rule decides, only how urgent its review
items are and what their queues can take. Queue names are checked against the pack's rules in
signals.policy.load (`undeclared_queues`): without a `default`, every queue an item can go to
must be declared.
"""

from typing import Any

import yaml

from schemas.common import POLICY_AREAS
from signals.eventtime import parse_duration
from signals.policy.model import ReviewQueue, ReviewTraffic
from signals.policy.nodes import known_fields, scalar

FIELDS = ("area_priority", "reach_step", "queues")
QUEUE_FIELDS = ("capacity_per_hour", "service_level")


def parse_review(node: yaml.Node, fail: Any) -> tuple[ReviewTraffic, dict[str, yaml.Node]]:
    """The traffic control a `review:` node declares, and where each queue is declared."""
    if not isinstance(node, yaml.MappingNode):
        fail(node, f"`review` is a mapping: {', '.join(FIELDS)}")
        return ReviewTraffic(), {}
    f = known_fields(node, FIELDS, "review", fail)
    areas = _area_priority(f["area_priority"], fail) if "area_priority" in f else {}
    step = ReviewTraffic().reach_step
    if "reach_step" in f:
        value = scalar(f["reach_step"])
        if not isinstance(value, int) or isinstance(value, bool) or value < 2:
            fail(f["reach_step"], "`reach_step` must be a whole number >= 2, e.g. 10")
        else:
            step = value
    queues: dict[str, ReviewQueue] = {}
    nodes: dict[str, yaml.Node] = {}
    default: ReviewQueue | None = ReviewQueue()
    if "queues" in f:
        qnode = f["queues"]
        if not isinstance(qnode, yaml.MappingNode):
            fail(qnode, "`queues` maps a queue name to {capacity_per_hour, service_level}")
        else:
            declared = {str(k.value): (k, v) for k, v in qnode.value}
            default = None  # declared queues: the others must be declared too, or a default
            if "default" in declared:
                default = _queue(declared["default"][1], "default", ReviewQueue(), fail)
            for name, (knode, vnode) in declared.items():
                if name != "default":
                    queues[name] = _queue(vnode, name, default or ReviewQueue(), fail)
                    nodes[name] = knode
    return ReviewTraffic(areas, step, queues, default), nodes


def _area_priority(node: yaml.Node, fail: Any) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        fail(node, "`area_priority` maps a policy area to a priority: {child_safety: 1}")
        return {}
    out = {}
    for knode, vnode in node.value:
        area = str(knode.value)
        if area not in POLICY_AREAS:
            fail(knode, f"unknown policy area {area!r}", f"areas: {', '.join(POLICY_AREAS)}")
            continue
        value = scalar(vnode)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            fail(vnode, "a priority is 1 (most urgent) to 5")
            continue
        out[area] = value
    return out


def _queue(node: yaml.Node, name: str, base: ReviewQueue, fail: Any) -> ReviewQueue:
    """One queue; a declared one starts from the default and overrides what it names."""
    if not isinstance(node, yaml.MappingNode):
        fail(node, f"queue {name!r} is a mapping: {', '.join(QUEUE_FIELDS)}")
        return base
    f = known_fields(node, QUEUE_FIELDS, "queue", fail)
    capacity, level = base.capacity_per_hour, base.service_level
    if "capacity_per_hour" in f:
        value = scalar(f["capacity_per_hour"])
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            fail(f["capacity_per_hour"], "`capacity_per_hour` must be a whole number >= 1")
        else:
            capacity = value
    if "service_level" in f:
        try:
            level = parse_duration(str(scalar(f["service_level"])))
        except ValueError as exc:
            fail(f["service_level"], str(exc))
        if level <= 0:
            fail(f["service_level"], "a service level is a wait longer than 0, e.g. 24h")
            level = base.service_level
    return ReviewQueue(capacity, level)


__all__ = ["parse_review"]
