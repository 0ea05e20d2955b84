"""`vigil golden`: make a sample golden set and evaluate a policy pack against a golden set."""

import sys
from pathlib import Path

import orjson
import typer
from rich.console import Console

from signals.eventtime import format_ts
from signals.golden import evaluate, summary
from signals.rootcause import causes, group_summary, grouped
from signals.sweep import NotSweepable, curve_summary, sweep, thresholds
from stream.cli.common import POLICIES_OPT, err, group, load_or_exit
from stream.cli.goldentables import (
    render,
    render_causes,
    render_curve,
    render_failing,
    render_trace,
)
from stream.goldenfile import frozen_at, read_golden, write_golden

golden = group("golden", "Golden sets: ground truth to measure and gate a policy pack on.")


@golden.command("make")
def golden_make(
    out: Path = typer.Argument(Path("golden.jsonl"), help="file to write"),
    items: int = typer.Option(600, "--items", min=1, max=100_000, help="items to label"),
    seed: int = typer.Option(7, "--seed", help="random seed"),
    noise: float = typer.Option(
        0.03, "--noise", min=0.0, max=0.5, help="share of labels that are wrong"
    ),
) -> None:
    """Write a sample golden set from the demo generator, with some label noise.

    Its ground truth is a model vigil's authors chose, for trying the commands: judge a pack
    on a golden set your labellers made.
    """
    from stream.demo.golden import golden_set

    header, made = golden_set(items, seed, noise)
    write_golden(out, header, made)
    frozen = frozen_at(header)
    when = f" (frozen at {format_ts(frozen)})" if frozen is not None else ""
    Console().print(f"wrote {len(made)} items to {out}{when}")


GOLDEN_ARG = typer.Argument(..., help="golden-set JSONL file")


@golden.command("eval")
def golden_eval(
    path: Path = GOLDEN_ARG,
    policies: Path = POLICIES_OPT,
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON"),
    why: str | None = typer.Option(
        None, "--why", metavar="ITEM", help="print one item's trace: why each rule fired or not"
    ),
) -> None:
    """Run a golden set's items through the engine and score every rule and policy area.

    Prints precision, recall and F1 with 95% Wilson intervals and support, a confusion table
    of outcomes, the items each rule got wrong and the common causes of its errors. Exits 1
    when a rule misses its min_precision, so a pack change can be gated in CI.
    """
    pack = load_or_exit(policies)
    header, items = read_golden(path)
    result = evaluate(pack, items, frozen_at(header))
    console = _console()
    if why is not None:
        if why not in result.runs:
            err.print(f"error: {path} has no item {why!r}")
            raise typer.Exit(2)
        render_trace(result, why, console)
        return
    groups = grouped(causes(result))
    if as_json:
        doc = summary(result) | {"root_causes": group_summary(groups)}
        typer.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    else:
        render(result, header.name if header else path.name, pack.hash, console)
        render_causes(groups, console)
        render_failing(result, console)
    if result.failing:
        raise typer.Exit(1)


@golden.command("sweep")
def golden_sweep(
    path: Path = GOLDEN_ARG,
    rule_id: str = typer.Option(..., "--rule", help="the rule whose thresholds to vary"),
    policies: Path = POLICIES_OPT,
    target: float = typer.Option(
        0.95, "--target-precision", min=0.0, max=1.0, help="precision to defend"
    ),
    only: str | None = typer.Option(
        None,
        "--threshold",
        help="vary only this threshold: its signal, its clause or bands.enforce_at",
    ),
    grid: int = typer.Option(40, "--grid", min=3, max=1000, help="grid points per threshold"),
    png: Path | None = typer.Option(None, "--png", help="draw the curves to this PNG file"),
    as_json: bool = typer.Option(False, "--json", help="print the curves as JSON"),
) -> None:
    """Vary a rule's thresholds over a grid and find the critical threshold.

    The events run once; each grid point re-evaluates the rule's condition on the signal
    values kept after every event. The critical threshold is the loosest value (the most
    decisions) whose precision meets the target at its lower 95% bound.
    """
    pack = load_or_exit(policies)
    rule = pack.rule(rule_id)
    if rule is None:
        err.print(f"error: the pack in {policies} has no rule {rule_id!r}")
        raise typer.Exit(2)
    try:
        chosen = [t for t in thresholds(rule) if only is None or only in (t.signal, t.name)]
    except NotSweepable as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None
    if not chosen:
        names = ", ".join(t.name for t in thresholds(rule))
        err.print(f"error: {rule_id} has no threshold {only!r}; it has: {names}")
        raise typer.Exit(2)
    header, items = read_golden(path)
    result = evaluate(pack, items, frozen_at(header))
    curves = [sweep(result, rule, t, target, grid) for t in chosen]
    if as_json:
        typer.echo(
            orjson.dumps([curve_summary(c) for c in curves], option=orjson.OPT_INDENT_2).decode()
        )
    else:
        console = _console()
        for c in curves:
            render_curve(c, console)
    if png is not None:
        from stream.cli.sweepplot import draw

        draw(curves, png)
        err.print(f"wrote {png}")


def _console() -> Console:
    # piped output keeps the tables whole rather than folding them to 80 columns
    return Console() if sys.stdout.isatty() else Console(width=160)
