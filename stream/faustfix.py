"""A fix for Faust's offset bookkeeping: duplicate acknowledgements that froze commits.

Faust commits a partition up to the first run of consecutive acknowledged offsets. When an
offset is acknowledged twice (a record delivered again around a recovery seek, after a commit
had already cleared it from Faust's index but before the committed offset moved), the list of
acknowledged offsets holds duplicates. Its run-finder then stops at each duplicate, so every
commit advances by a single offset: a worker that has processed everything commits one message
per interval, and a restart re-reads nearly all of it. vigil's SIGKILL fault test hit this in
about one run in three (committed offsets crawling at +1 per 2.8 s while the worker was idle).

The fix drops duplicates and offsets already committed before Faust looks for the run.
"""

from typing import Any

from faust.transport.consumer import Consumer

_original = Consumer._new_offset


def _new_offset(self: Any, tp: Any) -> int | None:
    acked = self._acked[tp]
    if acked:
        committed = self._committed_offset[tp]
        acked[:] = sorted({o for o in acked if committed is None or o >= committed})
    result: int | None = _original(self, tp)
    return result


def install() -> None:
    """Patch Faust's consumer (idempotent)."""
    Consumer._new_offset = _new_offset  # type: ignore[method-assign]
