import pytest
from hypothesis import given
from hypothesis import strategies as st

from signals.eventtime import MAX_TS, MIN_TS, BadTimestamp, format_ts, parse_duration, parse_ts


def test_rfc3339_and_epoch_millis_agree() -> None:
    assert parse_ts("2026-11-20T10:00:00Z") == parse_ts(1795168800000) == 1795168800000
    assert parse_ts("2026-11-20T11:00:00+01:00") == 1795168800000


@given(st.integers(min_value=MIN_TS, max_value=MAX_TS - 1))
def test_format_parse_roundtrip(ms: int) -> None:
    assert parse_ts(format_ts(ms)) == ms


@pytest.mark.parametrize(
    "bad",
    ["yesterday", "2026-11-20T10:00:00", "2026-13-01T00:00:00Z", 5, -1, "1970-01-01T00:00:00Z"],
)
def test_bad_timestamps_are_rejected(bad: str | int) -> None:
    with pytest.raises(BadTimestamp):
        parse_ts(bad)


def test_durations() -> None:
    assert parse_duration("90s") == 90_000
    assert parse_duration("5m") == 300_000
    assert parse_duration("7d") == 7 * 86_400_000
    with pytest.raises(ValueError, match="must look like"):
        parse_duration("1w")
