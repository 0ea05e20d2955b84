"""`vigil golden sweep --png`: a threshold sweep's precision/recall curves as a picture."""

from pathlib import Path

# a Figure without pyplot renders to files with Agg: no display, no global figure state
from matplotlib.figure import Figure

from signals.sweep import Curve


def draw(curves: list[Curve], path: Path) -> None:
    """One panel per threshold: precision (with its lower bound) and recall against the
    threshold's value, the current and critical values marked, the target as a line."""
    fig = Figure(figsize=(6 * len(curves), 4.2))
    axes = fig.subplots(1, len(curves), squeeze=False)
    for ax, c in zip(axes[0], curves, strict=True):
        xs = [p.value for p in c.points]
        ax.plot(xs, [_or_nan(p.tally.precision) for p in c.points], label="precision", color="C0")
        ax.plot(
            xs,
            [p.precision_lo if p.decisions else float("nan") for p in c.points],
            label="precision, 95% lower bound",
            color="C0",
            linestyle="--",
        )
        recall = [_or_nan(p.tally.estimates()["recall"].value) for p in c.points]
        ax.plot(xs, recall, label="recall", color="C1")
        ax.axhline(c.target, color="grey", linewidth=0.8, linestyle=":", label="target")
        ax.axvline(c.threshold.current, color="black", linewidth=1, label="now")
        crit = c.critical
        if crit is not None:
            ax.axvline(crit.value, color="C2", linewidth=1.5, label="critical")
        ax.set_title(f"{c.rule.id}\n{c.threshold.name}", fontsize=10)
        ax.set_xlabel(c.threshold.signal)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _or_nan(v: float | None) -> float:
    return float("nan") if v is None else v
