"""The open trend incidents a worker serves at `/trends`: what is spiking, where, since when."""

from typing import Any

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
        return [
            r
            for r in rows
            if r["key"]["kind"] == kind
            and r["key"]["value"] == value
            and incident in (None, r["incident_id"])
        ]

    def rows(self) -> list[dict[str, Any]]:
        """Open incidents, most severe and then newest first."""
        order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
        out = [
            {**a, "fired": self.first.get(a["incident_id"], a["ts"])} for a in self.open.values()
        ]
        return sorted(out, key=lambda a: (order[a["severity"]], a["fired"]))
