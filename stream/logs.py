"""structlog setup: JSON lines in production, key=value on a terminal. Ids only, never text.

Faust, aiokafka and redis log through the standard library; `stdlib_config` renders those
records with the same processors, so an operator reads one format from one stream.
"""

import logging
import sys
from typing import Any

import structlog

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _renderer(fmt: str | None) -> Any:
    fmt = fmt or ("console" if sys.stderr.isatty() else "json")
    if fmt == "console":
        return structlog.dev.ConsoleRenderer(colors=False)
    return structlog.processors.JSONRenderer()


def configure(level: str = "info", fmt: str | None = None) -> None:
    """Configure structlog for vigil's own loggers."""
    structlog.configure(
        processors=[*_SHARED, structlog.processors.format_exc_info, _renderer(fmt)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


class Scrub(logging.Filter):
    """Reduce aiohttp's errors about requests it could not parse to the error's class.

    Their messages quote the request: an overlong `Authorization` header put its first 100
    bytes, a near-miss secret, in the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and exc.__class__.__module__.startswith("aiohttp.http"):
            record.msg, record.args = "bad HTTP request refused: %s", (type(exc).__name__,)
            record.exc_info = record.exc_text = None
        return True


def stdlib_config(level: str = "info", fmt: str | None = None) -> dict[str, Any]:
    """A logging.config.dictConfig for third-party loggers, rendered like vigil's own."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structlog": {
                "()": structlog.stdlib.ProcessorFormatter,
                # a crash's traceback as text: an exc_info tuple renders as object reprs
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    _renderer(fmt),
                ],
                "foreign_pre_chain": [structlog.stdlib.add_logger_name, *_SHARED],
            }
        },
        "filters": {"scrub": {"()": Scrub}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "structlog",
                "stream": "ext://sys.stderr",
                "filters": ["scrub"],
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
    }
