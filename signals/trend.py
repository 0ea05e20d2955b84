"""Per-trend-key state and the first trend detector: counts against an event-time baseline.

A trend key is a hashtag or an audio id. Each key keeps minute buckets for the last hour, an
exponentially weighted baseline of its 5-minute counts, the distinct creators behind it (so one
account cannot fake a trend), and the state of its current incident.
"""

import math
from dataclasses import dataclass
from typing import Any

import orjson

from signals import windows as w
from signals.eventtime import HOUR, MINUTE

CREATOR_CAP = 64
SAMPLE_CAP = 16  # newest content ids: alert samples, and the redelivery guard
TTL = 7 * 24 * HOUR
_ENCODING = 1

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class TrendConfig:
    """Detector parameters; the defaults need no per-key tuning."""

    period: int = 5 * MINUTE  # the window observed counts are read over
    alpha: float = 0.05  # EWMA weight of each closed period in the baseline
    prior: float = 1.0  # expected count per period for a key with little history
    min_count: int = 10  # never alert below this many events in the period
    min_creators: int = 5  # ... nor with fewer distinct creators behind them
    min_ratio: float = 3.0  # observed / expected needed to alert (practical significance)
    min_surprise: float = 6.0  # -log10 Poisson tail probability needed (significance)
    cooldown: int = HOUR  # one incident pages once; re-fires only after this


class TrendFact:
    """One upload seen under a trend key, forwarded by the content stage."""

    __slots__ = ("content_id", "creator_id", "event_id", "key", "kind", "region", "ts")

    def __init__(
        self, kind: str, key: str, ts: int, creator_id: str, content_id: str, event_id: str,
        region: str,
    ) -> None:
        self.kind = kind  # hashtag | audio
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

    def encode(self) -> bytes:
        """Serialize for the trend re-keying topic."""
        return orjson.dumps(
            [self.kind, self.key, self.ts, self.creator_id, self.content_id, self.event_id,
             self.region]
        )

    @classmethod
    def decode(cls, data: bytes) -> "TrendFact":
        """Inverse of encode."""
        return cls(*orjson.loads(data))


class TrendState:
    """What vigil remembers about one trend key."""

    __slots__ = (
        "acted",
        "base",
        "base_n",
        "ccount",
        "creators",
        "cur_count",
        "cur_period",
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
        self.kind = ""  # hashtag | audio
        self.key = ""  # the hashtag or sound id
        self.fired: dict[str, int] = {}  # trend rules: rule key -> window start
        self.acted = 0  # trend rules only route to humans; kept for the shared decision path
        self.recent: list[str] = []  # newest upload event ids, the source of trend decisions
        self.total = 0
        self.minutes: w.Buckets = {}
        self.base = 0.0
        self.base_n = 0  # closed periods folded into base
        self.cur_period = -1
        self.cur_count = 0
        self.creators: dict[str, int] = {}
        self.ccount: dict[str, int] = {}
        self.samples: list[str] = []
        # [incident_id, severity index, fired at, incident start] while an incident is open
        self.incident: list[Any] | None = None

    def encode(self) -> bytes:
        """Serialize compactly for a table value / changelog record."""
        return orjson.dumps(
            [_ENCODING, self.wm, self.first_seen, self.total, w.flatten(self.minutes),
             self.base, self.base_n, self.cur_period, self.cur_count, self.creators,
             self.ccount, self.samples, self.incident, self.kind, self.key, self.fired,
             self.recent]
        )

    @classmethod
    def decode(cls, data: bytes) -> "TrendState":
        """Inverse of encode."""
        f: list[Any] = orjson.loads(data)
        s = cls()
        (_, s.wm, s.first_seen, s.total, minutes, s.base, s.base_n, s.cur_period, s.cur_count,
         s.creators, s.ccount, s.samples, s.incident, s.kind, s.key, s.fired, s.recent) = f
        s.minutes = w.unflatten(minutes)
        return s

    def expired(self, now: int) -> bool:
        """True when the newest fact is more than TTL before now."""
        return self.wm > 0 and now - self.wm > TTL


class Reading:
    """The detector's view of a key after one fact.

    The cheap tests (count, ratio) run first; surprise and distinct creators are computed only
    for keys that pass them, which is almost none.
    """

    __slots__ = ("distinct", "expected", "observed", "ratio", "score", "severity", "surprise")

    def __init__(self, state: "TrendState", observed: int, expected: float,
                 cfg: TrendConfig) -> None:
        self.observed = observed
        self.expected = expected
        self.ratio = observed / expected
        self.surprise = 0.0
        self.distinct = 0
        if observed >= cfg.min_count and self.ratio >= cfg.min_ratio:
            self.surprise = poisson_surprise(observed, expected)
            self.distinct = w.distinct_since(state.creators, state.wm - cfg.period)
        # [0, 1]: 0.5 at the alert threshold, 1.0 at twice its surprise
        self.score = min(1.0, self.surprise / (2 * cfg.min_surprise))
        self.severity = min(3, max(0, int(math.log2(max(self.ratio / cfg.min_ratio, 1.0)))))

    def alerting(self, cfg: TrendConfig) -> bool:
        """True when this reading is a trend worth paging on."""
        return (
            self.observed >= cfg.min_count
            and self.ratio >= cfg.min_ratio
            and self.distinct >= cfg.min_creators
            and self.surprise >= cfg.min_surprise
        )


def poisson_surprise(k: int, mu: float) -> float:
    """-log10 P(X >= k) for X ~ Poisson(mu): how unlikely a count this high is by chance."""
    if k <= mu:
        return 0.0
    # sum the tail in log space from k upward; terms shrink fast once past mu
    log_term = k * math.log(mu) - mu - math.lgamma(k + 1)
    total = 0.0
    term = 1.0
    i = k
    while term > 1e-12 and i < k + 1000:
        total += term
        i += 1
        term *= mu / i
    return max(0.0, -(log_term + math.log(total)) / math.log(10))


def apply(state: TrendState, fact: TrendFact, cfg: TrendConfig, lateness: int) -> Reading | None:
    """Fold one fact into the key's state and return the detector's reading.

    None when the fact was already applied (a redelivered upload under the same key).
    """
    if fact.content_id in state.samples:
        return None
    ts = fact.ts
    if not state.first_seen or ts < state.first_seen:
        state.first_seen = ts
    state.kind, state.key = fact.kind, fact.key
    state.recent.append(fact.event_id)
    if len(state.recent) > 8:
        del state.recent[0]
    if ts > state.wm:
        state.wm = ts
    period = ts // cfg.period
    if state.cur_period < 0:
        state.cur_period = period
    elif period > state.cur_period:
        _close_periods(state, period, cfg)
    if period == state.cur_period:
        state.cur_count += 1
    state.total += 1
    if ts >= state.wm - lateness:
        w.add(state.minutes, ts, MINUTE)
    w.touch_recent(state.creators, fact.creator_id, ts, CREATOR_CAP)
    state.ccount[fact.creator_id] = state.ccount.get(fact.creator_id, 0) + 1
    if len(state.ccount) > CREATOR_CAP + CREATOR_CAP // 4:
        for k in sorted(state.ccount, key=state.ccount.__getitem__)[: -CREATOR_CAP]:
            del state.ccount[k]
    state.samples.append(fact.content_id)
    if len(state.samples) > SAMPLE_CAP:
        del state.samples[0]
    w.prune(state.minutes, state.wm, HOUR, MINUTE)
    return read(state, cfg)


def read(state: TrendState, cfg: TrendConfig) -> Reading:
    """The current reading, relative to the key's watermark."""
    now = state.wm
    observed = w.window_sum(state.minutes, now, cfg.period, MINUTE)
    # Until a key has an hour of closed periods its baseline is its own mean rate since first
    # seen: a key that was already busy when vigil started watching is not a new trend.
    warm = min(1.0, state.base_n / 12)
    own_rate = state.total / max(1.0, (now - state.first_seen) / cfg.period)
    cold = max(cfg.prior, own_rate)
    expected = max(cfg.prior, warm * state.base + (1 - warm) * cold)
    return Reading(state, observed, expected, cfg)


def _close_periods(state: TrendState, period: int, cfg: TrendConfig) -> None:
    """Fold the finished period, and any empty ones after it, into the baseline."""
    a = cfg.alpha
    # winsorize: a spike must not teach the baseline that spikes are normal
    if state.base_n:
        count = min(float(state.cur_count), max(state.base, cfg.prior) * cfg.min_ratio)
        state.base = (1 - a) * state.base + a * count
    else:
        state.base = float(state.cur_count)
    gap = min(period - state.cur_period - 1, 10_000)
    state.base *= (1 - a) ** gap
    state.base_n += 1 + gap
    state.cur_period = period
    state.cur_count = 0


def top_creators(state: TrendState, n: int = 5) -> list[str]:
    """The creators with the most uploads under this key."""
    return sorted(state.ccount, key=lambda c: (-state.ccount[c], c))[:n]


DEFAULT = TrendConfig()


def observed(state: TrendState) -> int:
    """Uploads under the key in the last detector period (5 minutes by default)."""
    return w.window_sum(state.minutes, state.wm, DEFAULT.period, MINUTE)


def creators_recent(state: TrendState) -> int:
    """Distinct creators under the key in the last detector period."""
    return w.distinct_since(state.creators, state.wm - DEFAULT.period)
