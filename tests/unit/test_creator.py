"""Creator state: the sweep's cheap look at an encoded state agrees with decoding it."""

import orjson
from hypothesis import given
from hypothesis import strategies as st

from signals import creator as c
from signals.eventtime import DAY


@given(st.integers(0, 100 * DAY), st.integers(0, 200 * DAY), st.booleans())
def test_the_sweep_decodes_every_creator_that_may_have_expired_or_waits(
    wm: int, now: int, held: bool
) -> None:
    state = c.CreatorState()
    state.wm = wm
    if held:
        state.held = [[wm, "report"]]
    data = state.encode()
    if state.expired(now) or state.held:
        assert c.CreatorState.needs_sweep(data, now)
    elif wm:
        assert not c.CreatorState.needs_sweep(data, now)
    old = orjson.dumps([1, *orjson.loads(data)[1:-1]])  # encoding 1: no triggers
    assert c.CreatorState.needs_sweep(old, now) == (wm == 0 or now - wm > c.TTL)
    assert c.CreatorState.decode(old).held == []
