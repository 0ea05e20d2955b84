"""A plain Kafka client, as an independent producer or consumer would use one: messages reach
the broker exactly as written, without vigil's own tools in the way."""

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

Message = tuple[str, bytes | None, bytes]  # topic, key, value


def send(bootstrap: str, messages: Sequence[Message]) -> None:
    """Produce the messages in order, waiting for every ack."""
    asyncio.run(_send(bootstrap, messages))


async def _send(bootstrap: str, messages: Sequence[Message]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_request_size=16 * 1024 * 1024
    )
    await producer.start()
    try:
        for topic, key, value in messages:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def set_topic_config(bootstrap: str, topic: str, **config: str) -> None:
    """Change a topic's configuration on the broker (dots in names as underscores)."""
    asyncio.run(_alter(bootstrap, topic, {k.replace("_", "."): v for k, v in config.items()}))


async def _alter(bootstrap: str, topic: str, config: dict[str, str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, config)])
    finally:
        await admin.close()
