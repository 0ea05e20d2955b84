"""Hostile input: messages built to break a decoder, each with the dead-letter reason it earns.

Every message starts from a real event of the day (so it names real videos, creators and
hashtags, the keys whose state it must not harm) and is then broken in one way.
"""

import json
from dataclasses import dataclass

from hypothesis import strategies as st

from schemas.common import MAX_CAPTION_LEN, MAX_MESSAGE_BYTES, MAX_STALENESS_MS
from signals.eventtime import MAX_TS, MIN_TS
from stream.demo.traffic import Message


@dataclass(frozen=True)
class Hostile:
    """One broken message and the reasons it may be dead-lettered with."""

    kind: str
    topic: str
    key: bytes
    raw: bytes
    reasons: frozenset[str]


def _value(base: Message, **changes: object) -> dict[str, object]:
    return {**base.value, "event_id": f"hostile-{base.value['event_id']}", **changes}


def _encode(base: Message, value: dict[str, object]) -> bytes:
    # the stdlib encoder: integers beyond 64 bits must reach the decoder too
    return json.dumps(value, separators=(",", ":")).encode()


def _wrong_types() -> st.SearchStrategy[object]:
    """Values no field of any input record accepts (no strings, no nulls, no empty containers:
    some fields are optional strings or lists; ints are left out since ts takes one)."""
    scalars = st.floats(allow_nan=False).filter(lambda f: not f.is_integer()) | st.booleans()
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, min_size=1, max_size=3)
            | st.dictionaries(
                st.text(max_size=5).map(lambda k: "x-" + k), inner, min_size=1, max_size=3
            )
        ),
        max_leaves=8,
    )


@st.composite
def hostile(
    draw: st.DrawFn, base_events: list[Message], clock_ms: int, earliest_ms: int
) -> Hostile:
    """A hostile message for a draw of the day's events.

    clock_ms is the driver's clock (future bound); earliest_ms the day's first event time.
    """
    base = draw(st.sampled_from(base_events))
    key = base.key.encode()
    kind = draw(
        st.sampled_from(
            [
                "invalid_utf8",
                "deep_nesting",
                "huge_field",
                "long_list",
                "wrong_type",
                "far_future",
                "out_of_range_ts",
                "far_past",
                "key_mismatch",
                "garbage",
            ]
        )
    )
    malformed = frozenset({"malformed_json"})
    invalid = frozenset({"invalid_field"})
    if kind == "invalid_utf8":
        field = draw(st.sampled_from(["event_id", "content_id", "creator_id"]))
        raw = _encode(base, _value(base, **{field: "@@MARK@@"}))
        junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x28\x8c"]))
        return Hostile(kind, base.topic, key, raw.replace(b"@@MARK@@", junk), malformed)
    if kind == "deep_nesting":
        depth = draw(st.integers(min_value=16, max_value=20_000))
        opener = draw(st.sampled_from([b"[", b'{"a":']))
        closer = b"]" if opener == b"[" else b"}"
        raw = _encode(base, _value(base))[:-1] + b',"extra":' + opener * depth + closer * depth
        return Hostile(kind, base.topic, key, raw + b"}", frozenset({"too_deep", "oversized"}))
    if kind == "huge_field":
        size = draw(st.integers(min_value=MAX_CAPTION_LEN + 1, max_value=4 * MAX_MESSAGE_BYTES))
        field = "caption" if base.topic == "uploads" else "event_id"
        raw = _encode(base, _value(base, **{field: "x" * size}))
        return Hostile(kind, base.topic, key, raw, invalid | {"oversized"})
    if kind == "long_list":
        n = draw(st.integers(min_value=31, max_value=5000))
        field = {"uploads": "hashtags", "model-scores": "scores"}.get(base.topic, "event_id")
        value: object = [f"t{i}" for i in range(n)]
        if field == "scores":
            value = {f"area{i}": 0.5 for i in range(n)}
        raw = _encode(base, _value(base, **{field: value}))
        return Hostile(kind, base.topic, key, raw, invalid | {"oversized"})
    if kind == "wrong_type":
        field = draw(st.sampled_from(sorted(k for k in base.value if k != "schema_version")))
        raw = _encode(base, _value(base, **{field: draw(_wrong_types())}))
        return Hostile(kind, base.topic, key, raw, invalid | {"key_mismatch"})
    if kind == "far_future":
        ts = draw(st.integers(min_value=clock_ms + 2 * 3_600_000, max_value=MAX_TS - 1))
        return Hostile(
            kind,
            base.topic,
            key,
            _encode(base, _value(base, ts=ts)),
            frozenset({"future_timestamp"}),
        )
    if kind == "out_of_range_ts":
        ts = draw(st.integers(max_value=MIN_TS - 1) | st.integers(min_value=MAX_TS))
        stamp: object = draw(
            st.sampled_from(
                [ts, str(ts), "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "yesterday"]
            )
        )
        return Hostile(kind, base.topic, key, _encode(base, _value(base, ts=stamp)), invalid)
    if kind == "far_past":
        ts = draw(st.integers(min_value=MIN_TS, max_value=earliest_ms - MAX_STALENESS_MS - 1))
        return Hostile(
            kind,
            base.topic,
            key,
            _encode(base, _value(base, ts=ts)),
            frozenset({"stale_timestamp"}),
        )
    if kind == "key_mismatch":
        other = draw(st.binary(min_size=0, max_size=40).filter(lambda b: b != key))
        return Hostile(
            kind, base.topic, other, _encode(base, _value(base)), frozenset({"key_mismatch"})
        )
    raw = draw(st.binary(max_size=2000))
    return Hostile(
        kind, base.topic, key, raw, malformed | invalid | {"unknown_schema_version", "key_mismatch"}
    )
