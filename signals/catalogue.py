"""The catalogue of signals a policy condition may name, generated from the code that reads them.

Each Signal knows its name, CEL type, window, meaning and how to read it from a state object at
the time of the event that triggered the evaluation (`now`); windows fed by one kind of event
read against that kind's own clock instead. `vigil signals list` prints this catalogue; the
policy validator rejects any name not in it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from schemas import common as topics
from schemas.common import POLICY_AREAS
from signals import content as c
from signals import creator as cr
from signals import trend as tr
from signals import windows as w
from signals.eventtime import DAY, HOUR, MINUTE


@dataclass(frozen=True)
class Signal:
    """One named value a rule condition can read."""

    name: str
    target: str  # content | creator | trend
    type: str  # CEL type: int | double | bool | string
    window: str  # 5m, 1h, 24h, 90d, lifetime, or "-" for attributes
    meaning: str
    read: Callable[[Any, int], Any]
    # the event kinds (input topics for content, fact kinds for creators) that change it;
    # a rule is evaluated after an event that changes one of the signals it reads
    touched_by: frozenset[str] = frozenset()


# the input topics (event kinds) that change a content signal
REPORTS = frozenset({topics.REPORTS})
SCORES = frozenset({topics.MODEL_SCORES})
UPLOADS = frozenset({topics.UPLOADS})
REVIEWS = frozenset({topics.REVIEWS})
ANY_CONTENT = frozenset(topics.INPUT_TOPICS)


def _content_reports(st: c.ContentState, now: int, span: int) -> int:
    return c.reports(st, now, span)


def _distinct_reporters(st: c.ContentState, now: int, span: int) -> int:
    return c.distinct_reporters(st, span)


def _area_reports(st: c.ContentState, now: int, area: str) -> int:
    return c.area_reports(st, now, area)


def _score_max(st: c.ContentState, now: int, area: str) -> float:
    return st.score_max.get(area, 0.0)


def _score_latest(st: c.ContentState, now: int, area: str) -> float:
    return st.score_latest.get(area, 0.0)


def _creator_uploads(st: cr.CreatorState, now: int, span: int) -> int:
    return cr.windowed(st.up_min, st.up_hour, st.up_wm, span)


def _creator_reports(st: cr.CreatorState, now: int, span: int) -> int:
    return cr.windowed(st.rep_min, st.rep_hour, st.rep_wm, span)


def _content() -> list[Signal]:
    s: list[Signal] = []
    for label, span in (("5m", 5 * MINUTE), ("1h", HOUR), ("24h", DAY)):
        s.append(
            Signal(
                f"reports_{label}",
                "content",
                "int",
                label,
                f"user reports on the video in the last {label}",
                partial(_content_reports, span=span),
                REPORTS,
            )
        )
    s.append(
        Signal(
            "reports_total",
            "content",
            "int",
            "lifetime",
            "user reports on the video since vigil first saw it",
            lambda st, now: st.rep_total,
            REPORTS,
        )
    )
    for label, span in (("1h", HOUR), ("24h", DAY)):
        s.append(
            Signal(
                f"distinct_reporters_{label}",
                "content",
                "int",
                label,
                f"distinct accounts that reported the video in the last {label}",
                partial(_distinct_reporters, span=span),
                REPORTS,
            )
        )
    for area in POLICY_AREAS:
        s.append(
            Signal(
                f"reports_24h_{area}",
                "content",
                "int",
                "24h",
                f"user reports citing {area} in the last 24h",
                partial(_area_reports, area=area),
                REPORTS,
            )
        )
        s.append(
            Signal(
                f"score_max_{area}",
                "content",
                "double",
                "lifetime",
                f"highest model score for {area} (0 if never scored)",
                partial(_score_max, area=area),
                SCORES,
            )
        )
        s.append(
            Signal(
                f"score_latest_{area}",
                "content",
                "double",
                "lifetime",
                f"most recent model score for {area} (0 if never scored)",
                partial(_score_latest, area=area),
                SCORES,
            )
        )
    s += [
        Signal(
            "score_max_any",
            "content",
            "double",
            "lifetime",
            "highest model score in any policy area",
            lambda st, now: c.score_max_any(st),
            SCORES,
        ),
        Signal(
            "has_upload",
            "content",
            "bool",
            "-",
            "the upload event has been seen",
            lambda st, now: st.upload_ts > 0,
            UPLOADS,
        ),
        Signal(
            "has_score",
            "content",
            "bool",
            "-",
            "a model has scored the video (guard 'low score' conditions with it: before "
            "the score arrives every score reads 0)",
            lambda st, now: bool(st.score_latest),
            SCORES,
        ),
        Signal(
            "age_minutes",
            "content",
            "double",
            "-",
            "minutes since upload, at the newest event (-1 before the upload is seen)",
            c.age_minutes,
            ANY_CONTENT,
        ),
        Signal(
            "region",
            "content",
            "string",
            "-",
            "ISO country code of the upload (or of the first report)",
            lambda st, now: st.region,
            UPLOADS | REPORTS,
        ),
        Signal(
            "language",
            "content",
            "string",
            "-",
            "BCP 47 language of the upload",
            lambda st, now: st.language,
            UPLOADS,
        ),
        Signal(
            "human_verdict",
            "content",
            "string",
            "-",
            "latest human review: '', 'violating' or 'not_violating'",
            lambda st, now: st.verdict,
            REVIEWS,
        ),
        Signal(
            "appeal_outcome",
            "content",
            "string",
            "-",
            "latest appeal: '', 'upheld' or 'overturned'",
            lambda st, now: st.appeal,
            REVIEWS,
        ),
    ]
    return s


def _creator() -> list[Signal]:
    s: list[Signal] = []
    for label, span in (("1h", HOUR), ("24h", DAY)):
        s.append(
            Signal(
                f"creator_uploads_{label}",
                "creator",
                "int",
                label,
                f"videos the creator uploaded in the last {label}",
                partial(_creator_uploads, span=span),
                frozenset({"upload"}),
            )
        )
        s.append(
            Signal(
                f"creator_reports_{label}",
                "creator",
                "int",
                label,
                f"reports against any of the creator's videos in the last {label}",
                partial(_creator_reports, span=span),
                frozenset({"report"}),
            )
        )
    s += [
        Signal(
            "creator_distinct_reporters_24h",
            "creator",
            "int",
            "24h",
            "distinct accounts that reported the creator's videos in the last 24h",
            lambda st, now: w.distinct_since(st.reporters, st.rep_wm - DAY),
            frozenset({"report"}),
        ),
        Signal(
            "creator_reported_videos_24h",
            "creator",
            "int",
            "24h",
            "distinct videos of the creator reported in the last 24h (exact up to 64)",
            lambda st, now: w.distinct_since(st.reported_content, st.rep_wm - DAY),
            frozenset({"report"}),
        ),
        Signal(
            "creator_actions_90d",
            "creator",
            "int",
            "90d",
            "automatic enforcement actions on the creator's videos in the last 90 days",
            lambda st, now: cr.days(st.actions_day, now),
            frozenset({"action"}),
        ),
        Signal(
            "creator_removals_90d",
            "creator",
            "int",
            "90d",
            "automatic removals of the creator's videos in the last 90 days",
            lambda st, now: cr.days(st.removals_day, now),
            frozenset({"action"}),
        ),
        Signal(
            "creator_confirmed_90d",
            "creator",
            "int",
            "90d",
            "videos human reviewers found violating in the last 90 days",
            lambda st, now: cr.times_in_horizon(st.confirmed, now),
            frozenset({"confirmed"}),
        ),
        Signal(
            "creator_overturned_90d",
            "creator",
            "int",
            "90d",
            "appeals the creator won in the last 90 days",
            lambda st, now: cr.times_in_horizon(st.overturned, now),
            frozenset({"overturned"}),
        ),
    ]
    return s


def _trend() -> list[Signal]:
    up = frozenset({"upload"})
    return [
        Signal(
            "trend_kind",
            "trend",
            "string",
            "-",
            "what the key is: 'hashtag', 'audio', 'caption' (near-duplicate caption "
            "fingerprint) or 'area_region' (policy area:region, from reports and scores)",
            lambda st, now: st.kind,
            up,
        ),
        Signal(
            "trend_key",
            "trend",
            "string",
            "-",
            "the hashtag (lower case, without #), sound id, caption fingerprint or "
            "area:region such as hate:DE",
            lambda st, now: st.key,
            up,
        ),
        Signal(
            "trend_observed_5m",
            "trend",
            "int",
            "5m",
            "events under the key in 5 minutes (uploads; reports and confident scores for "
            "area:region keys)",
            lambda st, now: tr.observed(st),
            up,
        ),
        Signal(
            "trend_expected_5m",
            "trend",
            "double",
            "5m",
            "the detector's expected uploads in 5 minutes (baseline, with the cold-start prior)",
            lambda st, now: tr.expected(st),
            up,
        ),
        Signal(
            "trend_growth",
            "trend",
            "double",
            "5m",
            "observed / expected",
            lambda st, now: tr.observed(st) / tr.expected(st),
            up,
        ),
        Signal(
            "trend_creators_5m",
            "trend",
            "int",
            "5m",
            "distinct creators behind the key in 5 minutes (reporters, for report-driven "
            "area:region keys; exact up to 64)",
            lambda st, now: tr.creators_recent(st),
            up,
        ),
        Signal(
            "trend_total",
            "trend",
            "int",
            "lifetime",
            "events under the key since first seen",
            lambda st, now: st.total,
            up,
        ),
        Signal(
            "trend_age_minutes",
            "trend",
            "double",
            "-",
            "minutes since vigil first saw the key",
            lambda st, now: (st.wm - st.first_seen) / 60_000,
            up,
        ),
    ]


SIGNALS: dict[str, Signal] = {sig.name: sig for sig in _content() + _creator() + _trend()}
assert all(sig.touched_by for sig in SIGNALS.values()), "every signal names what changes it"

# The event kinds each target's rules can be triggered by.
EVENT_KINDS = {
    "content": tuple(sorted(ANY_CONTENT)),
    "creator": ("action", "confirmed", "overturned", "report", "reversed", "upload"),
    "trend": ("upload",),
}

# Values of each CEL type for checking conditions without live traffic: low, middle and high,
# so both sides of && and || get evaluated (and type-checked) in at least one of them.
SAMPLE_SETS: tuple[dict[str, Any], ...] = (
    {"int": 1, "double": 0.5, "bool": True, "string": "US"},
    {"int": 0, "double": 0.0, "bool": False, "string": ""},
    {"int": 100_000, "double": 1.0, "bool": True, "string": "hashtag"},
)


def for_target(target: str) -> dict[str, Signal]:
    """The signals a rule of this target may read."""
    return {n: sig for n, sig in SIGNALS.items() if sig.target == target}


def markdown() -> str:
    """The catalogue as a Markdown document (docs/signals.md is generated from this)."""
    lines = [
        "# vigil signals",
        "",
        "Generated from `signals/catalogue.py` by `vigil signals list --markdown`; a test fails",
        "when it drifts. Every name below can appear in a rule's `when` or `bands`. Counts are",
        "`int`, scores `double`; windows are event time.",
        "",
    ]
    for target in ("content", "creator", "trend"):
        lines += [
            f"## {target} rules",
            "",
            "| signal | type | window | meaning |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{s.name}` | {s.type} | {s.window} | {s.meaning} |"
            for s in SIGNALS.values()
            if s.target == target
        ]
        lines.append("")
    return "\n".join(lines)
