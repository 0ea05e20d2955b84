"""The trend detector: does this bucket open an incident for its series?

Works on one series of (timestamp, value) buckets of any fixed size and returns, per bucket, the
expected value, an anomaly score in [0, 1], whether an incident opens there (what pages on-call)
and whether one is open. The defaults need no per-series tuning; each part is a known method:

- **Scale.** Counts are read on the Anscombe scale, 2 sqrt(count + 3/8), where Poisson noise
  has a standard deviation of 1 at any level, so a surge is judged alike on a quiet key and a
  busy one; over-dispersion and bursts show as a larger spread and heavier tails, which are
  learned. Other values (rates, latencies, values of any sign) are read as they are.
- **Baseline.** An exponentially weighted level plus, for buckets shorter than a day, an offset
  per hour of the day learned across days (additive seasonality on that scale, Holt-Winters in
  error-correction form); an hour counts once it has a day of history. Learning is winsorized
  at `clip` spreads, so a burst barely moves the baseline while it lasts.
- **Spread.** Residuals are standardised by their exponentially weighted mean absolute
  deviation, which for counts is never below Poisson noise's (a key that is mostly zero is
  not infinitely sure of its next bucket).
- **Tail.** How rare a standardised residual is comes from the series' own tail, learned by
  peaks over threshold (signals.tail): heavy-tailed series learn that big residuals are
  common, with no cap on the dispersion. Counts start from the normal tail of Poisson noise,
  values from a Laplace tail (nothing is known of their noise).
- **Pages, not buckets.** An incident opens when the tail probability falls below `page_p`,
  set from a false-page budget per series (`false_pages_per_week`); it stays open while the
  probability stays below `hot_p` and closes after `calm` buckets above it, and a new one does
  not open within `cooldown` of the last one closing. Counts page upward only (a trend), at
  `min_count` or more and at least `min_ratio` times the expected count; values page both
  ways (a metric that drops matters as much as one that climbs).
- **Level shifts.** An incident still open after `shift_after` is the new normal: the level
  moves to it and the incident closes, so a series that steps up pages once, not for days.
"""

import itertools
import math
from dataclasses import dataclass

from signals.eventtime import DAY, HOUR, MINUTE, WEEK
from signals.records import DetectorV1, DetectorV2
from signals.tail import LAPLACE_RATE, NORMAL_RATE, Tail

COUNTS, VALUES = "counts", "values"  # the two kinds of series
SPIKE, RAMP = "spike", "ramp"  # why an incident opened


@dataclass(frozen=True)
class DetectorConfig:
    """Detector parameters; the defaults work without per-series tuning."""

    level_memory: float = 30.0  # buckets of memory of the recent level (EWMA)
    spread_days: float = 2.0  # days of memory of the residual spread (at least 30 buckets)
    season_weight: float = 0.3  # weight of the newest day in a time-of-day offset
    season_slot: int = HOUR  # the width of a time-of-day slot (ms; at least a bucket)
    tail_days: float = 14.0  # days of memory of the tail's exceedance rate
    false_pages_per_week: float = 0.1  # per series: sets page_p from the buckets in a week
    hot_p: float = 0.01  # an open incident stays open while its tail probability is below
    calm: int = 3  # ... and closes after this many buckets above it
    cooldown: int = HOUR  # no new incident opens within this of the last one closing (ms)
    shift_after: int = 6 * HOUR  # an incident open this long is a level shift (ms)
    clip: float = 3.0  # learning is winsorized at this many spreads
    warmup: int = 12  # buckets learned before a series of values may page
    min_count: int = 10  # counts: never page below this count in a bucket
    min_ratio: float = 1.5  # counts: nor below this multiple of the expected count
    ramp_ratio: float = 1.5  # counts: a ramp is at least this multiple of the slow baseline
    cusum_k: float = 1.0  # ... its CUSUM's slack per bucket, in spreads
    cusum_h: float = 10.0  # ... and its alarm level, in spreads
    prior: float = 1.0  # expected count per bucket for a series with no history


DEFAULT = DetectorConfig()
# counts: on the Anscombe scale Poisson noise has sd 1, so a mean absolute deviation of
# sqrt(2 / pi): the spread of counts is never taken to be less than that
POISSON_SPREAD = math.sqrt(2 / math.pi)
SPREAD_CEILING = 4.0  # one residual teaches the spread at most this many clips of it
RAMP_Z_CAP = 6.0  # one bucket adds at most this many spreads to a ramp's CUSUM
SLOW_MEMORY_MIN = 60.0  # buckets of memory of the slow baseline, at the least (else a day)
MAX_Z = 1e6  # a residual beyond any spread (a series of values that never moved before)


def page_p(bucket: int, cfg: DetectorConfig = DEFAULT) -> float:
    """The per-bucket tail probability that opens an incident: the false-page budget of a
    series spread over the buckets of a week."""
    return cfg.false_pages_per_week * max(bucket, MINUTE) / WEEK


class Detector:
    """State of the detector for one series. Feed closed buckets to `step`, in time order."""

    __slots__ = (
        "_page_p",
        "_per",
        "_width",
        "bucket",
        "calm",
        "centred",
        "closed",
        "cusum",
        "down",
        "kind",
        "level",
        "n",
        "open",
        "opened",
        "slot_mean",
        "slot_seen",
        "slot_since",
        "slow",
        "spread",
        "up",
        "why",
    )

    def __init__(self, bucket: int, kind: str = COUNTS, cfg: DetectorConfig = DEFAULT) -> None:
        self.why = SPIKE  # why the newest incident opened (not stored: read as it opens)
        self.bucket = bucket  # bucket width in ms
        self.kind = kind
        self._width = max(bucket, cfg.season_slot)  # a time-of-day slot
        self._per = max(1, self._width // bucket)  # buckets per slot
        self._page_p = page_p(bucket, cfg)
        self.level = 0.0  # on the series' scale (log(1 + count) for counts)
        self.spread = 0.0  # mean absolute deviation of residuals, on that scale
        self.n = 0  # buckets learned from
        # residuals above the baseline, and below it (values only); counts start from the
        # normal tail Poisson noise has on the Anscombe scale, values from a heavier one
        self.up = Tail.normal() if kind == COUNTS else Tail()
        self.down = Tail()
        self.open = False  # an incident is open
        self.opened = 0  # bucket time the open incident opened at (ms)
        self.closed = -DAY * 365  # bucket time the last incident closed at (ms)
        self.calm = 0  # buckets of an open incident in a row above hot_p
        self.centred = False  # the first day's slot means have become offsets (_centre)
        self.slow = 0.0  # a level with a day's memory: what a slow ramp is measured against
        self.cusum = 0.0  # one-sided CUSUM of residuals from the slow baseline (counts)
        self.slot_mean: dict[int, float] = {}  # hour-of-day offsets from the level
        self.slot_seen: dict[int, int] = {}
        self.slot_since: dict[int, int] = {}  # when each slot was first learned (ms)

    # -- encoding (for per-key state in tables) -------------------------------------------
    def to_record(self) -> DetectorV2:
        """Its stored form, inside a trend record (signals.records)."""
        slots = [
            (k, v, self.slot_seen.get(k, 0), self.slot_since.get(k, 0))
            for k, v in self.slot_mean.items()
        ]
        up, down = self.up, self.down
        return DetectorV2(
            self.bucket,
            self.kind,
            self.level,
            self.spread,
            self.n,
            (up.rate, up.excess, up.seen, up.exceedances, up.in_run),
            (down.rate, down.excess, down.seen, down.exceedances, down.in_run),
            self.open,
            self.opened,
            self.closed,
            self.calm,
            self.slow,
            self.cusum,
            self.centred,
            slots,
        )

    @classmethod
    def from_record(cls, r: DetectorV2, cfg: DetectorConfig = DEFAULT) -> "Detector":
        """Inverse of to_record."""
        d = cls(r.bucket, r.kind, cfg)
        d.level, d.spread, d.n = r.level, r.spread, r.n
        prior = NORMAL_RATE if r.kind == COUNTS else LAPLACE_RATE
        d.up, d.down = Tail(*r.up, prior_rate=prior), Tail(*r.down)
        d.open, d.opened, d.closed, d.calm = r.open, r.opened, r.closed, r.calm
        d.slow, d.cusum, d.centred = r.slow, r.cusum, r.centred
        d.slot_mean = {k: v for k, v, _, _ in r.slots}
        d.slot_seen = {k: s for k, _, s, _ in r.slots}
        d.slot_since = {k: t for k, _, _, t in r.slots}
        return d

    # -- the model -------------------------------------------------------------------------
    def _y(self, value: float) -> float:
        if self.kind != COUNTS:
            return value
        return anscombe(value if value > 0.0 else 0.0)

    def _slot(self, ts: int) -> int | None:
        return None if self._width >= DAY else int((ts % DAY) // self._width)

    def seasonal(self, ts: int) -> bool:
        """True when the hour of day of ts has a full slot of history from an earlier day
        (today's own hour is not a baseline for today)."""
        return self._season_slot(ts) is not None

    def _season_slot(self, ts: int) -> int | None:
        slot = self._slot(ts)
        if (
            not self.centred
            or slot is None
            or self.slot_seen.get(slot, 0) < self._per
            or ts - self.slot_since.get(slot, ts) < DAY - self._width
        ):
            return None
        return slot

    def _baseline(self, ts: int) -> float:
        return self.level + self._offset(ts)

    def expected(self, ts: int, cfg: DetectorConfig = DEFAULT) -> float:
        """The value this series is expected to have in the bucket at ts (for counts, at
        least `prior`)."""
        base = self._baseline(ts)
        if self.kind != COUNTS:
            return base
        count = unanscombe(base) if self.n else 0.0
        return count if count > cfg.prior else cfg.prior

    def _spread(self) -> float:
        if self.kind == COUNTS and self.spread < POISSON_SPREAD:
            return POISSON_SPREAD
        return self.spread

    def _z(self, ts: int, value: float) -> tuple[float, float]:
        """(standardised residual, baseline) of a value at ts."""
        base = self._baseline(ts)
        r = self._y(value) - base
        spread = self._spread()
        if spread <= 0.0:
            return (0.0 if r == 0.0 else math.copysign(MAX_Z, r)), base
        return r / spread, base

    def tail_p(self, ts: int, value: float) -> float:
        """How likely a value this far from the baseline is, by the series' own tail."""
        z, _ = self._z(ts, value)
        if self.kind == COUNTS:
            return self.up.p(z)
        return min(self.up.p(z), self.down.p(-z))

    def _daily(self, ts: int) -> float:
        slot = self._season_slot(ts) if self.slot_mean else None
        return self.slot_mean[slot] if slot is not None else 0.0

    def _offset(self, ts: int) -> float:
        """The seasonal offset at ts: its time of day's."""
        return self._daily(ts)

    def _ramp(self, ts: int, value: float, cfg: DetectorConfig) -> float:
        """The CUSUM a count at ts would bring, against the slow baseline (0 for values, and
        before the time of day is known: a slow rise is a daily rhythm until then)."""
        if self.kind != COUNTS or not self.seasonal(ts):
            return 0.0
        z = (self._y(value) - self.slow - self._offset(ts)) / self._spread()
        return max(0.0, self.cusum + min(z, RAMP_Z_CAP) - cfg.cusum_k)

    def band_top(self, ts: int, limit: float | None = None, cfg: DetectorConfig = DEFAULT) -> float:
        """The top of the expected band at ts: the highest value that would not open an
        incident as a spike (counts: also at least `min_count` and `min_ratio` x expected)."""
        page = self._page_p if limit is None else min(limit, self._page_p)
        y = self._baseline(ts) + self.up.z_for(page) * self._spread()
        if self.kind != COUNTS:
            return y
        expected = self.expected(ts, cfg)
        return max(unanscombe(y), float(cfg.min_count), cfg.min_ratio * expected)

    def judged(self, ts: int, value: float, cfg: DetectorConfig = DEFAULT) -> bool:
        """Whether a count at ts passes the cheap test before the tail test (enough events,
        enough above expectation): the buckets that could open an incident as a spike."""
        return self.kind == COUNTS and self._pageable(value, self.expected(ts, cfg), cfg)

    def _pageable(self, value: float, expected: float, cfg: DetectorConfig) -> bool:
        if self.kind == COUNTS:
            return self.n > 0 and value >= cfg.min_count and value >= cfg.min_ratio * expected
        return self.n >= cfg.warmup

    def judge(
        self, ts: int, value: float, cfg: DetectorConfig = DEFAULT, limit: float | None = None
    ) -> tuple[float, bool]:
        """(score, alert) for a value at ts without learning from it (a partial bucket):
        alert when it would open an incident (a spike: ramps are judged on closed buckets
        only), or keep an open one open. `limit`: a stricter tail probability to page at
        (the budget across keys, signals.budget)."""
        p, ramp = self.tail_p(ts, value), self._ramp(ts, value, cfg)
        page = self._page_p if limit is None else min(limit, self._page_p)
        return (
            self._score(p, page, ramp, cfg),
            self._alerting(ts, value, p, page, ramp, cfg, partial=True),
        )

    def _alerting(
        self,
        ts: int,
        value: float,
        p: float,
        page: float,
        ramp: float,
        cfg: DetectorConfig,
        partial: bool = False,
    ) -> bool:
        if self.open:
            return p < cfg.hot_p and (self.kind != COUNTS or value > self.expected(ts, cfg))
        if ts - self.closed < cfg.cooldown:
            return False
        if p < page and self._pageable(value, self.expected(ts, cfg), cfg):
            self.why = SPIKE
            return True
        if partial:
            return False  # a ramp is judged on closed periods only
        slow = unanscombe(self.slow + self._offset(ts))
        if ramp >= cfg.cusum_h and self._pageable(value, cfg.ramp_ratio * slow, cfg):
            self.why = RAMP
            return True
        return False

    def _score(self, p: float, page: float, ramp: float, cfg: DetectorConfig) -> float:
        """0 for an ordinary bucket, 0.5 at the page threshold `page` (or a ramp's alarm
        level), 1 at its square (twice the alarm level)."""
        if ramp > 0.0:
            return max(self._score(p, page, 0.0, cfg), min(1.0, ramp / (2.0 * cfg.cusum_h)))
        if p >= 1.0:
            return 0.0
        return min(1.0, math.log(p) / (2.0 * math.log(page))) if p > 0.0 else 1.0

    def _centre(self, ts: int) -> None:
        """Once the first slot has a day behind it, its first day's means become the daily
        shape around their average, as Holt-Winters is classically started from a first
        season: the slow level takes the average, the fast level loses the hour's offset."""
        slot = self._slot(ts)
        if (
            self.centred
            or slot is None
            or slot not in self.slot_since
            or ts - self.slot_since[slot] < DAY - self._width
        ):
            return
        mean = sum(self.slot_mean.values()) / len(self.slot_mean)
        self.slot_mean = {k: v - mean for k, v in self.slot_mean.items()}
        self.slow = mean
        self.level -= self.slot_mean[slot]
        self.centred = True

    def step(
        self, ts: int, value: float, cfg: DetectorConfig = DEFAULT, limit: float | None = None
    ) -> tuple[float, bool]:
        """Score a closed bucket, open or close its incident, then learn from it. Returns
        (score, opened): opened is True only on the bucket where an incident opens. `limit`
        as for `judge`."""
        self._centre(ts)
        p, ramp = self.tail_p(ts, value), self._ramp(ts, value, cfg)
        page = self._page_p if limit is None else min(limit, self._page_p)
        hot = self._alerting(ts, value, p, page, ramp, cfg)
        opened = hot and not self.open
        self.cusum = 0.0 if hot or self.open else ramp
        if opened:
            self.open, self.opened, self.calm = True, ts, 0
        elif self.open:
            self.calm = 0 if hot else self.calm + 1
            if self.calm >= cfg.calm:
                self.open, self.closed = False, ts
        self._learn(ts, value, cfg)
        # an incident open this long is the new normal, once the time of day is known: on a
        # series' first day, a daily rhythm looks like a shift and is learned as offsets
        if (
            self.open
            and ts - self.opened >= cfg.shift_after
            and (self._slot(ts) is None or self.seasonal(ts))
        ):
            self._shift(ts, value)
        return self._score(p, page, ramp, cfg), opened

    def _shift(self, ts: int, value: float) -> None:
        self.level = self.slow = self._y(value) - self._offset(ts)
        self.open, self.closed = False, ts

    def _learn(self, ts: int, value: float, cfg: DetectorConfig) -> None:
        z, base = self._z(ts, value)
        spread = self._spread()
        y = self._y(value)
        bound = cfg.clip * spread
        offset = self._offset(ts)
        if self.n == 0:
            self.level = self.slow = y
        else:
            self.level += _clip(y - base, bound) / cfg.level_memory
            if not self.open:  # deseasonalised, a day's memory; a plain mean at first
                memory = min(self.n + 1.0, max(SLOW_MEMORY_MIN, DAY / self.bucket))
                self.slow += _clip(y - offset - self.slow, bound) / memory
        slot = self._slot(ts)
        if slot is None:
            pass
        elif not self.centred:  # the first day: each slot's plain mean, centred a day later
            seen = self.slot_seen.get(slot, 0)
            if seen == 0:
                self.slot_mean[slot], self.slot_since[slot] = y, ts
            else:
                self.slot_mean[slot] += (y - self.slot_mean[slot]) / (seen + 1)
            self.slot_seen[slot] = seen + 1
        else:  # the daily shape around the slow level, learned across days
            seen = self.slot_seen.get(slot, 0)
            shape = y - self.slow
            if seen == 0:
                self.slot_mean[slot], self.slot_since[slot] = shape, ts
            elif seen < self._per:
                self.slot_mean[slot] += (shape - self.slot_mean[slot]) / (seen + 1)
            else:
                step = 1 - (1 - cfg.season_weight) ** (1 / self._per)
                self.slot_mean[slot] += step * _clip(shape - self.slot_mean[slot], bound)
            self.slot_seen[slot] = seen + 1
        # the spread and the tails learn from ordinary buckets only: an incident must not
        # teach the detector that incidents are noise
        if not self.open:
            memory = max(30.0, cfg.spread_days * DAY / self.bucket)
            size = abs(y - base)
            if self.n > cfg.warmup and size > SPREAD_CEILING * bound:
                size = SPREAD_CEILING * bound
            self.spread += (size - self.spread) / min(memory, self.n + 1)
            tail_memory = max(100.0, cfg.tail_days * DAY / self.bucket)
            if self.n > 0:
                self.up.learn(z, tail_memory)
                if self.kind != COUNTS:
                    self.down.learn(-z, tail_memory)
        self.n += 1

    def seed_quiet(self, level: float, cfg: DetectorConfig = DEFAULT) -> None:
        """Start from a known quiet past (a key the sketch tier saw staying rare): a warm
        baseline at `level` per bucket, so growth from here is judged as growth."""
        self.level = self.slow = self._y(level)
        self.n = int(max(30.0, cfg.spread_days * DAY / self.bucket))

    def skip(self, buckets: int, cfg: DetectorConfig = DEFAULT) -> None:
        """Learn a long run of empty buckets at once (the level decays; no per-bucket work).

        The hour-of-day offsets are left as they were: a key silent for hours keeps what it
        knew of its busy hours.
        """
        self.level *= (1 - 1.0 / cfg.level_memory) ** buckets
        self.slow *= (1 - 1.0 / max(SLOW_MEMORY_MIN, DAY / self.bucket)) ** buckets
        self.n += buckets
        self.open, self.calm, self.cusum = False, 0, 0.0


def _clip(x: float, bound: float) -> float:
    return x if -bound <= x <= bound else math.copysign(bound, x)


def anscombe(count: float) -> float:
    """The variance-stabilising transform of a Poisson count: sd about 1 at any mean."""
    return 2.0 * math.sqrt(count + 0.375)


def unanscombe(y: float) -> float:
    """The count whose transform is y (at least 0)."""
    return max(0.0, (y / 2.0) ** 2 - 0.375)


def migrated_detector(r: DetectorV1) -> Detector:
    """A detector restored from what vigil stored before the tails were learned: its level,
    hour-of-day means and dispersion carried to the log scale; its tails start from the
    prior, its incident open if its last bucket alerted."""
    d = Detector(r.bucket, COUNTS)
    d.level, d.n, d.open = anscombe(r.level), r.n, r.hot
    d.slow, d.cusum, d.centred = d.level, r.cusum, bool(r.slots)
    # delta method: sd(2 sqrt(X)) = sd(X) / sqrt(mu), with var(X) = dispersion * mu; the mean
    # absolute deviation of a normal is sqrt(2 / pi) of its sd
    d.spread = POISSON_SPREAD * math.sqrt(max(r.var, 1.0))
    for slot, mean, seen, since in r.slots:
        d.slot_mean[slot] = anscombe(mean) - d.level
        d.slot_seen[slot], d.slot_since[slot] = seen, since
    return d


def detect_series(
    rows: list[tuple[int, float]], kind: str | None = None, cfg: DetectorConfig = DEFAULT
) -> list[tuple[float, float, bool, bool]]:
    """Run the detector over a whole series of (ts ms, value) in time order: per row,
    (expected, score, opened, open).

    The bucket size is the most common gap between timestamps; missing buckets of counts are
    learned as 0 (a series of values just has no reading there). `kind` is COUNTS or VALUES;
    by default counts when every value is a whole number >= 0 (`series_kind`).
    """
    if not rows:
        return []
    bucket = bucket_size([t for t, _ in rows])
    kind = kind or series_kind(rows, bucket)
    det = Detector(bucket, kind, cfg)
    out = []
    prev = None
    for ts, value in rows:
        if prev is not None and kind == COUNTS:
            for gap in range(prev + bucket, ts, bucket):  # learn the silent buckets
                det.step(gap, 0.0, cfg)
        expected = det.expected(ts, cfg)
        score, opened = det.step(ts, value, cfg)
        out.append((expected, score, opened, det.open or opened))
        prev = ts
    return out


def series_kind(rows: list[tuple[int, float]], bucket: int) -> str:
    """COUNTS when every value is a whole number >= 0 and a missing bucket can mean zero:
    the series has no gaps, or has zeros of its own. A series of whole numbers that skips
    buckets but never reads zero (a speed sampled irregularly) has gaps where there was no
    reading, not no events: VALUES, like any series with fractions or negatives."""
    if not all(v >= 0 and v == int(v) for _, v in rows):
        return VALUES
    gaps = any(b - a > bucket for (a, _), (b, _) in itertools.pairwise(rows))
    return COUNTS if not gaps or any(v == 0 for _, v in rows) else VALUES


def bucket_size(times: list[int]) -> int:
    """The most common positive gap between consecutive timestamps (1 minute if unknown)."""
    gaps: dict[int, int] = {}
    for a, b in itertools.pairwise(times):
        if b > a:
            gaps[b - a] = gaps.get(b - a, 0) + 1
    return max(gaps, key=lambda g: (gaps[g], -g)) if gaps else MINUTE
