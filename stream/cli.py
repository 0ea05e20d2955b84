"""The `vigil` command."""

import asyncio
import gc
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import structlog
import typer
from rich.console import Console

import signals
from signals.policy import PolicyPack, PolicyPackInvalid
from stream.config import SHIPPED_POLICIES, Settings
from stream.policyfiles import load_pack

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="vigil: streaming enforcement signal processor for Trust & Safety.")
schemas_cmd = typer.Typer(no_args_is_help=True, help="The event contracts.")
policy_cmd = typer.Typer(no_args_is_help=True, help="Policy packs.")
signals_cmd = typer.Typer(no_args_is_help=True, help="The signal catalogue.")
app.add_typer(schemas_cmd, name="schemas")
app.add_typer(policy_cmd, name="policy")
app.add_typer(signals_cmd, name="signals")
err = Console(stderr=True, soft_wrap=True, highlight=False)

POLICIES_OPT = typer.Option(SHIPPED_POLICIES, "--policies", help="policy pack directory")
PACK_DIR = typer.Argument(SHIPPED_POLICIES, help="pack directory")


def _require_file(path: Path, what: str = "events file") -> None:
    """Exit 2 with a clear message unless path is a file (or - for stdin)."""
    if str(path) != "-" and not path.is_file():
        err.print(f"error: {what} {path} does not exist")
        raise typer.Exit(2)


def _pack(directory: Path) -> PolicyPack:
    try:
        return load_pack(directory)
    except PolicyPackInvalid as exc:
        err.print(exc.render(), markup=False, highlight=False)
        raise typer.Exit(1) from None


@app.command()
def worker(loglevel: str = typer.Option("info", help="debug, info, warning, error")) -> None:
    """Run a Faust worker (settings from VIGIL_* environment variables)."""
    from stream.app import create_runtime
    from stream.logs import configure, stdlib_config
    from stream.tables import discard_if_dirty
    from stream.topics import ensure_topics
    from stream.vitals import Worker

    configure(loglevel)
    settings = Settings()
    pack = _pack(settings.policies)
    discard_if_dirty(settings)
    limits = asyncio.run(ensure_topics(settings))
    runtime = create_runtime(settings, pack, limits)
    structlog.get_logger("vigil.worker").info(
        "engine_build", build=signals.BUILD, rules=len(pack.rules), pack_hash=pack.hash)
    tune_gc()
    runtime.vitals.watch()
    Worker(runtime.app, runtime.vitals, loglevel=loglevel, quiet=True,
           logging_config=stdlib_config(loglevel)).execute_from_commandline()


def tune_gc() -> None:
    """Collect young objects less often, and never scan what startup built.

    Every event allocates short-lived dicts and lists (decoded states, facts, evidence), so
    the default threshold ran a collection every 700 allocations. Measured on the scale-2 day,
    a worker drained it in 25 s instead of 30; replay of the demo day gains about 4%.
    """
    gc.freeze()  # the pack, compiled CEL programs, modules: alive for the whole run
    gc.set_threshold(50_000, 20, 100)


@app.command()
def replay(
    events: Path = typer.Argument(..., help="events file (JSONL), or - for stdin",
                                  allow_dash=True),
    policies: Path = POLICIES_OPT,
    out: Path | None = typer.Option(None, "--out", help="write <topic>.jsonl files here"),
) -> None:
    """Run an events file through the engine in-process, no broker."""
    from stream import replay as r

    _require_file(events)
    pack = _pack(policies)
    tune_gc()
    with ExitStack() as stack, r.Progress() as progress:
        sink: r.Sink = r.DirSink(out, stack) if out else r.StreamSink()
        stats, _ = r.run(pack, r.read_lines(events), sink, progress)
    summary = ", ".join(f"{t} {n}" for t, n in sorted(stats.by_topic.items())) or "no outputs"
    err.print(f"replayed {stats.events:,} events in {stats.seconds:.2f}s "
              f"({stats.eps:,.0f}/s): {summary}", highlight=False)
    if stats.dead_letters:
        err.print("dead letters: " + ", ".join(
            f"{k} {v}" for k, v in stats.dead_letters.items()), highlight=False)


@app.command()
def demo(
    write: Path | None = typer.Option(None, "--write", help="also save the events to FILE"),
    seed: int = typer.Option(7, help="random seed of the synthetic day"),
    scale: float = typer.Option(1.0, min=0.01, max=20.0, help="traffic volume multiplier"),
    policies: Path = POLICIES_OPT,
) -> None:
    """Generate a synthetic day with incidents, replay it and summarise the decisions."""
    from stream import replay as r
    from stream.demo import summarise
    from stream.traffic import bad_lines, synthetic_day

    pack = _pack(policies)
    err.print(f"generating a synthetic day (seed {seed}, scale {scale}) ...")
    lines = [m.line() for m in synthetic_day(seed, scale)] + bad_lines()
    if write:
        write.write_bytes(b"\n".join(lines) + b"\n")
        err.print(f"wrote {len(lines):,} events to {write}")
    sink = r.MemorySink()
    tune_gc()
    stats, pipe = r.run(pack, lines, sink)
    summarise(stats, sink, pack.hash, dict(pipe.keys()), Console(width=120))


@app.command()
def produce(
    events: Path = typer.Argument(..., help="events file (JSONL), or - for stdin",
                                  allow_dash=True),
    rate: float = typer.Option(0.0, "--rate", min=0.0,
                               help="messages per second (0: as fast as Kafka takes them)"),
) -> None:
    """Send an events file to Kafka (VIGIL_BROKER, VIGIL_TOPIC_PREFIX)."""
    from stream.produce import produce as run_produce
    from stream.replay import read_lines

    _require_file(events)
    sent, bad = asyncio.run(run_produce(Settings(), read_lines(events), rate))
    err.print("produced " + ", ".join(f"{t} {n}" for t, n in sorted(sent.items())))
    if bad:
        err.print(f"{len(bad)} lines went to dead-letter instead (not an envelope, or not an "
                  f"input topic), lines {bad[:10]}{' ...' if len(bad) > 10 else ''}")


@app.command()
def detect(
    csv_file: Path = typer.Argument(..., help="CSV with a header row: timestamp,count (or -)",
                                    allow_dash=True),
) -> None:
    """Run the trend detector over a series of buckets; print timestamp,count,score,alert."""
    from stream.detectcsv import BadRow
    from stream.detectcsv import detect as run_detect

    _require_file(csv_file, "series file")
    lines = sys.stdin if str(csv_file) == "-" else csv_file.open(encoding="utf-8")
    try:
        out = list(run_detect(lines, str(csv_file)))  # validate everything before printing
    except BadRow as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None
    typer.echo("\n".join(["timestamp,count,score,alert", *out]))


@app.command()
def trends(
    url: list[str] = typer.Option([], "--url", help="a worker's web address (repeatable)"),
    replay_out: Path | None = typer.Option(None, "--from",
                                           help="a replay --out directory or trend-alerts.jsonl"),
) -> None:
    """Print the active trends, from running workers or from a replay's output."""
    import os

    from stream import trends as t

    if bool(url) == bool(replay_out):
        err.print("error: give --url (one or more workers) or --from (a replay output)")
        raise typer.Exit(2)
    if replay_out is not None:
        if not replay_out.exists():
            err.print(f"error: {replay_out} does not exist")
            raise typer.Exit(2)
        active = t.from_replay(replay_out)
    else:
        try:
            active = t.from_workers(url, os.environ.get("VIGIL_API_TOKEN"))
        except OSError as exc:
            err.print(f"error: could not read /trends: {exc}")
            raise typer.Exit(1) from None
    t.show(active, Console(width=160))


@schemas_cmd.command("export")
def schemas_export(directory: Path = typer.Argument(..., help="output directory")) -> None:
    """Write the JSON Schema files of every topic's records."""
    from schemas.export import export

    for p in export(directory):
        typer.echo(str(p))


@policy_cmd.command("check")
def policy_check(
    directory: Path = PACK_DIR,
    since: Path | None = typer.Option(None, "--since", help="the previous pack directory: warn "
                                      "about rules changed without a new version"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 on warnings too"),
) -> None:
    """Validate a policy pack without running it; exit 1 on any error.

    Rules that changed their condition, thresholds, outcome, mode or routing without a new
    version are warned about, against --since or the pack's rules.lock.
    """
    from signals.policy.versions import lock, unversioned_changes
    from stream.policyfiles import LOCK_FILE, load_lock, read_sources

    pack = _pack(directory)
    try:
        recorded = load_lock(directory)
    except PolicyPackInvalid as exc:
        err.print(exc.render(), markup=False, highlight=False)
        raise typer.Exit(1) from None
    if since is not None:
        previous, against = lock(_pack(since))["rules"], str(since)
    else:
        previous, against = recorded or {}, LOCK_FILE
    warnings = unversioned_changes(previous, pack, against)
    sources = read_sources(directory)
    for w in warnings:
        err.print(w.render(sources.get(w.file)) + "\n", markup=False, highlight=False)
    if recorded is not None and recorded != lock(pack)["rules"] and not warnings:
        err.print(f"note: {directory / LOCK_FILE} is behind the pack: `vigil policy lock "
                  f"{directory}` records it", highlight=False)
    n = len(warnings)
    typer.echo(f"ok: {len(pack.rules)} rules, pack {pack.hash}"
               + (f", {n} warning{'s' if n != 1 else ''}" if n else ""))
    if strict and warnings:
        raise typer.Exit(1)


@policy_cmd.command("lock")
def policy_lock(directory: Path = PACK_DIR) -> None:
    """Record each rule's version and decision fields in DIR/rules.lock (commit it)."""
    from stream.policyfiles import write_lock

    pack = _pack(directory)
    typer.echo(f"wrote {write_lock(directory, pack)} ({len(pack.rules)} rules)")


@policy_cmd.command("test")
def policy_test(directory: Path = PACK_DIR) -> None:
    """Run the pack's fixtures (DIR/tests/*.yaml); exit 1 on any mismatch."""
    from signals.policy import PolicyPackInvalid
    from signals.policy.fixtures import run_fixtures

    pack = _pack(directory)
    files = sorted((directory / "tests").glob("*.y*ml"))
    if not files:
        err.print(f"error: no fixtures in {directory / 'tests'} (*.yaml)")
        raise typer.Exit(1)
    sources = {str(p): p.read_text(encoding="utf-8") for p in files}
    results, errors = run_fixtures(pack, sources)
    if errors:
        err.print(PolicyPackInvalid(errors, sources).render(), markup=False)
        raise typer.Exit(1)
    failed = [r for r in results if not r.ok]
    out = Console(soft_wrap=True, highlight=False)
    for r in results:
        mark = "[green]ok  [/green]" if r.ok else "[red]FAIL[/red]"
        out.print(f"{mark} {r.name}  [dim]{_relative(r.file)}:{r.line}[/dim]")
        for m in r.mismatches:
            out.print(f"       rule {m.rule}: expected [green]{m.expected}[/green], "
                      f"got [red]{m.got}[/red]")
            if m.read:
                out.print("       it read: " + ", ".join(f"{k}={v}" for k, v in m.read.items()))
    typer.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


@policy_cmd.command("publish")
def policy_publish(directory: Path = PACK_DIR) -> None:
    """Validate a pack and publish it to policy-updates: every worker switches to it."""
    from stream.policyreload import publish

    _pack(directory)  # refuse an invalid pack here, with its errors
    settings = Settings()
    pack = asyncio.run(publish(settings, directory))
    typer.echo(f"published {pack.hash} ({len(pack.rules)} rules) to "
               f"{settings.topic('policy-updates')}")


@policy_cmd.command("diff")
def policy_diff(
    old: Path = typer.Argument(..., help="current pack directory"),
    new: Path = typer.Argument(..., help="proposed pack directory"),
    events: Path = typer.Argument(..., help="events file to replay under both"),
) -> None:
    """Replay events under two packs and show the decisions that would change."""
    from stream.policydiff import decisions, diff, print_diff
    from stream.replay import read_lines

    _require_file(events)
    old_pack, new_pack = _pack(old), _pack(new)
    before = decisions(old_pack, read_lines(events))
    after = decisions(new_pack, read_lines(events))
    print_diff(diff(before, after), len(before), len(after),
               Console(soft_wrap=True, highlight=False))


@app.command()
def explain(
    record_id: str = typer.Argument(..., help="a decision, trend alert or dead letter id"),
    sources: list[Path] = typer.Option([], "--from", help="an output file or a replay --out "
                                       "directory to read the record from (repeatable)"),
    kafka: bool = typer.Option(False, "--kafka", help="read it from the output topics "
                               "(VIGIL_BROKER, VIGIL_TOPIC_PREFIX)"),
    events: Path | None = typer.Option(None, "--events", help="the events to replay, for "
                                       "context (or, alone, to reconstruct a decision)"),
    policies: Path = POLICIES_OPT,
) -> None:
    """Explain an emitted decision, trend alert or dead letter in words."""
    from itertools import chain

    from stream import explain as x
    from stream.policydiff import decisions
    from stream.replay import read_lines

    for path in sources:
        if not path.exists():
            err.print(f"error: {path} does not exist")
            raise typer.Exit(2)
    if events is not None:
        _require_file(events)
    if not sources and not kafka and events is None:
        err.print("error: give --from (an output file or directory), --kafka, or --events")
        raise typer.Exit(2)
    pack = _pack(policies)
    replayed: list[dict[str, Any]] | None = None
    if sources or kafka:
        where = [x.records_in(p) for p in sources]
        if kafka:
            where.append(x.records_on_kafka(Settings()))
        found = x.find(record_id, chain(*where))
        looked = ", ".join([str(p) for p in sources] + (["the output topics"] if kafka else []))
    else:  # only events: the decision as this pack makes it from them
        replayed = decisions(pack, read_lines(events))  # type: ignore[arg-type]
        found = x.find(record_id, ((d, "replay") for d in replayed))
        looked = f"a replay of {events} under pack {pack.hash}"
    if found is None:
        err.print(f"error: no decision, trend alert or dead letter has id {record_id} in "
                  f"{looked}" + ("; a trend alert or dead letter is read from outputs (--from, "
                                 "--kafka)" if replayed is not None else ""))
        raise typer.Exit(1)
    if found.kind == "trend_alert":
        lines = x.explain_alert(found.record)
    elif found.kind == "dead_letter":
        lines = x.explain_dead_letter(found.record)
    else:
        lines = x.explain_decision(found.record, pack)
        if replayed is None and events is not None:
            lines += _replay_context(found.record, decisions(pack, read_lines(events)), pack)
    for line in [*lines, f"(read from {found.where})"]:
        typer.echo(line)


def _replay_context(emitted: dict[str, Any], replayed: list[dict[str, Any]],
                    pack: PolicyPack) -> list[str]:
    """What a replay of the events under the pack given says about an emitted decision."""
    from stream.explain import differences

    same = next((d for d in replayed if d["id"] == emitted["id"]), None)
    if same is None:
        return [f"Replaying the events under pack {pack.hash} makes no such decision: it was "
                "made under another pack or from events the file does not hold."]
    diff = differences(emitted, same)
    if not diff:
        return [f"Replaying the events under pack {pack.hash} makes the same decision."]
    return [f"Replaying the events under pack {pack.hash} makes this decision with other "
            f"{', '.join(diff)}."]


@app.command()
def acls(
    worker: str = typer.Option(..., "--worker", help="the workers' principal, e.g. User:vigil"),
    producer: list[str] = typer.Option([], "--producer", help="a producer's principal "
                                       "(repeatable)"),
    publisher: list[str] = typer.Option([], "--publisher", help="a policy publisher's "
                                        "principal (repeatable)"),
    reader: list[str] = typer.Option([], "--reader", help="an output reader's principal "
                                     "(repeatable)"),
    reader_group: str = typer.Option("*", "--reader-group", help="consumer groups readers "
                                     "may use"),
    command_config: str = typer.Option("admin.properties", "--command-config",
                                       help="kafka-acls' admin client properties file"),
) -> None:
    """Print the kafka-acls commands that give each principal only its part (VIGIL_* names)."""
    import shlex

    from stream.acls import acl_commands

    for principal in (worker, *producer, *publisher, *reader):
        if ":" not in principal or not principal.split(":", 1)[1]:
            err.print(f"error: principal {principal!r} is not TYPE:NAME, e.g. User:vigil")
            raise typer.Exit(2)
    settings = Settings()
    for args in acl_commands(settings, worker, producer, publisher, reader, reader_group):
        typer.echo(shlex.join(["kafka-acls.sh", "--bootstrap-server", settings.bootstrap,
                               "--command-config", command_config, *args]))


@signals_cmd.command("list")
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


def _relative(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def main() -> None:
    """Entry point of the `vigil` command."""
    try:
        app()
    except BrokenPipeError:  # `vigil replay ... | head` is normal use
        sys.stderr.close()


if __name__ == "__main__":
    main()
