"""Validate a pack's `guardrails:` section: the circuit breakers on automatic rules.

```yaml
guardrails:
  breakers:
    default:                     # every automatic rule without a breaker of its own
      spike: true                # trip when its count rises far above its own normal rate
      quiet_period: 2h           # reset by itself after this long without a trip condition
    rules:
      hate.model_remove:
        max_actions_per_hour: 300
        per_region: {US: 120}    # a cap of its own in a region
  sampling:                      # QA samples of enforced actions, per rule and region
    share: 0.02
    queue: qa-sample
    rules: {hate.model_remove: 0.05}
  review:                        # traffic control for human review (signals.policy.reviewtraffic)
    queues: {default: {capacity_per_hour: 100, service_level: 24h}}
```

Enforcement managers own this section, not the rules' authors: a breaker changes what the
rule's outcome does when it misfires, never what the rule decides. Rule ids are checked
against the whole pack (`unknown_rules`), as one pack has at most one guardrails section.
"""

from typing import Any

import yaml

from schemas.common import REGIONS
from signals.eventtime import parse_duration
from signals.policy.errors import PolicyError
from signals.policy.model import Breaker, Guardrails, ReviewTraffic, Sampling
from signals.policy.nodes import at as at_node
from signals.policy.nodes import known_fields, scalar
from signals.policy.reviewtraffic import parse_review

FIELDS = ("breakers", "sampling", "review")
BREAKERS_FIELDS = ("default", "rules")
BREAKER_FIELDS = ("max_actions_per_hour", "per_region", "spike", "quiet_period")
SAMPLING_FIELDS = ("share", "queue", "rules")


class Parsed:
    """A guardrails section: the guardrails, and where each rule it names is named."""

    def __init__(
        self,
        guardrails: Guardrails | None,
        rule_nodes: list[tuple[str, yaml.Node]],
        queue_nodes: dict[str, yaml.Node] | None = None,
    ) -> None:
        self.guardrails = guardrails
        self.rule_nodes = rule_nodes
        self.queue_nodes = queue_nodes or {}  # where each review queue is declared


def parse_guardrails(fname: str, node: yaml.Node) -> tuple[Parsed, list[PolicyError]]:
    """The guardrails a `guardrails:` node declares (None when it has problems), and every
    problem in it."""
    errors: list[PolicyError] = []

    def fail(at: yaml.Node, msg: str, hint: str | None = None) -> None:
        errors.append(at_node(fname, at, msg, None, hint))

    if not isinstance(node, yaml.MappingNode):
        fail(node, "`guardrails` is a mapping: breakers, sampling, review")
        return Parsed(None, []), errors
    fields = known_fields(node, FIELDS, "guardrails", fail)
    default, rules = Breaker(), {}
    nodes: list[tuple[str, yaml.Node]] = []
    breakers = fields.get("breakers")
    if breakers is not None and not isinstance(breakers, yaml.MappingNode):
        fail(breakers, "`breakers` is a mapping: default, rules")
    elif breakers is not None:
        b = known_fields(breakers, BREAKERS_FIELDS, "breakers", fail)
        if "default" in b:
            default = _breaker(b["default"], Breaker(), "default", fail)
        if "rules" in b:
            if not isinstance(b["rules"], yaml.MappingNode):
                fail(b["rules"], "`rules` maps a rule id to its breaker")
            else:
                for knode, vnode in b["rules"].value:
                    rid = str(knode.value)
                    rules[rid] = _breaker(vnode, default, rid, fail)
                    nodes.append((rid, knode))
    sampling = _sampling(fields["sampling"], nodes, fail) if "sampling" in fields else Sampling()
    review, queues = parse_review(fields["review"], fail) if "review" in fields else (None, {})
    if errors:
        return Parsed(None, nodes, queues), errors
    line = node.start_mark.line + 1
    guardrails = Guardrails(default, rules, fname, line, sampling, review or ReviewTraffic())
    return Parsed(guardrails, nodes, queues), errors


def _sampling(node: yaml.Node, nodes: list[tuple[str, yaml.Node]], fail: Any) -> Sampling:
    """QA sampling: a share of every rule's enforced actions, a queue, shares of its own."""
    if not isinstance(node, yaml.MappingNode):
        fail(node, f"`sampling` is a mapping: {', '.join(SAMPLING_FIELDS)}")
        return Sampling()
    f = known_fields(node, SAMPLING_FIELDS, "sampling", fail)
    share = _share(f["share"], fail) if "share" in f else 0.0
    queue = str(scalar(f["queue"])) if "queue" in f else Sampling().queue
    own = {}
    if "rules" in f:
        if not isinstance(f["rules"], yaml.MappingNode):
            fail(f["rules"], "`rules` maps a rule id to its share: {hate.model_remove: 0.05}")
        else:
            for knode, vnode in f["rules"].value:
                own[str(knode.value)] = _share(vnode, fail)
                nodes.append((str(knode.value), knode))
    return Sampling(share, queue, own)


def _share(node: yaml.Node, fail: Any) -> float:
    value = scalar(node)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        fail(node, "a sampling share is a fraction between 0 and 1, e.g. 0.02")
        return 0.0
    return float(value)


def _breaker(node: yaml.Node, base: Breaker, what: str, fail: Any) -> Breaker:
    """One breaker; a rule's starts from the default and overrides what it names."""
    if not isinstance(node, yaml.MappingNode):
        fail(node, f"the {what} breaker is a mapping: {', '.join(BREAKER_FIELDS)}")
        return base
    f = known_fields(node, BREAKER_FIELDS, "breaker", fail)
    cap, per_region = base.max_per_hour, dict(base.per_region)
    spike, quiet = base.spike, base.quiet_period
    if "max_actions_per_hour" in f:
        cap = _count(f["max_actions_per_hour"], "max_actions_per_hour", fail)
    if "per_region" in f:
        per_region = _per_region(f["per_region"], fail)
    if "spike" in f:
        value = scalar(f["spike"])
        if not isinstance(value, bool):
            fail(f["spike"], "`spike` is true or false")
        else:
            spike = value
    if "quiet_period" in f:
        try:
            quiet = parse_duration(str(scalar(f["quiet_period"])))
        except ValueError as exc:
            fail(f["quiet_period"], str(exc))
    return Breaker(cap, per_region, spike, quiet)


def _count(node: yaml.Node, name: str, fail: Any) -> int:
    value = scalar(node)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        fail(node, f"`{name}` must be a whole number >= 1")
        return 0
    return value


def _per_region(node: yaml.Node, fail: Any) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        fail(node, "`per_region` maps a region code to its cap: {US: 120}")
        return {}
    out = {}
    for knode, vnode in node.value:
        region = str(knode.value)
        if region not in REGIONS:
            fail(knode, f"unknown region {region!r}", "an ISO 3166-1 alpha-2 code, e.g. US")
            continue
        out[region] = _count(vnode, f"per_region.{region}", fail)
    return out


__all__ = ["Parsed", "parse_guardrails"]
