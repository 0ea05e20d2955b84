"""What strict JSON needs beyond msgspec: a nesting limit and no duplicate keys.

msgspec, like most JSON parsers, keeps the last of two equal keys in an object. A downstream
parser that keeps the first would read `{"hate": 0.1, "hate": 0.99}` as 0.1 while vigil acted
on 0.99: a parser differential an attacker can use to make vigil and its consumers disagree.
RFC 8259 leaves duplicate names undefined, so vigil refuses them.

Both checks run on bytes msgspec has already accepted as JSON. The duplicate-key check
(`check_keys`) answers nearly every message with a few C-level calls, no Python loop over its
strings; a repeated key, or one written with an escape, is confirmed and located by the
standard library parser, object by object with escapes decoded. (A byte-by-byte scanner,
even compiled with mypyc, cost four times as much.)
"""

import json
import re
from typing import Any, Final

_MASKED: Final = b"\x01\x01"  # a control byte cannot occur raw in valid JSON
_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET: Final = re.compile(rb"[\[\]{}]")


class DuplicateKey(ValueError):
    """An object with the same key twice: `key`, and `path` to the object (names and array
    indices from the root). Both may be attacker-chosen text: callers decide what to show."""

    def __init__(self, key: str, path: tuple[str | int, ...]) -> None:
        super().__init__("duplicate key in a JSON object")
        self.key = key
        self.path = path


def nesting(raw: bytes) -> int:
    """The deepest nesting of arrays and objects, outside strings."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub(b"", raw)):
        if m.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_keys(raw: bytes) -> None:
    """Raise DuplicateKey if any object in this (valid) JSON has a key twice.

    With escaped backslashes and quotes masked, every quote left starts or ends a string, so
    splitting on quotes gives every string. If none repeats and no other escape is left, no
    object can hold a key twice: the answer for nearly every message, from three C calls. Else
    the keys alone are compared (a key is a string a colon follows), and a repeated or
    escaped key goes to the exact walk.
    """
    text = raw
    escaped = b"\\" in raw
    if escaped:
        text = text.replace(b"\\\\", _MASKED).replace(b'\\"', _MASKED)
    parts = text.split(b'"')
    strings = parts[1::2]
    if len(set(strings)) == len(strings) and not (escaped and b"\\" in text):
        return
    keys = [
        s
        for s, after in zip(strings, parts[2::2], strict=False)
        if after[:1] == b":" or after.lstrip()[:1] == b":"
    ]
    if len(set(keys)) == len(keys) and not any(b"\\" in k or b"\x01" in k for k in keys):
        return
    _exact(raw)


def _exact(raw: bytes) -> None:
    """Walk the document with the standard library parser, each object as its pairs."""
    found = _search(json.loads(raw, object_pairs_hook=_Pairs), ())
    if found is not None:
        raise DuplicateKey(*found)


class _Pairs:
    """An object as the parser read it: its (key, value) pairs in order, repeats kept."""

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[str, Any]]) -> None:
        self.items = items


def _search(node: Any, path: tuple[str | int, ...]) -> tuple[str, tuple[str | int, ...]] | None:
    """The first repeated key, depth first, and the path of its object."""
    if isinstance(node, _Pairs):
        seen: set[str] = set()
        for key, _ in node.items:
            if key in seen:
                return key, path
            seen.add(key)
        items: list[tuple[str | int, Any]] = [(k, v) for k, v in node.items]
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return None
    for step, value in items:
        hit = _search(value, (*path, step))
        if hit is not None:
            return hit
    return None
