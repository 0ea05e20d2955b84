"""A review queue's depth, oldest wait, past due and overflow, read off its items' entries and
exits against its capacity and service level."""

from signals.eventtime import DAY, HOUR, MINUTE, parse_ts
from signals.policy.model import ReviewQueue
from signals.queues import BUCKET, QueueState
from signals.reviewitems import TTL, QueueFact

T0 = parse_ts("2026-11-20T10:00:00Z")
QUEUE = ReviewQueue(capacity_per_hour=10, service_level=5 * HOUR)


def entry(i: int, at: int, prio: int = 3) -> QueueFact:
    return QueueFact(f"{i}:in", "hate", "in", T0 + at, prio, T0 + at + HOUR * prio, T0 + at)


def exit_(i: int, at: int, cleared: int, prio: int = 3) -> QueueFact:
    return QueueFact(f"{i}:out", "hate", "out", T0 + at, prio, T0 + at + HOUR * prio, T0 + cleared)


def queue(*facts: QueueFact) -> QueueState:
    q = QueueState("hate")
    for f in facts:
        assert q.apply(f)
    return q


def test_depth_by_priority_and_the_oldest_wait() -> None:
    q = queue(entry(1, 0, 1), entry(2, 10 * MINUTE), entry(3, 20 * MINUTE, 5), exit_(1, 0, HOUR, 1))
    s = q.status(T0 + 2 * HOUR, QUEUE)
    assert (s.depth, s.by_priority) == (2, {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1})
    assert s.oldest_entered == "2026-11-20T10:10:00Z"
    assert s.oldest_wait_seconds == (2 * HOUR - 10 * MINUTE) // 1000
    assert (s.cleared_24h, s.cleared_late_24h, s.entered_24h) == (1, 0, 3)


def test_past_due_counts_the_items_certainly_waiting_past_their_due_time() -> None:
    # priority 1 is due a fifth of the 5h service level after it entered, priority 5 at 5h
    q = queue(entry(1, 0, 1), entry(2, 0, 5))
    assert q.status(T0 + HOUR + BUCKET, QUEUE).past_due == 1
    assert q.status(T0 + 5 * HOUR + BUCKET, QUEUE).past_due == 2
    assert q.status(T0 + HOUR - MINUTE, QUEUE).past_due == 0


def test_overflow_is_what_the_reviewers_cannot_clear_within_the_service_level() -> None:
    q = queue(*(entry(i, i * 1000) for i in range(60)))
    assert q.status(T0 + MINUTE, QUEUE).overflow == 60 - 10 * 5
    assert queue(*(entry(i, 0) for i in range(50))).status(T0, QUEUE).overflow == 0


def test_a_late_exit_counts_and_an_earlier_clearing_moves_it() -> None:
    q = queue(entry(1, 0, 1), exit_(1, 0, 3 * HOUR, 1))  # due after 1h
    assert q.status(T0 + 4 * HOUR, QUEUE).cleared_late_24h == 1
    moved = QueueFact("1:out@x", "hate", "moved", T0, 1, T0 + HOUR, T0 + 30 * MINUTE, T0 + 3 * HOUR)
    q.apply(moved)
    s = q.status(T0 + 4 * HOUR, QUEUE)
    assert (s.cleared_24h, s.cleared_late_24h, s.depth) == (1, 0, 0)


def test_an_item_nobody_cleared_for_the_ttl_leaves_as_expired() -> None:
    alone = queue(entry(1, 0))
    assert (alone.status(T0 + TTL + DAY, QUEUE).depth, alone.expired_items) == (0, 0)
    assert alone.status(T0 + TTL + DAY, QUEUE).expired == 1  # read as gone all the same
    q = queue(entry(1, 0), entry(2, TTL + DAY))
    s = q.status(T0 + TTL + DAY, QUEUE)
    assert (s.depth, s.expired, q.expired_items) == (1, 1, 1)
    assert not q.apply(exit_(1, 0, TTL + DAY))  # its exit changes nothing now


def test_a_queue_restores_from_its_record_and_skips_a_redelivered_record() -> None:
    q = queue(entry(1, 0, 2), entry(2, HOUR), exit_(1, 0, 2 * HOUR, 2))
    assert not q.seen(0, 5)
    again = QueueState.decode(q.encode())
    assert (again.waiting, again.hours, again.wm) == (q.waiting, q.hours, q.wm)
    assert again.seen(0, 5) and again.seen(0, 4) and not again.seen(0, 6)
    assert again.status(T0 + 3 * HOUR, QUEUE) == q.status(T0 + 3 * HOUR, QUEUE)
