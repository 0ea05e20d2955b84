"""The page budget across trend keys: expected false pages per day for the whole platform.

Each key's detector pages at a tail probability set from a budget per key (signals.detect:
0.1 false pages per key-week). With tens of thousands of keys tested every period, that alone
pages by chance every day even when every model is right. So the probability that pages is also
held to `per_day / tests`, where `tests` is how many key-periods the detectors judged in a day:
a key's period counts once, when its count first passes the detector's cheap test (enough
events, and enough above what was expected; keys below it cannot page). By the union bound the
expected number of false pages in a day is then at most `per_day`, however many keys there are
(the Bonferroni form of a false-discovery budget: with one test a period it is Benjamini and
Hochberg's procedure, and it needs no batch of p-values, so a spike still pages on its first
minute).

`tests` is counted from the 24 hours that ended an hour before the one being judged, so every
fact of those hours has arrived whichever driver runs (replay, or a worker draining a backlog
partition by partition): the limit is the same both ways. With less history the count is
scaled to a day; in the first two hours there is none, and each key's own budget applies.
"""

from signals.eventtime import DAY, HOUR

HOURS = DAY // HOUR
LAG = 2  # the newest hour counted is two before the one judged: all its facts are in


class PageBudget:
    """Counts judged key-periods per hour and turns a daily false-page budget into a limit."""

    __slots__ = ("_first", "_tests", "per_day", "share")

    def __init__(self, per_day: float, share: float = 1.0) -> None:
        self.per_day = per_day  # expected false pages per day across every key
        self.share = share  # of the trend keys this process judges (its share of partitions)
        self._tests: dict[int, int] = {}  # hour -> key-periods judged in it
        self._first = -1  # the earliest hour counted

    def judged(self, ts: int) -> None:
        """Count one key-period judged, the period starting at ts."""
        hour = ts // HOUR
        if self._first < 0 or hour < self._first:
            self._first = hour
        self._tests[hour] = self._tests.get(hour, 0) + 1
        if len(self._tests) > HOURS + 2 * LAG:
            newest = max(self._tests)
            for old in [h for h in self._tests if h <= newest - HOURS - LAG]:
                del self._tests[old]

    def tests_per_day(self, ts: int) -> float | None:
        """Key-periods judged in the day that ended LAG - 1 hours before ts's hour, scaled to
        a day when fewer hours are known (None: none yet)."""
        last = ts // HOUR - LAG
        if self._first < 0 or last < self._first:
            return None
        first = max(self._first, last - HOURS + 1)
        seen = sum(self._tests.get(h, 0) for h in range(first, last + 1))
        return seen * HOURS / (last - first + 1)

    def limit(self, ts: int, own: float) -> float:
        """The tail probability that pages a key-period starting at ts: the key's own limit,
        or less where the platform's daily budget needs it."""
        tests = self.tests_per_day(ts)
        if not tests:
            return own
        return min(own, self.share * self.per_day / tests)
