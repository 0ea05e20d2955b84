"""Which human outcome judges which automatic decision, and what it says of it.

A review or an appeal judges a decision on the same content when it names the decision
(`action_id`), or, naming none, when it is about the decision's policy area or about no area
at all (a reviewer who finds the video violates nothing has judged every decision on it). A
review that finds the content violating, or an appeal upheld, confirms the decision; a
`not_violating` review, or an appeal overturned, says it was wrong.
"""

from typing import Literal

from schemas.inputs import Review

Verdict = Literal["upheld", "overturned"]


def verdict(review: Review) -> Verdict:
    """What a human outcome says of the decisions it judges."""
    return "upheld" if review.outcome in ("violating", "upheld") else "overturned"


def judges(review: Review, decision_id: str, content_id: str, policy_area: str) -> bool:
    """Whether the review or appeal judges this decision."""
    if review.content_id != content_id:
        return False
    return concerns(review.action_id, review.policy_area, decision_id, policy_area)


def concerns(
    action_id: str | None, review_area: str | None, decision_id: str, decision_area: str
) -> bool:
    """Whether a human outcome on a decision's video, naming this action (or none) and this
    area (or none), is about that decision."""
    if action_id:
        return action_id == decision_id
    return not review_area or review_area == decision_area


__all__ = ["Verdict", "concerns", "judges", "verdict"]
