"""The same events through Kafka to a running worker and through replay: the same decisions."""

import subprocess
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from tests.decisions import invariant

from .conftest import VIGIL, Deployment, metric, split

DECISION_TOPICS = ("enforcement-actions", "escalations", "shadow-actions")


def replay(path: Path, out: Path) -> dict[str, list[dict[str, object]]]:
    r = subprocess.run(
        [VIGIL, "replay", str(path), "--out", str(out)], capture_output=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    return {
        p.stem: [orjson.loads(x)["value"] for x in p.read_bytes().splitlines()]
        for p in out.iterdir()
    }


def assert_same_decisions(
    kafka: dict[str, list[dict[str, object]]], local: dict[str, list[dict[str, object]]]
) -> None:
    """The worker's decisions are the replay's (ids included), and none went out twice."""
    got = invariant([d for t in DECISION_TOPICS for d in kafka[t]])
    want = invariant([d for t in DECISION_TOPICS for d in local[t]])
    assert got == want, f"kafka-only {sorted(got - want)}, replay-only {sorted(want - got)}"
    assert len(want) > 50
    assert_no_duplicates(kafka)


def assert_no_duplicates(outputs: dict[str, list[dict[str, object]]]) -> None:
    """A decision id appears once on the output topics, whatever happened on the way."""
    ids = Counter(d["id"] for t in DECISION_TOPICS for d in outputs[t])
    assert [i for i, n in ids.items() if n > 1] == []


def resolved_by_sweeps(
    deployment: Deployment, timeout: float = 30
) -> dict[str, list[dict[str, object]]]:
    """The outputs once every incident that fired has been resolved.

    The day ends hours after its incidents, with no further events under most of their keys:
    only the worker's sweep, which sees the watermark move on, can resolve those.
    """
    deadline = time.monotonic() + timeout
    while True:
        outputs = deployment.outputs()
        status: dict[object, set[object]] = {}
        for a in outputs["trend-alerts"]:
            status.setdefault(a["incident_id"], set()).add(a["status"])
        open_ = [i for i, seen in status.items() if "resolved" not in seen]
        if status and not open_:
            return outputs
        if time.monotonic() > deadline:
            raise AssertionError(f"incidents still open after the day: {open_}")
        time.sleep(1)


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
def test_kafka_worker_and_replay_make_the_same_decisions(
    deployment: Deployment, day_file: Path, tmp_path: Path, store: str
) -> None:
    _, port = deployment.start_worker(VIGIL_STORE=store, VIGIL_SWEEP_SECONDS="1")
    deployment.produce(day_file)
    deployment.drained()
    kafka = resolved_by_sweeps(deployment)
    local = replay(day_file, tmp_path / "replay")

    assert_same_decisions(kafka, local)
    # hot creators and trend keys came from the decoded-state cache, not the table
    for family in ("creator", "trend"):
        assert metric(port, f'vigil_state_reads_total{{family="{family}",source="cache"}}') > 0

    # bad input reaches dead-letter with the same reason either way; each dead letter names
    # its own occurrence (partition and offset on Kafka, the line in replay), so ids differ
    assert Counter((d["original_sha256"], d["reason"]) for d in kafka["dead-letter"]) == Counter(
        (d["original_sha256"], d["reason"]) for d in local["dead-letter"]
    )
    assert len({d["id"] for d in kafka["dead-letter"]}) == len(kafka["dead-letter"])
    assert {d["reason"] for d in kafka["dead-letter"]} == {
        "invalid_envelope",
        "invalid_field",
        "oversized",
        "unknown_schema_version",
        "key_mismatch",
    }

    # trend alerts: the same incidents both ways, the demo's real ones among them. A key's
    # periods close on event time and its sketch tier counts by event time, so how the
    # partitions interleave does not change what a key's detector sees.
    def incidents(alerts: list[dict[str, object]]) -> set[tuple[str, str]]:
        return {
            (a["key"]["kind"], a["key"]["value"])
            for a in alerts  # type: ignore[index]
            if a["status"] == "firing"
        }

    real = {("hashtag", "blackoutchallenge2"), ("area_region", "harassment_bullying:US")}
    assert real <= incidents(local["trend-alerts"])
    assert incidents(kafka["trend-alerts"]) == incidents(local["trend-alerts"])


def test_a_restarted_worker_resumes_from_its_changelog(
    deployment: Deployment, day_file: Path, tmp_path: Path
) -> None:
    """Half the day, a restart on an empty data dir, the other half: the same as one replay.

    A small state cache: most keys are evicted and decoded again from the table meanwhile.
    """
    first, second = split(day_file, 2, tmp_path)

    proc, _ = deployment.start_worker(VIGIL_STATE_CACHE_KEYS="100")
    deployment.produce(first)
    deployment.drained()
    deployment.stop(proc)
    import shutil

    shutil.rmtree(deployment.tmp / "data", ignore_errors=True)  # state only in the changelog
    deployment.start_worker(VIGIL_STATE_CACHE_KEYS="100")
    deployment.produce(second)
    deployment.drained()

    assert_same_decisions(deployment.outputs(), replay(day_file, tmp_path / "replay"))
