"""The worker's Faust app: its settings, on vigil's own transport."""

from typing import Any

import faust

from stream.config import Settings
from stream.worker.transport import broker_url


def credentials(s: Settings) -> Any:
    """The Faust form of the settings' Kafka credentials (None for PLAINTEXT)."""
    protocol = s.kafka_security_protocol
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=s.kafka_username,
            password=s.kafka_password,
            mechanism=s.kafka_sasl_mechanism,
            ssl_context=s.ssl_context() if protocol == "SASL_SSL" else None,
        )
    return faust.SSLCredentials(s.ssl_context()) if protocol == "SSL" else None


def make_app(s: Settings) -> faust.App:
    (s.data_dir / s.app_id).mkdir(parents=True, exist_ok=True)
    return faust.App(
        s.app_id,
        broker=broker_url(s.broker),  # vigil's transport (stream/worker/transport)
        broker_credentials=credentials(s),
        store=s.store_url,
        datadir=str(s.data_dir / s.app_id),
        topic_partitions=s.partitions,
        topic_disable_leader=True,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        web_port=s.web_port,
        web_in_thread=False,
        # Faust's own views would serve table contents and internals without any check
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        producer_acks=-1,
        broker_max_poll_records=s.batch_size,  # records handed to the engine per poll
        # the outbox fills one record batch per partition and poll: let it hold a poll's worth
        producer_max_batch_size=512 * 1024,
        broker_session_timeout=s.session_timeout,
        broker_heartbeat_interval=min(3.0, s.session_timeout / 3),
        stream_wait_empty=False,
        table_standby_replicas=s.standby_replicas,
    )
