"""Reading vigil's own outputs back: a topic from its start until nothing more arrives (for
`vigil explain --kafka`, `vigil report --kafka`, `vigil rules status --kafka`), one output
topic of a replay's --out directory, or the workers' own views (`--url`)."""

import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import orjson
from aiokafka import AIOKafkaConsumer

from stream.config import Settings
from stream.errors import VigilError

R = TypeVar("R", bound=msgspec.Struct)


def read_output_file(source: Path, topic: str, record: type[R]) -> list[R]:
    """Every record of one output topic in a replay's output (its --out directory, or the
    topic's .jsonl: envelope lines or bare records), in order. A line that is not such a record
    is an error naming its file and line."""
    path = source / f"{topic}.jsonl" if source.is_dir() else source
    if not path.is_file():
        raise VigilError(f"{path} does not exist (replay with --out writes it)")
    decoder = msgspec.json.Decoder(record)
    out = []
    with path.open("rb") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                doc = orjson.loads(line)
                value = doc["value"] if isinstance(doc, dict) and "topic" in doc else doc
                out.append(decoder.decode(orjson.dumps(value)))
            except (orjson.JSONDecodeError, msgspec.DecodeError, KeyError, TypeError) as exc:
                raise VigilError(f"{path}:{n}: not {_a(topic)} {topic} record: {exc}") from None
    return out


S = TypeVar("S")


def newest(statuses: Iterable[S], key: Callable[[S], str], ts: Callable[[S], str]) -> list[S]:
    """The status with the newest event time per key, in key order: a compacted topic of
    statuses as compaction leaves it (rule-state, review-queues)."""
    out: dict[str, S] = {}
    for s in statuses:
        k = key(s)
        if k not in out or ts(s) >= ts(out[k]):
            out[k] = s
    return [out[k] for k in sorted(out)]


def from_workers(urls: Iterable[str], view: str, field: str, token: str | None) -> list[Any]:
    """The rows every worker's web view serves under `field` (each worker holds its own
    partitions' keys), in the order of the urls; a worker that does not answer is an error."""
    rows: list[Any] = []
    for url in urls:
        req = urllib.request.Request(url.rstrip("/") + view)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                rows += orjson.loads(resp.read())[field]
        except (OSError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
            raise VigilError(f"{url}{view}: {exc}") from None
    return rows


def _a(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


async def read_topics(
    settings: Settings, topics: list[str], idle_seconds: float = 2.0
) -> list[tuple[Any, str]]:
    """Every JSON record on the topics (full names), each with where it was read, in
    partition order; unreadable values are skipped."""
    consumer = AIOKafkaConsumer(
        *topics,
        **settings.kafka(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    out: list[tuple[Any, str]] = []
    try:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < idle_seconds:
            batch = await consumer.getmany(timeout_ms=500)
            if batch:
                quiet_since = time.monotonic()
            for tp, msgs in batch.items():
                for m in msgs:
                    try:
                        doc = orjson.loads(m.value or b"")
                    except orjson.JSONDecodeError:
                        continue
                    out.append((doc, f"{tp.topic}[{tp.partition}]@{m.offset}"))
    finally:
        await consumer.stop()
    return out
