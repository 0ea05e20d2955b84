"""Humans outrank machines: a human outcome that finds an automatic action wrong reverses it.

A reviewer's `not_violating`, or an appeal `overturned`, that judges an action on the video
(signals.judgement: it names the action, or names no action and is about the action's policy
area or about none) reverses that action: a decision of kind `reversal`, outcome `reinstate`,
naming the action it undoes, from which a downstream system can undo the action alone. Its id
is a hash of the action's id, so a redelivered review, a restart or a second overturning
outcome never makes a second reversal (the video's state remembers the actions it reversed).

The join is symmetric, as the quality join is (signals.qualityjoin): Kafka may deliver an
appeal before the report whose action it overturns, so an action made after an outcome
already known that judges it is reversed at once. Either way the same pairs meet and the
same reversals go out, in replay and in the worker.
"""

from schemas.outputs import Decision, RuleRef, Target
from signals.content import ContentState
from signals.decision import stable_id
from signals.eventtime import format_ts
from signals.policy.model import REINSTATE
from signals.quality import NONE
from signals.qualityjoin import judges, verdict_of
from signals.records import ActedDecision, QualityReview

CAP = 16  # reversed action ids a video remembers (as many as the decisions it remembers)


def reversal_id(decision_id: str) -> str:
    """The id of the reversal of a decision: one per decision, on every worker."""
    return stable_id("reversal", decision_id)


def on_outcome(
    review: QualityReview,
    state: ContentState,
    content_id: str,
    pack_hash: str,
    earns: frozenset[str],
) -> list[Decision]:
    """The reversals a new human outcome makes: of each action on the video it overturns."""
    if verdict_of(review) != "overturned":
        return []
    return [
        _reverse(dec, review, state, content_id, pack_hash, earns)
        for dec in state.decisions
        if _reverses(review, dec, state)
    ]


def on_action(
    dec: ActedDecision, state: ContentState, content_id: str, pack_hash: str, earns: frozenset[str]
) -> list[Decision]:
    """The reversal of an action just made, when an outcome already known overturns it."""
    for review in state.reviews:
        if verdict_of(review) == "overturned" and _reverses(review, dec, state):
            return [_reverse(dec, review, state, content_id, pack_hash, earns)]
    return []


def _reverses(review: QualityReview, dec: ActedDecision, state: ContentState) -> bool:
    """An overturning outcome reverses an action it judges that is not yet reversed and was
    taken before it (in event time: an action a rule took again after a human cleared the
    video, `rearm`, even as the clearing came, is new evidence the clearing did not see)."""
    return (
        dec[6] == "action"
        and dec[7] < review[1]
        and judges(review, dec)
        and dec[0] not in state.reversed
    )


def _reverse(
    dec: ActedDecision,
    review: QualityReview,
    state: ContentState,
    content_id: str,
    pack_hash: str,
    earns: frozenset[str],
) -> Decision:
    """The reversal of one action by one human outcome; the state remembers it."""
    state.reversed.append(dec[0])
    if len(state.reversed) > CAP:
        del state.reversed[0]
    struck = dec[8] in earns and bool(state.creator_id)  # the action put a strike on them
    return Decision(
        id=reversal_id(dec[0]),
        ts=format_ts(max(review[1], dec[7])),
        kind="reversal",
        target=Target(type="content", id=content_id),
        policy_area=dec[3],  # type: ignore[arg-type]
        rule=RuleRef(id=dec[1], version=dec[2]),
        outcome=REINSTATE,
        mode="enforce",
        pack_hash=pack_hash,
        evidence={
            "reversed_outcome": dec[8],
            "human": {"kind": review[2], "outcome": review[3], "event_id": review[0]},
        },
        source_event_ids=[review[0]],
        window=dec[9],
        creator_id=state.creator_id or None,
        region=dec[4] if dec[4] != NONE else None,
        reverses=dec[0],
        strike_removed=struck,
    )


__all__ = ["on_action", "on_outcome", "reversal_id"]
