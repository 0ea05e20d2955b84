"""A misfiring model release through Kafka: the worker's breaker trips at the replay's event
time and holds the same actions; `vigil rules reset` switches the rule back on the workers."""

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from signals.breaker import ACTION, RuleFact
from signals.eventtime import MINUTE, parse_ts
from signals.facts import pack as pack_facts
from stream.topics import RULE_COMMANDS
from tests.misfire import RELEASE, misfire_day

from .conftest import VIGIL, Deployment
from .test_worker_parity import DECISION_TOPICS, assert_no_duplicates, assert_same_queues, replay

RULE = "hate.model_remove"


def _changes(statuses: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {(s["rule_id"], s["mode"], s["since"], s["reason"]) for s in statuses if s["since"]}


def _held(outputs: dict[str, list[dict[str, Any]]]) -> set[str]:
    return {e["held_action"] for e in outputs["escalations"] if e.get("held_action")}


def _decided(outputs: dict[str, list[dict[str, Any]]]) -> set[str]:
    return {d["id"] for t in DECISION_TOPICS for d in outputs[t]}


def test_the_worker_trips_and_holds_as_replay_does_and_a_reset_switches_it_back(
    deployment: Deployment, tmp_path: Path
) -> None:
    day = misfire_day(tmp_path / "misfire.jsonl")
    deployment.start_worker()
    deployment.produce(day)
    deployment.drained()
    local = replay(day, tmp_path / "replay")
    held = _held(local)
    assert 300 < len(held) < 400  # most of the release's removals went to review
    deadline = time.monotonic() + 60
    while True:  # the rule family publishes after the content family: let it finish
        kafka = deployment.outputs()
        if _decided(kafka) >= _decided(local) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert _held(kafka) == held
    assert _decided(kafka) == _decided(local)  # enforced, held, paged: the same ids
    assert_no_duplicates(kafka)
    trip = _changes(local["rule-state"])
    assert trip == _changes(kafka["rule-state"])
    ((rule, mode, since, reason),) = trip
    assert (rule, mode) == (RULE, "held") and reason in ("spike", "cap:US", "cap")
    assert parse_ts(since) - RELEASE <= 5 * MINUTE  # within minutes of the release
    page = [e for e in kafka["escalations"] if e["target"]["type"] == "rule"]
    assert [p["evidence"]["model_versions"].get("mm-safety@2026.12.0", 0) > 0 for p in page] == [
        True
    ]
    # every held action waits for a human in held-by-breaker, on Kafka as in replay
    queues = assert_same_queues(deployment, local)
    assert queues["held-by-breaker"]["depth"] == len(held)

    # whoever may reset a breaker cannot hand it an action to enforce: a forged one, sent on
    # rule-commands ahead of the reset (one partition, in order), is refused
    forged = {**kafka["enforcement-actions"][0], "id": "forged-action"}
    asyncio.run(_send_command(deployment, RuleFact(ACTION, RULE, 0, forged).fields()))
    r = subprocess.run(
        [VIGIL, "rules", "reset", RULE, "--reason", "release rolled back", "--by", "oncall-ana"],
        env=deployment.env(),
        capture_output=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 60
    while True:
        status = subprocess.run(
            [VIGIL, "rules", "status", "--kafka", "--json"],
            env=deployment.env(),
            capture_output=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr
        newest = {s["rule_id"]: s for s in orjson.loads(status.stdout)}[RULE]
        if newest["mode"] == "automatic" or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert (newest["mode"], newest["reason"], newest["changed_by"]) == (
        "automatic",
        "reset: release rolled back",
        "oncall-ana",
    )
    after = deployment.outputs()  # neither enforced nor held for review: not taken at all
    assert "forged-action" not in _decided(after) | _held(after)


async def _send_command(deployment: Deployment, fields: list[Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=deployment.bootstrap, **deployment.kafka_auth)
    await producer.start()
    try:
        for value in pack_facts([fields]):
            await producer.send_and_wait(
                deployment.prefix + RULE_COMMANDS, value, key=RULE.encode()
            )
    finally:
        await producer.stop()
