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
    why = WHY.get(alert.get("why") or "", "")
    band = alert.get("expected_high")
    text = (
        f"*{head}* ({alert['severity']}{why}): {key['kind']} `{key['value']}`: "
        f"{alert['observed']} uploads in 5 min vs {alert['expected']} expected"
        f"{f' (pages above {band:g})' if band else ''} (x{alert['growth']}), "
        f"{alert['distinct_creators']} creators, since {alert['first_seen']}. "
        f"Last hour: {sparkline(alert.get('recent') or [])} "
        f"{together(alert)}"
        f"Samples: {', '.join(alert['sample_content_ids'][:3])}. "
        f"Incident {alert['incident_id']} {alert.get('link', '')}"
    ).rstrip()
    return {"text": text}


def together(alert: dict[str, Any]) -> str:
    """The other keys of the alert's incident (stream/notify/grouping.py), as a sentence."""
    others = [k for k in alert.get("keys") or [] if k != alert["key"]]
    if not others:
        return ""
    names = ", ".join(f"{k['kind']} `{k['value']}`" for k in others)
    if alert["status"] == "updated" and alert.get("grouped_incident_ids"):
        return f"Joins the incident of {names}. "
    return f"Spiking with it on the same videos: {names}. "


WHY = {"spike": ", a spike", "ramp": ", a steady climb", "new_key": ", a new key"}
BARS = "▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    """Counts as a line of block characters, the highest a full block ('' when empty)."""
    top = max(counts, default=0)
    if top <= 0:
        return ""
    return "".join(BARS[c * (len(BARS) - 1) // top] for c in counts)


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
                        "why",
                        "expected_high",
                        "recent",
                        "keys",
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
