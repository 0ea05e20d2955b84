"""Worker settings: environment variables, their defaults and the errors that name them."""

from pathlib import Path

import pytest

from stream.config import Settings
from stream.errors import ConfigError
from stream.worker.app import make_app


def test_standby_replicas_are_off_unless_asked_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VIGIL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VIGIL_STANDBY_REPLICAS", raising=False)
    assert make_app(Settings()).conf.table_standby_replicas == 0
    monkeypatch.setenv("VIGIL_STANDBY_REPLICAS", "1")
    assert make_app(Settings()).conf.table_standby_replicas == 1


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("VIGIL_STANDBY_REPLICAS", "-1", "VIGIL_STANDBY_REPLICAS=-1: expected 0 or more"),
        ("VIGIL_STANDBY_REPLICAS", "one", "VIGIL_STANDBY_REPLICAS='one': expected a whole number"),
        ("VIGIL_STATE_CACHE_KEYS", "-5", "VIGIL_STATE_CACHE_KEYS=-5: expected 0 or more"),
        ("VIGIL_PARTITIONS", "0", "VIGIL_PARTITIONS=0: expected at least 1"),
        ("VIGIL_STORE", "redis", "VIGIL_STORE='redis': expected memory or rocksdb"),
    ],
)
def test_a_bad_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str, message: str
) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(ConfigError) as e:
        Settings()
    assert str(e.value) == message
