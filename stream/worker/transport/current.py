"""Faust's current stream event, stood in for: its tables read a change's partition from it.

Faust's tables and stores find the partition a change belongs to in the current event
(`faust.streams.current_event().message`), which only a record that went through an agent's
stream sets. The worker's batches bypass that path (stream/worker/transport/fetch.py), so
they set a stand-in of their own around each change.
"""

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from faust.streams import _current_event


class _Current:
    """Stands in for Faust's current stream event: its tables and stores read the partition a
    change belongs to from `current_event().message`."""

    __slots__ = ("__weakref__", "message")

    def __init__(self, message: Any) -> None:
        self.message = message


@contextmanager
def belonging_to(message: Any) -> Iterator[_Current]:
    """Table changes made inside belong to this record's (or a Where's) partition; point the
    yielded stand-in's `message` at another record to move on without a new context."""
    current = _Current(message)
    token = _current_event.set(weakref.ref(current))  # type: ignore[arg-type]
    try:
        yield current
    finally:
        _current_event.reset(token)
