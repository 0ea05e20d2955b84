"""The first trend detector on synthetic series: spikes alert, daily cycles and floods do not."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def fact(ts: int, who: str, key: str = "fyp") -> t.TrendFact:
    return t.TrendFact("hashtag", key, ts, who, f"v-{who}", f"e-{who}-{ts}", "US")


def test_facts_wait_for_the_clocks_and_are_applied_in_event_time_order() -> None:
    """A key's facts can come out of event-time order (a model score that waited for its
    video's region, a partition read behind the others): each waits until the clocks pass
    it, and they are applied oldest first, so the late one counts in its period."""
    state = t.TrendState()
    for f in (fact(MINUTE, "a"), fact(20 * CFG.period, "b"), fact(2 * MINUTE, "c")):
        assert t.offer(state, f)
    assert not t.offer(state, fact(2 * MINUTE, "c"))  # redelivered while it waits
    assert [f.creator_id for f, _ in t.release(state, CFG, DAY, settled=MINUTE)] == ["a"]
    assert [f.creator_id for f, _ in t.release(state, CFG, DAY, settled=5 * MINUTE)] == ["c"]
    assert state.pending[0][0] == 2  # both facts of the first period
    assert not t.offer(state, fact(MINUTE, "a"))  # redelivered once applied
    assert [f.creator_id for f, _ in t.release(state, CFG, DAY, settled=None)] == ["b"]
    assert state.waiting == [] and 0 not in state.pending and state.cur_period > 0


def test_past_the_cap_the_oldest_facts_are_applied_without_the_clocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(t, "WAIT_CAP", 2)
    state = t.TrendState()
    for i in range(4):
        t.offer(state, fact(i * MINUTE, f"c{i}"))
    assert [f.creator_id for f, _ in t.release(state, CFG, DAY, settled=0)] == ["c0", "c1"]
    assert len(state.waiting) == 2


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lags=st.lists(st.integers(0, 3 * 3600_000), min_size=2, max_size=4),
)
def test_partitions_hours_apart_read_as_one_stream_once_the_clocks_settle_them(
    seed: int, lags: list[int]
) -> None:
    """Content partitions drain hours of event time apart, each sending its facts in order
    followed by its clock: the key takes the same readings, fact by fact, as replay's one
    in-order stream (a quiet day, then a spike)."""
    rng = random.Random(seed)
    series = poisson_series(0.2, 180, rng) + poisson_series(6, 12, rng, start=180 * MINUTE)
    facts = [fact(ts, who) for ts, who in sorted(series)]

    def readings(pairs: list[tuple[t.TrendFact, t.Reading]]) -> list[tuple[str, int, bool]]:
        return [(f.event_id, r.observed, r.alerting(CFG)) for f, r in pairs]

    alone = t.TrendState()
    want = []
    for f in facts:
        t.offer(alone, f)
        want += readings(t.release(alone, CFG, DAY, settled=None))
    assert any(alert for _, _, alert in want)

    home = [rng.randrange(len(lags)) for _ in facts]  # each fact's content partition
    arrival = sorted(
        ((f.ts + lags[p], p, f) for f, p in zip(facts, home, strict=True)),
        key=lambda x: (x[0], x[1], x[2].ts),
    )
    clocks, state, got = [0] * len(lags), t.TrendState(), []
    for _, p, f in arrival:
        t.offer(state, f)
        clocks[p] = f.ts
        got += readings(t.release(state, CFG, DAY, settled=min(clocks)))
    got += readings(t.release(state, CFG, DAY, settled=None))
    assert got == want
