"""`vigil golden`: make a sample golden set and evaluate a policy pack against a golden set."""

import sys
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table

from signals.eventtime import format_ts
from signals.golden import GoldenResult, Tally, evaluate, summary
from stream.cli.common import POLICIES_OPT, group, load_or_exit
from stream.goldenfile import frozen_at, read_golden, write_golden

golden = group("golden", "Golden sets: ground truth to measure and gate a policy pack on.")
WRONG_SHOWN = 8  # item ids listed per rule and kind of error; --json lists all


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


@golden.command("eval")
def golden_eval(
    path: Path = typer.Argument(..., help="golden-set JSONL file"),
    policies: Path = POLICIES_OPT,
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON"),
) -> None:
    """Run a golden set's items through the engine and score every rule and policy area.

    Prints precision, recall and F1 with 95% Wilson intervals and support, a confusion table
    of outcomes and the items each rule got wrong. Exits 1 when a rule misses its
    min_precision, so a pack change can be gated in CI.
    """
    pack = load_or_exit(policies)
    header, items = read_golden(path)
    result = evaluate(pack, items, frozen_at(header))
    if as_json:
        typer.echo(orjson.dumps(summary(result), option=orjson.OPT_INDENT_2).decode())
    else:
        # piped output keeps the tables whole rather than folding them to 80 columns
        console = Console() if sys.stdout.isatty() else Console(width=160)
        render(result, header.name if header else path.name, pack.hash, console)
    if result.failing:
        raise typer.Exit(1)


def render(result: GoldenResult, name: str, pack_hash: str, console: Console) -> None:
    """The evaluation as tables for a policy manager."""
    console.print(
        f"golden set [bold]{name}[/bold]: {result.items} items, {result.labels} labels "
        f"counted, pack {pack_hash[:19]}"
    )
    if result.late_labels:
        console.print(f"[dim]{result.late_labels} labels given after the freeze date not counted")
    if result.dead_letters:
        refused = sum(result.dead_letters.values())
        console.print(
            f"[yellow]{refused} events in {len(result.dead_letters)} items refused by the "
            "decoder: those items were scored on the rest"
        )
    rules = _table("rule")
    rules.add_column("min P", justify="right")
    for rr in result.rules:
        if not rr.tally.support:
            continue
        mark = "" if rr.rule.min_precision is None else f"{rr.rule.min_precision:.2f}"
        if rr.below_target:
            mark = f"[red]{mark} MISSED[/red]"
        mode = "" if rr.rule.mode == "enforce" else f" [dim]{rr.rule.mode}[/dim]"
        _row(rules, f"{rr.rule.id} v{rr.rule.version}{mode}", rr.tally, mark)
    console.print(rules)
    areas = _table("policy area")
    for area, tally in sorted(result.areas.items()):
        _row(areas, area, tally)
    console.print(areas)
    console.print(_confusion(result))
    _wrong(result, console)
    for rr in result.failing:
        console.print(
            f"[red]FAIL[/red] {rr.rule.id}: precision {_pct(rr.tally.precision)} "
            f"is below its min_precision {rr.rule.min_precision:.2f}"
        )


def _table(first: str) -> Table:
    t = Table(title=f"by {first} (95% intervals)", title_justify="left")
    t.add_column(first, no_wrap=True)
    for col in ("precision", "recall", "F1"):
        t.add_column(col, justify="right", no_wrap=True)
    for col in ("TP", "FP", "FN", "TN"):
        t.add_column(col, justify="right")
    return t


def _row(t: Table, name: str, tally: Tally, *extra: str) -> None:
    cells = [name]
    for est in tally.estimates().values():
        cells.append(f"{_pct(est.value)} [dim]{est.lo:.2f}-{est.hi:.2f}[/dim]")
    cells += [str(tally.tp), str(tally.fp), str(tally.fn), str(tally.tn), *extra]
    t.add_row(*cells)


def _confusion(result: GoldenResult) -> Table:
    """Expected outcome (or violating / not) against the most severe outcome given."""
    actual = sorted({o for _, _, o in result.confusion}, key=lambda o: (o == "none", o))
    t = Table(title="outcomes: labelled (rows) against given (columns)", title_justify="left")
    t.add_column("policy area")
    t.add_column("labelled")
    for o in actual:
        t.add_column(o, justify="right")
    rows = sorted({(a, e) for a, e, _ in result.confusion})
    for area, expected in rows:
        counts = [result.confusion.get((area, expected, o), 0) for o in actual]
        t.add_row(area, expected, *(str(c) if c else "[dim]·[/dim]" for c in counts))
    return t


def _wrong(result: GoldenResult, console: Console) -> None:
    """The items each rule got wrong, so a reviewer can open them."""
    shown = False
    for rr in result.rules:
        for kind, ids in (
            ("false positives", rr.tally.false_positives),
            ("false negatives", rr.tally.false_negatives),
        ):
            if not ids:
                continue
            if not shown:
                console.print("[bold]items each rule got wrong[/bold]")
                shown = True
            more = f" (+{len(ids) - WRONG_SHOWN} more)" if len(ids) > WRONG_SHOWN else ""
            console.print(f"  {rr.rule.id} {kind}: {' '.join(ids[:WRONG_SHOWN])}{more}")


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"
