"""Plain conditions as a tree: comparisons of signals with literals under `&&`, `||` and `!`.

The grammar (CEL's, restricted):

    condition  := or
    or         := and ("||" and)*
    and        := unary ("&&" unary)*
    unary      := "!" negated | "(" or ")" | relation | bool signal | true | false
    negated    := "!" negated | "(" or ")" | bool signal | true | false
    relation   := signal op literal | literal op signal | string signal "in" [strings]

with op one of `< <= > >= == !=`, numbers compared with numeric signals (CEL compares int and
double by value, as Python does) and strings with string signals. Anything else (arithmetic,
functions, macros, maps, other types) is outside the subset and `parse` returns None. Within
it no operation can fail, so CEL's error rules never come into play.

One tree serves three readers: the engine's Python predicate (signals.policy.plain), the root
causes of a golden set's errors (which clause decided, against which value) and the threshold
sweep (the same condition with one literal replaced).
"""

import operator
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.])
    | (?P<str>"[^"\\\n]*"|'[^'\\\n]*')
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>&&|\|\||<=|>=|==|!=|<|>|!|\(|\)|\[|\]|,)
    )""",
    re.VERBOSE,
)
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_RELATIONS = frozenset(_FLIP)
_NUMERIC = frozenset({"int", "double"})
_LITERAL_TYPE = {"str": "string", "bool": "bool"}
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class Node:
    """A condition or a part of one."""

    def source(self, param: "Compare | None" = None) -> str:
        """Python source over the signal values `v` (with `param`'s literal read from `t`)."""
        raise NotImplementedError

    def holds(self, v: dict[str, Any]) -> bool:
        """The node's value for these signal values."""
        raise NotImplementedError

    def text(self) -> str:
        """The node as CEL."""
        raise NotImplementedError

    def negated_text(self) -> str:
        """What its being false says, as CEL."""
        return f"!({self.text()})"

    def children(self) -> tuple["Node", ...]:
        return ()

    def walk(self) -> Iterator["Node"]:
        """This node and every node under it, left to right."""
        yield self
        for c in self.children():
            yield from c.walk()


@dataclass(frozen=True, eq=False)
class Const(Node):
    value: bool

    def source(self, param: "Compare | None" = None) -> str:
        return repr(self.value)

    def holds(self, v: dict[str, Any]) -> bool:
        return self.value

    def text(self) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True, eq=False)
class Flag(Node):
    """A bool signal on its own."""

    signal: str

    def source(self, param: "Compare | None" = None) -> str:
        return f"v[{self.signal!r}]"

    def holds(self, v: dict[str, Any]) -> bool:
        return bool(v[self.signal])

    def text(self) -> str:
        return self.signal

    def negated_text(self) -> str:
        return f"!{self.signal}"


@dataclass(frozen=True, eq=False)
class Compare(Node):
    """`signal op literal` (a literal on the left is flipped to the right)."""

    signal: str
    op: str
    literal: Any

    @property
    def numeric(self) -> bool:
        """A threshold: a sweep may vary it."""
        return isinstance(self.literal, int | float) and not isinstance(self.literal, bool)

    def source(self, param: "Compare | None" = None) -> str:
        lit = "t" if param is self else repr(self.literal)
        return f"(v[{self.signal!r}] {self.op} {lit})"

    def holds(self, v: dict[str, Any]) -> bool:
        return _OPS[self.op](v[self.signal], self.literal)

    def text(self) -> str:
        return f"{self.signal} {self.op} {_cel(self.literal)}"

    def negated_text(self) -> str:
        return f"{self.signal} {_NEGATE[self.op]} {_cel(self.literal)}"


@dataclass(frozen=True, eq=False)
class Member(Node):
    """`signal in ["a", "b"]`."""

    signal: str
    items: tuple[str, ...]

    def source(self, param: "Compare | None" = None) -> str:
        if not self.items:
            return "False"
        return f"(v[{self.signal!r}] in {{{', '.join(repr(i) for i in self.items)}}})"

    def holds(self, v: dict[str, Any]) -> bool:
        return v[self.signal] in self.items

    def text(self) -> str:
        return f"{self.signal} in [{', '.join(_cel(i) for i in self.items)}]"

    def negated_text(self) -> str:
        return f"!({self.text()})"


@dataclass(frozen=True, eq=False)
class Not(Node):
    inner: Node

    def source(self, param: "Compare | None" = None) -> str:
        return f"(not {self.inner.source(param)})"

    def holds(self, v: dict[str, Any]) -> bool:
        return not self.inner.holds(v)

    def text(self) -> str:
        return self.inner.negated_text()

    def negated_text(self) -> str:
        return self.inner.text()

    def children(self) -> tuple[Node, ...]:
        return (self.inner,)


@dataclass(frozen=True, eq=False)
class _Chain(Node):
    """Parts joined by one operator."""

    parts: tuple[Node, ...]
    python: ClassVar[str]
    cel: ClassVar[str]
    combine: ClassVar[Callable[[Iterable[bool]], bool]]

    def source(self, param: "Compare | None" = None) -> str:
        return "(" + f" {self.python} ".join(p.source(param) for p in self.parts) + ")"

    def holds(self, v: dict[str, Any]) -> bool:
        return type(self).combine(p.holds(v) for p in self.parts)

    def text(self) -> str:
        return f" {self.cel} ".join(_grouped(p) for p in self.parts)

    def children(self) -> tuple[Node, ...]:
        return self.parts


class All(_Chain):
    """`a && b && ...`: holds when every part does."""

    python, cel, combine = "and", "&&", all


class AnyOf(_Chain):
    """`a || b || ...`: holds when some part does."""

    python, cel, combine = "or", "||", any


def _grouped(n: Node) -> str:
    return f"({n.text()})" if isinstance(n, _Chain) else n.text()


def _cel(literal: Any) -> str:
    if isinstance(literal, bool):
        return "true" if literal else "false"
    if isinstance(literal, str):
        return '"' + literal + '"'
    return repr(literal)


def parse(when: str, types: dict[str, str]) -> Node | None:
    """The tree of a condition, or None outside the plain subset.

    types maps each signal the condition may read to its CEL type (int, double, bool, string).
    """
    try:
        tokens = _tokenize(when)
        parser = _Parser(tokens, types)
        tree = parser.disjunction()
        if parser.pos != len(tokens):
            raise _NotPlain
    except _NotPlain:
        return None
    return tree


class _NotPlain(Exception):
    """The condition is outside the subset: CEL evaluates it."""


def _tokenize(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _NotPlain
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    """Recursive descent over the tokens."""

    def __init__(self, tokens: list[tuple[str, str]], types: dict[str, str]) -> None:
        self.tokens, self.types, self.pos = tokens, types, 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self, kind: str, text: str | None = None) -> str:
        k, t = self.peek()
        if k != kind or (text is not None and t != text):
            raise _NotPlain
        self.pos += 1
        return t

    def disjunction(self) -> Node:
        parts = self.chain("||", self.conjunction)
        return parts[0] if len(parts) == 1 else AnyOf(parts)

    def conjunction(self) -> Node:
        parts = self.chain("&&", self.unary)
        return parts[0] if len(parts) == 1 else All(parts)

    def chain(self, token: str, operand: Callable[[], Node]) -> tuple[Node, ...]:
        """operand (token operand)*."""
        parts = [operand()]
        while self.peek() == ("op", token):
            self.pos += 1
            parts.append(operand())
        return tuple(parts)

    def unary(self) -> Node:
        kind, text = self.peek()
        if (kind, text) == ("op", "!"):
            self.pos += 1
            return Not(self.negated())
        if (kind, text) == ("op", "("):
            self.pos += 1
            inner = self.disjunction()
            self.take("op", ")")
            return inner
        if kind == "name" and text in ("true", "false"):
            self.pos += 1
            return Const(text == "true")
        return self.relation()

    def negated(self) -> Node:
        """What `!` applies to: CEL binds it tighter than a relation (`!x > 3` is `(!x) > 3`)."""
        kind, text = self.peek()
        if kind == "name" and text in self.types and self.types[text] == "bool":
            self.pos += 1
            if self.peek()[1] in _RELATIONS or self.peek() == ("name", "in"):
                raise _NotPlain
            return Flag(text)
        if (kind, text) in (("op", "!"), ("op", "(")) or (
            kind == "name" and text in ("true", "false")
        ):
            return self.unary()
        raise _NotPlain

    def relation(self) -> Node:
        left = self.operand()
        kind, op = self.peek()
        if kind == "name" and op == "in":
            self.pos += 1
            return self.membership(left)
        if kind != "op" or op not in _RELATIONS:
            if left[0] == "signal" and self.types[left[1]] == "bool":
                return Flag(left[1])
            raise _NotPlain
        self.pos += 1
        right = self.operand()
        if left[0] == "signal" and right[0] != "signal":
            signal, literal = left, right
        elif right[0] == "signal" and left[0] != "signal":
            signal, literal, op = right, left, _FLIP[op]
        else:
            raise _NotPlain
        stype = self.types[signal[1]]
        comparable = (
            stype in _NUMERIC
            if literal[0] == "num"
            else _LITERAL_TYPE.get(literal[0]) == stype and op in ("==", "!=")
        )
        if not comparable:
            raise _NotPlain  # a comparison CEL would refuse: let it
        return Compare(signal[1], op, literal[1])

    def membership(self, left: tuple[str, Any]) -> Node:
        if left[0] != "signal" or self.types[left[1]] != "string":
            raise _NotPlain
        self.take("op", "[")
        items: list[str] = []
        while self.peek() != ("op", "]"):
            if items:
                self.take("op", ",")
            kind, value = self.operand()
            if kind != "str":
                raise _NotPlain
            items.append(value)
        self.pos += 1
        return Member(left[1], tuple(items))

    def operand(self) -> tuple[str, Any]:
        """(signal | num | str | bool, the literal's value or the signal's name)."""
        kind, text = self.peek()
        self.pos += 1
        if kind == "num":
            return "num", float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "str":
            return "str", text[1:-1]
        if kind == "name" and text in ("true", "false"):
            return "bool", text == "true"
        if kind == "name" and text in self.types:
            return "signal", text
        raise _NotPlain


__all__ = ["All", "AnyOf", "Compare", "Const", "Flag", "Member", "Node", "Not", "parse"]
