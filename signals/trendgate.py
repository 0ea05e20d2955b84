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

The sketch rotates each period, so its memory is fixed: `depth x width` counters. It is a
per-process structure, rebuilt from traffic after a restart (exact state is in the changelog);
deterministic for the same facts in the same order.
"""

from datasketches import count_min_sketch

from signals.trend import TrendFact


class CandidateGate:
    """Decides which trend keys deserve exact state."""

    def __init__(
        self, period: int, promote_at: int = 3, depth: int = 4, width: int = 8192, seed: int = 9001
    ) -> None:
        self.period = period
        self.promote_at = promote_at
        self._shape = (depth, width, seed)
        self._sketch = count_min_sketch(*self._shape)
        self._previous: count_min_sketch | None = None  # the last full period, if adjacent
        self._current = -1
        self.held = 0  # facts kept only in the sketch (their keys are not candidates yet)

    def admit(self, fact: TrendFact) -> bool:
        """Count the fact; True once its key has reached the bar in the current period."""
        p = fact.ts // self.period
        if p > self._current:  # a new period: a fresh sketch (late facts count in the current)
            started = self._current >= 0
            self._previous = (
                self._sketch
                if started and p == self._current + 1
                else (count_min_sketch(*self._shape) if started else None)
            )
            self._sketch = count_min_sketch(*self._shape)
            self._current = p
        key = fact.table_key
        self._sketch.update(key, 1)
        if self._sketch.get_estimate(key) >= self.promote_at:
            return True
        self.held += 1
        return False

    def history(self, fact: TrendFact) -> float | None:
        """What the sketch knows of the key's previous period: its count there (under the
        promotion bar, or it would have been promoted), or None when this process has not
        yet seen a full period (the key's past is unknown, not quiet)."""
        if self._previous is None:
            return None
        return float(self._previous.get_estimate(fact.table_key))
