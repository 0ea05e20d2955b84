"""What no arrival order can change, for comparing Kafka runs with replay."""

from typing import Any

from signals.policy.model import ACTION_SEVERITY, ROUTING_URGENCY


def invariant(decisions: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """Per content: the most severe action and the most urgent routing, ids and regions
    included; every creator and shadow decision.

    Which lesser actions also go out can depend on arrival order when conflicting rules are
    triggered by different topics (a lesser action that arrives first is emitted before the
    greater one exists), so those are not compared.
    """
    best: dict[tuple[str, str], tuple[tuple[int, int, int], tuple[Any, ...]]] = {}
    out: set[tuple[Any, ...]] = set()
    for d in decisions:
        ident = (d["kind"], d["id"], d["rule"]["id"], d["target"]["id"], d["outcome"])
        if d["target"]["type"] == "creator":  # a creator's region: their newest upload so far
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
