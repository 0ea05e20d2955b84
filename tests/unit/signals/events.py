"""Small builders of raw input messages for tests."""

from typing import Any

import orjson

from signals.decode import Event, decode
from signals.eventtime import format_ts, parse_ts

T0 = parse_ts("2026-11-20T10:00:00Z")
MIN = 60_000
_n = 0


def _id() -> str:
    global _n
    _n += 1
    return f"t-{_n}"


def raw(topic: str, **value: Any) -> tuple[str, bytes, bytes]:
    """(topic, key, raw value) for one message; ts given as ms offsets from T0 via `at`."""
    at = value.pop("at", 0)
    value.setdefault("event_id", _id())
    value.setdefault("ts", format_ts(T0 + at))
    return topic, value["content_id"].encode(), orjson.dumps(value)


Msg = tuple[str, bytes, bytes]


def upload(cid: str = "v1", creator: str = "u1", at: int = 0, **kw: Any) -> Msg:
    return raw(
        "uploads",
        content_id=cid,
        creator_id=creator,
        region=kw.pop("region", "US"),
        language="en",
        hashtags=kw.pop("hashtags", []),
        audio_id=kw.pop("audio_id", None),
        at=at,
        **kw,
    )


def report(
    cid: str = "v1", reporter: str = "p1", reason: str = "hate", at: int = 0, creator: str = "u1"
) -> tuple[str, bytes, bytes]:
    return raw(
        "reports",
        content_id=cid,
        creator_id=creator,
        report_id=_id(),
        reporter_id=reporter,
        reason=reason,
        region="US",
        at=at,
    )


def score(cid: str = "v1", at: int = 0, creator: str = "u1", **scores: float) -> Msg:
    return raw(
        "model-scores",
        content_id=cid,
        creator_id=creator,
        model="m",
        model_version="1",
        scores=scores,
        at=at,
    )


def review(
    cid: str = "v1",
    kind: str = "review",
    outcome: str = "not_violating",
    at: int = 0,
    creator: str = "u1",
    area: str | None = None,
) -> tuple[str, bytes, bytes]:
    extra = {"policy_area": area} if area else {}
    return raw(
        "reviews",
        content_id=cid,
        kind=kind,
        outcome=outcome,
        reviewer="rev-1",
        at=at,
        creator_id=creator,
        **extra,
    )


def event(msg: tuple[str, bytes, bytes]) -> Event:
    return decode(*msg)
