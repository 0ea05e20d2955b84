"""Per-content state: reports in event-time windows, reporters, model scores, human verdicts.

One ContentState per content_id, fixed in size: minute buckets for an hour, hour buckets for a
day, at most REPORTER_CAP reporters, one score per policy area. It expires TTL after its
newest event (event time, not wall clock).

Report windows are read against the newest *report* time (rep_wm), not the newest event of any
kind: reports of one video arrive in order (one partition), but Kafka interleaves the input
topics freely, so a review hours later must not push earlier reports out of their windows.
"""

from schemas.inputs import ModelScore, Report, Review, Upload
from signals import records
from signals import windows as w
from signals.decode import Event
from signals.eventtime import DAY, HOUR, MINUTE
from signals.sweeping import triage_encoded

REPORTER_CAP = 256
RECENT_IDS = 16  # also the redelivery guard: a repeated event id is not applied twice
TTL = 7 * DAY


class ContentState:
    """Everything vigil remembers about one video."""

    __slots__ = (
        "acted",
        "appeal",
        "area_hour",
        "creator_id",
        "decisions",
        "fired",
        "language",
        "late",
        "overflowed",
        "recent",
        "region",
        "rep_hour",
        "rep_min",
        "rep_total",
        "rep_wm",
        "reported",
        "reporters",
        "reversed",
        "reviews",
        "score_latest",
        "score_max",
        "upload_ts",
        "verdict",
        "verdict_ts",
        "waiting",
        "wm",
    )

    def __init__(self) -> None:
        self.wm = 0  # watermark: newest event time seen for this content
        self.rep_wm = 0  # newest report time: the clock report windows are read against
        self.upload_ts = 0
        self.creator_id = ""
        self.region = ""
        self.language = ""
        self.rep_min: w.Buckets = {}
        self.rep_hour: w.Buckets = {}
        self.rep_total = 0
        self.reporters: dict[str, int] = {}
        self.area_hour: dict[str, w.Buckets] = {}
        self.score_max: dict[str, float] = {}
        self.score_latest: dict[str, float] = {}
        self.verdict = ""  # human review: "", violating, not_violating
        self.appeal = ""  # appeal outcome: "", upheld, overturned
        self.verdict_ts = 0  # event time of the human decision that cleared the content
        self.fired: dict[str, int] = {}  # rule key -> start of the window it last fired in
        self.acted = 0  # severity of the most severe action taken (see ACTION_SEVERITY)
        self.recent: list[str] = []  # newest source event ids
        self.late = 0  # events too late for the windows (still counted in totals)
        # the events that wait for the video's region: (ts, topic, event id, record as JSON)
        # (signals.regionhold), and the topics of events applied early, past the cap, whose
        # rules still wait: topic -> the newest such event's time
        self.waiting: list[tuple[int, str, str, str]] = []
        self.overflowed: dict[str, int] = {}
        # for the enforcement-quality join (signals.qualityjoin): the decisions on the video,
        # the reviews and appeals about it, the areas it was reported in
        self.decisions: list[records.ActedDecision] = []
        self.reviews: list[records.QualityReview] = []
        self.reported: list[str] = []
        self.reversed: list[str] = []  # the actions a human outcome reversed (signals.reversal)

    def encode(self) -> bytes:
        """Serialize compactly for a table value / changelog record (signals.records)."""
        return records.encode(
            records.ContentV4(
                self.wm,
                self.rep_wm,
                self.verdict_ts,
                self.upload_ts,
                self.creator_id,
                self.region,
                self.language,
                w.flatten(self.rep_min),
                w.flatten(self.rep_hour),
                self.rep_total,
                self.reporters,
                {a: w.flatten(b) for a, b in self.area_hour.items()},
                self.score_max,
                self.score_latest,
                self.verdict,
                self.appeal,
                self.fired,
                self.recent,
                self.late,
                self.acted,
                self.decisions,
                self.reviews,
                self.reported,
                self.reversed,
                self.waiting,
                self.overflowed,
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> "ContentState":
        """Inverse of encode; reads every version in signals.records."""
        r = records.content(data)
        s = cls()
        s.wm = r.wm
        s.rep_wm = r.rep_wm
        s.verdict_ts = r.verdict_ts
        s.upload_ts = r.upload_ts
        s.creator_id = r.creator_id
        s.region = r.region
        s.language = r.language
        s.rep_min = w.unflatten(r.rep_min)
        s.rep_hour = w.unflatten(r.rep_hour)
        s.rep_total = r.rep_total
        s.reporters = r.reporters
        s.area_hour = {a: w.unflatten(b) for a, b in r.area_hour.items()}
        s.score_max = r.score_max
        s.score_latest = r.score_latest
        s.verdict = r.verdict
        s.appeal = r.appeal
        s.fired = r.fired
        s.recent = r.recent
        s.late = r.late
        s.acted = r.acted
        # version 1: nothing waited before holds existed; before 3, no quality join; before
        # 4, decisions without outcome and window (a reversal of one says "") and none reversed
        if isinstance(r, records.ContentV2 | records.ContentV3 | records.ContentV4):
            s.waiting = r.waiting
            s.overflowed = r.overflowed
        if isinstance(r, records.ContentV3):
            s.decisions = [(*d, "", "") for d in r.decisions]
            s.reviews = r.reviews
            s.reported = r.reported
        elif isinstance(r, records.ContentV4):
            s.decisions = r.decisions
            s.reviews = r.reviews
            s.reported = r.reported
            s.reversed = r.reversed
        return s

    @staticmethod
    def triage(data: bytes, now: int) -> int:
        """What the sweep must do with this encoded state: KEEP it (alive, nothing waits),
        drop it as EXPIRED, or DECODE it (events wait for the region)."""
        return triage_encoded(data, now, TTL, b",[],{}]", (b"[2,", b"[3,", b"[4,"))

    def expired(self, now: int) -> bool:
        """True when the newest event is more than TTL before now (event time), counting the
        events that wait for the region (a video whose upload never came)."""
        newest = max(self.wm, self.waiting[-1][0] if self.waiting else 0)
        return newest > 0 and now - newest > TTL


def apply(state: ContentState, ev: Event, lateness: int) -> bool:
    """Fold one event into the content state; False if it was already applied (redelivery).

    A report older than its clock minus lateness cannot be in any window: it is counted in the
    totals and in `late`, not in the windows.
    """
    ts = ev.ts
    rec = ev.record
    if ts <= state.wm and rec.event_id in state.recent:  # applied before: no newer than wm
        return False
    if ts > state.wm:
        state.wm = ts
    if isinstance(rec, Report):
        if ts > state.rep_wm:
            state.rep_wm = ts
        state.rep_total += 1
        if not state.creator_id:
            state.creator_id = rec.creator_id
        # a report's region is where it was filed, not the video's: only the upload says
        # which regional variant of a rule applies
        if ts >= state.rep_wm - lateness:
            w.add(state.rep_min, ts, MINUTE)
            w.add(state.rep_hour, ts, HOUR)
            w.add(state.area_hour.setdefault(rec.reason, {}), ts, HOUR)
        else:
            state.late += 1
        w.touch_recent(state.reporters, rec.reporter_id, ts, REPORTER_CAP)
    elif isinstance(rec, ModelScore):
        if not state.creator_id:
            state.creator_id = rec.creator_id
        for area, p in rec.scores.items():
            state.score_latest[area] = p
            if p > state.score_max.get(area, 0.0):
                state.score_max[area] = p
    elif isinstance(rec, Upload):
        state.upload_ts = ts
        state.creator_id = rec.creator_id
        state.region = rec.region
        state.language = rec.language
    elif isinstance(rec, Review):
        if rec.kind == "review":
            state.verdict = rec.outcome
        else:
            state.appeal = rec.outcome
        if rec.outcome in ("not_violating", "overturned"):
            state.verdict_ts = ts
        if rec.creator_id and not state.creator_id:
            state.creator_id = rec.creator_id
    state.recent.append(rec.event_id)
    if len(state.recent) > RECENT_IDS:
        del state.recent[0]
    _prune(state)
    return True


def _prune(state: ContentState) -> None:
    now = state.rep_wm
    w.prune(state.rep_min, now, HOUR, MINUTE)
    w.prune(state.rep_hour, now, DAY, HOUR)
    for area in list(state.area_hour):
        b = state.area_hour[area]
        w.prune(b, now, DAY, HOUR)
        if not b:
            del state.area_hour[area]


def human_cleared(state: ContentState, ts: int) -> bool:
    """A human found no violation at or before ts: automation stands down from then on.

    Judged in event time, so the answer does not depend on whether Kafka delivered the
    review before or after the event that triggered a rule.
    """
    return (
        state.verdict_ts > 0
        and state.verdict_ts <= ts
        and (state.verdict == "not_violating" or state.appeal == "overturned")
    )


REARMED = "#rearm"  # a fired key's suffix: the clearing (its time) a rule acted again after


def cleared_at(state: ContentState, ts: int) -> int:
    """When the human outcome in force at event time ts cleared the video (0: none did): the
    newest review or appeal the video remembers at or before ts, if it found no violation
    or overturned the action (by event time, whatever order Kafka delivered them in)."""
    newest = max(
        (r for r in state.reviews if r[2] in ("review", "appeal") and r[1] <= ts),
        key=lambda r: (r[1], r[0]),
        default=None,
    )
    return newest[1] if newest is not None and newest[3] in _CLEARING else 0


def rearmed(state: ContentState, key: str, new_reporters: int, ts: int) -> bool:
    """A rule with `rearm` may act again at ts: a human cleared the video by then, at least
    new_reporters reporters reported it since that clearing and by ts (in event time,
    whatever order Kafka delivered them in), and the rule has not acted again since it."""
    at = cleared_at(state, ts)
    if not at or state.fired.get(key + REARMED, -1) == at:
        return False
    return len([t for t in state.reporters.values() if at < t <= ts]) >= new_reporters


def rearm_times(state: ContentState, after: int) -> list[int]:
    """The report times after `after` at which a rule with `rearm` could have acted again:
    those after a clearing, in order (none when the video was never cleared)."""
    first = min((r[1] for r in state.reviews if r[3] in _CLEARING), default=0)
    if not first:
        return []
    since = max(first, after)
    return sorted({t for t in state.reporters.values() if t > since})


_CLEARING = ("not_violating", "overturned")


def acted_in_force(state: ContentState, severity: dict[str, int]) -> int:
    """The severity of the most severe action on the video that a human did not reverse."""
    kept = [d[8] for d in state.decisions if d[6] == "action" and d[0] not in state.reversed]
    return max((severity.get(o, 0) for o in kept), default=0)


# Signal readers, referenced by the catalogue. `now` is the content's watermark; report
# windows use the report clock instead.
def reports(state: ContentState, now: int, span: int) -> int:
    """Reports received in (rep_wm - span, rep_wm]."""
    if span <= HOUR:
        return w.window_sum(state.rep_min, state.rep_wm, span, MINUTE)
    return w.window_sum(state.rep_hour, state.rep_wm, span, HOUR)


def distinct_reporters(state: ContentState, span: int) -> int:
    """Distinct reporters in (rep_wm - span, rep_wm]."""
    return w.distinct_since(state.reporters, state.rep_wm - span)


def area_reports(state: ContentState, now: int, area: str) -> int:
    """Reports for one policy area in the last 24h."""
    b = state.area_hour.get(area)
    return w.window_sum(b, state.rep_wm, DAY, HOUR) if b else 0


def age_minutes(state: ContentState, now: int) -> float:
    """Minutes from upload to now; -1.0 while the upload has not been seen."""
    return (now - state.upload_ts) / MINUTE if state.upload_ts else -1.0


def score_max_any(state: ContentState) -> float:
    """The highest score any model gave this content in any policy area."""
    return max(state.score_max.values(), default=0.0)


__all__ = ["ContentState", "apply", "human_cleared"]
