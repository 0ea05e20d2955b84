"""What no arrival order can change, for comparing Kafka runs with replay."""

from typing import Any

from signals.policy.model import ACTION_SEVERITY, ROUTING_URGENCY


def invariant(decisions: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """Per content: the most severe action and the most urgent routing, ids and regions
    included; every reversal, creator and shadow decision; the strike ladder steps in force.

    Which lesser actions also go out can depend on arrival order when conflicting rules are
    triggered by different topics (a lesser action that arrives first is emitted before the
    greater one exists), so those are not compared.
    """
    best: dict[tuple[str, str], tuple[tuple[int, int, int], tuple[Any, ...]]] = {}
    out: set[tuple[Any, ...]] = ladder_in_force(decisions)
    for d in decisions:
        if d["rule"]["id"].startswith("ladder."):
            continue
        ident = (d["kind"], d["id"], d["rule"]["id"], d["target"]["id"], d["outcome"])
        # a creator's region: their newest upload so far; a reversal is always compared
        if d["target"]["type"] == "creator" or d["kind"] == "reversal":
            out.add(ident)
            continue
        ident = (*ident, d.get("region"))  # a video's decisions wait for its region
        if d["kind"] == "shadow":
            out.add(ident)
            continue
        rank = (
            ACTION_SEVERITY.get(d["outcome"], 0),
            ROUTING_URGENCY.get(d["outcome"], 0),
            -(d.get("priority") or 3),
        )
        key = (d["kind"], d["target"]["id"])
        if key not in best or rank > best[key][0]:
            best[key] = (rank, ident)
    return out | {ident for _, ident in best.values()}


def ladder_in_force(decisions: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """The strike ladder steps in force once every decision is out: (creator, area, outcome).

    Which steps a creator passes through on the way can depend on the order in which facts
    from different content partitions arrive (signals.ladder); the steps in force cannot.
    """
    steps = [d for d in decisions if d["rule"]["id"].startswith("ladder.")]
    reversed_ids = {d["reverses"] for d in steps if d["kind"] == "reversal"}
    return {
        ("in_force", d["target"]["id"], d["policy_area"], d["outcome"])
        for d in steps
        if d["kind"] == "action" and d["id"] not in reversed_ids
    }
