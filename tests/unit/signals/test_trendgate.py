"""The sketch tier: rare trend keys stay in a fixed-size sketch, busy ones get exact state."""

from signals.engine import Engine
from signals.trend import TrendFact
from signals.trendgate import KEPT, CandidateGate
from stream.config import SHIPPED_POLICIES
from stream.policyfiles import load_pack

P = 5 * 60_000


def fact(key: str, ts: int, i: int = 0) -> TrendFact:
    return TrendFact("hashtag", key, ts, f"u{i}", f"v{key}{i}", f"e{key}{i}", "US")


def test_a_key_becomes_a_candidate_at_the_bar_within_one_period() -> None:
    gate = CandidateGate(P, promote_at=3)
    assert [gate.admit(fact("x", 1000 + i, i)) for i in range(4)] == [False, False, True, True]
    assert gate.held == 2
    # the count restarts with the next period
    assert gate.admit(fact("x", P + 1, 9)) is False


def test_history_is_unknown_until_a_full_period_has_passed() -> None:
    gate = CandidateGate(P, promote_at=3)
    gate.admit(fact("x", 1000))
    assert gate.history(fact("x", 1000)) is None
    gate.admit(fact("y", P + 10))
    assert gate.history(fact("x", P + 10)) == 1.0  # x was seen once, under the bar
    assert gate.history(fact("z", P + 10)) == 0.0


def test_one_off_tags_keep_no_exact_state() -> None:
    engine = Engine(load_pack(SHIPPED_POLICIES))
    kept = 0
    for i in range(20_000):  # each tag used once, spread over many periods
        state, _ = engine.on_trend(fact(f"t{i}", i * 100, i), None)
        kept += state is not None
    assert kept == 0
    busy = None
    for i in range(5):
        busy, _ = engine.on_trend(fact("busy", 2_000_000 + i, i), busy)
    assert busy is not None and busy.total == 3  # exact from the promoting event on


def test_a_trend_that_falls_silent_is_resolved() -> None:
    from signals.eventtime import format_ts
    from signals.pipeline import LocalPipeline

    from .events import MIN, T0, upload

    pipe = LocalPipeline(Engine(load_pack(SHIPPED_POLICIES)))
    out = []
    n = 0
    for period in range(14):  # a warm, quiet key: 3 uploads a period from different creators
        for j in range(3):
            n += 1
            out += pipe.feed(
                *upload(f"q{n}", creator=f"c{n}", at=period * 5 * MIN + j * MIN, hashtags=["x"])
            )
    for j in range(40):  # then a spike from 40 creators
        n += 1
        out += pipe.feed(*upload(f"s{n}", creator=f"s{n}", at=70 * MIN + j * 3000, hashtags=["x"]))
    # the burst ends inside the grace of the period before it: the key has no fact of its own
    # to close that period, the watermark does, and the burst pages dated when it could be
    assert [e for e in out if e.topic == "trend-alerts"] == []
    out = pipe.feed(*upload("next", creator="y", at=76 * MIN, hashtags=["other"]))
    fired = [e.record for e in out if e.topic == "trend-alerts"]
    assert [(a.key.value, a.status) for a in fired] == [("x", "firing")]
    assert fired[0].ts == format_ts(T0 + 72 * MIN)
    assert fired[0].observed == 41  # the last 5 minutes: the burst and one quiet upload
    # the evidence: why, the top of the band it broke, and the last hour minute by minute
    assert fired[0].why == "spike" and 10 <= (fired[0].expected_high or 0) < 40
    assert len(fired[0].recent) == 60 and fired[0].recent[-3:] == [20, 20, 0]  # to 11:12
    # the watermark moves on: the resolution comes with the event that moved it, dated when
    # the key had been silent for two periods, whenever a driver checks
    later = pipe.feed(*upload("later", creator="z", at=120 * MIN, hashtags=["other"]))
    resolved = [e for e in later if e.topic == "trend-alerts"]
    assert [e.record.status for e in resolved] == ["resolved"]
    assert resolved[0].record.key.value == "x" and resolved[0].record.observed == 0
    assert resolved[0].record.ts == format_ts(T0 + 70 * MIN + 39 * 3000 + 10 * MIN)
    assert pipe.pass_watermark() == []  # once


def test_a_key_is_judged_in_its_own_period_however_facts_interleave() -> None:
    """Facts of other keys from a partition read ahead do not move this key's periods: its
    promotion and quiet history are what they would be in event-time order."""
    in_order, ahead = CandidateGate(P, promote_at=3), CandidateGate(P, promote_at=3)
    mine = [fact("x", 1000), fact("x", P + 1000, 1), fact("x", P + 2000, 2), fact("x", P + 3000, 3)]
    others = [fact("y", 1000 + 3 * P + i, i) for i in range(5)]  # three periods ahead
    got_in_order = [in_order.admit(f) for f in mine]
    for f in others:
        ahead.admit(f)
    got_ahead = [ahead.admit(f) for f in mine]
    assert got_in_order == got_ahead == [False, False, False, True]
    assert in_order.history(mine[-1]) == ahead.history(mine[-1]) == 1.0
    # facts of a second clock (reports' area facts read hours ahead) keep their own sketches
    # without dropping the first clock's
    far = CandidateGate(P, promote_at=3)
    for i in range(3):
        far.admit(fact("y", 100 * P + i * P, i))
    zs = [fact("z", P), *(fact("z", 2 * P + i, i) for i in range(3))]
    assert [far.admit(f) for f in zs] == [False, False, False, True]
    assert far.history(fact("z", 2 * P)) == 1.0
    for i in range(KEPT):  # ... until KEPT newer periods have been used: then z's count is
        far.admit(fact("y", 200 * P + i * P, i))  # lost, but not that it stayed under the bar
    assert far.history(fact("z", 2 * P)) == 0.0
    assert far.history(fact("z", 0)) is None  # before the process's first period: unknown


def test_a_key_the_platform_never_saw_that_takes_off_pages_as_a_new_key() -> None:
    engine = Engine(load_pack(SHIPPED_POLICIES))
    for i in range(3):  # the process has seen a whole period before: the key's past is quiet
        engine.on_trend(fact("other", i * 1000, i), None)
    state, alerts = None, []
    for j in range(40):
        state, out = engine.on_trend(fact("new", 2 * P + j * 1000, j), state)
        alerts += out
    fired = [e.record for e in alerts if e.record.status == "firing"]
    assert [(a.key.value, a.why) for a in fired] == [("new", "new_key")]
