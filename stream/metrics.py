"""Prometheus metrics of the worker, served on /metrics."""

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter("vigil_events_total", "input messages processed", ["topic"])
DEAD_LETTERS = Counter("vigil_dead_letters_total", "input messages dead-lettered", ["reason"])
DECISIONS = Counter("vigil_decisions_total", "decisions emitted", ["topic", "rule"])
DUPLICATES = Counter(
    "vigil_decisions_deduplicated_total", "decisions not re-emitted because the ledger had them"
)
TREND_ALERTS = Counter("vigil_trend_alerts_total", "trend alert messages", ["status"])
LEDGER_ERRORS = Counter("vigil_ledger_errors_total", "Redis ledger failures (failed open)", ["op"])
RULE_ERRORS = Gauge("vigil_rule_errors", "rule conditions that raised at evaluation")
BREAKER_HELD = Gauge(
    "vigil_breaker_held",
    "1 while a rule's circuit breaker routes its automatic actions to review",
    ["rule"],
)
BREAKER_WAITING = Gauge(
    "vigil_breaker_waiting",
    "rules whose would-be actions wait for the content partitions' clocks on this worker",
)
TREND_WAITING = Gauge(
    "vigil_trend_waiting",
    "trend keys whose facts wait for the content partitions' clocks on this worker",
)
SUPPRESSED = Gauge("vigil_human_suppressed", "automatic actions suppressed by a human verdict")
BATCH_SECONDS = Histogram("vigil_batch_seconds", "time to process one batch", ["family"])
STATE_READS = Counter(
    "vigil_state_reads_total",
    "state reads at a key's first touch in a batch, by where they came from",
    ["family", "source"],
)  # source: cache (decoded already) | table
SWEPT = Counter("vigil_state_expired_total", "state keys dropped by TTL", ["family"])
POLICY_LOADED = Counter("vigil_policy_packs_loaded_total", "policy packs switched to", ["source"])
POLICY_REJECTED = Counter(
    "vigil_policy_packs_rejected_total",
    "policy packs refused because they failed validation",
    ["source"],
)
NOTIFY = Counter(
    "vigil_notifications_total",
    "trend alert deliveries to on-call sinks, by result",
    ["sink", "result"],
)
OUTPUTS_REFUSED = Counter(
    "vigil_outputs_refused_total",
    "output records over their topic's size limit, dead-lettered instead",
    ["topic"],
)
OUTPUTS_LOST = Counter(
    "vigil_outputs_lost_total",
    "output records over their topic's limit whose dead letter was over the "
    "dead-letter topic's limit too (logged as output_lost)",
    ["topic"],
)
ENFORCEMENT = Gauge(
    "vigil_enforcement_7d",
    "enforcement quality over the last 7 days of event time of each quality key this worker "
    "owns (sum across workers); figure: a count of signals.quality.COUNTERS",
    ["rule", "policy_area", "region", "figure"],
)
REVIEW_QUEUE = Gauge(
    "vigil_review_queue",
    "each human review queue this worker owns, as of its watermark (one worker owns a queue); "
    "figure: depth, oldest_wait_seconds, past_due, overflow, capacity_per_hour",
    ["queue", "figure"],
)
QUEUE_FIGURES = ("depth", "oldest_wait_seconds", "past_due", "overflow", "capacity_per_hour")


def queue_gauges(status: Any) -> None:
    """Set a review queue's gauges from its status (schemas.outputs.QueueStatus)."""
    for figure in QUEUE_FIGURES:
        REVIEW_QUEUE.labels(status.queue, figure).set(getattr(status, figure))


def clear_queue_gauges(*_: Any, **__: Any) -> None:
    """Partitions moved: another worker may own these queues now."""
    REVIEW_QUEUE.clear()
