import inspect

import orjson
from hypothesis import given
from hypothesis import strategies as hs

from signals import content as c
from signals.eventtime import DAY, HOUR

from .events import MIN, event, report, review, score, upload


def fold(*msgs: tuple[str, bytes, bytes]) -> c.ContentState:
    st = c.ContentState()
    for m in msgs:
        c.apply(st, event(m), DAY)
    return st


def test_reports_fill_windows_and_distinct_reporters() -> None:
    st = fold(upload(), *[report(reporter=f"p{i % 3}", at=i * MIN) for i in range(10)])
    now = st.wm
    assert c.reports(st, now, 5 * MIN) == 5
    assert c.reports(st, now, HOUR) == 10
    assert c.distinct_reporters(st, HOUR) == 3
    assert c.area_reports(st, now, "hate") == 10
    assert st.rep_total == 10


def test_scores_keep_max_and_latest() -> None:
    st = fold(score(hate=0.9), score(hate=0.2, spam=0.4, at=MIN))
    assert st.score_max == {"hate": 0.9, "spam": 0.4}
    assert st.score_latest["hate"] == 0.2


def test_report_windows_ignore_later_events_of_other_topics() -> None:
    # a review three hours later must not push these reports out of the last-hour window
    in_order = fold(report(at=0), report(reporter="p2", at=MIN), review(at=3 * HOUR))
    review_first = fold(review(at=3 * HOUR), report(at=0), report(reporter="p2", at=MIN))
    for st in (in_order, review_first):
        assert c.reports(st, st.wm, HOUR) == 2


def test_a_report_older_than_the_longest_window_is_late() -> None:
    st = fold(report(at=2 * DAY), report(reporter="p2", at=0))
    assert st.late == 1 and st.rep_total == 2
    assert c.reports(st, st.wm, DAY) == 1


def test_human_clearance_applies_from_its_event_time_on() -> None:
    st = fold(upload(), review(outcome="not_violating", at=HOUR))
    cleared_at = st.upload_ts + HOUR
    assert not c.human_cleared(st, cleared_at - 1)
    assert c.human_cleared(st, cleared_at)
    st2 = fold(review(kind="appeal", outcome="upheld", at=HOUR))
    assert not c.human_cleared(st2, st2.wm + 1)


def test_encoding_roundtrip_preserves_everything() -> None:
    st = fold(
        upload(),
        score(hate=0.7),
        *[report(reporter=f"p{i}", at=i * MIN) for i in range(5)],
        review(outcome="violating", at=HOUR),
    )
    st.fired["rule@1"] = 0
    back = c.ContentState.decode(st.encode())
    fields = [n for n, v in vars(c.ContentState).items() if inspect.isdatadescriptor(v)]
    assert "reporters" in fields  # slots in Python, attributes of a compiled class alike
    assert {f: getattr(back, f) for f in fields} == {f: getattr(st, f) for f in fields}


def test_state_is_bounded_under_a_flood_of_reports() -> None:
    st = fold(*[report(reporter=f"p{i}", at=i * 1000) for i in range(3000)])
    assert len(st.reporters) <= c.REPORTER_CAP * 5 // 4
    assert len(st.rep_min) <= 61 and len(st.rep_hour) <= 25
    assert len(st.recent) == c.RECENT_IDS


def test_expiry_is_in_event_time() -> None:
    st = fold(upload())
    assert not st.expired(st.wm + c.TTL)
    assert st.expired(st.wm + c.TTL + 1)


@given(hs.integers(0, 10 * DAY), hs.integers(0, 20 * DAY), hs.booleans(), hs.booleans())
def test_the_sweeps_triage_from_bytes_agrees_with_the_decoded_state(
    wm: int, now: int, waits: bool, overflowed: bool
) -> None:
    from signals.content import ContentState
    from signals.sweeping import DECODE, EXPIRED, KEEP

    state = ContentState()
    state.wm = wm
    if waits:
        state.waiting = [(wm + 5, "reports", "e1", "{}")]
    if overflowed:
        state.overflowed = {"reports": wm + 1}
    data = state.encode()
    what = ContentState.triage(data, now)
    if state.waiting or state.overflowed or not wm:
        assert what == DECODE  # something waits for the region: the sweep must look
    else:
        assert what == (EXPIRED if state.expired(now) else KEEP)
    # a state written before holds existed (encoding 1: no waiting lists) reads the same
    old = orjson.dumps([1, *orjson.loads(data)[1:-2]])
    assert ContentState.triage(old, now) == (
        DECODE if not wm else EXPIRED if now - wm > c.TTL else KEEP
    )
    assert ContentState.decode(old).wm == wm
