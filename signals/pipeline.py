"""The in-process driver of the engine: decode, route facts between families, keep state in dicts.

Used by `vigil replay`, `vigil demo`, backtests and tests. The Faust worker runs the same
Engine steps, with tables for state and topics between the families.
"""

from collections.abc import Iterator
from typing import Any

from signals.content import ContentState
from signals.creator import UPLOAD, CreatorFact, CreatorState
from signals.deadletter import dead_letter, dead_letter_key
from signals.decode import Rejected, decode
from signals.engine import Emit, Engine
from signals.regionhold import RegionHolds
from signals.trend import TrendState

SILENCE_CHECK_EVERY = 1000  # events between checks for trend keys that went quiet


class LocalPipeline:
    """All three state families in memory, fed one raw input message at a time."""

    def __init__(self, engine: Engine, not_after: int | None = None) -> None:
        self.engine = engine
        self.not_after = not_after  # newest acceptable event time (the driver's clock + skew)
        self.content: dict[str, ContentState] = {}
        self.creators: dict[str, CreatorState] = {}
        self.trends: dict[str, TrendState] = {}
        self.events = 0
        self.dead_letters = 0
        self.watermark = 0
        self.accepted = 0  # valid events: rejected input must not even shift the silence checks
        # rules waiting for a key's region, and how far the region sources have come (one
        # partition here: every upload, every upload fact)
        self.content_holds = RegionHolds()
        self.creator_holds = RegionHolds()
        self.uploads_seen = 0
        self.upload_facts_seen = 0

    def feed(
        self, topic: str, key: bytes | None, raw: bytes, line: int | None = None
    ) -> list[Emit]:
        """Process one input message; return everything it emits, in order."""
        self.events += 1
        try:
            ev = decode(topic, key, raw, not_after=self.not_after, watermark=self.watermark)
        except Rejected as r:
            return [self.reject(topic, key, raw, r.reason, r.detail, line)]
        self.accepted += 1
        if ev.ts > self.watermark:
            self.watermark = ev.ts
        engine = self.engine
        cid = ev.record.content_id
        step = engine.on_content(ev, self.content.get(cid))
        self.content[cid] = step.state
        out = step.emits
        creator_facts = step.creator_facts
        if step.hold:
            self.content_holds.hold(0, cid, step.hold)
        if ev.topic == "uploads" and ev.ts > self.uploads_seen:
            self.uploads_seen = ev.ts
            for held_key in self.content_holds.due(0, ev.ts):
                held = self.content.get(held_key)
                if held is not None:  # else expired meanwhile
                    released = engine.release_content(held_key, held)
                    out.extend(released.emits)
                    creator_facts = [*creator_facts, *released.creator_facts]
        for cf in creator_facts:
            out.extend(self._creator(cf))
        if self.accepted % SILENCE_CHECK_EVERY == 0:
            out.extend(self.resolve_silent())
        for tf in step.trend_facts:
            tkey = tf.table_key
            tstate, emits = engine.on_trend(tf, self.trends.get(tkey))
            if tstate is not None:
                self.trends[tkey] = tstate
            out.extend(emits)
        return out

    def _creator(self, cf: CreatorFact) -> list[Emit]:
        engine = self.engine
        step = engine.on_creator(cf, self.creators.get(cf.creator_id))
        self.creators[cf.creator_id] = step.state
        out = step.emits
        if step.hold:
            self.creator_holds.hold(0, cf.creator_id, step.hold)
        if cf.kind == UPLOAD and cf.ts > self.upload_facts_seen:
            self.upload_facts_seen = cf.ts
            for key in self.creator_holds.due(0, cf.ts):
                held = self.creators.get(key)
                if held is not None:
                    out.extend(engine.release_creator(key, held).emits)
        return out

    def reject(
        self,
        topic: str,
        key: bytes | None,
        raw: bytes,
        reason: str,
        detail: str,
        line: int | None = None,
    ) -> Emit:
        """Count a rejected message and build its dead-letter output."""
        self.dead_letters += 1
        record = dead_letter(topic, raw, reason, detail, key=key, line=line)
        return Emit("dead-letter", dead_letter_key(record, key), record)

    def resolve_silent(self) -> list[Emit]:
        """Resolve open trend incidents whose keys have gone quiet at the watermark."""
        out: list[Emit] = []
        for tstate in self.trends.values():
            out.extend(self.engine.resolve_silent(tstate, self.watermark))
        return out

    def sweep(self) -> int:
        """Drop state whose TTL has passed at the pipeline's watermark; return how many."""
        now = self.watermark
        dropped = 0
        stores: tuple[dict[str, Any], ...] = (self.content, self.creators, self.trends)
        for store in stores:
            for k in [k for k, s in store.items() if s.expired(now)]:
                del store[k]
                dropped += 1
        return dropped

    def keys(self) -> Iterator[tuple[str, int]]:
        """(family, live keys) for reporting."""
        yield "content", len(self.content)
        yield "creator", len(self.creators)
        yield "trend", len(self.trends)
