"""The decision ledger in Redis: which decision ids have already been emitted.

The worker asks which ids are new, produces those and waits for Kafka's ack, then records them
with a TTL. Recording only after the ack means a crash can cause a duplicate (which downstream
recognises by id) but never a lost decision; recording before producing could lose one.
When Redis is unavailable the ledger fails open: decisions still flow, duplicates become
possible, and the failure is counted and logged.
"""

import time

import redis.asyncio as redis
import structlog

from stream import metrics

log = structlog.get_logger("vigil.ledger")


class Ledger:
    """Seen-decision ids in Redis, shared by every worker of a deployment."""

    def __init__(self, url: str, namespace: str, ttl_seconds: int) -> None:
        self._redis = redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._ns = namespace
        self._ttl = ttl_seconds
        self._last_warning = 0.0

    def _key(self, decision_id: str) -> str:
        return f"{self._ns}:decision:{decision_id}"

    async def unseen(self, ids: list[str]) -> list[bool]:
        """For each id, True unless it was already emitted (True for all if Redis is down)."""
        if not ids:
            return []
        try:
            pipe = self._redis.pipeline(transaction=False)
            for i in ids:
                pipe.exists(self._key(i))
            found = await pipe.execute()
        except (redis.RedisError, OSError) as exc:
            self._degraded("check", exc)
            return [True] * len(ids)
        return [n == 0 for n in found]

    async def record(self, ids: list[str]) -> None:
        """Remember ids as emitted for the ledger's TTL."""
        if not ids:
            return
        try:
            pipe = self._redis.pipeline(transaction=False)
            for i in ids:
                pipe.set(self._key(i), b"1", ex=self._ttl)
            await pipe.execute()
        except (redis.RedisError, OSError) as exc:
            self._degraded("record", exc)

    def _degraded(self, op: str, exc: BaseException) -> None:
        metrics.LEDGER_ERRORS.labels(op=op).inc()
        now = time.monotonic()
        if now - self._last_warning > 10:  # one line per 10 s, not per batch
            self._last_warning = now
            log.warning("ledger_unavailable", op=op, error=type(exc).__name__)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
