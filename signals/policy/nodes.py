"""Reading YAML nodes for the validators: a node's value, and an error pointing at it."""

import difflib
from collections.abc import Callable
from typing import Any

import yaml

from signals.policy.errors import PolicyError


def at(
    fname: str, node: yaml.Node, msg: str, rule_id: str | None = None, hint: str | None = None
) -> PolicyError:
    """An error at a node, underlining it when it is on one line."""
    width = (
        max(1, node.end_mark.column - node.start_mark.column)
        if (node.start_mark.line == node.end_mark.line)
        else 1
    )
    return PolicyError(
        fname, node.start_mark.line + 1, node.start_mark.column + 1, msg, rule_id, hint, width
    )


def scalar(node: yaml.Node) -> Any:
    """The Python value of a node."""
    return yaml.SafeLoader("").construct_object(node, deep=True)


Fail = Callable[[yaml.Node, str, str | None], Any]  # records a problem at a node (msg, hint)


def known_fields(
    node: yaml.MappingNode, allowed: tuple[str, ...], what: str, fail: Fail
) -> dict[str, yaml.Node]:
    """{field: value node} of a mapping's known fields; each unknown one fails, with the
    closest known field as its hint."""
    out = {}
    for knode, vnode in node.value:
        key = str(knode.value)
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, 1)
            fail(
                knode,
                f"unknown {what} field {key!r}",
                f"did you mean {close[0]!r}?" if close else f"fields: {', '.join(allowed)}",
            )
            continue
        out[key] = vnode
    return out


__all__ = ["Fail", "at", "known_fields", "scalar"]
