"""Stored state is a versioned record: what released versions wrote restores, and a newer or
misfitting record is refused.

The fixtures under snapshots/records are states (a sample of the demo day at scale 0.05, seed 11,
plus a video whose events wait for its upload) as released builds encoded them: encoding 1 is
vigil before region holds added fields to the content and creator states, encoding 2 is vigil
before the states became msgspec records, encoding 3 the build that added the
enforcement-quality join to the content state and the quality family, encoding 4 the build
that added reversals and the strike ladder (content 4, creator 3) and the rule family's
breakers (rule 1; the same sample plus a misfiring release, tests/misfire.py), encoding 5 the
build that added the review and queue families (review 1, queue 1; every family as that build
wrote it, from the demo day at scale 0.05, seed 11, and the misfiring release, plus review
states whose items a human cleared, from that day at scale 1). They are
never regenerated: they are what a deploy finds in a changelog.
"""

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from signals import records
from signals.breaker import RuleState
from signals.content import ContentState
from signals.creator import CreatorState
from signals.quality import QualityState
from signals.queues import QueueState
from signals.reviewitems import ItemsState
from signals.trend import Incident, TrendFact, TrendState

SNAPSHOTS = Path(__file__).parent / "snapshots" / "records"
FAMILIES: dict[str, Any] = {
    "content": ContentState,
    "creator": CreatorState,
    "trend": TrendState,
    "quality": QualityState,
    "rule": RuleState,
    "review": ItemsState,
    "queue": QueueState,
}
EMPTY: dict[str, Any] = {
    "content": ContentState,
    "creator": CreatorState,
    "trend": TrendState,
    "quality": lambda: QualityState("hate.x", 1, "hate", "US", "sha256:0"),
    "rule": RuleState,
    "review": ItemsState,
    "queue": lambda: QueueState("hate-speech"),
}
# the fields each encoding after the first added at the end, and what an older state reads as
# rule encoding 2 adds the would-be actions waiting for the content partitions' clocks, trend
# encoding 3 the facts waiting for them
ADDED: dict[str, dict[int, list[Any]]] = {"trend": {3: [[]]}, "quality": {}, "rule": {2: [[]]}}
CURRENT = {"content": 4, "creator": 3, "trend": 3, "quality": 2, "rule": 2, "review": 1, "queue": 1}
# the encoding each family's first fixture was written by
FIRST = {"content": 1, "creator": 1, "trend": 1, "quality": 3, "rule": 4, "review": 5, "queue": 5}
# content encoding 3 adds the quality join's fields before what waits for the region (which
# stays last, for the sweep's triage): decisions, verdicts, reported; 4 adds each decision's
# outcome and window (an older one reads as "", "") and the actions reversed
CONTENT_V3_ADDED = [[], [], []]
# creator encoding 3 adds strikes, removed strikes and ladder steps before what waits
CREATOR_V3_ADDED = [[], [], []]


def fixtures(encoding: int) -> list[dict[str, str]]:
    lines = (SNAPSHOTS / f"written-by-encoding-{encoding}.jsonl").read_text().splitlines()
    return [orjson.loads(line) for line in lines]


@pytest.mark.parametrize("encoding", [1, 2, 3, 4, 5, 6])
def test_states_a_released_version_wrote_restore_with_every_field_in_place(encoding: int) -> None:
    seen = set()
    for item in fixtures(encoding):
        family, data = item["family"], item["data"].encode()
        old: list[Any] = orjson.loads(data)
        state = FAMILIES[family].decode(data)
        now: list[Any] = orjson.loads(state.encode())
        assert now[0] == CURRENT[family]
        seen.add(family)
        if old[0] == CURRENT[family]:
            assert now == old, (family, item["key"])
        elif family == "trend" and old[0] == 1:
            _trend_migrated(records.trend(data), records.trend(state.encode()))
        elif family == "content":
            waited = old[-2:] if old[0] >= 2 else [[], {}]
            joined = (
                [[[*d, "", ""] for d in old[21]], old[22], old[23]]
                if old[0] == 3
                else CONTENT_V3_ADDED
            )
            assert now[1:] == old[1:21] + joined + [[]] + waited, item["key"]
        elif family == "quality":  # encoding 2 adds three counters to every day
            days = [[d, [*c, 0, 0, 0], a, r] for d, c, a, r in old[8]]
            assert now[1:] == [*old[1:8], days], item["key"]
        elif family == "creator":
            held = [old[-1]] if old[0] >= 2 else [[]]
            assert now[1:] == old[1:17] + CREATOR_V3_ADDED + held, item["key"]
        else:
            added = [f for v, fs in sorted(ADDED[family].items()) if v > old[0] for f in fs]
            assert now[1:] == old[1:] + added, (family, item["key"])
    assert seen == {f for f, first in FIRST.items() if first <= encoding}


def _trend_migrated(old: Any, now: Any) -> None:
    """Trend encoding 2 changed the detector and keeps every period not yet closed; the
    rest is as encoding 1 wrote it."""
    for name in records.TrendV1.__struct_fields__:
        if name not in ("det", "cur_count", "cur_creators"):
            assert getattr(now, name) == getattr(old, name), name
    assert (now.det is None) == (old.det is None)
    assert now.pending == (
        [(old.cur_period, old.cur_count, old.cur_creators)] if old.cur_period >= 0 else []
    )


def test_the_fixtures_hold_what_the_migrations_are_about() -> None:
    old = [orjson.loads(i["data"]) for i in fixtures(2) if i["family"] == "content"]
    assert any(s[-2] for s in old)  # events waiting for their video's region
    trends = [orjson.loads(i["data"]) for i in fixtures(2) if i["family"] == "trend"]
    assert any(s[12] for s in trends) and all(s[5] for s in trends)  # incidents, detectors
    videos = [orjson.loads(i["data"]) for i in fixtures(3) if i["family"] == "content"]
    assert any(s[21] and s[22] for s in videos)  # decisions met by reviews or appeals
    assert any(s[23] for s in videos)  # areas reported
    latest = [orjson.loads(i["data"]) for i in fixtures(4)]
    assert any(s[0] == 4 and s[-3] for s in latest if len(s) > 25)  # a video's reversals
    rules = [records.rule(i["data"].encode()) for i in fixtures(4) if i["family"] == "rule"]
    assert any(r.changes and r.held for r in rules)  # a breaker that tripped and held actions
    items = [
        records.review_items(i["data"].encode()) for i in fixtures(5) if i["family"] == "review"
    ]
    assert any(r.items for r in items) and any(r.cleared for r in items)  # waiting, and cleared
    queues = [records.queue(i["data"].encode()) for i in fixtures(5) if i["family"] == "queue"]
    assert any(q.waiting for q in queues) and any(q.hours for q in queues)
    trends = [records.trend(i["data"].encode()) for i in fixtures(6) if i["family"] == "trend"]
    assert any(isinstance(t, records.TrendV3) and t.waiting for t in trends)  # facts waiting


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_state_from_a_newer_vigil_is_refused_naming_its_encoding(family: str) -> None:
    data: list[Any] = orjson.loads(EMPTY[family]().encode())
    data[0] = CURRENT[family] + 1
    with pytest.raises(records.UnknownEncoding, match=rf"{family} state has encoding "):
        FAMILIES[family].decode(orjson.dumps(data))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_record_whose_fields_do_not_fit_its_version_is_refused(family: str) -> None:
    data: list[Any] = orjson.loads(EMPTY[family]().encode())
    # a quality key's version; a queue's wm (after its name); else wm
    data[{"quality": 2, "queue": 2}.get(family, 1)] = "not a number"
    with pytest.raises(records.UnknownEncoding, match=r"does not fit its version: Expected `int`"):
        FAMILIES[family].decode(orjson.dumps(data))
    with pytest.raises(records.UnknownEncoding, match="does not fit its version"):
        FAMILIES[family].decode(orjson.dumps(data[:-1]))  # a field short


ids = st.text(max_size=12)
counts = st.dictionaries(ids, st.integers(0, 2**53), max_size=4)
buckets = st.dictionaries(st.integers(0, 2**40), st.integers(1, 10**6), max_size=4)
scores = st.dictionaries(ids, st.floats(0, 1), max_size=4)


@given(
    st.integers(0, 2**53),
    ids,
    buckets,
    counts,
    st.dictionaries(ids, buckets, max_size=3),
    scores,
    st.lists(st.tuples(st.integers(0, 2**53), ids, ids, ids), max_size=3),
)
def test_a_content_state_survives_its_record(
    wm: int,
    creator: str,
    rep_min: dict[int, int],
    reporters: dict[str, int],
    area_hour: dict[str, dict[int, int]],
    score_max: dict[str, float],
    waiting: list[tuple[int, str, str, str]],
) -> None:
    s = ContentState()
    s.wm, s.creator_id, s.rep_min, s.reporters = wm, creator, rep_min, reporters
    s.area_hour, s.score_max, s.waiting = area_hour, score_max, sorted(waiting)
    back = ContentState.decode(s.encode())
    assert (back.wm, back.creator_id, back.rep_min, back.reporters) == (
        wm,
        creator,
        rep_min,
        reporters,
    )
    assert (back.area_hour, back.score_max, back.waiting) == (area_hour, score_max, s.waiting)
    assert back.encode() == s.encode()


@given(
    st.integers(0, 2**53),
    buckets,
    st.lists(st.integers(0, 2**53), max_size=4),
    st.lists(st.tuples(st.integers(0, 2**53), ids), max_size=3),
)
def test_a_creator_state_survives_its_record(
    wm: int, actions: dict[int, int], confirmed: list[int], held: list[tuple[int, str]]
) -> None:
    s = CreatorState()
    s.wm, s.actions_day, s.confirmed, s.held = wm, actions, confirmed, held
    back = CreatorState.decode(s.encode())
    assert (back.wm, back.actions_day, back.confirmed, back.held) == (wm, actions, confirmed, held)
    assert back.encode() == s.encode()


@given(st.none() | st.tuples(ids, st.integers(0, 3), st.integers(0, 2**53), st.booleans()))
def test_a_trend_state_keeps_its_incident(incident: tuple[str, int, int, bool] | None) -> None:
    s = TrendState()
    s.incident = None if incident is None else Incident(*incident)
    back = TrendState.decode(s.encode())
    assert back.incident == s.incident
    assert back.encode() == s.encode()


@given(st.lists(st.tuples(st.integers(0, 2**53), ids, ids, ids), max_size=4))
def test_a_trend_state_keeps_its_waiting_facts(waiting: list[tuple[int, str, str, str]]) -> None:
    s = TrendState()
    s.waiting = [TrendFact("hashtag", "x", ts, c, v, e, "US") for ts, c, v, e in sorted(waiting)]
    back = TrendState.decode(s.encode())
    assert [f.fields() for f in back.waiting] == [f.fields() for f in s.waiting]
    assert back.encode() == s.encode()


def test_a_trend_detector_of_encoding_1_keeps_its_baseline() -> None:
    from signals.detect import anscombe

    for item in fixtures(1) + fixtures(2):
        old: list[Any] = orjson.loads(item["data"])
        if item["family"] != "trend" or old[0] != 1 or old[5] is None:
            continue
        det = TrendState.decode(item["data"].encode()).det
        assert det is not None
        assert det.level == pytest.approx(anscombe(old[5][1]))  # the old count-scale level
        assert det.n == old[5][3] and det.open == old[5][5]
