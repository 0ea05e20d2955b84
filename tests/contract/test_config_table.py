"""The README's configuration table is the one stream/config.py generates."""

import re
from pathlib import Path

import pytest

from stream.config import Settings, config_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_generated_from_the_settings() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- config:start[^\n]*-->\n(.*?)\n<!-- config:end -->", text, re.S)
    assert found, "README.md lost its config:start/config:end markers"
    assert found.group(1) == config_table(), "regenerate it: see the config:start comment"


def test_every_setting_names_its_variable_and_meaning() -> None:
    from dataclasses import fields

    names = [f.metadata["env"] for f in fields(Settings)]
    assert len(names) == len(set(names)) and all(n.startswith("VIGIL_") for n in names)
    assert all(f.metadata["meaning"] for f in fields(Settings))


def test_secrets_stay_out_of_the_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_API_TOKEN", "tok-canary-1")
    monkeypatch.setenv("VIGIL_PAGERDUTY_URL", "http://pd")
    monkeypatch.setenv("VIGIL_PAGERDUTY_ROUTING_KEY", "rk-canary-2")
    monkeypatch.setenv("VIGIL_KAFKA_PASSWORD", "pw-canary-3")
    assert "canary" not in repr(Settings())
