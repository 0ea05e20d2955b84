"""The same events through Kafka to a running worker and through replay: the same decisions."""

import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.decisions import invariant

from .conftest import VIGIL, Deployment, metric, split

DECISION_TOPICS = ("enforcement-actions", "escalations", "shadow-actions")


def replay(path: Path, out: Path, *options: str) -> dict[str, list[dict[str, object]]]:
    r = subprocess.run(
        [VIGIL, "replay", str(path), "--out", str(out), *options], capture_output=True, timeout=300
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
    only_kafka, only_replay = sorted(got - want), sorted(want - got)
    assert got == want, (
        f"{len(only_kafka)} kafka-only, {len(only_replay)} replay-only: "
        f"kafka-only {only_kafka}, replay-only {only_replay}"
    )
    assert len(want) > 50
    assert_no_duplicates(kafka)


def assert_no_duplicates(outputs: dict[str, list[dict[str, object]]]) -> None:
    """A decision id appears once on the output topics, whatever happened on the way."""
    ids = Counter(d["id"] for t in DECISION_TOPICS for d in outputs[t])
    assert [i for i, n in ids.items() if n > 1] == []


def newest_figures(outputs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The enforcement-quality topic as compaction leaves it (the newest record per key):
    per key and day, every count and how many latencies each histogram holds.

    Not compared: which bucket a time to action falls in and a key's `as_of`. A decision's
    event time is that of the event that triggered it, and for a rule reading several topics
    that can depend on the order Kafka delivers them (tests/decisions.py).
    """
    return {
        r["key"]: {
            d["day"]: (
                d["counts"],
                sum(d["to_action"].values()),
                sum(d["to_review"].values()),
            )
            for d in r["days"]
        }
        for r in outputs["enforcement-quality"]
    }


def assert_same_figures(
    deployment: Deployment, local: dict[str, list[dict[str, Any]]], timeout: float = 30
) -> dict[str, Any]:
    """The worker's enforcement-quality topic reaches the replay's figures, key by key (it
    publishes changed keys every VIGIL_QUALITY_PUBLISH_SECONDS, 1 here)."""
    want = newest_figures(local)
    deadline = time.monotonic() + timeout
    while True:
        got = newest_figures(deployment.outputs())
        if got == want or time.monotonic() > deadline:
            assert got == want
            return got
        time.sleep(1)


def newest_queues(outputs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The review-queues topic as compaction leaves it: per queue, what its items' entries
    and exits add up to.

    Not compared: what is read off them against the clock (the oldest wait, past due), which
    is as of the watermark a status was published at, and when the oldest item entered: an
    item enters at its decision's event time, which for a rule reading several topics (or a
    trend rule) can depend on the order Kafka delivers them (tests/decisions.py)."""
    newest = {q["queue"]: q for q in outputs["review-queues"]}
    fields = ("depth", "by_priority", "entered_24h", "cleared_24h", "cleared_late_24h")
    return {n: {f: q[f] for f in fields} for n, q in newest.items()}


def assert_same_queues(
    deployment: Deployment, local: dict[str, list[dict[str, Any]]], timeout: float = 30
) -> dict[str, Any]:
    """The worker's review-queues topic reaches the replay's queues (published every
    VIGIL_QUALITY_PUBLISH_SECONDS, 1 here)."""
    want = newest_queues(local)
    deadline = time.monotonic() + timeout
    while True:
        got = newest_queues(deployment.outputs())
        if got == want or time.monotonic() > deadline:
            assert got == want
            return got
        time.sleep(1)


def assert_same_queue_view(deployment: Deployment, port: int, replay_out: Path) -> None:
    """`vigil queues` shows the same queues from the compacted topic, from the worker's
    /queues view and from the replay's output; the view wants the token."""

    def queues(*source: str) -> dict[str, Any]:
        r = subprocess.run(
            [VIGIL, "queues", *source, "--json"],
            capture_output=True,
            timeout=120,
            env=deployment.env(),
        )
        assert r.returncode == 0, r.stderr
        return newest_queues({"review-queues": orjson.loads(r.stdout)})

    local = queues("--from", str(replay_out))
    assert local["report-surge"]["depth"] > 0
    assert queues("--kafka") == local
    assert queues("--url", f"http://127.0.0.1:{port}") == local
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/queues", timeout=5)
    assert refused.value.code == 401


def assert_same_report(deployment: Deployment, port: int, replay_out: Path) -> None:
    """`vigil report` gives the same counts from the compacted topic, from the worker's
    /enforcement view and from the replay's output; the view wants the token."""

    def counts(*source: str) -> dict[str, Any]:
        r = subprocess.run(
            [VIGIL, "report", *source, "--by", "area", "--window", "28d", "--json"],
            capture_output=True,
            timeout=120,
            env=deployment.env(),
        )
        assert r.returncode == 0, r.stderr
        return {g: f["counts"] for g, f in orjson.loads(r.stdout)["groups"].items()}

    local = counts("--from", str(replay_out))
    assert local["hate"]["actions"] > 0
    assert counts("--kafka") == local
    assert counts("--url", f"http://127.0.0.1:{port}") == local
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/enforcement", timeout=5)
    assert refused.value.code == 401


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
    # the enforcement-quality figures a worker computes on Kafka are the replay's, key by key
    figures = assert_same_figures(deployment, local)
    actions = sum(c["actions"] for days in figures.values() for c, _, _ in days.values())
    # every rule's action is in the figures (reversals and ladder steps are no rule's)
    by_rules = [d for d in local["enforcement-actions"] if "condition" in d["evidence"]]
    assert actions == len(by_rules)
    assert metric(port, "vigil_enforcement_7d") > 0  # and the Prometheus family has them
    # the review queues too: the same items in and out of each queue, by priority
    queues = assert_same_queues(deployment, local)
    assert queues["qa-sample"]["depth"] > 0 and queues["report-surge"]["depth"] > 0
    assert metric(port, 'vigil_review_queue{figure="depth",queue="report-surge"}') > 0
    if store == "memory":  # the report reads the same figures from the topic, the worker, a replay
        assert_same_report(deployment, port, tmp_path / "replay")
        assert_same_queue_view(deployment, port, tmp_path / "replay")
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

    outputs, local = deployment.outputs(), replay(day_file, tmp_path / "replay")
    assert_same_decisions(outputs, local)
    assert_same_figures(deployment, local)  # the quality state came back from its changelog too
    assert_same_queues(deployment, local)  # and the review queues' from theirs


def test_a_stream_that_pauses_fires_the_same_trends_as_one_that_does_not(
    deployment: Deployment, day_file: Path, tmp_path: Path
) -> None:
    """The day in four parts, the worker idle between them (its sweeps run meanwhile): a
    platform's traffic lulls and resumes, and no trend may be missed or invented for it."""
    deployment.start_worker(VIGIL_SWEEP_SECONDS="1")
    for part in split(day_file, 4, tmp_path):
        deployment.produce(part)
        deployment.drained()
        time.sleep(4)  # idle: the quiet release and a few sweeps run
    kafka = resolved_by_sweeps(deployment)
    local = replay(day_file, tmp_path / "replay")
    assert_same_decisions(kafka, local)

    def firing(alerts: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(a["key"]["kind"], a["key"]["value"]) for a in alerts if a["status"] == "firing"}

    assert firing(kafka["trend-alerts"]) == firing(local["trend-alerts"])
