"""Evaluating a pack's rules for one key after one event: plans, screening, bands, conflicts.

A plan is the set of rules worth evaluating after one kind of event (those reading a signal
that kind of event changes). Evaluation picks each rule's variant for the key's region, screens
it with its guards, runs its CEL condition, and places the result in a confidence band. The
hits are then settled per channel: one enforcement action and one routing to humans at most,
the most severe and the most urgent; the others ride along in the winner's evidence.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import cel

from signals.catalogue import SIGNALS
from signals.content import rearmed
from signals.policy.model import ACTION_SEVERITY, OPS, ROUTING_URGENCY, Rule

# The region to evaluate for once a region hold has expired (signals.regionhold): rules with
# regional variants run as written. An empty region means "not known yet": they are held.
REGION_UNKNOWN = "?"

Reader = Callable[[Any, int], Any]


class Hit(NamedTuple):
    """A rule (region variant) whose condition holds, with what it read and its band."""

    rule: Rule
    values: dict[str, Any]
    band: str | None  # enforce | review | None for rules without bands

    @property
    def outcome(self) -> str:
        """The review band routes to review whatever the rule's outcome."""
        return "review" if self.band == "review" else self.rule.outcome

    @property
    def key(self) -> str:
        """Identity in per-key state: the review band fires apart from the enforce band."""
        return self.rule.key + "#review" if self.band == "review" else self.rule.key

    @property
    def channel(self) -> str:
        """shadow, routing (to humans) or action."""
        if self.rule.mode == "shadow":
            return "shadow"
        return "routing" if self.outcome in ROUTING_URGENCY else "action"


class Plan(NamedTuple):
    """The rules to evaluate after one kind of event, and how to read what they need."""

    rules: tuple[Rule, ...]
    readers: dict[str, Reader]
    # rules without region overrides whose first guard is `signal >= c` (or >), grouped by
    # signal with the lowest c: one read and one comparison rule out a whole group
    groups: tuple[tuple[str, float, tuple[Rule, ...]], ...]
    ungrouped: tuple[Rule, ...]


def plan(rules: tuple[Rule, ...]) -> Plan:
    """Precompute the evaluation plan of a set of rules."""
    reads = dict.fromkeys(n for r in rules for n in r.all_reads)
    by_signal: dict[str, list[Rule]] = {}
    ungrouped = []
    for r in rules:
        if not r.regions and r.guards and r.guards[0][1] in (">=", ">"):
            by_signal.setdefault(r.guards[0][0], []).append(r)
        else:
            ungrouped.append(r)
    groups = tuple(
        (sig, min(r.guards[0][2] for r in rs), tuple(rs)) for sig, rs in by_signal.items()
    )
    return Plan(rules, {n: SIGNALS[n].read for n in reads}, groups, tuple(ungrouped))


class Evaluation:
    """Evaluate a plan against one key's state as of the triggering event's time."""

    def __init__(self) -> None:
        self.errors = 0
        self.held = False  # the last `hits` held a rule back: the key's region is unknown

    def hits(self, plan: Plan, state: Any, ts: int, region: str) -> list[Hit]:
        """Rules whose condition holds now and that have not fired in this window.

        Signals are read lazily and once, as of the triggering event: facts later in event
        time that Kafka happened to deliver first do not count yet. With region "" (not known
        yet) rules with regional variants are held, not evaluated (`held` says so).
        """
        readers = plan.readers
        values: dict[str, Any] = {}
        todo: list[Rule] = []
        held: list[Rule] = []
        for sig, lowest, group in plan.groups:
            v = values[sig] = readers[sig](state, ts)
            if v >= lowest:
                _screen(group, state, ts, region, readers, values, todo, held)
        if plan.ungrouped:
            _screen(plan.ungrouped, state, ts, region, readers, values, todo, held)
        self.held = bool(held)
        if not todo:
            return []
        for rule in todo:  # only what the surviving rules read
            for name in rule.reads:
                if name not in values:
                    values[name] = readers[name](state, ts)
        ctx = None  # built only for a condition outside the plain subset
        out = []
        for rule in todo:
            try:
                if rule.test is not None:
                    hit = rule.test(values)
                else:
                    if ctx is None:
                        ctx = cel.Context(variables=values)
                    hit = rule.program.execute(ctx)
            except Exception:  # a condition error must never stop the stream
                self.errors += 1
                continue
            if hit is not True:
                continue
            band = rule.bands.band(values[rule.bands.signal]) if rule.bands else None
            if rule.bands and band is None:
                continue
            h = Hit(rule, values, band)
            if state.fired.get(h.key, -1) != rule.window_start(ts) or _rearmed(rule, state, ts):
                out.append(h)
        return out


def _rearmed(rule: Rule, state: Any, ts: int) -> bool:
    """A rule that fired in this window may fire again: new evidence after a human cleared
    the video (`rearm`; only content rules have it)."""
    n = rule.rearm_reporters
    return n is not None and rearmed(state, rule.key, n, ts)


def _screen(
    rules: tuple[Rule, ...],
    state: Any,
    ts: int,
    region: str,
    readers: dict[str, Reader],
    values: dict[str, Any],
    todo: list[Rule],
    held: list[Rule],
) -> None:
    """Append the region variants that are enabled, have not acted in this window and whose
    guards all pass; rules with regional variants go to `held` while the region is unknown."""
    fired = state.fired
    for base in rules:
        # Rule.for_region and Rule.window_start inlined: Rule is not compiled, and a call into
        # it cost more than the lookup and the arithmetic, for every rule of every plan
        if base.regions and not region:
            held.append(base)
            continue
        rule = base.regions.get(region, base) if base.regions else base
        once = rule.once_per
        if rule.mode == "disabled" or (
            fired.get(rule.key, -1) == (ts - ts % once if once else 0)
            and not _rearmed(rule, state, ts)
        ):
            continue
        for name, op, const in rule.guards:
            v = values.get(name)
            if v is None:
                v = values[name] = readers[name](state, ts)
            if not OPS[op](v, const):
                break
        else:
            todo.append(rule)


class Settled(NamedTuple):
    """The outcome of conflict resolution for one event."""

    emit: list[tuple[Hit, list[Hit]]]  # winners, each with the hits it outranked
    superseded: list[Hit]  # actions no more severe than one the target already got


def settle(hits: list[Hit], acted: int) -> Settled:
    """One action (the most severe, and only if above `acted`) and one routing (the most
    urgent, then the lowest priority number) per target per event; every shadow hit."""
    emit: list[tuple[Hit, list[Hit]]] = []
    superseded: list[Hit] = []
    actions = [h for h in hits if h.channel == "action"]
    routes = [h for h in hits if h.channel == "routing"]
    if actions:
        actions.sort(key=lambda h: (-ACTION_SEVERITY[h.outcome], h.rule.id))
        if ACTION_SEVERITY[actions[0].outcome] > acted:
            emit.append((actions[0], actions[1:]))
        else:
            superseded.extend(actions)
    if routes:
        routes.sort(key=lambda h: (-ROUTING_URGENCY[h.outcome], h.rule.priority or 3, h.rule.id))
        emit.append((routes[0], routes[1:]))
    emit.extend((h, []) for h in hits if h.channel == "shadow")
    return Settled(emit, superseded)
