"""Sessions of the on-call page: a signed cookie instead of the token, and a CSRF token.

Signing in with the API token (and a name, for the audit trail) sets a session cookie: the
name and an expiry, signed with a key derived from the token (HMAC-SHA256), HttpOnly (page
scripts never see it), SameSite=Strict (no other site's page sends it) and Secure on HTTPS.
The token itself is never stored, put in a URL or logged. A state-changing request must also
carry the session's CSRF token, derived from the cookie, in a header that a cross-site form
cannot set; rotating VIGIL_API_TOKEN ends every session.
"""

import base64
import hashlib
import hmac
import time

COOKIE = "vigil_session"
LIFETIME = 12 * 3600  # seconds a sign-in lasts: an on-call shift
NAME_MAX = 64


class Sessions:
    """Issues and checks the page's session cookies and CSRF tokens for one API token."""

    def __init__(self, token: str | None) -> None:
        self._token = token.encode() if token else None
        self._key = hmac.new(self._token or b"", b"vigil board session", hashlib.sha256).digest()

    @property
    def enabled(self) -> bool:
        """Without an API token nobody can sign in (the page fails closed)."""
        return self._token is not None

    def sign_in(self, token: str, name: str, now: float | None = None) -> str | None:
        """The cookie value for a correct token and a usable name, else None."""
        if self._token is None or not hmac.compare_digest(token.encode(), self._token):
            return None
        name = name.strip()
        if not name or len(name) > NAME_MAX or not name.isprintable():
            return None
        expires = int((now if now is not None else time.time()) + LIFETIME)
        body = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=") + f".{expires}"
        return f"{body}.{self._sign(body)}"

    def who(self, cookie: str | None, now: float | None = None) -> str | None:
        """The signed-in name of a cookie value, None when it is missing, forged or expired."""
        if self._token is None or not cookie or cookie.count(".") != 2:
            return None
        body, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        encoded, _, expires = body.partition(".")
        if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
            return None
        padded = encoded + "=" * (-len(encoded) % 4)
        try:
            return base64.urlsafe_b64decode(padded).decode()
        except (ValueError, UnicodeDecodeError):
            return None

    def csrf(self, cookie: str) -> str:
        """The CSRF token of a session: what its page sends back in X-CSRF-Token."""
        return self._sign("csrf:" + cookie)

    def csrf_ok(self, cookie: str | None, given: str | None) -> bool:
        """Whether a state-changing request carries its session's CSRF token."""
        return bool(cookie and given) and hmac.compare_digest(self.csrf(cookie or ""), given or "")

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()


__all__ = ["COOKIE", "LIFETIME", "Sessions"]
