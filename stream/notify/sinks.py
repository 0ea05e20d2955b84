"""Where trend alerts are delivered: a generic JSON webhook (the alert as published), a
Slack-compatible message, and PagerDuty Events v2 (trigger on firing and updates with the
incident id as the dedup key, resolve on resolution). URLs and the routing key come from the
environment.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stream.config import Settings

PD_SEVERITY = {"low": "info", "medium": "warning", "high": "error", "critical": "critical"}


@dataclass
class Sink:
    """One webhook: its name, URL and how an alert becomes a request body."""

    name: str
    url: str
    render: Callable[[dict[str, Any]], dict[str, Any] | None]


def generic(alert: dict[str, Any]) -> dict[str, Any]:
    """The alert exactly as on the trend-alerts topic."""
    return alert


def slack(alert: dict[str, Any]) -> dict[str, Any]:
    """A Slack-compatible message with the evidence on-call needs."""
    key = alert["key"]
    head = {
        "firing": "Trend spiking",
        "updated": "Trend growing",
        "resolved": "Trend back to baseline",
    }[alert["status"]]
    text = (
        f"*{head}* ({alert['severity']}): {key['kind']} `{key['value']}`: "
        f"{alert['observed']} uploads in 5 min vs {alert['expected']} expected "
        f"(x{alert['growth']}), {alert['distinct_creators']} creators, since "
        f"{alert['first_seen']}. Samples: {', '.join(alert['sample_content_ids'][:3])}. "
        f"Incident {alert['incident_id']} {alert.get('link', '')}"
    ).rstrip()
    return {"text": text}


def pagerduty(routing_key: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """PagerDuty Events v2: trigger (firing, updated) or resolve, deduplicated by incident."""

    def render(alert: dict[str, Any]) -> dict[str, Any] | None:
        key = alert["key"]
        body: dict[str, Any] = {
            "routing_key": routing_key,
            "dedup_key": alert["incident_id"],
            "event_action": "resolve" if alert["status"] == "resolved" else "trigger",
        }
        if alert["status"] != "resolved":
            body["payload"] = {
                "summary": f"vigil: {key['kind']} {key['value']} spiking "
                f"({alert['observed']} vs {alert['expected']} expected)",
                "source": "vigil",
                "severity": PD_SEVERITY[alert["severity"]],
                "custom_details": {
                    k: alert.get(k)
                    for k in (
                        "observed",
                        "expected",
                        "growth",
                        "distinct_creators",
                        "first_seen",
                        "sample_content_ids",
                        "top_creators",
                        "window_start",
                        "window_end",
                        "policy_area",
                        "region",
                        "link",
                    )
                },
            }
        return body

    return render


def configured_sinks(settings: Settings) -> list[Sink]:
    """The sinks the settings name: VIGIL_WEBHOOK_URL, VIGIL_SLACK_WEBHOOK_URL and
    VIGIL_PAGERDUTY_URL (with VIGIL_PAGERDUTY_ROUTING_KEY, which Settings requires with it)."""
    out = []
    if settings.webhook_url:
        out.append(Sink("webhook", settings.webhook_url, generic))
    if settings.slack_webhook_url:
        out.append(Sink("slack", settings.slack_webhook_url, slack))
    if settings.pagerduty_url and settings.pagerduty_routing_key:
        out.append(
            Sink("pagerduty", settings.pagerduty_url, pagerduty(settings.pagerduty_routing_key))
        )
    return out
