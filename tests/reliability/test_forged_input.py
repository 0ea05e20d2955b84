"""Messages an attacker writes with a plain Kafka client, or slips into an events file, can
neither forge nor skew enforcement: each is refused with a reason that quotes nothing."""

import asyncio
import base64
import json
import time
from pathlib import Path

import orjson
from aiokafka.admin import AIOKafkaAdminClient

from tests.integration.conftest import Deployment, metric
from tests.packs import edited_pack

from .plain import send

BASE = {"ts": "2026-11-20T10:00:00Z", "creator_id": "u-x", "region": "US", "language": "en"}


def upload(cid: str, **extra: object) -> bytes:
    return json.dumps({"event_id": f"up-{cid}", "content_id": cid, **BASE, **extra}).encode()


def score(cid: str, hate: float, **extra: object) -> bytes:
    return json.dumps(
        {
            "event_id": f"sc-{cid}",
            "ts": "2026-11-20T10:00:05Z",
            "content_id": cid,
            "creator_id": "u-x",
            "model": "m",
            "model_version": "1",
            "scores": {"hate": hate},
            **extra,
        }
    ).encode()


def test_forged_and_skewing_messages_are_refused_without_echoing_them(
    deployment: Deployment, tmp_path: Path
) -> None:
    _, port = deployment.start_worker()
    p = deployment.prefix
    duplicate = (
        b'{"event_id":"sc-dup","ts":"2026-11-20T10:00:05Z","content_id":"v-dup",'
        b'"creator_id":"u-x","model":"m","model_version":"1",'
        b'"scores":{"hate":0.1,"hate":0.99}}'
    )
    send(
        deployment.bootstrap,
        [
            (p + "uploads", b"v-dup", upload("v-dup")),
            (p + "model-scores", b"v-dup", duplicate),  # a parser differential: refused
            (p + "uploads", "h-\u202egnp.exe".encode(), upload("h-\u202egnp.exe")),
            (p + "uploads", b"v-ts", upload("v-ts", ts="CANARY-TS-5521")),
            (
                p + "reports",
                b"v-r",
                json.dumps(
                    {
                        "event_id": "r1",
                        "ts": "2026-11-20T10:00:00Z",
                        "report_id": "r1",
                        "content_id": "v-r",
                        "creator_id": "u-x",
                        "reporter_id": "p",
                        "region": "US",
                        "reason": "CANARY_not_a_policy_area",
                    }
                ).encode(),
            ),
            (p + "uploads", b"v-num", upload("v-num", ts=int("9" * 400))),
            (p + "uploads", b"v-east", upload("v-east", ts="2026-11-20T12:00:00+02:00")),
            (p + "model-scores", b"v-east", score("v-east", 0.99)),
        ],
    )
    deadline = time.monotonic() + 60
    while metric(port, "vigil_events_total") < 8:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    deployment.drained()
    out = deployment.outputs()
    dead = {
        base64.b64decode(str(d["key_b64"])).decode("utf-8", "replace"): d
        for d in out["dead-letter"]
    }
    assert (dead["v-dup"]["reason"], dead["v-dup"]["detail"]) == (
        "malformed_json",
        "duplicate key `hate` - at `$.scores`",
    )
    assert dead["h-\u202egnp.exe"]["reason"] == "invalid_field"
    for d in out["dead-letter"]:
        assert "CANARY" not in str(d["detail"]) and "9999" not in str(d["detail"]), d["detail"]
    assert {d["reason"] for d in out["dead-letter"]} == {"malformed_json", "invalid_field"}
    assert not [d for d in out["enforcement-actions"] if d["target"]["id"] == "v-dup"]
    east = [d for d in out["enforcement-actions"] if d["target"]["id"] == "v-east"]
    assert [d["ts"] for d in east] == ["2026-11-20T10:00:05Z"]  # the score's time, in UTC
    logs = (deployment.tmp / "worker-0.log").read_bytes()
    assert b"CANARY" not in logs and b"gnp.exe" not in logs


def test_vigil_produce_writes_only_input_topics(deployment: Deployment, tmp_path: Path) -> None:
    deployment.start_worker()
    forged = {
        "id": "f" * 32,
        "kind": "action",
        "outcome": "suspend_creator",
        "target": {"type": "creator", "id": "u-victim"},
    }
    events = tmp_path / "forged.jsonl"
    lines = [
        orjson.dumps(x)
        for x in [
            {"topic": "uploads", "key": "v-ok", "value": json.loads(upload("v-ok"))},
            {"topic": "enforcement-actions", "key": "u-victim", "value": forged},
            {"topic": "upload", "key": "v-ok", "value": json.loads(upload("v-typo"))},
        ]
    ]
    # which of two topics a reader takes would decide where the line goes: refused
    lines.append(b'{"topic":"uploads","topic":"escalations","key":"v-ok","value":{}}')
    events.write_bytes(b"\n".join(lines) + b"\n")
    deployment.produce(events)
    deployment.drained()
    out = deployment.outputs()
    assert [d for d in out["enforcement-actions"] if d.get("id") == "f" * 32] == []
    reasons = sorted((d["source_topic"], d["reason"]) for d in out["dead-letter"])
    assert reasons == [
        ("enforcement-actions", "unknown_topic"),
        ("events-file", "invalid_envelope"),
        ("upload", "unknown_topic"),
    ]
    topics = asyncio.run(_topics(deployment.bootstrap))
    assert deployment.prefix + "upload" not in topics  # a misspelt topic is not created


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_a_score_before_its_upload_cannot_bypass_a_regional_override(
    deployment: Deployment, tmp_path: Path
) -> None:
    de = "        when: score_max_hate >= 0.93\n"  # the README's own example: none in Japan
    pack = edited_pack(tmp_path, "hate.yaml", de, de + "      JP: {mode: disabled}\n")
    _, port = deployment.start_worker(VIGIL_POLICIES=str(pack))
    p = deployment.prefix
    videos = {"v-jp": ("JP", 0.99), "v-de": ("DE", 0.95), "v-us": ("US", 0.99)}
    send(
        deployment.bootstrap,
        [(p + "model-scores", cid.encode(), score(cid, hate)) for cid, (_, hate) in videos.items()],
    )
    while metric(port, "vigil_events_total") < len(videos):  # scores first, for certain
        time.sleep(0.2)
    send(
        deployment.bootstrap,
        [
            (p + "uploads", cid.encode(), upload(cid, region=region))
            for cid, (region, _) in videos.items()
        ],
    )
    deployment.drained()
    removed = {
        d["target"]["id"]: d["region"]
        for d in deployment.outputs()["enforcement-actions"]
        if d["rule"]["id"] == "hate.model_remove"
    }
    assert removed == {"v-de": "DE", "v-us": "US"}
