"""`vigil trends`: the open incidents of a replay's output or of running workers, as a table."""

import json
from collections.abc import Iterable
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from stream import readback
from stream.cli.common import app, err
from stream.config import Settings
from stream.errors import VigilError
from stream.worker.incidents import ActiveTrends


def from_replay(directory: Path) -> ActiveTrends:
    """Open incidents at the end of a replay's trend-alerts.jsonl."""
    active = ActiveTrends()
    path = directory / "trend-alerts.jsonl" if directory.is_dir() else directory
    with path.open("rb") as f:
        for line in f:
            if line.strip():
                active.add(json.loads(line)["value"])
    return active


def from_workers(urls: Iterable[str], token: str | None = None) -> ActiveTrends:
    """Open incidents from running workers' /trends views (each holds its own partitions)."""
    active = ActiveTrends()
    for row in readback.from_workers(urls, "/trends", "trends", token):
        active.add(row)
        active.first[row["incident_id"]] = row.get("fired", row["ts"])
    return active


def show(active: ActiveTrends, console: Console) -> None:
    """Print open incidents as a table."""
    rows = active.rows()
    if not rows:
        console.print("no active trends")
        return
    t = Table(title=f"Active trends ({len(rows)})")
    for col in (
        "severity",
        "kind",
        "key",
        "area",
        "region",
        "since",
        "5 min",
        "expected",
        "creators",
        "samples",
    ):
        t.add_column(col)
    for a in rows:
        t.add_row(
            a["severity"],
            a["key"]["kind"],
            a["key"]["value"],
            a.get("policy_area") or "-",
            a.get("region") or "-",
            a["fired"],
            str(a["observed"]),
            str(a["expected"]),
            str(a["distinct_creators"]),
            ", ".join(a["sample_content_ids"][:3]),
        )
    console.print(t)


@app.command("trends")
def trends_command(
    url: list[str] = typer.Option([], "--url", help="a worker's web address (repeatable)"),
    replay_out: Path | None = typer.Option(
        None, "--from", help="a replay --out directory or trend-alerts.jsonl"
    ),
) -> None:
    """Print the active trends, from running workers or from a replay's output."""
    if bool(url) == bool(replay_out):
        err.print("error: give --url (one or more workers) or --from (a replay output)")
        raise typer.Exit(2)
    if replay_out is not None:
        if not replay_out.exists():
            err.print(f"error: {replay_out} does not exist")
            raise typer.Exit(2)
        active = from_replay(replay_out)
    else:
        try:
            active = from_workers(url, Settings().api_token)
        except VigilError as exc:
            err.print(f"error: could not read /trends: {exc}")
            raise typer.Exit(1) from None
    show(active, Console(width=160))
