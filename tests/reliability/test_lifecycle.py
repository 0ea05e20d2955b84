"""A worker that cannot make progress says so and exits; SIGTERM stops one cleanly, in time.

Real worker processes on the real broker. The fault: an operator lowers an output topic's
`max.message.bytes` below a decision's size while the worker runs on the limits it read at
start, so the broker refuses what it publishes.
"""

import base64
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from tests.integration.conftest import Deployment, metric
from tests.integration.test_worker_parity import assert_same_decisions, replay

from .plain import set_topic_config


def health(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_worker_that_cannot_publish_turns_unhealthy_exits_and_loses_nothing(
    deployment: Deployment, day_file: Path, tmp_path: Path
) -> None:
    proc, port = deployment.start_worker(VIGIL_SHUTDOWN_TIMEOUT_SECONDS="15")
    assert health(port) == (200, health(port)[1]) and health(port)[1]["status"] == "ok"
    actions = deployment.prefix + "enforcement-actions"
    set_topic_config(deployment.bootstrap, actions, max_message_bytes="300")
    producer = deployment.produce_in_background(day_file, rate=2000)

    deadline = time.monotonic() + 60
    seen: list[tuple[float, int, object]] = []  # (asked at, status, body status)
    while proc.poll() is None:
        asked = time.time()
        try:
            status, body = health(port)
            seen.append((asked, status, body["status"]))
        except OSError:  # the web server is gone: unhealthy to any probe
            seen.append((asked, 0, "refused"))
        assert time.monotonic() < deadline, f"the worker did not exit: {seen[-3:]}"
        time.sleep(0.02)
    assert proc.returncode != 0
    assert producer.wait(timeout=120) == 0, producer.stderr
    log = (deployment.tmp / "worker-0.log").read_text()
    assert "worker_failed" in log and "OutputRefused" in log
    crashed = next(
        datetime.fromisoformat(json.loads(line)["timestamp"]).timestamp()
        for line in log.splitlines()
        if "Crashed reason=OutputRefused" in line
    )
    # /health never said ok once the crash happened (asked in the same millisecond, it may)
    assert [x for x in seen if x[0] > crashed + 0.001 and x[1] == 200] == [], seen[-5:]

    # the supervisor's restart reads the new limit: decisions too large for the topic go to
    # dead-letter instead, and none of the day's decisions is lost or sent twice
    _, port = deployment.start_worker()
    deployment.drained()
    assert metric(port, "vigil_outputs_refused_total") > 0
    outputs = deployment.outputs()
    refused = [d for d in outputs["dead-letter"] if d["reason"] == "output_refused"]
    assert {d["source_topic"] for d in refused} == {actions}
    outputs["enforcement-actions"] = [
        json.loads(base64.b64decode(str(d["original_b64"]))) for d in refused
    ]
    assert_same_decisions(outputs, replay(day_file, tmp_path / "replay"))


def test_sigterm_stops_a_busy_worker_in_time_and_commits_what_it_finished(
    deployment: Deployment, day_file: Path, tmp_path: Path
) -> None:
    proc, port = deployment.start_worker(VIGIL_SHUTDOWN_TIMEOUT_SECONDS="20")
    producer = deployment.produce_in_background(day_file, rate=600)
    while metric(port, "vigil_events_total") < 1000:
        time.sleep(0.2)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    stopped_in = time.monotonic() - started
    assert proc.returncode == 0 and stopped_in < 20, (proc.returncode, stopped_in)
    log = (deployment.tmp / "worker-0.log").read_text()
    assert "shutdown_deadline_passed" not in log

    deployment.start_worker()  # whatever was committed is not processed twice
    assert producer.wait(timeout=300) == 0, producer.stderr
    deployment.drained()
    assert_same_decisions(deployment.outputs(), replay(day_file, tmp_path / "replay"))


def test_the_deadline_ends_a_process_whose_stop_hangs() -> None:
    """A stand-in for a worker whose Faust stop never returns: the vitals thread ends it."""
    script = """
import time
from stream.worker.vitals import Vitals
class App:
    crash_reason = RuntimeError("the fetcher crashed")
Vitals(App(), 1.0).watch()
time.sleep(60)  # the event loop, stuck
"""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    said = done.stdout + done.stderr
    assert done.returncode == 70, said
    assert time.monotonic() - started < 10
    assert b"shutdown_deadline_passed" in said and b"worker_failed" in said
