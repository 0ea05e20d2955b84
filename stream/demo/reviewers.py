"""Simulated human reviewers and appellants for demo data: outcomes on vigil's own decisions.

Their truth is a model we chose, not a measurement: the ground truth of the generated video
where it is known (stream/demo/golden.py), else a violation with probability equal to the
highest score the rule read. Reviewers are right most of the time; routed videos are reviewed
within hours, a sample of automatic actions is QA-reviewed, some actions are appealed (and
win when the video did not violate), and some reviews get a second look. Enough to exercise
the enforcement-quality figures; never a judge of vigil.
"""

import random
from typing import Any

import orjson

from schemas.outputs import Decision
from signals.eventtime import HOUR, format_ts, parse_ts

REVIEWED = 0.9  # of routed videos
QA_SAMPLE = 0.1  # of automatic actions
APPEALED = 0.15  # of automatic actions
SECOND_LOOK = 0.15  # of reviews
ACCURACY = 0.92  # a reviewer's chance of seeing the truth


class Reviewers:
    """Human outcomes, as input events, for the decisions they are shown."""

    def __init__(self, truth: dict[tuple[str, str], bool] | None = None, seed: int = 11) -> None:
        self.r = random.Random(seed)
        self.n = 0
        self.truth = truth if truth is not None else {}  # (content id, area) -> violates

    def outcomes(self, d: Decision) -> list[tuple[int, bytes]]:
        """(event time, events-file line) of the reviews and appeals a decision draws."""
        if d.target.type != "content" or d.kind == "shadow":
            return []
        r = self.r
        known = self.truth.get((d.target.id, d.policy_area))
        violates = known if known is not None else r.random() < _score(d)
        ts = parse_ts(d.ts)
        out = []
        if (d.kind == "escalation" and r.random() < REVIEWED) or (
            d.kind == "action" and r.random() < QA_SAMPLE
        ):
            at = ts + int(r.uniform(1, 8) * HOUR)
            out.append(self._event(d, at, "review", self._sees(violates)))
            if r.random() < SECOND_LOOK:
                out.append(self._event(d, at + HOUR, "review", self._sees(violates)))
        if d.kind == "action" and r.random() < APPEALED:
            at = ts + int(r.uniform(2, 24) * HOUR)
            seen = self._sees(violates) == "violating"
            out.append(self._event(d, at, "appeal", "upheld" if seen else "overturned"))
        return out

    def _sees(self, violates: bool) -> str:
        right = self.r.random() < ACCURACY
        return "violating" if violates == right else "not_violating"

    def _event(self, d: Decision, ts: int, kind: str, outcome: str) -> tuple[int, bytes]:
        self.n += 1
        value: dict[str, Any] = {
            "event_id": f"hu-{self.n:07d}",
            "ts": format_ts(ts),
            "content_id": d.target.id,
            "kind": kind,
            "outcome": outcome,
            "reviewer": f"rev-{self.r.randint(1, 40):03d}",
            "policy_area": d.policy_area,
            "creator_id": d.creator_id,
        }
        if kind == "appeal":
            value["action_id"] = d.id
        line = orjson.dumps({"topic": "reviews", "key": d.target.id, "value": value})
        return ts, line


def _score(d: Decision) -> float:
    """The chance the decided video violates: the highest score the rule read, else even."""
    scores = [
        v
        for k, v in d.evidence.get("signals", {}).items()
        if k.startswith("score_max") and isinstance(v, int | float)
    ]
    return float(max(scores)) if scores else 0.5


__all__ = ["Reviewers"]
