"""The creator strike ladder: repeat offenders are handled the same way every time.

A content action whose outcome the pack's `strikes.earned_by` names puts a strike on the
creator in the action's policy area; a strike stays active for the pack's `expiry` (90 days
by default) of event time. The area's ladder (or the `default` ladder) says what happens at
each count of active strikes: a warning, a feature limit, a temporary suspension with its
duration, a permanent ban. A reversal of the action (signals.reversal) removes its strike.

The steps reached are worked out again from the creator's strikes, in event-time order, after
every strike and every removal, so they do not depend on the order in which facts from
different content partitions arrive. Each time a count reaches a step's threshold is an
*episode* of that step; an episode's decision id is a hash of the creator, area, step and the
episode's number, so the same strikes give the same ids in replay and on any worker. An
episode no longer reached once a strike is removed is reversed, by a reversal naming it; one
reached again after that is a new decision, with an id derived from the reversed one.

Facts from different content partitions arrive in any order, so a step may be passed through
on the way (a third strike arrives before the reversal of the second): what can differ is such
a step and its reversal, never the steps in force once the same facts have arrived.
"""

from typing import Any

from schemas.outputs import Decision, RuleRef, Target
from signals.creator import ACTION, REVERSED, CreatorFact, CreatorState
from signals.decision import stable_id
from signals.eventtime import format_ts
from signals.policy.model import REINSTATE, Step, StrikePolicy
from signals.records import Strike
from signals.reversal import reversal_id

CAP = 64  # strikes, removed strikes and steps a creator remembers (newest kept)


def record(state: CreatorState, fact: CreatorFact, policy: StrikePolicy) -> bool:
    """Fold a strike earned, or removed, into the creator's state; whether the ladder must
    be worked out again."""
    if fact.kind == ACTION and fact.outcome in policy.earned_by:
        if fact.event_id in state.revoked or any(s[2] == fact.event_id for s in state.strikes):
            return False
        state.strikes.append((fact.ts, fact.area, fact.event_id, fact.content_id))
        state.strikes.sort()
        _cap(state.strikes)
        return True
    if fact.kind == REVERSED:  # party: the reversed action's id
        if fact.party in state.revoked:
            return False
        state.revoked.append(fact.party)
        _cap(state.revoked)
        before = len(state.strikes)
        state.strikes = [s for s in state.strikes if s[2] != fact.party]
        return len(state.strikes) < before
    return False


def active(state: CreatorState, area: str, now: int, expiry: int) -> list[Strike]:
    """The creator's strikes in an area still active at event time now, oldest first."""
    return [s for s in state.strikes if s[1] == area and s[0] <= now < s[0] + expiry]


def episodes(
    strikes: list[Strike], steps: tuple[Step, ...], expiry: int
) -> dict[tuple[int, int], Strike]:
    """Every (step, episode) the strikes of one area reach, with the strike that reached it.

    The count of active strikes rises by one at each strike's time and falls by one when it
    expires; each time it reaches a step's threshold from below, that step's next episode
    begins."""
    changes: list[tuple[int, int, int]] = []  # (time, +1 | -1, strike index); expiries first
    for i, s in enumerate(strikes):
        changes.append((s[0], 1, i))
        changes.append((s[0] + expiry, -1, i))
    changes.sort(key=lambda c: (c[0], c[1]))
    count = 0
    seen = [0] * len(steps)
    out: dict[tuple[int, int], Strike] = {}
    for _, delta, i in changes:
        count += delta
        if delta < 0:
            continue
        for k, step in enumerate(steps):
            if count == step.strikes:
                out[k, seen[k]] = strikes[i]
                seen[k] += 1
    return out


def steps(
    state: CreatorState, fact: CreatorFact, policy: StrikePolicy, pack_hash: str
) -> list[Decision]:
    """The ladder decisions a strike earned or removed makes in its area: an action for each
    episode newly reached, a reversal of each episode no longer reached."""
    area, creator_id = fact.area, fact.creator_id
    name, ladder = policy.ladder(area)
    strikes = [s for s in state.strikes if s[1] == area]
    emitted = {s[0]: s for s in state.steps if s[1] == area}
    reached = {}
    for (k, e), strike in sorted(
        episodes(strikes, ladder, policy.expiry).items(), key=lambda kv: (kv[1][0], kv[0])
    ):
        did = step_id(creator_id, area, ladder[k], e)
        while did in emitted and emitted[did][4]:  # reversed, now reached again: a new id
            did = stable_id(did, "again")
        reached[did] = (k, strike)
    rule = RuleRef(id=f"ladder.{name}", version=1)
    out = []
    for did, (k, strike) in reached.items():
        if did in emitted:
            continue
        step = ladder[k]
        state.steps.append((did, area, step.outcome, strike[0], 0))
        out.append(
            Decision(
                id=did,
                ts=format_ts(strike[0]),
                kind="action",
                target=Target(type="creator", id=creator_id),
                policy_area=area,  # type: ignore[arg-type]
                rule=rule,
                outcome=step.outcome,  # type: ignore[arg-type]
                mode="enforce",
                pack_hash=pack_hash,
                evidence={
                    "ladder": name,
                    "step": step.strikes,
                    "active_strikes": sources(active(state, area, strike[0], policy.expiry)),
                    "strike_expiry": format_ts(strike[0] + policy.expiry),
                },
                source_event_ids=[strike[2]],
                window=format_ts(strike[0]),
                creator_id=creator_id,
                expires=format_ts(strike[0] + step.duration) if step.duration else None,
            )
        )
    for did, was in emitted.items():
        if did in reached or was[4]:
            continue
        state.steps = [(*s[:4], 1) if s[0] == did else s for s in state.steps]
        out.append(
            Decision(
                id=reversal_id(did),
                ts=format_ts(fact.ts),
                kind="reversal",
                target=Target(type="creator", id=creator_id),
                policy_area=area,  # type: ignore[arg-type]
                rule=rule,
                outcome=REINSTATE,
                mode="enforce",
                pack_hash=pack_hash,
                evidence={
                    "reversed_outcome": was[2],
                    "removed_strike": fact.party,
                    "active_strikes": sources(active(state, area, fact.ts, policy.expiry)),
                },
                source_event_ids=[fact.event_id],
                window=format_ts(was[3]),
                creator_id=creator_id,
                reverses=did,
            )
        )
    _cap(state.steps)
    return out


def sources(strikes: list[Strike]) -> list[dict[str, str]]:
    """Strikes as a creator's state lists them: when, where from and in which area."""
    return [
        {"ts": format_ts(s[0]), "policy_area": s[1], "decision_id": s[2], "content_id": s[3]}
        for s in strikes
    ]


def step_id(creator_id: str, area: str, step: Step, episode: int) -> str:
    """The id of an episode of a ladder step: the same for the same strikes, anywhere."""
    return stable_id("ladder", creator_id, area, str(step.strikes), step.outcome, str(episode))


def _cap(items: list[Any]) -> None:
    if len(items) > CAP:
        del items[: len(items) - CAP]


__all__ = ["active", "episodes", "record", "sources", "step_id", "steps"]
