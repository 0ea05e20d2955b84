"""Per-creator state: uploads, reports received, actions taken against the creator's content.

Fed by creator facts that the content stage forwards (re-keyed by creator_id).
"""

from typing import Any

import orjson

from signals import windows as w
from signals.eventtime import DAY, HOUR, MINUTE

REPORTER_CAP = 256
CONTENT_CAP = 64
RECENT_IDS = 8
TTL = 90 * DAY
ACTION_HORIZON = 90 * DAY
_ENCODING = 1

# Fact kinds forwarded from the content stage.
UPLOAD, REPORT, ACTION, CONFIRMED, OVERTURNED = "upload", "report", "action", "confirmed", "overturned"


class CreatorFact:
    """Something that happened to one creator, as forwarded by the content stage."""

    __slots__ = ("area", "content_id", "creator_id", "event_id", "kind", "outcome", "party", "ts")

    def __init__(
        self,
        kind: str,
        ts: int,
        creator_id: str,
        content_id: str,
        event_id: str,
        party: str = "",
        area: str = "",
        outcome: str = "",
    ) -> None:
        self.kind = kind
        self.ts = ts
        self.creator_id = creator_id
        self.content_id = content_id
        self.event_id = event_id
        self.party = party  # the reporter for reports
        self.area = area
        self.outcome = outcome

    def encode(self) -> bytes:
        """Serialize for the creator re-keying topic."""
        return orjson.dumps(
            [self.kind, self.ts, self.creator_id, self.content_id, self.event_id,
             self.party, self.area, self.outcome]
        )

    @classmethod
    def decode(cls, data: bytes) -> "CreatorFact":
        """Inverse of encode."""
        return cls(*orjson.loads(data))


class CreatorState:
    """Everything vigil remembers about one creator."""

    __slots__ = (
        "actions_day",
        "confirmed_day",
        "fired",
        "overturned_day",
        "recent",
        "removals_day",
        "rep_hour",
        "rep_min",
        "reported_content",
        "reporters",
        "up_hour",
        "up_min",
        "wm",
    )

    def __init__(self) -> None:
        self.wm = 0
        self.up_min: w.Buckets = {}
        self.up_hour: w.Buckets = {}
        self.rep_min: w.Buckets = {}
        self.rep_hour: w.Buckets = {}
        self.reporters: dict[str, int] = {}
        self.reported_content: dict[str, int] = {}
        self.actions_day: w.Buckets = {}
        self.removals_day: w.Buckets = {}
        self.confirmed_day: w.Buckets = {}
        self.overturned_day: w.Buckets = {}
        self.fired: dict[str, int] = {}  # rule key -> start of the window it last fired in
        self.recent: list[str] = []

    def encode(self) -> bytes:
        """Serialize compactly for a table value / changelog record."""
        return orjson.dumps(
            [
                _ENCODING,
                self.wm,
                w.flatten(self.up_min),
                w.flatten(self.up_hour),
                w.flatten(self.rep_min),
                w.flatten(self.rep_hour),
                self.reporters,
                self.reported_content,
                w.flatten(self.actions_day),
                w.flatten(self.removals_day),
                w.flatten(self.confirmed_day),
                w.flatten(self.overturned_day),
                self.fired,
                self.recent,
            ]
        )

    @classmethod
    def decode(cls, data: bytes) -> "CreatorState":
        """Inverse of encode."""
        f: list[Any] = orjson.loads(data)
        s = cls()
        s.wm = f[1]
        s.up_min, s.up_hour, s.rep_min, s.rep_hour = (w.unflatten(x) for x in f[2:6])
        s.reporters, s.reported_content = f[6], f[7]
        s.actions_day, s.removals_day, s.confirmed_day, s.overturned_day = (
            w.unflatten(x) for x in f[8:12]
        )
        s.fired, s.recent = f[12], f[13]
        return s

    def expired(self, now: int) -> bool:
        """True when the newest fact is more than TTL before now (event time)."""
        return self.wm > 0 and now - self.wm > TTL


def apply(state: CreatorState, fact: CreatorFact, lateness: int) -> None:
    """Fold one creator fact into the state."""
    ts = fact.ts
    if ts > state.wm:
        state.wm = ts
    in_window = ts >= state.wm - lateness
    kind = fact.kind
    if kind == UPLOAD:
        if in_window:
            w.add(state.up_min, ts, MINUTE)
            w.add(state.up_hour, ts, HOUR)
    elif kind == REPORT:
        if in_window:
            w.add(state.rep_min, ts, MINUTE)
            w.add(state.rep_hour, ts, HOUR)
        w.touch_recent(state.reporters, fact.party, ts, REPORTER_CAP)
        w.touch_recent(state.reported_content, fact.content_id, ts, CONTENT_CAP)
    elif kind == ACTION:
        w.add(state.actions_day, ts, DAY)
        if fact.outcome == "remove":
            w.add(state.removals_day, ts, DAY)
    elif kind == CONFIRMED:
        w.add(state.confirmed_day, ts, DAY)
    elif kind == OVERTURNED:
        w.add(state.overturned_day, ts, DAY)
    state.recent.append(fact.event_id)
    if len(state.recent) > RECENT_IDS:
        del state.recent[0]
    now = state.wm
    w.prune(state.up_min, now, HOUR, MINUTE)
    w.prune(state.rep_min, now, HOUR, MINUTE)
    w.prune(state.up_hour, now, DAY, HOUR)
    w.prune(state.rep_hour, now, DAY, HOUR)
    for b in (state.actions_day, state.removals_day, state.confirmed_day, state.overturned_day):
        w.prune(b, now, ACTION_HORIZON, DAY)


def windowed(minute: w.Buckets, hour: w.Buckets, now: int, span: int) -> int:
    """Read a minute/hour bucket pair for a window of span ms."""
    if span <= HOUR:
        return w.window_sum(minute, now, span, MINUTE)
    return w.window_sum(hour, now, span, HOUR)


def days(buckets: w.Buckets, now: int) -> int:
    """Sum a day-bucket counter over the 90-day horizon."""
    return w.window_sum(buckets, now, ACTION_HORIZON, DAY)
