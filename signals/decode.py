"""Decode and validate one raw input message; anything unacceptable raises Rejected.

Rejected carries a machine-readable reason (the dead-letter contract's enum) and a detail
for humans. The detail names the field and the rule it broke, never the field's value:
captions, report text and attacker-chosen strings must not reach logs or dashboards.
"""

import re
from typing import Final

import msgspec

from schemas.common import (
    MAX_MESSAGE_BYTES,
    MAX_NESTING,
    MAX_STALENESS_MS,
    POLICY_AREAS,
    SCHEMA_VERSION,
)
from schemas.inputs import (
    RECORD_FOR_TOPIC,
    InputRecord,
    ModelScore,
    Report,
    Review,
    Upload,
    Versioned,
)
from signals.eventtime import BadTimestamp, epoch_ms
from signals.strictjson import DuplicateKey, check_keys, nesting

_DECODERS: Final = {topic: msgspec.json.Decoder(rec) for topic, rec in RECORD_FOR_TOPIC.items()}


_VERSION_PEEK: Final = msgspec.json.Decoder(Versioned)

_REVIEW_OUTCOMES: Final = {
    "review": ("violating", "not_violating"),
    "appeal": ("upheld", "overturned"),
    "qa": ("violating", "not_violating"),
}

# The text fields each record must keep to printable characters (schemas.common.SAFE_TEXT):
# they become Kafka keys, trend keys and ids that people read on a page.
_TEXT_FIELDS: Final[dict[type, tuple[str, ...]]] = {
    Upload: ("event_id", "content_id", "creator_id", "language", "audio_id"),
    Report: ("event_id", "report_id", "content_id", "creator_id", "reporter_id"),
    ModelScore: ("event_id", "content_id", "creator_id", "model", "model_version"),
    Review: ("event_id", "content_id", "reviewer", "action_id", "creator_id"),
}
# names a detail may show: the contract's own field names and policy areas, nothing sent in
_KNOWN_NAMES: Final = frozenset(
    {f for rec in RECORD_FOR_TOPIC.values() for f in rec.__struct_fields__} | set(POLICY_AREAS)
)
# msgspec quotes the offending value in a few of its messages; only the rule is kept
_QUOTED_VALUE: Final = re.compile(r"^(Invalid (?:enum )?value)\b.*?(?= - at `|$)")


NOT_AN_INPUT: Final = "not one of vigil's input topics"


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
        raise Rejected("unknown_topic", NOT_AN_INPUT)
    if len(raw) > max_bytes:
        raise Rejected("oversized", f"message is {len(raw)} bytes, limit {max_bytes}")
    if raw.count(b"[") + raw.count(b"{") > MAX_NESTING and nesting(raw) > MAX_NESTING:
        raise Rejected("too_deep", f"JSON is nested deeper than {MAX_NESTING} levels")
    try:
        record: InputRecord = decoder.decode(raw)
    except msgspec.ValidationError as exc:
        _reject_unknown_version(raw)
        raise Rejected("invalid_field", _QUOTED_VALUE.sub(r"\1", str(exc))) from None
    except msgspec.DecodeError as exc:
        raise Rejected("malformed_json", str(exc)) from None
    except UnicodeDecodeError:  # raised by msgspec itself, not as a DecodeError
        raise Rejected("malformed_json", "invalid UTF-8 in a string") from None
    except RecursionError:  # msgspec recurses into nested values it skips: deep nesting
        raise Rejected("malformed_json", "JSON nested too deeply") from None
    try:
        check_keys(raw)
    except DuplicateKey as dup:
        raise Rejected("malformed_json", _duplicate(dup)) from None
    if record.schema_version != SCHEMA_VERSION:
        raise Rejected("unknown_schema_version", _version(record.schema_version))
    try:
        ts = epoch_ms(record.ts)
    except BadTimestamp as exc:
        raise Rejected("invalid_field", f"{exc} - at `$.ts`") from None
    if not_after is not None and ts > not_after:
        raise Rejected(
            "future_timestamp",
            f"ts is {(ts - not_after) // 1000 + 1} s past the allowed clock skew",
        )
    if watermark and ts < watermark - MAX_STALENESS_MS:
        raise Rejected(
            "stale_timestamp",
            f"ts is {(watermark - MAX_STALENESS_MS - ts) // 1000 + 1} s older than state is kept",
        )
    unsafe = unsafe_field(record)
    if unsafe is not None:
        raise Rejected("invalid_field", f"a character that is not printable - at `$.{unsafe}`")
    if isinstance(record, Review) and record.outcome not in _REVIEW_OUTCOMES[record.kind]:
        allowed = " or ".join(_REVIEW_OUTCOMES[record.kind])
        raise Rejected("invalid_field", f"a {record.kind}'s outcome is {allowed} - at `$.outcome`")
    if key is None:
        raise Rejected("key_mismatch", "the message has no key; it must be the content_id")
    if key.decode("utf-8", "replace") != record.content_id:
        raise Rejected("key_mismatch", "the message key must be the content_id")
    return Event(topic, ts, record)


def unsafe_field(record: InputRecord) -> str | None:
    """The first text field holding a non-printable character, if any.

    One isprintable() over the fields joined answers for nearly every message (the fields
    read directly: a loop of getattr cost twice as much); only a message that fails is
    searched field by field.
    """
    if isinstance(record, Upload):
        joined = (
            record.event_id
            + record.content_id
            + record.creator_id
            + record.language
            + (record.audio_id or "")
            + "".join(record.hashtags)
        )
    elif isinstance(record, ModelScore):
        joined = (
            record.event_id
            + record.content_id
            + record.creator_id
            + record.model
            + record.model_version
        )
    elif isinstance(record, Report):
        joined = (
            record.event_id
            + record.report_id
            + record.content_id
            + record.creator_id
            + record.reporter_id
        )
    else:
        joined = (
            record.event_id
            + record.content_id
            + record.reviewer
            + (record.action_id or "")
            + (record.creator_id or "")
        )
    if joined.isprintable():
        return None
    for name in _TEXT_FIELDS[type(record)]:
        value = getattr(record, name)
        if value is not None and not value.isprintable():
            return name
    tags = record.hashtags if isinstance(record, Upload) else []
    return next(f"hashtags[{i}]" for i, t in enumerate(tags) if not t.isprintable())


def _duplicate(dup: DuplicateKey) -> str:
    """`duplicate key <name> - at <object>`, naming only what the contract itself defines."""
    key = f"`{dup.key}`" if dup.key in _KNOWN_NAMES else "of a field vigil does not read"
    path = "$" + "".join(
        f"[{p}]" if isinstance(p, int) else f".{p}" if p in _KNOWN_NAMES else "[...]"
        for p in dup.path
    )
    return f"duplicate key {key} - at `{path}`"


def _version(version: object) -> str:
    """Name a small whole-number version (a newer contract); never echo anything else."""
    shown = f" {version}" if isinstance(version, int) and 0 <= version < 10_000 else ""
    return f"schema_version{shown} is not supported (expected {SCHEMA_VERSION})"


def _reject_unknown_version(raw: bytes) -> None:
    """A record that fails validation may simply be a newer contract: say so precisely."""
    try:
        version = _VERSION_PEEK.decode(raw).schema_version
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return
    if version != SCHEMA_VERSION:
        raise Rejected("unknown_schema_version", _version(version))


__all__ = [
    "NOT_AN_INPUT",
    "Event",
    "ModelScore",
    "Rejected",
    "Report",
    "Review",
    "Upload",
    "decode",
]
