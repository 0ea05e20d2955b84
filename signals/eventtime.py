"""Event-time parsing and formatting. Internally every timestamp is epoch milliseconds (int)."""

from datetime import UTC, datetime, timedelta

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY

# Timestamps outside this range are rejected as invalid input (years 2000..2200).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
MIN_TS = 946_684_800_000
MAX_TS = 7_258_118_400_000


class BadTimestamp(ValueError):
    """A timestamp that is not RFC 3339 with an offset, or is outside years 2000..2200.

    Its message never quotes the value: it may be attacker-chosen text bound for a log.
    """


def epoch_ms(value: datetime | int) -> int:
    """Epoch milliseconds for an offset-aware datetime (any offset) or an epoch-ms integer."""
    if isinstance(value, int):
        ms = value
    else:
        if value.tzinfo is None:
            raise BadTimestamp("ts has no UTC offset")
        ms = (value - _EPOCH) // _MS  # exact: float timestamps lose milliseconds
    if not MIN_TS <= ms < MAX_TS:
        raise BadTimestamp("ts is outside years 2000..2200")
    return ms


def parse_ts(value: str | int) -> int:
    """Epoch milliseconds for an RFC 3339 string (with offset) or an epoch-ms integer."""
    if isinstance(value, int):
        return epoch_ms(value)
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise BadTimestamp("ts is not RFC 3339") from None
    return epoch_ms(dt)


def format_ts(ms: int) -> str:
    """Format epoch milliseconds as RFC 3339 UTC (`2026-11-20T10:00:00Z`, millis when non-zero)."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    if ms % 1000:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_duration(text: str) -> int:
    """Parse `90s`, `5m`, `1h`, `7d` into milliseconds."""
    units = {"s": 1000, "m": MINUTE, "h": HOUR, "d": DAY}
    text = text.strip()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"duration {text!r} must look like 90s, 5m, 1h or 7d")
    return int(text[:-1]) * units[text[-1]]
