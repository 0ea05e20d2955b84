"""On-call delivery of trend alerts: sinks, a delivery queue with retries, rate limits."""

from stream.notify.delivery import Notifier, NotifierConfig, notifier_config
from stream.notify.ratelimit import TokenBucket
from stream.notify.sinks import Sink, generic, pagerduty, sinks_from_env, slack

__all__ = [
    "Notifier",
    "NotifierConfig",
    "Sink",
    "TokenBucket",
    "generic",
    "notifier_config",
    "pagerduty",
    "sinks_from_env",
    "slack",
]
