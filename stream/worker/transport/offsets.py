"""A fix for Faust's offset bookkeeping: duplicate acknowledgements that froze commits.

Faust commits a partition up to the first run of consecutive acknowledged offsets. When an
offset is acknowledged twice (a record delivered again around a recovery seek, after a commit
had already cleared it from Faust's index but before the committed offset moved), the list of
acknowledged offsets holds duplicates. Its run-finder then stops at each duplicate, so every
commit advances by a single offset: a worker that has processed everything commits one message
per interval, and a restart re-reads nearly all of it. vigil's SIGKILL fault test hit this in
about one run in three (committed offsets crawling at +1 per 2.8 s while the worker was idle).

The fix drops duplicates and offsets already committed before Faust looks for the run.

Upstream, faust-streaming #312 (a gap at the head of the acknowledged offsets committed the
wrong offset; fixed by #313 in 0.8.5) and #606 (since #378's change in 0.9.0, an agent with
concurrency can commit past a message still being processed, losing it on a restart; open
pull request #707) are neighbouring bugs in the same `Consumer._new_offset`. #606 cannot
reach vigil: its fetch loop (stream/worker/transport/fetch.py) has one poll's publish in
flight at a time and acknowledges a partition's offsets only once their publish is done, so
a partition's offsets are acknowledged in offset order and none is acknowledged while an
older one of its partition is still being processed.
"""

from collections.abc import Callable
from typing import Any


def drop_duplicates(consumer: Any, tp: Any) -> None:
    """Before Faust's run-finder reads a partition's acknowledged offsets: each once, none
    already committed, in order."""
    acked = consumer._acked[tp]  # noqa: SLF001
    if acked:
        committed = consumer._committed_offset[tp]  # noqa: SLF001
        acked[:] = sorted({o for o in acked if committed is None or o >= committed})


def new_offset(consumer: Any, tp: Any, faust_new_offset: Callable[[Any], int | None]) -> int | None:
    """Faust's `Consumer._new_offset` for tp, on deduplicated bookkeeping."""
    drop_duplicates(consumer, tp)
    return faust_new_offset(tp)
