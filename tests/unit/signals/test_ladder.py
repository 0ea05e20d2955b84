"""The strike ladder: steps worked out from strikes in event time, whatever their arrival."""

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from signals import ladder
from signals.creator import ACTION, REVERSED, CreatorFact, CreatorState
from signals.eventtime import DAY
from signals.policy.model import Step, StrikePolicy
from tests.decisions import ladder_in_force

POLICY = StrikePolicy(
    90 * DAY,
    frozenset({"remove"}),
    {
        "default": (Step(1, "warn"), Step(2, "feature_limit", 7 * DAY), Step(3, "ban_creator")),
        "child_safety": (Step(1, "ban_creator"),),
    },
)


def action(i: int, ts: int, area: str = "hate", outcome: str = "remove") -> CreatorFact:
    return CreatorFact(ACTION, ts, "u1", f"v{i}", f"d{i}", area=area, outcome=outcome)


def reversal(i: int, ts: int, area: str = "hate") -> CreatorFact:
    return CreatorFact(REVERSED, ts, "u1", f"v{i}", f"r{i}", party=f"d{i}", area=area)


def feed(facts: list[CreatorFact]) -> tuple[CreatorState, list[dict[str, object]]]:
    state = CreatorState()
    out = []
    for f in facts:
        if ladder.record(state, f, POLICY):
            out += [msgspec.to_builtins(d) for d in ladder.steps(state, f, POLICY, "sha256:0")]
    return state, out


def test_strikes_climb_the_ladder_and_a_reversal_steps_back() -> None:
    _, out = feed([action(1, 1000), action(2, 2000), reversal(2, 5000)])
    assert [(d["kind"], d["outcome"]) for d in out] == [
        ("action", "warn"),
        ("action", "feature_limit"),
        ("reversal", "reinstate"),
    ]
    assert out[1]["expires"] == "1970-01-08T00:00:02Z"
    assert out[2]["reverses"] == out[1]["id"]
    assert ladder_in_force(out) == {("in_force", "u1", "hate", "warn")}


def test_a_strike_expires_and_a_later_one_starts_a_new_episode() -> None:
    state, out = feed([action(1, 0), action(2, 100 * DAY)])
    assert [d["outcome"] for d in out] == ["warn", "warn"]
    assert out[0]["id"] != out[1]["id"]
    assert ladder.active(state, "hate", 100 * DAY, POLICY.expiry) == [
        (100 * DAY, "hate", "d2", "v2")
    ]


def test_only_actions_the_pack_names_earn_strikes_and_areas_count_apart() -> None:
    _, out = feed([action(1, 0, outcome="label"), action(2, 1, area="child_safety")])
    assert [(d["policy_area"], d["outcome"]) for d in out] == [("child_safety", "ban_creator")]


@given(st.data())
def test_the_steps_in_force_do_not_depend_on_arrival_order(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 6))
    times = data.draw(st.lists(st.integers(0, 200 * DAY), min_size=n, max_size=n))
    reversed_ = data.draw(st.sets(st.integers(0, n - 1)))
    # each video's reversal comes after its action (one content partition), any merge else
    lanes = [
        [action(i, t)] + ([reversal(i, t + DAY)] if i in reversed_ else [])
        for i, t in enumerate(times)
    ]
    in_order = sorted((f for lane in lanes for f in lane), key=lambda f: (f.ts, f.kind))
    merged = []
    while any(lanes):
        lane = data.draw(st.sampled_from([x for x in lanes if x]))
        merged.append(lane.pop(0))
    a, out_a = feed(in_order)
    b, out_b = feed(merged)
    assert sorted(a.strikes) == sorted(b.strikes)
    assert ladder_in_force(out_a) == ladder_in_force(out_b)
    # a redelivered fact changes nothing
    again = [
        msgspec.to_builtins(d)
        for f in merged
        if ladder.record(b, f, POLICY)
        for d in ladder.steps(b, f, POLICY, "x")
    ]
    assert again == []
