"""Suite-wide settings.

Hypothesis's timing checks (per-example deadline, slow input generation) measure the machine,
not vigil: CI runs on shared, noisy machines, so they are off. The properties are unchanged.
"""

from typing import Any

from hypothesis import HealthCheck, settings

settings.register_profile("vigil", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("vigil")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The failed tests by name, one short line each, as the run's last lines.

    CI keeps only the tail of a run, and a failed comparison of two large sets prints far more
    than that tail holds: these lines are what is left to go on.
    """
    failed = [r for key in ("failed", "error") for r in terminalreporter.stats.get(key, [])]
    if not failed:
        return
    terminalreporter.section("failed, by name")
    for report in failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        first = (crash.message if crash else str(report.longrepr)).strip().splitlines()
        terminalreporter.write_line(f"{report.nodeid} ({report.when}): {first[0][:240]}")
