"""The import contract: what each part of the tree may import (README, *Where things live*).

- `schemas/` imports nothing of vigil;
- `signals/` imports only `schemas/` and itself, and nothing that talks to Kafka, Redis, the
  network or the clock, and calls no clock;
- `stream/worker/` never imports `stream/cli/` or `stream/demo/`;
- only `stream/worker/` imports Faust, and only `stream/worker/transport/` its private names.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IO = {
    "faust",
    "mode",
    "aiokafka",
    "redis",
    "socket",
    "aiohttp",
    "asyncio",
    "time",
    "threading",
    "subprocess",
    "requests",
    "urllib.request",
    "structlog",
    "rich",
    "typer",
    "selectors",
}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: -node.level]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            out += [(node.lineno, name)]
            out += [(node.lineno, f"{name}.{a.name}") for a in node.names]
    return out


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def breaches(package: str, forbidden: set[str]) -> list[str]:
    return [
        f"{p.relative_to(ROOT)}:{line} imports {name}"
        for p in modules(package)
        for line, name in imported(p)
        if any(within(name, f) for f in forbidden)
    ]


def test_schemas_import_nothing_of_vigil() -> None:
    assert breaches("schemas", {"signals", "stream", "tests"}) == []


def test_signals_import_only_schemas_and_no_io() -> None:
    assert breaches("signals", {"stream", "tests", *IO}) == []


def test_signals_call_no_clock() -> None:
    calls = [
        f"{p.relative_to(ROOT)}:{n.lineno} calls {n.func.attr}"
        for p in modules("signals")
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in CLOCK_CALLS
    ]
    assert calls == []


def test_the_worker_never_imports_the_commands_or_the_demo() -> None:
    assert breaches("stream/worker", {"stream.cli", "stream.demo"}) == []


@pytest.mark.parametrize("package", ["stream/cli", "stream/demo", "stream/notify"])
def test_only_the_worker_imports_faust(package: str) -> None:
    assert breaches(package, {"faust", "mode"}) == []


def test_only_the_transport_reaches_into_faust_privately() -> None:
    outside = [p for p in modules("stream") if "transport" not in p.parts]
    private = [
        f"{p.relative_to(ROOT)}:{line} imports {name}"
        for p in outside
        for line, name in imported(p)
        if within(name, "faust") and any(part.startswith("_") for part in name.split("."))
    ]
    assert private == []


def test_the_contract_sees_the_imports_it_checks() -> None:
    """The checks above read real imports: the worker's wiring does import Faust."""
    names = {name for _, name in imported(ROOT / "stream/worker/wiring.py")}
    assert "faust" in names and "stream.worker.transport" in names


@pytest.mark.parametrize("script", ["bench", "bench_kafka", "soak", "memory_probe", "native"])
def test_every_script_imports_what_exists(script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`make bench`, `make soak` and the rest import vigil's modules by name: a move that
    leaves one behind fails here, not at the next benchmark."""
    import importlib
    import os
    import sys

    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    monkeypatch.delitem(sys.modules, script, raising=False)
    before = dict(os.environ)
    importlib.import_module(script)
    # importing a script must not change the environment later tests' workers inherit
    assert dict(os.environ) == before
