"""The compiled engine decides exactly as the Python source does, and is never run stale."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import signals
from signals import native
from stream.demo.traffic import bad_lines, synthetic_day

ROOT = Path(__file__).resolve().parents[2]
VIGIL = str(Path(sys.executable).parent / "vigil")


def _replay(events: Path, out: Path, build: str) -> str:
    env = {**os.environ, "VIGIL_NATIVE": build, "VIGIL_LOG_FORMAT": "json"}
    probe = subprocess.run(
        [sys.executable, "-c", "import signals; print(signals.NATIVE)"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    subprocess.run(
        [VIGIL, "replay", str(events), "--out", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return probe.stdout.strip()


@pytest.mark.skipif(
    os.environ.get("VIGIL_NATIVE") == "0", reason="VIGIL_NATIVE=0 asked for the Python source only"
)
def test_compiled_and_source_builds_make_the_same_decisions(tmp_path: Path) -> None:
    assert signals.NATIVE, "the compiled engine is missing or stale: run `make native`"
    events = tmp_path / "day.jsonl"
    lines = [m.line() for m in synthetic_day(seed=5, scale=0.25)] + bad_lines()
    events.write_bytes(b"\n".join(lines) + b"\n")
    assert _replay(events, tmp_path / "compiled", "1") == "True"
    assert _replay(events, tmp_path / "source", "0") == "False"
    topics = sorted(p.name for p in (tmp_path / "source").iterdir())
    assert {"enforcement-actions.jsonl", "trend-alerts.jsonl", "dead-letter.jsonl"} <= set(topics)
    assert sorted(p.name for p in (tmp_path / "compiled").iterdir()) == topics
    for name in topics:
        source = (tmp_path / "source" / name).read_bytes()
        assert source, name
        assert (tmp_path / "compiled" / name).read_bytes() == source, name


def test_a_stale_build_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stamp = tmp_path / "stamp"
    stamp.write_text("0" * 64 + "\n")  # built from other sources
    monkeypatch.setattr(native, "STAMP", stamp)
    monkeypatch.delenv("VIGIL_NATIVE", raising=False)
    path: list[str] = []
    with pytest.warns(UserWarning, match="older than its sources"):
        assert native.use(path) is False
    assert path == []


def test_no_build_and_opting_out_both_run_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(native, "STAMP", tmp_path / "absent")
    assert native.use([]) is False
    monkeypatch.setenv("VIGIL_NATIVE", "0")
    monkeypatch.setattr(native, "STAMP", tmp_path / "stamp")
    (tmp_path / "stamp").write_text(native.digest())
    path: list[str] = []
    assert native.use(path) is False
    assert path == []


def test_the_digest_covers_every_compiled_module_and_the_schemas() -> None:
    names = {p.name for p in native.sources()}
    assert {f"{m}.py" for m in native.COMPILED} <= names
    assert "inputs.py" in names
    assert all(p.exists() for p in native.sources())
