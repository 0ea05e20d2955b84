"""How facts travel from the content stage to the creator and trend families: packed.

A fact is a JSON array of its fields (`CreatorFact.fields`, `TrendFact.fields`). A worker
sends one batch's facts for one partition of a re-keying topic as a few records, each an
array of up to PACK_LIMIT facts, in the order the batch produced them. One record per fact
cost the producer and the consumer their per-record work (framing, a record object, a
decode call) for about 1.8 facts per input event; packed, a batch of thousands of events
forwards a handful of records per partition. A record holding a single fact (as workers
before packing wrote them) is read as one fact, so a topic may hold both.
"""

from typing import Any

import orjson

PACK_LIMIT = 1000  # facts per record: about 100 KB with typical ids
# ...and bytes per record: with ids at their 128-character limit a thousand facts would reach
# Kafka's default 1 MB message limit, which would stop the stream
PACK_BYTES = 256 * 1024


def pack(facts: list[list[Any]]) -> list[bytes]:
    """The record values carrying these facts, in order: at most PACK_LIMIT facts and (unless a
    single fact is larger) PACK_BYTES per record."""
    out: list[bytes] = []
    for i in range(0, len(facts), PACK_LIMIT):
        _bounded(facts[i : i + PACK_LIMIT], out)
    return out


def _bounded(facts: list[list[Any]], out: list[bytes]) -> None:
    data = orjson.dumps(facts)
    if len(data) <= PACK_BYTES or len(facts) == 1:
        out.append(data)
        return
    half = len(facts) // 2
    _bounded(facts[:half], out)
    _bounded(facts[half:], out)


def unpack(data: bytes) -> list[list[Any]]:
    """The facts a record carries: a packed array of facts, or a single fact."""
    value = orjson.loads(data)
    if not isinstance(value, list) or not value:
        raise ValueError("a fact record is a non-empty JSON array")
    if isinstance(value[0], list):
        return value
    return [value]
