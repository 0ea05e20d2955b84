"""Golden-set files on disk: read and validate every line, naming file and line of each problem.

Each event inside an item is checked by the same decoder the input topics use, so an item the
engine would refuse is refused here, before an evaluation quietly scores it on fewer events.
"""

from pathlib import Path

import msgspec
import orjson

from schemas.golden import GoldenItem, GoldenLine, GoldenSet
from signals.decode import Rejected, decode
from signals.eventtime import epoch_ms
from stream.errors import GoldenSetInvalid

MAX_PROBLEMS = 50  # listed; the rest are counted
_DECODER = msgspec.json.Decoder(GoldenLine)
_encode = msgspec.json.Encoder().encode


def read_golden(path: Path) -> tuple[GoldenSet | None, list[GoldenItem]]:
    """The header (if the file has one) and the items of a golden-set file.

    Raises GoldenSetInvalid listing every unreadable line (up to MAX_PROBLEMS).
    """
    if not path.is_file():
        raise GoldenSetInvalid(f"golden set {path} does not exist")
    header: GoldenSet | None = None
    items: list[GoldenItem] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    with path.open("rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                rec = _DECODER.decode(raw)
            except msgspec.DecodeError as exc:
                problems.append(f"{path}:{n}: {exc}")
                continue
            if isinstance(rec, GoldenSet):
                if header is not None or items:
                    problems.append(f"{path}:{n}: the `set` header must be the first line")
                header = rec
                continue
            problems.extend(f"{path}:{n}: {p}" for p in _item_problems(rec))
            if rec.item_id in seen:
                problems.append(
                    f"{path}:{n}: item_id {rec.item_id!r} repeats line {seen[rec.item_id]}"
                )
            seen.setdefault(rec.item_id, n)
            items.append(rec)
    if problems:
        more = len(problems) - MAX_PROBLEMS
        listed = problems[:MAX_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise GoldenSetInvalid("golden set has problems:\n" + "\n".join(listed))
    if not items:
        raise GoldenSetInvalid(f"{path}: no items")
    return header, items


def frozen_at(header: GoldenSet | None) -> int | None:
    """The set's freeze date in epoch ms, if it has one."""
    return epoch_ms(header.frozen_at) if header and header.frozen_at is not None else None


def _item_problems(item: GoldenItem) -> list[str]:
    """What is wrong with an item's events and labels (events as the input decoder sees them)."""
    out = []
    for i, ev in enumerate(item.events):
        key = ev.value.get("content_id")
        try:
            decode(ev.topic, key.encode() if isinstance(key, str) else None, _encode(ev.value))
        except Rejected as r:
            out.append(f"events[{i}] ({ev.topic}): {r.reason}: {r.detail}")
            continue
        if item.target == "content" and key != item.id:
            out.append(f"events[{i}] ({ev.topic}): content_id is not the item's id")
    for i, lab in enumerate(item.labels):
        try:
            epoch_ms(lab.labelled_at)
        except ValueError as exc:
            out.append(f"labels[{i}].labelled_at: {exc}")
    return out


def write_golden(path: Path, header: GoldenSet, items: list[GoldenItem]) -> None:
    """Write a golden-set file: the header, then one item per line."""
    with path.open("wb") as f:
        f.write(_encode(header) + b"\n")
        for item in items:
            f.write(orjson.dumps(msgspec.to_builtins(item)) + b"\n")


__all__ = ["frozen_at", "read_golden", "write_golden"]
