"""Policy packs on disk: which files make a pack, and loading them (signals/ parses, pure)."""

from pathlib import Path
from typing import Any

import orjson

from signals.policy import PolicyError, PolicyPack, PolicyPackInvalid, parse_pack
from signals.policy.versions import lock, read_lock

SUFFIXES = (".yaml", ".yml")
LOCK_FILE = "rules.lock"  # each rule's version and decision fields (not part of the pack)


def pack_files(directory: Path) -> list[Path]:
    """The pack's files, sorted: every *.yaml / *.yml directly in directory."""
    return sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file())


def read_sources(directory: Path) -> dict[str, str]:
    """{file path: text} of a pack directory."""
    return {str(p): p.read_text(encoding="utf-8") for p in pack_files(directory)}


def load_pack(directory: str | Path) -> PolicyPack:
    """Read and compile the pack in directory (raises PolicyPackInvalid)."""
    root = Path(directory)
    if not root.is_dir():
        raise PolicyPackInvalid(
            [PolicyError(str(root), 0, 0, "policy directory does not exist")], {}
        )
    return parse_pack(read_sources(root), source=str(root))


def load_lock(directory: Path) -> dict[str, dict[str, Any]] | None:
    """The rules recorded in a pack's lock file; None when it has none.

    Raises PolicyPackInvalid naming the file, line and problem when the lock is unreadable.
    """
    path = directory / LOCK_FILE
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        return read_lock(orjson.loads(text))
    except orjson.JSONDecodeError as exc:
        problem, line, col = f"not valid JSON: {exc.msg}", exc.lineno, exc.colno
    except ValueError as exc:
        problem, line, col = str(exc), 1, 1
    raise PolicyPackInvalid([PolicyError(str(path), line, col, problem)], {str(path): text})


def write_lock(directory: Path, pack: PolicyPack) -> Path:
    """Record the pack's rule versions and decision fields in its lock file."""
    path = directory / LOCK_FILE
    path.write_bytes(
        orjson.dumps(lock(pack), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return path
