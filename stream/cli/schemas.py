"""`vigil schemas`: the event contracts."""

from pathlib import Path

import typer

from stream.cli.common import group

schemas = group("schemas", "The event contracts.")


@schemas.command("export")
def schemas_export(directory: Path = typer.Argument(..., help="output directory")) -> None:
    """Write the JSON Schema files of every topic's records."""
    from schemas.export import export

    for p in export(directory):
        typer.echo(str(p))
