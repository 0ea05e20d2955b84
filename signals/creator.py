"""Per-creator state: uploads, reports received, actions taken against the creator's content.

Fed by creator facts that the content stage forwards (re-keyed by creator_id). Upload and
report windows each read against their own clock (newest upload, newest report), like content
report windows, so one kind of fact arriving early cannot push another out of its window.
"""

from typing import Any

from signals import records
from signals import windows as w
from signals.eventtime import DAY, HOUR, MINUTE
from signals.sweeping import triage_encoded

REPORTER_CAP = 256
CONTENT_CAP = 64
HUMAN_CAP = 64
RECENT_IDS = 32  # also the redelivery guard for re-keyed facts
TTL = 90 * DAY
ACTION_HORIZON = 90 * DAY

# Fact kinds forwarded from the content stage.
UPLOAD, REPORT, ACTION = "upload", "report", "action"
CONFIRMED, OVERTURNED = "confirmed", "overturned"
REVERSED = "reversed"  # an action reversed by a human outcome: party is the action's id


class CreatorFact:
    """Something that happened to one creator, as forwarded by the content stage."""

    __slots__ = (
        "area",
        "content_id",
        "creator_id",
        "event_id",
        "kind",
        "outcome",
        "party",
        "region",
        "ts",
    )

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
        region: str = "",
    ) -> None:
        self.kind = kind
        self.ts = ts
        self.creator_id = creator_id
        self.content_id = content_id
        self.event_id = event_id
        self.party = party  # the reporter for reports
        self.area = area
        self.outcome = outcome
        self.region = region  # the upload's region, for creator rules' region overrides

    @property
    def table_key(self) -> str:
        """The key creator state is partitioned by."""
        return self.creator_id

    def fields(self) -> list[Any]:
        """The fact as it travels on the creator re-keying topic (`signals.facts`)."""
        return [
            self.kind,
            self.ts,
            self.creator_id,
            self.content_id,
            self.event_id,
            self.party,
            self.area,
            self.outcome,
            self.region,
        ]


class CreatorState:
    """Everything vigil remembers about one creator."""

    __slots__ = (
        "actions_day",
        "confirmed",
        "fired",
        "held",
        "overturned",
        "recent",
        "region",
        "removals_day",
        "rep_hour",
        "rep_min",
        "rep_wm",
        "reported_content",
        "reporters",
        "revoked",
        "steps",
        "strikes",
        "up_hour",
        "up_min",
        "up_wm",
        "wm",
    )

    def __init__(self) -> None:
        self.wm = 0
        self.region = ""  # region of the newest upload
        self.up_wm = 0
        self.rep_wm = 0
        self.up_min: w.Buckets = {}
        self.up_hour: w.Buckets = {}
        self.rep_min: w.Buckets = {}
        self.rep_hour: w.Buckets = {}
        self.reporters: dict[str, int] = {}
        self.reported_content: dict[str, int] = {}
        self.actions_day: w.Buckets = {}
        self.removals_day: w.Buckets = {}
        # human outcomes keep exact times (newest HUMAN_CAP): rules count those at or before the
        # triggering event, so an appeal decided later never undoes an earlier decision
        self.confirmed: list[int] = []
        self.overturned: list[int] = []
        self.fired: dict[str, int] = {}  # rule key -> start of the window it last fired in
        self.recent: list[str] = []
        # (event time, kind) of each event whose rules wait for the region (signals.regionhold)
        self.held: list[tuple[int, str]] = []
        # the strike ladder (signals.ladder): strikes, oldest first; actions whose strike a
        # reversal removed; the ladder steps taken
        self.strikes: list[records.Strike] = []
        self.revoked: list[str] = []
        self.steps: list[records.LadderStep] = []

    def encode(self) -> bytes:
        """Serialize compactly for a table value / changelog record (signals.records)."""
        return records.encode(
            records.CreatorV3(
                self.wm,
                self.up_wm,
                self.rep_wm,
                w.flatten(self.up_min),
                w.flatten(self.up_hour),
                w.flatten(self.rep_min),
                w.flatten(self.rep_hour),
                self.reporters,
                self.reported_content,
                w.flatten(self.actions_day),
                w.flatten(self.removals_day),
                self.confirmed,
                self.overturned,
                self.fired,
                self.recent,
                self.region,
                self.strikes,
                self.revoked,
                self.steps,
                self.held,
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> "CreatorState":
        """Inverse of encode; reads every version in signals.records."""
        r = records.creator(data)
        s = cls()
        s.wm, s.up_wm, s.rep_wm = r.wm, r.up_wm, r.rep_wm
        s.up_min, s.up_hour = w.unflatten(r.up_min), w.unflatten(r.up_hour)
        s.rep_min, s.rep_hour = w.unflatten(r.rep_min), w.unflatten(r.rep_hour)
        s.reporters, s.reported_content = r.reporters, r.reported_content
        s.actions_day, s.removals_day = w.unflatten(r.actions_day), w.unflatten(r.removals_day)
        s.confirmed, s.overturned = r.confirmed, r.overturned
        s.fired, s.recent, s.region = r.fired, r.recent, r.region
        # version 1: nothing waited for the region; before 3, no strike ladder
        if isinstance(r, records.CreatorV2 | records.CreatorV3):
            s.held = r.held
        if isinstance(r, records.CreatorV3):
            s.strikes, s.revoked, s.steps = r.strikes, r.revoked, r.steps
        return s

    @staticmethod
    def triage(data: bytes, now: int) -> int:
        """What the sweep must do with this encoded state: KEEP it (alive, nothing waits),
        drop it as EXPIRED, or DECODE it (triggers wait for the region)."""
        return triage_encoded(data, now, TTL, b",[]]", (b"[2,", b"[3,"))

    def expired(self, now: int) -> bool:
        """True when the newest fact is more than TTL before now (event time)."""
        return self.wm > 0 and now - self.wm > TTL


def apply(state: CreatorState, fact: CreatorFact, lateness: int) -> bool:
    """Fold one creator fact into the state; False if it was already applied (redelivery)."""
    ts = fact.ts
    if ts <= state.wm and fact.event_id in state.recent:  # applied before: no newer than wm
        return False
    if ts > state.wm:
        state.wm = ts
    kind = fact.kind
    if kind == UPLOAD:
        if ts >= state.up_wm and fact.region:
            state.region = fact.region
        state.up_wm = max(state.up_wm, ts)
        if ts >= state.up_wm - lateness:
            w.add(state.up_min, ts, MINUTE)
            w.add(state.up_hour, ts, HOUR)
    elif kind == REPORT:
        state.rep_wm = max(state.rep_wm, ts)
        if ts >= state.rep_wm - lateness:
            w.add(state.rep_min, ts, MINUTE)
            w.add(state.rep_hour, ts, HOUR)
        w.touch_recent(state.reporters, fact.party, ts, REPORTER_CAP)
        w.touch_recent(state.reported_content, fact.content_id, ts, CONTENT_CAP)
    elif kind == ACTION:
        w.add(state.actions_day, ts, DAY)
        if fact.outcome == "remove":
            w.add(state.removals_day, ts, DAY)
    elif kind == CONFIRMED:
        _keep_time(state.confirmed, ts)
    elif kind == OVERTURNED:
        _keep_time(state.overturned, ts)
    state.recent.append(fact.event_id)
    if len(state.recent) > RECENT_IDS:
        del state.recent[0]
    now = state.wm
    w.prune(state.up_min, state.up_wm, HOUR, MINUTE)
    w.prune(state.rep_min, state.rep_wm, HOUR, MINUTE)
    w.prune(state.up_hour, state.up_wm, DAY, HOUR)
    w.prune(state.rep_hour, state.rep_wm, DAY, HOUR)
    for b in (state.actions_day, state.removals_day):
        w.prune(b, now, ACTION_HORIZON, DAY)
    return True


def _keep_time(times: list[int], ts: int) -> None:
    times.append(ts)
    times.sort()
    if len(times) > HUMAN_CAP:
        del times[0]


def times_in_horizon(times: list[int], now: int) -> int:
    """How many of times fall in (now - 90 days, now]."""
    lo = now - ACTION_HORIZON
    return sum(1 for t in times if lo < t <= now)


def windowed(minute: w.Buckets, hour: w.Buckets, now: int, span: int) -> int:
    """Read a minute/hour bucket pair for a window of span ms."""
    if span <= HOUR:
        return w.window_sum(minute, now, span, MINUTE)
    return w.window_sum(hour, now, span, HOUR)


def days(buckets: w.Buckets, now: int) -> int:
    """Sum a day-bucket counter over the 90-day horizon."""
    return w.window_sum(buckets, now, ACTION_HORIZON, DAY)
