"""A misfiring model release, as events: the breaker tests' day."""

from pathlib import Path
from typing import Any

import orjson

from signals.eventtime import HOUR, MINUTE, format_ts, parse_ts
from stream.envelope import envelope

DAY = parse_ts("2026-11-20T00:00:00Z")
RELEASE = DAY + 12 * HOUR  # when the misfiring release starts scoring


def _event(topic: str, cid: str, ts: int, value: dict[str, Any]) -> bytes:
    value = {"event_id": f"{topic}-{cid}", "ts": format_ts(ts), "content_id": cid, **value}
    return envelope(topic, cid, orjson.dumps(value))


def _video(cid: str, ts: int, hate: float, version: str, region: str) -> list[bytes]:
    creator = f"u-{cid}"
    return [
        _event(
            "uploads", cid, ts,
            {"creator_id": creator, "region": region, "language": "en", "hashtags": [],
             "audio_id": None, "caption": "a video"},
        ),
        _event(
            "model-scores", cid, ts + 2_000,
            {"creator_id": creator, "model": "mm-safety", "model_version": version,
             "scores": {"hate": hate}},
        ),
    ]  # fmt: skip


def misfire_day(path: Path) -> Path:
    """Clear hate six times an hour all morning, then a release scoring 400 ordinary uploads
    0.98 hate in 20 minutes, in two regions."""
    lines: list[bytes] = []
    for i in range(72):
        lines += _video(f"h{i:03d}", DAY + i * 10 * MINUTE, 0.97, "2026.11.1", "US")
    for i in range(400):
        lines += _video(f"m{i:03d}", RELEASE + i * 3_000, 0.98, "2026.12.0", ("US", "DE")[i % 2])
    lines.sort(key=lambda x: orjson.loads(x)["value"]["ts"])
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path
