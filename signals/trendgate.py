"""The sketch tier of trend detection: millions of keys in fixed memory.

Most trend keys are a hashtag used once or twice. Keeping exact state (minute buckets, creators,
a detector) for each would grow without bound, so a new key first lands only in a count-min
sketch (Apache DataSketches) of the current detector period. Once the sketch says the key has
`promote_at` events in one period it becomes a candidate and gets exact state; from then on
it is tracked exactly until its state expires. A key promoted after the gate has seen a full
period was, by definition, under the bar in that period: its detector starts from that quiet
history, so the take-off that promoted it is judged as one. A key promoted in a process's
first period starts cold (its past is unknown, and a busy key is not news). A count-min
sketch never underestimates, so no key that reaches the bar is missed; a few rare keys may be
promoted early (the error is under a tenth of a percent of the period's events at the
default size).

Each fact counts in the sketch of its own period (by event time), not of whichever period the
gate's clock is in: a key's promotion and its quiet history depend only on its own facts, not
on how the facts of other keys interleave with them (replay and Kafka agree, however a
backlog drains, even one read topic by topic: reports' area facts hours ahead of the
uploads' tags). The gate keeps the `KEPT` sketches used most recently, so its memory is fixed:
`KEPT x depth x width` counters; a period whose sketch was dropped reads as quiet (its
count is lost, not that the key stayed under the bar).
There is one per trend partition, rebuilt from traffic after a restart (exact state is in the
changelog).
"""

from collections import OrderedDict

from datasketches import count_min_sketch

from signals.trend import TrendFact

# sketches kept, the most recently used. A trend partition hears from every content partition,
# each with two clocks (uploads' tags, reports' areas) that drain a backlog at their own pace:
# with 6, four partitions' current periods need not fit, and a key whose previous period's
# sketch was dropped is seeded with a count of 0 where replay may know 1 or 2
KEPT = 16


class CandidateGate:
    """Decides which trend keys deserve exact state."""

    def __init__(
        self, period: int, promote_at: int = 3, depth: int = 4, width: int = 8192, seed: int = 9001
    ) -> None:
        self.period = period
        self.promote_at = promote_at
        self._shape = (depth, width, seed)
        self._sketches: OrderedDict[int, count_min_sketch] = OrderedDict()  # period -> sketch
        self._first = -1  # the earliest period this process saw: before it, the past is unknown
        self.held = 0  # facts kept only in the sketch (their keys are not candidates yet)

    def admit(self, fact: TrendFact) -> bool:
        """Count the fact in its period; True once its key has reached the bar there."""
        p = fact.ts // self.period
        if self._first < 0 or p < self._first:
            self._first = p
        sketch = self._sketches.get(p)
        if sketch is None:
            sketch = self._sketches[p] = count_min_sketch(*self._shape)
            if len(self._sketches) > KEPT:  # the least recently used goes
                self._sketches.popitem(last=False)
        else:
            self._sketches.move_to_end(p)
        key = fact.table_key
        sketch.update(key, 1)
        if sketch.get_estimate(key) >= self.promote_at:
            return True
        self.held += 1
        return False

    def history(self, fact: TrendFact) -> float | None:
        """What the sketch knows of the key's period before the fact's: its count there (under
        the promotion bar, or it would have been promoted), or None when that period came
        before this process's first (the key's past is unknown, not quiet).

        A period whose sketch was dropped is still known to be quiet for a key promoted only
        now (it would have had exact state since), so it reads as 0: its count is lost, not its
        quietness. Read as unknown, a backlog that drains partitions out of step (reports'
        area facts released by region holds an hour behind) dropped the sketch of the period
        before a brigade's first report, and the key started cold and missed it on Kafka
        where replay paged."""
        before = fact.ts // self.period - 1
        if self._first < 0 or before < self._first:
            return None
        sketch = self._sketches.get(before)
        return 0.0 if sketch is None else float(sketch.get_estimate(fact.table_key))
