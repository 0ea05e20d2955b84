"""`vigil rules`: the circuit breakers of the automatic rules: their status, a trip, a reset."""

import asyncio
import getpass
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
import orjson
import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from schemas.common import RULE_STATE
from schemas.outputs import RuleStatus
from signals.policy import PolicyPack
from stream import commands, readback
from stream.cli.common import POLICIES_OPT, err, group, load_or_exit
from stream.config import Settings
from stream.errors import VigilError
from stream.readback import read_output_file, read_topics

rules = group("rules", "The circuit breakers of the automatic rules.")


def from_replay(source: Path) -> list[RuleStatus]:
    """The newest status per rule in a replay's rule-state.jsonl (or its --out directory)."""
    return newest(read_output_file(source, RULE_STATE, RuleStatus))


def on_kafka(settings: Settings, idle_seconds: float = 2.0) -> list[RuleStatus]:
    """The compacted rule-state topic from its start until no more records arrive."""
    docs = asyncio.run(read_topics(settings, [settings.topic(RULE_STATE)], idle_seconds))
    return newest(_decoded((doc for doc, _ in docs), settings.topic(RULE_STATE)))


def _decoded(docs: Iterable[Any], where: str) -> list[RuleStatus]:
    try:
        return [msgspec.convert(d, RuleStatus) for d in docs]
    except msgspec.ValidationError as exc:
        raise VigilError(f"{where}: a record is not a rule status: {exc}") from None


def newest(statuses: Iterable[RuleStatus]) -> list[RuleStatus]:
    """The status with the newest event time per rule (as compaction leaves the topic)."""
    return readback.newest(statuses, lambda s: s.rule_id, lambda s: s.ts)


def table(statuses: list[RuleStatus], pack: PolicyPack) -> Table:
    """Each automatic rule's mode, recent rate against normal, breaker state, last change;
    the pack's automatic rules that never acted are listed as automatic."""
    by_rule = {s.rule_id: s for s in statuses}
    t = Table(title="Circuit breakers")
    for col in ("rule", "mode", "last hour", "normal/h", "cap/h", "held", "enforced", "trips"):
        t.add_column(col, justify="left" if col in ("rule", "mode") else "right")
    t.add_column("last change")
    t.add_column("models (last hour)")
    enforcing = (
        r.id
        for r in pack.rules
        if r.acts and any(v.mode == "enforce" for v in (r, *r.regions.values()))
    )
    ids = sorted({*by_rule, *enforcing})
    for rid in ids:
        s = by_rule.get(rid)
        if s is None:
            t.add_row(rid, "automatic", "0", "-", _cap(pack, rid), "0", "0", "0", "never", "")
            continue
        change = "never" if s.since is None else f"{s.since} {s.reason}"
        if s.changed_by:
            change += f" (by {s.changed_by})"
        mode = "[bold red]held[/bold red]" if s.mode == "held" else "automatic"
        t.add_row(
            rid,
            mode,
            str(s.rate_hour),
            f"{s.normal_hour:g}",
            str(s.cap) if s.cap else _cap(pack, rid),
            str(s.held),
            str(s.passed),
            str(s.trips),
            change,
            ", ".join(f"{m} x{n}" for m, n in s.model_versions.items()),
        )
    return t


def _cap(pack: PolicyPack, rule_id: str) -> str:
    cap = pack.guardrails.breaker(rule_id).max_per_hour
    return str(cap) if cap else "-"


@rules.command("status")
def status_command(
    replay_out: Path | None = typer.Option(
        None, "--from", help="a replay --out directory or its rule-state.jsonl"
    ),
    kafka: bool = typer.Option(False, "--kafka", help="read the rule-state topic"),
    policies: Path = POLICIES_OPT,
    as_json: bool = typer.Option(False, "--json", help="the statuses as JSON"),
) -> None:
    """Each automatic rule's mode, its last hour against normal, its breaker, its last change."""
    if bool(replay_out) == kafka:
        err.print("error: give --from (a replay output) or --kafka (the rule-state topic)")
        raise typer.Exit(2)
    pack = load_or_exit(policies)
    try:
        if replay_out is not None:
            if not replay_out.exists():
                err.print(f"error: {replay_out} does not exist")
                raise typer.Exit(2)
            statuses = from_replay(replay_out)
        else:
            statuses = on_kafka(Settings())
    except (VigilError, OSError) as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(orjson.dumps([msgspec.to_builtins(s) for s in statuses]).decode())
        return
    Console(width=180).print(table(statuses, pack))


def _command(
    command: commands.BreakerCommand, rule_id: str, reason: str, by: str, policies: Path
) -> None:
    """Send a trip or reset of an automatic rule's breaker to the workers."""
    pack = load_or_exit(policies)
    rule = pack.rule(rule_id)
    if rule is None or not rule.acts:
        what = "is not in the pack" if rule is None else "never acts automatically"
        err.print(f"error: rule {rule_id!r} {what} ({policies})")
        raise typer.Exit(2)
    if not reason.strip():
        err.print(f"error: --reason must say why the breaker is {command}")
        raise typer.Exit(2)
    who = by or getpass.getuser()
    try:
        asyncio.run(commands.send_breaker_command(Settings(), command, rule_id, reason, who))
    except (OSError, KafkaError) as exc:
        err.print(f"error: could not reach Kafka: {exc}")
        raise typer.Exit(1) from None
    typer.echo(f"{command} of {rule_id} sent by {who}: {reason.strip()}")


@rules.command("reset")
def reset_command(
    rule_id: str = typer.Argument(..., help="the rule whose breaker to reset"),
    reason: str = typer.Option(..., "--reason", help="why (kept in the rule's status)"),
    by: str = typer.Option("", "--by", help="who resets it (default: the login name)"),
    policies: Path = POLICIES_OPT,
) -> None:
    """Switch a rule whose breaker tripped back to automatic (on the workers' Kafka)."""
    _command("reset", rule_id, reason, by, policies)


@rules.command("trip")
def trip_command(
    rule_id: str = typer.Argument(..., help="the rule whose breaker to trip"),
    reason: str = typer.Option(..., "--reason", help="why (kept in the rule's status)"),
    by: str = typer.Option("", "--by", help="who trips it (default: the login name)"),
    policies: Path = POLICIES_OPT,
) -> None:
    """Trip a rule's breaker by hand: its automatic actions go to review until a reset."""
    _command("trip", rule_id, reason, by, policies)
