"""A rule with `rearm` through Kafka: removals a reviewer cleared, then new reporters; the
worker acts again on exactly the videos replay does, with the same ids, whatever order Kafka
delivers the four topics in."""

from pathlib import Path
from typing import Any

import orjson

from signals.eventtime import format_ts, parse_ts
from tests.packs import edited_pack

from .conftest import Deployment
from .test_worker_parity import assert_same_decisions, replay

T0 = parse_ts("2026-11-20T10:00:00Z")
MIN = 60_000


def _line(topic: str, ts: int, **value: Any) -> bytes:
    value["ts"] = format_ts(ts)
    return orjson.dumps({"topic": topic, "key": value["content_id"], "value": value})


def cleared_day(path: Path, videos: int = 40) -> Path:
    """Per video: a confident hate score (a removal), a reviewer clearing it ten minutes on,
    then 0 to 4 new reporters; every fifth video is cleared a second time after them."""
    lines = []
    for i in range(videos):
        cid, creator, t = f"v{i:04d}", f"u{i % 7}", T0 + i * 20_000
        lines.append(
            _line("uploads", t, event_id=f"up{i}", content_id=cid, creator_id=creator,
                  region="US", language="en", hashtags=[], audio_id=None, caption="a video")
        )  # fmt: skip
        lines.append(
            _line("model-scores", t + 1_000, event_id=f"mo{i}", content_id=cid,
                  creator_id=creator, model="mm-safety", model_version="2026.11.1",
                  scores={"hate": 0.99})
        )  # fmt: skip
        lines.append(
            _line("reviews", t + 10 * MIN, event_id=f"rv{i}", content_id=cid, creator_id=creator,
                  kind="review", outcome="not_violating", reviewer="rev-1", policy_area=None)
        )  # fmt: skip
        for r in range(i % 5):
            lines.append(
                _line("reports", t + 11 * MIN + r * 30_000, event_id=f"re{i}-{r}",
                      content_id=cid, creator_id=creator, report_id=f"r{i}-{r}",
                      reporter_id=f"p{i}-{r}", reason="hate", region="US")
            )  # fmt: skip
        if i % 5 == 4:
            lines.append(
                _line("reviews", t + 30 * MIN, event_id=f"rw{i}", content_id=cid,
                      creator_id=creator, kind="review", outcome="not_violating",
                      reviewer="rev-2", policy_area=None)
            )  # fmt: skip
    lines.sort(key=lambda x: orjson.loads(x)["value"]["ts"])
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_the_worker_rearms_on_new_reporters_as_replay_does(
    deployment: Deployment, tmp_path: Path
) -> None:
    removal = "    when: score_max_hate >= 0.97\n    outcome: remove\n"
    rearm = removal + "    rearm: {new_reporters: 3}\n"
    pack = edited_pack(tmp_path, "hate.yaml", removal, rearm)
    day = cleared_day(tmp_path / "cleared.jsonl")

    deployment.start_worker(VIGIL_POLICIES=str(pack))
    deployment.produce(day)
    deployment.drained()
    kafka = deployment.outputs()
    local = replay(day, tmp_path / "replay", "--policies", str(pack))

    again = [d for d in local["enforcement-actions"] if "rearmed_after" in d["evidence"]]
    # 3 or 4 new reporters: 16 of the 40 videos; none of those cleared a second time is
    # acted on a third time (no reporters after the second clearing)
    assert sorted(d["target"]["id"] for d in again) == [
        f"v{i:04d}" for i in range(40) if i % 5 >= 3
    ]
    second = {d["reverses"] for d in local["enforcement-actions"] if d["kind"] == "reversal"}
    twice = {f"v{i:04d}" for i in range(4, 40, 5)}  # cleared again: the new action reversed
    assert {d["id"] for d in again if d["target"]["id"] in twice} <= second
    import json
    from pathlib import Path as _P

    _P("/tmp/rearm_dump.json").write_text(json.dumps({"kafka": kafka, "local": local}))
    assert_same_decisions(kafka, local)
