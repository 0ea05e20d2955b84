"""A sample golden set from the demo generator (`vigil golden make`), to try every command on.

Its ground truth is a model we chose, not a measurement: an item violates its policy area or
not; a violating item's classifier score is high and it draws reports, a benign one's score
is low, except for hard negatives (news, satire, art) that score high, and a few benign items
are mass-reported. Labellers disagree with the truth on a share of items (label noise), and
some labels arrive after the set's freeze date. Judge vigil on real golden sets, never on
this one.
"""

import random
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from schemas.golden import GoldenEvent, GoldenItem, GoldenLabel, GoldenSet
from signals.eventtime import DAY, HOUR, MINUTE
from stream.demo.traffic import DAY_START, TrafficGen

# policy areas the shipped pack automates on content, and how often each is sampled
AREAS = [
    ("hate", 3),
    ("harassment_bullying", 3),
    ("dangerous_activities", 2),
    ("shocking_graphic", 1),
    ("self_harm", 1),
    ("violent_extremism", 1),
    ("child_safety", 1),
]
SEVERE = ("child_safety", "violent_extremism")  # the outcome matters: these must come down
VIOLATING_SHARE = 0.35
HARD_NEGATIVES = 0.12  # benign items the classifier scores high
BRIGADED = 0.05  # benign items mass-reported
LATE_LABELS = 0.04  # relabelled after the freeze date (not counted)


def golden_set(
    items: int = 600, seed: int = 7, noise: float = 0.03, start: int = DAY_START, first_id: int = 0
) -> tuple[GoldenSet, list[GoldenItem]]:
    """A header and `items` labelled videos; `noise` is the share of labels that are wrong.
    start and first_id move the day and the id counter (as for the demo day)."""
    g = TrafficGen(seed, 0.05, start, first_id)
    r = g.r
    areas = [a for a, _ in AREAS]
    weights = [w for _, w in AREAS]
    frozen = start + DAY + 12 * HOUR
    truth: dict[str, tuple[str, bool]] = {}
    for i in range(items):
        area = r.choices(areas, weights)[0]
        violating = r.random() < VIOLATING_SHARE
        ts = start + int(r.random() * 20 * HOUR)
        creator = f"u-gold-{i:04d}"
        score = _score(r, violating)
        cid = g.upload(ts, creator, [f"tag{r.randint(0, 99)}"], None, {area: score})
        truth[cid] = (area, violating)
        n_reports = _poisson(r, 3.0 if violating else 0.3)
        if not violating and r.random() < BRIGADED:
            n_reports += r.randint(5, 12)
        for _ in range(n_reports):
            g.report(ts + r.randint(MINUTE, 4 * HOUR), cid, creator, r.choice(g.reporters), area)
    events: dict[str, list[GoldenEvent]] = defaultdict(list)
    regions: dict[str, str] = {}
    for _, _, m in sorted(g.out, key=lambda t: (t[0], t[1])):
        events[m.key].append(GoldenEvent(topic=m.topic, value=m.value))  # type: ignore[arg-type]
        if m.topic == "uploads":
            regions[m.key] = m.value["region"]
    out = []
    for n, (cid, (area, violating)) in enumerate(truth.items()):
        labelled = violating if r.random() >= noise else not violating
        labels = [_label(r, area, labelled, frozen - int(r.random() * 10 * HOUR))]
        if r.random() < LATE_LABELS:  # a second look after the freeze: it does not count
            labels.append(_label(r, area, not labelled, frozen + int(r.random() * DAY) + 1))
        score = _first_score(events[cid], area)
        out.append(
            GoldenItem(
                item_id=f"g-{n:04d}",
                target="content",
                id=cid,
                events=events[cid],
                labels=labels,
                region=regions[cid],
                stratum="score_high"
                if score >= 0.8
                else "score_mid"
                if score >= 0.5
                else "score_low",
            )
        )
    header = GoldenSet(
        name=f"demo-golden-{seed}",
        frozen_at=_at(frozen),
        description="sample set from vigil's demo generator: a model, not ground truth",
    )
    return header, out


def _score(r: random.Random, violating: bool) -> float:
    if violating:
        s = r.betavariate(6.0, 1.4)
    elif r.random() < HARD_NEGATIVES:
        s = r.betavariate(5.0, 1.8)
    else:
        s = r.betavariate(1.2, 9.0)
    return round(min(0.999, s), 3)


def _poisson(r: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means used here."""
    n, p, limit = 0, r.random(), pow(2.718281828459045, -mean)
    while p > limit:
        n += 1
        p *= r.random()
    return n


def _label(r: random.Random, area: str, violating: bool, at: int) -> GoldenLabel:
    expected: Any = None
    if area in SEVERE:
        expected = "remove" if violating else "none"
    return GoldenLabel(
        policy_area=area,  # type: ignore[arg-type]
        violating=violating,
        labelled_by=f"labeller-{r.randint(1, 12):02d}",
        labelled_at=_at(at),
        expected_outcome=expected,
    )


def _at(ms: int) -> datetime:
    """A label's time, to the second (as a labelling tool records it)."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC)


def _first_score(events: list[GoldenEvent], area: str) -> float:
    for e in events:
        if e.topic == "model-scores":
            scores = e.value["scores"]
            assert isinstance(scores, dict)
            return float(scores.get(area, 0.0))
    return 0.0


__all__ = ["golden_set"]
