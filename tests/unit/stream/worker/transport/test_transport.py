"""vigil's Faust transport: chosen by the broker URL, patching nothing, checked at start-up."""

from pathlib import Path
from typing import ClassVar

import pytest
from faust.transport import by_url
from faust.transport.consumer import Consumer as FaustConsumer
from faust.transport.drivers import aiokafka as driver

from stream.config import SHIPPED_POLICIES, Settings
from stream.errors import IncompatibleFaust
from stream.policyfiles import load_pack
from stream.worker import transport
from stream.worker.runtime import create_runtime
from stream.worker.transport import compat


def test_the_vigil_scheme_names_vigils_transport() -> None:
    assert by_url("vigil://127.0.0.1:9092") is transport.Transport
    assert transport.broker_url("kafka://a:9092,b:9092") == "vigil://a:9092;vigil://b:9092"


def test_the_worker_runs_on_it_and_faust_itself_is_left_as_it_was(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VIGIL_DATA_DIR", str(tmp_path))
    rt = create_runtime(Settings(), load_pack(SHIPPED_POLICIES))
    assert isinstance(rt.app.consumer, transport.Consumer)
    assert isinstance(rt.app.producer, transport.Producer)
    assert rt.app.producer._settings_extra() == {"acks": "all", "enable_idempotence": True}
    # no class-level patching: Faust's own classes keep their own methods
    assert driver.Consumer._drain_messages is FaustConsumer._drain_messages
    assert driver.Producer._settings_extra is not transport.Producer._settings_extra


def test_the_installed_faust_is_the_one_the_seam_was_written_for() -> None:
    assert compat.problems() == []


def test_another_release_or_a_missing_private_name_refuses_to_start() -> None:
    found = compat.problems(installed="0.16.0")
    assert found and "0.16.0 is installed" in found[0] and compat.WRITTEN_FOR in found[0]

    class Stripped:  # a consumer of a release that renamed its bookkeeping
        _acked: ClassVar[dict[str, list[int]]] = {}

    missing = compat.problems(consumer=Stripped(), installed=compat.WRITTEN_FOR)
    assert "a Faust consumer no longer holds _read_offset" in missing
    with pytest.raises(IncompatibleFaust, match="_committed_offset"):
        compat.check(Stripped())
