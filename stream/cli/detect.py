"""`vigil detect`: run the trend detector over a CSV of (timestamp, count) buckets."""

import csv
import math
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import typer

from signals.detect import detect_series
from signals.eventtime import MAX_TS, MIN_TS
from stream.cli.common import app, err, require_file


class BadRow(ValueError):
    """A CSV row that is not `timestamp,count`; names the line."""


def parse(lines: Iterable[str], source: str) -> list[tuple[str, int, float]]:
    """(original timestamp text, epoch ms, count) per data row. The first row is a header
    (`timestamp,count`, any names) unless it reads as data: a file without a header loses
    no row."""
    try:
        return _parse(lines, source)
    except csv.Error as exc:
        raise BadRow(f"{source}: not valid CSV ({exc})") from None


def _parse(lines: Iterable[str], source: str) -> list[tuple[str, int, float]]:
    rows: list[tuple[str, int, float]] = []
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise BadRow(f"{source}: empty file; expected a header row `timestamp,count`")
    first: list[tuple[int, list[str]]] = []
    if len(header) == 2 and _is_data(header):
        first = [(1, header)]
    for number, row in [*first, *enumerate(reader, start=2)]:
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise BadRow(f"{source}:{number}: expected 2 columns (timestamp,count), got {len(row)}")
        text, count_text = row[0].strip(), row[1].strip()
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise BadRow(
                f"{source}:{number}: timestamp {text!r} is not ISO 8601 "
                "(2026-11-20T10:00:00Z or 2026-11-20 10:00)"
            ) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)  # a timestamp without offset is read as UTC
        try:
            ms = int(dt.timestamp() * 1000)
        except (OverflowError, OSError, ValueError):
            raise BadRow(f"{source}:{number}: timestamp {text!r} is out of range") from None
        try:
            count = float(count_text)
            if not math.isfinite(count):
                raise ValueError(count_text)
        except ValueError:
            raise BadRow(f"{source}:{number}: count {count_text!r} is not a number") from None
        if count < 0 or not MIN_TS <= ms < MAX_TS:
            raise BadRow(f"{source}:{number}: count must be >= 0 and the time in 2000..2200")
        if rows and ms <= rows[-1][1]:
            raise BadRow(f"{source}:{number}: timestamps must increase")
        rows.append((text, ms, count))
    return rows


def _is_data(row: list[str]) -> bool:
    """Whether a first row is a data row (a timestamp and a number), not a header."""
    try:
        datetime.fromisoformat(row[0].strip())
        float(row[1].strip())
    except ValueError:
        return False
    return True


def detect(lines: Iterable[str], source: str) -> Iterator[str]:
    """Output lines `timestamp,count,score,alert`, one per input row."""
    rows = parse(lines, source)
    results = detect_series([(ms, count) for _, ms, count in rows])
    for (text, _, count), (score, alert) in zip(rows, results, strict=True):
        shown = int(count) if count == int(count) else count
        yield f"{text},{shown},{score:.4f},{int(alert)}"


@app.command("detect")
def detect_command(
    csv_file: Path = typer.Argument(
        ..., help="CSV with a header row: timestamp,count (or -)", allow_dash=True
    ),
) -> None:
    """Run the trend detector over a series of buckets; print timestamp,count,score,alert."""
    require_file(csv_file, "series file")
    lines = sys.stdin if str(csv_file) == "-" else csv_file.open(encoding="utf-8")
    try:
        out = list(detect(lines, str(csv_file)))  # validate everything before printing
    except BadRow as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None
    typer.echo("\n".join(["timestamp,count,score,alert", *out]))
