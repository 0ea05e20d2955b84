"""Review items meet the human outcomes that clear them, in whatever order Kafka delivers them,
and the queue family counts the same queue either way."""

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.inputs import Review
from signals.eventtime import MINUTE, parse_ts
from signals.queues import QueueState
from signals.reviewitems import (
    HELD,
    ITEM,
    OUTCOME,
    QA,
    ROUTED,
    ItemFact,
    ItemsState,
    QueueFact,
    clears,
    content_key,
    outcome_facts,
)

T0 = parse_ts("2026-11-20T10:00:00Z")
KEY = content_key("v1")


def item(iid: str, at: int, sort: str = ROUTED, area: str = "hate", ref: str = "") -> ItemFact:
    queue = {ROUTED: "hate-speech", HELD: "held-by-breaker", QA: "qa-sample"}[sort]
    return ItemFact(ITEM, KEY, T0 + at, iid, queue, area, 2, T0 + at + 60 * MINUTE, ref, sort)


def outcome(eid: str, at: int, kind: str = "review", area: str = "", ref: str = "") -> ItemFact:
    return ItemFact(OUTCOME, KEY, T0 + at, eid, kind, area, ref=ref)


def fold(facts: list[ItemFact]) -> tuple[ItemsState, list[QueueFact]]:
    st = ItemsState()
    out: list[QueueFact] = []
    for f in facts:
        out += st.apply(f)
    return st, out


def test_a_review_clears_the_routed_and_held_items_of_its_area_not_the_qa_ones() -> None:
    st, out = fold(
        [
            item("r", 0),
            item("h", 0, HELD, ref="act-1"),
            item("q", 0, QA, ref="act-2"),
            item("s", 0, area="spam"),
            outcome("e1", MINUTE, area="hate"),
        ]
    )
    assert sorted(f.id for f in out if f.kind == "out") == ["h:out", "r:out"]
    assert sorted(i[0] for i in st.items) == ["q", "s"]
    # a qa review clears the QA item of the action it names; an appeal clears nothing
    _, more = fold([item("q", 0, QA, ref="act-2"), outcome("a", MINUTE, "appeal")])
    assert [f.kind for f in more] == ["in"]
    _, more = fold([item("q", 0, QA, ref="act-2"), outcome("e2", MINUTE, QA, ref="act-2")])
    assert [f.kind for f in more] == ["in", "out"]


def test_a_review_naming_an_action_clears_that_item_alone() -> None:
    held = item("h", 0, HELD, ref="act-1")
    assert clears(("e", T0 + 1, "review", "", "act-1"), _open(held))  # the would-be action
    assert clears(("e", T0 + 1, "review", "", "h"), _open(held))  # or the item itself
    assert not clears(("e", T0 + 1, "review", "", "act-9"), _open(held))
    assert not clears(("e", T0 - 1, "review", "", ""), _open(held))  # before it entered


def _open(f: ItemFact) -> tuple[str, str, int, str, int, int, str, str]:
    return (f.id, f.queue, f.ts, f.area, f.priority, f.due, f.ref, f.sort)


def test_an_outcome_before_its_item_clears_it_as_it_comes_and_redelivery_changes_nothing() -> None:
    st, out = fold(
        [outcome("e1", 30 * MINUTE), item("r", 0), item("r", 0), outcome("e1", 30 * MINUTE)]
    )
    assert [(f.kind, f.ts - T0) for f in out] == [("in", 0), ("out", 30 * MINUTE)]
    assert st.items == []
    again = ItemsState.decode(st.encode())
    assert again.apply(item("r", 0)) == []  # still known as cleared after a restart


def test_a_review_of_a_video_goes_to_its_key_and_to_the_item_it_names() -> None:
    r = Review(
        event_id="e", ts="2026-11-20T10:00:00Z", content_id="v1", kind="review",
        outcome="not_violating", reviewer="r1", action_id="a1", policy_area="hate",
    )  # fmt: skip
    assert [f.key for f in outcome_facts(r, T0)] == ["content:v1", "item:a1"]
    appeal = Review(
        event_id="e", ts="2026-11-20T10:00:00Z", content_id="v1", kind="appeal",
        outcome="overturned", reviewer="r1",
    )  # fmt: skip
    assert outcome_facts(appeal, T0) == []


FACTS = st.lists(
    st.one_of(
        st.builds(
            item,
            st.sampled_from(["a", "b", "c", "d"]),
            st.integers(0, 600).map(lambda m: m * MINUTE),
            st.sampled_from([ROUTED, HELD, QA]),
            st.sampled_from(["hate", "spam"]),
            st.sampled_from(["", "act-1"]),
        ),
        st.builds(
            outcome,
            st.sampled_from(["e1", "e2", "e3", "e4", "e5"]),
            st.integers(0, 600).map(lambda m: m * MINUTE),
            st.sampled_from(["review", "qa", "appeal"]),
            st.sampled_from(["", "hate", "spam"]),
            st.sampled_from(["", "a", "act-1"]),
        ),
    ),
    max_size=14,
    unique_by=lambda f: f.id,  # one fact per item and per outcome: their ids are unique
)


def queue_of(facts: list[QueueFact]) -> dict[str, tuple[object, ...]]:
    queues: dict[str, QueueState] = {}
    for f in facts:
        queues.setdefault(f.queue, QueueState(f.queue)).apply(f)
    return {n: (q.waiting, {h: c for h, c in q.hours.items() if any(c)}) for n, q in queues.items()}


@settings(max_examples=300)
@given(FACTS, st.randoms(use_true_random=False))
def test_any_arrival_order_counts_the_same_queues(facts: list[ItemFact], rnd: object) -> None:
    in_time = sorted(facts, key=lambda f: (f.ts, f.kind != ITEM, f.id))
    shuffled = list(facts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a, b = fold(in_time), fold(shuffled)
    assert sorted(i[0] for i in a[0].items) == sorted(i[0] for i in b[0].items)
    assert queue_of(a[1]) == queue_of(b[1])
