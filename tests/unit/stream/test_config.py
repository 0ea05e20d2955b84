"""Worker settings: environment variables, their defaults and the errors that name them."""

import pytest

from stream.config import Settings
from stream.errors import ConfigError


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
