"""Fixtures for tests against the real local Kafka broker and Redis (`make services-up`).

These tests never skip: without the services they fail with the command to start them.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from stream.topics import drop_topics

BOOTSTRAP = os.environ.get("VIGIL_TEST_BOOTSTRAP", "127.0.0.1:9092")
REDIS_URL = os.environ.get("VIGIL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
VIGIL = str(Path(sys.executable).parent / "vigil")
OUTPUTS = (
    "enforcement-actions",
    "escalations",
    "trend-alerts",
    "shadow-actions",
    "dead-letter",
    "enforcement-quality",
    "rule-state",
    "review-queues",
)
SOURCES = (
    "uploads",
    "reports",
    "model-scores",
    "reviews",
    "vigil-creator-facts",
    "vigil-trend-facts",
    "vigil-quality-facts",
    "vigil-rule-facts",
)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def services() -> Iterator[None]:
    host, port = BOOTSTRAP.split(":")
    if not _answers(host, int(port)):
        pytest.fail(f"Kafka is not answering on {BOOTSTRAP}: run `make services-up`")
    if not _answers("127.0.0.1", 6379):
        pytest.fail("Redis is not answering on 127.0.0.1:6379: run `make services-up`")
    yield
    asyncio.run(drop_topics(BOOTSTRAP, ("outbox-",)))  # deployments drop their own


def metric(port: int, name: str) -> float:
    """Sum of a Prometheus metric over its labels, from a worker's /metrics."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith(name + "{") or line.startswith(name + " ")
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Deployment:
    """One isolated vigil deployment on the shared broker: its own topic prefix and app id."""

    tmp: Path
    prefix: str = field(default_factory=lambda: f"it-{uuid.uuid4().hex[:8]}.")
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: dict[int, int] = field(default_factory=dict)  # worker pid -> its web port
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    bootstrap: str = BOOTSTRAP  # the fault tests point a deployment at private services
    redis_url: str = REDIS_URL
    kafka_auth: dict[str, str] = field(default_factory=dict)  # the checks' own credentials

    @property
    def app_id(self) -> str:
        return f"vigil-{self.prefix.rstrip('.')}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "VIGIL_BROKER": f"kafka://{self.bootstrap}",
            "VIGIL_REDIS_URL": self.redis_url,
            "VIGIL_TOPIC_PREFIX": self.prefix,
            "VIGIL_APP_ID": self.app_id,
            "VIGIL_DATA_DIR": str(self.tmp / "data"),
            "VIGIL_PARTITIONS": "4",
            "VIGIL_LOG_FORMAT": "json",
            "VIGIL_API_TOKEN": self.token,
            "VIGIL_QUALITY_PUBLISH_SECONDS": "1",
            **extra,
        }

    def start_worker(self, **extra: str) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        log = (self.tmp / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [VIGIL, "worker"],
            env=self.env(VIGIL_WEB_PORT=str(port), **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        self.ports[proc.pid] = port
        deadline = time.monotonic() + 90
        path = Path(log.name)
        while b"Worker]: Ready" not in path.read_bytes():
            if proc.poll() is not None:
                raise AssertionError(f"worker exited: {path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker not ready: {path.read_text()[-3000:]}")
            time.sleep(0.2)
        return proc, port

    def stop(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def produce(self, path: Path, **extra: str) -> None:
        r = subprocess.run(
            [VIGIL, "produce", str(path)], env=self.env(**extra), capture_output=True, timeout=180
        )
        assert r.returncode == 0, r.stderr

    def produce_in_background(self, path: Path, rate: int) -> subprocess.Popen[bytes]:
        """Start `vigil produce` at a steady rate and return: traffic flows through a fault."""
        return subprocess.Popen(
            [VIGIL, "produce", str(path), "--rate", str(rate)],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def drained(self, timeout: float = 180) -> None:
        """Wait until the worker group has committed every source and re-keying topic's end
        and no live worker's breakers or trend keys have actions or facts waiting for clocks
        (they are decided once the input has been quiet a few seconds, and their facts
        drained)."""
        deadline = time.monotonic() + timeout

        def lag_gone() -> None:
            asyncio.run(
                _wait_drained(
                    self.bootstrap,
                    self.app_id,
                    [self.prefix + t for t in SOURCES],
                    max(1.0, deadline - time.monotonic()),
                    self.kafka_auth,
                )
            )

        while True:
            lag_gone()
            live = [self.ports[p.pid] for p in self.procs if p.poll() is None]
            waiting = ("vigil_breaker_waiting", "vigil_trend_waiting")
            if not any(metric(port, name) for port in live for name in waiting):
                break
            assert time.monotonic() < deadline, "breakers or trend keys still have facts waiting"
            time.sleep(1)
        lag_gone()  # the creator facts of the actions decided last

    def drop_topics(self) -> None:
        """Delete this deployment's topics and changelogs; a broker already gone is fine."""
        # the fault tests' private brokers may be stopped already
        with contextlib.suppress(Exception):
            asyncio.run(
                asyncio.wait_for(
                    drop_topics(self.bootstrap, (self.prefix, self.app_id + "-"), self.kafka_auth),
                    60,
                )
            )

    def outputs(self) -> dict[str, list[dict[str, object]]]:
        """Everything on the output topics, decoded, per logical topic."""
        return asyncio.run(
            _read_all(
                self.bootstrap, [self.prefix + t for t in OUTPUTS], self.prefix, self.kafka_auth
            )
        )


async def _wait_drained(
    bootstrap: str, group: str, topics: list[str], timeout: float, auth: dict[str, str]
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **auth)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **auth)
    await admin.start()
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in range(4)]
        deadline = time.monotonic() + timeout
        stable = 0
        while True:
            ends = await consumer.end_offsets(tps)
            committed = await admin.list_consumer_group_offsets(group)
            behind = {
                f"{tp.topic}[{tp.partition}]": ends[tp] - committed[tp].offset
                if tp in committed
                else ends[tp]
                for tp in tps
            }
            lag = sum(behind.values())
            stable = stable + 1 if lag == 0 else 0
            if stable >= 3:  # three quiet polls: re-keyed facts have been consumed too
                return
            if time.monotonic() > deadline:
                lagging = {k: v for k, v in behind.items() if v}
                raise AssertionError(f"worker group {group} still has lag {lag}: {lagging}")
            await asyncio.sleep(1.0)
    finally:
        await consumer.stop()
        await admin.close()


async def _read_all(
    bootstrap: str, topics: list[str], prefix: str, auth: dict[str, str]
) -> dict[str, list[dict[str, object]]]:
    c = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        **auth,
    )
    await c.start()
    out: dict[str, list[dict[str, object]]] = {t[len(prefix) :]: [] for t in topics}
    try:
        await asyncio.sleep(0.5)
        idle = 0
        while idle < 3:
            batch = await c.getmany(timeout_ms=700)
            idle = idle + 1 if not batch else 0
            for tp, msgs in batch.items():
                out[tp.topic[len(prefix) :]].extend(orjson.loads(m.value) for m in msgs)
    finally:
        await c.stop()
    return out


def split(path: Path, parts: int, into: Path) -> list[Path]:
    """The events file cut into consecutive parts, to feed a worker in stages."""
    rows = path.read_bytes().splitlines(keepends=True)
    out = []
    for i in range(parts):
        part = into / f"{path.stem}-part{i}.jsonl"
        part.write_bytes(b"".join(rows[i * len(rows) // parts : (i + 1) * len(rows) // parts]))
        out.append(part)
    return out


@contextmanager
def running(d: Deployment) -> Iterator[Deployment]:
    """The deployment, with every worker it started stopped and its topics dropped afterwards
    (kept with VIGIL_TEST_KEEP_TOPICS=1, to read what a failed run's workers published)."""
    try:
        yield d
    finally:
        for p in d.procs:
            d.stop(p)
        if os.environ.get("VIGIL_TEST_KEEP_TOPICS") != "1":
            d.drop_topics()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    with running(Deployment(tmp_path)) as d:
        yield d


@pytest.fixture(scope="session")
def day_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic day with the injected incidents and the bad-input lines."""
    path = tmp_path_factory.mktemp("day") / "day.jsonl"
    r = subprocess.run(
        [VIGIL, "demo", "--scale", "0.05", "--write", str(path)], capture_output=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    return path
