"""`vigil report --png/--html`: upheld and overturn rates per rule over time, pack changes
marked, so a change's post-launch impact is visible."""

import base64
import html
import io
from datetime import date
from pathlib import Path

# a Figure without pyplot renders to files with Agg: no display, no global figure state
from matplotlib.figure import Figure

from schemas.quality import EnforcementQuality
from signals.qualityreport import daily, pack_changes
from signals.stats import wilson

SHOWN = 4  # rules drawn when none are named: those with the most judgements


def chosen_rules(records: list[EnforcementQuality], named: list[str]) -> list[str]:
    """The rules to draw: those named, else the most judged (then the most decided)."""
    if named:
        return named
    judged: dict[str, tuple[int, int]] = {}
    for rec in records:
        if rec.rule == "-":
            continue
        j, a = judged.get(rec.rule, (0, 0))
        for d in rec.days:
            j += d.counts.get("judged", 0)
            a += d.counts.get("actions", 0) + d.counts.get("routed", 0)
        judged[rec.rule] = (j, a)
    ranked = sorted(judged, key=lambda r: (-judged[r][0], -judged[r][1], r))
    return ranked[:SHOWN]


def png(records: list[EnforcementQuality], rules: list[str]) -> bytes:
    """One panel per rule: its daily upheld rate (with its 95% interval) and appeal overturn
    rate, and a line where each pack it ran under took over."""
    fig = Figure(figsize=(7.5, 2.6 * max(1, len(rules))))
    axes = fig.subplots(max(1, len(rules)), 1, squeeze=False)
    for ax, rule in zip(axes[:, 0], rules, strict=False):
        days = daily(records, rule)
        xs = [date.fromisoformat(d) for d in days]
        up, lo, hi, over = [], [], [], []
        for f in days.values():
            k, n = f.counts["upheld"], f.counts["judged"]
            rate = f.upheld_rate
            up.append(float("nan") if rate is None else rate)
            low, high = wilson(k, n) if n else (float("nan"), float("nan"))
            lo.append(low)
            hi.append(high)
            o = f.overturn_rate
            over.append(float("nan") if o is None else o)
        ax.fill_between(xs, lo, hi, color="C0", alpha=0.15, label="upheld, 95% interval")
        ax.plot(xs, up, color="C0", marker="o", markersize=3, label="upheld rate")
        ax.plot(xs, over, color="C3", marker="s", markersize=3, label="appeal overturn rate")
        for i, (day, pack) in enumerate(pack_changes(records, rule)):
            if i == 0:
                continue  # the pack the chart starts under is not a change
            when = date.fromisoformat(day)
            ax.axvline(when, color="black", linestyle="--", linewidth=1)
            ax.annotate(
                f"pack {pack.removeprefix('sha256:')[:8]}",
                (when, 1.02),
                fontsize=7,
                ha="left",
                va="bottom",
                xycoords=("data", "axes fraction"),
            )
        ax.set_title(rule, fontsize=9, loc="left")
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def page(title: str, table_html: str, picture: bytes) -> str:
    """One self-contained HTML page: the report's table and the chart, inline."""
    data = base64.b64encode(picture).decode()
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}"
        "img{max-width:100%}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{table_html}"
        f'<img alt="upheld and overturn rates per rule over time" '
        f'src="data:image/png;base64,{data}">'
        "</body></html>\n"
    )


def write(path: Path, data: bytes | str) -> None:
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
