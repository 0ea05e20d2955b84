"""State expires by event time: a key silent for longer than its TTL is swept from the table."""

import time
from pathlib import Path

from tests.unit.signals.events import upload

from .conftest import Deployment, metric


def test_silent_keys_are_swept_after_their_ttl(deployment: Deployment, tmp_path: Path) -> None:
    day = 86_400_000
    _, port = deployment.start_worker(VIGIL_SWEEP_SECONDS="1", VIGIL_STORE="rocksdb")
    # the old video first: once the new one has moved the watermark, an event 100 days older
    # would be refused as stale (and one 100 days ahead of the clock as future)
    for name, (topic, key, value) in (
        ("old", upload("v-old", creator="u-old", at=-100 * day)),
        ("new", upload("v-new", creator="u-new", at=0)),
    ):
        events = tmp_path / f"{name}.jsonl"
        events.write_bytes(b'{"topic":"%s","key":"%s","value":%s}\n' % (topic.encode(), key, value))
        deployment.produce(events)
        deployment.drained()
    deadline = time.monotonic() + 30
    while metric(port, "vigil_state_expired_total") < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    # the old video and its creator are past their TTLs at the new watermark; the new ones not
    assert metric(port, "vigil_state_expired_total") >= 2
