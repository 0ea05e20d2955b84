"""`vigil produce`: send an events file to Kafka, keyed as the file says."""

import asyncio
import time
from collections import Counter
from collections.abc import Iterable

import msgspec
from aiokafka import AIOKafkaProducer

from signals.deadletter import dead_letter
from stream.config import Settings
from stream.envelope import BadLine, parse_lines
from stream.topics import ensure_topics


async def produce(settings: Settings, lines: Iterable[bytes],
                  rate: float = 0.0) -> tuple[Counter[str], list[int]]:
    """Send every envelope line to its (prefixed) topic; return counts and bad line numbers.

    rate paces the sending at that many messages per second (0: as fast as Kafka takes them),
    so traffic can keep flowing through a fault or hold a load level in a benchmark.
    Values are sent as their original bytes, so invalid events reach the worker unchanged and
    are dead-lettered there, exactly as replay reports them. A line that is not an envelope
    at all has no topic to go to: it goes straight to dead-letter, as replay reports it.
    """
    await ensure_topics(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all",
                                linger_ms=5, max_batch_size=256 * 1024,
                                max_request_size=4 * 1024 * 1024)
    await producer.start()
    sent: Counter[str] = Counter()
    bad: list[int] = []
    pace = _Pace(rate)
    try:
        pending = []
        for item in parse_lines(lines):
            await pace.tick()
            if isinstance(item, BadLine):
                bad.append(item.number)
                record = dead_letter("replay-input", item.raw, "invalid_envelope", item.detail,
                                     line=item.number)
                pending.append(await producer.send(settings.topic("dead-letter"),
                                                   msgspec.json.encode(record),
                                                   key=b"replay-input"))
                sent["dead-letter"] += 1
                continue
            pending.append(await producer.send(settings.topic(item.topic), item.value,
                                               key=item.key))
            sent[item.topic] += 1
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent, bad


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
