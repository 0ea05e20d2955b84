"""Hostile input never crashes vigil, is dead-lettered with its reason and harms no state."""

import time
from collections import Counter
from functools import cache

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.engine import Emit, Engine
from signals.pipeline import LocalPipeline
from stream.config import SHIPPED_POLICIES
from stream.demo.traffic import Message, synthetic_day
from stream.policyfiles import load_pack

from .hostile import Hostile, hostile

PACK = load_pack(SHIPPED_POLICIES)
CLOCK_MS = time.time_ns() // 1_000_000
SKEW_MS = 3_600_000


@cache
def day() -> list[Message]:
    return synthetic_day(seed=11, scale=0.02)


def run(extra: dict[int, list[Hostile]]) -> tuple[LocalPipeline, list[Emit], list[Emit]]:
    """Feed the day with hostile messages after the given positions: decisions, dead letters."""
    pipe = LocalPipeline(Engine(PACK), not_after=CLOCK_MS + SKEW_MS)
    decisions: list[Emit] = []
    dead: list[Emit] = []
    for i, m in enumerate(day()):
        for e in pipe.feed(m.topic, m.key.encode(), orjson.dumps(m.value)):
            (dead if e.topic == "dead-letter" else decisions).append(e)
        for h in extra.get(i, []):
            for e in pipe.feed(h.topic, h.key, h.raw):
                (dead if e.topic == "dead-letter" else decisions).append(e)
    return pipe, decisions, dead


@cache
def clean() -> tuple[LocalPipeline, list[Emit]]:
    pipe, decisions, dead = run({})
    assert dead == [] and len(decisions) > 20
    return pipe, decisions


def states(pipe: LocalPipeline) -> tuple[dict[str, bytes], ...]:
    return (
        {k: v.encode() for k, v in pipe.content.items()},
        {k: v.encode() for k, v in pipe.creators.items()},
        {k: v.encode() for k, v in pipe.trends.items()},
    )


@settings(max_examples=25)
@given(st.data())
def test_hostile_messages_are_dead_lettered_and_change_nothing(data: st.DataObject) -> None:
    events = day()
    attack = hostile(events, CLOCK_MS, events[0].ts)
    n = data.draw(st.integers(min_value=1, max_value=12))
    extra: dict[int, list[Hostile]] = {}
    for _ in range(n):  # after the first event: the watermark exists
        at = data.draw(st.integers(min_value=0, max_value=len(events) - 1))
        extra.setdefault(at, []).append(data.draw(attack))
    pipe, decisions, dead = run(extra)

    sent = [h for at in sorted(extra) for h in extra[at]]
    assert len(dead) == len(sent)
    for h, d in zip(sent, dead, strict=True):
        assert d.record.reason in h.reasons, (h.kind, d.record.reason, d.record.detail)  # type: ignore[attr-defined]
    base, base_decisions = clean()
    assert decisions == base_decisions
    assert states(pipe) == states(base)


def test_every_kind_of_hostile_message_is_covered() -> None:
    """The strategy reaches each kind; a kind it never draws would be a silent gap."""
    events = day()
    kinds: Counter[str] = Counter()

    @settings(max_examples=300, database=None)
    @given(hostile(events, CLOCK_MS, events[0].ts))
    def draw(h: Hostile) -> None:
        kinds[h.kind] += 1

    draw()
    assert len(kinds) == 10, kinds
