"""Faults while traffic flows: a killed worker, a restarted broker, Redis away, a rebalance.

Each test runs real `vigil worker` processes against real Kafka and Redis and holds the result
to the replay of the same events: the same decisions (ids included), none emitted twice.
"""

import shutil
import signal
import time
from pathlib import Path

from redis import Redis

from tests.integration.conftest import Deployment, metric, running, split
from tests.integration.test_worker_parity import assert_same_decisions, replay

from .services import Service


def wait_for_events(port: int, n: int, timeout: float = 120) -> None:
    """Block until the worker on this port has processed at least n input messages."""
    deadline = time.monotonic() + timeout
    while metric(port, "vigil_events_total") < n:
        assert time.monotonic() < deadline, f"worker on :{port} did not reach {n} events"
        time.sleep(0.2)


def same_as_replay(deployment: Deployment, day_file: Path, tmp: Path) -> None:
    """Everything drained: decisions equal the replay's, and no id went out twice."""
    assert_same_decisions(deployment.outputs(), replay(day_file, tmp / "replay"))


def on_private(tmp: Path, **services: str) -> Deployment:
    """A deployment pointed at this test's own broker or Redis."""
    (tmp / "deployment").mkdir()
    return Deployment(tmp / "deployment", **services)  # type: ignore[arg-type]


def lines(path: Path) -> int:
    return path.read_bytes().count(b"\n")


def test_a_worker_killed_mid_stream_loses_and_repeats_nothing(
    deployment: Deployment, day_file: Path, tmp_path: Path
) -> None:
    proc, port = deployment.start_worker()
    producer = deployment.produce_in_background(day_file, rate=400)
    wait_for_events(port, lines(day_file) // 3)
    deployment.stop(proc, signal.SIGKILL)  # no commit, no flush, no goodbye
    shutil.rmtree(deployment.tmp / "data", ignore_errors=True)  # state only in the changelog

    deployment.start_worker()
    assert producer.wait(timeout=300) == 0, producer.stderr
    deployment.drained()
    same_as_replay(deployment, day_file, tmp_path)


def test_the_worker_rides_out_a_broker_restart(
    kafka: Service, day_file: Path, tmp_path: Path
) -> None:
    first, second = split(day_file, 2, tmp_path)
    with running(on_private(tmp_path, bootstrap=kafka.address)) as deployment:
        deployment.produce(first)
        proc, port = deployment.start_worker()
        wait_for_events(port, lines(day_file) // 8)
        kafka.stop()  # while the worker works through the first half
        time.sleep(5)
        kafka.start()
        deployment.produce(second)  # traffic after the outage: the worker must reconnect
        deployment.drained(timeout=240)
        assert proc.poll() is None, "the worker exited instead of reconnecting"
        assert metric(port, "vigil_events_total") >= lines(day_file) - 10  # bad envelopes
        same_as_replay(deployment, day_file, tmp_path)


def test_redis_away_degrades_dedup_and_loses_nothing(
    redis: Service, day_file: Path, tmp_path: Path
) -> None:
    parts = split(day_file, 3, tmp_path)
    with running(on_private(tmp_path, redis_url=redis.address)) as deployment:
        proc, port = deployment.start_worker()
        deployment.produce(parts[0])
        deployment.drained()
        assert metric(port, "vigil_ledger_errors_total") == 0

        redis.stop()
        deployment.produce(parts[1])
        deployment.drained()  # the stream goes on without Redis
        assert metric(port, "vigil_ledger_errors_total") > 0

        redis.start()  # empty: it kept nothing on disk
        deployment.produce(parts[2])
        deployment.drained()
        assert proc.poll() is None
        same_as_replay(deployment, day_file, tmp_path)
        # the ledger records again once Redis is back
        keys = Redis.from_url(redis.address).keys(f"vigil:{deployment.app_id}:*")
        assert keys, "nothing recorded in the ledger after Redis came back"


def test_two_workers_and_a_rebalance_decide_as_one(
    deployment: Deployment, day_file: Path, tmp_path: Path
) -> None:
    _, first = deployment.start_worker(VIGIL_DATA_DIR=str(tmp_path / "w1"))
    producer = deployment.produce_in_background(day_file, rate=400)
    wait_for_events(first, lines(day_file) // 4)
    _, second = deployment.start_worker(VIGIL_DATA_DIR=str(tmp_path / "w2"))  # rebalance
    assert producer.wait(timeout=300) == 0, producer.stderr
    deployment.drained()
    assert metric(second, "vigil_events_total") > 0, "the second worker was given no partition"
    same_as_replay(deployment, day_file, tmp_path)
