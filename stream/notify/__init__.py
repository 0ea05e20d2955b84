"""On-call delivery of trend alerts: sinks, a delivery queue with retries, rate limits."""

from stream.notify.delivery import Notifier, NotifierConfig, notifier_config
from stream.notify.ratelimit import TokenBucket
from stream.notify.sinks import Sink, configured_sinks, generic, pagerduty, slack

__all__ = [
    "Notifier",
    "NotifierConfig",
    "Sink",
    "TokenBucket",
    "configured_sinks",
    "generic",
    "notifier_config",
    "pagerduty",
    "slack",
]
