"""Event-time parsing and formatting. Internally every timestamp is epoch milliseconds (int)."""

from datetime import UTC, datetime, timedelta

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# Timestamps outside this range are rejected as invalid input (years 2000..2200).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
MIN_TS = 946_684_800_000
MAX_TS = 7_258_118_400_000


class BadTimestamp(ValueError):
    """A ts field that is neither an RFC 3339 UTC string nor epoch milliseconds in range."""


def parse_ts(value: str | int) -> int:
    """Return epoch milliseconds for an RFC 3339 string or epoch-millisecond integer."""
    if isinstance(value, int):
        ms = value
    else:
        try:
            dt = datetime.fromisoformat(value)
        except ValueError as exc:
            raise BadTimestamp(f"ts {value[:40]!r} is not RFC 3339") from exc
        if dt.tzinfo is None:
            raise BadTimestamp(f"ts {value[:40]!r} has no UTC offset")
        ms = (dt - _EPOCH) // _MS  # exact: float timestamps lose milliseconds
    if not MIN_TS <= ms < MAX_TS:
        raise BadTimestamp(f"ts {value!r} is outside years 2000..2200")
    return ms


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
