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

PACK_LIMIT = 1000  # facts per record: about 100 KB, well under Kafka's 1 MB message limit


def pack(facts: list[list[Any]]) -> list[bytes]:
    """The record values carrying these facts, in order, at most PACK_LIMIT per record."""
    return [orjson.dumps(facts[i:i + PACK_LIMIT]) for i in range(0, len(facts), PACK_LIMIT)]


def unpack(data: bytes) -> list[list[Any]]:
    """The facts a record carries: a packed array of facts, or a single fact."""
    value = orjson.loads(data)
    if not isinstance(value, list) or not value:
        raise ValueError("a fact record is a non-empty JSON array")
    if isinstance(value[0], list):
        return value
    return [value]
