"""The worker's sweep: state past its event-time TTL leaves the tables, and trend incidents
whose keys fell silent are resolved.

It runs on a timer (`VIGIL_SWEEP_SECONDS`), outside any batch, at the worker's watermark.
"""

import asyncio
from typing import TYPE_CHECKING, Any

import structlog

from signals.content import ContentState
from signals.creator import CreatorState
from signals.engine import Emit
from signals.sweeping import EXPIRED, KEEP
from signals.trend import TrendState
from stream import metrics
from stream.topics import CREATOR_FACTS, TREND_FACTS
from stream.worker.outbox import Outbox, partition_for
from stream.worker.tables import Where, Written, entries, getter, stored, write_direct

if TYPE_CHECKING:
    from stream.worker.runtime import Runtime

log = structlog.get_logger("vigil.worker")
YIELD_EVERY = 5000  # entries between yields to the event loop: a large table stays responsive


async def sweep(rt: "Runtime") -> None:
    """Drop keys whose event-time TTL has passed at the worker's watermark; note the keys
    whose rules wait for their region (the index is in memory, the mark in the state)."""
    now = rt.watermark
    if not now:
        return
    s = rt.settings
    for family, table, kind, source in (
        ("content", rt.content, ContentState, s.topic("uploads")),
        ("creator", rt.creators, CreatorState, s.topic(CREATOR_FACTS)),
        ("trend", rt.trends, TrendState, s.topic(TREND_FACTS)),
    ):
        expired: list[tuple[bytes, bytes]] = []
        quiet: list[tuple[bytes, bytes, Any, list[Emit]]] = []
        triage, decode_state = kind.triage, kind.decode
        for i, (k, v) in enumerate(entries(table)):
            if i % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # stay responsive on large tables
            if not v:
                continue
            what = triage(v, now)  # from the bytes: most states are never decoded
            if what == KEEP:
                continue
            if what == EXPIRED:
                expired.append((k, v))
                continue
            st = decode_state(v)
            if st.expired(now):
                expired.append((k, v))
            elif (
                not isinstance(st, TrendState)
                and not st.region
                and (deadline := rt.engine.hold_deadline(st))
            ):  # after a restart, too
                rt.holds[family].hold(partition_for(k, s.partitions), k.decode(), deadline)
            elif isinstance(st, TrendState) and st.incident and st.incident[3]:
                emits = rt.engine.resolve_silent(st, now)
                if emits:
                    quiet.append((k, v, st, emits))
        # a key that went silent is back to baseline: its state is stored before the await,
        # so that a batch for it meanwhile builds on the resolved state and is not overwritten
        # by it afterwards; expired keys go, as tombstones, through the same publish. A key a
        # batch changed while the sweep yielded is left alone: it is not silent, or not
        # expired, any more (the next sweep looks again)
        box, emits = Outbox(rt.limits), []
        written: Written = {}
        now_stored = getter(table)
        for k, seen, st, resolved in quiet:
            if now_stored(k) != seen:
                continue
            written |= write_direct(table, box, k, stored(st.encode()), _where(rt, source, k))
            rt.caches[family].drop(k)
            emits += resolved
        gone = [k for k, seen in expired if now_stored(k) == seen]
        for k in gone:
            written |= write_direct(table, box, k, None, _where(rt, source, k))
            rt.caches[family].drop(k)
        if len(box) or emits:
            await rt.publish(box, emits, written)
        if gone:
            metrics.SWEPT.labels(family=family).inc(len(gone))
            log.info("state_expired", family=family, keys=len(gone))


def _where(rt: "Runtime", source: str, key: bytes) -> Where:
    """The partition a key's changes belong to: the one Kafka's default partitioner chose for
    it on its source topic."""
    return Where(source, partition_for(key, rt.settings.partitions))
