"""The worker's table writes: each touched key once, into the store, its changelog record
queued for its source's partition (stream/worker/tables.py), on a real Faust table."""

from pathlib import Path
from typing import NamedTuple

import pytest

from signals.creator import CreatorState
from stream.config import SHIPPED_POLICIES, Settings
from stream.policyfiles import load_pack
from stream.worker.outbox import Outbox, Partition
from stream.worker.runtime import Runtime, create_runtime
from stream.worker.tables import Where, entries, getter, write_back, write_direct


class Rec(NamedTuple):
    topic: str
    partition: int
    offset: int = 0
    key: bytes | None = None
    value: bytes | None = None


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Runtime:
    monkeypatch.setenv("VIGIL_DATA_DIR", str(tmp_path))
    return create_runtime(Settings(), load_pack(SHIPPED_POLICIES))


def state(uploads: int) -> CreatorState:
    s = CreatorState()
    s.up_wm = uploads
    return s


def test_write_back_stores_each_key_once_and_queues_its_changelog(runtime: Runtime) -> None:
    table, box = runtime.family["creator"].table, Outbox()
    written = write_back(
        table,
        {b"u1": state(1), b"u2": state(2)},
        {b"u1": Rec("vigil-creator-facts", 2), b"u2": Rec("vigil-creator-facts", 0)},
        box,
    )
    topic = table.changelog_topic.get_topic_name()
    assert set(written) == {Partition(topic, 2), Partition(topic, 0)}
    assert box._changelog == {
        (topic, 2): [(b"u1", state(1).encode())],
        (topic, 0): [(b"u2", state(2).encode())],
    }
    get = getter(table)
    assert CreatorState.decode(get(b"u2")).up_wm == 2
    assert sorted(k for k, _ in entries(table)) == [b"u1", b"u2"]
    assert len(box) == 2  # nothing else queued: no outputs, no Faust changelog buffer


def test_write_direct_deletes_with_a_tombstone(runtime: Runtime) -> None:
    table, box = runtime.family["creator"].table, Outbox()
    write_back(table, {b"u1": state(1)}, {b"u1": Rec("vigil-creator-facts", 1)}, box)
    box = Outbox()
    write_direct(table, box, b"u1", None, Where("vigil-creator-facts", 1))
    topic = table.changelog_topic.get_topic_name()
    assert getter(table)(b"u1") is None and entries(table) == []
    assert box._changelog == {(topic, 1): [(b"u1", None)]}
