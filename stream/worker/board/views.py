"""The on-call page's web views, on the worker's own web server (Faust's views).

GET  /board               the page, or the sign-in form without a session
POST /board/login         name and API token -> the session cookie (stream/worker/board/session.py)
POST /board/logout        ends the session
GET  /board/state         the panels as JSON (session), polled by the page
POST /board/act           acknowledge, snooze, trip, reset (session + CSRF token), sent with
                          the CLI's own code (stream/commands.py)
GET  /board/static/NAME   the page's script and style sheet (served from this package)

Every response forbids framing and caching, and the page's content security policy allows
scripts, styles and requests from the worker itself only.
"""

import functools
import html
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import orjson
import structlog
from faust.web import View

from schemas.outputs import OncallAction
from signals.policy import PolicyPack
from stream import commands
from stream.config import Settings
from stream.errors import VigilError
from stream.worker.board.panels import Board, panels
from stream.worker.board.session import COOKIE, LIFETIME, Sessions

log = structlog.get_logger("vigil.board")

STATIC = {"board.js": "text/javascript", "board.css": "text/css"}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}

Send = Callable[[Settings, OncallAction], Awaitable[None]]
Command = Callable[[Settings, commands.BreakerCommand, str, str, str], Awaitable[None]]


@functools.cache  # read once: they ship with the package
def _static(name: str) -> bytes:
    return resources.files("stream.worker.board").joinpath("static", name).read_bytes()


def _page(title: str, body: str, csrf: str = "", who: str = "") -> str:
    meta = f'<meta name="csrf-token" content="{html.escape(csrf)}">' if csrf else ""
    user = f'<meta name="signed-in-as" content="{html.escape(who)}">' if who else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>{meta}{user}"
        '<link rel="stylesheet" href="/board/static/board.css">'
        f"</head><body>{body}</body></html>\n"
    )


def sign_in_page(error: str = "") -> str:
    """The sign-in form: a name for the audit trail and the API token, posted, never in a URL."""
    problem = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _page(
        "vigil on-call: sign in",
        '<main class="signin"><h1>vigil on-call</h1>'
        f"{problem}"
        '<form method="post" action="/board/login">'
        '<label for="name">Your name</label>'
        '<input id="name" name="name" autocomplete="username" required maxlength="64">'
        '<label for="token">API token</label>'
        '<input id="token" name="token" type="password" autocomplete="current-password" required>'
        '<button type="submit">Sign in</button>'
        "</form></main>",
    )


def board_page(csrf: str, who: str) -> str:
    """The page's frame; board.js fills the panels from /board/state and keeps them live."""
    return _page(
        "vigil on-call",
        '<header><h1>vigil on-call</h1><p id="status" role="status" aria-live="polite">'
        "loading…</p>"
        f'<span class="who">signed in as {html.escape(who)}</span>'
        '<button type="button" id="logout">Sign out</button></header>'
        '<main id="board">'
        '<section aria-labelledby="h-incidents"><h2 id="h-incidents">Open trend incidents</h2>'
        '<div id="incidents"></div></section>'
        '<section aria-labelledby="h-queues"><h2 id="h-queues">Review queues</h2>'
        '<div id="queues"></div></section>'
        '<section aria-labelledby="h-rules"><h2 id="h-rules">Automatic rules and breakers</h2>'
        '<div id="rules"></div></section>'
        '<section aria-labelledby="h-quality"><h2 id="h-quality">Enforcement quality, 28 days'
        '</h2><div id="quality"></div></section>'
        "</main>"
        '<dialog id="act"><form id="act-form" method="dialog">'
        '<h2 id="act-title">Act</h2><p id="act-what"></p>'
        '<label for="act-for" id="act-for-label">For how long</label>'
        '<select id="act-for"><option value="30">30 minutes</option>'
        '<option value="120" selected>2 hours</option><option value="480">8 hours</option>'
        '<option value="1440">1 day</option></select>'
        '<label for="act-reason">Why (kept with the action)</label>'
        '<textarea id="act-reason" required maxlength="500" rows="3"></textarea>'
        '<p id="act-error" class="error" role="alert"></p>'
        '<div class="buttons"><button type="submit" id="act-go">Confirm</button>'
        '<button type="button" id="act-cancel">Cancel</button></div>'
        "</form></dialog>"
        '<script src="/board/static/board.js"></script>',
        csrf,
        who,
    )


def install(
    app: Any,
    settings: Settings,
    board: Board,
    pack: Callable[[], PolicyPack],
    send_action: Send = commands.send_oncall_action,
    send_command: Command = commands.send_breaker_command,
) -> Sessions:
    """Register the page's views on a Faust app; the sessions they check."""
    sessions = Sessions(settings.api_token)

    def secure(request: Any) -> bool:
        return bool(request.secure or request.headers.get("X-Forwarded-Proto") == "https")

    def who(request: Any) -> str | None:
        return sessions.who(request.cookies.get(COOKIE))

    def same_origin(request: Any) -> bool:
        """A browser names the page's origin on a state-changing request; another site's
        page would name its own (CSRF tokens stop it too: this is a second lock)."""
        origin = request.headers.get("Origin")
        return origin is None or origin.split("://", 1)[-1] == request.host

    class BoardPage(View):
        async def get(self, request: Any) -> Any:
            name = who(request)
            if name is None:
                return self.html(sign_in_page(), headers=dict(HEADERS))
            cookie = request.cookies[COOKIE]
            return self.html(board_page(sessions.csrf(cookie), name), headers=dict(HEADERS))

    class Login(View):
        async def post(self, request: Any) -> Any:
            form = await request.post()
            name, token = str(form.get("name", "")), str(form.get("token", ""))
            cookie = sessions.sign_in(token, name) if sessions.enabled else None
            if cookie is None:
                log.warning("board_sign_in_refused", configured=sessions.enabled)
                why = (
                    "wrong token, or a name missing"
                    if sessions.enabled
                    else "VIGIL_API_TOKEN is unset: nobody can sign in"
                )
                return self.html(sign_in_page(why), status=401, headers=dict(HEADERS))
            log.info("board_signed_in", by=name.strip())
            # aiohttp's response under Faust's type: it sets cookies
            resp: Any = self.html("", status=303, headers={**HEADERS, "Location": "/board"})
            resp.set_cookie(
                COOKIE, cookie, max_age=LIFETIME, path="/board", httponly=True,
                samesite="Strict", secure=secure(request),
            )  # fmt: skip
            return resp

    class Logout(View):
        async def post(self, request: Any) -> Any:
            cookie = request.cookies.get(COOKIE)
            if not sessions.csrf_ok(cookie, request.headers.get("X-CSRF-Token")):
                return self.json({"error": "not signed in"}, status=403, headers=dict(HEADERS))
            resp: Any = self.json({"ok": True}, headers=dict(HEADERS))
            resp.del_cookie(COOKIE, path="/board")
            return resp

    class State(View):
        async def get(self, request: Any) -> Any:
            if who(request) is None:
                return self.json({"error": "sign in first"}, status=401, headers=dict(HEADERS))
            return self.json(panels(board, datetime.now(UTC)), headers=dict(HEADERS))

    class Act(View):
        async def post(self, request: Any) -> Any:
            name = who(request)
            cookie = request.cookies.get(COOKIE)
            if name is None:
                return self.json({"error": "sign in first"}, status=401, headers=dict(HEADERS))
            csrf = request.headers.get("X-CSRF-Token")
            if not sessions.csrf_ok(cookie, csrf) or not same_origin(request):
                log.warning("board_action_refused", by=name, why="csrf")
                return self.json({"error": "refused"}, status=403, headers=dict(HEADERS))
            try:
                body = orjson.loads(await request.read())
                message = await act(body if isinstance(body, dict) else {}, name)
            except (VigilError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                return self.json({"error": str(exc)}, status=400, headers=dict(HEADERS))
            return self.json({"ok": True, "message": message}, headers=dict(HEADERS))

    class Static(View):
        async def get(self, request: Any, name: str) -> Any:
            if name not in STATIC:
                return self.json({"error": "no such file"}, status=404)
            return self.bytes(_static(name), content_type=STATIC[name], headers=dict(HEADERS))

    async def act(body: dict[str, Any], name: str) -> str:
        """Carry out one action from the page, as the CLI would; logged with who did what
        (the why travels with the action on its topic, not into logs)."""
        action, reason = str(body["action"]), str(body.get("reason", ""))
        now = datetime.now(UTC)
        if action == "ack":
            record = commands.acknowledgement(str(body["incident_id"]), name, reason, now)
            await send_action(settings, record)
            target = record.incident_id
        elif action == "snooze":
            minutes = int(body["minutes"])
            record = commands.snooze(
                str(body["kind"]), str(body["value"]), timedelta(minutes=minutes), name,
                reason, now,
            )  # fmt: skip
            await send_action(settings, record)
            target = f"{body['kind']}:{body['value']}"
        elif action in ("trip", "reset"):
            rule_id = str(body["rule_id"])
            rule = pack().rule(rule_id)
            if rule is None or not rule.acts:
                raise VigilError(f"rule {rule_id!r} is not an automatic rule of the running pack")
            await send_command(
                settings, "trip" if action == "trip" else "reset", rule_id, reason, name
            )
            target = rule_id
        else:
            raise VigilError(f"unknown action {action!r}")
        log.info("board_action", action=action, target=target, by=name)
        return f"{action} of {target} sent"

    app.page("/board")(BoardPage)
    app.page("/board/login")(Login)
    app.page("/board/logout")(Logout)
    app.page("/board/state")(State)
    app.page("/board/act")(Act)
    app.page("/board/static/{name}")(Static)
    return sessions


__all__ = ["board_page", "install", "sign_in_page"]
