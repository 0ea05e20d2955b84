"""Backtests: what a pack would have decided on past events, and how humans judged it.

Each pack's decisions on an events file are counted per rule, outcome, policy area, region
and kind. Where the events carry human reviews and appeals, each decision is matched to the
outcomes that judge it (signals.judgement) wherever they fall in the file, since a review is
a judgement of the video and holds whichever pack acted on it. As in the live figures
(signals.quality), every such outcome is a judgement, and the upheld rate is the share of
judgements that confirmed the decision, with its Wilson interval.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas.inputs import Review
from schemas.outputs import Decision
from signals.eventtime import epoch_ms
from signals.judgement import judges, verdict
from signals.stats import ratio, wilson

GROUPINGS = ("rule", "area", "region")


@dataclass
class Judged:
    """The human side of a group of decisions."""

    decisions: int = 0
    judged_decisions: int = 0  # decisions at least one human outcome judged
    judged: int = 0  # judgements: human outcomes judging a decision
    upheld: int = 0  # of those, confirming it
    appeals: int = 0
    overturned_appeals: int = 0

    @property
    def upheld_rate(self) -> float | None:
        return ratio(self.upheld, self.judged)

    @property
    def upheld_ci(self) -> tuple[float, float]:
        return wilson(self.upheld, self.judged)

    @property
    def appeal_success(self) -> float | None:
        """Share of appeals that overturned the decision."""
        return ratio(self.overturned_appeals, self.appeals)


@dataclass
class PackRun:
    """One pack's decisions on the events, and how the events' humans judged them."""

    volumes: Counter[tuple[str, str, str, str, str]] = field(default_factory=Counter)
    quality: dict[str, dict[str, Judged]] = field(default_factory=dict)  # grouping -> key -> ...


def backtest(decisions: Iterable[Decision], reviews: list[Review]) -> PackRun:
    """Count a pack's decisions and judge them against the reviews and appeals."""
    by_content: dict[str, list[Review]] = {}
    for r in sorted(reviews, key=lambda r: epoch_ms(r.ts)):
        by_content.setdefault(r.content_id, []).append(r)
    run = PackRun(quality={g: {} for g in GROUPINGS})
    for d in decisions:
        region = d.region or "-"
        run.volumes[d.rule.id, d.outcome, d.policy_area, region, d.kind] += 1
        if d.target.type != "content":
            continue  # reviews and appeals are about videos
        judging = [
            r
            for r in by_content.get(d.target.id, ())
            if judges(r, d.id, d.target.id, d.policy_area)
        ]
        for grouping, key in zip(GROUPINGS, (d.rule.id, d.policy_area, region), strict=True):
            j = run.quality[grouping].setdefault(key, Judged())
            j.decisions += 1
            j.judged_decisions += bool(judging)
            for r in judging:
                j.judged += 1
                j.upheld += verdict(r) == "upheld"
                if r.kind == "appeal":
                    j.appeals += 1
                    j.overturned_appeals += r.outcome == "overturned"
    return run


__all__ = ["GROUPINGS", "Judged", "PackRun", "backtest"]
