"""`vigil policy diff` and `vigil explain`: what a pack change would do, and why a decision
was made, both by replaying events through the engine."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from signals.catalogue import SIGNALS
from signals.policy import PolicyPack
from stream.replay import MemorySink, read_lines, run

DECISION_TOPICS = ("enforcement-actions", "escalations", "shadow-actions")


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


def print_diff(changes: dict[tuple[str, ...], Change], old_n: int, new_n: int,
               console: Console) -> None:
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
                sig = ", ".join(f"{k}={v}" for k, v in d["evidence"]["signals"].items())
                console.print(f"      {label}: {d['target']['type']} {d['target']['id']} "
                              f"at {d['ts']}  [dim]{sig}[/dim]")
    added = sum(len(c.added) for c in changes.values())
    removed = sum(len(c.removed) for c in changes.values())
    console.print(f"total: {added} added, {removed} removed")


def explain(decision: dict[str, Any], pack: PolicyPack) -> list[str]:
    """The decision in words, for an appeal reviewer."""
    ev = decision["evidence"]
    rule = pack.rule(decision["rule"]["id"])
    kind = {"action": "enforcement action", "escalation": "escalation to humans",
            "shadow": "shadow decision (not enforced)"}[decision["kind"]]
    lines = [
        f"Decision {decision['id']}: {kind} `{decision['outcome']}` on "
        f"{decision['target']['type']} {decision['target']['id']}, at {decision['ts']}.",
        f"Made by rule {decision['rule']['id']} version {decision['rule']['version']} "
        f"({ev.get('rule_file')}), policy area {decision['policy_area']}, "
        f"policy pack {decision['pack_hash']}.",
    ]
    if rule is not None:
        lines.append(f"The rule, by {rule.owner}: {rule.description}")
    if ev["condition"] == "true" and ev.get("bands"):
        lines.append("It has no condition of its own: its bands decide.")
    else:
        lines.append(f"Its condition, as written: {ev['condition']}")
    bands = ev.get("bands")
    if bands:
        value = ev["signals"].get(bands["signal"])
        where = (f">= enforce_at {bands['enforce_at']}" if ev.get("band") == "enforce"
                 else f"between review_at {bands['review_at']} and enforce_at "
                      f"{bands['enforce_at']}")
        lines.append(f"Band `{ev.get('band')}`: {bands['signal']} was {value}, {where}.")
    region = decision.get("region") or "unknown"
    if ev.get("region_override"):
        lines.append(f"Region {region}: the rule's override for {ev['region_override']} "
                     "applied.")
    else:
        lines.append(f"Region {region}: no regional override applied.")
    lines.append("What the rule read, as of the triggering event:")
    for name, value in ev["signals"].items():
        meaning = SIGNALS[name].meaning if name in SIGNALS else ""
        lines.append(f"  {name} = {value}    ({meaning})")
    for other in ev.get("also_matched", []):
        lines.append(f"Also matched, outranked by this decision: {other['rule']} "
                     f"v{other['version']} ({other['outcome']}).")
    if decision["outcome"] == "review":
        lines.append(f"Routed to queue {decision['queue']} with priority {decision['priority']}.")
    lines.append("Source events: " + ", ".join(decision["source_event_ids"]))
    return lines


def find(pack: PolicyPack, events: Path, decision_id: str) -> dict[str, Any] | None:
    """Replay events under pack and return the decision with this id, if it is made."""
    for d in decisions(pack, read_lines(events)):
        if d["id"] == decision_id:
            return d
    return None
