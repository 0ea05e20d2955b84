"""The first trend detector on synthetic series: spikes alert, daily cycles and floods do not."""

import math
import random

from signals import trend as t
from signals.eventtime import DAY, MINUTE

CFG = t.TrendConfig()


def run(series: list[tuple[int, str]]) -> list[tuple[int, t.Reading]]:
    """Feed (ts, creator) uploads under one key; return the readings that alert."""
    st = t.TrendState()
    alerts = []
    for i, (ts, creator) in enumerate(series):
        r = t.apply(st, t.TrendFact("hashtag", "x", ts, creator, f"v{i}", f"e{i}", "US"), CFG, DAY)
        if r.alerting(CFG):
            alerts.append((ts, r))
    return alerts


def poisson_series(
    rate_per_min: float, minutes: int, rng: random.Random, start: int = 0, creators: int = 500
) -> list[tuple[int, str]]:
    out = []
    for m in range(minutes):
        n = _poisson(rng, rate_per_min)
        for _ in range(n):
            out.append((start + m * MINUTE + rng.randrange(MINUTE), f"c{rng.randrange(creators)}"))
    return sorted(out)


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def test_sudden_spike_alerts_within_four_minutes() -> None:
    # the open period is judged once the one before it has closed, 2 minutes (the grace)
    # after its end, so that arrival order cannot change what pages; at 10 a minute the
    # spike also needs a minute or two to be 10 uploads and beyond its key's noise
    rng = random.Random(1)
    base = poisson_series(1.0, 180, rng)
    spike_start = 180 * MINUTE
    spike = poisson_series(10.0, 20, rng, start=spike_start)
    alerts = run(base + spike)
    assert alerts, "a 10x spike must alert"
    assert alerts[0][0] - spike_start <= 4 * MINUTE
    assert all(ts >= spike_start for ts, _ in alerts)


def test_daily_cycle_without_incident_stays_quiet() -> None:
    rng = random.Random(2)
    series = []
    for m in range(3 * 24 * 60):
        rate = 2.0 + 1.5 * math.sin(2 * math.pi * m / (24 * 60))
        series += [
            (m * MINUTE + rng.randrange(MINUTE), f"c{rng.randrange(800)}")
            for _ in range(_poisson(rng, rate))
        ]
    assert run(sorted(series)) == []


def test_one_account_flooding_is_not_a_trend() -> None:
    rng = random.Random(3)
    base = poisson_series(0.5, 120, rng)
    flood = [(120 * MINUTE + i * 2000, "spammer") for i in range(300)]
    assert run(sorted(base + flood)) == []


def test_a_busy_key_seen_for_the_first_time_is_not_a_spike() -> None:
    rng = random.Random(4)
    assert run(poisson_series(5.0, 60, rng)) == []


def test_encoding_roundtrip() -> None:
    st = t.TrendState()
    for i in range(50):
        t.apply(
            st,
            t.TrendFact("audio", "a1", i * 20_000, f"c{i % 7}", f"v{i}", f"e{i}", "BR"),
            CFG,
            DAY,
        )
    back = t.TrendState.decode(st.encode())
    assert back.encode() == st.encode()
    assert back.det is not None and st.det is not None
    assert back.det.to_record() == st.det.to_record()


def test_an_incident_is_a_typed_record_stored_as_the_list_it_always_was() -> None:
    import orjson

    st = t.TrendState()
    st.kind, st.key, st.wm = "hashtag", "x", 1000
    st.incident = t.Incident("inc-1", 2, 900, open=False)
    stored = orjson.loads(st.encode())
    assert ["inc-1", 2, 900, False] in stored  # what states written before still hold
    back = t.TrendState.decode(st.encode())
    assert back.incident == t.Incident("inc-1", 2, 900, open=False)
    assert back.incident is not None and not back.incident.open


def test_a_late_fact_still_counts_in_its_period_until_the_trend_clock_passes_it() -> None:
    """A key's own clock can run ahead of facts still to come (a model score that waited for
    its video's region): with the trend clock behind, its period stays open for them."""

    def fact(ts: int, who: str) -> t.TrendFact:
        return t.TrendFact("hashtag", "fyp", ts, who, f"v-{who}", f"e-{who}-{ts}", "US")

    def run(settled: int | None) -> t.TrendState:
        state = t.TrendState()
        t.apply(state, fact(MINUTE, "a"), CFG, DAY)
        t.apply(state, fact(20 * CFG.period, "b"), CFG, DAY, settled=settled)
        t.apply(state, fact(2 * MINUTE, "c"), CFG, DAY, settled=settled)  # late
        return state

    assert 0 not in run(None).pending  # closed on the key's own clock: the late one missed it
    waited = run(MINUTE)
    assert waited.pending[0][0] == 2  # both facts of the first period
    closed, _ = t.settle(waited, CFG, 20 * CFG.period)  # the trend clock moves on
    assert closed and 0 not in waited.pending and waited.cur_period > 0
