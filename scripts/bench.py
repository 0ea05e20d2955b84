"""`make bench`: replay throughput on the demo day against a ceiling measured in the same run.

The ceiling is reading the same events file and orjson-decoding each line, nothing else.
Results go to docs/benchmarks.md; the last line printed is
`replay_eps=N ceiling_eps=M ratio=R`.
"""

import cProfile
import io
import os
import platform
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signals.policy import load_pack  # noqa: E402
from stream.config import SHIPPED_POLICIES  # noqa: E402
from stream.replay import MemorySink, read_lines, run  # noqa: E402
from stream.traffic import synthetic_day  # noqa: E402

RUNS = 3


def ceiling(path: Path) -> float:
    """Events per second for reading and orjson-decoding every line of the file."""
    start = time.perf_counter()
    n = 0
    with path.open("rb") as f:
        for line in f:
            orjson.loads(line)
            n += 1
    return n / (time.perf_counter() - start)


def replay(path: Path) -> tuple[float, int]:
    """Events per second for a full replay of the file (decode, engine, encoded outputs)."""
    pack = load_pack(SHIPPED_POLICIES)
    sink = MemorySink()
    start = time.perf_counter()
    stats, _ = run(pack, read_lines(path), sink)
    return stats.events / (time.perf_counter() - start), len(sink.items)


def profile(path: Path) -> str:
    """The ten functions replay spends most of its own time in."""
    pack = load_pack(SHIPPED_POLICIES)
    prof = cProfile.Profile()
    prof.enable()
    run(pack, read_lines(path), MemorySink())
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(10)
    rows = [line for line in buf.getvalue().splitlines() if line.strip()[:1].isdigit()]
    return "\n".join(rows[:10])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "day.jsonl"
        path.write_bytes(b"\n".join(m.line() for m in synthetic_day(7, 1.0)) + b"\n")
        events = sum(1 for _ in path.open("rb"))
        # interleave the two measurements so machine noise hits both alike; keep the best
        ceil_runs, replay_runs = [], []
        outputs = 0
        for _ in range(RUNS):
            ceil_runs.append(ceiling(path))
            eps, outputs = replay(path)
            replay_runs.append(eps)
        ceil, rep = max(ceil_runs), max(replay_runs)
        hot = profile(path)
    ratio = rep / ceil
    write_report(events, outputs, ceil, rep, ratio, hot)
    print(f"events={events} outputs={outputs} (best of {RUNS} runs each)")
    print(f"replay_eps={rep:.0f} ceiling_eps={ceil:.0f} ratio={ratio:.4f}")


def write_report(events: int, outputs: int, ceil: float, rep: float, ratio: float,
                 hot: str) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# vigil benchmarks\n"
    start = "<!-- replay:start -->"
    end = "<!-- replay:end -->"
    section = f"""{start}
## Replay throughput (`make bench`)

Measured {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")} on {os.cpu_count()} cores,
Python {platform.python_version()}, one process, best of {RUNS} interleaved runs.

| what | events/s |
|---|---|
| ceiling: read the events file and `orjson.loads` each line | {ceil:,.0f} |
| `vigil replay` of the same file: decode, validate, all three state families, {outputs:,} outputs encoded | {rep:,.0f} |
| **ratio** | **{ratio:.4f}** |

Input: the demo day, {events:,} events (seed 7). Where replay's own time goes (cProfile, top 10 by
own time; the profiler itself slows everything down):

```
{hot}
```
{end}"""
    if start in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.write_text(text)


if __name__ == "__main__":
    main()
