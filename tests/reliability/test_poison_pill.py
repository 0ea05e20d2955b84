"""No single message stops enforcement: oversized inputs are dead-lettered, bounded, and the
worker carries on. Written with a plain Kafka client, as any producer could."""

import base64
import hashlib
import json
import subprocess
from pathlib import Path

from tests.integration.conftest import VIGIL, Deployment, metric
from tests.integration.test_worker_parity import assert_same_decisions, replay

from .plain import send, set_topic_config

KIB = 1024


def upload(content_id: str, size: int) -> bytes:
    """An otherwise valid upload whose caption makes the message `size` bytes long."""
    base = {
        "event_id": f"big-{content_id}",
        "ts": "2026-11-20T10:00:00Z",
        "content_id": content_id,
        "creator_id": "u-big",
        "region": "US",
        "language": "en",
        "caption": "",
    }
    empty = len(json.dumps(base).encode())
    return json.dumps({**base, "caption": "x" * (size - empty)}).encode()


def test_oversized_inputs_up_to_five_mib_are_dead_lettered_and_the_stream_goes_on(
    deployment: Deployment, day_file: Path, tmp_path: Path
) -> None:
    proc, port = deployment.start_worker()
    uploads = deployment.prefix + "uploads"
    # the broker takes 1 MiB by default; a deployment may allow more on its input topics
    set_topic_config(deployment.bootstrap, uploads, max_message_bytes=str(6 * 1024 * KIB))
    sizes = {
        "v-65k": 65 * KIB,
        "v-700k": 700 * KIB,
        "v-099m": int(0.99 * 1024 * KIB),
        "v-5m": 5 * 1024 * KIB,
    }
    originals = {cid: upload(cid, n) for cid, n in sizes.items()}
    send(deployment.bootstrap, [(uploads, cid.encode(), raw) for cid, raw in originals.items()])

    deployment.produce(day_file)  # then a day of ordinary traffic
    deployment.drained()
    assert proc.poll() is None, "the worker stopped"
    assert metric(port, "vigil_dead_letters_total") >= len(sizes)

    outputs = deployment.outputs()
    dead = {d["original_sha256"]: d for d in outputs["dead-letter"]}
    for cid, raw in originals.items():
        d = dead[hashlib.sha256(raw).hexdigest()]
        assert d["reason"] == "oversized" and d["original_size"] == len(raw)
        assert d["original_truncated"] and d["source_topic"] == "uploads"
        kept = base64.b64decode(d["original_b64"])
        assert kept == raw[: 64 * KIB]  # a prefix to find it by; the rest is at its offset
        assert d["partition"] is not None and d["offset"] is not None
        assert base64.b64decode(d["key_b64"]) == cid.encode()
        assert len(json.dumps(d)) < 100 * KIB  # a dead letter always fits a Kafka message
    assert_same_decisions(outputs, replay(day_file, tmp_path / "replay"))

    # what the worker emitted is explained from the topics themselves
    some = dead[hashlib.sha256(originals["v-5m"]).hexdigest()]
    said = subprocess.run(
        [VIGIL, "explain", str(some["id"]), "--kafka"],
        env=deployment.env(),
        capture_output=True,
        timeout=60,
    )
    assert said.returncode == 0, said.stderr
    assert b"Reason `oversized`" in said.stdout and b"uploads (partition" in said.stdout
    # a rule's action (a strike ladder step is explained in words of its own)
    action = next(a for a in outputs["enforcement-actions"] if "condition" in a["evidence"])
    said = subprocess.run(
        [VIGIL, "explain", str(action["id"]), "--kafka", "--events", str(day_file)],
        env=deployment.env(),
        capture_output=True,
        timeout=60,
    )
    assert said.returncode == 0, said.stderr
    assert b"What the rule read" in said.stdout and b"makes the same decision" in said.stdout
