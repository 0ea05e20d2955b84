"""Worker settings from environment variables, with documented defaults (see README)."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from stream.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_POLICIES = REPO_ROOT / "policies"


N = TypeVar("N", int, float)
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def _path(name: str) -> Path | None:
    raw = os.environ.get(name)
    return Path(raw) if raw else None


def _number(name: str, default: N, kind: type[N]) -> N:
    """Read a numeric environment variable, naming the variable when it is not a number."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name}={raw!r}: expected {what}") from None


def _int(name: str, default: int) -> int:
    return _number(name, default, int)


def _float(name: str, default: float) -> float:
    return _number(name, default, float)


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to know about its surroundings."""

    broker: str = field(
        default_factory=lambda: os.environ.get("VIGIL_BROKER", "kafka://127.0.0.1:9092")
    )
    redis_url: str = field(
        default_factory=lambda: os.environ.get("VIGIL_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    topic_prefix: str = field(default_factory=lambda: os.environ.get("VIGIL_TOPIC_PREFIX", ""))
    app_id: str = field(default_factory=lambda: os.environ.get("VIGIL_APP_ID", "vigil"))
    store: str = field(default_factory=lambda: os.environ.get("VIGIL_STORE", "memory"))
    partitions: int = field(default_factory=lambda: _int("VIGIL_PARTITIONS", 4))
    policies: Path = field(
        default_factory=lambda: Path(os.environ.get("VIGIL_POLICIES", str(SHIPPED_POLICIES)))
    )
    web_port: int = field(default_factory=lambda: _int("VIGIL_WEB_PORT", 6066))
    data_dir: Path = field(
        default_factory=lambda: Path(
            os.environ.get("VIGIL_DATA_DIR", str(REPO_ROOT / ".local" / "worker-data"))
        )
    )
    batch_size: int = field(default_factory=lambda: _int("VIGIL_BATCH_SIZE", 5000))
    ledger_ttl: int = field(default_factory=lambda: _int("VIGIL_LEDGER_TTL_SECONDS", 7 * 86400))
    sweep_seconds: float = field(default_factory=lambda: _float("VIGIL_SWEEP_SECONDS", 300.0))
    dashboard_link: str = field(
        default_factory=lambda: os.environ.get(
            "VIGIL_DASHBOARD_LINK", "/trends/{kind}/{value}?incident={incident_id}"
        )
    )
    policy_poll_seconds: float = field(
        default_factory=lambda: _float("VIGIL_POLICY_POLL_SECONDS", 5.0)
    )
    # how long the group waits for a silent worker before its partitions move: a crashed
    # worker's keys go unprocessed this long (Faust's default is 60 s)
    session_timeout: float = field(
        default_factory=lambda: _float("VIGIL_SESSION_TIMEOUT_SECONDS", 10.0)
    )
    # warm copies of other workers' tables, kept by reading their changelogs record by record:
    # a faster failover for as much consuming again as the active work (Faust defaults to 1,
    # Kafka Streams to 0)
    standby_replicas: int = field(default_factory=lambda: _int("VIGIL_STANDBY_REPLICAS", 0))
    # decoded states kept per table for the most recently touched keys (0: decode every time)
    state_cache_keys: int = field(default_factory=lambda: _int("VIGIL_STATE_CACHE_KEYS", 50_000))
    # how long a stopping (or crashed) worker may take before it is ended regardless
    shutdown_timeout: float = field(
        default_factory=lambda: _float("VIGIL_SHUTDOWN_TIMEOUT_SECONDS", 30.0)
    )
    # a secret: kept out of repr, so logging the settings never prints it
    api_token: str | None = field(
        repr=False, default_factory=lambda: os.environ.get("VIGIL_API_TOKEN") or None
    )
    # how every Kafka client of vigil authenticates (the principal a broker's ACLs name)
    kafka_security_protocol: str = field(
        default_factory=lambda: os.environ.get("VIGIL_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper()
    )
    kafka_sasl_mechanism: str = field(
        default_factory=lambda: os.environ.get("VIGIL_KAFKA_SASL_MECHANISM", "PLAIN").upper()
    )
    kafka_username: str | None = field(
        default_factory=lambda: os.environ.get("VIGIL_KAFKA_USERNAME") or None
    )
    kafka_password: str | None = field(
        repr=False, default_factory=lambda: os.environ.get("VIGIL_KAFKA_PASSWORD") or None
    )
    kafka_ca_file: Path | None = field(default_factory=lambda: _path("VIGIL_KAFKA_CA_FILE"))

    def __post_init__(self) -> None:
        if self.store not in ("memory", "rocksdb"):
            raise ConfigError(f"VIGIL_STORE={self.store!r}: expected memory or rocksdb")
        if self.partitions < 1:
            raise ConfigError(f"VIGIL_PARTITIONS={self.partitions}: expected at least 1")
        if self.standby_replicas < 0:
            raise ConfigError(f"VIGIL_STANDBY_REPLICAS={self.standby_replicas}: expected 0 or more")
        if self.shutdown_timeout <= 0:
            raise ConfigError(
                f"VIGIL_SHUTDOWN_TIMEOUT_SECONDS={self.shutdown_timeout}: expected "
                "a number of seconds above 0"
            )
        if self.kafka_security_protocol not in PROTOCOLS:
            raise ConfigError(
                f"VIGIL_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol!r}: "
                f"expected one of {', '.join(PROTOCOLS)}"
            )
        if self.kafka_sasl_mechanism not in MECHANISMS:
            raise ConfigError(
                f"VIGIL_KAFKA_SASL_MECHANISM={self.kafka_sasl_mechanism!r}: "
                f"expected one of {', '.join(MECHANISMS)}"
            )
        if self.kafka_security_protocol.startswith("SASL") and not (
            self.kafka_username and self.kafka_password
        ):
            raise ConfigError(
                f"VIGIL_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} "
                "needs VIGIL_KAFKA_USERNAME and VIGIL_KAFKA_PASSWORD"
            )
        if self.kafka_ca_file is not None and not self.kafka_ca_file.is_file():
            raise ConfigError(f"VIGIL_KAFKA_CA_FILE={self.kafka_ca_file}: no such file")
        if self.state_cache_keys < 0:
            raise ConfigError(f"VIGIL_STATE_CACHE_KEYS={self.state_cache_keys}: expected 0 or more")

    @property
    def store_url(self) -> str:
        """Faust's table store URL."""
        return "rocksdb://" if self.store == "rocksdb" else "memory://"

    @property
    def bootstrap(self) -> str:
        """host:port list for aiokafka clients (the broker URL without its scheme)."""
        return ",".join(b.split("://", 1)[-1] for b in self.broker.split(","))

    def kafka(self) -> dict[str, Any]:
        """The connection keyword arguments of an aiokafka client: servers and credentials."""
        out: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_security_protocol in ("SSL", "SASL_SSL"):
            out["ssl_context"] = self.ssl_context()
        if self.kafka_security_protocol.startswith("SASL"):
            out.update(
                sasl_mechanism=self.kafka_sasl_mechanism,
                sasl_plain_username=self.kafka_username,
                sasl_plain_password=self.kafka_password,
            )
        return out

    def ssl_context(self) -> Any:
        """A TLS context trusting VIGIL_KAFKA_CA_FILE (or the system's authorities)."""
        from aiokafka.helpers import create_ssl_context

        return create_ssl_context(cafile=str(self.kafka_ca_file) if self.kafka_ca_file else None)

    def topic(self, name: str) -> str:
        """The full topic name for a logical one."""
        return self.topic_prefix + name
