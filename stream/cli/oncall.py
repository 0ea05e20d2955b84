"""`vigil oncall`: acknowledge a trend incident, snooze a trend key (as the on-call page does)."""

import asyncio
import getpass
from datetime import UTC, datetime, timedelta

import typer
from aiokafka.errors import KafkaError

from schemas.outputs import OncallAction
from signals.eventtime import parse_duration
from stream import commands
from stream.cli.common import err, group
from stream.config import Settings
from stream.errors import VigilError

oncall = group("oncall", "Acknowledge trend incidents and snooze trend keys, on every worker.")


def _send(action: OncallAction) -> None:
    try:
        asyncio.run(commands.send_oncall_action(Settings(), action))
    except (OSError, KafkaError) as exc:
        err.print(f"error: could not reach Kafka: {exc}")
        raise typer.Exit(1) from None


@oncall.command("ack")
def ack_command(
    incident_id: str = typer.Argument(..., help="the incident (a trend alert's incident_id)"),
    reason: str = typer.Option(..., "--reason", help="why (kept with the acknowledgement)"),
    by: str = typer.Option("", "--by", help="who acknowledges (default: the login name)"),
) -> None:
    """Acknowledge a trend incident: someone is on it, so its updates page nobody."""
    try:
        action = commands.acknowledgement(
            incident_id, by or getpass.getuser(), reason, datetime.now(UTC)
        )
    except VigilError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None
    _send(action)
    typer.echo(f"acknowledged {action.incident_id} by {action.by}")


@oncall.command("snooze")
def snooze_command(
    kind: str = typer.Argument(..., help="hashtag, audio, caption or area_region"),
    value: str = typer.Argument(..., help="the key's value, e.g. fyp or hate:US"),
    for_: str = typer.Option("2h", "--for", help="how long: 30m, 2h, 1d (at most 7d)"),
    reason: str = typer.Option(..., "--reason", help="why (kept with the snooze)"),
    by: str = typer.Option("", "--by", help="who snoozes (default: the login name)"),
) -> None:
    """Snooze a trend key: it pages nobody until the snooze ends."""
    try:
        seconds = parse_duration(for_) / 1000
        action = commands.snooze(
            kind, value, timedelta(seconds=seconds), by or getpass.getuser(), reason,
            datetime.now(UTC),
        )  # fmt: skip
    except (VigilError, ValueError) as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None
    _send(action)
    typer.echo(f"snoozed {kind} {value} until {action.until} by {action.by}")


__all__ = ["oncall"]
