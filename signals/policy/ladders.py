"""Validate a pack's `strikes:` section: the creator strike ladders (signals.ladder).

```yaml
strikes:
  expiry: 90d              # how long a strike stays active (default 90d)
  earned_by: [remove]      # content action outcomes that put a strike on the creator
  ladders:
    default:               # every area without a ladder of its own
      - {strikes: 1, outcome: warn}
      - {strikes: 3, outcome: suspend_creator, duration: 7d}
    child_safety:          # a severe area: one strike bans
      - {strikes: 1, outcome: ban_creator}
```

Every problem is reported with its place, as the rule validators do; one pack has at most
one `strikes:` section.
"""

import difflib
from typing import Any

import yaml

from schemas.common import POLICY_AREAS
from signals.eventtime import DAY, parse_duration
from signals.policy.errors import PolicyError
from signals.policy.model import LADDER_OUTCOMES, Step, StrikePolicy
from signals.policy.nodes import at as at_node
from signals.policy.nodes import known_fields, scalar

FIELDS = ("expiry", "earned_by", "ladders")
STEP_FIELDS = ("strikes", "outcome", "duration")
EARNABLE = ("label", "age_restrict", "limit_distribution", "remove")  # content actions
TEMPORARY = ("feature_limit", "limit_distribution", "suspend_creator")  # may have a duration
NEEDS_DURATION = ("suspend_creator",)  # a permanent one is `ban_creator`
DEFAULT_EXPIRY = 90 * DAY


def parse_strikes(fname: str, node: yaml.Node) -> tuple[StrikePolicy | None, list[PolicyError]]:
    """The strike policy a `strikes:` node declares, or None and every problem in it."""
    errors: list[PolicyError] = []

    def fail(at: yaml.Node, msg: str, hint: str | None = None) -> None:
        errors.append(at_node(fname, at, msg, None, hint))

    if not isinstance(node, yaml.MappingNode):
        fail(node, "`strikes` is a mapping: expiry, earned_by, ladders")
        return None, errors
    fields = known_fields(node, FIELDS, "strikes", fail)
    expiry = DEFAULT_EXPIRY
    if "expiry" in fields:
        expiry = _duration(fields["expiry"], fail) or DEFAULT_EXPIRY
    earned: frozenset[str] = frozenset({"remove"})
    if "earned_by" in fields:
        earned = _earned_by(fields["earned_by"], fail)
    ladders: dict[str, tuple[Step, ...]] = {}
    if "ladders" not in fields:
        fail(node, "`strikes` is missing required field `ladders`")
    elif not isinstance(fields["ladders"], yaml.MappingNode):
        fail(fields["ladders"], "`ladders` maps a policy area (or `default`) to its steps")
    else:
        for knode, steps_node in fields["ladders"].value:
            area = str(knode.value)
            if area != "default" and area not in POLICY_AREAS:
                close = difflib.get_close_matches(area, [*POLICY_AREAS, "default"], 1)
                fail(
                    knode,
                    f"unknown policy area {area!r} for a ladder",
                    f"did you mean {close[0]!r}?" if close else "a policy area, or `default`",
                )
                continue
            steps = _steps(steps_node, area, fail)
            if steps:
                ladders[area] = steps
        if "default" not in {str(k.value) for k, _ in fields["ladders"].value}:
            fail(
                fields["ladders"],
                "the strike ladders have no `default` ladder",
                "add `default:` for the policy areas without a ladder of their own",
            )
    if errors:
        return None, errors
    return StrikePolicy(expiry, earned, ladders, fname, node.start_mark.line + 1), errors


def _steps(node: yaml.Node, area: str, fail: Any) -> tuple[Step, ...]:
    """One ladder's steps, in order of strikes; () when a problem was found (recorded)."""
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        fail(node, f"the {area} ladder is a list of steps: - {{strikes: 1, outcome: warn}}")
        return ()
    out: list[Step] = []
    ok = True
    for snode in node.value:
        if not isinstance(snode, yaml.MappingNode):
            fail(snode, "a ladder step is a mapping: strikes, outcome, duration")
            ok = False
            continue
        f = known_fields(snode, STEP_FIELDS, "ladder step", fail)
        for req in ("strikes", "outcome"):
            if req not in f:
                fail(snode, f"a ladder step is missing required field `{req}`")
                ok = False
        if "strikes" not in f or "outcome" not in f:
            continue
        count = scalar(f["strikes"])
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            fail(f["strikes"], "`strikes` must be a whole number >= 1")
            ok = False
            continue
        if out and count <= out[-1].strikes:
            fail(
                f["strikes"],
                f"step at {count} strikes comes after the step at {out[-1].strikes}",
                "list a ladder's steps in rising order of strikes, each count once",
            )
            ok = False
        outcome = str(scalar(f["outcome"]))
        if outcome not in LADDER_OUTCOMES:
            close = difflib.get_close_matches(outcome, LADDER_OUTCOMES, 1)
            fail(
                f["outcome"],
                f"unknown ladder outcome {outcome!r}",
                f"did you mean {close[0]!r}?"
                if close
                else f"ladder outcomes: {', '.join(LADDER_OUTCOMES)}",
            )
            ok = False
            continue
        duration = 0
        if "duration" in f:
            if outcome not in TEMPORARY:
                fail(
                    f["duration"],
                    f"a {outcome} step cannot have a duration",
                    f"only {', '.join(TEMPORARY)} are temporary",
                )
                ok = False
            duration = _duration(f["duration"], fail)
            ok = ok and duration > 0
        elif outcome in NEEDS_DURATION:
            fail(
                snode,
                f"a {outcome} step needs a `duration`",
                "for example duration: 7d; a permanent suspension is `ban_creator`",
            )
            ok = False
        out.append(Step(count, outcome, duration, snode.start_mark.line + 1))
    return tuple(out) if ok else ()


def _earned_by(node: yaml.Node, fail: Any) -> frozenset[str]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        fail(node, "`earned_by` is a list of content action outcomes, e.g. [remove]")
        return frozenset()
    out = set()
    for item in node.value:
        outcome = str(scalar(item))
        if outcome not in EARNABLE:
            fail(
                item,
                f"{outcome!r} is not a content action that can earn a strike",
                f"content actions: {', '.join(EARNABLE)}",
            )
        out.add(outcome)
    return frozenset(out)


def _duration(node: yaml.Node, fail: Any) -> int:
    try:
        return parse_duration(str(scalar(node)))
    except ValueError as exc:
        fail(node, str(exc))
        return 0


__all__ = ["parse_strikes"]
