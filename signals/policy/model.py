"""The compiled form of a policy pack: rules ready to evaluate, and the pack's content hash."""

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Outcomes, least to most severe. Human-routing outcomes sit between soft and hard actions.
OUTCOMES: tuple[str, ...] = (
    "label",
    "age_restrict",
    "limit_distribution",
    "review",
    "escalate",
    "remove",
    "strike",
    "suspend_creator",
)
ESCALATION_OUTCOMES = frozenset({"review", "escalate"})
MODES: tuple[str, ...] = ("enforce", "shadow", "disabled")
TARGETS: tuple[str, ...] = ("content", "creator")


_COMPARISON = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(>=|<=|>|<|==)\s*(-?\d+(?:\.\d+)?)\s*$")
OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}


def guards_of(when: str) -> tuple[tuple[str, str, float], ...]:
    """Top-level `signal OP number` conjuncts of a condition: each is necessary for it to hold.

    Only for plain conjunctions (no ||, ?:, !, parentheses or strings), where splitting on &&
    is exact. A failed guard means CEL would return false too, so evaluation can stop early.
    """
    if any(tok in when for tok in ("||", "?", "!", "(", ")", '"', "'")):
        return ()
    out = []
    for part in when.split("&&"):
        m = _COMPARISON.match(part)
        if m:
            out.append((m.group(1), m.group(2), float(m.group(3))))
    return tuple(out)


@dataclass(frozen=True)
class Rule:
    """One validated, compiled rule."""

    id: str
    version: int
    owner: str
    description: str
    policy_area: str
    target: str
    when: str
    outcome: str
    mode: str
    once_per: int  # decision window in ms; 0 = once per target, ever
    queue: str | None
    priority: int | None
    reads: tuple[str, ...]  # signal names the condition reads
    file: str
    line: int
    program: Any = field(compare=False, repr=False)  # cel.Program
    key: str = field(init=False, compare=False, repr=False)  # identity in per-key state
    # necessary conditions checked in Python before CEL runs: (signal, op, constant)
    guards: tuple[tuple[str, str, float], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.id}@{self.version}")
        object.__setattr__(self, "guards", guards_of(self.when))

    def window_start(self, ts: int) -> int:
        """Start of the decision window ts falls in (0 for once-per-lifetime rules)."""
        return ts - ts % self.once_per if self.once_per else 0


@dataclass(frozen=True)
class PolicyPack:
    """A validated set of rules and the hash every decision carries."""

    rules: tuple[Rule, ...]
    hash: str
    source: str

    def active(self, target: str) -> tuple[Rule, ...]:
        """Rules of a target that run (enforce or shadow), in file order."""
        return tuple(r for r in self.rules if r.target == target and r.mode != "disabled")

    def reads(self, target: str) -> tuple[str, ...]:
        """Every signal the active rules of a target read, each once."""
        seen: dict[str, None] = {}
        for r in self.active(target):
            for name in r.reads:
                seen[name] = None
        return tuple(seen)
