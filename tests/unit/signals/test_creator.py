"""Creator state: the sweep's triage of an encoded state agrees with decoding it."""

import orjson
from hypothesis import given
from hypothesis import strategies as st

from signals import creator as c
from signals.eventtime import DAY
from signals.sweeping import DECODE, EXPIRED, KEEP


@given(st.integers(0, 100 * DAY), st.integers(0, 200 * DAY), st.booleans())
def test_the_sweeps_triage_from_bytes_agrees_with_the_decoded_creator(
    wm: int, now: int, held: bool
) -> None:
    state = c.CreatorState()
    state.wm = wm
    if held:
        state.held = [(wm, "report")]
    data = state.encode()
    what = c.CreatorState.triage(data, now)
    if state.held or not wm:
        assert what == DECODE
    else:
        assert what == (EXPIRED if state.expired(now) else KEEP)
    old = orjson.dumps([1, *orjson.loads(data)[1:-1]])  # encoding 1: no triggers
    assert c.CreatorState.triage(old, now) == (
        DECODE if not wm else EXPIRED if now - wm > c.TTL else KEEP
    )
    assert c.CreatorState.decode(old).held == []
