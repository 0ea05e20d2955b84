"""The trend detector: is this bucket's count an emerging spike for its series?

Works on one series of (timestamp, count) buckets of any fixed size and returns, per bucket,
an anomaly score in [0, 1] and whether it alerts. The defaults need no per-series tuning:

- **Baseline.** A short exponentially weighted level for a series' recent past, and, once a
  time-of-day slot (an hour, or the bucket if longer) has a full slot of history, that slot's
  own exponentially weighted mean across days, so a daily cycle is expected, not alarming.
- **Over-dispersion.** Counts of real traffic vary more than Poisson. The detector tracks the
  variance of its residuals and tests each count against a negative-binomial tail with that
  variance (Poisson when the series is not over-dispersed).
- **Slow ramps.** A one-sided CUSUM of standardised residuals catches growth too gradual for
  any single bucket to be surprising. It needs the time-of-day baseline (a day of history):
  before that, a slow rise is indistinguishable from the daily rhythm.
- **Cold start.** Expectations never fall below `prior` per bucket, so a key going from
  nothing to hundreds alerts at once. The very first bucket of a series never alerts: with no
  history there is no evidence of change (a busy key vigil just started watching is not new).
- **Winsorized learning.** An alerting bucket teaches the baseline at most `min_ratio` times
  the expectation, and nothing about the spread, so a spike does not become the new normal
  while it lasts. Once a bucket alerts, the next stays alerting at half the surprise and two
  thirds of the ratio (hysteresis), so an incident does not flicker.

A bucket alerts when its count is at least `min_count`, and either it is at least `min_ratio`
times expected with a tail probability below 10^-`min_surprise` (a spike), or it is at least
`ramp_ratio` times expected with the CUSUM past `cusum_h` (a ramp).
"""

import itertools
import math
from dataclasses import dataclass

from signals.eventtime import DAY, HOUR
from signals.records import DetectorV1


@dataclass(frozen=True)
class DetectorConfig:
    """Detector parameters; the defaults work without per-series tuning."""

    level_memory: float = 30.0  # buckets of memory of the recent level (EWMA)
    spread_memory: float = 240.0  # ... of the residual variance: noisy, so remembered longer
    season_weight: float = 0.3  # weight of the newest day in a time-of-day slot's mean
    prior: float = 1.0  # expected count per bucket for a series with no history
    min_count: int = 10  # never alert below this count in a bucket
    min_ratio: float = 3.0  # a spike is at least this multiple of the expected count
    ramp_ratio: float = 1.5  # a ramp is at least this multiple
    min_surprise: float = 7.0  # -log10 of the tail probability needed
    cusum_k: float = 1.0  # slack per bucket, in standard deviations
    cusum_h: float = 10.0  # CUSUM alarm level, in standard deviations
    max_dispersion: float = 4.0  # variance is capped at this multiple of the Poisson variance


DEFAULT = DetectorConfig()
HOT_RATIO = 2 / 3  # an open incident stays open at this share of min_ratio ...
HOT_SURPRISE = 0.5  # ... and of min_surprise: it does not flicker at the threshold
TAIL_TERM_EPSILON = 1e-12  # the negative-binomial tail sum stops at terms this small ...
TAIL_MAX_TERMS = 100_000  # ... or after this many


class Detector:
    """State of the detector for one series. Feed closed buckets to `step`, in time order."""

    __slots__ = (
        "_per",
        "_width",
        "bucket",
        "cusum",
        "hot",
        "level",
        "n",
        "slot_mean",
        "slot_seen",
        "slot_since",
        "var",
    )

    def __init__(self, bucket: int) -> None:
        self.bucket = bucket  # bucket width in ms
        self._width = max(bucket, HOUR)  # a time-of-day slot
        self._per = max(1, self._width // bucket)  # buckets per slot
        self.level = 0.0
        self.var = 1.0  # dispersion index: variance / mean (1 = Poisson)
        self.n = 0  # buckets learned from
        self.cusum = 0.0
        self.hot = False  # the previous bucket alerted: an incident is open
        self.slot_mean: dict[int, float] = {}
        self.slot_seen: dict[int, int] = {}
        self.slot_since: dict[int, int] = {}  # when each slot was first learned (ms)

    # -- encoding (for per-key state in tables) -------------------------------------------
    def to_record(self) -> DetectorV1:
        """Its stored form, inside a trend record (signals.records)."""
        slots = [
            (k, v, self.slot_seen.get(k, 0), self.slot_since.get(k, 0))
            for k, v in self.slot_mean.items()
        ]
        return DetectorV1(self.bucket, self.level, self.var, self.n, self.cusum, self.hot, slots)

    @classmethod
    def from_record(cls, r: DetectorV1) -> "Detector":
        """Inverse of to_record."""
        d = cls(r.bucket)
        d.level, d.var, d.n, d.cusum, d.hot = r.level, r.var, r.n, r.cusum, r.hot
        d.slot_mean = {k: v for k, v, _, _ in r.slots}
        d.slot_seen = {k: s for k, _, s, _ in r.slots}
        d.slot_since = {k: t for k, _, _, t in r.slots}
        return d

    # -- the model -------------------------------------------------------------------------
    def _slot(self, ts: int) -> int | None:
        return None if self._width >= DAY else int((ts % DAY) // self._width)

    def seed_quiet(self, level: float, cfg: DetectorConfig = DEFAULT) -> None:
        """Start from a known quiet past (a key the sketch tier saw staying rare): a warm
        baseline at `level`, so growth from here is judged as growth."""
        self.level = level
        self.n = int(cfg.spread_memory)  # a long, quiet past: growth does not look like noise
        self.var = 1.0

    def skip(self, buckets: int, cfg: DetectorConfig = DEFAULT) -> None:
        """Learn a long run of empty buckets at once (the level decays; no per-bucket work).

        The time-of-day slots are left as they were: a key silent for hours keeps what it
        knew of its busy hours.
        """
        self.level *= (1 - 1.0 / cfg.level_memory) ** buckets
        self.n += buckets
        self.cusum = 0.0
        self.hot = False

    def seasonal(self, ts: int) -> bool:
        """True when the time-of-day slot of ts has a full slot of history from an earlier day
        (today's own hour is not a baseline for today)."""
        return self._season_slot(ts) is not None

    def _season_slot(self, ts: int) -> int | None:
        slot = self._slot(ts)
        if (
            slot is None
            or self.slot_seen.get(slot, 0) < self._per
            or ts - self.slot_since.get(slot, ts) < DAY - self._width
        ):
            return None
        return slot

    def expected(self, ts: int, cfg: DetectorConfig = DEFAULT) -> float:
        """The count this series is expected to have in the bucket at ts."""
        slot = self._season_slot(ts) if self.slot_mean else None
        base = self.slot_mean[slot] if slot is not None else self.level if self.n else cfg.prior
        return base if base > cfg.prior else cfg.prior

    def judge(self, ts: int, count: float, cfg: DetectorConfig = DEFAULT) -> tuple[float, bool]:
        """Score and alert for a count at ts without learning from it (partial buckets)."""
        score, alert, _, _ = self._assess(ts, count, cfg)
        return score, alert

    def step(self, ts: int, count: float, cfg: DetectorConfig = DEFAULT) -> tuple[float, bool]:
        """Score a closed bucket, then learn from it (winsorized if it alerted)."""
        score, alert, z, mu = self._assess(ts, count, cfg)
        self.cusum = 0.0 if alert else max(0.0, self.cusum + z - cfg.cusum_k)
        self.hot = alert
        self._learn(ts, min(count, mu * cfg.min_ratio) if alert else count, cfg, not alert)
        return score, alert

    def _assess(
        self, ts: int, count: float, cfg: DetectorConfig
    ) -> tuple[float, bool, float, float]:
        mu = self.expected(ts, cfg)
        var = self._variance(mu, cfg)
        z = min((count - mu) / math.sqrt(var), 6.0)  # one outlier adds at most 6 sd
        surprise = nb_surprise(int(count), mu, var)
        cusum = (
            max(0.0, self.cusum + z - cfg.cusum_k)
            if self.slot_mean and self._season_slot(ts) is not None
            else 0.0
        )
        # hysteresis: an open incident stays open at a lower ratio and surprise
        relax = (HOT_RATIO, HOT_SURPRISE) if self.hot else (1.0, 1.0)
        spike = count >= cfg.min_ratio * relax[0] * mu and surprise >= cfg.min_surprise * relax[1]
        ramp = count >= cfg.ramp_ratio * mu and cusum >= cfg.cusum_h
        alert = self.n > 0 and count >= cfg.min_count and (spike or ramp)
        score = max(
            min(1.0, surprise / (2 * cfg.min_surprise)), min(1.0, cusum / (2 * cfg.cusum_h))
        )
        return score, alert, z, mu

    def _variance(self, mu: float, cfg: DetectorConfig) -> float:
        if self.n < 5:
            return mu  # too little history to estimate dispersion: Poisson
        # `var` holds the dispersion index (variance / mean): the variance of counts grows with
        # their mean, so one index serves the quiet night and the busy evening alike
        return min(max(self.var, 1.0), cfg.max_dispersion) * mu

    def _learn(self, ts: int, count: float, cfg: DetectorConfig, spread: bool = True) -> None:
        mu = self.expected(ts, cfg)
        a = 1.0 / cfg.level_memory
        if self.n == 0:
            self.level = float(count)
        else:
            self.level += a * (count - self.level)
        resid = (count - mu) ** 2 / mu  # squared Pearson residual
        # an anomaly must not teach the detector that anomalies are noise: neither an alerting
        # bucket nor one more than 4 sd above expectation (the early, quiet part of a take-off
        # is exactly that) teaches the spread
        if spread and not (count > mu and resid > 16.0 * max(self.var, 1.0)):
            b = 1.0 / min(cfg.spread_memory, self.n + 1)  # a plain mean at first
            self.var = resid if self.n == 0 else self.var + b * (resid - self.var)
        self.n += 1
        slot = self._slot(ts)
        if slot is not None:
            w = 1 - (1 - cfg.season_weight) ** (1 / self._per)
            seen = self.slot_seen.get(slot, 0)
            prev = self.slot_mean.get(slot)
            if prev is None:
                self.slot_mean[slot] = float(count)
                self.slot_since[slot] = ts
            elif seen < self._per:  # the first day: a plain mean of the slot
                self.slot_mean[slot] = prev + (count - prev) / (seen + 1)
            else:
                self.slot_mean[slot] = prev + w * (count - prev)
            self.slot_seen[slot] = seen + 1


def nb_surprise(k: int, mu: float, var: float) -> float:
    """-log10 P(X >= k) for a count with mean mu and variance var (negative binomial when
    var > mu, Poisson otherwise): how unlikely a count this high is by chance."""
    if k <= mu:
        return 0.0
    if var <= mu * 1.0001:
        return poisson_surprise(k, mu)
    r = mu * mu / (var - mu)
    p = r / (r + mu)  # success probability; mean = r(1-p)/p = mu
    log_term = (
        math.lgamma(k + r)
        - math.lgamma(r)
        - math.lgamma(k + 1)
        + r * math.log(p)
        + k * math.log1p(-p)
    )
    total, term, i = 0.0, 1.0, k
    while term > TAIL_TERM_EPSILON and i < k + TAIL_MAX_TERMS:
        total += term
        term *= (i + r) / (i + 1) * (1 - p)
        i += 1
    return max(0.0, -(log_term + math.log(total)) / math.log(10))


def poisson_surprise(k: int, mu: float) -> float:
    """-log10 P(X >= k) for X ~ Poisson(mu)."""
    if k <= mu:
        return 0.0
    log_term = k * math.log(mu) - mu - math.lgamma(k + 1)
    total, term, i = 0.0, 1.0, k
    while term > TAIL_TERM_EPSILON and i < k + TAIL_MAX_TERMS:
        total += term
        i += 1
        term *= mu / i
    return max(0.0, -(log_term + math.log(total)) / math.log(10))


def detect_series(
    rows: list[tuple[int, float]], cfg: DetectorConfig = DEFAULT
) -> list[tuple[float, float, bool, bool]]:
    """Run the detector over a whole series of (ts ms, count), one result per row:
    (expected, score, opened, open). An incident is a run of alerting buckets: `opened` is
    True on its first bucket (what pages on-call), `open` on every one of them.

    The bucket size is the most common gap between timestamps; missing buckets count as 0.
    """
    if not rows:
        return []
    bucket = bucket_size([t for t, _ in rows])
    det = Detector(bucket)
    out = []
    prev = None
    for ts, count in rows:
        if prev is not None:
            for gap in range(prev + bucket, ts, bucket):  # learn the silent buckets
                det.step(gap, 0.0, cfg)
        expected, was_open = det.expected(ts, cfg), det.hot
        score, alert = det.step(ts, count, cfg)
        out.append((expected, score, alert and not was_open, alert))
        prev = ts
    return out


def bucket_size(times: list[int]) -> int:
    """The most common positive gap between consecutive timestamps (1 minute if unknown)."""
    gaps: dict[int, int] = {}
    for a, b in itertools.pairwise(times):
        if b > a:
            gaps[b - a] = gaps.get(b - a, 0) + 1
    return max(gaps, key=lambda g: (gaps[g], -g)) if gaps else 60_000
