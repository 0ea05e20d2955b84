"""The ACLs `vigil acls` prints, applied to a broker that authorizes every request: each
principal does its part (the worker its whole job), and a producer cannot forge an output."""

import asyncio
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from tests.integration.conftest import VIGIL, Deployment, running
from tests.integration.test_worker_parity import assert_same_decisions, replay

from .services import ROOT, Service, private_kafka

USERS = {"admin": "admin-pw", "worker": "worker-pw", "ingest": "ingest-pw", "reader": "reader-pw"}
LIBS = ROOT / ".local" / "kafka" / "libs"


def login(user: str) -> dict[str, str]:
    """aiokafka arguments for a user, and the VIGIL_* settings for the same login."""
    return {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "PLAIN",
        "sasl_plain_username": user,
        "sasl_plain_password": USERS[user],
    }


def vigil_login(user: str) -> dict[str, str]:
    return {
        "VIGIL_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "VIGIL_KAFKA_USERNAME": user,
        "VIGIL_KAFKA_PASSWORD": USERS[user],
    }


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Service]:
    svc = private_kafka(
        tmp_path / "kafka-home",
        VIGIL_KAFKA_SASL_USERS=" ".join(f"{u}:{p}" for u, p in USERS.items()),
    )
    svc.start()
    yield svc
    svc.stop()


def apply_acls(deployment: Deployment, tmp: Path) -> list[str]:
    """Run `vigil acls` for the deployment, then each command it prints, as the admin."""
    printed = subprocess.run(
        [
            VIGIL,
            "acls",
            "--worker",
            "User:worker",
            "--producer",
            "User:ingest",
            "--reader",
            "User:reader",
            "--command-config",
            str(tmp / "admin.properties"),
        ],
        env=deployment.env(),
        capture_output=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    (tmp / "admin.properties").write_text(
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="admin" password="{USERS["admin"]}";\n'
    )
    lines = printed.stdout.decode().splitlines()
    runs = []
    for line in lines:  # kafka-acls.sh is this class on the broker's own jars
        args = shlex.split(line)
        assert args[0] == "kafka-acls.sh"
        runs.append(
            subprocess.Popen(
                ["java", "-cp", f"{LIBS}/*", "kafka.admin.AclCommand", *args[1:]],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    for r in runs:
        out, _ = r.communicate(timeout=120)
        assert r.returncode == 0, out.decode()[-2000:]
    return lines


async def _forge(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **login("ingest"))
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"outcome": "suspend_creator"}', key=b"u-victim")
    finally:
        await producer.stop()


async def _peek(bootstrap: str, topic: str, user: str) -> int:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        **login(user),
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000)
        return sum(len(v) for v in batch.values())
    finally:
        await consumer.stop()


def test_each_principal_does_its_part_and_nothing_more(
    secured: Service, day_file: Path, tmp_path: Path
) -> None:
    (tmp_path / "deployment").mkdir()
    deployment = Deployment(
        tmp_path / "deployment", bootstrap=secured.address, kafka_auth=login("admin")
    )
    with running(deployment):
        lines = apply_acls(deployment, tmp_path)
        assert any(
            "--operation Write" in line and "enforcement-actions" in line and "User:worker" in line
            for line in lines
        )
        deployment.start_worker(**vigil_login("worker"))
        deployment.produce(day_file, **vigil_login("ingest"))
        deployment.drained()
        outputs = deployment.outputs()
        assert_same_decisions(outputs, replay(day_file, tmp_path / "replay"))

        actions = deployment.prefix + "enforcement-actions"
        with pytest.raises(TopicAuthorizationFailedError):
            asyncio.run(_forge(deployment.bootstrap, actions))
        with pytest.raises(KafkaError):  # producers do not read what was decided
            asyncio.run(_peek(deployment.bootstrap, actions, "ingest"))
        assert asyncio.run(_peek(deployment.bootstrap, actions, "reader")) > 0
        # the reader's principal explains from the topics; nothing of the forgery is there
        decision = outputs["enforcement-actions"][0]
        said = subprocess.run(
            [VIGIL, "explain", str(decision["id"]), "--kafka"],
            env=deployment.env(**vigil_login("reader")),
            capture_output=True,
            timeout=60,
        )
        assert said.returncode == 0, said.stderr
        assert not [
            d
            for d in deployment.outputs()["enforcement-actions"]
            if d.get("outcome") == "suspend_creator" and "id" not in d
        ]
