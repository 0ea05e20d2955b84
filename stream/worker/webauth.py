"""Bearer-token guard for the worker's web views: only /health and /metrics are open.

The token comes from VIGIL_API_TOKEN. Without one the guarded views refuse every request
(fail closed): an operator who forgot to set it gets a 401 and a startup warning, not an
open view of what is spiking.
"""

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

log = structlog.get_logger("vigil.web")

Handler = Callable[..., Awaitable[Any]]  # (web, request, **path parameters)


def require_token(token: str | None, handler: Handler) -> Handler:
    """Wrap a Faust page handler so it answers only requests bearing this token."""
    expected = f"Bearer {token}".encode() if token else None

    async def guarded(web: Any, request: Any, **params: Any) -> Any:
        given = request.headers.get("Authorization", "").encode()
        if expected is None or not hmac.compare_digest(given, expected):
            # the header itself is never logged: it may carry a near-miss secret
            log.warning("web_unauthorized", path=request.path, configured=expected is not None)
            return web.json(
                {"error": "a valid bearer token is required"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="vigil"'},
            )
        return await handler(web, request, **params)

    return guarded
