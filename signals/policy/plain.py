"""Plain conditions compiled to Python: the common shape of a rule, without a CEL call per event.

Most conditions are comparisons of signals with literals joined by `&&`, `||` and `!`:
`score_max_self_harm >= 0.75 || reports_24h_self_harm >= 2`. For these, a CEL context and
program run cost twenty times a Python expression, on the hottest path the worker has. A
condition entirely in the plain subset (signals.policy.condition) becomes a Python predicate
over the signal values; anything else returns None, and the rule keeps running on CEL. A
hypothesis test checks the two agree.
"""

from collections.abc import Callable
from typing import Any

from signals.policy.condition import Compare, Node, parse

Predicate = Callable[[dict[str, Any]], bool]
Swept = Callable[[dict[str, Any], Any], bool]


def compile_plain(when: str, types: dict[str, str]) -> Predicate | None:
    """A Python predicate equal to the CEL condition, or None outside the plain subset.

    types maps each signal the condition may read to its CEL type (int, double, bool, string).
    """
    tree = parse(when, types)
    if tree is None:
        return None
    # the source is built only from validated signal names, repr() of parsed literals and
    # Python operators, so evaluating it runs nothing but comparisons
    predicate: Predicate = eval(f"lambda v: {tree.source()}", {"__builtins__": {}})
    return predicate


def compile_swept(tree: Node, param: Compare) -> Swept:
    """The condition as a predicate of the signal values and a new literal for `param`
    (`vigil golden sweep` varies one threshold without re-parsing per grid point)."""
    swept: Swept = eval(f"lambda v, t: {tree.source(param)}", {"__builtins__": {}})
    return swept


__all__ = ["Predicate", "Swept", "compile_plain", "compile_swept"]
