"""The worker forgets its decoded states whenever they may no longer match its tables, and stops
on a record it cannot read."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from signals.creator import CreatorState
from stream.config import SHIPPED_POLICIES, Settings
from stream.errors import StateVersionError
from stream.policyfiles import load_pack
from stream.worker.outbox import Outbox
from stream.worker.runtime import Runtime, create_runtime
from stream.worker.transport.fetch import Publish


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Runtime:
    monkeypatch.setenv("VIGIL_DATA_DIR", str(tmp_path))
    rt = create_runtime(Settings(), load_pack(SHIPPED_POLICIES))
    for cache in rt.caches.values():
        cache.keep({b"k": CreatorState()})
    return rt


FAMILIES = ("content", "creator", "trend", "quality", "rule", "review", "queue")


def cached(rt: Runtime) -> dict[str, int]:
    return {family: len(cache) for family, cache in rt.caches.items()}


def all_but(*emptied: str) -> dict[str, int]:
    """Every family's cache holds its one state but those emptied."""
    return {f: 0 if f in emptied else 1 for f in FAMILIES}


@pytest.mark.parametrize("signal", ["on_partitions_revoked", "on_partitions_assigned"])
def test_a_rebalance_clears_every_family(runtime: Runtime, signal: str) -> None:
    assert cached(runtime) == all_but()
    asyncio.run(getattr(runtime.app, signal).send(set()))
    assert cached(runtime) == all_but(*FAMILIES)


def test_a_batch_that_fails_to_apply_clears_its_own_family(runtime: Runtime) -> None:
    def fails() -> Publish:
        raise ValueError("a state that does not decode")

    with pytest.raises(ValueError):
        runtime._guarded("creator", fails)
    assert cached(runtime) == all_but("creator")


def test_a_batch_that_fails_to_publish_clears_its_own_family(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*_: Any) -> None:
        raise RuntimeError("the broker refused the batch")

    monkeypatch.setattr(runtime, "publish", refused)
    publish = runtime._publishing("trend", 0.0, Outbox(), [], {})
    assert cached(runtime) == all_but()  # kept
    with pytest.raises(RuntimeError):
        asyncio.run(publish())
    assert cached(runtime) == all_but("trend")


class FactRecord:
    topic, partition, offset, key = "vigil-trend-facts", 3, 7, None

    def __init__(self, value: bytes) -> None:
        self.value = value


@pytest.mark.parametrize(
    "batch", ["creator_batch", "trend_batch", "quality_batch", "review_batch", "queue_batch"]
)
def test_a_fact_record_of_a_newer_encoding_stops_the_batch_naming_where_it_is(
    runtime: Runtime, batch: str
) -> None:
    newer = FactRecord(b'[3,[["hashtag","fyp",5,"u","v","e","US"]]]')
    with pytest.raises(
        StateVersionError,
        match=r"topic vigil-trend-facts, partition 3, offset 7: fact record has encoding 3",
    ):
        asyncio.run(getattr(runtime, batch)([newer]))
    assert cached(runtime)[batch.split("_")[0]] == 0  # nothing half-applied is kept
