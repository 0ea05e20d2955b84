"""`vigil demo`: a synthetic day through replay, summarised for a person to read."""

from collections import Counter, defaultdict
from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from schemas.common import (
    ENFORCEMENT_ACTIONS,
    ESCALATIONS,
    REVIEW_QUEUES,
    RULE_STATE,
    SHADOW_ACTIONS,
    TREND_ALERTS,
)
from schemas.outputs import QueueStatus
from signals.policy import PolicyPack
from stream import queuetable
from stream.notify.grouping import merge
from stream.replay import MemorySink, ReplayStats


def summarise(
    stats: ReplayStats, sink: MemorySink, pack: PolicyPack, keys: dict[str, int], console: Console
) -> None:
    """Print throughput, actions by rule, escalations, review queues, trend alerts and dead
    letters."""
    console.print(
        f"[bold]vigil demo[/bold]: {stats.events:,} events in {stats.seconds:.2f}s "
        f"= [bold]{stats.eps:,.0f} events/s[/bold] (policy pack {pack.hash})"
    )
    console.print("live state keys: " + ", ".join(f"{k} {v:,}" for k, v in keys.items()))

    actions = sink.records(ENFORCEMENT_ACTIONS)
    t = Table(title=f"Enforcement actions ({len(actions)})")
    for col in ("rule", "outcome", "target", "count"):
        t.add_column(col)
    by_rule: Counter[tuple[str, str, str]] = Counter(
        (a["rule"]["id"], a["outcome"], a["target"]["type"]) for a in actions
    )
    for (rule, outcome, target), n in by_rule.most_common():
        t.add_row(rule, outcome, target, str(n))
    console.print(t)

    _humans_outrank_machines(actions, console)
    esc = sink.records(ESCALATIONS)
    _breakers(sink.records(RULE_STATE), esc, console)

    t = Table(title=f"Escalations to humans ({len(esc)})")
    for col in ("rule", "outcome", "queue", "priority", "count"):
        t.add_column(col)
    by_q: Counter[tuple[str, str, str, str]] = Counter(
        (e["rule"]["id"], e["outcome"], e.get("queue") or "on-call", str(e.get("priority")))
        for e in esc
    )  # priority: each item's own (signals.triage), so a rule may show several
    for (rule, outcome, queue, prio), n in by_q.most_common():
        t.add_row(rule, outcome, queue, prio, str(n))
    console.print(t)
    queues = [msgspec.convert(q, QueueStatus) for q in sink.records(REVIEW_QUEUES)]
    console.print(queuetable.table(queuetable.newest(queues), pack))
    for name in sorted({q.queue for q in queues if q.overflow}):
        top = max((q for q in queues if q.queue == name), key=lambda q: q.depth)
        console.print(
            f"  {name} peaked at {top.depth} waiting ({top.ts[11:16]}): {top.overflow} more "
            f"than its reviewers clear within {queuetable.duration(top.service_level_seconds)} "
            f"at {top.capacity_per_hour}/h; served earliest due first, nothing dropped"
        )

    shadow = sink.records(SHADOW_ACTIONS)
    if shadow:
        c = Counter(s["rule"]["id"] for s in shadow)
        console.print(
            "Shadow rules (would have acted, did not): "
            + ", ".join(f"{r} x{n}" for r, n in c.items())
        )

    alerts = sink.records(TREND_ALERTS)
    incidents: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in alerts:
        incidents[str(a["incident_id"])].append(a)
    console.print(
        f"\n[bold]Trend alerts[/bold]: {len(incidents)} incidents, {len(alerts)} messages"
    )
    for msgs in incidents.values():
        first = msgs[0]
        peak = max(msgs, key=lambda m: m["observed"])
        key = first["key"]
        who = "reporters/creators" if key["kind"] == "area_region" else "creators"
        console.print(
            f"  {key['kind']} [bold]{key['value']}[/bold]: fired {first['ts']} "
            f"({first['severity']}), peak {peak['severity']}: {peak['observed']} events in 5 min "
            f"vs {peak['expected']} expected, {peak['distinct_creators']} {who}; "
            f"samples {', '.join(peak['sample_content_ids'][:3])}"
        )

    # what on-call gets: keys that spiked on the same videos page once (stream.notify)
    firing = []
    for msgs in incidents.values():
        videos = [v for m in msgs for v in m["sample_content_ids"]]
        firing.append({**msgs[0], "sample_content_ids": list(dict.fromkeys(videos))})
    pages = merge(firing)
    console.print(
        f"\n[bold]On-call pages[/bold]: {len(pages)} (keys spiking on the same videos page once, "
        "titled by the most specific)"
    )
    for page in pages:
        key, others = page["key"], [k for k in page["keys"] if k != page["key"]]
        with_ = f" with {', '.join(k['kind'] + ' ' + k['value'] for k in others)}" if others else ""
        first = min(incidents[i][0]["ts"] for i in page["grouped_incident_ids"])
        console.print(f"  {first} {key['kind']} [bold]{key['value']}[/bold]{with_}")

    dl = stats.dead_letters
    console.print(
        f"\nDead letters: {sum(dl.values())}"
        + (" (" + ", ".join(f"{k} {v}" for k, v in dl.items()) + ")" if dl else "")
    )


def _breakers(statuses: list[dict[str, Any]], esc: list[dict[str, Any]], console: Console) -> None:
    """Each breaker that tripped: when and why, the page, what it held and when it reset."""
    samples = Counter(e["rule"]["id"] for e in esc if e.get("sample_of"))
    console.print(
        f"QA samples of enforced actions (per rule and region, for unbiased precision): "
        f"{sum(samples.values())}"
        + (
            " (" + ", ".join(f"{r} x{n}" for r, n in samples.most_common(4)) + ")"
            if samples
            else ""
        )
    )
    pages = [e for e in esc if e["target"]["type"] == "rule"]
    held = Counter(e["rule"]["id"] for e in esc if e.get("held_action"))
    console.print(f"Circuit breakers tripped: {len(pages)}")
    for p in pages:
        rule, ev = p["target"]["id"], p["evidence"]
        models = ", ".join(f"{m} x{n}" for m, n in ev["model_versions"].items())
        console.print(
            f"  {rule} tripped {p['ts']} ({ev['breaker']}): {ev['rate_hour']} would-be "
            f"{ev['would_be']} in the hour vs {ev['normal_hour']} normal; models {models}; "
            f"on-call paged"
        )
        resets = [
            s
            for s in statuses
            if s["rule_id"] == rule and s["mode"] == "automatic" and (s["since"] or "") > p["ts"]
        ]
        passed = max((s["passed"] for s in statuses if s["rule_id"] == rule), default=0)
        until = f", reset {resets[0]['since']} ({resets[0]['reason']})" if resets else ""
        console.print(
            f"  -> {held[rule]} actions routed to review instead (marked held_action), "
            f"{passed} enforced all day{until}"
        )


def _humans_outrank_machines(actions: list[dict[str, Any]], console: Console) -> None:
    """The reversals human outcomes made, and the strike ladder steps, with one example."""
    reversals = [a for a in actions if a["kind"] == "reversal"]
    steps = [a for a in actions if a["kind"] == "action" and a["rule"]["id"].startswith("ladder.")]
    struck = sum(1 for r in reversals if r.get("strike_removed"))
    console.print(
        f"Reversals (a human found an action wrong): {len(reversals)}, "
        f"{struck} with the creator's strike removed"
    )
    by_id = {a["id"]: a for a in actions}
    example = next((r for r in reversals if r.get("strike_removed")), None)
    if example is not None:
        undone = by_id.get(example["reverses"] or "", {})
        human = example["evidence"].get("human", {})
        console.print(
            f"  e.g. {example['target']['id']}: {human.get('kind')} {human.get('outcome')} "
            f"-> reinstate (undoes {undone.get('rule', {}).get('id')} "
            f"{undone.get('outcome')}), strike removed from {example['creator_id']}"
        )
        for r in reversals:
            if r["target"]["id"] == example["creator_id"]:
                console.print(
                    f"  and creator {r['target']['id']}: ladder step "
                    f"{r['evidence'].get('reversed_outcome')} reversed, "
                    f"{len(r['evidence'].get('active_strikes', []))} strikes still active"
                )
    by_step = Counter(a["outcome"] for a in steps)
    console.print(
        "Strike ladder steps: "
        + (", ".join(f"{o} x{n}" for o, n in by_step.most_common()) or "none")
    )
