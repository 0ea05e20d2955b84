"""How facts travel from the content stage to the creator and trend families: packed.

A fact is an array of its fields (`CreatorFact.fields`, `TrendFact.fields`). A worker sends one
batch's facts for one partition of a re-keying topic as a few records, each a versioned
`records.FactsV1` of up to PACK_LIMIT facts, in the order the batch produced them. One record
per fact cost the producer and the consumer their per-record work (framing, a record object, a
decode call) for about 1.8 facts per input event; packed, a batch of thousands of events
forwards a handful of records per partition.

Trend facts travel with the sender's clocks (a `records.FactsV2` after a batch's facts), a
watermark in the stream as in Flink or Dataflow: a trend key's periods close only once no
fact of theirs can still come from any content partition, whatever order Kafka delivers them
in. A partition with no facts in a batch still gets the clocks now and then, so that its keys
close at the end of a day.

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


Clocks = list[tuple[int, int]]  # [content partition, event time]: see records.FactsV2


def pack(facts: list[list[Any]], clocks: Clocks | None = None) -> list[bytes]:
    """The record values carrying these facts, in order: at most PACK_LIMIT facts and (unless a
    single fact is larger) PACK_BYTES per record; then, with `clocks`, a record of them: sent
    after the facts, it says what no later record of the partition will undercut."""
    out: list[bytes] = []
    for i in range(0, len(facts), PACK_LIMIT):
        _bounded(facts[i : i + PACK_LIMIT], out)
    if clocks is not None:
        out.append(records.encode(records.FactsV2([], clocks)))
    return out


def _bounded(facts: list[list[Any]], out: list[bytes]) -> None:
    data = records.encode(records.FactsV1(facts))
    if len(data) <= PACK_BYTES or len(facts) == 1:
        out.append(data)
        return
    half = len(facts) // 2
    _bounded(facts[:half], out)
    _bounded(facts[half:], out)


Packed = records.FactsV1[T] | records.FactsV2[T]


def unpack(data: bytes, decoder: "msgspec.json.Decoder[Packed[T]]") -> list[T]:
    """The facts a record carries, typed by the family's decoder (records.CREATOR_FACT_PACK,
    records.TREND_FACT_PACK); UnknownEncoding if they do not fit it."""
    return unpack_clocked(data, decoder)[0]


def unpack_clocked(
    data: bytes, decoder: "msgspec.json.Decoder[Packed[T]]"
) -> tuple[list[T], Clocks | None]:
    """The facts a record carries and the sender's clocks (None: a record without them)."""
    if data[:2] == b"[[":  # written before facts were versioned: a bare array of facts
        data = b"[1," + data + b"]"
    elif data[:2] == b'["':  # ... and before they were packed: one fact
        data = b"[1,[" + data + b"]]"
    rec: Packed[T] = records.decode("fact record", decoder, data)
    return rec.facts, rec.clocks if isinstance(rec, records.FactsV2) else None
