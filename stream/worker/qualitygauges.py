"""The enforcement-quality Prometheus family: 7-day figures per rule, policy area and region.

Labels stay low-cardinality (no content ids, no pack hashes or rule versions): a worker keeps
each quality key's 7-day counts and sets every label set it touched to the sum over its keys.
Workers own disjoint keys, so `sum by (rule)` across them is the deployment's figure.
"""

from collections import Counter
from typing import Any

from signals.eventtime import DAY, format_ts
from signals.quality import NONE, QualityState
from signals.qualityreport import window_days
from stream import metrics

FIGURES = (
    "actions",
    "routed",
    "judged",
    "upheld",
    "reviews",
    "appeals",
    "appeals_overturned",
    "reports",
    "reported",
    "reported_actioned",
)
Labels = tuple[str, str, str]


class QualityGauges:
    """Each key's 7-day counts, and the gauges they sum to."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[Labels, Counter[str]]] = {}

    def update(self, states: list[QualityState]) -> None:
        """Refresh the keys of these states and the label sets they fall in."""
        touched: set[Labels] = set()
        for st in states:
            if not st.days:
                continue
            labels = (st.rule if st.rule != NONE else "", st.area, st.region)
            week = window_days(format_ts(max(st.days) * DAY)[:10], 7)
            counts: Counter[str] = Counter()
            for day in st.record().days:
                if day.day in week:
                    counts.update({k: v for k, v in day.counts.items() if k in FIGURES})
            self._keys[st.table_key] = (labels, counts)
            touched.add(labels)
        for labels in touched:
            total: Counter[str] = Counter()
            for lb, counts in self._keys.values():
                if lb == labels:
                    total.update(counts)
            for figure in FIGURES:
                metrics.ENFORCEMENT.labels(*labels, figure).set(total[figure])

    def clear(self, *_: Any, **__: Any) -> None:
        """Partitions moved: another worker may own these keys now."""
        self._keys.clear()
        metrics.ENFORCEMENT.clear()
