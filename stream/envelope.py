"""Events files: one JSON object per line, {"topic": ..., "key": ..., "value": {...}}."""

from collections.abc import Iterable, Iterator
from typing import NamedTuple

import msgspec


class _Envelope(msgspec.Struct):
    topic: str
    value: msgspec.Raw
    key: str | None = None


_DECODER = msgspec.json.Decoder(_Envelope)


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
    """Parse envelope lines; blank lines are skipped."""
    for n, raw in enumerate(lines, 1):
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        try:
            env = _DECODER.decode(raw)
        except msgspec.DecodeError as exc:
            yield BadLine(n, raw, str(exc))
            continue
        key = env.key.encode() if env.key is not None else None
        yield Line(n, env.topic, key, bytes(env.value))


def envelope(topic: str, key: str, value: bytes) -> bytes:
    """Encode one output line (value is already JSON)."""
    return b'{"topic":' + msgspec.json.encode(topic) + b',"key":' + msgspec.json.encode(key) + \
        b',"value":' + value + b"}"
