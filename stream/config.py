"""vigil's settings: every `VIGIL_*` environment variable, read in one place (see README)."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from signals.engine import EngineConfig
from signals.trend import TrendConfig
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


def _text(name: str, default: str | None) -> str | None:
    raw = os.environ.get(name)
    return raw if raw else default


def setting(
    env: str,
    default: Any,
    meaning: str,
    kind: str = "text",
    shown: str | None = None,
    secret: bool = False,
) -> Any:
    """A Settings field read from the environment variable `env` (empty means unset).

    `kind` parses it (text, int, float, path, upper); `shown` is the default as the README's
    table shows it; the metadata is what `config_table` renders.
    """
    readers = {
        "text": lambda: _text(env, default),
        "upper": lambda: (_text(env, default) or "").upper(),
        "int": lambda: _int(env, default),
        "float": lambda: _float(env, default),
        "path": lambda: _path(env) or default,
    }
    shown = shown if shown is not None else ("unset" if default is None else f"`{default}`")
    return field(
        default_factory=readers[kind],
        repr=not secret,
        metadata={"env": env, "shown": shown, "meaning": meaning},
    )


@dataclass(frozen=True)
class Settings:
    """Every `VIGIL_*` variable the worker, the notifier, replay and the commands read."""

    broker: str = setting(
        "VIGIL_BROKER", "kafka://127.0.0.1:9092", "Kafka bootstrap servers (comma-separated)"
    )
    kafka_security_protocol: str = setting(
        "VIGIL_KAFKA_SECURITY_PROTOCOL",
        "PLAINTEXT",
        "`PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`, for the worker and every command "
        "that talks to Kafka",
        kind="upper",
    )
    kafka_sasl_mechanism: str = setting(
        "VIGIL_KAFKA_SASL_MECHANISM",
        "PLAIN",
        "`PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`",
        kind="upper",
    )
    kafka_username: str | None = setting(
        "VIGIL_KAFKA_USERNAME", None, "the SASL login (the principal the broker's ACLs name)"
    )
    kafka_password: str | None = setting(
        "VIGIL_KAFKA_PASSWORD", None, "its password, kept out of logs and reprs", secret=True
    )
    kafka_ca_file: Path | None = setting(
        "VIGIL_KAFKA_CA_FILE",
        None,
        "certificate authorities for TLS (the system's when unset)",
        kind="path",
    )
    redis_url: str = setting(
        "VIGIL_REDIS_URL",
        "redis://127.0.0.1:6379/0",
        "Redis for the decision ledger and on-call cool-downs",
    )
    topic_prefix: str = setting(
        "VIGIL_TOPIC_PREFIX",
        "",
        "prefix for every topic name (several deployments on one cluster)",
        shown="empty",
    )
    app_id: str = setting(
        "VIGIL_APP_ID",
        "vigil",
        "Faust app id: consumer group, changelog topic names, ledger namespace",
    )
    partitions: int = setting(
        "VIGIL_PARTITIONS",
        4,
        "partitions of the input and re-keying topics (must all be equal)",
        kind="int",
    )
    store: str = setting(
        "VIGIL_STORE", "memory", "table store: `memory` or `rocksdb` (via rocksdict)"
    )
    data_dir: Path = setting(
        "VIGIL_DATA_DIR",
        REPO_ROOT / ".local" / "worker-data",
        "where RocksDB tables live",
        kind="path",
        shown="`.local/worker-data`",
    )
    policies: Path = setting(
        "VIGIL_POLICIES",
        SHIPPED_POLICIES,
        "policy pack directory",
        kind="path",
        shown="the shipped `policies/`",
    )
    web_port: int = setting(
        "VIGIL_WEB_PORT",
        6066,
        "`/health`, Prometheus `/metrics`, `/trends`, each incident's page, `/enforcement` and "
        "`/queues`",
        kind="int",
    )
    # a secret: kept out of repr, so logging the settings never prints it
    api_token: str | None = setting(
        "VIGIL_API_TOKEN",
        None,
        "bearer token `/trends`, `/enforcement` and `/queues` require; unset, they refuse "
        "every request (`vigil trends`, `vigil report --url` and `vigil queues --url` send it "
        "too)",
        secret=True,
    )
    # warm copies of other workers' tables, kept by reading their changelogs record by record:
    # a faster failover for as much consuming again as the active work (Faust defaults to 1,
    # Kafka Streams to 0)
    standby_replicas: int = setting(
        "VIGIL_STANDBY_REPLICAS",
        0,
        "warm copies of other workers' tables each worker keeps "
        "(faster failover, but each copy costs about as much consuming as the active work)",
        kind="int",
    )
    state_cache_keys: int = setting(
        "VIGIL_STATE_CACHE_KEYS",
        50_000,
        "decoded states kept per table for the most recently "
        "touched keys (`0`: decode from the table at every batch)",
        kind="int",
        shown="`50000`",
    )
    # how long the group waits for a silent worker before its partitions move: a crashed
    # worker's keys go unprocessed this long (Faust's default is 60 s)
    session_timeout: float = setting(
        "VIGIL_SESSION_TIMEOUT_SECONDS",
        10.0,
        "how long the group waits for a silent worker before its partitions move to another",
        kind="float",
        shown="`10`",
    )
    batch_size: int = setting(
        "VIGIL_BATCH_SIZE",
        5000,
        "most records one poll hands to the engine as a batch (fewer when fewer are waiting)",
        kind="int",
    )
    ledger_ttl: int = setting(
        "VIGIL_LEDGER_TTL_SECONDS",
        7 * 86400,
        "how long the ledger remembers an emitted decision id",
        kind="int",
        shown="`604800` (7 days)",
    )
    sweep_seconds: float = setting(
        "VIGIL_SWEEP_SECONDS",
        300.0,
        "how often expired state is swept from the tables",
        kind="float",
        shown="`300`",
    )
    quality_publish_seconds: float = setting(
        "VIGIL_QUALITY_PUBLISH_SECONDS",
        5.0,
        "how often the worker publishes the changed enforcement-quality keys and review queues "
        "(and, every 60th time, all it holds) on `enforcement-quality` and `review-queues`",
        kind="float",
        shown="`5`",
    )
    shutdown_timeout: float = setting(
        "VIGIL_SHUTDOWN_TIMEOUT_SECONDS",
        30.0,
        "how long a stopping (or crashed) worker may "
        "take to stop cleanly before it is ended, exit code 70",
        kind="float",
        shown="`30`",
    )
    policy_poll_seconds: float = setting(
        "VIGIL_POLICY_POLL_SECONDS",
        5.0,
        "how often the worker checks its policy directory for changes",
        kind="float",
        shown="`5`",
    )
    webhook_url: str | None = setting(
        "VIGIL_WEBHOOK_URL", None, "on-call: POST each trend alert as JSON here"
    )
    slack_webhook_url: str | None = setting(
        "VIGIL_SLACK_WEBHOOK_URL", None, "on-call: a Slack-compatible message per trend alert"
    )
    pagerduty_url: str | None = setting(
        "VIGIL_PAGERDUTY_URL",
        None,
        "on-call: PagerDuty Events v2 (`https://events.pagerduty.com/v2/enqueue`)",
    )
    pagerduty_routing_key: str | None = setting(
        "VIGIL_PAGERDUTY_ROUTING_KEY", None, "the PagerDuty integration's routing key", secret=True
    )
    dashboard_link: str = setting(
        "VIGIL_DASHBOARD_LINK",
        "/trends/{kind}/{value}?incident={incident_id}",
        "the `link` on each trend alert (and in Slack and PagerDuty payloads); the default is "
        "the worker's own incident page (token required)",
    )
    trend_false_pages_per_day: float = setting(
        "VIGIL_TREND_FALSE_PAGES_PER_DAY",
        2.0,
        "the page budget: expected false trend pages per day across every key (each worker "
        "holds its share); the detectors page at the tail probability that allows",
        kind="float",
    )
    alert_cooldown: int = setting(
        "VIGIL_ALERT_COOLDOWN_SECONDS",
        3600,
        "a trend key pages `firing` at most once per this, across workers",
        kind="int",
    )
    notify_coalesce: float = setting(
        "VIGIL_NOTIFY_COALESCE_SECONDS",
        5.0,
        "on-call: how long an alert waits so that keys spiking together on the same videos "
        "page once, titled by the most specific key",
        kind="float",
    )
    notify_rate_per_minute: float = setting(
        "VIGIL_NOTIFY_RATE_PER_MINUTE",
        30.0,
        "on-call pages per minute per sink",
        kind="float",
        shown="`30`",
    )
    notify_queue: int = setting(
        "VIGIL_NOTIFY_QUEUE",
        1000,
        "alerts waiting for delivery at most (more are refused, loudly)",
        kind="int",
    )
    notify_attempts: int = setting(
        "VIGIL_NOTIFY_ATTEMPTS",
        5,
        "attempts before an alert is parked for a later retry",
        kind="int",
    )
    log_format: str | None = setting(
        "VIGIL_LOG_FORMAT",
        None,
        "`json` or `console` (key=value); logs carry ids, never captions or report text",
        shown="`json` (`console` on a terminal)",
    )

    def __post_init__(self) -> None:
        if self.store not in ("memory", "rocksdb"):
            raise ConfigError(f"VIGIL_STORE={self.store!r}: expected memory or rocksdb")
        if self.partitions < 1:
            raise ConfigError(f"VIGIL_PARTITIONS={self.partitions}: expected at least 1")
        if not self.trend_false_pages_per_day > 0:
            raise ConfigError(
                f"VIGIL_TREND_FALSE_PAGES_PER_DAY={self.trend_false_pages_per_day}: expected "
                "a number of pages above 0"
            )
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
        if self.log_format not in (None, "json", "console"):
            raise ConfigError(f"VIGIL_LOG_FORMAT={self.log_format!r}: expected json or console")
        if self.pagerduty_url and not self.pagerduty_routing_key:
            raise ConfigError("VIGIL_PAGERDUTY_URL is set but VIGIL_PAGERDUTY_ROUTING_KEY is not")
        if self.state_cache_keys < 0:
            raise ConfigError(f"VIGIL_STATE_CACHE_KEYS={self.state_cache_keys}: expected 0 or more")

    def engine_config(self) -> EngineConfig:
        """The engine's parameters that come from settings."""
        return EngineConfig(
            dashboard_link=self.dashboard_link,
            trends=TrendConfig(false_pages_per_day=self.trend_false_pages_per_day),
        )

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


def config_table() -> str:
    """The README's configuration table, from the fields above (a test keeps them equal)."""
    from dataclasses import fields

    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for f in fields(Settings):
        m = f.metadata
        rows.append(f"| `{m['env']}` | {m['shown']} | {m['meaning']} |")
    return "\n".join(rows)
