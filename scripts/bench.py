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

import bench_golden
import bench_trends
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cel  # noqa: E402

from schemas.common import POLICY_AREAS  # noqa: E402
from signals import rules as rules_module  # noqa: E402
from signals.catalogue import SIGNALS  # noqa: E402
from signals.policy import PolicyPack, parse_pack  # noqa: E402
from stream.cli.common import tune_gc  # noqa: E402
from stream.config import SHIPPED_POLICIES  # noqa: E402
from stream.demo.traffic import synthetic_day  # noqa: E402
from stream.policyfiles import load_pack  # noqa: E402
from stream.replay import MemorySink, read_lines, run  # noqa: E402

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


def big_pack(per_area: int = 5) -> PolicyPack:
    """A realistic pack of 11 areas x 5 rules: bands, corroboration, report surges, regions."""
    rules = []
    for area in POLICY_AREAS:
        rules.append(f"""  - id: {area}.model
    version: 1
    owner: bench
    description: banded model rule
    policy_area: {area}
    target: content
    bands: {{signal: score_max_{area}, enforce_at: 0.96, review_at: 0.7}}
    outcome: remove
    queue: {area}
    regions:
      DE: {{enforce_at: 0.93}}
      IN: {{outcome: age_restrict}}
""")
        rules.append(f"""  - id: {area}.limit
    version: 1
    owner: bench
    description: limit reach on strong scores
    policy_area: {area}
    target: content
    when: score_max_{area} >= 0.85 && score_max_{area} < 0.96
    outcome: limit_distribution
""")
        rules.append(f"""  - id: {area}.corroborated
    version: 1
    owner: bench
    description: medium score plus reports
    policy_area: {area}
    target: content
    when: score_max_{area} >= 0.5 && reports_24h_{area} >= 2
    outcome: review
    queue: {area}
""")
        rules.append(f"""  - id: {area}.surge
    version: 1
    owner: bench
    description: report surge without model support
    policy_area: {area}
    target: content
    when: reports_24h_{area} >= 5 && distinct_reporters_24h >= 4 && score_max_{area} < 0.3
    outcome: review
    queue: surge
""")
        rules.append(f"""  - id: {area}.young_and_reported
    version: 1
    owner: bench
    description: fresh uploads drawing reports in a sensitive region
    policy_area: {area}
    target: content
    when: age_minutes >= 0.0 && age_minutes < 60.0 && reports_1h >= 3
      && region in ["US", "BR", "IN"]
    outcome: label
""")
    return parse_pack({"bench.yaml": "rules:\n" + "".join(rules[: per_area * len(POLICY_AREAS)])})


def rule_evals(path: Path) -> tuple[int, float, float, int]:
    """Rule evaluations per second on the content states of the demo day.

    Two figures: every rule's CEL condition run on every state (the raw cost), and the
    engine's path (region variant, guards, then the condition only where guards pass: Python
    for plain conditions, CEL for the rest).
    """
    pack = big_pack()
    _, pipe = run(load_pack(SHIPPED_POLICIES), read_lines(path), MemorySink())
    states = list(pipe.content.values())
    rules_ = pack.active("content")
    readers = {n: SIGNALS[n].read for n in pack.reads("content")}
    snapshots = [{n: r(st, st.wm) for n, r in readers.items()} for st in states]
    start = time.perf_counter()
    for values in snapshots:
        ctx = cel.Context(variables=values)
        for rule in rules_:
            rule.for_region(values["region"]).program.execute(ctx)
    raw = len(snapshots) * len(rules_) / (time.perf_counter() - start)
    plan = rules_module.plan(rules_)
    evaluation = rules_module.Evaluation()
    for st in states:
        st.fired = {}
    start = time.perf_counter()
    for st in states:
        evaluation.hits(plan, st, st.wm, st.region)
    engine = len(states) * len(rules_) / (time.perf_counter() - start)
    return len(rules_), raw, engine, len(states)


def strict_input(path: Path, pairs: int = 5) -> dict[str, float]:
    """Microseconds per input message on the demo day's messages: the whole decoder, the
    duplicate-key scan and the printable-id check it runs, interleaved over `pairs` rounds
    (medians), and the share of a replayed event the two checks take."""
    from signals import decode as decode_module
    from signals.strictjson import check_keys
    from stream.envelope import Line, parse_lines

    messages = [
        (item.topic, item.key, item.value)
        for item in parse_lines(read_lines(path))
        if isinstance(item, Line)
    ]
    records = [decode_module.decode(*m).record for m in messages]
    unsafe = decode_module.unsafe_field  # the decoder's own check, timed alone
    timings: dict[str, list[float]] = {"decode": [], "keys": [], "ids": []}
    for _ in range(pairs):
        start = time.perf_counter()
        for topic, key, raw in messages:
            decode_module.decode(topic, key, raw)
        timings["decode"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for _, _, raw in messages:
            check_keys(raw)
        timings["keys"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for record in records:
            unsafe(record)
        timings["ids"].append(time.perf_counter() - start)
    per = {k: sorted(v)[len(v) // 2] / len(messages) * 1e6 for k, v in timings.items()}
    return {**per, "messages": float(len(messages))}


def main() -> None:
    tune_gc()  # as `vigil replay` and `vigil worker` run
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
        n_rules, raw, engine, n_states = rule_evals(path)
        strict = strict_input(path)
        _replace_section("trends", bench_trends.shapes_section(20))
        _replace_section("nab", bench_trends.nab_section())
        _replace_section("tier", bench_trends.tier_section())
        _replace_section("golden", bench_golden.section())
    ratio = rep / ceil
    write_report(events, outputs, ceil, rep, ratio, hot)
    write_strict_report(strict, rep)
    write_rules_report(n_rules, raw, engine, n_states)
    print(f"rules={n_rules} cel_evals_per_s={raw:.0f} engine_rule_evals_per_s={engine:.0f}")
    print(f"events={events} outputs={outputs} (best of {RUNS} runs each)")
    print(f"strict_checks_us={strict['keys'] + strict['ids']:.2f} decode_us={strict['decode']:.2f}")
    print(f"replay_eps={rep:.0f} ceiling_eps={ceil:.0f} ratio={ratio:.4f}")


def write_rules_report(n_rules: int, raw: float, engine: float, n_states: int) -> None:
    section = f"""## Rule evaluation (`make bench`)

A generated pack of {n_rules} content rules (per policy area: a banded model rule with DE and
IN overrides, a reach limit, corroborated review, a report surge, a fresh-upload rule) against
the {n_states:,} real content states the demo day leaves behind, one core:

| path | rule evaluations/s |
|---|---|
| every CEL condition run on every state (compiled once, a CEL context per state) \
| {raw:,.0f} |
| the engine's path, reading signals from state: region variant, guards, then the condition \
(Python for plain conditions, CEL otherwise) \
| {engine:,.0f} |
"""
    _replace_section("rules", section)


def write_strict_report(us: dict[str, float], replay_eps: float) -> None:
    event_us = 1e6 / replay_eps
    checks = us["keys"] + us["ids"]
    _replace_section(
        "strict",
        f"""## Strict input checks (`make bench`)

What refusing duplicate JSON keys and unprintable ids costs, per input message, on the demo
day's {us["messages"]:,.0f} messages (medians of 5 interleaved rounds, compiled engine):

| what | us per message |
|---|---|
| the whole decoder (`signals.decode.decode`: msgspec, limits, both checks below) \
| {us["decode"]:.2f} |
| duplicate-key scan (`signals.strictjson.check_keys`) | {us["keys"]:.2f} |
| printable-id check | {us["ids"]:.2f} |
| **both checks, as a share of a replayed event ({event_us:.1f} us)** \
| **{checks / event_us:.1%}** |
""",
    )


def _replace_section(name: str, body: str) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# vigil benchmarks\n"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{body}{end}"
    if start in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.write_text(text)


def write_report(
    events: int, outputs: int, ceil: float, rep: float, ratio: float, hot: str
) -> None:
    section = f"""## Replay throughput (`make bench`)

Measured {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")} on {os.cpu_count()} cores,
Python {platform.python_version()}, one process (the collector tuned as `vigil replay` runs
it), best of {RUNS} interleaved runs.

| what | events/s |
|---|---|
| ceiling: read the events file and `orjson.loads` each line | {ceil:,.0f} |
| `vigil replay` of the same file: decode, validate, all three state families, \
{outputs:,} outputs encoded | {rep:,.0f} |
| **ratio** | **{ratio:.4f}** |

Input: the demo day, {events:,} events (seed 7). Where replay's own time goes (cProfile, top 10 by
own time; the profiler itself slows everything down):

```
{hot}
```
"""
    _replace_section("replay", section)


if __name__ == "__main__":
    main()
