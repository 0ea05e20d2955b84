"""Live enforcement quality: facts about decisions and the humans who judged them, aggregated
per rule and rule version, policy area, region and pack, by day of event time.

The content stage joins reviews and appeals to the decisions they judge (signals.qualityjoin)
and sends facts; the quality family folds them into one `QualityState` per key. A state keeps
at most WINDOW_DAYS daily buckets of counters and two latency histograms, all sums, so the
figures of any set of days, keys or workers add up, in any order of arrival: replay and the
worker reach the same state from the same facts. The 1, 7 and 28 day figures a report
prints are sums of buckets (signals.qualityreport).
"""

import math
from collections.abc import Callable, Mapping
from typing import NamedTuple

from schemas.quality import EnforcementQuality, QualityDay
from signals import records
from signals.eventtime import DAY, format_ts
from signals.sweeping import EXPIRED, KEEP

WINDOW_DAYS = 28  # daily buckets a key keeps, back from its newest
TTL = (WINDOW_DAYS + 1) * DAY  # a key with no fact for this long is dropped
NONE = "-"  # the rule of area-level facts (reports), the region or pack not known

# the daily counters, in their stored order (a new one goes at the end, in a new version)
COUNTERS = (
    "actions",  # automatic enforcement actions
    "routed",  # items routed to human review or escalated
    "shadow",  # decisions a shadow rule would have made
    "judged",  # judgements of decisions: reviews and appeals after them
    "upheld",  # of those, confirming the decision
    "reviews",  # reviews judging the key's decisions
    "reviews_violating",  # of those, finding the content violating
    "appeals",
    "appeals_overturned",
    "agree_vv",  # a second review against the first on one item: violating / violating
    "agree_vn",
    "agree_nv",
    "agree_nn",
    "reports",  # user reports (area-level keys)
    "reported",  # contents reported in the area, first report of each
    "reported_actioned",  # of those, actioned in the area
    # encoding 2: QA samples of the key's actions (signals.qasample), and their reviews
    "sampled",
    "sample_judged",
    "sample_upheld",
)
_INDEX = {name: i for i, name in enumerate(COUNTERS)}
# latency histograms: log-spaced buckets, each GAMMA times the one below (5% wide), by seconds
GAMMA = 1.05
_LOG_GAMMA = math.log(GAMMA)


class QualityFact(NamedTuple):
    """One thing that happened to a key's figures.

    kind decided: `a` the decision's kind (action, escalation, shadow), `ms` time to action
    (first evidence to decision; -1 unknown). review / appeal: a judgement of the decision,
    `b` its verdict (upheld, overturned), `ms` time from decision to it. agree: two reviews
    of one video judging the decision, `a` the earlier's verdict, `b` the later's. report, reported:
    area-level (rule NONE); reported's `a` is "actioned" when the video was already actioned
    in the area. reported_actioned: an action on a video reported in its area.
    """

    id: str  # deterministic: the ledger drops a fact that went out before a crash
    kind: str
    rule: str
    version: int
    area: str
    region: str
    pack: str
    ts: int
    a: str = ""
    b: str = ""
    ms: int = -1

    @property
    def table_key(self) -> str:
        """The quality family's key: every fact of one key goes to one partition."""
        return key_of(self.rule, self.version, self.area, self.region, self.pack)

    def fields(self) -> records.QualityFields:
        return (
            self.id,
            self.kind,
            self.rule,
            self.version,
            self.area,
            self.region,
            self.pack,
            self.ts,
            self.a,
            self.b,
            self.ms,
        )


def key_of(rule: str, version: int, area: str, region: str, pack: str) -> str:
    return "\x1f".join((rule, str(version), area, region, pack))


def bucket(ms: int) -> int:
    """The histogram bucket of a latency: b such that GAMMA**(b-1) < seconds <= GAMMA**b."""
    return math.ceil(math.log(max(ms, 1) / 1000) / _LOG_GAMMA)


def bucket_value(b: int) -> float:
    """A bucket's upper edge, in seconds (the value its quantiles report)."""
    return GAMMA**b


def quantile(hist: Mapping[int, int], q: float) -> float | None:
    """The q-quantile of a histogram in seconds (within 5%), None when empty."""
    n = sum(hist.values())
    if not n:
        return None
    rank = q * (n - 1)
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen > rank:
            return bucket_value(b)
    return bucket_value(max(hist))


class Day:
    """One day's figures of a key."""

    __slots__ = ("counts", "to_action", "to_review")

    def __init__(self) -> None:
        self.counts = [0] * len(COUNTERS)
        self.to_action: dict[int, int] = {}
        self.to_review: dict[int, int] = {}

    def add(self, name: str, n: int = 1) -> None:
        self.counts[_INDEX[name]] += n

    def get(self, name: str) -> int:
        return self.counts[_INDEX[name]]


class QualityState:
    """The figures of one (rule, version, area, region, pack) by day of event time."""

    __slots__ = ("area", "days", "offsets", "pack", "region", "rule", "version", "wm")

    def __init__(self, rule: str, version: int, area: str, region: str, pack: str) -> None:
        self.rule, self.version, self.area, self.region, self.pack = (
            rule,
            version,
            area,
            region,
            pack,
        )
        self.days: dict[int, Day] = {}  # day number (epoch day) -> figures
        self.wm = 0  # newest fact time
        # Kafka partition -> newest offset applied: a redelivered record changes nothing
        self.offsets: dict[int, int] = {}

    @classmethod
    def for_fact(cls, fact: QualityFact) -> "QualityState":
        return cls(fact.rule, fact.version, fact.area, fact.region, fact.pack)

    @property
    def table_key(self) -> str:
        return key_of(self.rule, self.version, self.area, self.region, self.pack)

    def seen(self, partition: int, offset: int) -> bool:
        """Whether a record at this offset was applied already; notes it otherwise."""
        if offset <= self.offsets.get(partition, -1):
            return True
        self.offsets[partition] = offset
        return False

    def apply(self, f: QualityFact) -> bool:
        """Fold one fact; False when its day is already out of the window."""
        day_no = f.ts // DAY
        if f.ts > self.wm:
            self.wm = f.ts
            oldest = self.wm // DAY - WINDOW_DAYS + 1
            for d in [d for d in self.days if d < oldest]:
                del self.days[d]
        if day_no <= self.wm // DAY - WINDOW_DAYS:
            return False
        day = self.days.get(day_no)
        if day is None:
            day = self.days[day_no] = Day()
        _FOLD[f.kind](day, f)
        return True

    def expired(self, now: int) -> bool:
        return now - self.wm > TTL

    @staticmethod
    def triage(data: bytes, now: int) -> int:
        """The sweep's verdict on a stored state: EXPIRED past its TTL, else KEEP (quality
        keys are few, so decoding each is cheap)."""
        return EXPIRED if now - records.quality(data).wm > TTL else KEEP

    def encode(self) -> bytes:
        return records.encode(
            records.QualityV2(
                self.rule,
                self.version,
                self.area,
                self.region,
                self.pack,
                self.wm,
                self.offsets,
                [
                    (d, day.counts, _flat(day.to_action), _flat(day.to_review))
                    for d, day in sorted(self.days.items())
                ],
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> "QualityState":
        r = records.quality(data)
        s = cls(r.rule, r.version, r.area, r.region, r.pack)
        s.wm = r.wm
        s.offsets = dict(r.offsets)
        for d, counts, to_action, to_review in r.days:
            day = Day()
            day.counts[: len(counts)] = counts
            day.to_action, day.to_review = _unflat(to_action), _unflat(to_review)
            s.days[d] = day
        return s

    def record(self) -> EnforcementQuality:
        """The key's figures as published on `enforcement-quality` (schemas.quality)."""
        return EnforcementQuality(
            key=self.table_key,
            rule=self.rule,
            rule_version=self.version,
            policy_area=self.area,
            region=self.region,
            pack_hash=self.pack,
            as_of=format_ts(self.wm),
            days=[
                QualityDay(
                    day=format_ts(d * DAY)[:10],
                    counts=dict(zip(COUNTERS, day.counts, strict=True)),
                    to_action={str(b): n for b, n in sorted(day.to_action.items())},
                    to_review={str(b): n for b, n in sorted(day.to_review.items())},
                )
                for d, day in sorted(self.days.items())
            ],
            histogram_gamma=GAMMA,
        )


def _flat(hist: dict[int, int]) -> list[int]:
    return [x for b in sorted(hist) for x in (b, hist[b])]


def _unflat(flat: list[int]) -> dict[int, int]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _count(day: Day, name: str, also: str | None, hist: dict[int, int] | None, ms: int) -> None:
    """One more `name`, one more `also` if given, and the latency in `hist` if known."""
    day.add(name)
    if also is not None:
        day.add(also)
    if hist is not None and ms >= 0:
        b = bucket(ms)
        hist[b] = hist.get(b, 0) + 1


def _decided(day: Day, f: QualityFact) -> None:
    name = {"action": "actions", "escalation": "routed"}.get(f.a, "shadow")
    _count(day, name, None, None if name == "shadow" else day.to_action, f.ms)


def _review(day: Day, f: QualityFact) -> None:
    _count(day, "judged", "upheld" if f.b == "upheld" else None, day.to_review, f.ms)
    _count(day, "reviews", "reviews_violating" if f.b == "upheld" else None, None, -1)


def _appeal(day: Day, f: QualityFact) -> None:
    _count(day, "judged", "upheld" if f.b == "upheld" else None, day.to_review, f.ms)
    _count(day, "appeals", "appeals_overturned" if f.b == "overturned" else None, None, -1)


def _qa(day: Day, f: QualityFact) -> None:
    """A QA review of a sampled action: a review like any other, and a sample judged."""
    _review(day, f)
    _count(day, "sample_judged", "sample_upheld" if f.b == "upheld" else None, None, -1)


def _sampled(day: Day, f: QualityFact) -> None:
    day.add("sampled")


def _agree(day: Day, f: QualityFact) -> None:
    day.add("agree_" + ("v" if f.a == "upheld" else "n") + ("v" if f.b == "upheld" else "n"))


def _reported(day: Day, f: QualityFact) -> None:
    day.add("reported")
    if f.a == "actioned":
        day.add("reported_actioned")


def _report(day: Day, f: QualityFact) -> None:
    day.add("reports")


def _reported_actioned(day: Day, f: QualityFact) -> None:
    day.add("reported_actioned")


_FOLD: dict[str, Callable[[Day, QualityFact], None]] = {
    "decided": _decided,
    "review": _review,
    "appeal": _appeal,
    "qa": _qa,
    "sampled": _sampled,
    "agree": _agree,
    "report": _report,
    "reported": _reported,
    "reported_actioned": _reported_actioned,
}
KINDS = frozenset(_FOLD)


__all__ = [
    "COUNTERS",
    "KINDS",
    "NONE",
    "WINDOW_DAYS",
    "Day",
    "QualityFact",
    "QualityState",
    "bucket",
    "key_of",
    "quantile",
]
