"""The on-call notifier: trend alerts to webhooks, without ever blocking the stream.

- Sinks (stream/notify/sinks.py): a generic JSON webhook, a Slack-compatible message and
  PagerDuty Events v2.
- The stream only `offer`s alerts to a bounded queue; a background task delivers them. A full
  queue refuses the alert loudly (counted and logged with its id): it is still on the
  `trend-alerts` topic, nothing is silently lost.
- Each delivery is retried with exponential backoff; an alert that still fails is parked and
  retried every `park_seconds` until it is older than `give_up_seconds` (counted, logged).
- Cool-downs and de-duplication live in Redis and are shared by every worker: an incident's
  status and severity page once, and a trend key pages `firing` at most once per cool-down
  even if a reprocess gives its incident a new id. If Redis is down, alerts are delivered
  (a duplicate page beats a missed one) and the failure is counted.
- A token bucket per sink keeps to `rate_per_minute` (stream/notify/ratelimit.py).
- Keys that spike together on the same videos page once (stream/notify/grouping.py): alerts
  wait `coalesce` seconds so that a burst's keys merge into one page, titled by the most
  specific key; a key firing later on an incident's videos becomes an update of it, and the
  updates and resolutions of a merged key are left to the incident's head.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import redis.asyncio as redis
import structlog

from stream import metrics
from stream.config import Settings
from stream.notify import grouping
from stream.notify.ratelimit import TokenBucket
from stream.notify.sinks import Sink

log = structlog.get_logger("vigil.notify")


@dataclass
class NotifierConfig:
    """Delivery parameters (from Settings: VIGIL_NOTIFY_*, see README)."""

    queue_size: int = 1000
    rate_per_minute: float = 30.0
    attempts: int = 5
    backoff: float = 0.5  # first retry delay in seconds, doubling
    timeout: float = 5.0
    cooldown: int = 3600  # seconds a trend key's `firing` page is remembered
    park_seconds: float = 60.0
    give_up_seconds: float = 86_400.0
    coalesce: float = 5.0  # seconds alerts wait, so that keys of one burst page once


def notifier_config(settings: Settings) -> NotifierConfig:
    """Delivery parameters from the settings (VIGIL_NOTIFY_*, VIGIL_ALERT_COOLDOWN_SECONDS)."""
    return NotifierConfig(
        queue_size=settings.notify_queue,
        rate_per_minute=settings.notify_rate_per_minute,
        attempts=settings.notify_attempts,
        cooldown=settings.alert_cooldown,
        coalesce=settings.notify_coalesce,
    )


@dataclass
class _Pending:
    alert: dict[str, Any]
    sinks: list[Sink]
    since: float = field(default_factory=time.monotonic)


class Notifier:
    """Delivers trend alerts to the configured sinks in the background."""

    def __init__(
        self,
        sinks: list[Sink],
        redis_url: str,
        namespace: str,
        config: NotifierConfig | None = None,
    ) -> None:
        self.sinks = sinks
        self.config = config or NotifierConfig()
        self.queue: asyncio.Queue[_Pending] = asyncio.Queue(self.config.queue_size)
        self.parked: list[_Pending] = []
        self.holding: list[_Pending] = []  # waiting `coalesce` seconds, oldest first
        self.buckets = {s.name: TokenBucket(self.config.rate_per_minute) for s in sinks}
        self._redis = redis.from_url(redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._ns = namespace
        self._session: aiohttp.ClientSession | None = None

    def offer(self, alert: dict[str, Any]) -> bool:
        """Queue an alert for delivery without waiting; False (counted, logged) if full."""
        if not self.sinks:
            return True
        try:
            self.queue.put_nowait(_Pending(alert, list(self.sinks)))
            return True
        except asyncio.QueueFull:
            metrics.NOTIFY.labels(sink="all", result="queue_full").inc()
            log.error("notify_queue_full", alert_id=alert["id"], key=alert["key"]["value"])
            return False

    async def run(self) -> None:
        """Deliver forever: queued alerts once they have waited `coalesce` seconds, parked
        ones every park_seconds."""
        self._open_session()
        last_park = time.monotonic()
        try:
            while True:
                wait = 1.0
                if self.holding:
                    age = time.monotonic() - self.holding[0].since
                    wait = min(wait, max(0.0, self.config.coalesce - age))
                with contextlib.suppress(TimeoutError):
                    self.holding.append(await asyncio.wait_for(self.queue.get(), timeout=wait))
                if (
                    self.holding
                    and time.monotonic() - self.holding[0].since >= self.config.coalesce
                ):
                    await self._release_held()
                if time.monotonic() - last_park >= self.config.park_seconds and self.parked:
                    last_park = time.monotonic()
                    parked, self.parked = self.parked, []
                    for item in parked:
                        await self._deliver(item)
        finally:
            await self.close()

    async def _release_held(self) -> None:
        """Deliver everything held: a burst's firing alerts merged, one per group of keys
        that share videos, where its first member was; the rest in order."""
        held, self.holding = self.holding, []
        group_of: dict[str, dict[str, Any]] = {}  # incident id -> its group's alert, sent once
        for g in grouping.merge([h.alert for h in held if h.alert["status"] == "firing"]):
            group_of.update(dict.fromkeys(g["grouped_incident_ids"], g))
        for item in held:
            if item.alert["status"] == "firing":
                group = group_of.pop(item.alert["incident_id"], None)
                if group is not None:
                    for member in group["grouped_incident_ids"]:
                        group_of.pop(member, None)
                    await self._deliver(_Pending(group, item.sinks, item.since))
                continue
            await self._deliver(item)

    def _open_session(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout)
            )

    async def drain(self) -> None:
        """Deliver everything queued or held now, without waiting (tests, shutdown)."""
        self._open_session()
        while not self.queue.empty():
            self.holding.append(self.queue.get_nowait())
        await self._release_held()

    async def retry_parked(self) -> None:
        """Try every parked alert once more now."""
        parked, self.parked = self.parked, []
        for item in parked:
            await self._deliver(item)

    async def close(self) -> None:
        """Close the HTTP session and the Redis pool."""
        if self._session is not None:
            await self._session.close()
        await self._redis.aclose()

    async def _deliver(self, item: _Pending) -> None:
        alert = await self._grouped(item.alert)
        if alert is None:
            metrics.NOTIFY.labels(sink="all", result="grouped").inc()
            return
        if not await self._claim(alert):
            metrics.NOTIFY.labels(sink="all", result="deduplicated").inc()
            return
        failed = []
        for sink in item.sinks:
            if not await self._send(sink, alert):
                failed.append(sink)
        if not failed:
            return
        if time.monotonic() - item.since > self.config.give_up_seconds:
            metrics.NOTIFY.labels(sink="all", result="gave_up").inc()
            log.error("notify_gave_up", alert_id=alert["id"], sinks=[s.name for s in failed])
            return
        await self._unclaim(alert)  # let the retry (here or on another worker) page
        self.parked.append(_Pending(alert, failed, item.since))

    async def _send(self, sink: Sink, alert: dict[str, Any]) -> bool:
        body = sink.render(alert)
        if body is None:
            return True
        assert self._session is not None
        delay = self.config.backoff
        for attempt in range(1, self.config.attempts + 1):
            wait = self.buckets[sink.name].wait_time()
            if wait:
                await asyncio.sleep(wait)
            try:
                async with self._session.post(
                    sink.url,
                    data=orjson.dumps(body),
                    headers={"Content-Type": "application/json"},
                ) as resp:
                    if resp.status < 300:
                        metrics.NOTIFY.labels(sink=sink.name, result="delivered").inc()
                        return True
                    problem = f"HTTP {resp.status}"
                    if 400 <= resp.status < 500 and resp.status != 429:
                        attempt = self.config.attempts  # a client error will not heal
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = type(exc).__name__
            metrics.NOTIFY.labels(sink=sink.name, result="failed_attempt").inc()
            log.warning(
                "notify_attempt_failed",
                sink=sink.name,
                alert_id=alert["id"],
                attempt=attempt,
                problem=problem,
            )  # no URLs: they carry secrets
            if attempt >= self.config.attempts:
                break
            await asyncio.sleep(delay)
            delay *= 2
        metrics.NOTIFY.labels(sink=sink.name, result="parked").inc()
        return False

    async def _grouped(self, alert: dict[str, Any]) -> dict[str, Any] | None:
        """The alert as its incident's group pages it: a firing on videos of an incident
        already paged becomes an update of that incident; an update or resolution of a key
        merged into another's incident is left to that incident (None). Without Redis,
        the alert as it is."""
        try:
            if alert["status"] == "firing":
                return await self._gather(alert)
            return await self._follow(alert)
        except (redis.RedisError, OSError) as exc:
            metrics.LEDGER_ERRORS.labels(op="notify").inc()
            log.warning("notify_grouping_unavailable", error=type(exc).__name__)
            return alert

    async def _gather(self, alert: dict[str, Any]) -> dict[str, Any]:
        """A firing: the incident whose videos it shares, or a new one; recorded in Redis."""
        ns, ttl = self._ns, self.config.cooldown
        videos = alert.get("sample_content_ids") or []
        known = await self._redis.mget([f"{ns}:notify-video:{v}" for v in videos]) if videos else []
        found = [_text(g) for g in known if g]
        members = alert.get("grouped_incident_ids") or [alert["incident_id"]]
        gid = found[0] if found else alert["incident_id"]
        if gid not in members:  # joins an incident paged before
            keys = orjson.loads(await self._redis.get(f"{ns}:notify-group:{gid}") or b"[]")
            alert = grouping.joined(alert, gid, keys)
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(
            f"{ns}:notify-group:{gid}", orjson.dumps(alert.get("keys") or [alert["key"]]), ex=ttl
        )
        for v in videos:
            pipe.set(f"{ns}:notify-video:{v}", gid, nx=True, ex=ttl)
        for member in members:
            pipe.set(f"{ns}:notify-member:{member}", gid, ex=ttl)
        await pipe.execute()
        return alert

    async def _follow(self, alert: dict[str, Any]) -> dict[str, Any] | None:
        """An update or resolution: its own incident's, or left to the group it joined."""
        if alert.get("grouped_incident_ids"):
            return alert  # a join, grouped already (parked and retried)
        ns = self._ns
        found = await self._redis.get(f"{ns}:notify-member:{alert['incident_id']}")
        if found is None:
            return alert
        gid = _text(found)
        if alert["status"] == "updated":  # its newer videos are the incident's too
            pipe = self._redis.pipeline(transaction=False)
            for v in alert.get("sample_content_ids") or []:
                pipe.set(f"{ns}:notify-video:{v}", gid, nx=True, ex=self.config.cooldown)
            await pipe.execute()
        return alert if gid == alert["incident_id"] else None

    def _keys(self, alert: dict[str, Any]) -> list[str]:
        if alert["status"] == "updated" and alert.get("grouped_incident_ids"):
            return [f"{self._ns}:notify-join:{alert['id']}"]  # each key joins once
        keys = [f"{self._ns}:notify:{alert['incident_id']}:{alert['status']}:{alert['severity']}"]
        if alert["status"] == "firing":
            for k in alert.get("keys") or [alert["key"]]:
                keys.append(f"{self._ns}:notify-key:{k['kind']}:{k['value']}")
        return keys

    async def _claim(self, alert: dict[str, Any]) -> bool:
        """True if this worker should page for the alert (nobody has within the cool-down)."""
        try:
            pipe = self._redis.pipeline(transaction=False)
            for key in self._keys(alert):
                pipe.set(key, b"1", nx=True, ex=self.config.cooldown)
            results = await pipe.execute()
        except (redis.RedisError, OSError) as exc:
            metrics.LEDGER_ERRORS.labels(op="notify").inc()
            log.warning("notify_cooldown_unavailable", error=type(exc).__name__)
            return True
        if all(results):
            return True
        # release what this worker claimed: someone else has the page
        await self._release([k for k, ok in zip(self._keys(alert), results, strict=True) if ok])
        return False

    async def _unclaim(self, alert: dict[str, Any]) -> None:
        await self._release(self._keys(alert))

    async def _release(self, keys: list[str]) -> None:
        if keys:
            with contextlib.suppress(redis.RedisError, OSError):
                await self._redis.delete(*keys)


def _text(value: Any) -> str:
    """A Redis reply as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
