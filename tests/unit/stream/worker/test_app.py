"""The worker's Faust app: the settings it is built with."""

from pathlib import Path

import pytest

from stream.config import Settings
from stream.worker.app import make_app


def test_standby_replicas_are_off_unless_asked_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VIGIL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VIGIL_STANDBY_REPLICAS", raising=False)
    assert make_app(Settings()).conf.table_standby_replicas == 0
    monkeypatch.setenv("VIGIL_STANDBY_REPLICAS", "1")
    assert make_app(Settings()).conf.table_standby_replicas == 1
