"""`vigil policy`: check, lock, test, publish and diff policy packs."""

import asyncio
from pathlib import Path

import orjson
import typer
from aiokafka import AIOKafkaProducer
from rich.console import Console

from signals.policy import PolicyPack, PolicyPackInvalid
from stream.cli.common import PACK_DIR, err, group, load_or_exit, relative, require_file
from stream.config import Settings
from stream.policyfiles import load_pack, pack_files
from stream.topics import PACK_KEY, POLICY_UPDATES, ensure_own

policy = group("policy", "Policy packs.")


async def publish(settings: Settings, directory: Path) -> PolicyPack:
    """Validate a pack locally and publish it to policy-updates (raises PolicyPackInvalid)."""
    pack = load_pack(directory)
    files = {p.name: p.read_text(encoding="utf-8") for p in pack_files(directory)}
    await ensure_own(settings, POLICY_UPDATES, compact=True)
    producer = AIOKafkaProducer(**settings.kafka(), acks="all", max_request_size=8 * 1024 * 1024)
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.topic(POLICY_UPDATES),
            orjson.dumps({"hash": pack.hash, "files": files}),
            key=PACK_KEY,
            partition=0,
        )
    finally:
        await producer.stop()
    return pack


@policy.command("check")
def policy_check(
    directory: Path = PACK_DIR,
    since: Path | None = typer.Option(
        None,
        "--since",
        help="the previous pack directory: warn about rules changed without a new version",
    ),
    strict: bool = typer.Option(False, "--strict", help="exit 1 on warnings too"),
) -> None:
    """Validate a policy pack without running it; exit 1 on any error.

    Rules that changed their condition, thresholds, outcome, mode or routing without a new
    version are warned about, against --since or the pack's rules.lock.
    """
    from signals.policy.versions import lock, unversioned_changes
    from stream.policyfiles import LOCK_FILE, load_lock, read_sources

    pack = load_or_exit(directory)
    try:
        recorded = load_lock(directory)
    except PolicyPackInvalid as exc:
        err.print(exc.render(), markup=False, highlight=False)
        raise typer.Exit(1) from None
    if since is not None:
        previous, against = lock(load_or_exit(since))["rules"], str(since)
    else:
        previous, against = recorded or {}, LOCK_FILE
    warnings = unversioned_changes(previous, pack, against)
    sources = read_sources(directory)
    for w in warnings:
        err.print(w.render(sources.get(w.file)) + "\n", markup=False, highlight=False)
    if recorded is not None and recorded != lock(pack)["rules"] and not warnings:
        err.print(
            f"note: {directory / LOCK_FILE} is behind the pack: `vigil policy lock "
            f"{directory}` records it",
            highlight=False,
        )
    n = len(warnings)
    typer.echo(
        f"ok: {len(pack.rules)} rules"
        + (f", {len(pack.strikes.ladders)} strike ladders" if pack.strikes else "")
        + f", {sum(r.acts for r in pack.rules)} automatic rules behind breakers"
        + (
            f" ({len(pack.guardrails.rules)} with a breaker of its own)"
            if pack.guardrails.rules
            else ""
        )
        + (
            f", {len(pack.guardrails.review.queues)} review queues declared"
            if pack.guardrails.review.queues
            else ""
        )
        + f", pack {pack.hash}"
        + (f", {n} warning{'s' if n != 1 else ''}" if n else "")
    )
    if strict and warnings:
        raise typer.Exit(1)


@policy.command("lock")
def policy_lock(directory: Path = PACK_DIR) -> None:
    """Record each rule's version and decision fields in DIR/rules.lock (commit it)."""
    from stream.policyfiles import write_lock

    pack = load_or_exit(directory)
    typer.echo(f"wrote {write_lock(directory, pack)} ({len(pack.rules)} rules)")


@policy.command("test")
def policy_test(directory: Path = PACK_DIR) -> None:
    """Run the pack's fixtures (DIR/tests/*.yaml); exit 1 on any mismatch."""
    from signals.policy import PolicyPackInvalid
    from signals.policy.fixtures import run_fixtures

    pack = load_or_exit(directory)
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
        out.print(f"{mark} {r.name}  [dim]{relative(r.file)}:{r.line}[/dim]")
        for m in r.mismatches:
            out.print(
                f"       rule {m.rule}: expected [green]{m.expected}[/green], "
                f"got [red]{m.got}[/red]"
            )
            if m.read:
                out.print("       it read: " + ", ".join(f"{k}={v}" for k, v in m.read.items()))
    typer.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


@policy.command("publish")
def policy_publish(directory: Path = PACK_DIR) -> None:
    """Validate a pack and publish it to policy-updates: every worker switches to it."""
    load_or_exit(directory)  # refuse an invalid pack here, with its errors
    settings = Settings()
    pack = asyncio.run(publish(settings, directory))
    typer.echo(
        f"published {pack.hash} ({len(pack.rules)} rules) to {settings.topic(POLICY_UPDATES)}"
    )


@policy.command("diff")
def policy_diff(
    old: Path = typer.Argument(..., help="current pack directory"),
    new: Path = typer.Argument(..., help="proposed pack directory"),
    events: Path = typer.Argument(..., help="events file to replay under both"),
) -> None:
    """Replay events under two packs and show the decisions that would change."""
    from stream.cli.policydiff import decisions, diff, print_diff
    from stream.replay import read_lines

    require_file(events)
    old_pack, new_pack = load_or_exit(old), load_or_exit(new)
    before = decisions(old_pack, read_lines(events))
    after = decisions(new_pack, read_lines(events))
    print_diff(
        diff(before, after), len(before), len(after), Console(soft_wrap=True, highlight=False)
    )
