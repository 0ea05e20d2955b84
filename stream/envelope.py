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
        try:
            check_keys(raw.replace(value, b"0", 1))
        except DuplicateKey as dup:
            name = f"`{dup.key}`" if dup.key in _FIELDS and not dup.path else "of a nested field"
            yield BadLine(n, raw, f"duplicate key {name} - at `$`")
            continue
        key = env.key.encode() if env.key is not None else None
        yield Line(n, env.topic, key, value)


def envelope(topic: str, key: str, value: bytes) -> bytes:
    """Encode one output line (value is already JSON)."""
    return b'{"topic":' + msgspec.json.encode(topic) + b',"key":' + msgspec.json.encode(key) + \
        b',"value":' + value + b"}"
