"""The on-call notifier against a real local HTTP receiver and the real Redis."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web

from stream.notify import Notifier, NotifierConfig, Sink, generic, pagerduty, slack

from .conftest import REDIS_URL, free_port


class Receiver:
    """A local webhook endpoint that records requests and can fail the first N."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.fail_first = fail_first
        self.port = free_port()

    async def handle(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=503)
        self.requests.append((request.path, body))
        return web.Response(status=202)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    app = web.Application()
    app.router.add_post("/{path:.*}", r.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", r.port).start()
    yield r
    await runner.cleanup()


def alert(
    status: str = "firing",
    severity: str = "medium",
    incident: str = "inc-1",
    key: str = "blackoutchallenge2",
    kind: str = "hashtag",
    expected: float = 2.7,
    samples: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "id": f"{incident}-{status}-{severity}",
        "incident_id": incident,
        "ts": "2026-11-20T16:57:43Z",
        "key": {"kind": kind, "value": key},
        "status": status,
        "severity": severity,
        "window_start": "2026-11-20T16:52:43Z",
        "window_end": "2026-11-20T16:57:43Z",
        "observed": 66,
        "expected": expected,
        "score": 1.0,
        "growth": 24.4,
        "distinct_creators": 62,
        "first_seen": "2026-11-20T08:00:00Z",
        "sample_content_ids": samples or [f"{key}-v1", f"{key}-v2", f"{key}-v3"],
        "top_creators": ["u1"],
        "policy_area": None,
        "region": None,
        "schema_version": 1,
    }


def notifier(receiver: Receiver, ns: str, **cfg: Any) -> Notifier:
    sinks = [
        Sink("webhook", receiver.url("/generic"), generic),
        Sink("slack", receiver.url("/slack"), slack),
        Sink("pagerduty", receiver.url("/pd"), pagerduty("routing-123")),
    ]
    return Notifier(sinks, REDIS_URL, ns, NotifierConfig(rate_per_minute=6000, backoff=0.01, **cfg))


async def test_each_sink_gets_its_format_and_pagerduty_resolves(receiver: Receiver) -> None:
    n = notifier(receiver, f"t:{uuid.uuid4().hex}")
    assert n.offer(alert()) and n.offer(alert("resolved"))
    await n.drain()
    await n.close()
    by_path: dict[str, list[dict[str, Any]]] = {}
    for path, body in receiver.requests:
        by_path.setdefault(path, []).append(body)
    assert by_path["/generic"][0]["incident_id"] == "inc-1"
    assert "blackoutchallenge2" in by_path["/slack"][0]["text"]
    assert "62 creators" in by_path["/slack"][0]["text"]
    trigger, resolve = by_path["/pd"]
    assert trigger["event_action"] == "trigger" and trigger["dedup_key"] == "inc-1"
    assert trigger["routing_key"] == "routing-123"
    assert trigger["payload"]["severity"] == "warning"
    assert trigger["payload"]["custom_details"]["distinct_creators"] == 62
    assert resolve == {
        "routing_key": "routing-123",
        "dedup_key": "inc-1",
        "event_action": "resolve",
    }


async def test_two_workers_page_once_per_incident_and_key(receiver: Receiver) -> None:
    ns = f"t:{uuid.uuid4().hex}"
    a, b = notifier(receiver, ns), notifier(receiver, ns)
    a.offer(alert())
    b.offer(alert())  # the same alert seen by another worker
    b.offer(alert(incident="inc-2"))  # a reprocess gave the spike a new incident id
    await a.drain()
    await b.drain()
    a.offer(alert("updated", "high"))  # growth is news: pages again
    await a.drain()
    await a.close()
    await b.close()
    pd = [body for path, body in receiver.requests if path == "/pd"]
    assert [(p["dedup_key"], p["payload"]["severity"]) for p in pd] == [
        ("inc-1", "warning"),
        ("inc-1", "error"),
    ]


async def test_failures_are_retried_then_parked_never_lost(receiver: Receiver) -> None:
    receiver.fail_first = 2  # the first two requests get 503
    n = notifier(receiver, f"t:{uuid.uuid4().hex}", attempts=3)
    n.sinks = n.sinks[:1]
    n.offer(alert())
    await n.drain()
    assert [p for p, _ in receiver.requests] == ["/generic"]  # third attempt got through

    receiver.fail_first = 10
    n.offer(alert(incident="inc-9", key="other"))
    await n.drain()
    assert len(n.parked) == 1  # all attempts failed: parked, not dropped
    receiver.fail_first = 0
    await n.retry_parked()
    assert n.parked == [] and receiver.requests[-1][1]["incident_id"] == "inc-9"
    await n.close()


async def test_a_full_queue_refuses_without_blocking(receiver: Receiver) -> None:
    n = notifier(receiver, f"t:{uuid.uuid4().hex}", queue_size=2)
    results = [n.offer(alert(incident=f"i{i}", key=f"k{i}")) for i in range(3)]
    assert results == [True, True, False]
    await n.drain()
    await n.close()


async def test_redis_down_means_deliver_anyway(receiver: Receiver) -> None:
    sinks = [Sink("webhook", receiver.url("/generic"), generic)]
    n = Notifier(sinks, f"redis://127.0.0.1:{free_port()}/0", "t", NotifierConfig(backoff=0.01))
    n.offer(alert())
    await n.drain()
    await n.close()
    assert len(receiver.requests) == 1


def test_token_bucket_spaces_sends() -> None:
    from stream.notify import TokenBucket

    now = [0.0]
    bucket = TokenBucket(60.0, burst=2, clock=lambda: now[0])
    assert [bucket.wait_time() for _ in range(2)] == [0.0, 0.0]
    assert bucket.wait_time() == pytest.approx(1.0)
    now[0] += 1.0
    assert bucket.wait_time() == 0.0


async def test_keys_spiking_on_the_same_videos_page_once_titled_by_the_most_specific(
    receiver: Receiver,
) -> None:
    """A challenge under its tag, its sound and the generic #fyp: one page, headed by the tag."""
    n = notifier(receiver, f"t:{uuid.uuid4().hex}")
    n.offer(alert(incident="i-fyp", key="fyp", expected=40.0, samples=["v7", "v8"]))
    n.offer(alert(incident="i-tag", key="blackoutchallenge2", expected=3.8, samples=["v7", "v9"]))
    n.offer(alert(incident="i-snd", key="a-77", kind="audio", expected=3.8, samples=["v9"]))
    n.offer(alert(incident="i-other", key="cats", samples=["v100"]))  # another event
    await n.drain()
    pd = [b for p, b in receiver.requests if p == "/pd"]
    assert [b["dedup_key"] for b in pd] == ["i-tag", "i-other"]
    assert [k["value"] for k in pd[0]["payload"]["custom_details"]["keys"]] == [
        "blackoutchallenge2",
        "a-77",
        "fyp",
    ]
    slack_text = next(b["text"] for p, b in receiver.requests if p == "/slack")
    assert "`blackoutchallenge2`" in slack_text.split(":")[1]  # the title
    assert "Spiking with it on the same videos: audio `a-77`, hashtag `fyp`." in slack_text

    # a merged key's growth and resolution are the incident's, paged by its head
    before = len(receiver.requests)
    n.offer(alert("updated", "high", incident="i-fyp", key="fyp", expected=40.0))
    n.offer(alert("resolved", incident="i-snd", key="a-77", kind="audio"))
    await n.drain()
    assert len(receiver.requests) == before

    # a key that fires later on the incident's videos updates it: no new PagerDuty incident
    n.offer(alert(incident="i-cap", key="c1", kind="caption", expected=3.9, samples=["v8"]))
    await n.drain()
    await n.close()
    late = [b for p, b in receiver.requests[before:] if p == "/pd"]
    assert [(b["dedup_key"], b["event_action"]) for b in late] == [("i-tag", "trigger")]
    text = next(b["text"] for p, b in receiver.requests[before:] if p == "/slack")
    assert text.startswith("*Trend growing*") and "Joins the incident of hashtag" in text


async def test_a_burst_waits_to_be_merged_before_it_pages(receiver: Receiver) -> None:
    """Delivering as it runs, the notifier holds a firing alert long enough for its burst."""
    n = notifier(receiver, f"t:{uuid.uuid4().hex}", coalesce=0.5)
    task = asyncio.create_task(n.run())
    n.offer(alert(incident="i-fyp", key="fyp", expected=40.0, samples=["v7"]))
    await asyncio.sleep(0.1)
    n.offer(alert(incident="i-tag", key="blackoutchallenge2", expected=3.8, samples=["v7"]))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if any(p == "/pd" for p, _ in receiver.requests):
            break
    await asyncio.sleep(0.2)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert [b["dedup_key"] for p, b in receiver.requests if p == "/pd"] == ["i-tag"]
