"""The same events through Kafka to a running worker and through replay: the same decisions."""

import subprocess
from collections import Counter
from pathlib import Path

import orjson

from .conftest import VIGIL, Deployment

DECISION_TOPICS = ("enforcement-actions", "escalations", "shadow-actions")


def replay(path: Path, out: Path) -> dict[str, list[dict[str, object]]]:
    r = subprocess.run([VIGIL, "replay", str(path), "--out", str(out)], capture_output=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return {p.stem: [orjson.loads(x)["value"] for x in p.read_bytes().splitlines()]
            for p in out.iterdir()}


def identity(d: dict[str, object]) -> tuple[object, ...]:
    rule = d["rule"]
    target = d["target"]
    assert isinstance(rule, dict) and isinstance(target, dict)
    return (d["id"], rule["id"], rule["version"], target["type"], target["id"], d["outcome"],
            d["pack_hash"], d["window"])


def test_kafka_worker_and_replay_make_the_same_decisions(
    deployment: Deployment, day_file: Path, tmp_path: Path
) -> None:
    deployment.start_worker()
    deployment.produce(day_file)
    deployment.drained()
    kafka = deployment.outputs()
    local = replay(day_file, tmp_path / "replay")

    for topic in DECISION_TOPICS:
        got = Counter(identity(d) for d in kafka[topic])
        want = Counter(identity(d) for d in local[topic])
        assert got == want, f"{topic}: kafka-only {got - want}, replay-only {want - got}"
    assert sum(len(kafka[t]) for t in DECISION_TOPICS) > 50

    # bad input reaches dead-letter with the same reason and the same id either way
    assert Counter((d["id"], d["reason"]) for d in kafka["dead-letter"]) == \
        Counter((d["id"], d["reason"]) for d in local["dead-letter"])
    assert {d["reason"] for d in kafka["dead-letter"]} == {
        "invalid_envelope", "invalid_field", "oversized", "unknown_schema_version",
        "key_mismatch"}

    # trend alerts: the same incidents (their timing depends on partition interleaving)
    def incidents(alerts: list[dict[str, object]]) -> set[tuple[str, str]]:
        return {(a["key"]["kind"], a["key"]["value"]) for a in alerts  # type: ignore[index]
                if a["status"] == "firing"}
    assert incidents(kafka["trend-alerts"]) == incidents(local["trend-alerts"])
    assert ("hashtag", "blackoutchallenge2") in incidents(kafka["trend-alerts"])
