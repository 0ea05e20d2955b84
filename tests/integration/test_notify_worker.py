"""A running worker pages on-call through a webhook when the demo's challenge takes off."""

import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .conftest import VIGIL, Deployment, free_port


def test_the_worker_delivers_trend_alerts_to_the_webhook(
    deployment: Deployment, day_file: Path
) -> None:
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _, web = deployment.start_worker(
            VIGIL_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", VIGIL_ALERT_COOLDOWN_SECONDS="60"
        )
        deployment.produce(day_file)
        deployment.drained()
        deadline = time.monotonic() + 30
        # the challenge's keys page as one incident (stream/notify/grouping.py); at this
        # scale #fyp is barely busier than the challenge's tag, so any member may title it
        while not any(
            k["value"] == "blackoutchallenge2" for a in received for k in a.get("keys", [a["key"]])
        ):
            assert time.monotonic() < deadline, f"no page for the challenge: {received}"
            time.sleep(0.3)
    finally:
        server.shutdown()
    # the worker's live view and `vigil trends` show what is spiking
    view = subprocess.run(
        [VIGIL, "trends", "--url", f"http://127.0.0.1:{web}"],
        capture_output=True,
        timeout=30,
        env=deployment.env(),
    )
    assert view.returncode == 0, view.stderr
    assert b"Active trends" in view.stdout
    firing = [a for a in received if a["status"] == "firing"]
    assert firing and all(a["distinct_creators"] >= 5 for a in firing)
    # each incident's firing page arrives once
    assert len({a["incident_id"] for a in firing}) == len(firing)
