"""Simulated reviewers: outcomes come after the decision, name what they judge, and follow the
videos' truth most of the time."""

from collections import Counter

import orjson

from schemas.outputs import Decision, RuleRef, Target
from signals.eventtime import parse_ts
from stream.demo.reviewers import Reviewers


def decision(n: int, kind: str) -> Decision:
    return Decision(
        id=f"d{n}",
        ts="2026-11-20T10:00:00Z",
        kind=kind,  # type: ignore[arg-type]
        target=Target(type="content", id=f"v{n}"),
        policy_area="hate",
        rule=RuleRef(id="hate.x", version=1),
        outcome="remove" if kind == "action" else "review",
        mode="enforce",
        pack_hash="p",
        evidence={"signals": {"score_max_hate": 0.9}},
        source_event_ids=[],
        window="lifetime",
    )


def test_outcomes_follow_the_truth_and_name_the_action() -> None:
    truth = {(f"v{n}", "hate"): n % 2 == 0 for n in range(2000)}
    reviewers = Reviewers(truth, seed=3)
    seen: Counter[tuple[bool, str]] = Counter()
    for n in range(2000):
        for ts, line in reviewers.outcomes(decision(n, "action" if n % 4 else "escalation")):
            value = orjson.loads(line)["value"]
            assert ts > parse_ts("2026-11-20T10:00:00Z") and value["content_id"] == f"v{n}"
            if value["kind"] == "appeal":
                assert value["action_id"] == f"d{n}"
            seen[truth[f"v{n}", "hate"], value["outcome"]] += 1
    right = seen[True, "violating"] + seen[True, "upheld"] + seen[False, "not_violating"]
    right += seen[False, "overturned"]
    assert 0.85 < right / sum(seen.values()) < 0.97
    assert Reviewers(truth, seed=3).outcomes(decision(5, "action")) == Reviewers(
        truth, seed=3
    ).outcomes(decision(5, "action"))
