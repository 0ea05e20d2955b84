"""Reading YAML nodes for the validators: a node's value, and an error pointing at it."""

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


__all__ = ["at", "scalar"]
