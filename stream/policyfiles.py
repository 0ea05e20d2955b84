"""Policy packs on disk: which files make a pack, and loading them (signals/ parses, pure)."""

from pathlib import Path

from signals.policy import PolicyError, PolicyPack, PolicyPackInvalid, parse_pack

SUFFIXES = (".yaml", ".yml")


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
