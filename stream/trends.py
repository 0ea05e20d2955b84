"""`vigil trends` and the worker's `/trends` view: what is spiking, where, since when."""

import json
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

MAX_ACTIVE = 500  # a worker keeps at most this many open incidents for its view
MAX_RESOLVED = 500  # ...and this many resolved ones, so an alert's link still shows it


class ActiveTrends:
    """Open incidents from the alerts a worker emitted: the newest message per incident,
    moved to `resolved` (the newest MAX_RESOLVED) when it resolves."""

    def __init__(self) -> None:
        self.open: dict[str, dict[str, Any]] = {}
        self.first: dict[str, str] = {}
        self.resolved: dict[str, dict[str, Any]] = {}

    def add(self, alert: dict[str, Any]) -> None:
        """Fold one trend-alert message in."""
        inc = alert["incident_id"]
        if alert["status"] == "resolved":
            self.open.pop(inc, None)
            self.resolved[inc] = {**alert, "fired": self.first.pop(inc, alert["ts"])}
            if len(self.resolved) > MAX_RESOLVED:
                del self.resolved[next(iter(self.resolved))]  # the oldest resolution
            return
        self.first.setdefault(inc, alert["ts"])
        self.open[inc] = alert
        if len(self.open) > MAX_ACTIVE:  # the oldest incident goes first
            oldest = min(self.open, key=lambda i: self.open[i]["ts"])
            self.open.pop(oldest)
            self.first.pop(oldest, None)

    def of_key(self, kind: str, value: str, incident: str | None = None) -> list[dict[str, Any]]:
        """A key's incidents, open first, then recently resolved (one incident if named)."""
        rows = [*self.rows(), *reversed(list(self.resolved.values()))]
        return [r for r in rows if r["key"]["kind"] == kind and r["key"]["value"] == value
                and incident in (None, r["incident_id"])]

    def rows(self) -> list[dict[str, Any]]:
        """Open incidents, most severe and then newest first."""
        order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
        out = [{**a, "fired": self.first.get(a["incident_id"], a["ts"])}
               for a in self.open.values()]
        return sorted(out, key=lambda a: (order[a["severity"]], a["fired"]))


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
    for url in urls:
        req = urllib.request.Request(url.rstrip("/") + "/trends")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=10) as resp:
            for row in json.loads(resp.read())["trends"]:
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
    for col in ("severity", "kind", "key", "area", "region", "since", "5 min", "expected",
                "creators", "samples"):
        t.add_column(col)
    for a in rows:
        t.add_row(a["severity"], a["key"]["kind"], a["key"]["value"], a.get("policy_area") or "-",
                  a.get("region") or "-", a["fired"], str(a["observed"]), str(a["expected"]),
                  str(a["distinct_creators"]), ", ".join(a["sample_content_ids"][:3]))
    console.print(t)
