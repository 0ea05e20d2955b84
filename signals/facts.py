"""How facts travel from the content stage to the creator and trend families: packed.

A fact is an array of its fields (`CreatorFact.fields`, `TrendFact.fields`). A worker sends one
batch's facts for one partition of a re-keying topic as a few records, each a versioned
`records.FactsV1` of up to PACK_LIMIT facts, in the order the batch produced them. One record
per fact cost the producer and the consumer their per-record work (framing, a record object, a
decode call) for about 1.8 facts per input event; packed, a batch of thousands of events
forwards a handful of records per partition.

Records written before facts were versioned (a bare array of facts, or one fact alone) are
still read, so a topic may hold both during a deploy.
"""

from typing import Any, TypeVar

import msgspec

from signals import records

T = TypeVar("T")

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
    data = records.encode(records.FactsV1(facts))
    if len(data) <= PACK_BYTES or len(facts) == 1:
        out.append(data)
        return
    half = len(facts) // 2
    _bounded(facts[:half], out)
    _bounded(facts[half:], out)


def unpack(data: bytes, decoder: "msgspec.json.Decoder[records.FactsV1[T]]") -> list[T]:
    """The facts a record carries, typed by the family's decoder (records.CREATOR_FACT_PACK,
    records.TREND_FACT_PACK); UnknownEncoding if they do not fit it."""
    if data[:2] == b"[[":  # written before facts were versioned: a bare array of facts
        data = b"[1," + data + b"]"
    elif data[:2] == b'["':  # ... and before they were packed: one fact
        data = b"[1,[" + data + b"]]"
    rec: records.FactsV1[T] = records.decode("fact record", decoder, data)
    return rec.facts
