"""`vigil worker`: the Faust worker."""

import asyncio

import structlog
import typer

import signals
from stream.cli.common import app, load_or_exit, tune_gc
from stream.config import Settings


@app.command("worker")
def worker(loglevel: str = typer.Option("info", help="debug, info, warning, error")) -> None:
    """Run a Faust worker (settings from VIGIL_* environment variables)."""
    from stream.logs import configure, stdlib_config
    from stream.topics import ensure_topics
    from stream.worker.runtime import create_runtime
    from stream.worker.tables import discard_if_dirty
    from stream.worker.vitals import Worker

    settings = Settings()
    configure(loglevel, settings.log_format)
    pack = load_or_exit(settings.policies)
    discard_if_dirty(settings)
    limits = asyncio.run(ensure_topics(settings))
    runtime = create_runtime(settings, pack, limits)
    structlog.get_logger("vigil.worker").info(
        "engine_build", build=signals.BUILD, rules=len(pack.rules), pack_hash=pack.hash
    )
    tune_gc()
    runtime.vitals.watch()
    Worker(
        runtime.app,
        runtime.vitals,
        loglevel=loglevel,
        quiet=True,
        logging_config=stdlib_config(loglevel, settings.log_format),
    ).execute_from_commandline()
