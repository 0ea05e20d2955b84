"""Duplicate keys and nesting: the fast scan agrees with a full parse on every document."""

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.strictjson import DuplicateKey, check_keys, nesting

# keys from a small alphabet so that repeats are common, with the characters that make the
# scan hard: quotes, backslashes, colons, commas, braces, and non-ASCII
KEYS = st.text(alphabet='ab":\\,{}[] é\u202e', max_size=4)


def pairs_to_json(node: Any, draw_ws: st.DrawFn) -> str:
    """Serialise a tree where objects are lists of pairs (so they may repeat keys), with
    random whitespace and escapes."""
    ws = draw_ws(st.sampled_from(["", " ", "\n", "\t "]))
    if isinstance(node, tuple):
        parts = [f"{string(k, draw_ws)}{ws}:{ws}{pairs_to_json(v, draw_ws)}" for k, v in node[1]]
        return "{" + ws + ("," + ws).join(parts) + ws + "}"
    if isinstance(node, list):
        return "[" + ",".join(pairs_to_json(v, draw_ws) for v in node) + "]"
    if isinstance(node, str):
        return string(node, draw_ws)
    return json.dumps(node)


def string(text: str, draw: st.DrawFn) -> str:
    """A JSON string for text, its characters escaped in one of several equivalent ways."""
    out = []
    for ch in text:
        style = draw(st.integers(0, 2))
        if ch in '"\\':
            out.append("\\" + ch)
        elif style == 1:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def tree() -> st.SearchStrategy[Any]:
    leaves = st.none() | st.booleans() | st.integers(-5, 5) | KEYS
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.lists(st.tuples(KEYS, inner), max_size=4).map(lambda items: ("obj", items))
        ),
        max_leaves=12,
    )


def oracle(raw: bytes) -> str | None:
    """The first repeated key of a document, by the standard library, decoded."""
    found: list[str] = []

    def hook(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        dup = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
        if dup is not None:
            found.append(dup)
        return dict(items)

    json.loads(raw, object_pairs_hook=hook)
    return found[0] if found else None


@settings(max_examples=600)
@given(st.data())
def test_the_scan_finds_a_duplicate_exactly_when_a_full_parse_does(data: st.DataObject) -> None:
    doc = data.draw(tree())
    raw = pairs_to_json(doc, data.draw).encode()
    expected = oracle(raw)
    try:
        check_keys(raw)
    except DuplicateKey as dup:
        assert expected is not None, raw
        assert isinstance(dup.key, str)
        return
    assert expected is None, (raw, expected)


def test_an_escaped_spelling_of_the_same_key_is_a_duplicate() -> None:
    with pytest.raises(DuplicateKey) as exc:
        check_keys(b'{"scores": {"hate": 0.1, "h\\u0061te": 0.99}}')
    assert exc.value.key == "hate" and exc.value.path == ("scores",)


def test_the_same_key_in_different_objects_is_fine() -> None:
    check_keys(b'{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 3}, {"x": 4}]}')
    check_keys(b'{"caption": "he said \\"a\\": b", "a": 1}')  # a key-like string value


def test_the_path_of_a_nested_duplicate() -> None:
    with pytest.raises(DuplicateKey) as exc:
        check_keys(b'{"extra": [{"k": 1}, {"k": 1, "k": 2}]}')
    assert exc.value.path == ("extra", 1)


def test_nesting_ignores_brackets_inside_strings() -> None:
    assert nesting(b'{"a": [[{"b": "[[[[{{{{"}]]]}') == 4
    assert nesting(b'"[[["') == 0
