"""What a family's step emits: a record for an output topic."""

from typing import NamedTuple

import msgspec


class Emit(NamedTuple):
    """A record for an output topic (logical name, without prefix), keyed by target id."""

    topic: str
    key: str
    record: msgspec.Struct


__all__ = ["Emit"]
