"""What the on-call page shows, folded from the records every worker publishes.

`Board` keeps the newest of each compacted topic's keys (rule-state, review-queues,
enforcement-quality, oncall-actions), the open trend incidents (trend-alerts) and the latest
escalations per queue; `panels` turns it into the page's four panels. Nothing here reads
Kafka or the clock: the feed (stream/worker/board/feed.py) hands records in, the view asks
for panels as of a wall-clock time it gives.
"""

from collections import deque
from datetime import UTC, datetime
from typing import Any

import msgspec

from schemas.common import (
    ENFORCEMENT_QUALITY,
    ESCALATIONS,
    ONCALL_ACTIONS,
    REVIEW_QUEUES,
    RULE_STATE,
    TREND_ALERTS,
)
from schemas.quality import EnforcementQuality
from signals.qualityreport import report
from signals.stats import wilson
from stream.notify.grouping import merge
from stream.worker.incidents import ActiveTrends

RECENT_ESCALATIONS = 8  # shown per queue
QUALITY_DAYS = 28


class Board:
    """The deployment as its published records tell it."""

    def __init__(self) -> None:
        self.trends = ActiveTrends()
        self.rules: dict[str, dict[str, Any]] = {}
        self.queues: dict[str, dict[str, Any]] = {}
        self.quality: dict[str, dict[str, Any]] = {}
        self.acks: dict[str, dict[str, Any]] = {}  # incident id -> acknowledgement
        self.snoozes: dict[str, dict[str, Any]] = {}  # "kind:value" -> snooze
        self.escalations: dict[str, deque[dict[str, Any]]] = {}
        self.records = 0

    def add(self, topic: str, record: dict[str, Any]) -> None:
        """Fold one record of a logical topic in (a record of another shape is skipped)."""
        self.records += 1
        try:
            if topic == TREND_ALERTS:
                self.trends.add(record)
            elif topic == RULE_STATE:
                _newest(self.rules, record["rule_id"], record)
            elif topic == REVIEW_QUEUES:
                _newest(self.queues, record["queue"], record)
            elif topic == ENFORCEMENT_QUALITY:
                self.quality[record["key"]] = record
            elif topic == ONCALL_ACTIONS:
                if record["kind"] == "ack":
                    self.acks[record["incident_id"]] = record
                else:
                    key = record["key"]
                    self.snoozes[f"{key['kind']}:{key['value']}"] = record
            elif topic == ESCALATIONS and record.get("queue") and record["outcome"] == "review":
                queue = self.escalations.setdefault(
                    record["queue"], deque(maxlen=RECENT_ESCALATIONS)
                )
                queue.append(record)
        except (KeyError, TypeError):
            return

    def snoozed(self, kind: str, value: str, now: datetime) -> dict[str, Any] | None:
        """The snooze in force on a trend key at wall-clock `now`, if any."""
        s = self.snoozes.get(f"{kind}:{value}")
        return s if s is not None and _at(s["until"]) > now else None

    def silenced(self, alert: dict[str, Any], now: datetime) -> bool:
        """Whether on-call is not to be paged for this alert: its key is snoozed, or it
        updates an incident someone acknowledged (a new incident, or its resolution, still
        goes out)."""
        key = alert["key"]
        if self.snoozed(key["kind"], key["value"], now) is not None:
            return True
        return alert["status"] == "updated" and alert["incident_id"] in self.acks


def panels(board: Board, now: datetime) -> dict[str, Any]:
    """The page's panels as of wall-clock `now`."""
    return {
        "as_of": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "records": board.records,
        "incidents": _incidents(board, now),
        "queues": _queues(board),
        "rules": _rules(board),
        "quality": _quality(board),
    }


def _incidents(board: Board, now: datetime) -> list[dict[str, Any]]:
    """Open incidents, grouped as on-call is paged (keys spiking on the same videos), the
    most severe first."""
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    out = []
    for page in merge(board.trends.rows()):
        ids = page["grouped_incident_ids"]
        ack = next((board.acks[i] for i in ids if i in board.acks), None)
        key = page["key"]
        snooze = board.snoozed(key["kind"], key["value"], now)
        out.append(
            {
                "incident_id": page["incident_id"],
                "incident_ids": ids,
                "key": key,
                "keys": page["keys"],
                "policy_area": page.get("policy_area"),
                "region": page.get("region"),
                "severity": page["severity"],
                "status": page["status"],
                "why": page.get("why"),
                "observed": page["observed"],
                "expected": page["expected"],
                "expected_high": page.get("expected_high"),
                "recent": page.get("recent") or [],
                "samples": page["sample_content_ids"][:6],
                "since": page["fired"],
                "ts": page["ts"],
                "acknowledged": _who(ack) or None,
                "snoozed": None if snooze is None else {**_who(snooze), "until": snooze["until"]},
            }
        )
    return sorted(out, key=lambda i: (order.get(i["severity"], 9), i["since"]))


def _queues(board: Board) -> list[dict[str, Any]]:
    """Each queue's status with its latest escalations."""
    names = sorted({*board.queues, *board.escalations})
    out = []
    for name in names:
        status = board.queues.get(name, {})
        recent = [
            {
                "id": e["id"],
                "ts": e["ts"],
                "rule": e["rule"]["id"],
                "target": e["target"]["id"],
                "priority": e.get("priority"),
                "due": e.get("due"),
                "held": bool(e.get("held_action")),
            }
            for e in reversed(board.escalations.get(name, ()))
        ]
        out.append(
            {"queue": name, **{k: v for k, v in status.items() if k != "queue"}, "recent": recent}
        )
    # the queues in trouble first: overflowing, then past due, then deepest
    return sorted(
        out,
        key=lambda q: (
            -q.get("overflow", 0),
            -q.get("past_due", 0),
            -q.get("depth", 0),
            q["queue"],
        ),
    )


def _rules(board: Board) -> list[dict[str, Any]]:
    """Each automatic rule's rate against its normal rate and its breaker, held first."""
    rows = []
    for rule_id, s in board.rules.items():
        normal = s.get("normal_hour") or 0.0
        rows.append(
            {
                "rule_id": rule_id,
                "mode": s["mode"],
                "rate_hour": s["rate_hour"],
                "normal_hour": normal,
                "ratio": round(s["rate_hour"] / normal, 2) if normal else None,
                "cap": s.get("cap"),
                "held": s.get("held", 0),
                "since": s.get("since"),
                "reason": s.get("reason"),
                "changed_by": s.get("changed_by"),
                "ts": s["ts"],
            }
        )
    return sorted(rows, key=lambda r: (r["mode"] != "held", -(r["ratio"] or 0), r["rule_id"]))


def _quality(board: Board) -> list[dict[str, Any]]:
    """Each rule's upheld and overturn rates over the last 28 days, with 95% intervals."""
    records = [msgspec.convert(r, EnforcementQuality) for r in board.quality.values()]
    out = []
    for rule, f in report(records, "rule", QUALITY_DAYS).items():
        rate, (lo, hi), n, source = f.precision()
        c = f.counts
        olo, ohi = wilson(c["appeals_overturned"], c["appeals"])
        if not n and not c["appeals"]:
            continue
        out.append(
            {
                "rule": rule,
                "upheld": {"rate": rate, "lo": lo, "hi": hi, "n": n, "source": source},
                "overturned": {
                    "rate": f.overturn_rate,
                    "lo": olo,
                    "hi": ohi,
                    "n": c["appeals"],
                },
                "actions": c["actions"],
            }
        )
    return out


def _newest(store: dict[str, dict[str, Any]], key: str, record: dict[str, Any]) -> None:
    """Keep a record unless the key has one of a later event time (compaction keeps the
    last written; a worker publishing late must not step back)."""
    held = store.get(key)
    if held is None or record["ts"] >= held["ts"]:
        store[key] = record


def _who(action: dict[str, Any] | None) -> dict[str, Any]:
    if action is None:
        return {}
    return {"by": action["by"], "reason": action["reason"], "at": action["at"]}


def _at(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)


__all__ = ["Board", "panels"]
