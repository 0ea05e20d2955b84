"""The on-call notifier: trend alerts to webhooks, without ever blocking the stream.

- Sinks: a generic JSON webhook (the alert as published), a Slack-compatible message, and
  PagerDuty Events v2 (trigger on firing and updates with the incident id as the dedup key,
  resolve on resolution). URLs and the routing key come from the environment.
- The stream only `offer`s alerts to a bounded queue; a background task delivers them. A full
  queue refuses the alert loudly (counted and logged with its id): it is still on the
  `trend-alerts` topic, nothing is silently lost.
- Each delivery is retried with exponential backoff; an alert that still fails is parked and
  retried every `park_seconds` until it is older than `give_up_seconds` (counted, logged).
- Cool-downs and de-duplication live in Redis and are shared by every worker: an incident's
  status and severity page once, and a trend key pages `firing` at most once per cool-down
  even if a reprocess gives its incident a new id. If Redis is down, alerts are delivered
  (a duplicate page beats a missed one) and the failure is counted.
- A token bucket per sink keeps to `rate_per_minute`.
"""

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import redis.asyncio as redis
import structlog

from stream import metrics

log = structlog.get_logger("vigil.notify")
PD_SEVERITY = {"low": "info", "medium": "warning", "high": "error", "critical": "critical"}


@dataclass
class Sink:
    """One webhook: its name, URL and how an alert becomes a request body."""

    name: str
    url: str
    render: Callable[[dict[str, Any]], dict[str, Any] | None]


def generic(alert: dict[str, Any]) -> dict[str, Any]:
    """The alert exactly as on the trend-alerts topic."""
    return alert


def slack(alert: dict[str, Any]) -> dict[str, Any]:
    """A Slack-compatible message with the evidence on-call needs."""
    key = alert["key"]
    head = {"firing": "Trend spiking", "updated": "Trend growing",
            "resolved": "Trend back to baseline"}[alert["status"]]
    text = (f"*{head}* ({alert['severity']}): {key['kind']} `{key['value']}`: "
            f"{alert['observed']} uploads in 5 min vs {alert['expected']} expected "
            f"(x{alert['growth']}), {alert['distinct_creators']} creators, since "
            f"{alert['first_seen']}. Samples: {', '.join(alert['sample_content_ids'][:3])}. "
            f"Incident {alert['incident_id']} {alert.get('link', '')}").rstrip()
    return {"text": text}


def pagerduty(routing_key: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """PagerDuty Events v2: trigger (firing, updated) or resolve, deduplicated by incident."""

    def render(alert: dict[str, Any]) -> dict[str, Any] | None:
        key = alert["key"]
        body: dict[str, Any] = {
            "routing_key": routing_key,
            "dedup_key": alert["incident_id"],
            "event_action": "resolve" if alert["status"] == "resolved" else "trigger",
        }
        if alert["status"] != "resolved":
            body["payload"] = {
                "summary": f"vigil: {key['kind']} {key['value']} spiking "
                           f"({alert['observed']} vs {alert['expected']} expected)",
                "source": "vigil",
                "severity": PD_SEVERITY[alert["severity"]],
                "custom_details": {k: alert.get(k) for k in (
                    "observed", "expected", "growth", "distinct_creators", "first_seen",
                    "sample_content_ids", "top_creators", "window_start", "window_end",
                    "policy_area", "region", "link")},
            }
        return body

    return render


def sinks_from_env(env: dict[str, str] | None = None) -> list[Sink]:
    """The sinks configured in VIGIL_WEBHOOK_URL, VIGIL_SLACK_WEBHOOK_URL and
    VIGIL_PAGERDUTY_URL (+ VIGIL_PAGERDUTY_ROUTING_KEY)."""
    env = dict(os.environ) if env is None else env
    out = []
    if env.get("VIGIL_WEBHOOK_URL"):
        out.append(Sink("webhook", env["VIGIL_WEBHOOK_URL"], generic))
    if env.get("VIGIL_SLACK_WEBHOOK_URL"):
        out.append(Sink("slack", env["VIGIL_SLACK_WEBHOOK_URL"], slack))
    if env.get("VIGIL_PAGERDUTY_URL"):
        routing = env.get("VIGIL_PAGERDUTY_ROUTING_KEY", "")
        if not routing:
            raise SystemExit("VIGIL_PAGERDUTY_URL is set but VIGIL_PAGERDUTY_ROUTING_KEY is not")
        out.append(Sink("pagerduty", env["VIGIL_PAGERDUTY_URL"], pagerduty(routing)))
    return out


class TokenBucket:
    """At most `rate_per_minute` sends, with bursts up to `burst`."""

    def __init__(self, rate_per_minute: float, burst: int = 5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.last = clock()

    def wait_time(self) -> float:
        """Seconds until a send is allowed (0 if now); takes the token when it is 0."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class NotifierConfig:
    """Delivery parameters (environment: VIGIL_NOTIFY_*; see README)."""

    queue_size: int = 1000
    rate_per_minute: float = 30.0
    attempts: int = 5
    backoff: float = 0.5  # first retry delay in seconds, doubling
    timeout: float = 5.0
    cooldown: int = 3600  # seconds a trend key's `firing` page is remembered
    park_seconds: float = 60.0
    give_up_seconds: float = 86_400.0


def notifier_config(env: dict[str, str] | None = None) -> NotifierConfig:
    """NotifierConfig from VIGIL_NOTIFY_RATE_PER_MINUTE, VIGIL_NOTIFY_QUEUE,
    VIGIL_NOTIFY_ATTEMPTS and VIGIL_ALERT_COOLDOWN_SECONDS."""
    env = dict(os.environ) if env is None else env
    d = NotifierConfig()
    try:
        return NotifierConfig(
            queue_size=int(env.get("VIGIL_NOTIFY_QUEUE", d.queue_size)),
            rate_per_minute=float(env.get("VIGIL_NOTIFY_RATE_PER_MINUTE", d.rate_per_minute)),
            attempts=int(env.get("VIGIL_NOTIFY_ATTEMPTS", d.attempts)),
            cooldown=int(env.get("VIGIL_ALERT_COOLDOWN_SECONDS", d.cooldown)),
        )
    except ValueError as exc:
        raise SystemExit(f"VIGIL_NOTIFY_* / VIGIL_ALERT_COOLDOWN_SECONDS: {exc}") from None


@dataclass
class _Pending:
    alert: dict[str, Any]
    sinks: list[Sink]
    since: float = field(default_factory=time.monotonic)


class Notifier:
    """Delivers trend alerts to the configured sinks in the background."""

    def __init__(self, sinks: list[Sink], redis_url: str, namespace: str,
                 config: NotifierConfig | None = None) -> None:
        self.sinks = sinks
        self.config = config or NotifierConfig()
        self.queue: asyncio.Queue[_Pending] = asyncio.Queue(self.config.queue_size)
        self.parked: list[_Pending] = []
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
        """Deliver forever: queued alerts as they come, parked ones every park_seconds."""
        self._open_session()
        last_park = time.monotonic()
        try:
            while True:
                try:
                    item = await asyncio.wait_for(self.queue.get(), timeout=1.0)
                    await self._deliver(item)
                except TimeoutError:
                    pass
                if time.monotonic() - last_park >= self.config.park_seconds and self.parked:
                    last_park = time.monotonic()
                    parked, self.parked = self.parked, []
                    for item in parked:
                        await self._deliver(item)
        finally:
            await self.close()

    def _open_session(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout))

    async def drain(self) -> None:
        """Deliver everything queued now (tests, shutdown)."""
        self._open_session()
        while not self.queue.empty():
            await self._deliver(self.queue.get_nowait())

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
        alert = item.alert
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
                    sink.url, data=orjson.dumps(body),
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
            log.warning("notify_attempt_failed", sink=sink.name, alert_id=alert["id"],
                        attempt=attempt, problem=problem)  # no URLs: they carry secrets
            if attempt >= self.config.attempts:
                break
            await asyncio.sleep(delay)
            delay *= 2
        metrics.NOTIFY.labels(sink=sink.name, result="parked").inc()
        return False

    def _keys(self, alert: dict[str, Any]) -> list[str]:
        keys = [f"{self._ns}:notify:{alert['incident_id']}:{alert['status']}:{alert['severity']}"]
        if alert["status"] == "firing":
            k = alert["key"]
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
