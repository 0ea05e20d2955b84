"""Plain conditions compiled to Python: the common shape of a rule, without a CEL call per event.

Most conditions are comparisons of signals with literals joined by `&&`, `||` and `!`:
`score_max_self_harm >= 0.75 || reports_24h_self_harm >= 2`. For these, a CEL context and
program run cost twenty times a Python expression, on the hottest path the worker has. A
condition entirely in this subset becomes a Python predicate over the signal values:

    condition  := or
    or         := and ("||" and)*
    and        := unary ("&&" unary)*
    unary      := "!" negated | "(" or ")" | relation | bool signal | true | false
    negated    := "!" negated | "(" or ")" | bool signal | true | false
    relation   := signal op literal | literal op signal | string signal "in" [strings]

with op one of `< <= > >= == !=`, numbers compared with numeric signals (CEL compares int and
double by value, as Python does) and strings with string signals. Anything else (arithmetic,
functions, macros, maps, other types) returns None, and the rule keeps running on CEL. Within
the subset no operation can fail, so CEL's error rules never come into play; a hypothesis test
checks the two agree.
"""

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

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
_RELATIONS = frozenset(_FLIP)
_NUMERIC = frozenset({"int", "double"})
_LITERAL_TYPE = {"str": "string", "bool": "bool"}


class _NotPlain(Exception):
    """The condition is outside the subset: CEL evaluates it."""


def compile_plain(when: str, types: dict[str, str]) -> Predicate | None:
    """A Python predicate equal to the CEL condition, or None outside the plain subset.

    types maps each signal the condition may read to its CEL type (int, double, bool, string).
    """
    try:
        tokens = _tokenize(when)
        parser = _Parser(tokens, types)
        source = parser.disjunction()
        if parser.pos != len(tokens):
            raise _NotPlain
    except _NotPlain:
        return None
    # source is built only from validated signal names, repr() of parsed literals and Python
    # operators, so evaluating it runs nothing but comparisons
    predicate: Predicate = eval(f"lambda v: {source}", {"__builtins__": {}})
    return predicate


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
    """Recursive descent over the tokens, producing Python source."""

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

    def disjunction(self) -> str:
        return self.chain("||", "or", self.conjunction)

    def conjunction(self) -> str:
        return self.chain("&&", "and", self.unary)

    def chain(self, token: str, python: str, operand: Callable[[], str]) -> str:
        """operand (token operand)*, as one Python boolean expression."""
        parts = [operand()]
        while self.peek() == ("op", token):
            self.pos += 1
            parts.append(operand())
        return parts[0] if len(parts) == 1 else "(" + f" {python} ".join(parts) + ")"

    def unary(self) -> str:
        kind, text = self.peek()
        if (kind, text) == ("op", "!"):
            self.pos += 1
            return f"(not {self.negated()})"
        if (kind, text) == ("op", "("):
            self.pos += 1
            inner = self.disjunction()
            self.take("op", ")")
            return inner
        if kind == "name" and text in ("true", "false"):
            self.pos += 1
            return "True" if text == "true" else "False"
        return self.relation()

    def negated(self) -> str:
        """What `!` applies to: CEL binds it tighter than a relation (`!x > 3` is `(!x) > 3`)."""
        kind, text = self.peek()
        if kind == "name" and text in self.types and self.types[text] == "bool":
            self.pos += 1
            if self.peek()[1] in _RELATIONS or self.peek() == ("name", "in"):
                raise _NotPlain
            return f"v[{text!r}]"
        if (kind, text) in (("op", "!"), ("op", "(")) or (
            kind == "name" and text in ("true", "false")
        ):
            return self.unary()
        raise _NotPlain

    def relation(self) -> str:
        left = self.operand()
        kind, op = self.peek()
        if kind == "name" and op == "in":
            self.pos += 1
            return self.membership(left)
        if kind != "op" or op not in _RELATIONS:
            if left[0] == "signal" and self.types[left[1]] == "bool":
                return f"v[{left[1]!r}]"
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
        return f"(v[{signal[1]!r}] {op} {literal[1]})"

    def membership(self, left: tuple[str, str]) -> str:
        if left[0] != "signal" or self.types[left[1]] != "string":
            raise _NotPlain
        self.take("op", "[")
        items: list[str] = []
        while self.peek() != ("op", "]"):
            if items:
                self.take("op", ",")
            kind, text = self.operand()
            if kind != "str":
                raise _NotPlain
            items.append(text)
        self.pos += 1
        return f"(v[{left[1]!r}] in {{{', '.join(items)}}})" if items else "False"

    def operand(self) -> tuple[str, str]:
        """(signal | num | str | bool, Python source or signal name)."""
        kind, text = self.peek()
        self.pos += 1
        if kind == "num":
            return "num", repr(float(text) if any(c in text for c in ".eE") else int(text))
        if kind == "str":
            return "str", repr(text[1:-1])
        if kind == "name" and text in ("true", "false"):
            return "bool", "True" if text == "true" else "False"
        if kind == "name" and text in self.types:
            return "signal", text
        raise _NotPlain
