"""`vigil detect`: run the trend detector over a CSV of (timestamp, value) buckets.

A series of whole numbers of 0 or more is read as counts of events per bucket, anything else
(rates, latencies, values of any sign) as values, each with its own model (signals.detect;
`--kind` overrides). Real telemetry has clock hiccups, so a series is accepted as it is: a
repeated timestamp adds its count to the bucket (one bucket reported twice), or for values the
later row wins, and a row out of time order is put in its place; each is reported as a warning
naming the file and line. Only a row that cannot be read stops the command, naming file, line
and problem.
"""

import csv
import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import typer

from signals.detect import COUNTS, VALUES, detect_series
from signals.eventtime import MAX_TS, MIN_TS
from stream.cli.common import app, err, require_file

HEADER = "timestamp,count,expected,score,alert,open"


class BadRow(ValueError):
    """A CSV row that is not `timestamp,count`; names the line."""


@dataclass
class Series:
    """The buckets of a series file in time order, and what was mended reading it."""

    rows: list[tuple[str, int, float]]  # (timestamp as written, epoch ms, value)
    warnings: list[str] = field(default_factory=list)
    counts: bool = True  # every value a whole number of 0 or more


def parse(lines: Iterable[str], source: str) -> Series:
    """The series' buckets, one per distinct timestamp, in time order. The first row is a
    header (`timestamp,count`, any names) unless it reads as data: a file without a header
    loses no row."""
    try:
        read = list(_read(lines, source))
    except csv.Error as exc:
        raise BadRow(f"{source}: not valid CSV ({exc})") from None
    return _in_order(read, source)


def _read(lines: Iterable[str], source: str) -> Iterator[tuple[int, str, int, float]]:
    """(line, timestamp text, epoch ms, count) per data row, as the file has them."""
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
        yield number, text, _time(text, source, number), _count(count_text, source, number)


def _time(text: str, source: str, number: int) -> int:
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
    if not MIN_TS <= ms < MAX_TS:
        raise BadRow(f"{source}:{number}: timestamp {text!r} is outside the years 2000..2200")
    return ms


def _count(text: str, source: str, number: int) -> float:
    try:
        count = float(text)
        if not math.isfinite(count):
            raise ValueError(text)
    except ValueError:
        raise BadRow(f"{source}:{number}: value {text!r} is not a number") from None
    return count


def _in_order(read: list[tuple[int, str, int, float]], source: str) -> Series:
    """One bucket per timestamp, in time order: repeats summed (counts) or the later row kept
    (values), late rows put in place."""
    series = Series([], counts=all(v >= 0 and v == int(v) for *_, v in read))
    at: dict[int, tuple[int, int]] = {}  # epoch ms -> (index in rows, line that started it)
    newest = -1
    for number, text, ms, value in read:
        if ms in at:
            index, line = at[ms]
            t, _, before = series.rows[index]
            if series.counts:
                series.rows[index] = (t, ms, before + value)
                what = "its count is added to that bucket"
            else:
                series.rows[index] = (t, ms, value)
                what = "its value replaces that row's"
            series.warnings.append(
                f"{source}:{number}: repeated timestamp {text!r} (line {line}); {what}"
            )
            continue
        if ms < newest:
            series.warnings.append(
                f"{source}:{number}: timestamp {text!r} is earlier than a row above it; put "
                "in time order"
            )
        newest = max(newest, ms)
        at[ms] = (len(series.rows), number)
        series.rows.append((text, ms, value))
    series.rows.sort(key=lambda r: r[1])
    return series


def _is_data(row: list[str]) -> bool:
    """Whether a first row is a data row (a timestamp and a number), not a header."""
    try:
        datetime.fromisoformat(row[0].strip())
        float(row[1].strip())
    except ValueError:
        return False
    return True


def detect(series: Series, kind: str | None = None) -> Iterator[str]:
    """Output lines `timestamp,count,expected,score,alert,open`, one per bucket: `alert` is 1
    on the bucket where an incident opens (what pages), `open` while it stays open. `kind`:
    COUNTS or VALUES (None: told from the series)."""
    rows = series.rows
    if kind == COUNTS and not series.counts:
        raise BadRow("--kind counts: the series has a value that is not a whole number >= 0")
    results = detect_series([(ms, value) for _, ms, value in rows], kind)
    for (text, _, value), (expected, score, opened, open_) in zip(rows, results, strict=True):
        shown = int(value) if value == int(value) else value
        yield f"{text},{shown},{expected:.2f},{score:.4f},{int(opened)},{int(open_)}"


@app.command("detect")
def detect_command(
    csv_file: Path = typer.Argument(
        ..., help="CSV with a header row: timestamp,count (or -)", allow_dash=True
    ),
    kind: str = typer.Option(
        "auto",
        "--kind",
        help="counts (events per bucket), values (rates, latencies, any sign) or auto: "
        "counts when every value is a whole number >= 0",
    ),
) -> None:
    """Run the trend detector over a series of buckets; print
    timestamp,count,expected,score,alert,open (alert: an incident opens there)."""
    if kind not in ("auto", COUNTS, VALUES):
        err.print(f"error: --kind {kind!r}: expected counts, values or auto")
        raise typer.Exit(2)
    require_file(csv_file, "series file")
    lines = sys.stdin if str(csv_file) == "-" else csv_file.open(encoding="utf-8")
    try:
        series = parse(lines, str(csv_file))  # validate everything before printing
        out = list(detect(series, None if kind == "auto" else kind))
    except BadRow as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None
    for warning in series.warnings:
        err.print(f"warning: {warning}")
    typer.echo("\n".join([HEADER, *out]))
