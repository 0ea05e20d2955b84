"""`vigil explain`: what an output record says, in words, for an appeal reviewer or on-call.

An explanation starts from the record that was emitted (a decision, a trend alert or a dead
letter), read from an output file, a replay's output directory or the output topics: its
evidence holds every signal value the rule read, so the record alone explains itself. A
replay of the events, when given, only adds context: whether the pack given reproduces the
decision, and what differs if it does not (it was made under another pack, or from events
the file does not hold).
"""

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import typer

from schemas.common import ENFORCEMENT_ACTIONS, ESCALATIONS, OUTPUT_TOPICS, SHADOW_ACTIONS
from signals.catalogue import SIGNALS
from signals.policy import PolicyPack
from stream.cli.common import POLICIES_OPT, app, err, load_or_exit, require_file
from stream.config import Settings
from stream.readback import read_topics

DECISION_TOPICS = (ENFORCEMENT_ACTIONS, ESCALATIONS, SHADOW_ACTIONS)
# what a replay may differ in from the emitted decision without being another decision
_COMPARED = (
    "kind",
    "outcome",
    "rule",
    "target",
    "window",
    "region",
    "queue",
    "priority",
    "pack_hash",
    "evidence",
)


@dataclass(frozen=True)
class Found:
    """An output record with the id asked for, and where it was read."""

    kind: str  # decision | trend_alert | dead_letter
    record: dict[str, Any]
    where: str


def kind_of(record: Any) -> str | None:
    """Which output record a JSON object is, by its fields; None if none."""
    if not isinstance(record, dict) or "id" not in record:
        return None
    if "rule" in record and "target" in record and "evidence" in record:
        return "decision"
    if "incident_id" in record and "key" in record:
        return "trend_alert"
    if "reason" in record and "original_b64" in record:
        return "dead_letter"
    return None


def records_in(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    """Output records in a replay --out directory or a JSONL file: envelope lines
    (`{"topic", "key", "value"}`) or bare records, each with where it was read."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    doc = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue  # not an output line: nothing to explain there
                if isinstance(doc, dict) and "value" in doc and "topic" in doc:
                    doc = doc["value"]
                if isinstance(doc, dict):
                    yield doc, f"{file}:{n}"


def records_on_kafka(
    settings: Settings, idle_seconds: float = 2.0
) -> Iterator[tuple[dict[str, Any], str]]:
    """Every record on the output topics, from their start until no more arrive."""
    topics = [settings.topic(t) for t in OUTPUT_TOPICS]
    return iter(asyncio.run(read_topics(settings, topics, idle_seconds)))


def find(record_id: str, records: Iterable[tuple[dict[str, Any], str]]) -> Found | None:
    """The first output record with this id."""
    for doc, where in records:
        if doc.get("id") == record_id:
            kind = kind_of(doc)
            if kind is not None:
                return Found(kind, doc, where)
    return None


def explain_decision(decision: dict[str, Any], pack: PolicyPack | None) -> list[str]:
    """A decision in words, from its own evidence; the pack adds the rule's owner and intent."""
    ev = decision["evidence"]
    if decision["kind"] == "reversal" or "active_strikes" in ev:
        return _explain_undo_or_step(decision)
    kind = {
        "action": "enforcement action",
        "escalation": "escalation to humans",
        "shadow": "shadow decision (not enforced)",
    }[decision["kind"]]
    lines = [
        f"Decision {decision['id']}: {kind} `{decision['outcome']}` on "
        f"{decision['target']['type']} {decision['target']['id']}, at {decision['ts']}.",
        f"Made by rule {decision['rule']['id']} version {decision['rule']['version']} "
        f"({ev.get('rule_file')}), policy area {decision['policy_area']}, "
        f"policy pack {decision['pack_hash']}.",
    ]
    rule = pack.rule(decision["rule"]["id"]) if pack is not None else None
    if pack is not None and pack.hash != decision["pack_hash"]:
        lines.append(
            f"(The pack given is {pack.hash}, not the one that decided: its rule text "
            "below may differ from what ran.)"
        )
    if rule is not None and rule.version == decision["rule"]["version"]:
        lines.append(f"The rule, by {rule.owner}: {rule.description}")
    elif rule is not None:
        lines.append(f"(The pack given has version {rule.version} of this rule.)")
    if ev["condition"] == "true" and ev.get("bands"):
        lines.append("It has no condition of its own: its bands decide.")
    else:
        lines.append(f"Its condition, as written: {ev['condition']}")
    bands = ev.get("bands")
    if bands:
        value = ev["signals"].get(bands["signal"])
        where = (
            f">= enforce_at {bands['enforce_at']}"
            if ev.get("band") == "enforce"
            else f"between review_at {bands['review_at']} and enforce_at {bands['enforce_at']}"
        )
        lines.append(f"Band `{ev.get('band')}`: {bands['signal']} was {value}, {where}.")
    region = decision.get("region")
    if ev.get("region_unknown"):
        lines.append(
            "Region unknown: the video's upload (its region) had not arrived when the "
            "rule's region hold ended, so the rule ran as written, without overrides."
        )
    elif ev.get("region_override"):
        lines.append(f"Region {region}: the rule's override for {ev['region_override']} applied.")
    elif region:
        lines.append(f"Region {region}: no regional override applied.")
    else:
        lines.append(
            "Region not known yet when it was decided (the rule has no regional "
            "variants, so it did not wait for it)."
        )
    lines.append("What the rule read, as of the triggering event:")
    for name, value in ev["signals"].items():
        meaning = SIGNALS[name].meaning if name in SIGNALS else ""
        lines.append(f"  {name} = {value}    ({meaning})")
    for other in ev.get("also_matched", []):
        lines.append(
            f"Also matched, outranked by this decision: {other['rule']} "
            f"v{other['version']} ({other['outcome']})."
        )
    if decision["outcome"] == "review":
        lines.append(f"Routed to queue {decision['queue']} with priority {decision['priority']}.")
        t = ev.get("triage")
        if t:  # decisions before traffic control have none
            lines.append(
                f"  Triage: the more urgent of its rule's priority ({t['rule_priority']}) and "
                f"its area's ({t['area_priority']}), {t['reach']} distinct reporters in the "
                f"last hour; due for review by {t['due']} (queues are served earliest due "
                "first)."
            )
    lines.append("Source events: " + ", ".join(decision["source_event_ids"]))
    return lines


def _explain_undo_or_step(decision: dict[str, Any]) -> list[str]:
    """A reversal, or a step of a creator's strike ladder, in words."""
    ev, target = decision["evidence"], decision["target"]
    lines = []
    if decision["kind"] == "reversal":
        lines.append(
            f"Decision {decision['id']}: reversal of {decision['reverses']} "
            f"(`{ev.get('reversed_outcome')}` on {target['type']} {target['id']}), at "
            f"{decision['ts']}: undo it."
        )
        human = ev.get("human")
        if human:
            lines.append(
                f"A human {human['kind']} found `{human['outcome']}` ({human['event_id']})."
            )
        if ev.get("removed_strike"):
            lines.append(f"The strike from action {ev['removed_strike']} was removed.")
        if decision.get("strike_removed"):
            lines.append("The strike this action put on its creator is removed.")
    else:
        lines.append(
            f"Decision {decision['id']}: strike ladder `{ev['ladder']}` step at "
            f"{ev['step']} active strikes: `{decision['outcome']}` on creator {target['id']} "
            f"in {decision['policy_area']}, at {decision['ts']}"
            + (f", until {decision['expires']}." if decision.get("expires") else ".")
        )
    if "active_strikes" in ev:
        lines.append(f"Active strikes ({len(ev['active_strikes'])}):")
        for s in ev["active_strikes"]:
            lines.append(
                f"  {s['ts']} {s['policy_area']}: action {s['decision_id']} on {s['content_id']}"
            )
    lines.append("Source events: " + ", ".join(decision["source_event_ids"]))
    return lines


def explain_alert(alert: dict[str, Any]) -> list[str]:
    """A trend alert in words."""
    key = alert["key"]
    where = f" in {alert['region']}" if alert.get("region") else ""
    lines = [
        f"Trend alert {alert['id']}: incident {alert['incident_id']} `{alert['status']}`, "
        f"severity {alert['severity']}, at {alert['ts']}.",
        f"What is spiking: {key['kind']} {key['value']}{where}"
        + (f" (policy area {alert['policy_area']})" if alert.get("policy_area") else "")
        + ".",
        f"In {alert['window_start']} .. {alert['window_end']}: {alert['observed']} against "
        f"{alert['expected']} expected ({alert['growth']}x), tail score {alert['score']}, "
        f"from {alert['distinct_creators']} distinct creators or reporters.",
        f"First seen {alert['first_seen']}.",
    ]
    if alert.get("sample_content_ids"):
        lines.append("Sample videos: " + ", ".join(alert["sample_content_ids"]))
    if alert.get("top_creators"):
        lines.append("Top creators: " + ", ".join(alert["top_creators"]))
    if alert.get("link"):
        lines.append(f"Dashboard: {alert['link']}")
    return lines


def explain_dead_letter(dead: dict[str, Any]) -> list[str]:
    """A dead letter in words: why the message was refused and where the original is."""
    if dead.get("offset") is not None:
        at = f"partition {dead.get('partition')}, offset {dead['offset']}"
    elif dead.get("line") is not None:
        at = f"line {dead['line']} of the events file"
    else:
        at = f"partition {dead.get('partition')}"
    what = (
        "an output record vigil could not publish"
        if dead["reason"] == "output_refused"
        else "an input message vigil refused"
    )
    kept = (
        "its first part is kept in original_b64"
        if dead.get("original_truncated")
        else "it is kept whole in original_b64"
    )
    lines = [
        f"Dead letter {dead['id']}: {what}, on {dead['source_topic']} ({at}).",
        f"Reason `{dead['reason']}`: {dead['detail']}.",
        f"The original was {dead['original_size']} bytes"
        + (f", SHA-256 {dead['original_sha256']}" if dead.get("original_sha256") else "")
        + f"; {kept}.",
    ]
    return lines


def differences(emitted: dict[str, Any], replayed: dict[str, Any]) -> list[str]:
    """The fields of a decision a replay made otherwise (ts and source ids may differ)."""
    return [f for f in _COMPARED if emitted.get(f) != replayed.get(f)]


@app.command("explain")
def explain_command(
    record_id: str = typer.Argument(..., help="a decision, trend alert or dead letter id"),
    sources: list[Path] = typer.Option(
        [],
        "--from",
        help="an output file or a replay --out directory to read the record from (repeatable)",
    ),
    kafka: bool = typer.Option(
        False, "--kafka", help="read it from the output topics (VIGIL_BROKER, VIGIL_TOPIC_PREFIX)"
    ),
    events: Path | None = typer.Option(
        None,
        "--events",
        help="the events to replay, for context (or, alone, to reconstruct a decision)",
    ),
    policies: Path = POLICIES_OPT,
) -> None:
    """Explain an emitted decision, trend alert or dead letter in words."""
    from itertools import chain

    from stream.cli.policydiff import decisions
    from stream.replay import read_lines

    for path in sources:
        if not path.exists():
            err.print(f"error: {path} does not exist")
            raise typer.Exit(2)
    if events is not None:
        require_file(events)
    if not sources and not kafka and events is None:
        err.print("error: give --from (an output file or directory), --kafka, or --events")
        raise typer.Exit(2)
    pack = load_or_exit(policies)
    replayed: list[dict[str, Any]] | None = None
    if sources or kafka:
        where = [records_in(p) for p in sources]
        if kafka:
            where.append(records_on_kafka(Settings()))
        found = find(record_id, chain(*where))
        looked = ", ".join([str(p) for p in sources] + (["the output topics"] if kafka else []))
    else:  # only events: the decision as this pack makes it from them
        replayed = decisions(pack, read_lines(events))  # type: ignore[arg-type]
        found = find(record_id, ((d, "replay") for d in replayed))
        looked = f"a replay of {events} under pack {pack.hash}"
    if found is None:
        err.print(
            f"error: no decision, trend alert or dead letter has id {record_id} in "
            f"{looked}"
            + (
                "; a trend alert or dead letter is read from outputs (--from, --kafka)"
                if replayed is not None
                else ""
            )
        )
        raise typer.Exit(1)
    if found.kind == "trend_alert":
        lines = explain_alert(found.record)
    elif found.kind == "dead_letter":
        lines = explain_dead_letter(found.record)
    else:
        lines = explain_decision(found.record, pack)
        if replayed is None and events is not None:
            lines += _replay_context(found.record, decisions(pack, read_lines(events)), pack)
    for line in [*lines, f"(read from {found.where})"]:
        typer.echo(line)


def _replay_context(
    emitted: dict[str, Any], replayed: list[dict[str, Any]], pack: PolicyPack
) -> list[str]:
    """What a replay of the events under the pack given says about an emitted decision."""
    same = next((d for d in replayed if d["id"] == emitted["id"]), None)
    if same is None:
        return [
            f"Replaying the events under pack {pack.hash} makes no such decision: it was "
            "made under another pack or from events the file does not hold."
        ]
    diff = differences(emitted, same)
    if not diff:
        return [f"Replaying the events under pack {pack.hash} makes the same decision."]
    return [
        f"Replaying the events under pack {pack.hash} makes this decision with other "
        f"{', '.join(diff)}."
    ]
