"""Per-trend-key state: counts, creators and the detector's baseline for one hashtag or sound.

Every upload counts under its hashtags and sound, but one creator adds at most `per_creator`
events to a period: volume from one account is not spread. Each key keeps minute buckets for
the last hour (its observed count over the detector period, sliding), the distinct creators
behind it (so one account cannot fake a trend), and a `signals.detect.Detector` over its
closed periods (the same detector `vigil detect` runs on a CSV). On each fact the current,
still-open period is judged against the detector's expectation.
"""

import math
from dataclasses import dataclass, field
from typing import Any

from signals import records
from signals import windows as w
from signals.detect import Detector, DetectorConfig
from signals.eventtime import HOUR, MINUTE
from signals.sweeping import DECODE

CREATOR_CAP = 64
SAMPLE_CAP = 16  # newest content ids: alert samples, and the redelivery guard
TTL = 7 * 24 * HOUR

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class TrendConfig:
    """Stream trend parameters; the defaults need no per-key tuning."""

    period: int = 5 * MINUTE  # the detector's bucket: observed counts are read over it
    min_creators: int = 5  # never alert with fewer distinct creators behind the count
    per_creator: int = 3  # events one creator adds to a period's count: volume is not spread
    cooldown: int = HOUR  # one incident pages once; re-fires only after this
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    silent_steps: int = 2  # silent periods learned one by one; longer gaps decay at once


class TrendFact:
    """One upload seen under a trend key, forwarded by the content stage."""

    __slots__ = ("content_id", "creator_id", "event_id", "key", "kind", "region", "ts")

    def __init__(
        self,
        kind: str,
        key: str,
        ts: int,
        creator_id: str,
        content_id: str,
        event_id: str,
        region: str,
    ) -> None:
        self.kind = kind  # hashtag | audio | caption | area_region
        self.key = key
        self.ts = ts
        self.creator_id = creator_id
        self.content_id = content_id
        self.event_id = event_id
        self.region = region

    @property
    def table_key(self) -> str:
        """The key trend state is partitioned by."""
        return f"{self.kind}:{self.key}"

    def fields(self) -> list[Any]:
        """The fact as it travels on the trend re-keying topic (`signals.facts`)."""
        return [
            self.kind,
            self.key,
            self.ts,
            self.creator_id,
            self.content_id,
            self.event_id,
            self.region,
        ]


class Incident:
    """A trend key's newest incident, kept once resolved (`open` False) so that it re-fires
    only after the cool-down. Stored in the key's state as a records.IncidentV1."""

    __slots__ = ("fired_at", "id", "open", "severity")

    def __init__(self, id: str, severity: int, fired_at: int, open: bool = True) -> None:
        self.id = id
        self.severity = severity  # an index into SEVERITIES
        self.fired_at = fired_at  # event time it fired (the cool-down counts from here)
        self.open = open

    def to_record(self) -> records.IncidentV1:
        """Its stored form, inside a trend record (signals.records)."""
        return records.IncidentV1(self.id, self.severity, self.fired_at, self.open)

    @classmethod
    def from_record(cls, r: records.IncidentV1 | None) -> "Incident | None":
        """Inverse of to_record (None: the key never had an incident)."""
        return None if r is None else cls(r.id, r.severity, r.fired_at, r.open)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Incident) and self.to_record() == other.to_record()

    def __repr__(self) -> str:
        return f"Incident{(self.id, self.severity, self.fired_at, self.open)!r}"


class TrendState:
    """What vigil remembers about one trend key."""

    __slots__ = (
        "ccount",
        "creators",
        "cur_count",
        "cur_creators",
        "cur_period",
        "det",
        "fired",
        "first_seen",
        "incident",
        "key",
        "kind",
        "minutes",
        "recent",
        "samples",
        "total",
        "wm",
    )

    def __init__(self) -> None:
        self.wm = 0
        self.first_seen = 0
        self.kind = ""  # hashtag | audio | caption | area_region
        self.key = ""  # the hashtag, sound id, caption fingerprint or "area:region"
        self.fired: dict[str, int] = {}  # trend rules: rule key -> window start
        self.recent: list[str] = []  # newest upload event ids, the source of trend decisions
        self.total = 0
        self.minutes: w.Buckets = {}
        self.det: Detector | None = None  # created with the key's first fact
        self.cur_period = -1
        self.cur_count = 0  # the open period's count, each creator capped at per_creator
        self.cur_creators: dict[str, int] = {}  # the open period's events per creator
        self.creators: dict[str, int] = {}
        self.ccount: dict[str, int] = {}
        self.samples: list[str] = []
        self.incident: Incident | None = None  # the key's newest incident

    def encode(self) -> bytes:
        """Serialize compactly for a table value / changelog record (signals.records)."""
        return records.encode(
            records.TrendV1(
                self.wm,
                self.first_seen,
                self.total,
                w.flatten(self.minutes),
                self.det.to_record() if self.det else None,
                self.cur_period,
                self.cur_count,
                self.cur_creators,
                self.creators,
                self.ccount,
                self.samples,
                self.incident.to_record() if self.incident else None,
                self.kind,
                self.key,
                self.fired,
                self.recent,
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> "TrendState":
        """Inverse of encode."""
        r = records.trend(data)
        s = cls()
        s.wm, s.first_seen, s.total = r.wm, r.first_seen, r.total
        s.minutes = w.unflatten(r.minutes)
        s.det = Detector.from_record(r.det) if r.det else None
        s.cur_period, s.cur_count, s.cur_creators = r.cur_period, r.cur_count, r.cur_creators
        s.creators, s.ccount, s.samples = r.creators, r.ccount, r.samples
        s.incident = Incident.from_record(r.incident)
        s.kind, s.key, s.fired, s.recent = r.kind, r.key, r.fired, r.recent
        return s

    def detector(self, cfg: "TrendConfig") -> Detector:
        """The key's detector over closed periods (created on first use)."""
        if self.det is None:
            self.det = Detector(cfg.period)
        return self.det

    @staticmethod
    def triage(data: bytes, now: int) -> int:
        """The sweep decodes every trend state: only candidates have one (a few thousand), and
        an open incident may need resolving."""
        return DECODE

    def expired(self, now: int) -> bool:
        """True when the newest fact is more than TTL before now."""
        return self.wm > 0 and now - self.wm > TTL


class Reading:
    """The detector's view of a key after one fact.

    The cheap test (count) runs first; the detector's tail test and the distinct creators are
    computed only for keys that pass it, which is almost none.
    """

    __slots__ = ("alert", "distinct", "expected", "observed", "ratio", "score", "severity")

    def __init__(self, state: "TrendState", cfg: TrendConfig) -> None:
        det = state.detector(cfg)
        now = state.wm
        self.observed = w.window_sum(state.minutes, now, cfg.period, MINUTE)
        self.expected = det.expected(now, cfg.detector)
        self.ratio = self.observed / self.expected
        self.score, self.alert, self.distinct = 0.0, False, 0
        # the tail test only where an alert is possible: a spike needs 3x (2x in an open
        # incident), a ramp 1.5x
        floor = min(cfg.detector.ramp_ratio, cfg.detector.min_ratio * 2 / 3)
        if self.observed >= cfg.detector.min_count and self.observed >= floor * self.expected:
            self.score, self.alert = det.judge(now, self.observed, cfg.detector)
            self.distinct = w.distinct_since(state.creators, now - cfg.period)
        ratio = max(self.ratio / cfg.detector.min_ratio, 1.0)
        self.severity = min(3, max(0, int(math.log2(ratio))))

    def alerting(self, cfg: TrendConfig) -> bool:
        """True when this reading is a trend worth paging on."""
        return self.alert and self.distinct >= cfg.min_creators


def apply(state: TrendState, fact: TrendFact, cfg: TrendConfig, lateness: int) -> Reading | None:
    """Fold one fact into the key's state and return the detector's reading.

    None when the fact was already applied (a redelivered upload under the same key).
    """
    ts = fact.ts
    # a redelivered fact: applied before, so no newer than the newest (skips the list scan
    # for facts arriving in time order, nearly all of them)
    if ts <= state.wm and fact.event_id in state.recent:
        return None
    if not state.first_seen or ts < state.first_seen:
        state.first_seen = ts
    state.kind, state.key = fact.kind, fact.key
    state.recent.append(fact.event_id)
    if len(state.recent) > 16:
        del state.recent[0]
    if ts > state.wm:
        state.wm = ts
    period = ts // cfg.period
    if state.cur_period < 0:
        state.cur_period = period
    elif period > state.cur_period:
        _close_periods(state, period, cfg)  # a late fact (older period) only adds to minutes
    capped = False
    if period == state.cur_period:
        seen = state.cur_creators.get(fact.creator_id, 0) + 1
        state.cur_creators[fact.creator_id] = seen
        capped = seen > cfg.per_creator
        if not capped:
            state.cur_count += 1
    state.total += 1
    if ts >= state.wm - lateness and not capped:
        w.add(state.minutes, ts, MINUTE)
    w.touch_recent(state.creators, fact.creator_id, ts, CREATOR_CAP)
    state.ccount[fact.creator_id] = state.ccount.get(fact.creator_id, 0) + 1
    if len(state.ccount) > CREATOR_CAP + CREATOR_CAP // 4:
        for k in sorted(state.ccount, key=state.ccount.__getitem__)[:-CREATOR_CAP]:
            del state.ccount[k]
    if fact.content_id not in state.samples:
        state.samples.append(fact.content_id)
        if len(state.samples) > SAMPLE_CAP:
            del state.samples[0]
    w.prune(state.minutes, state.wm, HOUR, MINUTE)
    return Reading(state, cfg)


def _close_periods(state: TrendState, period: int, cfg: TrendConfig) -> None:
    """Feed the finished period, and the silent ones after it, to the key's detector."""
    det = state.detector(cfg)
    det.step(state.cur_period * cfg.period, state.cur_count, cfg.detector)
    gap = period - state.cur_period - 1
    for p in range(state.cur_period + 1, state.cur_period + 1 + min(gap, cfg.silent_steps)):
        det.step(p * cfg.period, 0, cfg.detector)
    if gap > cfg.silent_steps:
        det.skip(gap - cfg.silent_steps, cfg.detector)
    state.cur_period = period
    state.cur_count = 0
    state.cur_creators = {}


def top_creators(state: TrendState, n: int = 5) -> list[str]:
    """The creators with the most uploads under this key."""
    return sorted(state.ccount, key=lambda c: (-state.ccount[c], c))[:n]


DEFAULT = TrendConfig()


def observed(state: TrendState) -> int:
    """Uploads under the key in the last detector period (5 minutes by default)."""
    return w.window_sum(state.minutes, state.wm, DEFAULT.period, MINUTE)


def expected(state: TrendState) -> float:
    """The detector's expected count for the open period (no tail test: cheap)."""
    return state.detector(DEFAULT).expected(state.wm, DEFAULT.detector)


def creators_recent(state: TrendState) -> int:
    """Distinct creators under the key in the last detector period."""
    return w.distinct_since(state.creators, state.wm - DEFAULT.period)
