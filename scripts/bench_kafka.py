"""`make bench-kafka`: the worker on the real broker, against a ceiling measured in the same run.

One run measures, on the local Kafka and Redis (`make services-up`):
- the ceiling: raw aiokafka consumption of the input topics with orjson decoding;
- sustained throughput of one `vigil worker` process (full pipeline, ledger, changelogs);
- scale-out: two worker processes on the same pre-filled topics;
- decision latency p50/p99/p99.9, produce to output, at 50% and 90% of the sustained rate;
- where the worker's time goes (py-spy, sampled from outside the process);
- resident memory per million content keys, creators and trend keys.

Results go to docs/benchmarks.md; the last line printed is
`worker_eps=N ceiling_eps=M ratio=R p99_ms=L scaleout=S`.
"""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _replace_section  # noqa: E402

from schemas.common import INPUT_TOPICS  # noqa: E402
from stream.cli.produce import produce  # noqa: E402
from stream.config import Settings  # noqa: E402
from stream.demo.traffic import Message, synthetic_day  # noqa: E402
from stream.topics import drop_topics  # noqa: E402

BOOTSTRAP = os.environ.get("VIGIL_BENCH_BOOTSTRAP", "127.0.0.1:9092")
REDIS_URL = os.environ.get("VIGIL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SCALE = float(os.environ.get("VIGIL_BENCH_SCALE", "2.0"))
LATENCY_SCALE = 0.2
PARTITIONS = int(os.environ.get("VIGIL_BENCH_PARTITIONS", "4"))
VIGIL = str(Path(sys.executable).parent / "vigil")
PY_SPY = Path(sys.executable).parent / "py-spy"
SOURCES = (*INPUT_TOPICS, "vigil-creator-facts", "vigil-trend-facts")
DECISIONS = ("enforcement-actions", "escalations", "shadow-actions")


def log(msg: str) -> None:
    print(f"[bench-kafka] {msg}", file=sys.stderr, flush=True)


# -- topics and traffic ------------------------------------------------------------------------
async def fill(prefix: str, messages: list[Message], rate: float = 0.0) -> None:
    """Create the deployment's topics and produce the messages with `vigil produce`'s code.

    rate 0 sends as fast as the broker takes them; otherwise paced. Each record's CreateTime
    is when it was handed to Kafka, the start of the latency measurement.
    """
    settings = Settings(
        broker=f"kafka://{BOOTSTRAP}",
        topic_prefix=prefix,
        partitions=PARTITIONS,
        app_id="bench-fill",
    )
    await produce(settings, (m.line() for m in messages), rate)


async def ceiling(prefix: str, total: int) -> float:
    """Events/s for a raw aiokafka consumer reading the input topics and orjson-decoding them."""
    consumer = AIOKafkaConsumer(
        *[prefix + t for t in INPUT_TOPICS],
        bootstrap_servers=BOOTSTRAP,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 << 20,
    )
    await consumer.start()
    try:
        n = 0
        start = 0.0
        while n < total:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            if not start and batch:
                start = time.perf_counter()  # from the first record: not the group join
            for msgs in batch.values():
                for m in msgs:
                    orjson.loads(m.value)  # type: ignore[arg-type]
                n += len(msgs)
        return n / (time.perf_counter() - start)
    finally:
        await consumer.stop()


# -- workers -----------------------------------------------------------------------------------
@dataclass
class Run:
    """Worker processes of one deployment on a topic prefix."""

    prefix: str
    tmp: Path
    app_id: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex[:8]}")
    procs: list[tuple[subprocess.Popen[bytes], int]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # more settings for the workers

    def start(self, n: int = 1) -> None:
        """Start n worker processes and wait until each is ready."""
        logs = []
        for _ in range(n):
            port = _free_port()
            path = self.tmp / f"{self.app_id}-{len(self.procs)}.log"
            env = {
                **os.environ,
                "VIGIL_BROKER": f"kafka://{BOOTSTRAP}",
                "VIGIL_REDIS_URL": REDIS_URL,
                "VIGIL_TOPIC_PREFIX": self.prefix,
                "VIGIL_APP_ID": self.app_id,
                "VIGIL_PARTITIONS": str(PARTITIONS),
                "VIGIL_DATA_DIR": str(self.tmp / f"data-{len(self.procs)}"),
                "VIGIL_WEB_PORT": str(port),
                "VIGIL_LOG_FORMAT": "json",
                "VIGIL_API_TOKEN": uuid.uuid4().hex,
                **self.env,
            }
            proc = subprocess.Popen(
                [VIGIL, "worker"],
                env=env,
                stdout=path.open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.procs.append((proc, port))
            logs.append((proc, path))
        for proc, path in logs:
            deadline = time.monotonic() + 120
            while b"Worker]: Ready" not in path.read_bytes():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"worker did not start: {path.read_text()[-2000:]}")
                time.sleep(0.1)

    def events(self) -> float:
        """Input messages processed so far, over all of this run's workers."""
        return sum(_metric(port, "vigil_events_total") for _, port in self.procs)

    def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _metric(port: int, name: str) -> float:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith(name) and line[len(name)] in "{ "
    )


@dataclass
class Drain:
    """How a deployment worked through the pre-filled topics."""

    eps: float  # by the workers' events counters, between 10% and 90% of the input
    committed_eps: float  # by the group's committed input offsets, between 10% and 90%
    seconds: float  # from the workers' start until every topic, facts included, was committed


def sustained(run: Run, total: int) -> Drain:
    """Watch a deployment drain the input, by its events counters and its commits.

    The counters are the finer clock, but after a rebalance a worker processes again what
    another had not committed yet, and the counters count it twice (two workers once read
    2.67 times one); committed offsets count each input once, at the commit interval's grain.
    """
    return asyncio.run(_watch(run, total))


async def _watch(run: Run, total: int) -> Drain:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    inputs = [TopicPartition(run.prefix + t, p) for t in INPUT_TOPICS for p in range(PARTITIONS)]
    counted: dict[float, float] = {}
    committed: dict[float, float] = {}
    start = time.perf_counter()
    try:
        while len(committed) < 2:
            n = run.events()
            offsets = await admin.list_consumer_group_offsets(run.app_id)
            c = sum(max(offsets[tp].offset, 0) for tp in inputs if tp in offsets)
            now = time.perf_counter()
            for frac in (0.1, 0.9):
                if frac not in counted and n >= frac * total:
                    counted[frac] = now
                if frac not in committed and c >= frac * total:
                    committed[frac] = now
            if now - start > 1800:
                raise SystemExit(f"{run.app_id} committed only {c} of {total} events in 30 min")
            await asyncio.sleep(0.05)
    finally:
        await admin.close()
    await drained(run)
    return Drain(
        0.8 * total / (counted[0.9] - counted[0.1]),
        0.8 * total / (committed[0.9] - committed[0.1]),
        time.perf_counter() - start,
    )


async def drained(run: Run, timeout: float = 600) -> None:
    """Wait until the group has committed the end of every source and re-keying topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    await consumer.start()
    try:
        tps = [TopicPartition(run.prefix + t, p) for t in SOURCES for p in range(PARTITIONS)]
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            ends = await consumer.end_offsets(tps)
            done = await admin.list_consumer_group_offsets(run.app_id)
            lag = sum(ends[tp] - (done[tp].offset if tp in done else 0) for tp in tps)
            quiet = quiet + 1 if lag == 0 else 0
            if time.monotonic() > deadline:
                raise SystemExit(f"{run.app_id} still has lag {lag}")
            await asyncio.sleep(0.5)
    finally:
        await consumer.stop()
        await admin.close()


# -- latency -----------------------------------------------------------------------------------
async def read_stamped(topics: list[str]) -> list[tuple[int, bytes]]:
    """(CreateTime, value) of every record on these topics."""
    c = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=BOOTSTRAP,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await c.start()
    out: list[tuple[int, bytes]] = []
    try:
        idle = 0
        while idle < 3:
            batch = await c.getmany(timeout_ms=700, max_records=10_000)
            idle = idle + 1 if not batch else 0
            for msgs in batch.values():
                out.extend((m.timestamp, m.value) for m in msgs)  # type: ignore[misc]
    finally:
        await c.stop()
    return out


def latencies(prefix: str) -> list[float]:
    """Milliseconds from the last source event's produce to its decision's produce."""
    sent = {
        orjson.loads(v)["event_id"]: ts
        for ts, v in asyncio.run(read_stamped([prefix + t for t in INPUT_TOPICS]))
    }
    out = []
    for ts, v in asyncio.run(read_stamped([prefix + t for t in DECISIONS])):
        sources = [sent[e] for e in orjson.loads(v)["source_event_ids"] if e in sent]
        if sources:
            out.append(float(ts - max(sources)))
    return sorted(out)


def pct(xs: list[float], q: float) -> float:
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def latency_at(messages: list[Message], rate: float, tmp: Path) -> tuple[list[float], float]:
    """Decision latencies with traffic produced at this rate to a fresh deployment."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    asyncio.run(fill(prefix, []))
    run = Run(prefix, tmp)
    run.start()
    try:
        t0 = time.perf_counter()
        asyncio.run(fill(prefix, messages, rate))
        achieved = len(messages) / (time.perf_counter() - t0)
        asyncio.run(drained(run))
    finally:
        run.stop()
    return latencies(prefix), achieved


# -- profile -----------------------------------------------------------------------------------
def profile(prefix: str, total: int, tmp: Path) -> str:
    """Where a worker's time goes while it drains the pre-filled topics (py-spy, 100 Hz).

    The worker runs the Python source of the engine: py-spy sees no frames inside compiled
    modules (and its native unwinding needs blocking samples, which halve the worker's speed).
    """
    run = Run(prefix, tmp, env={"VIGIL_NATIVE": "0"})
    run.start()
    out = tmp / "profile.txt"
    pid = run.procs[0][0].pid
    spy = subprocess.Popen(
        [
            str(PY_SPY),
            "record",
            "--pid",
            str(pid),
            "--rate",
            "100",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        sustained(run, total)
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
        run.stop()
    return summarise_profile(out)


# where a sampled stack is spent, by the first frame that names one of these (innermost wins)
BUCKETS = [
    ("decode + validate input (msgspec)", ("signals/decode.py",)),
    ("content state + content rules", ("signals/content.py", "Engine.on_content (signals/")),
    ("rule evaluation (CEL)", ("signals/rules.py",)),
    ("creator state + rules", ("signals/creator.py",)),
    (
        "trend detection",
        ("signals/trend.py", "signals/detect.py", "signals/trendgate.py", "signals/fingerprint.py"),
    ),
    ("state encode/decode (msgspec)", ("encode (signals", "decode (signals")),
    ("Redis ledger", ("stream/worker/ledger.py", "redis/")),
    ("Kafka produce (aiokafka)", ("aiokafka/producer", "faust/transport/producer")),
    (
        "Kafka consume + Faust stream",
        ("aiokafka/consumer", "faust/streams", "faust/transport", "faust/channels", "faust/topics"),
    ),
    ("Faust tables + changelog", ("faust/tables", "faust/stores")),
    ("engine, shared parts (windows, facts between families)", ("signals/",)),
    (
        "vigil's batch glue (fetch loop, outbox, table writes)",
        (
            "stream/worker/transport/fetch.py",
            "stream/worker/outbox.py",
            "stream/worker/tables.py",
            "stream/worker/runtime.py",
        ),
    ),
    ("waiting in select (idle)", ("selectors",)),
    ("asyncio loop + mode services", ("asyncio/", "mode/")),
]


def summarise_profile(path: Path) -> str:
    """Share of samples per activity, from py-spy's collapsed stacks."""
    counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        frames = stack.split(";")
        label = "other"
        for frame in reversed(frames):  # innermost first
            hit = next((name for name, keys in BUCKETS if any(k in frame for k in keys)), None)
            if hit:
                label = hit
                break
        counts[label] += int(n)
    rows = "\n".join(f"| {name} | {100 * n / total:.1f}% |" for name, n in counts.most_common())
    return f"| activity (innermost matching frame) | share of samples |\n|---|---|\n{rows}\n"


# -- memory ------------------------------------------------------------------------------------
def memory_per_million(family: str, n: int = 200_000) -> tuple[float, float]:
    """MB per million keys of one family: (RSS growth, bytes the table holds)."""
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "memory_probe.py"), family, str(n)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    if r.returncode:
        raise SystemExit(r.stderr)
    grown, held = (float(x) for x in r.stdout.split())
    return grown / n, held / n  # bytes per key = MB per million keys


# -- report ------------------------------------------------------------------------------------
def main() -> None:
    # every deployment here uses a bench-* prefix and app id: drop them, even a crashed run's
    asyncio.run(drop_topics(BOOTSTRAP, ("bench-",)))
    try:
        measure()
    finally:
        asyncio.run(drop_topics(BOOTSTRAP, ("bench-",)))


def measure() -> None:
    """Every measurement of one run, the report written and the summary line printed."""
    tmp = Path(tempfile.mkdtemp(prefix="vigil-bench-kafka-"))
    messages = synthetic_day(seed=7, scale=SCALE)
    total = len(messages)

    def filled() -> str:
        """A new topic prefix holding the day. Every deployment drains its own: the re-keyed
        fact topics belong to the prefix, so a second deployment on the same one would also
        read the facts the first had written (once measured as a two-worker run with twice
        the facts to apply)."""
        prefix = f"bench-{uuid.uuid4().hex[:8]}."
        log(f"filling {prefix}* with {total:,} events ({PARTITIONS} partitions)")
        asyncio.run(fill(prefix, messages))
        return prefix

    prefix = filled()

    log("ceiling: raw aiokafka + orjson")
    ceil = max(asyncio.run(ceiling(prefix, total)) for _ in range(2))

    log("one worker process")
    one = Run(prefix, tmp)
    one.start()
    try:
        one_drain = sustained(one, total)
    finally:
        one.stop()

    log("two worker processes")
    two = Run(filled(), tmp)
    two.start(2)
    try:
        two_drain = sustained(two, total)
    finally:
        two.stop()

    lat = {}
    # a whole day at a fifth of the size: every incident, so hundreds of decisions to time
    sample = synthetic_day(seed=7, scale=LATENCY_SCALE)
    for share in (0.5, 0.9):
        rate = share * one_drain.eps
        log(f"latency at {share:.0%} load: {rate:,.0f} events/s, {len(sample):,} events")
        lat[share] = latency_at(sample, rate, tmp)

    log("profile (py-spy)")
    hot = profile(filled(), total, tmp)

    log("memory per million keys")
    mem = {f: memory_per_million(f) for f in ("content", "creator", "trend")}

    ratio = one_drain.eps / ceil
    scaleout = two_drain.committed_eps / one_drain.committed_eps
    p99 = pct(lat[0.5][0], 0.99)
    write_report(total, ceil, one_drain, two_drain, lat, hot, mem)
    shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"worker_eps={one_drain.eps:.0f} ceiling_eps={ceil:.0f} ratio={ratio:.4f} "
        f"p99_ms={p99:.0f} scaleout={scaleout:.2f}"
    )


def write_report(
    total: int,
    ceil: float,
    one: Drain,
    two: Drain,
    lat: dict[float, tuple[list[float], float]],
    hot: str,
    mem: dict[str, tuple[float, float]],
) -> None:
    rows = "\n".join(
        f"| {share:.0%} | {achieved:,.0f} | {len(xs):,} | {pct(xs, 0.5):.0f} | {pct(xs, 0.99):.0f}"
        f" | {pct(xs, 0.999):.0f} | {max(xs) if xs else float('nan'):.0f} |"
        for share, (xs, achieved) in lat.items()
    )
    speedup = two.committed_eps / one.committed_eps
    section = f"""## Worker on Kafka (`make bench-kafka`)

Measured {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")} on {os.cpu_count()} cores shared
by the broker (Kafka {_kafka_version()}, KRaft, one node), Redis and the workers. Load: the
synthetic day at scale {SCALE}, {total:,} events (uploads, reports, model scores, reviews, with the
demo's incidents), keyed by content id on {PARTITIONS} partitions per topic.

| what | events/s |
|---|---|
| ceiling: one raw aiokafka consumer + `orjson.loads`, same topics | {ceil:,.0f} |
| one `vigil worker` process, full pipeline (10% to 90% of the input) | {one.eps:,.0f} |
| **ratio** | **{one.eps / ceil:.4f}** |

Scale-out, each deployment on topics of its own holding the same day, by the group's
committed input offsets between 10% and 90% of the input (a worker's events counter counts
twice what it processes again after a rebalance):

| deployment | committed events/s | until every topic was committed |
|---|---|---|
| one worker process | {one.committed_eps:,.0f} | {one.seconds:.1f} s |
| two worker processes | {two.committed_eps:,.0f} (speed-up {speedup:.2f}) | {two.seconds:.1f} s |

Decision latency, from the triggering input's produce (its Kafka CreateTime) to the decision's
produce, with traffic paced at a share of the one-process rate: the synthetic day at scale
{LATENCY_SCALE} (every incident, a fifth of the organic traffic) to a fresh worker:

| load | achieved events/s | decisions | p50 ms | p99 ms | p99.9 ms | max ms |
|---|---|---|---|---|---|---|
{rows}

Where one worker's time goes while it drains the topics, running the Python source of the
engine (`VIGIL_NATIVE=0`: py-spy sees no frames inside compiled modules, so the shares of the
engine's parts are those of the source build; compiled, they shrink by about a third). py-spy
at 100 Hz, non-blocking; every thread, so the Faust consumer thread's fetch loop is in it too;
each sample is put under the innermost frame that matches an activity:

{hot}
Memory per million keys, held as the worker's memory store holds them (encoded state per
key in a dict), 200,000 keys built through the engine in a fresh process per family. The RSS
growth includes the allocator fragmentation the processing leaves behind; the table itself is
the floor a long-lived worker approaches:

| family | RSS growth, MB per million keys | table (keys + encoded state), MB per million |
|---|---|---|
| content (an upload and a score each) | {mem["content"][0]:,.0f} | {mem["content"][1]:,.0f} |
| creators (one upload each) | {mem["creator"][0]:,.0f} | {mem["creator"][1]:,.0f} |
| trend keys promoted to exact state | {mem["trend"][0]:,.0f} | {mem["trend"][1]:,.0f} |
"""
    _replace_section("kafka", section)


def _kafka_version() -> str:
    libs = ROOT / ".local" / "kafka" / "libs"
    jars = sorted(p.name for p in libs.glob("kafka_2.13-*.jar")) if libs.exists() else []
    return jars[0].removeprefix("kafka_2.13-").removesuffix(".jar") if jars else "?"


if __name__ == "__main__":
    main()
