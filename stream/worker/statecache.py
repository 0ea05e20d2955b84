"""Decoded states of the keys a worker touched recently, so a hot key is not decoded per batch.

A table holds each key's state encoded (compact, and what the changelog carries). A creator
or a trend key is touched in nearly every batch, and decoding its state each time was about a
tenth of a worker's CPU. This cache keeps the most recently written states as objects, up to
a number of keys per table; the rest are decoded from the table when next touched.

It stays exact by construction: a state enters only when the batch that changed it writes it
back (the store and the cache then agree), any write made elsewhere drops the key, and the
whole cache is dropped when the group rebalances (a partition that leaves this worker may
come back changed) and when a batch fails (its states may be half applied).
"""

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from signals.records import UnknownEncoding
from stream.errors import StateVersionError
from stream.worker.tables import getter


class StateCache:
    """A bounded, least-recently-used map from a table key to its decoded state."""

    def __init__(self, table: Any, decode: Callable[[bytes], Any], capacity: int) -> None:
        self._read = getter(table)
        self._table = str(getattr(table, "name", table))
        self._decode = decode
        self._states: OrderedDict[bytes, Any] = OrderedDict()
        self.capacity = capacity
        self.hits = 0
        self.misses = 0

    def load(self, key: bytes) -> Any | None:
        """The key's state: from the cache, else decoded from the table (None when absent)."""
        states = self._states
        st = states.get(key)
        if st is not None:
            states.move_to_end(key)
            self.hits += 1
            return st
        self.misses += 1
        raw = self._read(key)
        if not raw:
            return None
        try:
            return self._decode(raw)
        except UnknownEncoding as exc:  # never misread: stop, naming the table and key
            raise StateVersionError(f"table {self._table}, key {key!r}: {exc}") from None

    def keep(self, written: dict[bytes, Any]) -> None:
        """Remember states a batch has just written to the table, evicting the oldest."""
        if not self.capacity:
            return
        states = self._states
        states.update(written)
        for key in written:  # update() leaves a known key where it was: mark it recent
            states.move_to_end(key)
        for _ in range(len(states) - self.capacity):
            states.popitem(last=False)

    def drop(self, key: bytes) -> None:
        """Forget one key (its table value was changed outside a batch)."""
        self._states.pop(key, None)

    def clear(self, *_: Any, **__: Any) -> None:
        """Forget every key (a rebalance, or a failed batch). Callable as a Faust signal."""
        self._states.clear()

    def __len__(self) -> int:
        return len(self._states)
