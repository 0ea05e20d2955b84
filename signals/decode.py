"""Decode and validate one raw input message; anything unacceptable raises Rejected.

Rejected carries a machine-readable reason (the dead-letter contract's enum) and a detail
for humans. The detail names fields, never their values: captions and report text must not
reach logs.
"""

import re
from typing import Final

import msgspec

from schemas.common import MAX_MESSAGE_BYTES, MAX_NESTING, MAX_STALENESS_MS, SCHEMA_VERSION
from schemas.inputs import (
    RECORD_FOR_TOPIC,
    InputRecord,
    ModelScore,
    Report,
    Review,
    Upload,
    Versioned,
)
from signals.eventtime import BadTimestamp, parse_ts

_DECODERS: Final = {topic: msgspec.json.Decoder(rec) for topic, rec in RECORD_FOR_TOPIC.items()}


_VERSION_PEEK: Final = msgspec.json.Decoder(Versioned)

_REVIEW_OUTCOMES: Final = {
    "review": ("violating", "not_violating"),
    "appeal": ("upheld", "overturned"),
}


class Rejected(Exception):
    """An input message that goes to the dead-letter topic instead of the engine."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class Event:
    """A validated input event: its topic, event time in epoch ms, and the typed record."""

    __slots__ = ("record", "topic", "ts")

    def __init__(self, topic: str, ts: int, record: InputRecord) -> None:
        self.topic = topic
        self.ts = ts
        self.record = record

    def __repr__(self) -> str:
        return f"Event({self.topic!r}, {self.ts}, {self.record!r})"


def decode(
    topic: str,
    key: bytes | None,
    raw: bytes,
    max_bytes: int = MAX_MESSAGE_BYTES,
    not_after: int | None = None,
    watermark: int = 0,
) -> Event:
    """Validate raw bytes from an input topic into an Event.

    The Kafka key must be the content_id: state is partitioned by it, so a message keyed
    otherwise would land on the wrong worker's state. An event time after `not_after` (the
    driver's clock plus the allowed skew) is refused: one forged far-future timestamp would
    otherwise advance the watermark and expire everyone's state. One more than
    MAX_STALENESS_MS behind the driver's watermark (0: none yet) could only make state the
    next sweep removes.
    """
    decoder = _DECODERS.get(topic)
    if decoder is None:
        raise Rejected("unknown_topic", f"topic {topic!r} is not an input topic")
    if len(raw) > max_bytes:
        raise Rejected("oversized", f"message is {len(raw)} bytes, limit {max_bytes}")
    if raw.count(b"[") + raw.count(b"{") > MAX_NESTING and _nesting(raw) > MAX_NESTING:
        raise Rejected("too_deep", f"JSON is nested deeper than {MAX_NESTING} levels")
    try:
        record: InputRecord = decoder.decode(raw)
    except msgspec.ValidationError as exc:
        _reject_unknown_version(raw)
        raise Rejected("invalid_field", str(exc)) from None
    except msgspec.DecodeError as exc:
        raise Rejected("malformed_json", str(exc)) from None
    except UnicodeDecodeError:  # raised by msgspec itself, not as a DecodeError
        raise Rejected("malformed_json", "invalid UTF-8 in a string") from None
    except RecursionError:  # msgspec recurses into nested values it skips: deep nesting
        raise Rejected("malformed_json", "JSON nested too deeply") from None
    if record.schema_version != SCHEMA_VERSION:
        raise Rejected(
            "unknown_schema_version",
            f"schema_version {record.schema_version} is not supported (expected {SCHEMA_VERSION})",
        )
    try:
        ts = parse_ts(record.ts)
    except BadTimestamp as exc:
        raise Rejected("invalid_field", f"{exc} - at `$.ts`") from None
    if not_after is not None and ts > not_after:
        raise Rejected("future_timestamp",
                       f"ts is {(ts - not_after) // 1000 + 1} s past the allowed clock skew")
    if watermark and ts < watermark - MAX_STALENESS_MS:
        raise Rejected("stale_timestamp", f"ts is {(watermark - MAX_STALENESS_MS - ts) // 1000 + 1}"
                       " s older than state is kept")
    if isinstance(record, Review) and record.outcome not in _REVIEW_OUTCOMES[record.kind]:
        allowed = " | ".join(_REVIEW_OUTCOMES[record.kind])
        raise Rejected(
            "invalid_field", f"a {record.kind} has outcome {allowed}, not {record.outcome!r}"
        )
    if key is not None and key.decode("utf-8", "replace") != record.content_id:
        raise Rejected("key_mismatch", "the message key must be the content_id")
    if key is None:
        raise Rejected("key_mismatch", "the message has no key; it must be the content_id")
    return Event(topic, ts, record)


_STRING: Final = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET: Final = re.compile(rb"[\[\]{}]")


def _nesting(raw: bytes) -> int:
    """The deepest nesting of arrays and objects, outside strings.

    Records nest two levels deep; an unknown field may carry more, and msgspec skips it
    recursively, so a limit keeps a crafted message from exhausting the stack.
    """
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub(b"", raw)):
        if m.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _reject_unknown_version(raw: bytes) -> None:
    """A record that fails validation may simply be a newer contract: say so precisely."""
    try:
        version = _VERSION_PEEK.decode(raw).schema_version
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return
    if version != SCHEMA_VERSION:
        raise Rejected(
            "unknown_schema_version",
            f"schema_version {version!r} is not supported (expected {SCHEMA_VERSION})",
        )


__all__ = ["Event", "ModelScore", "Rejected", "Report", "Review", "Upload", "decode"]
