"""`vigil queues`: the human review queues: depth by priority, oldest wait, past due, overflow."""

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
import orjson
import typer
from rich.console import Console

from schemas.common import REVIEW_QUEUES
from schemas.outputs import QueueStatus
from stream import queuetable, readback
from stream.cli.common import POLICIES_OPT, app, err, load_or_exit
from stream.config import Settings
from stream.errors import VigilError


def _decoded(docs: Iterable[Any], where: str) -> list[QueueStatus]:
    try:
        return [msgspec.convert(d, QueueStatus) for d in docs]
    except msgspec.ValidationError as exc:
        raise VigilError(f"{where}: a record is not a queue status: {exc}") from None


def from_replay(source: Path) -> list[QueueStatus]:
    """The newest status per queue in a replay's review-queues.jsonl (or its --out directory)."""
    return queuetable.newest(readback.read_output_file(source, REVIEW_QUEUES, QueueStatus))


def from_workers(urls: Iterable[str], token: str | None) -> list[QueueStatus]:
    """The statuses every worker's /queues view serves (each holds its own queues)."""
    docs = readback.from_workers(urls, "/queues", "queues", token)
    return queuetable.newest(_decoded(docs, "/queues"))


def on_kafka(settings: Settings, idle_seconds: float = 2.0) -> list[QueueStatus]:
    """The compacted review-queues topic from its start until no more records arrive."""
    topic = settings.topic(REVIEW_QUEUES)
    docs = asyncio.run(readback.read_topics(settings, [topic], idle_seconds))
    return queuetable.newest(_decoded((doc for doc, _ in docs), topic))


@app.command("queues")
def queues_command(
    replay_out: Path | None = typer.Option(
        None, "--from", help="a replay --out directory or its review-queues.jsonl"
    ),
    url: list[str] = typer.Option(
        [], "--url", help="a worker's web address (repeatable: every worker's queues)"
    ),
    kafka: bool = typer.Option(False, "--kafka", help="read the review-queues topic"),
    policies: Path = POLICIES_OPT,
    as_json: bool = typer.Option(False, "--json", help="the statuses as JSON"),
) -> None:
    """Each human review queue: depth by priority, oldest wait, past due and overflow against
    its capacity and service level."""
    if sum((replay_out is not None, bool(url), kafka)) != 1:
        err.print("error: give one of --from (a replay output), --url (workers) or --kafka")
        raise typer.Exit(2)
    pack = load_or_exit(policies)
    try:
        if replay_out is not None:
            statuses = from_replay(replay_out)
        elif url:
            statuses = from_workers(url, Settings().api_token)
        else:
            statuses = on_kafka(Settings())
    except (VigilError, OSError) as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(orjson.dumps([msgspec.to_builtins(s) for s in statuses]).decode())
        return
    Console(width=160).print(queuetable.table(statuses, pack))


__all__ = ["from_replay", "from_workers", "on_kafka"]
