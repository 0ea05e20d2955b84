"""`vigil signals`: the signal catalogue."""

import typer
from rich.console import Console

from stream.cli.common import group

signals_group = group("signals", "The signal catalogue.")


@signals_group.command("list")
def signals_list(
    as_markdown: bool = typer.Option(False, "--markdown", help="print docs/signals.md"),
) -> None:
    """Print every signal a rule condition may read."""
    from rich.table import Table

    from signals.catalogue import SIGNALS, markdown

    if as_markdown:
        typer.echo(markdown())
        return

    t = Table(title="vigil signals")
    for col in ("name", "target", "type", "window", "meaning"):
        t.add_column(col)
    for s in SIGNALS.values():
        t.add_row(s.name, s.target, s.type, s.window, s.meaning)
    Console(width=160).print(t)
