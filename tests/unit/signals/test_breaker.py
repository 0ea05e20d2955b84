"""Circuit breakers: trips on a cap or on a spike over the rule's own rate, dated by event time,
holding exactly the actions at or after the trip, whatever order they arrive in."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.outputs import Decision, RuleRef, Target
from signals import breaker
from signals.breaker import ACTION, RESET, REVERSAL, TRIP, RuleFact, RuleState
from signals.eventtime import HOUR, MINUTE, format_ts
from signals.policy.model import Breaker

T0 = 1_763_596_800_000  # 2025-11-20T00:00:00Z
CAP = Breaker(max_per_hour=20, spike=False)


def decision(i: int, ts: int, region: str = "US", kind: str = "action") -> Decision:
    return Decision(
        id=f"d{i}" if kind == "action" else f"r{i}",
        ts=format_ts(ts),
        kind=kind,  # type: ignore[arg-type]
        target=Target(type="content", id=f"v{i}"),
        policy_area="hate",
        rule=RuleRef(id="hate.model_remove", version=1),
        outcome="remove" if kind == "action" else "reinstate",
        mode="enforce",
        pack_hash="sha256:0",
        evidence={},
        source_event_ids=[],
        window="lifetime",
        creator_id="u1",
        region=region,
        reverses=f"d{i}" if kind == "reversal" else None,
    )


def action(i: int, ts: int, region: str = "US", model: str = "m@1") -> RuleFact:
    return RuleFact(ACTION, "hate.model_remove", ts, decision(i, ts, region), model)


def one(state: RuleState, fact: RuleFact, limits: Breaker = CAP) -> breaker.Decided:
    """Apply a fact that is decided at once (in event-time order, as in replay)."""
    (decided,) = breaker.apply(state, fact, limits)
    assert decided.fact is fact
    return decided


def feed(
    facts: list[RuleFact], limits: Breaker = CAP, state: RuleState | None = None
) -> tuple[RuleState, set[str], list[tuple[int, str, str, str]]]:
    """The state, the held decision ids and the breaker's changes."""
    state = state or RuleState()
    held = set()
    for f in facts:
        for v in breaker.apply(state, f, limits):
            if v.held and v.fact.decision is not None:
                held.add(v.fact.decision.id)
    return state, held, list(state.changes)


def burst(n: int, start: int, every: int) -> list[RuleFact]:
    return [action(i, start + i * every) for i in range(n)]


def test_a_cap_trips_at_the_close_of_the_minute_that_passed_it() -> None:
    # one action every 10 s: the 21st, in minute 3, passes the cap of 20
    state, held, changes = feed(burst(60, T0, 10_000))
    assert changes[0] == (T0 + 4 * MINUTE + breaker.GRACE, "held", "cap", "")
    trip = changes[0][0]
    assert held == {f"d{i}" for i in range(60) if T0 + i * 10_000 >= trip}
    assert state.mode == "held" and state.counts == (60 - len(held), len(held), 1)


def test_a_region_cap_trips_on_that_region_alone() -> None:
    limits = Breaker(per_region={"DE": 5}, spike=False)
    facts = [action(i, T0 + i * 10_000, "DE" if i % 2 else "US") for i in range(40)]
    _, held, changes = feed(facts, limits)
    assert changes[0][1:3] == ("held", "cap:DE")
    assert held  # every region's actions are held once it trips: the rule misfires


def test_a_steady_rule_never_trips_on_its_own_rate() -> None:
    limits = Breaker(spike=True)
    facts = [action(i, T0 + i * 20_000) for i in range(3 * 24 * 180)]  # 3/minute for 3 days
    state, held, changes = feed(facts, limits)
    assert changes == [] and held == set() and state.normal_hour() > 100


def test_a_spike_over_the_rule_s_own_rate_trips_within_minutes() -> None:
    limits = Breaker(spike=True)
    quiet = [action(i, T0 + i * 10 * MINUTE) for i in range(6 * 24)]  # 6 an hour for a day
    start = T0 + 24 * HOUR
    misfire = [action(10_000 + i, start + i * 3_000, model="m@2") for i in range(400)]
    state, held, changes = feed(quiet + misfire, limits)
    at, mode, reason, _ = changes[0]
    assert (mode, reason) == ("held", "spike")
    assert at - start <= 3 * MINUTE
    assert len(held) >= 300
    assert next(iter(state.models_hour(state.wm))) == "m@2"  # the release behind it first


def test_a_quiet_period_resets_it_dated_when_the_quiet_period_ended() -> None:
    limits = Breaker(max_per_hour=20, spike=False, quiet_period=2 * HOUR)
    facts = burst(60, T0, 10_000)
    later = T0 + 5 * HOUR
    state, held, changes = feed([*facts, action(999, later)], limits)
    hot = changes[0][0]  # the cap held at every minute that had counts until the hour emptied
    assert [c[1:3] for c in changes] == [("held", "cap"), ("automatic", "quiet_period")]
    assert changes[1][0] > hot and state.mode == "automatic"
    assert "d999" not in held  # the action that came after the quiet period is enforced


def test_a_reset_by_command_switches_back_from_the_rule_s_clock_and_counts_afresh() -> None:
    state, _, _ = feed(burst(60, T0, 10_000))
    clock = state.wm
    v = one(state, RuleFact(RESET, "hate.model_remove", 0, None, "", "model rolled back", "ana"))
    assert [c.at for c in v.changes] == [clock]
    assert state.changes[-1] == (clock, "automatic", "reset: model rolled back", "ana")
    assert state.hour(clock) == 0
    v = one(state, action(100, clock + 1_000))
    assert v.go and not v.held


def test_a_trip_by_command_holds_every_later_action_until_a_reset_whatever_the_counts() -> None:
    limits = Breaker(max_per_hour=20, spike=False, quiet_period=2 * HOUR)
    state, held, _ = feed(burst(5, T0, 60_000), limits)  # well under the cap: automatic
    assert not held and state.mode == "automatic"
    trip = RuleFact(TRIP, "hate.model_remove", 0, None, "", "model looks off", "ana")
    v = one(state, trip, limits)
    assert [(c.at, c.tripped) for c in v.changes] == [(state.wm, True)]
    assert state.changes[-1] == (state.wm, "held", "manual: model looks off", "ana")
    assert state.counts[2] == 1  # a trip like any other
    # a quiet rule stays held past its quiet period: a person tripped it, a person resets it
    later = T0 + 6 * HOUR
    state2, held2, _ = feed([action(50, later)], limits, state)
    assert "d50" in held2 and state2.mode == "held"
    assert not list(breaker.apply(state2, trip, limits))  # tripped already: nothing to do
    one(state2, RuleFact(RESET, "hate.model_remove", 0, None, "", "looked", "ben"), limits)
    assert state2.mode == "automatic" and state2.changes[-1][2:] == ("reset: looked", "ben")


def test_a_command_to_a_rule_that_never_acted_is_dated_when_it_was_given() -> None:
    state = RuleState()
    one(state, RuleFact(TRIP, "hate.model_remove", T0, None, "", "pre-emptive", "ana"))
    assert state.changes == [(T0, "held", "manual: pre-emptive", "ana")]


def test_a_reversal_of_a_held_action_undoes_nothing_and_one_of_an_enforced_goes_out() -> None:
    state, held, changes = feed(burst(60, T0, 10_000))
    trip = changes[0][0]
    first_held = min(held, key=lambda d: int(d[1:]))
    for i, expected in ((0, True), (int(first_held[1:]), False)):
        ts = trip + HOUR
        fact = RuleFact(REVERSAL, "hate.model_remove", ts, decision(i, ts, kind="reversal"))
        assert one(state, fact).go is expected


def test_a_redelivered_action_is_neither_counted_nor_decided_again() -> None:
    state, _, _ = feed(burst(5, T0, 10_000))
    assert list(breaker.apply(state, action(3, T0 + 30_000), CAP)) == []
    assert state.hour(state.wm) == 5


def test_the_state_survives_its_encoding() -> None:
    state, _, _ = feed(burst(60, T0, 10_000), Breaker(max_per_hour=20, spike=True))
    again = RuleState.decode(state.encode())
    assert again.encode() == state.encode()
    assert (again.mode, again.changes, again.counts) == (state.mode, state.changes, state.counts)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    skew=st.integers(0, breaker.GRACE // 1000),
    cap=st.integers(5, 40),
)
def test_what_it_holds_and_when_it_trips_do_not_depend_on_arrival_order(
    seed: int, skew: int, cap: int
) -> None:
    """Facts arrive out of event-time order by less than the grace (content partitions on
    their way to the rule's partition): the same trip, the same actions held."""
    limits = Breaker(max_per_hour=cap, spike=True, quiet_period=HOUR)
    rng = random.Random(seed)
    facts = burst(50, T0, 7_000) + burst(30, T0 + 3 * HOUR, 5_000)
    facts = [action(i, f.ts) for i, f in enumerate(facts)]
    _, held, changes = feed(facts, limits)
    shuffled = sorted(facts, key=lambda f: f.ts + rng.randint(0, skew * 1000))
    _, held2, changes2 = feed(shuffled, limits)
    assert (held2, changes2) == (held, changes)


def test_an_action_waits_until_the_clocks_pass_it_and_is_then_decided_in_order() -> None:
    state = RuleState()
    early, late = action(1, T0 + 30_000), action(2, T0 + 10_000)
    assert list(breaker.apply(state, early, CAP, settled=T0)) == []  # the clocks are behind
    assert [p.decision.id for p in state.pending if p.decision] == ["d1"]
    # a lagging partition's older action comes; the clocks pass both: oldest first
    decided = list(breaker.apply(state, late, CAP, settled=T0 + 40_000))
    assert [(v.fact.decision.id, v.go) for v in decided if v.fact.decision] == [
        ("d2", True),
        ("d1", True),
    ]
    assert state.pending == []


def test_an_action_waits_for_the_clocks_however_far_the_rule_s_own_clock_ran_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A backlog's partitions drain hours of event time apart: what waits is decided by the
    clocks alone, and only a state past PENDING_CAP decides its oldest without them."""
    state = RuleState()
    assert list(breaker.apply(state, action(1, T0), CAP, settled=0)) == []
    later = action(2, T0 + 6 * HOUR)  # another partition, hours ahead
    assert list(breaker.apply(state, later, CAP, settled=0)) == []
    assert [p.decision.id for p in state.pending if p.decision] == ["d1", "d2"]
    monkeypatch.setattr(breaker, "PENDING_CAP", 2)
    decided = list(breaker.apply(state, action(3, T0 + 7 * HOUR), CAP, settled=0))
    assert [v.fact.decision.id for v in decided if v.fact.decision] == ["d1"]
    assert [p.decision.id for p in state.pending if p.decision] == ["d2", "d3"]


def test_a_reversal_of_a_waiting_action_is_decided_right_after_it() -> None:
    state = RuleState()
    assert list(breaker.apply(state, action(1, T0 + 5_000), CAP, settled=T0)) == []
    undo = RuleFact(REVERSAL, "hate.model_remove", T0, decision(1, T0, kind="reversal"))
    assert list(breaker.apply(state, undo, CAP, settled=T0)) == []  # its action waits
    decided = list(breaker.release(state, CAP, None))
    assert [(v.fact.kind, v.go) for v in decided] == [(ACTION, True), (REVERSAL, True)]
    # one that comes later than the rule's clock goes out with its action all the same
    assert list(breaker.apply(state, action(2, T0 + 5_000), CAP, settled=T0)) == []
    later = RuleFact(
        REVERSAL, "hate.model_remove", T0 + HOUR, decision(2, T0 + HOUR, kind="reversal")
    )
    assert list(breaker.apply(state, later, CAP, settled=T0)) == []
    decided = list(breaker.release(state, CAP, T0 + 6_000))
    assert [(v.fact.kind, v.go) for v in decided] == [(ACTION, True), (REVERSAL, True)]


def test_waiting_actions_survive_the_encoding_and_a_version_1_state_is_read() -> None:
    state = RuleState()
    list(breaker.apply(state, action(1, T0 + 5_000), CAP, settled=T0))
    again = RuleState.decode(state.encode())
    assert [p.fields() for p in again.pending] == [p.fields() for p in state.pending]
    v1 = RuleState.decode(
        b'[1,1,"hate.model_remove","automatic",[],0,[],{},null,-1,-1,{},[],[],[],[0,0,0],0.0]'
    )
    assert v1.pending == [] and v1.rule_id == "hate.model_remove"


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lags=st.lists(st.integers(0, 8 * MINUTE), min_size=2, max_size=4),
    cap=st.integers(5, 40),
)
def test_partitions_minutes_apart_decide_as_one_stream_when_the_clocks_settle_it(
    seed: int, lags: list[int], cap: int
) -> None:
    """Each content partition sends its facts in event-time order followed by its clock, but
    the partitions drain minutes of event time apart: with the clocks, the
    same trips and the same actions held as one in-order stream."""
    limits = Breaker(max_per_hour=cap, spike=True, quiet_period=HOUR)
    rng = random.Random(seed)
    facts = [action(i, T0 + i * 4_000) for i in range(120)]
    facts += [action(1000 + i, T0 + 3 * HOUR + i * 3_000) for i in range(60)]
    _, held, changes = feed(facts, limits)

    parts = [[f for f in facts if hash(f.decision.id) % len(lags) == p] for p in range(len(lags))]
    # arrival: by each fact's time plus its partition's lag, jittered
    order = sorted(
        ((f.ts + lags[p] + rng.randint(0, 1_000), p, f) for p, fs in enumerate(parts) for f in fs),
        key=lambda x: (x[0], x[1], x[2].ts),
    )
    clocks = [0] * len(lags)
    state, held2 = RuleState(), set()
    for _, p, f in order:
        clocks[p] = max(clocks[p], f.ts)  # the clock goes after the partition's fact
        for v in breaker.apply(state, f, limits, settled=min(clocks)):
            if v.held:
                held2.add(v.fact.decision.id)
    for v in breaker.release(state, limits, None):
        if v.held:
            held2.add(v.fact.decision.id)
    assert (held2, list(state.changes)) == (held, changes)


def test_a_silent_held_rule_switches_back_as_the_clocks_pass_its_quiet_period() -> None:
    limits = Breaker(max_per_hour=20, spike=False, quiet_period=2 * HOUR)
    state, _, changes = feed(burst(60, T0, 10_000), limits)
    assert state.mode == "held"
    breaker.advance(state, limits, state.wm + HOUR)  # periods close; not quiet long enough
    assert state.mode == "held" and state.changes == changes
    statuses = breaker.advance(state, limits, T0 + 5 * HOUR)
    assert state.mode == "automatic" and state.changes[-1][1:3] == ("automatic", "quiet_period")
    ended = state.changes[-1][0]
    assert ended == state.hot_at + 2 * HOUR and ended in [c.at for c in statuses]
    # the same date as a fact after the quiet period would have found
    again, _, _ = feed([*burst(60, T0, 10_000), action(999, T0 + 5 * HOUR)], limits)
    assert again.changes[-1] == state.changes[-1]
    assert breaker.advance(state, limits, T0 + 6 * HOUR) == []  # automatic: nothing to do


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 6 * HOUR), max_size=12))
def test_when_the_clocks_are_read_does_not_change_when_a_held_rule_switches_back(
    reads: list[int],
) -> None:
    """Replay reads the clocks as the day goes on, a worker at its sweep: the same changes."""
    limits = Breaker(max_per_hour=20, spike=True, quiet_period=2 * HOUR)
    once, _, _ = feed(burst(60, T0, 10_000), limits)
    often, _, _ = feed(burst(60, T0, 10_000), limits)
    for at in sorted(reads):
        breaker.advance(often, limits, once.wm + at)
    breaker.advance(once, limits, once.wm + 6 * HOUR)
    breaker.advance(often, limits, once.wm + 6 * HOUR)
    assert often.changes == once.changes and once.mode == "automatic"
