"""The shipped policy pack, copied for a test and edited there."""

import shutil
from pathlib import Path

from stream.config import SHIPPED_POLICIES


def edited_pack(where: Path, file: str = "", old: str = "", new: str = "") -> Path:
    """A copy of the shipped pack at where/pack with the first `old` in `file` made `new`
    (no edit without `file`); the text must be there, so a changed shipped pack fails loudly."""
    pack = where / "pack"
    shutil.copytree(SHIPPED_POLICIES, pack)
    if file:
        path = pack / file
        text = path.read_text()
        assert old in text, f"{old!r} is not in the shipped {file}"
        path.write_text(text.replace(old, new, 1))
    return pack
