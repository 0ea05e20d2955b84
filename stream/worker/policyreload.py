"""Switching policy packs without a restart.

Two sources, last one wins:
- the local policy directory, polled for changes (a policy manager editing files on one box);
- the compacted `policy-updates` topic, followed by every worker (`vigil policy publish`), so a
  whole deployment switches together.
A pack that fails validation is never loaded: the worker keeps its last good pack, logs the
errors (file, line, rule) and counts the rejection.
"""

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from signals.policy import PolicyPack, PolicyPackInvalid, parse_pack
from stream import metrics
from stream.config import Settings
from stream.policyfiles import load_pack, pack_files
from stream.topics import POLICY_UPDATES

log = structlog.get_logger("vigil.policy")


def fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a pack file is edited, added or removed."""
    try:
        return tuple(
            (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in pack_files(directory)
        )
    except OSError:
        return ()


class PackSwitch:
    """Applies validated packs to the engine and rejects invalid ones."""

    def __init__(self, current: PolicyPack, apply: Callable[[PolicyPack], None]) -> None:
        self.current = current
        self._apply = apply

    def offer(self, load: Callable[[], PolicyPack], source: str) -> bool:
        """Load a candidate pack; switch to it if it is valid and new."""
        try:
            pack = load()
        except PolicyPackInvalid as exc:
            metrics.POLICY_REJECTED.labels(source=source).inc()
            log.error(
                "policy_pack_rejected",
                source=source,
                errors=len(exc.errors),
                detail=exc.render(),
                kept=self.current.hash,
            )
            return False
        if pack.hash == self.current.hash:
            return False
        previous = self.current.hash
        self.current = pack
        self._apply(pack)
        metrics.POLICY_LOADED.labels(source=source).inc()
        log.info(
            "policy_pack_loaded",
            source=source,
            hash=pack.hash,
            rules=len(pack.rules),
            previous=previous,
        )
        return True


async def watch_directory(switch: PackSwitch, directory: Path, every: float) -> None:
    """Poll the policy directory and offer the pack whenever its files change."""
    seen = fingerprint(directory)
    while True:
        await asyncio.sleep(every)
        now = fingerprint(directory)
        if now != seen:
            seen = now
            switch.offer(partial(load_pack, directory), "file")


async def follow_topic(switch: PackSwitch, settings: Settings) -> None:
    """Read the compacted policy-updates topic from its start, without a consumer group, so
    every worker sees every pack; apply each valid one."""
    consumer = AIOKafkaConsumer(**settings.kafka(), enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(settings.topic(POLICY_UPDATES), 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        while True:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            for msg in batch.get(tp, []):
                files = _files(msg.value)
                if files is None:
                    metrics.POLICY_REJECTED.labels(source="topic").inc()
                    log.error("policy_update_unreadable", offset=msg.offset)
                    continue
                switch.offer(partial(parse_pack, files, source="policy-updates"), "topic")
    finally:
        await consumer.stop()


def _files(value: bytes | None) -> dict[str, str] | None:
    try:
        doc = orjson.loads(value or b"")
        files = doc["files"]
        if isinstance(files, dict) and all(isinstance(v, str) for v in files.values()):
            return {str(k): v for k, v in files.items()}
    except (orjson.JSONDecodeError, KeyError, TypeError):
        pass
    return None
