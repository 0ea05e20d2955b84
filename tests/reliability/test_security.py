"""The web views need a bearer token; logs carry ids, never captions, report text or secrets."""

import base64
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from tests.integration.conftest import VIGIL, Deployment

CAPTION = "CANARY caption my phone number is 555 0100"
NOTE = "CANARY reviewer note about the reporter"
WEBHOOK_SECRET = "CANARYwebhooksecret"


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def canary_events(path: Path) -> None:
    """Valid and invalid events carrying text that must never reach a log."""
    base = {
        "event_id": "sec-1",
        "ts": "2026-11-20T12:00:00Z",
        "content_id": "v-sec",
        "creator_id": "u-sec",
        "region": "US",
        "language": "en",
    }
    lines = [
        {"topic": "uploads", "key": "v-sec", "value": {**base, "caption": CAPTION}},
        {
            "topic": "uploads",
            "key": "v-sec2",
            "value": {
                **base,
                "event_id": "sec-2",
                "content_id": "v-sec2",
                "caption": CAPTION,
                "region": 7,
            },
        },
        {
            "topic": "uploads",
            "key": "v-sec3",
            "value": {
                **base,
                "event_id": "sec-3",
                "content_id": "v-sec3",
                "caption": CAPTION * 100,
            },
        },
        {
            "topic": "reports",
            "key": "v-sec",
            "value": {
                **base,
                "event_id": "sec-4",
                "report_id": "r-sec",
                "reporter_id": "p-sec",
                "reason": "harassment_bullying",
                "text": CAPTION,
            },
        },
        {
            "topic": "reviews",
            "key": "v-sec",
            "value": {
                "event_id": "sec-5",
                "ts": "2026-11-20T12:05:00Z",
                "content_id": "v-sec",
                "kind": "review",
                "outcome": "not_violating",
                "reviewer": "rv-1",
                "notes": NOTE,
            },
        },
        {
            "topic": "reviews",
            "key": "v-sec",
            "value": {
                "event_id": "sec-6",
                "ts": "2026-11-20T12:05:00Z",
                "content_id": "v-sec",
                "kind": "review",
                "outcome": "maybe",
                "reviewer": "rv-1",
                "notes": NOTE,
            },
        },
    ]
    path.write_bytes(b"\n".join(orjson.dumps(x) for x in lines) + b"\n")


def test_views_need_the_token_and_logs_hold_no_secrets_or_text(
    deployment: Deployment, day_file: Path, tmp_path: Path
) -> None:
    # a Slack URL that refuses connections: the notifier fails and logs, with no URL
    _, port = deployment.start_worker(
        VIGIL_SLACK_WEBHOOK_URL=f"http://127.0.0.1:9/services/{WEBHOOK_SECRET}",
        VIGIL_NOTIFY_ATTEMPTS="2",
    )
    base = f"http://127.0.0.1:{port}"

    assert get(base + "/health")[0] == 200
    assert get(base + "/metrics")[0] == 200
    assert get(base + "/trends")[0] == 401
    assert get(base + "/trends", "wrong")[0] == 401
    assert get(base + "/trends", deployment.token + "x")[0] == 401
    # an overlong header is refused by aiohttp's parser, whose error quotes it: never logged
    assert get(base + "/trends", "CANARY" + "A" * 9000)[0] == 400
    status, body = get(base + "/trends", deployment.token)
    assert status == 200 and "trends" in orjson.loads(body)
    # Faust's built-in views would serve table contents and internals: they are off
    for path in (
        "/table/content-state/v00000001",
        "/router/content-state/v1",
        "/graph/",
        "/stats/",
        "/assignment/",
    ):
        assert get(base + path, deployment.token)[0] == 404, path

    # `vigil trends` sends the token from the environment, and says so when it is refused
    ok = subprocess.run(
        [VIGIL, "trends", "--url", base], env=deployment.env(), capture_output=True, timeout=30
    )
    assert ok.returncode == 0, ok.stderr
    refused = subprocess.run(
        [VIGIL, "trends", "--url", base],
        env=deployment.env(VIGIL_API_TOKEN=""),
        capture_output=True,
        timeout=30,
    )
    assert refused.returncode != 0 and b"401" in refused.stderr

    events = tmp_path / "canary.jsonl"
    canary_events(events)
    deployment.produce(events)
    deployment.produce(day_file)  # trend alerts fire, and the notifier fails to deliver them
    deployment.drained()
    time.sleep(3)  # let the notifier's failed attempts reach the log

    # every alert's link (the default VIGIL_DASHBOARD_LINK) opens its incident on the worker
    outputs = deployment.outputs()
    alert = next(a for a in outputs["trend-alerts"] if a["status"] == "firing")
    assert str(alert["link"]).startswith("/trends/")
    assert get(base + str(alert["link"]))[0] == 401
    status, body = get(base + str(alert["link"]), deployment.token)
    assert status == 200
    assert [r["incident_id"] for r in orjson.loads(body)["trends"]] == [alert["incident_id"]]

    logs = b"".join(p.read_bytes() for p in deployment.tmp.glob("worker-*.log"))
    assert b"notify_attempt_failed" in logs and b"web_unauthorized" in logs
    assert b"bad HTTP request refused: LineTooLong" in logs
    for secret in (
        CAPTION.encode(),
        NOTE.encode(),
        b"CANARY",
        WEBHOOK_SECRET.encode(),
        deployment.token.encode(),
    ):
        assert secret not in logs, secret
    # the dead letters keep the bytes for repair: on the topic, not in the log
    dead = [
        orjson.loads(base64.b64decode(str(d["original_b64"])))["event_id"]
        for d in outputs["dead-letter"]
        if b"sec-" in base64.b64decode(str(d["original_b64"]))
    ]
    assert sorted(dead) == ["sec-2", "sec-3", "sec-6"]
