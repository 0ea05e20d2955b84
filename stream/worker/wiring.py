"""How a worker's parts are wired into its Faust app: agents and the batch routing, the web
views, the sweep, policy reloads, topic limits and the notifier."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import faust

from schemas.common import INPUT_TOPICS
from stream.topics import (
    CREATOR_FACTS,
    QUALITY_FACTS,
    QUEUE_FACTS,
    REVIEW_FACTS,
    RULE_COMMANDS,
    RULE_FACTS,
    TREND_FACTS,
    size_limits,
    written_by_worker,
)
from stream.worker import views
from stream.worker.board import views as board
from stream.worker.policyreload import follow_topic, watch_directory
from stream.worker.sweep import sweep
from stream.worker.transport import fetch

if TYPE_CHECKING:
    from stream.worker.runtime import Runtime

LIMITS_REFRESH_SECONDS = 60.0
FULL_PUBLISH_EVERY = 60  # quality publishes between two of every key the worker holds


def _raw() -> faust.Schema:  # type: ignore[type-arg]
    """A fresh raw-bytes schema for a topic. Never share one object: Faust mutates a Schema it
    is given, which once silently turned a shared topic's keys into JSON and stalled it."""
    return faust.Schema(key_serializer="raw", value_serializer="raw")


def wire(rt: "Runtime") -> None:
    """Register the runtime's agents, routes, views, timers and tasks on its app."""
    s, app = rt.settings, rt.app
    n = s.partitions
    inputs = app.topic(*[s.topic(t) for t in INPUT_TOPICS], schema=_raw())
    creator_topic = app.topic(s.topic(CREATOR_FACTS), schema=_raw(), partitions=n)
    trend_topic = app.topic(s.topic(TREND_FACTS), schema=_raw(), partitions=n)
    quality_topic = app.topic(s.topic(QUALITY_FACTS), schema=_raw(), partitions=n)
    review_topic = app.topic(s.topic(REVIEW_FACTS), schema=_raw(), partitions=n)
    queue_topic = app.topic(s.topic(QUEUE_FACTS), schema=_raw(), partitions=n)
    # the breakers' facts and the commands resetting them, co-partitioned: one agent
    rule_topic = app.topic(s.topic(RULE_FACTS), s.topic(RULE_COMMANDS), schema=_raw(), partitions=n)

    # The agents subscribe the topics and tie the tables to their partitions; the records
    # themselves reach the batch functions through fetch.route, a poll at a time. Were
    # one to reach an agent's stream anyway, it is processed all the same.
    def agent(batch: fetch.Handler) -> Callable[[Any], Any]:
        async def run(stream: Any) -> None:  # faust.Stream; its stubs lack take_events
            async for events in stream.take_events(s.batch_size, 0.05):
                publish = await batch([e.message for e in events])
                await publish()

        return run

    app.agent(inputs, name="vigil.content")(agent(rt.content_batch))
    app.agent(creator_topic, name="vigil.creator")(agent(rt.creator_batch))
    app.agent(trend_topic, name="vigil.trend")(agent(rt.trend_batch))
    app.agent(quality_topic, name="vigil.quality")(agent(rt.quality_batch))
    app.agent(rule_topic, name="vigil.rule")(agent(rt.rule_batch))
    app.agent(review_topic, name="vigil.review")(agent(rt.review_batch))
    app.agent(queue_topic, name="vigil.queue")(agent(rt.queue_batch))
    fetch.route(
        app,
        {
            **{s.topic(t): rt.content_batch for t in INPUT_TOPICS},
            s.topic(CREATOR_FACTS): rt.creator_batch,
            s.topic(TREND_FACTS): rt.trend_batch,
            s.topic(QUALITY_FACTS): rt.quality_batch,
            s.topic(RULE_FACTS): rt.rule_batch,
            s.topic(RULE_COMMANDS): rt.rule_batch,
            s.topic(REVIEW_FACTS): rt.review_batch,
            s.topic(QUEUE_FACTS): rt.queue_batch,
        },
        aligned=[s.topic(t) for t in INPUT_TOPICS],
    )  # every family's clock is fed from them

    views.install(
        app, s.api_token, rt.vitals, lambda: rt.engine.pack, rt.active, rt.figures.quality_records,
        rt.figures.queue_statuses,
    )  # fmt: skip
    board.install(app, s, rt.board, lambda: rt.engine.pack)  # the on-call page

    async def sweep_tables() -> None:
        await sweep(
            rt.families,
            rt.watermark,
            rt.engine,
            rt.publish,
            rt.limits,
            rt.settings.partitions,
            rt.content_stage.trend_clock(),
        )

    app.timer(s.sweep_seconds)(sweep_tables)
    app.timer(1.0)(rt.release_waiting)
    ticks = [0]

    async def quality_figures() -> None:
        ticks[0] += 1
        everything = ticks[0] % FULL_PUBLISH_EVERY == 1
        await rt.figures.publish_quality(everything=everything)
        await rt.figures.publish_queues(everything=everything)

    app.timer(s.quality_publish_seconds)(quality_figures)

    async def policy_files() -> None:
        await watch_directory(rt.packs, s.policies, s.policy_poll_seconds)

    async def policy_topic() -> None:
        await follow_topic(rt.packs, s)

    async def topic_limits() -> None:  # changelogs appear after start; limits may change
        rt.limits.update(await size_limits(s, written_by_worker(s)))

    async def follow_deployment() -> None:
        await rt.feed.run()

    app.task(policy_files)
    app.task(policy_topic)
    app.task(follow_deployment)
    app.timer(LIMITS_REFRESH_SECONDS)(topic_limits)
    if rt.notifier is not None:
        notifier = rt.notifier

        async def notify() -> None:
            await notifier.run()

        app.task(notify)
