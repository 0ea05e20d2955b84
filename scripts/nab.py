"""The Numenta Anomaly Benchmark, as `make bench` scores vigil's trend detector on it.

NAB v1.1's method (numenta/NAB, nab/scorer.py and nab/sweeper.py), per data file of N rows:
the first min(floor(0.15 N), 750) rows are probationary and never scored; the earliest
detection inside a labelled window earns A_TP * s(y) / s(-1), with s(y) = 2 / (1 + e^(5y)) - 1
and y = -(right - i + 1) / width; a window without one costs A_FN; a detection outside every
window costs A_FP * s(y) relative to the last window that ended (y = (i - right) / (width - 1),
s = -1 beyond y > 3), a flat A_FP before the first. A set of files scores
100 * (S - S_null) / (S_perfect - S_null): 100 for a perfect detector, 0 for one that never
fires. The data and labels are vendored in tests/data/nab (MIT licence, kept there).

Besides NAB's score, on-call's own measure: false pages per series-week, where a page is a
detection outside every window, and detections less than an hour apart are one page.
"""

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

NAB_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "nab"
PROFILES = {  # NAB's config/profiles.json: (A_TP, A_FP, A_FN)
    "standard": (1.0, 0.11, 1.0),
    "reward_low_FP_rate": (1.0, 0.22, 1.0),
    "reward_low_FN_rate": (1.0, 0.11, 2.0),
}
PROBATION_SHARE = 0.15
PROBATION_CAP = 750
PAGE_GAP_S = 3600  # detections closer than this are one page
WEEK_S = 7 * 86400


@dataclass
class Series:
    """One NAB data file: its rows and labelled windows (as row indices)."""

    name: str  # "<category>/<file>.csv"
    times: list[datetime]
    values: list[float]
    windows: list[tuple[int, int]]

    @property
    def category(self) -> str:
        return self.name.split("/")[0]

    @property
    def probation(self) -> int:
        n = len(self.times)
        return int(min(math.floor(PROBATION_SHARE * n), PROBATION_SHARE * 5000))


@dataclass
class Result:
    """One file's score under one profile, and its pages."""

    name: str
    score: float
    null: float
    perfect: float
    windows: int
    caught: int
    false_pages: int
    weeks: float
    first_hits: list[int] = field(default_factory=list)  # row of each window's first detection


def load(root: Path = NAB_DIR) -> list[Series]:
    """Every data file under root/data with its windows from root/labels."""
    labels = json.loads((root / "labels" / "combined_windows.json").read_text())
    out = []
    for path in sorted((root / "data").glob("*/*.csv")):
        name = f"{path.parent.name}/{path.name}"
        times, values = [], []
        for line in path.read_text().splitlines()[1:]:
            stamp, value = line.split(",")
            times.append(_time(stamp))
            values.append(float(value))
        row = {t: i for i, t in enumerate(times)}
        windows = [(row[_time(a)], row[_time(b)]) for a, b in labels.get(name, [])]
        out.append(Series(name, times, values, windows))
    return out


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.strip()[:19]).replace(tzinfo=UTC)


def _sigmoid(y: float) -> float:
    return -1.0 if y > 3.0 else 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


_EDGE = _sigmoid(-1.0)


def score(series: Series, detected: Sequence[bool], profile: str = "standard") -> Result:
    """NAB's score of one file's detections (one bool per row), and its false pages."""
    a_tp, a_fp, a_fn = PROFILES[profile]
    n, start = len(series.times), series.probation
    if len(detected) != n:
        raise ValueError(f"{series.name}: {len(detected)} detections for {n} rows")
    window = [-1] * n
    unit = [-1.0] * n  # outside windows and before the first: a flat -1 (x A_FP)
    for k, (left, right) in enumerate(series.windows):
        width = right - left + 1
        for i in range(left, right + 1):
            window[i] = k
            unit[i] = _sigmoid(-(right - i + 1) / width) / _EDGE
        stop = series.windows[k + 1][0] if k + 1 < len(series.windows) else n
        for i in range(right + 1, stop):
            unit[i] = _sigmoid((i - right) / (width - 1))
    total, best, pages, last = 0.0, {}, 0, None
    for i in range(start, n):
        if not detected[i]:
            continue
        k = window[i]
        if k < 0:
            total += a_fp * unit[i]
            t = series.times[i]
            if last is None or (t - last).total_seconds() >= PAGE_GAP_S:
                pages += 1
            last = t
        elif k not in best:
            best[k] = i  # the earliest detection in a window is the one that counts
    scorable = sorted({k for k in window[start:] if k >= 0})
    for k in scorable:
        total += a_tp * unit[best[k]] if k in best else -a_fn
    weeks = (series.times[-1] - series.times[start]).total_seconds() / WEEK_S
    return Result(
        series.name,
        total,
        -a_fn * len(scorable),
        a_tp * len(series.windows),
        len(scorable),
        len(best),
        pages,
        weeks,
        [best[k] for k in sorted(best)],
    )


def normalised(results: Sequence[Result]) -> float:
    """NAB's normalised score of a set of files (100 perfect, 0 a detector that never fires).
    A set without windows (artificialNoAnomaly) has no scale: its raw score, 0 or below."""
    s = sum(r.score for r in results)
    null = sum(r.null for r in results)
    perfect = sum(r.perfect for r in results)
    return s if perfect == null else 100.0 * (s - null) / (perfect - null)


def run(detector: Callable[[Series], list[bool]], corpus: Sequence[Series]) -> list[Result]:
    """Score a detector (one file's series in, a detection per row out) on every file."""
    return [score(s, detector(s)) for s in corpus]


def vigil_detector(series: Series) -> list[bool]:
    """vigil's detector with its defaults, as `vigil detect` runs it: a page (an incident
    opening) is a detection."""
    from signals.detect import detect_series

    rows = [
        (int(t.timestamp() * 1000), v) for t, v in zip(series.times, series.values, strict=True)
    ]
    return [opened for _, _, opened, _ in detect_series(rows)]


def report(results: Sequence[Result]) -> str:
    """The markdown table `make bench` writes: per category and overall."""
    by: dict[str, list[Result]] = {}
    for r in results:
        by.setdefault(r.name.split("/")[0], []).append(r)
    real = [r for r in results if r.name.startswith("real")]
    lines = [
        "| category | files | NAB standard | anomalies caught | false pages | per series-week |",
        "|---|---|---|---|---|---|",
    ]
    for name, rs in [*sorted(by.items()), ("real categories", real), ("overall", list(results))]:
        pages, weeks = sum(r.false_pages for r in rs), sum(r.weeks for r in rs)
        caught = f"{sum(r.caught for r in rs)}/{sum(r.windows for r in rs)}"
        lines.append(
            f"| {name} | {len(rs)} | {normalised(rs):.1f} | {caught} | {pages} | "
            f"{pages / weeks:.2f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(report(run(vigil_detector, load())), end="")
