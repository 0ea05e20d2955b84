"""Topic names and creation. Inputs and state re-keying topics must share one partition count."""

from collections.abc import Iterable

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from schemas.common import (
    ENFORCEMENT_QUALITY,
    INPUT_TOPICS,
    OUTPUT_TOPICS,
    REVIEW_QUEUES,
    RULE_STATE,
)
from stream.config import Settings
from stream.errors import TopicMismatch

log = structlog.get_logger("vigil.topics")

CREATOR_FACTS = "vigil-creator-facts"
TREND_FACTS = "vigil-trend-facts"
QUALITY_FACTS = "vigil-quality-facts"  # keyed by quality key (signals.quality)
RULE_FACTS = "vigil-rule-facts"  # keyed by rule id: automatic actions for their breaker
# keyed by a video's or an item's review key (signals.reviewitems): items and human outcomes
REVIEW_FACTS = "vigil-review-facts"
QUEUE_FACTS = "vigil-queue-facts"  # keyed by queue name: items entering and leaving it
INTERNAL_TOPICS = (CREATOR_FACTS, TREND_FACTS, QUALITY_FACTS, RULE_FACTS, REVIEW_FACTS, QUEUE_FACTS)
# keyed by rule id, co-partitioned with RULE_FACTS: resets of rules' breakers (`vigil rules
# reset`). A topic of its own: who may reset a breaker must not be able to forge an action
RULE_COMMANDS = "rule-commands"
POLICY_UPDATES = "policy-updates"  # compacted: the pack every worker runs (`vigil policy publish`)
PACK_KEY = b"pack"  # its one key


TABLES = (
    "content-state",
    "creator-state",
    "trend-state",
    "quality-state",
    "breaker-state",
    "review-state",
    "queue-state",
)
COMPACTED_OUTPUTS = (
    ENFORCEMENT_QUALITY,
    RULE_STATE,
    REVIEW_QUEUES,
)  # a key's newest record is what counts


def written_by_worker(settings: Settings) -> list[str]:
    """Every topic a worker writes: outputs, re-keying topics and its tables' changelogs."""
    return [settings.topic(t) for t in (*OUTPUT_TOPICS, *COMPACTED_OUTPUTS, *INTERNAL_TOPICS)] + [
        f"{settings.app_id}-{t}-changelog" for t in TABLES
    ]


async def size_limits(settings: Settings, topics: Iterable[str]) -> dict[str, int]:
    """Each existing topic's `max.message.bytes` (the largest record batch it accepts)."""
    admin = AIOKafkaAdminClient(**settings.kafka())
    await admin.start()
    try:
        return await _size_limits(admin, topics)
    finally:
        await admin.close()


async def _size_limits(admin: AIOKafkaAdminClient, topics: Iterable[str]) -> dict[str, int]:
    wanted = [
        ConfigResource(ConfigResourceType.TOPIC, t, {"max.message.bytes": None}) for t in topics
    ]
    limits: dict[str, int] = {}
    for response in await admin.describe_configs(wanted):
        for resource in response.to_object()["resources"]:
            if resource["error_code"]:  # not created yet: the broker default will apply
                continue
            for entry in resource["config_entries"]:
                if entry["config_names"] == "max.message.bytes" and entry["config_value"]:
                    limits[resource["resource_name"]] = int(entry["config_value"])
    return limits


async def ensure_own(settings: Settings, *logical: str, compact: bool = False) -> None:
    """Create the topics a producing command writes, if missing, and no others: under ACLs
    its principal may write (and create) these alone. compact: one compacted partition."""
    admin = AIOKafkaAdminClient(**settings.kafka())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [settings.topic(t) for t in logical if settings.topic(t) not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(t, 1, 1, topic_configs={"cleanup.policy": "compact"})
                    if compact
                    else NewTopic(t, settings.partitions, 1)
                    for t in missing
                ],
                validate_only=False,
            )
    finally:
        await admin.close()


async def ensure_topics(settings: Settings) -> dict[str, int]:
    """Create vigil's topics if missing; refuse to run on mis-partitioned inputs.

    Returns the size limit of every topic the worker writes that exists (`size_limits`).
    """
    admin = AIOKafkaAdminClient(**settings.kafka())
    await admin.start()
    try:
        keyed = [settings.topic(t) for t in (*INPUT_TOPICS, *INTERNAL_TOPICS, RULE_COMMANDS)]
        outputs = [settings.topic(t) for t in OUTPUT_TOPICS]
        existing = set(await admin.list_topics())
        missing = [t for t in keyed + outputs if t not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(t, settings.partitions, 1) for t in missing], validate_only=False
            )
            log.info("topics_created", topics=missing, partitions=settings.partitions)
        compacted = [settings.topic(t) for t in COMPACTED_OUTPUTS]
        if [t for t in compacted if t not in existing]:
            # compacted: the newest figures of each quality key, the newest status of each
            # rule's breaker, are what a dashboard and `vigil rules status` read
            await admin.create_topics(
                [
                    NewTopic(t, settings.partitions, 1, topic_configs={"cleanup.policy": "compact"})
                    for t in compacted
                    if t not in existing
                ],
                validate_only=False,
            )
        updates = settings.topic("policy-updates")
        if updates not in existing:
            # one partition, compacted: the latest pack is what every worker should run
            await admin.create_topics(
                [NewTopic(updates, 1, 1, topic_configs={"cleanup.policy": "compact"})],
                validate_only=False,
            )
        described = await admin.describe_topics([t for t in keyed if t in existing])
        for d in described:
            n = len(d.get("partitions", []))
            if n and n != settings.partitions:
                raise TopicMismatch(
                    f"topic {d['topic']} has {n} partitions but VIGIL_PARTITIONS="
                    f"{settings.partitions}; keyed state needs them equal"
                )
        return await _size_limits(admin, written_by_worker(settings))
    finally:
        await admin.close()


async def drop_topics(
    bootstrap: str, prefixes: tuple[str, ...], auth: dict[str, str] | None = None
) -> list[str]:
    """Delete every topic whose name starts with one of `prefixes`; return the names deleted.

    Tests and benchmarks give each deployment its own prefix; dropping them afterwards keeps a
    developer's broker from collecting thousands of partitions that slow every restart.
    auth: aiokafka credentials arguments, for a broker that wants them.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=15_000, **(auth or {})
    )
    await admin.start()
    try:
        doomed = sorted(t for t in await admin.list_topics() if t.startswith(prefixes))
        if doomed:
            await admin.delete_topics(doomed, timeout_ms=30_000)
        return doomed
    finally:
        await admin.close()
