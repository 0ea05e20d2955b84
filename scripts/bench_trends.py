"""The trend detector's figures in `make bench`: labelled synthetic shapes, the NAB corpus
(real data, scripts/nab.py) and the trend tier at a million keys. Each returns the markdown
section bench.py writes to docs/benchmarks.md."""

import sys
import time
from pathlib import Path

import nab

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signals.trend import TrendState  # noqa: E402
from stream.config import SHIPPED_POLICIES  # noqa: E402
from stream.policyfiles import load_pack  # noqa: E402

Quality = tuple[str, int, int, float | None, float, float]


def trend_quality(seeds: int = 20) -> list[Quality]:
    """Per labelled shape, over the seeds: pages (incidents opened), false pages (opened
    outside the trend), median minutes from the trend's start to its first page, and per
    bucket the share of trend buckets with an incident open and of open buckets in the trend."""
    from signals.detect import detect_series
    from tests import trendshapes

    out: list[Quality] = []
    for name, make in trendshapes.SHAPES.items():
        pages = false = opened = open_true = trend_buckets = 0
        ttds = []
        for seed in range(1, seeds + 1):
            shape = make(seed)
            rows = detect_series([(t, float(c)) for t, c in shape.rows])
            paged = trendshapes.evaluate(shape, [o[2] for o in rows])
            open_ = trendshapes.evaluate(shape, [o[3] for o in rows])
            pages += paged.alerts
            false += paged.false_alerts
            opened += open_.alerts
            open_true += open_.true_alerts
            trend_buckets += open_.trend_buckets
            if paged.time_to_detect is not None:
                bucket = shape.rows[1][0] - shape.rows[0][0]
                ttds.append(paged.time_to_detect * bucket // 60_000)
        coverage = open_true / trend_buckets if trend_buckets else float("nan")
        precision = open_true / opened if opened else 1.0
        ttd = sorted(ttds)[len(ttds) // 2] if ttds else None
        out.append((name, pages, false, ttd, coverage, precision))
    return out


def flood_alerts(seeds: int = 20) -> int:
    """Alerting readings when one account floods a quiet hashtag (the stream's trend path,
    with its distinct-creator floor): every one is false."""
    import random

    from signals.trend import Reading, TrendConfig, TrendFact, apply
    from tests.trendshapes import MIN, poisson

    cfg, alerts = TrendConfig(), 0
    for seed in range(1, seeds + 1):
        r = random.Random(seed)
        state = TrendState()
        facts = [
            (m * MIN + r.randrange(MIN), f"c{r.randrange(500)}")
            for m in range(180)
            for _ in range(poisson(r, 0.5))
        ]
        facts += [(180 * MIN + i * 2000, "spammer") for i in range(300)]
        for i, (ts, creator) in enumerate(sorted(facts)):
            reading = apply(
                state,
                TrendFact("hashtag", "x", ts, creator, f"v{i}", f"e{i}", "US"),
                cfg,
                86_400_000,
            )
            alerts += isinstance(reading, Reading) and reading.alerting(cfg)
    return alerts


def shapes_section(seeds: int) -> str:
    """The detector on the labelled synthetic shapes, and the flood check."""
    lines = [
        f"| {name} | {pages} | {false} | {'-' if t is None else t} | "
        f"{'-' if cov != cov else f'{cov:.3f}'} | {prec:.3f} |"
        for name, pages, false, t, cov, prec in trend_quality(seeds)
    ]
    return (
        f"""## Trend detection quality (`make bench`)

The standalone detector (`signals/detect.py`, default parameters) on labelled synthetic
series (`tests/trendshapes.py`, shapes we chose ourselves: real data is the NAB section below),
{seeds} seeds each, over-dispersed counts. A page is the bucket where an incident opens; a
false page opens outside the labelled trend (the daily cycles have none, so every page there
is false; the detector's budget is 0.1 false pages per series-week). Time to page is from the
trend's first bucket, median over seeds; open coverage is the share of trend buckets with an
incident open, open precision the share of open buckets inside the trend.

| shape | pages | false pages | time to page (min) | open coverage | open precision |
|---|---|---|---|---|---|
"""
        + "\n".join(lines)
        + f"""
| one account floods a quiet hashtag, 300 uploads in 10 min (stream path, alerting \
readings) | {flood_alerts(seeds)} | - | - | - | - |
"""
    )


def nab_section() -> str:
    """The detector, with its defaults, on the vendored NAB corpus (scripts/nab.py)."""
    return f"""## Trend detection on real data: NAB (`make bench`)

The detector as `vigil detect` runs it, default settings, no per-series tuning, on the
Numenta Anomaly Benchmark corpus vendored in `tests/data/nab` (48 series, one category held
back). A detection is a page: the bucket where an incident opens. Scored with NAB v1.1's
standard profile (`scripts/nab.py`, which matches NAB's reference scorer to 1e-13); false
pages are detections outside every labelled window, those under an hour apart counted once,
per week of scored series. For scale, NAB's published scoreboard on the whole corpus: ARTime
74.9, HTM 70.5, CAD OSE 69.9, Twitter ADVec 47.1, a detector that never fires 0.

{nab.report(nab.run(nab.vigil_detector, nab.load()))}"""


def trend_tier(keys: int = 1_000_000) -> tuple[int, float, float, float, int]:
    """Trend facts over `keys` distinct hashtags (heavy-tailed reuse): throughput of the trend
    family and the memory its state takes, encoded as a memory-store worker holds it."""
    from signals.engine import Engine
    from signals.trend import TrendFact

    engine = Engine(load_pack(SHIPPED_POLICIES))
    store: dict[str, bytes] = {}
    n = 0
    busy_every = 20  # one key in twenty is busy: a burst of events in one period
    start = time.perf_counter()
    ts0 = 1_795_132_800_000
    for i in range(keys):
        # millions of tags used once or twice; one in twenty gets a burst (exact state)
        reps = 4 if i % busy_every == 0 else (2 if i % 10 == 1 else 1)
        for rep in range(reps):
            key = f"tag{i}"
            fact = TrendFact(
                "hashtag",
                key,
                ts0 + i * 50 + rep * 1000,
                f"u{(i + rep) % 50_000}",
                f"v{i}-{rep}",
                f"e{i}-{rep}",
                "US",
            )
            stored = store.get("hashtag:" + key)
            state = TrendState.decode(stored) if stored else None
            state, _ = engine.on_trend(fact, state)
            if state is not None:
                store["hashtag:" + key] = state.encode()
            n += 1
    seconds = time.perf_counter() - start
    encoded = sum(len(k) + len(v) for k, v in store.items())
    # what a memory-store table costs in Python: bytes objects and dict slots
    overhead = sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in store.items()) + sys.getsizeof(
        store
    )
    return n, n / seconds, encoded / 1e6, overhead / 1e6, len(store)


def tier_section() -> str:
    """The trend family over a million distinct hashtags."""
    from signals.trendgate import KEPT

    facts, tier_eps, encoded_mb, python_mb, exact = trend_tier()
    return f"""## Trend tier at 1M keys (`make bench`)

{facts:,} trend facts over 1,000,000 distinct hashtags: most used once, one in ten twice, one
in twenty in a burst of four within a period. Through the trend family (sketch tier, then
exact state and the detector for candidates), with state encoded after every fact as a
worker's table holds it:

| what | figure |
|---|---|
| trend facts per second | {tier_eps:,.0f} |
| keys with exact state (promoted by the sketch tier) | {exact:,} |
| encoded exact state, keys and values | {encoded_mb:,.1f} MB |
| the same held as Python objects in a memory-store table | {python_mb:,.1f} MB |
| the sketch tier, per trend partition ({KEPT} count-min sketches, 4 x 8,192 counters each) \
| {KEPT * 4 * 8192 * 8 / 1e6:.1f} MB |

The aim is under 300 MB for 1M keys.
"""
