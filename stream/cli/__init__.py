"""The `vigil` command: one module per command group, each registering on the root command."""

import sys

from stream.cli import (  # noqa: F401  (each module registers its commands)
    acls,
    backtest,
    detect,
    explain,
    golden,
    oncall,
    policy,
    produce,
    queues,
    replay,
    report,
    rules,
    schemas,
    signals,
    trends,
    worker,
)
from stream.cli.common import app, err
from stream.errors import VigilError


def main() -> None:
    """Entry point of the `vigil` command."""
    try:
        app()
    except BrokenPipeError:  # `vigil replay ... | head` is normal use
        sys.stderr.close()
    except VigilError as exc:  # library code raises vigil's errors; here they become exits
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
