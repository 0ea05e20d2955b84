"""Triage of review items: harm and reach set the priority, waiting runs through the due time."""

from hypothesis import given
from hypothesis import strategies as st

from signals import triage
from signals.eventtime import HOUR
from signals.policy.model import ReviewQueue, ReviewTraffic

TRAFFIC = ReviewTraffic(
    area_priority={"child_safety": 1, "hate": 2, "spam": 5},
    reach_step=10,
    queues={"hate-speech": ReviewQueue(60, 10 * HOUR)},
)


def test_the_more_urgent_of_the_rule_and_the_area_sets_the_priority() -> None:
    assert triage.priority(3, "hate", 0, TRAFFIC) == 2  # the area is more urgent
    assert triage.priority(1, "spam", 0, TRAFFIC) == 1  # the rule is
    assert triage.priority(None, "spam", 0, TRAFFIC) == 5
    assert triage.priority(None, "regulated_goods", 0, TRAFFIC) == 5  # an area not named


def test_each_tenfold_of_reach_is_one_step_more_urgent() -> None:
    assert [triage.priority(None, "spam", r, TRAFFIC) for r in (0, 9, 10, 99, 100, 10**6)] == [
        5, 5, 4, 4, 3, 1,
    ]  # fmt: skip
    assert triage.priority(None, "child_safety", 10**6, TRAFFIC) == 1  # never past 1


@given(
    st.integers(1, 5) | st.none(),
    st.sampled_from(["hate", "spam", "self_harm"]),
    st.integers(0, 10**7),
)
def test_priority_is_in_range_and_reach_only_raises_it(
    rule: int | None, area: str, reach: int
) -> None:
    p = triage.priority(rule, area, reach, TRAFFIC)
    assert 1 <= p <= 5
    assert p <= triage.priority(rule, area, 0, TRAFFIC)
    assert triage.priority(rule, area, reach * 10, TRAFFIC) <= p


def test_an_item_is_due_its_priority_s_share_of_the_service_level() -> None:
    q = TRAFFIC.queue("hate-speech")
    assert triage.due(0, 5, q) == 10 * HOUR
    assert triage.due(0, 1, q) == 2 * HOUR
    t = triage.triage(3, "hate", 12, 1000, "hate-speech", TRAFFIC)
    assert (t.priority, t.due) == (1, 1000 + 2 * HOUR)
    assert t.evidence == {
        "priority": 1, "rule_priority": 3, "area_priority": 2, "reach": 12,
        "due": "1970-01-01T02:00:01Z",
    }  # fmt: skip


@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 10 * HOUR))
def test_waiting_ages_an_item_one_step_per_fifth_of_the_service_level(
    a: int, b: int, waited: int
) -> None:
    # earliest due first: an item that has waited w ranks as a fresh one w / (service level
    # / 5) steps more urgent, so a low priority is served at last, never starved
    q = TRAFFIC.queue("hate-speech")
    old, new = triage.due(0, a, q), triage.due(waited, b, q)
    steps = waited / (q.service_level / 5)
    assert (old < new) == (a < b + steps) or abs(a - b - steps) < 1e-9
