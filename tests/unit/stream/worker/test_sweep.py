"""The worker's sweep on real Faust tables: what expires, what resolves, what it leaves."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from signals.content import TTL, ContentState
from signals.eventtime import DAY, MINUTE
from signals.trend import Incident, TrendState
from stream.config import SHIPPED_POLICIES, Settings
from stream.policyfiles import load_pack
from stream.worker import sweep as sweeping
from stream.worker.outbox import Outbox
from stream.worker.runtime import Runtime, create_runtime
from stream.worker.tables import Where, Written, entries, getter, write_direct

NOW = 1_800_000_000_000


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Runtime:
    monkeypatch.setenv("VIGIL_DATA_DIR", str(tmp_path))
    return create_runtime(Settings(), load_pack(SHIPPED_POLICIES))


def video(newest: int) -> ContentState:
    st = ContentState()
    st.wm, st.region = newest, "US"
    return st


def incident(last_fact: int) -> TrendState:
    st = TrendState()
    st.kind, st.key, st.wm, st.first_seen = "hashtag", "x", last_fact, last_fact
    st.incident = Incident("inc-1", 1, last_fact)
    return st


def put(rt: Runtime, table: Any, key: bytes, st: Any) -> None:
    write_direct(table, Outbox(), key, st.encode(), Where("uploads", 0))


class Published:
    def __init__(self) -> None:
        self.calls: list[tuple[Outbox, list[Any], Written]] = []

    async def __call__(
        self, box: Outbox, emits: list[Any], written: Written, facts: Any = ()
    ) -> None:
        self.calls.append((box, emits, written))


def run(rt: Runtime, published: Published) -> None:
    asyncio.run(sweeping.sweep(rt.families, NOW, rt.engine, published, {}, 4, NOW))


def test_expired_keys_go_as_tombstones_and_silent_incidents_resolve(runtime: Runtime) -> None:
    put(runtime, runtime.family["content"].table, b"old", video(NOW - TTL - DAY))
    put(runtime, runtime.family["content"].table, b"live", video(NOW - DAY))
    put(runtime, runtime.family["trend"].table, b"hashtag:x", incident(NOW - 30 * MINUTE))
    quiet = Published()
    run(runtime, quiet)  # no content partition's clock came: its silence may still be filled
    assert [e for _, emits, _ in quiet.calls for e in emits] == []
    for p in range(4):  # every content partition's clock passed it
        runtime.family["trend"].mark(p, [(c, NOW) for c in range(4)])
    published = Published()
    run(runtime, published)
    assert sorted(k for k, _ in entries(runtime.family["content"].table)) == [b"live"]
    boxes = [box for box, _, _ in quiet.calls + published.calls]
    tombstones = [r for b in boxes for q in b._changelog.values() for r in q if r[1] is None]
    assert tombstones == [(b"old", None)]
    alerts = [e.record for _, emits, _ in published.calls for e in emits]
    assert [(a.status, a.incident_id) for a in alerts] == [("resolved", "inc-1")]
    stored = TrendState.decode(getter(runtime.family["trend"].table)(b"hashtag:x"))
    assert stored.incident == Incident("inc-1", 1, NOW - 30 * MINUTE, open=False)


def test_a_key_a_batch_changes_while_the_sweep_yields_is_left_alone(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(runtime, runtime.family["content"].table, b"old", video(NOW - TTL - DAY))
    put(runtime, runtime.family["content"].table, b"other", video(NOW - TTL - DAY))
    monkeypatch.setattr(sweeping, "YIELD_EVERY", 1)
    real_sleep, calls = asyncio.sleep, []

    async def meanwhile(delay: float) -> None:
        calls.append(delay)
        if len(calls) == 2:  # after the first key was seen expired, a batch touches it
            put(runtime, runtime.family["content"].table, b"old", video(NOW))
        await real_sleep(delay)

    monkeypatch.setattr(sweeping.asyncio, "sleep", meanwhile)
    run(runtime, Published())
    assert [k for k, _ in entries(runtime.family["content"].table)] == [
        b"old"
    ]  # "other" went, "old" stayed
    assert ContentState.decode(getter(runtime.family["content"].table)(b"old")).wm == NOW
