"""What each on-call sink shows of a trend alert: the evidence, readable at a glance."""

from typing import Any

from stream.notify.sinks import pagerduty, slack, sparkline


def alert(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "a1",
        "incident_id": "i1",
        "key": {"kind": "hashtag", "value": "blackoutchallenge2"},
        "status": "firing",
        "severity": "high",
        "observed": 91,
        "expected": 3.8,
        "growth": 24.2,
        "distinct_creators": 76,
        "first_seen": "2026-11-20T16:40:00Z",
        "sample_content_ids": ["v1", "v2", "v3", "v4"],
        "top_creators": ["u1"],
        "window_start": "2026-11-20T17:00:00Z",
        "window_end": "2026-11-20T17:05:00Z",
        "link": "/trends/hashtag/blackoutchallenge2?incident=i1",
    }
    return {**base, **extra}


def test_a_sparkline_puts_the_highest_count_at_a_full_block() -> None:
    assert sparkline([0, 1, 2, 4, 8]) == "▁▁▂▄█"
    assert sparkline([]) == sparkline([0, 0]) == ""


def test_slack_says_why_it_fired_the_band_and_the_last_hour() -> None:
    text = slack(alert(why="new_key", expected_high=12.5, recent=[0, 0, 3, 40]))["text"]
    assert "(high, a new key)" in text
    assert "91 uploads in 5 min vs 3.8 expected (pages above 12.5)" in text
    assert "Last hour: ▁▁▁█" in text and "Samples: v1, v2, v3." in text
    # an alert written before the evidence existed still renders
    old = slack(alert())["text"]
    assert "(high)" in old and "pages above" not in old


def test_pagerduty_carries_the_evidence_and_resolves_by_incident() -> None:
    render = pagerduty("rk")
    body = render(alert(why="spike", expected_high=12.5, recent=[1, 2]))
    assert body is not None
    details = body["payload"]["custom_details"]
    assert details["why"] == "spike" and details["recent"] == [1, 2]
    resolved = render(alert(status="resolved"))
    assert resolved == {"routing_key": "rk", "dedup_key": "i1", "event_action": "resolve"}
