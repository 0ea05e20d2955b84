"""Commands people give the workers, sent as records on the topics every worker follows.

A breaker's trip or reset goes to its rule's breaker on `rule-commands` (keyed by rule id,
co-partitioned with the breakers); an acknowledgement of a trend incident or a snooze of a
trend key goes to the compacted `oncall-actions` topic (the newest per incident or key
stands), which every worker's page and notifier follow. The CLI (`vigil rules`, `vigil oncall`)
and the on-call page send them with this same code; each carries who gave it and why.
"""

import time
from datetime import UTC, datetime, timedelta
from typing import Literal

import msgspec
from aiokafka import AIOKafkaProducer

from schemas.common import ONCALL_ACTIONS
from schemas.outputs import OncallAction, TrendKey
from signals.breaker import RESET, TRIP, RuleFact
from signals.facts import pack as pack_facts
from stream.config import Settings
from stream.errors import VigilError
from stream.topics import RULE_COMMANDS, ensure_own

REASON_MAX = 500  # characters of a reason kept
MAX_SNOOZE = timedelta(days=7)

BreakerCommand = Literal["trip", "reset"]
_encode = msgspec.json.Encoder().encode


def _checked(reason: str, by: str) -> tuple[str, str]:
    reason, by = reason.strip(), by.strip()
    if not reason:
        raise VigilError("a reason is required: say why")
    if not by:
        raise VigilError("who gives the command is required")
    return reason[:REASON_MAX], by[:64]


async def send_breaker_command(
    settings: Settings, command: BreakerCommand, rule_id: str, reason: str, by: str
) -> None:
    """Trip or reset a rule's breaker on every worker (keyed by rule id: the partition of the
    rule's breaker)."""
    reason, by = _checked(reason, by)
    kind = TRIP if command == "trip" else RESET
    fact = RuleFact(kind, rule_id, time.time_ns() // 1_000_000, None, "", reason, by)
    await ensure_own(settings, RULE_COMMANDS)
    await _send(
        settings, settings.topic(RULE_COMMANDS), rule_id.encode(), pack_facts([fact.fields()])
    )


def acknowledgement(incident_id: str, by: str, reason: str, now: datetime) -> OncallAction:
    """An acknowledgement of a trend incident: someone is on it; its updates page no more."""
    reason, by = _checked(reason, by)
    if not incident_id.strip():
        raise VigilError("an incident id is required")
    return OncallAction(
        kind="ack", incident_id=incident_id.strip(), at=_ts(now), by=by, reason=reason
    )


def snooze(
    kind: str, value: str, for_: timedelta, by: str, reason: str, now: datetime
) -> OncallAction:
    """A snooze of a trend key: it pages nobody until it ends (at most MAX_SNOOZE)."""
    reason, by = _checked(reason, by)
    if not timedelta(0) < for_ <= MAX_SNOOZE:
        raise VigilError(f"a snooze lasts more than 0 and at most {MAX_SNOOZE.days} days")
    try:
        key = msgspec.convert({"kind": kind, "value": value}, TrendKey)
    except msgspec.ValidationError as exc:
        raise VigilError(f"not a trend key: {exc}") from None
    if not value:
        raise VigilError("a trend key has a value")
    return OncallAction(
        kind="snooze", key=key, until=_ts(now + for_), at=_ts(now), by=by, reason=reason
    )


def action_key(action: OncallAction) -> str:
    """The compacted topic's key: the newest acknowledgement per incident, snooze per key."""
    if action.kind == "ack":
        return f"ack:{action.incident_id}"
    assert action.key is not None
    return f"snooze:{action.key.kind}:{action.key.value}"


async def send_oncall_action(settings: Settings, action: OncallAction) -> None:
    """Publish an acknowledgement or snooze on `oncall-actions` for every worker."""
    await ensure_own(settings, ONCALL_ACTIONS, compact=True)
    topic = settings.topic(ONCALL_ACTIONS)
    await _send(settings, topic, action_key(action).encode(), [_encode(action)])


async def _send(settings: Settings, topic: str, key: bytes, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(**settings.kafka(), acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


__all__ = [
    "acknowledgement",
    "action_key",
    "send_breaker_command",
    "send_oncall_action",
    "snooze",
]
