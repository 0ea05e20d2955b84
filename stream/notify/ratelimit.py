"""A token bucket per sink, so on-call is never paged faster than `rate_per_minute`."""

import time
from collections.abc import Callable


class TokenBucket:
    """At most `rate_per_minute` sends, with bursts up to `burst`."""

    def __init__(
        self, rate_per_minute: float, burst: int = 5, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.last = clock()

    def wait_time(self) -> float:
        """Seconds until a send is allowed (0 if now); takes the token when it is 0."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate
