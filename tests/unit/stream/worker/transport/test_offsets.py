"""Faust's commit bookkeeping survives duplicate acknowledgements
(stream/worker/transport/offsets.py)."""

from collections import defaultdict
from typing import Any

from faust.transport.consumer import Consumer

from stream.worker.transport import Consumer as VigilConsumer
from stream.worker.transport import offsets


class Books:
    """Just the attributes Consumer._new_offset reads and writes."""

    def __init__(self, acked: list[int], committed: int | None) -> None:
        self._acked: dict[str, list[int]] = {"tp": acked}
        self._committed_offset: dict[str, int | None] = {"tp": committed}
        self._acked_index: dict[str, set[int]] = defaultdict(set, {"tp": set(acked)})
        self._gap: dict[str, Any] = defaultdict(_NoGap)


class _NoGap:
    def __bool__(self) -> bool:
        return False


def commits(books: Books, rounds: int) -> list[int | None]:
    """Commit rounds as vigil's transport's consumer makes them."""
    out = []
    for _ in range(rounds):
        # vigil's Consumer._new_offset, on Faust's method (books stand in for the consumer)
        offset = offsets.new_offset(books, "tp", lambda tp: Consumer._new_offset(books, tp))  # type: ignore[arg-type]
        if offset is not None:
            books._committed_offset["tp"] = offset
        out.append(offset)
    return out


def test_duplicate_acks_no_longer_hold_commits_to_one_offset_per_round() -> None:
    acked = [o for o in range(100, 110) for _ in range(2)]  # every offset acknowledged twice
    assert commits(Books(acked, 100), 2) == [110, None]


def test_offsets_below_the_commit_are_dropped_and_gaps_still_hold() -> None:
    # 95 was committed long ago; 103 is missing: commit up to it, not past it
    assert commits(Books([95, 100, 101, 102, 104, 105], 100), 1) == [103]


def test_without_the_fix_duplicates_commit_one_offset_at_a_time() -> None:
    """The failure the fix is for, shown on Faust's own method."""
    acked = [o for o in range(100, 110) for _ in range(2)]
    books = Books(acked, 100)
    assert [Consumer._new_offset(books, "tp") for _ in range(2)] == [101, 102]  # type: ignore[arg-type]


def test_faust_stays_unpatched_for_any_other_app() -> None:
    """vigil's fix lives in its own consumer class: Faust's is left as it was."""
    assert Consumer._new_offset is not VigilConsumer._new_offset
    assert offsets.drop_duplicates.__module__ == "stream.worker.transport.offsets"
