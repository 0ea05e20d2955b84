"""Per-trend-key state: counts, creators and the detector's baseline for one hashtag or sound.

Every upload counts under its hashtags and sound, but one creator adds at most `per_creator`
events to a period: volume from one account is not spread. Each key keeps minute buckets for
the last hour (its observed count over the detector period, sliding), the distinct creators
behind it (so one account cannot fake a trend), and a `signals.detect.Detector` over its
closed periods (the same detector `vigil detect` runs on a CSV). On each fact the current,
still-open period is judged against the detector's expectation.
"""

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from signals import records
from signals import windows as w
from signals.budget import PageBudget
from signals.detect import SPIKE, Detector, DetectorConfig, migrated_detector
from signals.eventtime import HOUR, MINUTE
from signals.sweeping import DECODE

CREATOR_CAP = 64
SAMPLE_CAP = 16  # newest content ids: alert samples, and the redelivery guard
TTL = 7 * 24 * HOUR
# the most facts a key holds waiting for the clocks (about 100 bytes each): past it the
# oldest is applied without them, so that the state stays well inside a changelog record
WAIT_CAP = 2048

SEVERITIES = ("low", "medium", "high", "critical")
NEW_KEY = HOUR  # a key first seen this recently that spikes is a new key, not a spike
RECENT = HOUR  # the minute counts an alert carries (enough to draw a sparkline)
SEVERITY_STEP = 3.0  # low below 6x the expected count, then one step per doubling
RESOLVE_BELOW = 1.5  # an open incident resolves when its count falls below this multiple


@dataclass(frozen=True)
class TrendConfig:
    """Stream trend parameters; the defaults need no per-key tuning."""

    period: int = 5 * MINUTE  # the detector's bucket: observed counts are read over it
    min_creators: int = 5  # never alert with fewer distinct creators behind the count
    per_creator: int = 3  # events one creator adds to a period's count: volume is not spread
    cooldown: int = HOUR  # one incident pages once; re-fires only after this
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    silent_steps: int = 2  # silent periods learned one by one; longer gaps decay at once
    grace: int = 2 * MINUTE  # a period closes this long after its end, by the key's clock
    false_pages_per_day: float = 2.0  # across every key: the page budget (signals.budget)


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
        "cur_period",
        "det",
        "fired",
        "first_seen",
        "incident",
        "judged",
        "key",
        "kind",
        "minutes",
        "pending",
        "recent",
        "samples",
        "total",
        "waiting",
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
        self.cur_period = -1  # the oldest period not yet fed to the detector
        # periods not yet closed: period -> [count, events per creator], each creator capped
        # at per_creator; a period closes once the key's clock is `grace` past its end
        self.pending: dict[int, tuple[int, dict[str, int]]] = {}
        self.creators: dict[str, int] = {}
        self.ccount: dict[str, int] = {}
        self.samples: list[str] = []
        self.incident: Incident | None = None  # the key's newest incident
        self.judged = -1  # the newest period counted in the page budget
        # facts waiting for the content partitions' clocks, in (event time, event id) order:
        # applied once the clocks pass them, so the key sees its facts in event-time order
        # however the partitions drain (release)
        self.waiting: list[TrendFact] = []

    def encode(self) -> bytes:
        """Serialize compactly for a table value / changelog record (signals.records)."""
        return records.encode(
            records.TrendV3(
                self.wm,
                self.first_seen,
                self.total,
                w.flatten(self.minutes),
                self.det.to_record() if self.det else None,
                self.cur_period,
                [(p, c, who) for p, (c, who) in sorted(self.pending.items())],
                self.creators,
                self.ccount,
                self.samples,
                self.incident.to_record() if self.incident else None,
                self.kind,
                self.key,
                self.fired,
                self.recent,
                self.judged,
                [cast(records.TrendFields, tuple(f.fields())) for f in self.waiting],
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> "TrendState":
        """Inverse of encode."""
        r = records.trend(data)
        s = cls()
        s.wm, s.first_seen, s.total = r.wm, r.first_seen, r.total
        s.minutes = w.unflatten(r.minutes)
        if isinstance(r, records.TrendV2):
            s.det = Detector.from_record(r.det) if r.det else None
        else:  # a detector of before the tails were learned: its baseline carries over
            s.det = migrated_detector(r.det) if r.det else None
        s.cur_period = r.cur_period
        if isinstance(r, records.TrendV2):
            s.pending = {p: (c, who) for p, c, who in r.pending}
        elif r.cur_period >= 0:  # the one open period of encoding 1
            s.pending = {r.cur_period: (r.cur_count, r.cur_creators)}
        s.creators, s.ccount, s.samples = r.creators, r.ccount, r.samples
        s.incident = Incident.from_record(r.incident)
        s.kind, s.key, s.fired, s.recent = r.kind, r.key, r.fired, r.recent
        if isinstance(r, records.TrendV2):
            s.judged = r.judged
        if isinstance(r, records.TrendV3):
            s.waiting = [TrendFact(*f) for f in r.waiting]
        return s

    @property
    def table_key(self) -> str:
        """The key trend state is partitioned by (as TrendFact.table_key)."""
        return f"{self.kind}:{self.key}"

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
        """True when the newest fact is more than TTL before now (and none waits)."""
        return self.wm > 0 and now - self.wm > TTL and not self.waiting


class Reading:
    """The detector's view of a key after one fact, or after its clock closed periods.

    The cheap test (count) runs first; the detector's tail test and the distinct creators are
    computed only for keys that pass it, which is almost none.
    """

    __slots__ = (
        "alert",
        "band",
        "distinct",
        "earlier",
        "expected",
        "observed",
        "period",
        "ratio",
        "score",
        "severity",
        "why",
    )

    def __init__(
        self,
        state: "TrendState",
        cfg: TrendConfig,
        budget: PageBudget | None = None,
        opened: "Opened | None" = None,
    ) -> None:
        det = state.detector(cfg)
        now = state.wm
        # a period that opened an incident as it closed is read as it closed: the key's own
        # clock may have run on while earlier facts could still come
        self.observed = (
            w.window_sum(state.minutes, now, cfg.period, MINUTE)
            if opened is None
            else opened.events
        )
        self.expected = det.expected(now, cfg.detector)
        self.ratio = self.observed / self.expected
        self.score, self.alert, self.distinct = 0.0, False, 0
        self.earlier: list[Opened] = []  # periods that opened an incident before `opened`
        self.band, self.why = 0.0, ""
        limit = None
        # an open incident stays open on the sliding count. A new one opens on the open
        # period's own count, and only once every earlier period has closed: until the next
        # close the detector does not change and the count only grows, so the period opens
        # an incident while it is open exactly when its closed count would, whatever order
        # its facts came in (replay and Kafka agree). `opened`: a period that opened one as
        # it closed, ramps included
        period = now // cfg.period
        self.period = period if opened is None else opened.period
        if det.open:
            count, floor = self.observed, 1.0
        else:
            count, floor = state.pending.get(period, (0, {}))[0], cfg.detector.min_ratio
        if (
            (det.open or state.cur_period == period)
            and count >= cfg.detector.min_count
            and count >= floor * self.expected
        ):
            if not det.open and budget is not None:
                limit = _judged(state, period, cfg, budget)
            self.score, self.alert = det.judge(now, count, cfg.detector, limit)
        self.alert = self.alert or opened is not None
        if self.alert:
            self.distinct = (
                w.distinct_since(state.creators, now - cfg.period)
                if opened is None
                else opened.distinct
            )
            # the evidence on the page: the top of the expected band, and why it fired
            self.band = det.band_top(now, limit, cfg.detector)
            new = now - state.first_seen < NEW_KEY and det.why == SPIKE
            self.why = "new_key" if new else det.why
        ratio = max(self.ratio / SEVERITY_STEP, 1.0)
        self.severity = min(3, max(0, int(math.log2(ratio))))

    def alerting(self, cfg: TrendConfig) -> bool:
        """True when this reading is a trend worth paging on."""
        return self.alert and self.distinct >= cfg.min_creators


def offer(state: TrendState, fact: TrendFact) -> bool:
    """Queue a fact to wait for the clocks, in (event time, event id) order. False for one the
    key applied or queued already (a redelivered upload under the same key)."""
    if fact.ts <= state.wm and fact.event_id in state.recent:
        return False
    at, waiting = (fact.ts, fact.event_id), state.waiting
    i = bisect_left(waiting, at, key=_order)  # a redelivered one sits where it would go
    if i < len(waiting) and _order(waiting[i]) == at:
        return False
    state.kind, state.key = fact.kind, fact.key
    waiting.insert(i, fact)
    return True


def _order(f: TrendFact) -> tuple[int, str]:
    return f.ts, f.event_id


def release(
    state: TrendState,
    cfg: TrendConfig,
    lateness: int,
    budget: PageBudget | None = None,
    settled: int | None = None,
) -> list[tuple[TrendFact, Reading]]:
    """Apply the waiting facts the clocks passed, oldest first, each with the reading as of it:
    those at or before `settled` (the time before which no more facts will come for any key,
    signals.facts; None: every one, the input ended), and the oldest past WAIT_CAP.

    A key applies its facts in event-time order, as replay reads the day, however the content
    partitions drain on Kafka: the detector's open-period readings, the periods it closes and
    the trend rules see the same facts in the same order on both (a backlog drains partitions
    hours apart, and a reading taken with a lagging partition's facts still to come would fire,
    or not, where replay does not)."""
    waiting, n = state.waiting, 0
    while n < len(waiting) and (
        settled is None or waiting[n].ts <= settled or len(waiting) - n > WAIT_CAP
    ):
        n += 1
    if not n:
        return []
    state.waiting = waiting[n:]
    out = []
    for fact in waiting[:n]:
        r = apply(state, fact, cfg, lateness, budget)
        if r is not None:
            out.append((fact, r))
    return out


def apply(
    state: TrendState,
    fact: TrendFact,
    cfg: TrendConfig,
    lateness: int,
    budget: PageBudget | None = None,
) -> Reading | None:
    """Fold one fact into the key's state and return the detector's reading; `budget` is the
    page budget across keys (None: the key's own only). The facts come in event-time order
    (release): a period closes once the key's clock is `grace` past its end.

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
    opened = _close_periods(state, cfg, state.wm, budget)
    capped = False
    if period >= state.cur_period:  # a fact of a closed period only adds to minutes
        count, who = state.pending.get(period, (0, {}))
        seen = who.get(fact.creator_id, 0) + 1
        who[fact.creator_id] = seen
        capped = seen > cfg.per_creator
        state.pending[period] = (count if capped else count + 1, who)
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
    r = Reading(state, cfg, budget, opened[-1] if opened else None)
    r.earlier = opened[:-1]
    return r


def settle(
    state: TrendState, cfg: TrendConfig, now: int, budget: PageBudget | None = None
) -> tuple[bool, list["Opened"]]:
    """Close the periods a watermark `now` (no more facts before it) is `grace` past: those
    of a key with no newer fact of its own, so that a burst that ends inside the grace is
    still judged, and those its own facts ran past while earlier facts could still come.
    Returns (any closed, the periods that opened an incident as they closed)."""
    before = state.cur_period
    if before < 0:
        return False, []
    opened = _close_periods(state, cfg, now, budget)
    return state.cur_period != before, opened


def closed_at(period: int, cfg: TrendConfig) -> int:
    """The event time a period closes at: `grace` after its end."""
    return (period + 1) * cfg.period + cfg.grace


def _judged(state: TrendState, period: int, cfg: TrendConfig, budget: PageBudget) -> float:
    """Count a period the detector judges in the page budget (once), and return the tail
    probability the budget lets it page at."""
    start = period * cfg.period
    if state.judged < period:
        state.judged = period
        budget.judged(start)
    return budget.limit(start, 1.0)


class Opened(NamedTuple):
    """A period that opened an incident as it closed: its count and distinct creators."""

    period: int
    events: int
    distinct: int


def _close_periods(
    state: TrendState, cfg: TrendConfig, clock: int, budget: PageBudget | None
) -> list[Opened]:
    """Feed the detector every period `clock` is `grace` past the end of, in order, and the
    silent ones between them. Closing on event time with a grace, not on the first fact of a
    later period, makes what the detector learns independent of how the content partitions'
    facts interleave on their way to the key (replay and Kafka agree). Returns the periods
    that opened an incident as they closed, oldest first."""
    closable = (clock - cfg.grace) // cfg.period  # periods before this one may close
    q = state.cur_period
    if q >= closable:
        return []
    det = state.detector(cfg)
    opened: list[Opened] = []
    while q < closable:
        if q in state.pending:
            count, who = state.pending.pop(q)
            limit = None
            if (
                budget is not None
                and not det.open
                and det.judged(q * cfg.period, count, cfg.detector)
            ):
                limit = _judged(state, q, cfg, budget)
            if det.step(q * cfg.period, count, cfg.detector, limit)[1]:
                opened.append(Opened(q, count, len(who)))
            q += 1
            continue
        following = [p for p in state.pending if p > q]
        upto = min([*following, closable])
        gap = upto - q
        for p in range(q, q + min(gap, cfg.silent_steps)):
            det.step(p * cfg.period, 0, cfg.detector)
        if gap > cfg.silent_steps:
            det.skip(gap - cfg.silent_steps, cfg.detector)
        q = upto
    state.cur_period = q
    return opened


def top_creators(state: TrendState, n: int = 5) -> list[str]:
    """The creators with the most uploads under this key."""
    return sorted(state.ccount, key=lambda c: (-state.ccount[c], c))[:n]


DEFAULT = TrendConfig()


def recent(state: TrendState, now: int) -> list[int]:
    """Uploads under the key per minute over the last RECENT, oldest first, to now."""
    return w.series(state.minutes, now, RECENT, MINUTE)


def observed(state: TrendState) -> int:
    """Uploads under the key in the last detector period (5 minutes by default)."""
    return w.window_sum(state.minutes, state.wm, DEFAULT.period, MINUTE)


def expected(state: TrendState) -> float:
    """The detector's expected count for the open period (no tail test: cheap)."""
    return state.detector(DEFAULT).expected(state.wm, DEFAULT.detector)


def creators_recent(state: TrendState) -> int:
    """Distinct creators under the key in the last detector period."""
    return w.distinct_since(state.creators, state.wm - DEFAULT.period)
