"""`vigil produce`: send an events file's input events to Kafka, keyed as the file says."""

import asyncio
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import msgspec
import typer
from aiokafka import AIOKafkaProducer

from schemas.common import DEAD_LETTER, INPUT_TOPICS
from schemas.outputs import DeadLetter
from signals.deadletter import dead_letter, dead_letter_key
from signals.decode import NOT_AN_INPUT
from stream.cli.common import app, err, require_file
from stream.config import Settings
from stream.envelope import EVENTS_FILE, BadLine, Line, parse_lines
from stream.topics import ensure_own


async def produce(
    settings: Settings, lines: Iterable[bytes], rate: float = 0.0
) -> tuple[Counter[str], list[int]]:
    """Send every input event to its (prefixed) topic; return counts and refused line numbers.

    Only vigil's input topics are written. A line for any other topic (an output such as
    `enforcement-actions`, a misspelt name) would forge decisions downstream systems enforce,
    or silently create a topic: it goes to dead-letter as `unknown_topic`, exactly as replay
    reports it, and so does a line that is not an envelope at all (`invalid_envelope`).
    rate paces the sending at that many messages per second (0: as fast as Kafka takes them),
    so traffic can keep flowing through a fault or hold a load level in a benchmark.
    Values are sent as their original bytes, so invalid events reach the worker unchanged and
    are dead-lettered there, exactly as replay reports them.
    """
    await ensure_own(settings, *INPUT_TOPICS, DEAD_LETTER)
    producer = AIOKafkaProducer(
        **settings.kafka(),
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        max_request_size=4 * 1024 * 1024,
    )
    await producer.start()
    sent: Counter[str] = Counter()
    refused: list[int] = []
    pace = _Pace(rate)
    dead_topic = settings.topic(DEAD_LETTER)
    try:
        pending = []
        for item in parse_lines(lines):
            await pace.tick()
            if isinstance(item, Line) and item.topic in INPUT_TOPICS:
                pending.append(
                    await producer.send(settings.topic(item.topic), item.value, key=item.key)
                )
                sent[item.topic] += 1
            else:
                dead, key = refusal(item)
                refused.append(item.number)
                pending.append(
                    await producer.send(
                        dead_topic,
                        msgspec.json.encode(dead),
                        key=dead_letter_key(dead, key).encode(),
                    )
                )
                sent[DEAD_LETTER] += 1
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent, refused


def refusal(item: Line | BadLine) -> tuple[DeadLetter, bytes | None]:
    """The dead letter for a line `vigil produce` will not send, and the original key."""
    if isinstance(item, BadLine):
        return dead_letter(
            EVENTS_FILE, item.raw, "invalid_envelope", item.detail, line=item.number
        ), None
    return dead_letter(
        item.topic, item.value, "unknown_topic", NOT_AN_INPUT, key=item.key, line=item.number
    ), item.key


class _Pace:
    """Sleeps just enough to keep a steady rate, checking the schedule every few messages."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.n = 0
        self.every = max(1, int(rate / 200))  # about every 5 ms of schedule
        self.start = time.perf_counter()

    async def tick(self) -> None:
        if self.rate <= 0:
            return
        self.n += 1
        if self.n % self.every == 0:
            ahead = self.n / self.rate - (time.perf_counter() - self.start)
            if ahead > 0:
                await asyncio.sleep(ahead)


@app.command("produce")
def produce_command(
    events: Path = typer.Argument(..., help="events file (JSONL), or - for stdin", allow_dash=True),
    rate: float = typer.Option(
        0.0, "--rate", min=0.0, help="messages per second (0: as fast as Kafka takes them)"
    ),
) -> None:
    """Send an events file to Kafka (VIGIL_BROKER, VIGIL_TOPIC_PREFIX)."""
    from stream.replay import read_lines

    require_file(events)
    sent, bad = asyncio.run(produce(Settings(), read_lines(events), rate))
    err.print("produced " + ", ".join(f"{t} {n}" for t, n in sorted(sent.items())))
    if bad:
        err.print(
            f"{len(bad)} lines went to dead-letter instead (not an envelope, or not an "
            f"input topic), lines {bad[:10]}{' ...' if len(bad) > 10 else ''}"
        )
