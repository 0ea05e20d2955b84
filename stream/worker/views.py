"""The worker's web views: /health and /metrics (open), /trends, incident pages and
/enforcement and /queues (token).

/health answers 503 while the worker cannot make progress (stream/worker/vitals.py), so a supervisor
or load balancer takes it out. /metrics is Prometheus. /trends lists the worker's open
incidents and /trends/{kind}/{value} shows one key's: the default VIGIL_DASHBOARD_LINK of
every trend alert points there. /enforcement serves the enforcement-quality records of the
quality keys the worker holds, /queues the statuses of the review queues it holds.
"""

from collections.abc import Callable
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import signals
from signals.policy import PolicyPack
from stream.worker.incidents import ActiveTrends
from stream.worker.vitals import Vitals
from stream.worker.webauth import require_token

log = structlog.get_logger("vigil.web")


def install(
    app: Any,
    token: str | None,
    vitals: Vitals,
    pack: Callable[[], PolicyPack],
    active: ActiveTrends,
    figures: Callable[[], list[dict[str, Any]]],
    queues: Callable[[], list[dict[str, Any]]],
) -> None:
    """Register the views on a Faust app."""

    async def health(web: Any, request: Any) -> Any:
        problem = vitals.problem()
        running = pack()
        return web.json(
            {
                "status": problem or "ok",
                "reason": vitals.reason(),
                "pack_hash": running.hash,
                "rules": len(running.rules),
                "engine": signals.BUILD,
            },
            status=503 if problem else 200,
        )

    async def prometheus(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    async def trends(web: Any, request: Any) -> Any:
        return web.json({"trends": active.rows()})

    async def incident(web: Any, request: Any, kind: str, value: str) -> Any:
        rows = active.of_key(kind, value, request.query.get("incident"))
        if not rows:
            return web.json(
                {
                    "error": "no such incident on this worker (it may be on another "
                    "worker, or resolved long ago)"
                },
                status=404,
            )
        return web.json({"trends": rows})

    async def enforcement(web: Any, request: Any) -> Any:
        # the quality keys of the partitions this worker holds: `vigil report --url` merges
        # every worker's, or reads the compacted enforcement-quality topic (--kafka)
        return web.json({"records": figures()})

    async def review_queues(web: Any, request: Any) -> Any:
        # the queues of the partitions this worker holds: `vigil queues --url` merges every
        # worker's, or reads the compacted review-queues topic (--kafka)
        return web.json({"queues": queues()})

    if not token:
        log.warning(
            "api_token_missing",
            detail="VIGIL_API_TOKEN is unset: /trends, /enforcement and /queues refuse "
            "every request; /health and /metrics stay open",
        )
    app.page("/trends")(require_token(token, trends))
    app.page("/trends/{kind}/{value}")(require_token(token, incident))
    app.page("/enforcement")(require_token(token, enforcement))
    app.page("/queues")(require_token(token, review_queues))
    app.page("/health")(health)
    app.page("/metrics")(prometheus)
