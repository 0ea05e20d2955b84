"""`make report-picture`: two weeks of labelled demo videos (the sample golden set's model,
one set a day) with simulated reviewers and a pack change half-way, replayed in-process, so
`vigil report --png` has a post-launch impact to draw.

On day 8 the hate team loosens `hate.model_limit` from `score_max_hate >= 0.85` to `>= 0.6`;
it now limits hard negatives the classifier scores high, and the reviewers
(stream/demo/reviewers.py), who see the videos' truth, overturn more of its limits. Writes
OUT/enforcement-quality.jsonl (and the events, with the human outcomes, to OUT/events.jsonl).
"""

import heapq
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402
import orjson  # noqa: E402

from schemas.common import ENFORCEMENT_QUALITY  # noqa: E402
from schemas.outputs import Decision  # noqa: E402
from signals.engine import Engine  # noqa: E402
from signals.eventtime import DAY, parse_ts  # noqa: E402
from signals.pipeline import LocalPipeline  # noqa: E402
from signals.policy import parse_pack  # noqa: E402
from stream.config import SHIPPED_POLICIES  # noqa: E402
from stream.demo.golden import golden_set  # noqa: E402
from stream.demo.reviewers import Reviewers  # noqa: E402
from stream.demo.traffic import DAY_START  # noqa: E402
from stream.envelope import envelope  # noqa: E402
from stream.policyfiles import pack_files  # noqa: E402

DAYS, CHANGE_ON, ITEMS = 14, 7, 1500
LOOSER = (
    "score_max_hate >= 0.85 && score_max_hate < 0.97",
    "score_max_hate >= 0.6 && score_max_hate < 0.97",
)


def packs() -> tuple[object, object]:
    sources = {p.name: p.read_text() for p in pack_files(SHIPPED_POLICIES)}
    changed = dict(sources, **{"hate.yaml": sources["hate.yaml"].replace(*LOOSER)})
    assert changed != sources, "hate.model_limit's condition moved: update LOOSER"
    return parse_pack(sources), parse_pack(changed)


def main(out: Path) -> None:
    before, after = packs()
    pipe = LocalPipeline(Engine(before))  # type: ignore[arg-type]
    reviewers = Reviewers()
    pending: list[tuple[int, bytes]] = []
    out.mkdir(parents=True, exist_ok=True)
    decode = msgspec.json.Decoder()
    with (out / "events.jsonl").open("wb") as events:

        def feed(line: bytes) -> None:
            events.write(line + b"\n")
            doc = decode.decode(line)
            value = msgspec.json.encode(doc["value"])
            for e in pipe.feed(doc["topic"], doc["key"].encode(), value):
                if isinstance(e.record, Decision):
                    for item in reviewers.outcomes(e.record):
                        heapq.heappush(pending, item)

        for day in range(DAYS):
            if day == CHANGE_ON:
                pipe.engine.set_pack(after)  # type: ignore[arg-type]
            start = DAY_START + day * DAY
            _, items = golden_set(ITEMS, 100 + day, 0.0, start, day * 10_000_000)
            for item in items:
                for lab in item.labels:
                    reviewers.truth[item.id, lab.policy_area] = lab.violating
            day_events = sorted(
                ((parse_ts(e.value["ts"]), e) for item in items for e in item.events),
                key=lambda te: te[0],
            )
            for ts, e in day_events:
                while pending and pending[0][0] <= ts:
                    feed(heapq.heappop(pending)[1])
                feed(
                    orjson.dumps({"topic": e.topic, "key": e.value["content_id"], "value": e.value})
                )
        while pending:
            feed(heapq.heappop(pending)[1])
    with (out / "enforcement-quality.jsonl").open("wb") as f:
        for key, state in sorted(pipe.quality.items()):
            f.write(envelope(ENFORCEMENT_QUALITY, key, msgspec.json.encode(state.record())) + b"\n")
    print(f"{pipe.events:,} events over {DAYS} days, {len(pipe.quality)} quality keys in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "build/quality-demo"))
