"""`vigil policy diff`: what a pack change would do, by replaying events under both packs."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from schemas.common import ENFORCEMENT_ACTIONS, ESCALATIONS, SHADOW_ACTIONS
from signals.policy import PolicyPack
from stream.replay import MemorySink, run

DECISION_TOPICS = (ENFORCEMENT_ACTIONS, ESCALATIONS, SHADOW_ACTIONS)


def decisions(pack: PolicyPack, lines: Iterable[bytes]) -> list[dict[str, Any]]:
    """Every decision the pack makes on these events, decoded."""
    sink = MemorySink()
    run(pack, lines, sink)
    return [d for t in DECISION_TOPICS for d in sink.records(t)]


def _identity(d: dict[str, Any]) -> tuple[str, str, str, str, str]:
    # versions and pack hashes differ between packs by design; compare what a target gets
    return (d["kind"], d["rule"]["id"], d["target"]["type"], d["target"]["id"], d["outcome"])


@dataclass
class Change:
    """Decisions added or removed for one (rule, policy area, region, outcome, kind)."""

    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)


def diff(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[tuple[str, ...], Change]:
    """Group the decisions only one pack makes by rule, policy area, region, outcome, kind."""
    old_ids = {_identity(d) for d in old}
    new_ids = {_identity(d) for d in new}
    changes: dict[tuple[str, ...], Change] = defaultdict(Change)
    for d in new:
        if _identity(d) not in old_ids:
            changes[_group(d)].added.append(d)
    for d in old:
        if _identity(d) not in new_ids:
            changes[_group(d)].removed.append(d)
    return dict(sorted(changes.items()))


def _group(d: dict[str, Any]) -> tuple[str, ...]:
    return (d["rule"]["id"], d["policy_area"], d.get("region") or "-", d["outcome"], d["kind"])


def print_diff(
    changes: dict[tuple[str, ...], Change], old_n: int, new_n: int, console: Console
) -> None:
    """Render the diff for a policy manager."""
    console.print(f"old pack: {old_n} decisions, new pack: {new_n} decisions")
    if not changes:
        console.print("no decision would change")
        return
    for (rule, area, region, outcome, kind), ch in changes.items():
        sign = f"[green]+{len(ch.added)}[/green] [red]-{len(ch.removed)}[/red]"
        console.print(f"{sign}  {rule}  {outcome} ({kind})  area={area} region={region}")
        for label, items in (("added", ch.added), ("removed", ch.removed)):
            for d in items[:3]:
                sig = ", ".join(f"{k}={v}" for k, v in d["evidence"].get("signals", {}).items())
                console.print(
                    f"      {label}: {d['target']['type']} {d['target']['id']} "
                    f"at {d['ts']}  [dim]{sig}[/dim]"
                )
    added = sum(len(c.added) for c in changes.values())
    removed = sum(len(c.removed) for c in changes.values())
    console.print(f"total: {added} added, {removed} removed")
