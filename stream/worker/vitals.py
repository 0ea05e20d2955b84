"""Whether a worker can make progress, and making sure one that cannot exits.

A worker whose fetcher crashed once hung in Faust's "Stopping" for minutes, ignoring SIGTERM,
while `/health` kept answering `ok`: no supervisor would restart it, and enforcement stopped.
So:
1. `/health` answers 503 `failing` from the moment any of the app's services crashes (mode
   records the crash on every service up to the app), and 503 `stopping` once a stop began;
2. a crash or a stop arms a deadline (`VIGIL_SHUTDOWN_TIMEOUT_SECONDS`, 30 s): Faust stops
   cleanly within it (the consumer commits what was published), or a thread of its own ends
   the process with EXIT_DEADLINE, whatever the event loop is doing;
3. a crash always exits non-zero (mode re-raises it), so a supervisor restarts the worker.
The watch runs in a thread because the event loop is exactly what may be stuck.
"""

import os
import sys
import threading
from typing import Any

import structlog
from faust.worker import Worker as FaustWorker

log = structlog.get_logger("vigil.worker")

EXIT_DEADLINE = 70  # EX_SOFTWARE: the worker could not stop within its deadline
WATCH_EVERY = 0.25  # seconds between looks at the app's crash state


class Vitals:
    """The worker's health as /health reports it, and its exit deadline."""

    def __init__(self, app: Any, shutdown_timeout: float) -> None:
        self._app = app  # a mode Service: it sets `crash_reason` when it or a child crashes
        self._timeout = shutdown_timeout
        self._stopping = False
        self._armed = threading.Event()

    def problem(self) -> str | None:
        """`failing`, `stopping`, or None while the worker can make progress."""
        if self._app.crash_reason is not None:
            return "failing"
        return "stopping" if self._stopping else None

    def reason(self) -> str | None:
        """The crash's exception class (never its message, which may quote data)."""
        crash = self._app.crash_reason
        return None if crash is None else type(crash).__name__

    def watch(self) -> None:
        """Start the thread that arms the deadline as soon as the app crashes."""
        threading.Thread(target=self._watch, name="vigil-vitals", daemon=True).start()

    def stopping(self) -> None:
        """A stop began (SIGTERM, or Faust stopping after a crash): report it, arm the deadline."""
        self._stopping = True
        if not self._crashed():
            self.arm("stopping")

    def arm(self, why: str) -> None:
        """End the process EXIT_DEADLINE if it is still running after the timeout (once)."""
        if self._armed.is_set():
            return
        self._armed.set()
        log.warning("shutdown_deadline_armed", why=why, seconds=self._timeout)
        timer = threading.Timer(self._timeout, self._deadline, args=(why,))
        timer.daemon = True
        timer.start()

    def _watch(self) -> None:
        while not self._armed.wait(WATCH_EVERY):
            self._crashed()

    def _crashed(self) -> bool:
        """Report a crash and arm the deadline for it; False if there is none."""
        if self._app.crash_reason is None:
            return False
        if not self._armed.is_set():
            log.error("worker_failed", reason=self.reason())
            self.arm("crashed")
        return True

    def _deadline(self, why: str) -> None:
        log.critical(
            "shutdown_deadline_passed", why=why, seconds=self._timeout, exit_code=EXIT_DEADLINE
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_DEADLINE)  # no cleanup: the cleanup is what hangs


class Worker(FaustWorker):
    """Faust's worker, telling the vitals when it starts to stop (mode calls on_stop first)."""

    def __init__(self, app: Any, vitals: Vitals, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._vitals = vitals

    async def on_stop(self) -> None:
        self._vitals.stopping()
        await super().on_stop()
