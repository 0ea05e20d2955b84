"""`vigil backtest`: a pack's volumes on past events and the upheld rate it would have had.

`vigil policy diff` shows which decisions change; a backtest adds the quality side: per rule,
outcome, area and region, how many decisions each pack makes, and, on the reviews and
appeals the events carry, how often humans confirmed them.
"""

from pathlib import Path
from typing import Any

import msgspec
import orjson
import typer
from rich.console import Console
from rich.table import Table

from schemas.common import REVIEWS
from schemas.inputs import Review
from schemas.outputs import Decision
from signals.backtest import GROUPINGS, Judged, PackRun, backtest
from signals.decode import Rejected, decode
from signals.policy import PolicyPack
from stream.cli.common import POLICIES_OPT, app, load_or_exit, require_file
from stream.cli.policydiff import DECISION_TOPICS
from stream.envelope import BadLine, parse_lines
from stream.replay import MemorySink, read_lines, run

_DECISION = msgspec.json.Decoder(Decision)


@app.command("backtest")
def backtest_cmd(
    events: Path = typer.Argument(..., help="events file (with reviews and appeals, if any)"),
    policies: Path = POLICIES_OPT,
    baseline: Path | None = typer.Option(None, "--baseline", help="the current pack, to compare"),
    by: str = typer.Option("rule", "--by", help="group the human side by rule, area or region"),
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON"),
) -> None:
    """Replay events under a pack (and a baseline) and print volumes and upheld rates."""
    if by not in GROUPINGS:
        raise typer.BadParameter(f"--by must be one of {', '.join(GROUPINGS)}", param_hint="--by")
    require_file(events)
    reviews = _reviews(events)
    packs = {"new": load_or_exit(policies)}
    if baseline is not None:
        packs = {"baseline": load_or_exit(baseline), **packs}
    runs = {name: backtest(_decisions(pack, events), reviews) for name, pack in packs.items()}
    if as_json:
        typer.echo(orjson.dumps(_summary(runs, packs), option=orjson.OPT_INDENT_2).decode())
        return
    console = Console(width=160, highlight=False)
    console.print(f"{len(reviews)} reviews and appeals in {events}")
    console.print(_volumes(runs))
    console.print(_quality(runs, by))


def _decisions(pack: PolicyPack, events: Path) -> list[Decision]:
    sink = MemorySink()
    run(pack, read_lines(events), sink)
    return [_DECISION.decode(v) for t, _, v in sink.items if t in DECISION_TOPICS]


def _reviews(events: Path) -> list[Review]:
    """The events' valid reviews and appeals (replay dead-letters the rest)."""
    out = []
    for line in parse_lines(read_lines(events)):
        if isinstance(line, BadLine) or line.topic != REVIEWS:
            continue
        try:
            ev = decode(line.topic, line.key, line.value)
        except Rejected:
            continue
        assert isinstance(ev.record, Review)
        out.append(ev.record)
    return out


def _volumes(runs: dict[str, PackRun]) -> Table:
    t = Table(title="decisions per rule, outcome, area and region", title_justify="left")
    for col in ("rule", "outcome", "kind", "area", "region"):
        t.add_column(col)
    for name in runs:
        t.add_column(name, justify="right")
    if len(runs) == 2:
        t.add_column("change", justify="right")
    keys = sorted({k for r in runs.values() for k in r.volumes})
    for rule, outcome, area, region, kind in keys:
        counts = [r.volumes.get((rule, outcome, area, region, kind), 0) for r in runs.values()]
        cells = [rule, outcome, kind, area, region, *map(str, counts)]
        if len(counts) == 2:
            delta = counts[1] - counts[0]
            cells.append(
                f"[green]+{delta}[/green]" if delta > 0 else f"[red]{delta}[/red]" if delta else ""
            )
        t.add_row(*cells)
    return t


def _quality(runs: dict[str, PackRun], by: str) -> Table:
    t = Table(
        title=f"how humans judged them, by {by}: upheld is the share of judgements confirming "
        "the decision (95% interval, judgements)",
        title_justify="left",
    )
    t.add_column(by, no_wrap=True)
    for name in runs:
        t.add_column(f"{name} decisions", justify="right")
        t.add_column(f"{name} upheld", justify="right", no_wrap=True)
        t.add_column(f"{name} appeals won", justify="right")
    keys = sorted({k for r in runs.values() for k in r.quality[by]})
    for key in keys:
        cells = [key]
        for r in runs.values():
            j = r.quality[by].get(key, Judged())
            lo, hi = j.upheld_ci
            upheld = (
                "-"
                if j.upheld_rate is None
                else f"{j.upheld_rate:.3f} ({lo:.2f}-{hi:.2f}, {j.judged})"
            )
            won = f"{j.overturned_appeals} of {j.appeals}" if j.appeals else "-"
            cells += [str(j.decisions), upheld, won]
        t.add_row(*cells)
    return t


def _summary(runs: dict[str, PackRun], packs: dict[str, PolicyPack]) -> dict[str, Any]:
    return {
        name: {
            "pack_hash": packs[name].hash,
            "volumes": [
                {
                    "rule": k[0],
                    "outcome": k[1],
                    "policy_area": k[2],
                    "region": k[3],
                    "kind": k[4],
                    "decisions": n,
                }
                for k, n in sorted(r.volumes.items())
            ],
            "quality": {
                g: {
                    key: {
                        "decisions": j.decisions,
                        "judged_decisions": j.judged_decisions,
                        "judged": j.judged,
                        "upheld": j.upheld,
                        "upheld_rate": j.upheld_rate,
                        "upheld_ci": list(j.upheld_ci),
                        "appeals": j.appeals,
                        "overturned_appeals": j.overturned_appeals,
                        "appeal_success": j.appeal_success,
                    }
                    for key, j in sorted(r.quality[g].items())
                }
                for g in GROUPINGS
            },
        }
        for name, r in runs.items()
    }
