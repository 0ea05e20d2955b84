"""What a batch function holds while it applies records: the states it touched, and the facts
our own stages packed into a record."""

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from signals.facts import Clocks, Packed, unpack_clocked
from signals.records import UnknownEncoding
from stream.errors import StateVersionError
from stream.worker.transport.fetch import Record

T = TypeVar("T")


class BatchStates:
    """A batch's view of a family's states (signals.stages.States): those the batch touched,
    else the cache or the table; each touched key remembers the record that touched it last,
    whose partition its changelog record goes to (co-partitioned)."""

    def __init__(self, load: Callable[[bytes], Any]) -> None:
        self._load = load
        self.states: dict[bytes, Any] = {}
        self.sources: dict[bytes, Record] = {}
        self.source: Record | None = None  # the record being applied

    def get(self, key: str) -> Any | None:
        bkey = key.encode()
        st = self.states.get(bkey)
        return self._load(bkey) if st is None else st

    def __setitem__(self, key: str, state: Any) -> None:
        bkey = key.encode()
        self.states[bkey] = state
        assert self.source is not None
        self.sources[bkey] = self.source


def facts_of(msg: Record, decoder: "msgspec.json.Decoder[Packed[T]]") -> list[T]:
    """The facts a record of our own content stage carries (clocked_facts_of)."""
    return clocked_facts_of(msg, decoder)[0]


def clocked_facts_of(
    msg: Record, decoder: "msgspec.json.Decoder[Packed[T]]"
) -> tuple[list[T], Clocks | None]:
    """The facts a record of our own content stage carries and its sender's clocks; a record
    of an encoding this build does not read (a newer worker's, during a rollback) stops the
    worker, naming where it is."""
    try:
        return unpack_clocked(msg.value or b"", decoder)
    except UnknownEncoding as exc:
        raise StateVersionError(
            f"topic {msg.topic}, partition {msg.partition}, offset {msg.offset}: {exc}"
        ) from None
