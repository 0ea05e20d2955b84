"""`vigil replay`: run an events file through the engine in-process, no broker.

Outputs go to stdout as envelope lines, or to one JSONL file per output topic in a directory.
"""

import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import msgspec

from schemas.common import (
    DEAD_LETTER,
    ENFORCEMENT_QUALITY,
    MAX_FUTURE_SKEW_MS,
    OUTPUT_TOPICS,
    REVIEW_QUEUES,
    RULE_STATE,
)
from signals.engine import Emit, Engine
from signals.pipeline import LocalPipeline
from signals.policy import PolicyPack
from stream.config import Settings
from stream.envelope import EVENTS_FILE, BadLine, envelope, parse_lines

PROGRESS_EVERY = 50_000  # lines between progress updates
_encode = msgspec.json.Encoder().encode


@dataclass
class ReplayStats:
    """What a replay did."""

    events: int = 0
    seconds: float = 0.0
    by_topic: Counter[str] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)

    @property
    def eps(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds else 0.0


def run(
    pack: PolicyPack,
    lines: Iterable[bytes],
    sink: "Sink",
    progress: "Progress | None" = None,
) -> tuple[ReplayStats, LocalPipeline]:
    """Feed every line through a fresh pipeline, handing each output to sink."""
    pipe = LocalPipeline(
        Engine(pack, Settings().engine_config()),
        not_after=time.time_ns() // 1_000_000 + MAX_FUTURE_SKEW_MS,
    )
    stats = ReplayStats()
    start = time.perf_counter()
    for item in parse_lines(lines):
        if isinstance(item, BadLine):
            pipe.events += 1
            emits = [
                pipe.reject(
                    EVENTS_FILE, None, item.raw, "invalid_envelope", item.detail, item.number
                )
            ]
        else:
            emits = pipe.feed(item.topic, item.key, item.value, item.number)
        for e in emits:
            stats.by_topic[e.topic] += 1
            if e.topic == DEAD_LETTER:
                stats.dead_letters[e.record.reason] += 1  # type: ignore[attr-defined]
            sink.write(e)
        if progress and pipe.events % PROGRESS_EVERY == 0:
            progress.advance(pipe.events)
    # the input ended: the trend facts still waiting for the clocks are applied
    for e in pipe.finish():
        stats.by_topic[e.topic] += 1
        sink.write(e)
    # the compacted quality topic's final record per key, as a worker leaves it
    for key, state in sorted(pipe.quality.items()):
        stats.by_topic[ENFORCEMENT_QUALITY] += 1
        sink.write(Emit(ENFORCEMENT_QUALITY, key, state.record()))
    # and each review queue as of the last event
    for e in pipe.queue_statuses(everything=True):
        stats.by_topic[e.topic] += 1
        sink.write(e)
    stats.events = pipe.events
    stats.seconds = time.perf_counter() - start
    return stats, pipe


class Sink:
    """Where replay outputs go."""

    def write(self, emit: Emit) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class MemorySink(Sink):
    """Keeps outputs as (topic, key, encoded value) for tests, diffing and summaries."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, bytes]] = []

    def write(self, emit: Emit) -> None:
        self.items.append((emit.topic, emit.key, _encode(emit.record)))

    def records(self, topic: str) -> list[dict[str, Any]]:
        """Decoded values of one topic."""
        return [msgspec.json.decode(v) for t, _, v in self.items if t == topic]


class StreamSink(Sink):
    """Envelope lines on one stream (stdout by default)."""

    def __init__(self, out: IO[bytes] | None = None) -> None:
        self.out = out or sys.stdout.buffer

    def write(self, emit: Emit) -> None:
        self.out.write(envelope(emit.topic, emit.key, _encode(emit.record)) + b"\n")


class DirSink(Sink):
    """One `<topic>.jsonl` file per output topic (every topic gets a file, maybe empty)."""

    def __init__(self, directory: Path, stack: ExitStack) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.files = {
            t: stack.enter_context((directory / f"{t}.jsonl").open("wb"))
            for t in (*OUTPUT_TOPICS, ENFORCEMENT_QUALITY, RULE_STATE, REVIEW_QUEUES)
        }

    def write(self, emit: Emit) -> None:
        self.files[emit.topic].write(envelope(emit.topic, emit.key, _encode(emit.record)) + b"\n")


class Progress:
    """Progress on stderr for long files (rich, only when stderr is a terminal)."""

    def __init__(self) -> None:
        from rich.progress import Progress as RichProgress

        self._p = RichProgress(transient=True, disable=not sys.stderr.isatty())
        self._task = self._p.add_task("replaying", total=None)

    def __enter__(self) -> "Progress":
        self._p.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._p.stop()

    def advance(self, events: int) -> None:
        """Show the number of events processed so far."""
        self._p.update(self._task, completed=events, description=f"replaying: {events:,} events")


def read_lines(path: Path) -> Iterator[bytes]:
    """Lines of an events file, or of stdin for `-`."""
    if str(path) == "-":
        yield from sys.stdin.buffer
        return
    with path.open("rb") as f:
        yield from f
