"""`make soak`: one worker for a bounded time at half its sustained rate; does memory level off?

1. The sustained rate: the worker drains a day of traffic produced ahead of it.
2. The soak: traffic at half that rate for SOAK_MINUTES (default 20), made of the synthetic day
   generated a day later each time (new videos every day; the same creators and hashtags),
   so that SOAK_DAYS (default 21) of event time pass: three times the content TTL, so for the
   second half state must expire as fast as it comes for memory to stay level. Event time
   ends a day before the host's clock (the decoder refuses the future).
3. Every SAMPLE_SECONDS: the worker's resident memory, the group's lag on the input topics,
   and decision latency (a decision's produce time less its triggering event's, from their
   Kafka timestamps).

Results go to docs/benchmarks.md; the last line printed is
`soak_minutes=M rss_mb_start=A rss_mb_mid=B rss_mb_end=C second_half_growth=G p99_ms=L max_lag=N`.
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _replace_section  # noqa: E402
from bench_kafka import BOOTSTRAP, DECISIONS, PARTITIONS, Run, fill, pct  # noqa: E402

from schemas.common import INPUT_TOPICS  # noqa: E402
from signals.eventtime import DAY  # noqa: E402
from stream.demo.traffic import synthetic_day  # noqa: E402
from stream.topics import drop_topics  # noqa: E402

MINUTES = float(os.environ.get("SOAK_MINUTES", "20"))
DAYS = int(os.environ.get("SOAK_DAYS", "21"))
SAMPLE_SECONDS = float(os.environ.get("SOAK_SAMPLE_SECONDS", "30"))
RATE = float(os.environ.get("SOAK_RATE", "0"))  # events/s; 0: half the sustained rate
VIGIL = str(Path(sys.executable).parent / "vigil")
FORGET_MS = 120_000  # an input's produce time is kept this long for its decision to find it
BEHIND_SECONDS = 30  # a worker with more than this much traffic waiting has not kept up


def log(msg: str) -> None:
    print(f"[soak] {msg}", file=sys.stderr, flush=True)


def day_file(args: tuple[int, float, int, str]) -> str:
    """Write day k of the soak (in a process of its own: generating is heavy): the synthetic
    day at `start` + k days, its videos and events numbered apart from every other day's."""
    k, scale, start, path = args
    messages = synthetic_day(11, scale, start + k * DAY, first_id=k * 100_000_000)
    Path(path).write_bytes(b"\n".join(m.line() for m in messages) + b"\n")
    return path


@dataclass
class Sample:
    """One look at the worker."""

    minute: float
    rss_mb: float
    lag: int
    latencies: list[float] = field(default_factory=list)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Timing:
    """Decision latency from the Kafka timestamps of decisions and their triggering events.

    Inputs are read as bytes (their event id found by a search, not a JSON parse: the reader
    shares the machine with the worker) and forgotten after FORGET_MS.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.sent: dict[bytes, int] = {}
        self.order: deque[tuple[int, bytes]] = deque()
        self.window: list[float] = []
        self.lock = threading.Lock()
        self.stop = False

    def note(self, value: bytes, ts: int) -> None:
        at = value.find(b'"event_id":"')
        if at < 0:
            return
        event_id = value[at + 12 : value.find(b'"', at + 12)]
        self.sent[event_id] = ts
        self.order.append((ts, event_id))
        while self.order and self.order[0][0] < ts - FORGET_MS:
            self.sent.pop(self.order.popleft()[1], None)

    async def run(self) -> None:
        inputs = [self.prefix + t for t in INPUT_TOPICS]
        outputs = [self.prefix + t for t in DECISIONS]
        c = AIOKafkaConsumer(
            *inputs,
            *outputs,
            bootstrap_servers=BOOTSTRAP,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await c.start()
        try:
            while not self.stop:
                batch = await c.getmany(timeout_ms=500, max_records=20_000)
                for tp, msgs in batch.items():
                    decisions = tp.topic in outputs
                    for m in msgs:
                        if not decisions:
                            self.note(m.value or b"", m.timestamp)
                            continue
                        trigger = orjson.loads(m.value or b"{}")["source_event_ids"][-1].encode()
                        sent = self.sent.get(trigger)
                        if sent is not None:
                            with self.lock:
                                self.window.append(float(m.timestamp - sent))
        finally:
            await c.stop()

    def take(self) -> list[float]:
        with self.lock:
            out, self.window = self.window, []
        return sorted(out)


async def lag(app_id: str, prefix: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    await consumer.start()
    try:
        tps = [TopicPartition(prefix + t, p) for t in INPUT_TOPICS for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(tps)
        done = await admin.list_consumer_group_offsets(app_id)
        return sum(ends[tp] - (done[tp].offset if tp in done else 0) for tp in tps)
    finally:
        await consumer.stop()
        await admin.close()


def main() -> None:
    asyncio.run(drop_topics(BOOTSTRAP, ("soak-",)))
    try:
        soak()
    finally:
        asyncio.run(drop_topics(BOOTSTRAP, ("soak-",)))


def soak() -> None:
    prefix = f"soak-{uuid.uuid4().hex[:8]}."
    now = time.time_ns() // 1_000_000
    start = now - now % DAY - (DAYS + 1) * DAY
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        run = Run(
            prefix, tmp, app_id=f"soak-{uuid.uuid4().hex[:8]}", env={"VIGIL_SWEEP_SECONDS": "60"}
        )
        # the sustained rate: a day at scale 1, produced ahead, drained by the worker
        first = synthetic_day(7, 1.0, start)
        asyncio.run(fill(prefix, first))
        run.start()
        t0 = time.perf_counter()
        while run.events() < len(first) * 0.98:
            time.sleep(0.2)
        sustained = len(first) / (time.perf_counter() - t0)
        rate = RATE or sustained / 2
        per_day = rate * MINUTES * 60 / DAYS
        scale = per_day / len(first)
        log(
            f"sustained {sustained:,.0f} events/s: soaking at {rate:,.0f}/s, "
            f"{DAYS} days of {per_day:,.0f} events (scale {scale:.2f}) in {MINUTES:g} min"
        )
        samples = drive(run, prefix, scale, start, rate)
        alive = run.procs[0][0].poll() is None
        run.stop()
    report(samples, sustained, rate, scale, alive)


def drive(run: Run, prefix: str, scale: float, start: int, rate: float) -> list[Sample]:
    """Produce the soak's days at the rate, sampling the worker meanwhile. Every day's events
    file is generated before the clock starts (in two processes): generating beside the
    worker took half a core of the two it had, and starved it."""
    timing = Timing(prefix)
    reader = threading.Thread(target=lambda: asyncio.run(timing.run()), daemon=True)
    reader.start()
    samples: list[Sample] = []
    pid = run.procs[0][0].pid
    env = {
        **os.environ,
        "VIGIL_BROKER": f"kafka://{BOOTSTRAP}",
        "VIGIL_TOPIC_PREFIX": prefix,
        "VIGIL_PARTITIONS": str(PARTITIONS),
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        log(f"generating {DAYS} days of traffic")
        with ProcessPoolExecutor(2) as pool:
            files = list(
                pool.map(
                    day_file,
                    [(k, scale, start, f"{tmp_name}/day{k}.jsonl") for k in range(1, DAYS + 1)],
                )
            )
        begun = time.perf_counter()
        next_sample = begun + SAMPLE_SECONDS
        producer: subprocess.Popen[bytes] | None = None
        days_sent = 0
        while True:
            if producer is None or producer.poll() is not None:
                if producer is not None and producer.returncode != 0:
                    raise SystemExit("vigil produce failed")
                if days_sent == DAYS:
                    break
                path = files[days_sent]
                if days_sent:
                    Path(files[days_sent - 1]).unlink()  # about 350 MB each
                producer = subprocess.Popen(
                    [VIGIL, "produce", path, "--rate", str(int(rate))],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                days_sent += 1
            if time.perf_counter() >= next_sample:
                next_sample += SAMPLE_SECONDS
                s = Sample(
                    (time.perf_counter() - begun) / 60,
                    rss_mb(pid),
                    asyncio.run(lag(run.app_id, prefix)),
                    timing.take(),
                )
                samples.append(s)
                log(
                    f"{s.minute:5.1f} min: rss {s.rss_mb:,.0f} MB, lag {s.lag:,}, "
                    f"p99 {pct(s.latencies, 0.99):,.0f} ms over {len(s.latencies)} decisions"
                )
            time.sleep(0.5)
    timing.stop = True
    reader.join(timeout=30)
    return samples


def report(samples: list[Sample], sustained: float, rate: float, scale: float, alive: bool) -> None:
    if not samples:
        raise SystemExit("no samples: the soak ended before its first sample")
    rss = [s.rss_mb for s in samples]
    mid = rss[len(rss) // 2]
    growth = (rss[-1] - mid) / mid
    first_half = (mid - rss[0]) / rss[0]
    every = sorted(x for s in samples for x in s.latencies)
    rows = "\n".join(
        f"| {s.minute:.1f} | {s.rss_mb:,.0f} | {s.lag:,} | {pct(s.latencies, 0.5):,.0f} | "
        f"{pct(s.latencies, 0.99):,.0f} | {len(s.latencies):,} |"
        for s in samples
    )
    verdict = "levels off" if abs(growth) < 0.05 else f"grew {growth:.1%} over the second half"
    lags = [s.lag for s in samples]
    # keeping up: at the end, less than BEHIND_SECONDS of traffic waits for the worker
    behind = lags[-1] > rate * BEHIND_SECONDS
    keeping_up = (
        "fell behind (the lag grew from "
        f"{lags[len(lags) // 2]:,} half way to {lags[-1]:,}, "
        f"{lags[-1] / rate:,.0f} s of traffic): the rate was more than it sustains, "
        f"and decisions more than {FORGET_MS // 1000} s behind their input are not "
        "timed (the latency figures cover only the first minutes)"
        if behind
        else f"kept up (the lag stayed under {max(lags):,})"
    )
    pace = (
        f"set by SOAK_RATE; the sustained drain rate was {sustained:,.0f} events/s"
        if RATE
        else f"half the sustained drain rate of {sustained:,.0f} events/s"
    )
    _replace_section(
        "soak",
        f"""## Soak (`make soak`)

Measured {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}: one `vigil worker` for
{samples[-1].minute:.0f} minutes at {rate:,.0f} events/s ({pace}), {DAYS} days of event time
(the synthetic day at scale {scale:.2f}, generated a day later each time: new videos daily,
the same creators and hashtags), so content state (7-day TTL) must expire as fast as it
arrives. Sweep every 60 s. The worker
{"ran throughout" if alive else "had EXITED before the end"} and {keeping_up}.

Resident memory **{verdict}**: {rss[0]:,.0f} MB at the first sample, {mid:,.0f} MB half way
({first_half:+.1%}), {rss[-1]:,.0f} MB at the end ({growth:+.1%} over the second half).
Decision latency (produce of the triggering event to produce of the decision):
p50 {pct(every, 0.5):,.0f} ms, p99 {pct(every, 0.99):,.0f} ms, p99.9 {pct(every, 0.999):,.0f}
ms over {len(every):,} decisions.

| minute | RSS MB | input lag | p50 ms | p99 ms | decisions timed |
|---|---|---|---|---|---|
{rows}
""",
    )
    print(
        f"soak_minutes={samples[-1].minute:.1f} rss_mb_start={rss[0]:.0f} rss_mb_mid={mid:.0f} "
        f"rss_mb_end={rss[-1]:.0f} second_half_growth={growth:.4f} "
        f"p99_ms={pct(every, 0.99):.0f} max_lag={max(s.lag for s in samples)}"
    )


if __name__ == "__main__":
    main()
