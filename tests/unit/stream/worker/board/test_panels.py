"""The on-call page's panels, folded from published records: incidents grouped as on-call is
paged, acknowledgements and snoozes, queues in trouble first, held rules first, quality with
intervals."""

from datetime import UTC, datetime, timedelta
from typing import Any

from stream.worker.board.panels import Board, panels

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def alert(
    incident: str, kind: str, value: str, status: str = "firing", **kw: Any
) -> dict[str, Any]:
    return {
        "id": f"{incident}-{status}", "incident_id": incident, "ts": "2026-11-20T14:02:00Z",
        "key": {"kind": kind, "value": value}, "status": status, "severity": "high",
        "observed": 24, "expected": 1.0, "sample_content_ids": kw.pop("videos", ["v1"]),
        "recent": [0, 1, 5], "expected_high": 3.0, **kw,
    }  # fmt: skip


def test_keys_spiking_on_the_same_videos_are_one_incident_titled_by_the_most_specific() -> None:
    b = Board()
    b.add("trend-alerts", alert("i1", "hashtag", "fyp", videos=["v1", "v2"], expected=40.0))
    b.add("trend-alerts", alert("i2", "hashtag", "challenge", videos=["v2"]))
    b.add("trend-alerts", alert("i3", "area_region", "hate:US", videos=["v9"]))
    b.add("trend-alerts", alert("i3", "area_region", "hate:US", status="resolved"))
    (inc,) = panels(b, NOW)["incidents"]
    assert inc["key"] == {"kind": "hashtag", "value": "challenge"}
    assert sorted(inc["incident_ids"]) == ["i1", "i2"] and inc["recent"] == [0, 1, 5]


def test_an_acknowledgement_and_a_snooze_show_and_silence_the_pages_they_should() -> None:
    b = Board()
    b.add("trend-alerts", alert("i1", "hashtag", "challenge"))
    b.add("oncall-actions", {"kind": "ack", "incident_id": "i1", "by": "ana", "reason": "on it",
                             "at": "2026-11-20T14:05:00Z"})  # fmt: skip
    until = (NOW + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    b.add("oncall-actions", {"kind": "snooze", "key": {"kind": "hashtag", "value": "fyp"},
                             "until": until, "by": "ben", "reason": "always busy",
                             "at": "2026-11-20T14:06:00Z"})  # fmt: skip
    (inc,) = panels(b, NOW)["incidents"]
    assert inc["acknowledged"] == {"by": "ana", "reason": "on it", "at": "2026-11-20T14:05:00Z"}
    # an acknowledged incident's updates page nobody; a new incident and a resolution do
    assert b.silenced(alert("i1", "hashtag", "challenge", status="updated"), NOW)
    assert not b.silenced(alert("i1", "hashtag", "challenge", status="resolved"), NOW)
    assert not b.silenced(alert("i7", "hashtag", "other"), NOW)
    # a snoozed key pages nobody until the snooze ends
    assert b.silenced(alert("i8", "hashtag", "fyp"), NOW)
    assert not b.silenced(alert("i8", "hashtag", "fyp"), NOW + timedelta(hours=2))


def test_queues_in_trouble_and_held_rules_come_first_and_stale_statuses_never_win() -> None:
    b = Board()
    for name, depth, overflow in (("a", 5, 0), ("b", 900, 100), ("c", 50, 0)):
        b.add("review-queues", {"queue": name, "ts": "2026-11-20T14:00:00Z", "depth": depth,
                                "overflow": overflow, "past_due": 0})  # fmt: skip
    b.add(
        "review-queues",
        {"queue": "c", "ts": "2026-11-20T13:00:00Z", "depth": 1, "overflow": 0, "past_due": 0},
    )  # an older status, read late
    b.add("escalations", {"id": "e1", "ts": "2026-11-20T14:00:00Z", "queue": "c",
                          "rule": {"id": "r"}, "target": {"id": "v1"}, "priority": 2,
                          "outcome": "review"})  # fmt: skip
    queues = panels(b, NOW)["queues"]
    assert [q["queue"] for q in queues] == ["b", "c", "a"]
    assert queues[1]["depth"] == 50 and queues[1]["recent"][0]["target"] == "v1"
    for rule, mode, rate in (("x", "automatic", 10), ("y", "held", 80), ("z", "automatic", 90)):
        b.add("rule-state", {"rule_id": rule, "ts": "2026-11-20T14:00:00Z", "mode": mode,
                             "rate_hour": rate, "normal_hour": 10.0})  # fmt: skip
    assert [r["rule_id"] for r in panels(b, NOW)["rules"]] == ["y", "z", "x"]


def test_a_record_of_another_shape_is_skipped() -> None:
    b = Board()
    b.add("rule-state", {"no": "rule"})
    b.add("trend-alerts", {"status": "firing"})
    assert panels(b, NOW)["rules"] == [] and b.records == 2
