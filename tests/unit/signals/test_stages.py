"""The content stage's clocks: how far each partition has sent its facts, for the trend and
rule families to close on (signals.facts), and when a region hold's actions count."""

from typing import Any

from signals.engine import Engine
from signals.stages import ContentStage
from stream.config import SHIPPED_POLICIES
from stream.policyfiles import load_pack

from .events import MIN, T0, Msg, report, score, upload


def fed(stage: ContentStage, states: dict[str, Any], partition: int, *msgs: Msg) -> None:
    for topic, key, value in msgs:
        stage.feed(topic, key, value, partition, states, None, {})


def test_a_partition_whose_reports_wait_for_their_uploads_holds_the_trend_clock() -> None:
    stage, states = ContentStage(Engine(load_pack(SHIPPED_POLICIES))), {}
    fed(stage, states, 0, upload("v0", at=0), upload("v2", at=30 * MIN))
    # partition 1 read reports first: its uploads, and the scores' area facts, are to come
    fed(stage, states, 1, report("v1", at=5 * MIN), report("v1", reporter="p2", at=20 * MIN))
    assert stage.trend_clocks() == {0: T0 + 30 * MIN, 1: T0 + 5 * MIN}
    assert stage.trend_clock() == T0 + 5 * MIN
    assert stage.rule_clocks() == {0: T0 + 30 * MIN}  # would-be actions: uploads only
    fed(stage, states, 1, upload("v1", at=25 * MIN))  # the hold ends with its upload
    assert stage.trend_clocks() == {0: T0 + 30 * MIN, 1: T0 + 25 * MIN}
    assert stage.rule_clocks() == {0: T0 + 30 * MIN, 1: T0 + 25 * MIN}


def test_the_actions_a_region_hold_kept_reach_their_breaker_as_of_its_end() -> None:
    engine = Engine(load_pack(SHIPPED_POLICIES))
    stage, states = ContentStage(engine), {}
    fed(stage, states, 0, score("v1", at=MIN, hate=0.99))
    assert engine.take_rule_facts() == []  # it waits for the video's region
    fed(stage, states, 0, upload("v1", at=4 * MIN))
    facts = engine.take_rule_facts()
    assert [(f.rule_id, f.ts) for f in facts] == [("hate.model_remove", T0 + 4 * MIN)]
    assert facts[0].decision is not None and facts[0].decision.ts == "2026-11-20T10:01:00Z"
