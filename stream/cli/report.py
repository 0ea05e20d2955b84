"""`vigil report`: enforcement quality per rule, area, region or pack, from the
`enforcement-quality` records a replay or the workers wrote."""

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
import orjson
import typer
from rich.console import Console
from rich.table import Table

from schemas.common import ENFORCEMENT_QUALITY
from schemas.quality import EnforcementQuality
from signals.policy import PolicyPack
from signals.qualityreport import (
    GROUPINGS,
    WINDOWS,
    Figures,
    newest_day,
    overturns_rose,
    report,
)
from stream import readback
from stream.cli.common import POLICIES_OPT, app, err, load_or_exit
from stream.config import Settings
from stream.readback import read_output_file, read_topics

_RECORD = msgspec.json.Decoder(EnforcementQuality)
FILE = "enforcement-quality.jsonl"


@app.command("report")
def report_cmd(
    source: Path | None = typer.Option(
        None, "--from", help=f"a replay --out directory or its {FILE}"
    ),
    url: list[str] = typer.Option(
        [], "--url", help="a worker's web address (repeatable: every worker's keys)"
    ),
    kafka: bool = typer.Option(False, "--kafka", help="read the enforcement-quality topic"),
    by: str = typer.Option("rule", "--by", help="group by rule, area, region or pack"),
    window: str = typer.Option("7d", "--window", help="1d, 7d or 28d of event time"),
    policies: Path = POLICIES_OPT,
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON"),
    png: Path | None = typer.Option(
        None, "--png", help="draw upheld and overturn rates per rule over time to this file"
    ),
    page: Path | None = typer.Option(
        None, "--html", help="write the table and the chart as one self-contained page"
    ),
    rules: list[str] = typer.Option(
        [], "--rule", help="a rule to draw (repeatable; default: the most judged)"
    ),
) -> None:
    """Enforcement quality: actions, reviews, upheld and overturn rates, agreement, reports,
    time to action and to review; flags rules below min_precision or with rising overturns."""
    if by not in GROUPINGS:
        raise typer.BadParameter(f"must be one of {', '.join(GROUPINGS)}", param_hint="--by")
    if window not in WINDOWS:
        raise typer.BadParameter(f"must be one of {', '.join(WINDOWS)}", param_hint="--window")
    if sum((source is not None, bool(url), kafka)) != 1:
        err.print("error: give one of --from (a replay output), --url (workers) or --kafka")
        raise typer.Exit(2)
    if source is not None:
        records = read_records(source)
    elif url:
        records = from_workers(url, Settings().api_token)
    else:
        records = on_kafka(Settings())
    pack = load_or_exit(policies)
    end = newest_day(records)
    groups = report(records, by, WINDOWS[window], end)
    flags = rule_flags(records, pack, end) if end else {}
    if as_json:
        doc = {
            "as_of_day": end,
            "window": window,
            "by": by,
            "groups": {g: _summary(f) for g, f in groups.items()},
            "flags": flags,
        }
        typer.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
        return
    console = Console(width=180, highlight=False, record=page is not None)
    if end is None:
        console.print("no enforcement-quality records")
        return
    title = f"enforcement quality over {window} of event time up to {end}, by {by}"
    console.print(title)
    console.print(_table(groups, by))
    for rule, why in flags.items():
        console.print(f"[red]FLAG[/red] {rule}: {'; '.join(why)}")
    if png is None and page is None:
        return
    from stream.cli import reportplot

    picture = reportplot.png(records, reportplot.chosen_rules(records, rules))
    if png is not None:
        reportplot.write(png, picture)
        err.print(f"wrote {png}")
    if page is not None:
        table = console.export_html(inline_styles=True, code_format="<pre>{code}</pre>")
        reportplot.write(page, reportplot.page(title, table, picture))
        err.print(f"wrote {page}")


def read_records(source: Path) -> list[EnforcementQuality]:
    """The newest record per key in a replay's output (envelope lines or bare records)."""
    return newest_per_key(read_output_file(source, ENFORCEMENT_QUALITY, EnforcementQuality))


def newest_per_key(records: Iterable[EnforcementQuality]) -> list[EnforcementQuality]:
    """Records in order of production; the last of each key stands, as compaction keeps it."""
    return list({rec.key: rec for rec in records}.values())


def _decoded(docs: Iterable[Any]) -> list[EnforcementQuality]:
    return [_RECORD.decode(orjson.dumps(doc)) for doc in docs]


def from_workers(urls: Iterable[str], token: str | None) -> list[EnforcementQuality]:
    """The records every worker's /enforcement view serves (each holds its own keys)."""
    return newest_per_key(_decoded(readback.from_workers(urls, "/enforcement", "records", token)))


def on_kafka(settings: Settings, idle_seconds: float = 2.0) -> list[EnforcementQuality]:
    """The enforcement-quality topic from its start until no more records arrive."""
    topic = [settings.topic(ENFORCEMENT_QUALITY)]
    docs = asyncio.run(read_topics(settings, topic, idle_seconds))
    return newest_per_key(_decoded(doc for doc, _ in docs))  # a key keeps to one partition


def rule_flags(
    records: list[EnforcementQuality], pack: PolicyPack, end: str
) -> dict[str, list[str]]:
    """Rules whose upheld rate over 28 days is below their min_precision beyond chance (the
    upper bound of its 95% interval is below it), or whose overturn rate rose."""
    out: dict[str, list[str]] = {}
    month = report(records, "rule", 28, end)
    for rule_id, fig in month.items():
        rule = pack.rule(rule_id)
        target = rule.min_precision if rule is not None else None
        rate, (lo, hi), n, source = fig.precision()
        if target is not None and rate is not None and hi < target:
            what = "QA samples' upheld rate" if source == "QA samples" else "upheld rate"
            out.setdefault(rule_id, []).append(
                f"{what} {rate:.3f} ({lo:.2f}-{hi:.2f}, {n} {source}) "
                f"is below its min_precision {target:.2f}"
            )
        if overturns_rose(records, rule_id, end):
            out.setdefault(rule_id, []).append(
                "its appeal overturn rate over the last 7 days rose above the 21 days before"
            )
    return out


def _table(groups: dict[str, Figures], by: str) -> Table:
    t = Table()
    t.add_column(by, no_wrap=True)
    for col in (
        "actions", "routed", "reviews", "upheld (95%, n)", "QA upheld (95%, n of drawn)",
        "appeals", "overturned",
    ):  # fmt: skip
        t.add_column(col, justify="right", no_wrap=True)
    for col in ("kappa (pairs)", "reported actioned", "to action p50/p90", "to review p50/p90"):
        t.add_column(col, justify="right")
    for name, f in groups.items():
        c = f.counts
        lo, hi = f.upheld_ci
        upheld = (
            "-"
            if f.upheld_rate is None
            else f"{f.upheld_rate:.3f} ({lo:.2f}-{hi:.2f}, {c['judged']})"
        )
        slo, shi = f.sample_ci
        n_of = f"{c['sample_judged']} of {c['sampled']}"
        sample = (
            f"- ({n_of})"
            if f.sample_rate is None
            else f"{f.sample_rate:.3f} ({slo:.2f}-{shi:.2f}, {n_of})"
        )
        overturn = (
            "-" if f.overturn_rate is None else f"{c['appeals_overturned']} ({f.overturn_rate:.0%})"
        )
        kappa = "-" if f.kappa is None else f"{f.kappa:.2f} ({f.pairs})"
        share = (
            "-" if f.reported_actioned is None else f"{f.reported_actioned:.1%} of {c['reported']}"
        )
        t.add_row(
            name,
            str(c["actions"]),
            str(c["routed"]),
            f"{c['reviews']} ({c['reviews_violating']} violating)" if c["reviews"] else "0",
            upheld,
            sample,
            str(c["appeals"]),
            overturn,
            kappa,
            share,
            _latency(f, "action"),
            _latency(f, "review"),
        )
    return t


def _latency(f: Figures, which: str) -> str:
    p50, p90 = f.latency(which, 0.5), f.latency(which, 0.9)
    if p50 is None or p90 is None:
        return "-"
    return f"{_duration(p50)} / {_duration(p90)}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f}m"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _summary(f: Figures) -> dict[str, Any]:
    return {
        "counts": dict(sorted(f.counts.items())),
        "upheld_rate": f.upheld_rate,
        "upheld_ci": list(f.upheld_ci),
        "qa_sample_rate": f.sample_rate,
        "qa_sample_ci": list(f.sample_ci),
        "overturn_rate": f.overturn_rate,
        "kappa": f.kappa,
        "review_pairs": f.pairs,
        "reported_actioned": f.reported_actioned,
        "time_to_action_p50_s": f.latency("action", 0.5),
        "time_to_action_p90_s": f.latency("action", 0.9),
        "time_to_review_p50_s": f.latency("review", 0.5),
        "time_to_review_p90_s": f.latency("review", 0.9),
    }
