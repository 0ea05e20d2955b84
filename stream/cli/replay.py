"""`vigil replay` and `vigil demo`: the engine in-process on an events file, no broker."""

from contextlib import ExitStack
from pathlib import Path

import typer
from rich.console import Console

from stream.cli.common import POLICIES_OPT, app, err, load_or_exit, require_file, tune_gc


@app.command()
def replay(
    events: Path = typer.Argument(..., help="events file (JSONL), or - for stdin", allow_dash=True),
    policies: Path = POLICIES_OPT,
    out: Path | None = typer.Option(None, "--out", help="write <topic>.jsonl files here"),
) -> None:
    """Run an events file through the engine in-process, no broker."""
    from stream import replay as r

    require_file(events)
    pack = load_or_exit(policies)
    tune_gc()
    with ExitStack() as stack, r.Progress() as progress:
        sink: r.Sink = r.DirSink(out, stack) if out else r.StreamSink()
        stats, _ = r.run(pack, r.read_lines(events), sink, progress)
    summary = ", ".join(f"{t} {n}" for t, n in sorted(stats.by_topic.items())) or "no outputs"
    err.print(
        f"replayed {stats.events:,} events in {stats.seconds:.2f}s ({stats.eps:,.0f}/s): {summary}",
        highlight=False,
    )
    if stats.dead_letters:
        err.print(
            "dead letters: " + ", ".join(f"{k} {v}" for k, v in stats.dead_letters.items()),
            highlight=False,
        )


@app.command()
def demo(
    write: Path | None = typer.Option(None, "--write", help="also save the events to FILE"),
    seed: int = typer.Option(7, help="random seed of the synthetic day"),
    scale: float = typer.Option(1.0, min=0.01, max=20.0, help="traffic volume multiplier"),
    quiet: bool = typer.Option(
        False, "--quiet-day", help="an ordinary day without the injected incidents"
    ),
    policies: Path = POLICIES_OPT,
) -> None:
    """Generate a synthetic day with incidents, replay it and summarise the decisions."""
    from stream import replay as r
    from stream.demo.summary import summarise
    from stream.demo.traffic import bad_lines, synthetic_day

    pack = load_or_exit(policies)
    day = "an ordinary synthetic day" if quiet else "a synthetic day"
    err.print(f"generating {day} (seed {seed}, scale {scale}) ...")
    lines = [m.line() for m in synthetic_day(seed, scale, incidents=not quiet)] + bad_lines()
    if write:
        write.write_bytes(b"\n".join(lines) + b"\n")
        err.print(f"wrote {len(lines):,} events to {write}")
    sink = r.MemorySink()
    tune_gc()
    stats, pipe = r.run(pack, lines, sink)
    summarise(stats, sink, pack, dict(pipe.keys()), Console(width=120))
