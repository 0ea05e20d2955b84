"""Resident memory of n keys of one state family, held as the worker's memory store holds them.

Run in a fresh process per family (bench_kafka.py does). Prints two numbers of bytes for n
keys built through the engine and kept as encoded bytes in a dict, as Faust's memory store
keeps a table: the RSS growth (which includes the allocator's fragmentation left by the
processing, so an upper bound) and the size of the dict and its keys and values (the floor).
"""

import gc
import os
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signals.decode import decode  # noqa: E402
from signals.engine import Engine  # noqa: E402
from stream.config import SHIPPED_POLICIES  # noqa: E402
from stream.policyfiles import load_pack  # noqa: E402
from stream.worker.tables import stored  # noqa: E402

T0 = 1_795_132_800_000  # 2026-11-20T00:00:00Z


def rss() -> int:
    """Current resident set size in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _upload(i: int) -> bytes:
    return orjson.dumps(
        {
            "event_id": f"up-{i:08d}",
            "ts": T0 + i * 10,
            "content_id": f"v{i:09d}",
            "creator_id": f"u{i:09d}",
            "region": "US",
            "language": "en",
            "hashtags": [f"tag{i:09d}"],
            "audio_id": None,
            "caption": "",
        }
    )


def _score(i: int) -> bytes:
    return orjson.dumps(
        {
            "event_id": f"mo-{i:08d}",
            "ts": T0 + i * 10 + 5,
            "content_id": f"v{i:09d}",
            "creator_id": f"u{i:09d}",
            "model": "mm",
            "model_version": "1",
            "scores": {"spam": 0.01, "hate": 0.02},
        }
    )


def probe(family: str, n: int) -> tuple[int, int]:
    """(RSS growth, bytes held by the table) for n keys of this family."""
    engine = Engine(load_pack(SHIPPED_POLICIES))
    table: dict[bytes, bytes] = {}
    gc.collect()
    before = rss()
    for i in range(n):
        key = f"v{i:09d}"
        step = engine.on_content(decode("uploads", key.encode(), _upload(i)), None)
        if family == "content":
            step = engine.on_content(decode("model-scores", key.encode(), _score(i)), step.state)
            table[key.encode()] = stored(step.state.encode())
        elif family == "creator":
            for fact in step.creator_facts:
                state = engine.on_creator(fact, None).state
                table[fact.creator_id.encode()] = stored(state.encode())
        else:  # trend: three uploads in one period promote a key to exact state
            for fact in step.trend_facts:
                if fact.kind != "hashtag":
                    continue
                state = None
                for _ in range(3):
                    state, _ = engine.on_trend(fact, state)
                if state is not None:
                    table[fact.table_key.encode()] = stored(state.encode())
    gc.collect()
    if len(table) < n * 0.99:
        raise SystemExit(f"only {len(table)} of {n} {family} keys were built")
    held = sys.getsizeof(table) + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in table.items())
    return rss() - before, held


if __name__ == "__main__":
    grown, held = probe(sys.argv[1], int(sys.argv[2]))
    print(grown, held)
