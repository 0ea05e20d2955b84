"""Events files: one JSON object per line, {"topic": ..., "key": ..., "value": {...}}."""

from collections.abc import Iterable, Iterator
from typing import Final, NamedTuple

import msgspec

from signals.strictjson import DuplicateKey, check_keys

# the source_topic of a dead letter for a line that is not an envelope at all
EVENTS_FILE: Final = "events-file"


class _Envelope(msgspec.Struct):
    topic: str
    value: msgspec.Raw
    key: str | None = None


_DECODER = msgspec.json.Decoder(_Envelope)
_FIELDS = frozenset(_Envelope.__struct_fields__)


class Line(NamedTuple):
    """One parsed line: the value is kept as its original bytes for the topic's decoder."""

    number: int
    topic: str
    key: bytes | None
    value: bytes


class BadLine(NamedTuple):
    """A line that is not an envelope at all; it goes to dead-letter whole."""

    number: int
    raw: bytes
    detail: str


def parse_lines(lines: Iterable[bytes]) -> Iterator[Line | BadLine]:
    """Parse envelope lines; blank lines are skipped.

    An envelope naming a field twice (two `topic`s, say) is refused: which one a reader took
    would decide where the line goes. Duplicate keys inside the value are the value decoder's
    to refuse.
    """
    for n, raw in enumerate(lines, 1):
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        try:
            env = _DECODER.decode(raw)
        except msgspec.DecodeError as exc:
            yield BadLine(n, raw, str(exc))
            continue
        value = bytes(env.value)
        twice = _twice(raw, value)
        if twice is not None:
            yield BadLine(n, raw, f"duplicate key {twice} - at `$`")
            continue
        key = env.key.encode() if env.key is not None else None
        yield Line(n, env.topic, key, value)


_NAMES = (b'"topic"', b'"key"', b'"value"')


def _twice(raw: bytes, value: bytes) -> str | None:
    """The envelope field named twice in a line, if any (`key of a nested field` for a
    repeat inside the envelope's other values; repeats in `value` are its decoder's).

    Each name is counted in the line, then (when a name recurs) in the value too: the value
    is a whole JSON value, so no name straddles it.
    """
    if raw.count(b'"topic"') <= 1 and raw.count(b'"key"') <= 1 and raw.count(b'"value"') <= 1:
        return None  # each name once in the whole line (nearly every line): nothing repeats
    if all(raw.count(name) - value.count(name) <= 1 for name in _NAMES):
        return None
    try:
        check_keys(raw.replace(value, b"0", 1))
    except DuplicateKey as dup:
        return f"`{dup.key}`" if dup.key in _FIELDS and not dup.path else "of a nested field"
    return None  # a name inside another value of the line, such as `"topic": "key"`


def envelope(topic: str, key: str, value: bytes) -> bytes:
    """Encode one output line (value is already JSON)."""
    return (
        b'{"topic":'
        + msgspec.json.encode(topic)
        + b',"key":'
        + msgspec.json.encode(key)
        + b',"value":'
        + value
        + b"}"
    )
