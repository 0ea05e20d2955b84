"""vigil's Faust transport: the one place the worker reaches into Faust's internals.

Faust's extension point for how an app talks to Kafka is the transport, chosen by the broker
URL's scheme. vigil registers `vigil://` (pyproject.toml, entry point group
`faust.transports`): Faust's aiokafka transport with a consumer and a producer of vigil's own,
so nothing is patched on Faust's classes and any other app in the process is unaffected.

- `Consumer` runs the fetch loop (fetch.py) for an app that routed batch handlers, and
  commits on deduplicated acknowledgements (offsets.py);
- `Producer` is idempotent with every write acknowledged by all in-sync replicas, and hands
  the outbox its aiokafka client;
- current.py stands in for Faust's current event around the worker's table writes;
- compat.py checks, before the worker starts, that the installed faust-streaming is the one
  all of this was written for.

ruff's SLF001 (private member access) is on for the whole tree and waived only here.
"""

from typing import Any

from aiokafka import AIOKafkaProducer
from faust.transport.drivers import aiokafka as driver

from stream.worker.transport import fetch, offsets

SCHEME = "vigil"


class Consumer(driver.Consumer):
    """Faust's aiokafka consumer with vigil's fetch loop and offset bookkeeping."""

    async def _drain_messages(self, fetcher: Any) -> None:
        handlers = fetch.handlers_of(self.app)
        if handlers is None:  # an app that routed no handlers: Faust's own loop
            await super()._drain_messages(fetcher)
            return
        await fetch.drain(self, fetcher, handlers)

    def _new_offset(self, tp: Any) -> int | None:
        return offsets.new_offset(self, tp, super()._new_offset)


class Producer(driver.Producer):
    """Faust's aiokafka producer, idempotent with or without transactions."""

    def _settings_extra(self) -> dict[str, Any]:
        # a batch retried after a broker restart (sent, written, its ack lost) must not be
        # written twice; Faust only asks for this with transactions on
        return {"acks": "all", "enable_idempotence": True}

    def client(self) -> AIOKafkaProducer:
        """The aiokafka producer the outbox sends its record batches with."""
        producer: AIOKafkaProducer = self._ensure_producer()
        return producer


class Transport(driver.Transport):
    """The transport of `vigil://` broker URLs."""

    Consumer = Consumer
    Producer = Producer


def broker_url(broker: str) -> str:
    """A `kafka://` broker URL (or `host:port` list) for vigil's transport."""
    return ";".join(
        f"{SCHEME}://{b.split('://', 1)[-1]}" for b in broker.replace(";", ",").split(",") if b
    )


__all__ = ["SCHEME", "Consumer", "Producer", "Transport", "broker_url"]
