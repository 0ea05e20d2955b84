"""What /health reports: ok, failing from the moment of a crash, stopping once a stop began."""

from stream.worker.vitals import Vitals


class App:
    crash_reason: BaseException | None = None


def test_health_follows_the_apps_crash_and_the_stop() -> None:
    app = App()
    vitals = Vitals(app, shutdown_timeout=3600)
    assert vitals.problem() is None and vitals.reason() is None
    app.crash_reason = ValueError("a message that may quote data")
    assert vitals.problem() == "failing"
    assert vitals.reason() == "ValueError"  # the class, never the message


def test_a_stop_without_a_crash_reports_stopping() -> None:
    vitals = Vitals(App(), shutdown_timeout=3600)
    vitals.stopping()
    assert vitals.problem() == "stopping"
