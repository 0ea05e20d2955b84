"""How `vigil golden` prints: evaluation tables, root causes, one item's trace, a sweep."""

from collections import Counter

from rich.console import Console
from rich.table import Table

from signals.eventtime import epoch_ms, format_ts
from signals.golden import GoldenResult, Tally
from signals.rootcause import CauseGroup, Clause, explain
from signals.sweep import Curve

WRONG_SHOWN = 8  # item ids listed per rule and kind of error; --json lists all


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


def render_failing(result: GoldenResult, console: Console) -> None:
    """The rules that fail the set, last, where a CI log ends."""
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


CAUSES_SHOWN = 3  # groups per rule and kind of error; --json lists all


def render_causes(groups: list[CauseGroup], console: Console) -> None:
    """The common causes of each rule's errors, largest group first."""
    if not groups:
        return
    console.print("[bold]root causes[/bold] (the clauses that decided, with the values read)")
    totals = Counter((g.rule_id, g.kind) for g in groups for _ in g.causes)
    shown: Counter[tuple[str, str]] = Counter()
    for g in groups:
        key = (g.rule_id, g.kind)
        if shown[key] >= CAUSES_SHOWN:
            continue
        shown[key] += 1
        regions = ", ".join(f"{r} {n}" for r, n in g.regions.most_common(3))
        console.print(
            f"  {g.rule_id}: {len(g.causes)} of {totals[key]} {g.kind}s: "
            f"{_signature(g)}  [dim]regions {regions}[/dim]"
        )


def _signature(g: CauseGroup) -> str:
    ranges = g.ranges()
    first = g.causes[0]
    parts = []
    for c in first.deciding:
        lo_hi = ranges.get(c.signal or "")
        read = "" if lo_hi is None else f" [dim](read {_span(*lo_hi)})[/dim]"
        parts.append(f"`{c.text}`{read}")
    text = " and ".join(parts) if parts else first.note
    context = [c for c in first.context if c.signal in ranges]
    if context:
        text += " with " + ", ".join(
            f"`{c.text}` [dim](read {_span(*ranges[c.signal or ''])})[/dim]" for c in context
        )
    return text


def _span(lo: object, hi: object) -> str:
    return _num(lo) if lo == hi else f"{_num(lo)}-{_num(hi)}"


def _num(v: object) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def render_trace(result: GoldenResult, item_id: str, console: Console) -> None:
    """One item: its labels, events and decisions, and why each rule judged on it fired or
    did not, against the values it read."""
    run = result.runs[item_id]
    item = run.item
    console.print(
        f"item [bold]{item.item_id}[/bold]: {item.target} {item.id}, region "
        f"{item.region or '-'}, stratum {item.stratum or '-'}"
    )
    counted = result.counted[item_id]
    for lab in item.labels:
        used = counted.get(lab.policy_area) is lab
        state = "counted" if used else "[dim]not counted (after the freeze or superseded)[/dim]"
        expected = f", expected {lab.expected_outcome}" if lab.expected_outcome else ""
        console.print(
            f"  label {lab.policy_area}: {'violating' if lab.violating else 'not violating'}"
            f"{expected}, by {lab.labelled_by} at {format_ts(epoch_ms(lab.labelled_at))}: {state}"
        )
    topics = Counter(e.topic for e in item.events)
    console.print("  events: " + ", ".join(f"{n} {t}" for t, n in sorted(topics.items())))
    for d in run.decisions:
        console.print(f"  decision {d.rule.id} -> {d.outcome} ({d.kind}) at {d.ts}")
    if not run.decisions:
        console.print("  no decision")
    fired = {d.rule.id for d in run.decisions}
    for rr in result.rules:
        label = counted.get(rr.rule.policy_area)
        if label is None or rr.rule.target != item.target:
            continue
        did = rr.rule.id in fired
        verdict = {
            (True, True): "true positive",
            (True, False): "[red]false positive[/red]",
            (False, True): "[red]false negative[/red]",
            (False, False): "true negative",
        }[did, label.violating]
        cause = explain(rr.rule, run, did)
        console.print(f"  [bold]{rr.rule.id}[/bold]: {verdict}")
        console.print(
            f"    {'why' if did else 'why not'}: {_clauses(cause.deciding) or cause.note}"
        )
        if cause.context:
            console.print(f"    held: {_clauses(cause.context)}")
        if cause.note and cause.deciding:
            console.print(f"    [dim]{cause.note}[/dim]")
        if cause.ts is not None:
            console.print(f"    [dim]as of {format_ts(cause.ts)}, region {cause.region}[/dim]")


def _clauses(clauses: tuple[Clause, ...]) -> str:
    return ", ".join(
        f"`{c.text}` (read {_num(c.value)})" if c.signal else f"`{c.text}`" for c in clauses
    )


def render_curve(curve: Curve, console: Console) -> None:
    """A threshold's precision/recall curve, its current and critical points."""
    th = curve.threshold
    console.print(
        f"[bold]{curve.rule.id}[/bold]: `{th.name}` (now {_num(th.current)}), "
        f"target precision {curve.target:.2f} at the lower 95% bound"
    )
    if curve.fixed_regions:
        console.print(
            f"[dim]items in {', '.join(curve.fixed_regions)} use their regional override as written"
        )
    crit = curve.critical
    t = Table(title_justify="left")
    for col in ("value", "decisions", "TP", "FP", "precision", "95% low", "recall", ""):
        t.add_column(col, justify="right")
    for p in curve.points:
        est = p.tally.estimates()
        mark = []
        if p.value == th.current:
            mark.append("now")
        if crit is not None and p is crit:
            mark.append("[green]critical[/green]")
        ok = p.decisions and p.precision_lo >= curve.target
        low = f"{p.precision_lo:.3f}" if p.decisions else "-"
        t.add_row(
            _num(p.value),
            str(p.decisions),
            str(p.tally.tp),
            str(p.tally.fp),
            _pct(est["precision"].value),
            f"[green]{low}[/green]" if ok else low,
            _pct(est["recall"].value),
            " ".join(mark),
        )
    console.print(t)
    if crit is None:
        now = curve.current
        console.print(
            f"no value reaches precision {curve.target:.2f} at the lower bound on this set "
            f"(now {now.tally.tp} of {now.decisions} right, lower bound "
            f"{now.precision_lo:.3f}): more labelled items would narrow the interval"
        )
        return
    change = curve.volume_change
    volume = "" if change is None else f", {change:+.0%} decisions on this set"
    console.print(
        f"critical threshold: `{th.name}` at [bold]{_num(crit.value)}[/bold] "
        f"(precision {_pct(crit.tally.precision)}, lower bound {crit.precision_lo:.3f}, "
        f"recall {_pct(crit.tally.estimates()['recall'].value)}{volume})"
    )
