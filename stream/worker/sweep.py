"""The worker's sweep: state past its event-time TTL leaves the tables, and trend keys without
newer facts are passed the watermark (periods in grace close, silent incidents resolve).
It runs on a timer (`VIGIL_SWEEP_SECONDS`), outside any batch, at the worker's watermark.

`release_waiting` decides the would-be actions and applies the trend facts that wait for
clocks which will not move while the input is quiet (on its own, shorter timer).
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import structlog

from signals.breaker import RuleState
from signals.engine import Emit, Engine
from signals.sweeping import EXPIRED, KEEP
from signals.trend import TrendState
from stream import metrics
from stream.worker.family import Family
from stream.worker.outbox import Outbox, partition_for
from stream.worker.tables import Where, Written, entries, getter, stored, write_direct

log = structlog.get_logger("vigil.worker")
YIELD_EVERY = 5000  # entries between yields to the event loop: a large table stays responsive


# a batch's publish (Runtime.publish): outputs, changelogs, and the quality and queue facts
Publish = Callable[[Outbox, list[Emit], Written, Sequence[Any]], Awaitable[None]]


async def sweep(
    families: Sequence[Family],
    now: int,
    engine: Engine,
    publish: Publish,
    limits: Mapping[str, int],
    partitions: int,
    trend_clock: int,
) -> None:
    """Drop keys whose event-time TTL has passed at the watermark `now`, pass trend keys the
    watermark (`Engine.on_watermark`), and note the keys whose rules wait for their region
    (the index is in memory, the mark in the state). `trend_clock`: the event time up to which
    the content stage has sent every trend fact (`ContentStage.trend_clock`). `publish` sends
    a sweep's changes and alerts as a batch's are sent (stream/worker/guarantee.py)."""
    if not now:
        return
    for family in families:
        table, cache = family.table, family.cache
        expired: list[tuple[bytes, bytes]] = []
        quiet: list[tuple[bytes, bytes, Any, list[Emit]]] = []
        triage, decode_state = family.state.triage, family.state.decode
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
                family.holds is not None
                and not st.region
                and (deadline := engine.hold_deadline(st))
            ):  # after a restart, too
                family.hold_again(partition_for(k, partitions), k.decode(), deadline)
            elif isinstance(st, RuleState):
                p = partition_for(k, partitions)
                if st.pending:  # after a restart, too
                    family.note_waiting(p, st.rule_id, True)
                elif (settled := family.settled(p)) is not None:
                    # a held rule gone silent: its quiet period may end as the clocks move on
                    emits = engine.advance_rule(st, settled)
                    if emits:
                        quiet.append((k, v, st, emits))
            elif isinstance(st, TrendState):
                # its periods close once no fact of theirs can still come: by the clocks its
                # partition carried (signals.facts), or, from senders of before clocks, at the
                # partition's own clock, no later than this content stage has sent every fact
                p = partition_for(k, partitions)
                family.note_waiting(p, st.table_key, bool(st.waiting))  # after a restart, too
                clock = family.settled(p)
                if clock is None:
                    clock = min(trend_clock, family.clock.get(p, 0))
                waited = len(st.waiting)
                emits = engine.on_watermark(st, now, clock)
                if emits or len(st.waiting) != waited:
                    quiet.append((k, v, st, emits))
        # a key that went silent is back to baseline: its state is stored before the await,
        # so that a batch for it meanwhile builds on the resolved state and is not overwritten
        # by it afterwards; expired keys go, as tombstones, through the same publish. A key a
        # batch changed while the sweep yielded is left alone: it is not silent, or not
        # expired, any more (the next sweep looks again)
        box, alerts = Outbox(limits), []
        written: Written = {}
        now_stored = getter(table)
        for k, seen, st, resolved in quiet:
            if now_stored(k) != seen:
                continue
            where = Where(family.source, partition_for(k, partitions))
            written |= write_direct(table, box, k, stored(st.encode()), where)
            cache.drop(k)
            alerts += resolved
        gone = [k for k, seen in expired if now_stored(k) == seen]
        for k in gone:
            written |= write_direct(
                table, box, k, None, Where(family.source, partition_for(k, partitions))
            )
            cache.drop(k)
        if len(box) or alerts:
            await publish(box, alerts, written, ())
        if gone:
            metrics.SWEPT.labels(family=family.name).inc(len(gone))
            log.info("state_expired", family=family.name, keys=len(gone))


async def release_waiting(
    families: Sequence[Family],
    engine: Engine,
    publish: Publish,
    limits: Mapping[str, int],
    creator_facts: str,
    review_facts: str,
) -> int:
    """Decide every would-be action (signals.breaker) and apply every trend fact
    (signals.trend) still waiting for the content partitions' clocks, as if they had passed
    them: for when the input went quiet, when no clock will move on until traffic comes back.
    What they make goes out as a batch's would: the creator facts of the actions enforced,
    the review items of those held or sampled, alerts, and their quality facts. Returns how
    many actions and facts were waiting."""
    box, emits = Outbox(limits), []
    written: Written = {}
    released = 0
    for family in families:
        now_stored = getter(family.table)
        for partition, keys in sorted(family.waiting.items()):
            for key in sorted(keys):
                k = key.encode()
                seen = now_stored(k)
                keys.discard(key)
                if not seen:
                    continue
                st = family.state.decode(seen)
                if isinstance(st, RuleState):
                    released += len(st.pending)
                    step = engine.release_rule(st, None)
                    emits += step.emits
                    for cf in step.creator_facts:
                        box.add_fact(creator_facts, cf.creator_id.encode(), cf.fields())
                else:  # a trend key
                    released += len(st.waiting)
                    emits += engine.release_trend(st, None)
                where = Where(family.source, partition)
                written |= write_direct(family.table, box, k, stored(st.encode()), where)
                family.cache.drop(k)
    for f in engine.take_item_facts():
        box.add_fact(review_facts, f.key.encode(), list(f.fields()))
    quality = engine.take_quality()
    if len(box) or emits or quality:
        await publish(box, emits, written, quality)
    return released
