"""Policy packs: YAML rules with CEL conditions, validated and compiled once per load."""

from signals.policy.errors import PolicyError, PolicyPackInvalid
from signals.policy.load import parse_pack
from signals.policy.model import MODES, OUTCOMES, TARGETS, PolicyPack, Rule

__all__ = [
    "MODES",
    "OUTCOMES",
    "TARGETS",
    "PolicyError",
    "PolicyPack",
    "PolicyPackInvalid",
    "Rule",
    "parse_pack",
]
