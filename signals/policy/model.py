"""The compiled form of a policy pack: rules ready to evaluate, and the pack's content hash."""

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

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.id}@{self.version}")

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
