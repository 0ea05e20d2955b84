"""Enforcement-quality figures from `enforcement-quality` records: windows, groups, flags.

A record holds one key's daily figures; a report sums the days of a window (the last 1, 7
or 28 days up to the newest day any record has) over the records of each group (a rule, a
policy area, a region, or a rule under one pack). Everything is a sum, so the figures are
the same whether the records came from one replay or from several workers.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from schemas.quality import EnforcementQuality
from signals.quality import NONE, quantile
from signals.stats import Z95, ratio, wilson

WINDOWS = {"1d": 1, "7d": 7, "28d": 28}
GROUPINGS = ("rule", "area", "region", "pack")
# an overturn rate "rose" when the last week's is above the three weeks before it by more
# than chance (a two-proportion z test at 95%) on at least this many appeals each side
MIN_APPEALS = 5
_DECIDED = ("actions", "routed", "shadow")


@dataclass
class Figures:
    """A group's figures over a window: counts and latency histograms, summed."""

    counts: Counter[str] = field(default_factory=Counter)
    to_action: Counter[int] = field(default_factory=Counter)
    to_review: Counter[int] = field(default_factory=Counter)

    def add(self, rec: EnforcementQuality, days: set[str]) -> None:
        for d in rec.days:
            if d.day in days:
                self.counts.update(d.counts)
                self.to_action.update({int(b): n for b, n in d.to_action.items()})
                self.to_review.update({int(b): n for b, n in d.to_review.items()})

    @property
    def upheld_rate(self) -> float | None:
        """Share of the judged decisions that humans confirmed: a precision estimate."""
        return ratio(self.counts["upheld"], self.counts["judged"])

    @property
    def upheld_ci(self) -> tuple[float, float]:
        return wilson(self.counts["upheld"], self.counts["judged"])

    @property
    def sample_rate(self) -> float | None:
        """Share of the QA samples humans confirmed: precision without the lean of appeals
        and reports (signals.qasample)."""
        return ratio(self.counts["sample_upheld"], self.counts["sample_judged"])

    @property
    def sample_ci(self) -> tuple[float, float]:
        return wilson(self.counts["sample_upheld"], self.counts["sample_judged"])

    def precision(self) -> tuple[float | None, tuple[float, float], int, str]:
        """The precision estimate to judge a rule by: (rate, 95% interval, judged, source),
        from its QA samples where any were judged, else from every judgement."""
        if self.counts["sample_judged"]:
            return self.sample_rate, self.sample_ci, self.counts["sample_judged"], "QA samples"
        return self.upheld_rate, self.upheld_ci, self.counts["judged"], "judged"

    @property
    def overturn_rate(self) -> float | None:
        """The appeal success rate: appeals that overturned the decision."""
        return ratio(self.counts["appeals_overturned"], self.counts["appeals"])

    @property
    def reported_actioned(self) -> float | None:
        """Share of reported videos actioned in the area they were reported in."""
        return ratio(self.counts["reported_actioned"], self.counts["reported"])

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa of a second review against the first on the same item."""
        c = self.counts
        a, b, cc, d = c["agree_vv"], c["agree_vn"], c["agree_nv"], c["agree_nn"]
        n = a + b + cc + d
        if not n:
            return None
        po = (a + d) / n
        pe = ((a + b) * (a + cc) + (cc + d) * (b + d)) / (n * n)
        return None if pe >= 1 else (po - pe) / (1 - pe)

    @property
    def pairs(self) -> int:
        return sum(self.counts[k] for k in ("agree_vv", "agree_vn", "agree_nv", "agree_nn"))

    def latency(self, which: str, q: float) -> float | None:
        """A quantile of time to action or to review, in seconds (within 5%)."""
        return quantile(self.to_action if which == "action" else self.to_review, q)


def newest_day(records: list[EnforcementQuality]) -> str | None:
    """The newest day any record has: the end of every window."""
    return max((d.day for r in records for d in r.days), default=None)


def window_days(end: str, days: int) -> set[str]:
    """The `days` UTC days ending with `end` (YYYY-MM-DD)."""
    last = date.fromisoformat(end)
    return {(last - timedelta(days=i)).isoformat() for i in range(days)}


def group_of(rec: EnforcementQuality, by: str) -> str:
    """The group a record's figures go to."""
    if by == "rule":
        return rec.rule
    if by == "area":
        return rec.policy_area
    if by == "region":
        return rec.region
    return f"{rec.rule} {rec.pack_hash[:19]}"


def report(
    records: list[EnforcementQuality], by: str, days: int, end: str | None = None
) -> dict[str, Figures]:
    """Each group's figures over the window of `days` ending with `end` (the newest day)."""
    end = end or newest_day(records)
    out: dict[str, Figures] = {}
    if end is None:
        return out
    window = window_days(end, days)
    for rec in records:
        if by in ("rule", "pack") and rec.rule == NONE:
            continue  # area-level report figures belong to no rule
        out.setdefault(group_of(rec, by), Figures()).add(rec, window)
    return dict(sorted(out.items()))


def daily(records: list[EnforcementQuality], rule: str) -> dict[str, Figures]:
    """One rule's figures per day (every version and pack), for a chart over time."""
    out: dict[str, Figures] = {}
    for rec in records:
        if rec.rule == rule:
            for d in rec.days:
                out.setdefault(d.day, Figures()).add(rec, {d.day})
    return dict(sorted(out.items()))


def pack_changes(records: list[EnforcementQuality], rule: str) -> list[tuple[str, str]]:
    """(first day, pack hash) of each pack a rule's decisions were made under, oldest first."""
    first: dict[str, str] = {}
    for rec in records:
        if rec.rule != rule:
            continue
        decided = [d.day for d in rec.days if sum(d.counts.get(k, 0) for k in _DECIDED)]
        if decided and (rec.pack_hash not in first or min(decided) < first[rec.pack_hash]):
            first[rec.pack_hash] = min(decided)
    return sorted((d, p) for p, d in first.items())


def overturns_rose(records: list[EnforcementQuality], rule: str, end: str) -> bool:
    """Whether a rule's appeal overturn rate over the last 7 days is above that of the 21
    days before by more than chance."""
    recent, before = Figures(), Figures()
    last_week = window_days(end, 7)
    earlier = window_days(end, 28) - last_week
    for rec in records:
        if rec.rule == rule:
            recent.add(rec, last_week)
            before.add(rec, earlier)
    n1, n2 = recent.counts["appeals"], before.counts["appeals"]
    if n1 < MIN_APPEALS or n2 < MIN_APPEALS:
        return False
    k1, k2 = recent.counts["appeals_overturned"], before.counts["appeals_overturned"]
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return se > 0 and (k1 / n1 - k2 / n2) / se > Z95


__all__ = [
    "GROUPINGS",
    "WINDOWS",
    "Figures",
    "daily",
    "newest_day",
    "overturns_rose",
    "pack_changes",
    "report",
    "window_days",
]
