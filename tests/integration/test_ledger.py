"""The Redis decision ledger: real Redis, and failing open when Redis is gone."""

import uuid

import redis.asyncio as redis

from stream import metrics
from stream.worker.ledger import Ledger

from .conftest import REDIS_URL, free_port


async def test_records_are_seen_with_a_ttl() -> None:
    ns = f"test:{uuid.uuid4().hex}"
    ledger = Ledger(REDIS_URL, ns, ttl_seconds=120)
    try:
        assert await ledger.unseen(["a", "b"]) == [True, True]
        await ledger.record(["a"])
        assert await ledger.unseen(["a", "b"]) == [False, True]
        assert await ledger.unseen(["a"]) == [False]
        r = redis.from_url(REDIS_URL)
        ttl = await r.ttl(f"{ns}:decision:a")
        assert 0 < ttl <= 120
        await r.aclose()
    finally:
        await ledger.close()


async def test_fails_open_when_redis_is_unreachable() -> None:
    before = metrics.LEDGER_ERRORS.labels(op="check")._value.get()
    ledger = Ledger(f"redis://127.0.0.1:{free_port()}/0", "test", ttl_seconds=60)
    try:
        assert await ledger.unseen(["x", "y"]) == [True, True]
        await ledger.record(["x"])  # must not raise
    finally:
        await ledger.close()
    assert metrics.LEDGER_ERRORS.labels(op="check")._value.get() == before + 1
