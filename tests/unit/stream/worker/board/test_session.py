"""Sessions of the on-call page: a signed, expiring cookie, never the token; CSRF per session."""

from hypothesis import given
from hypothesis import strategies as st

from stream.worker.board.session import LIFETIME, Sessions

T = 1_800_000_000.0


def test_a_right_token_signs_in_and_the_cookie_names_who() -> None:
    s = Sessions("s3cret-token")
    cookie = s.sign_in("s3cret-token", " ana ", now=T)
    assert cookie is not None and "s3cret-token" not in cookie
    assert s.who(cookie, now=T + 60) == "ana"
    assert s.who(cookie, now=T + LIFETIME + 1) is None  # an on-call shift, then sign in again


def test_a_wrong_token_a_missing_name_or_no_token_at_all_signs_nobody_in() -> None:
    s = Sessions("s3cret-token")
    assert s.sign_in("guess", "ana", now=T) is None
    assert s.sign_in("s3cret-token", "  ", now=T) is None
    assert s.sign_in("s3cret-token", "a\nb", now=T) is None
    closed = Sessions(None)
    assert not closed.enabled and closed.sign_in("", "ana", now=T) is None
    assert closed.who("anything.1.2") is None


def test_a_cookie_of_another_token_or_edited_is_refused() -> None:
    cookie = Sessions("one").sign_in("one", "ana", now=T)
    assert cookie is not None
    assert Sessions("two").who(cookie, now=T) is None  # rotating the token ends sessions
    body, _, sig = cookie.rpartition(".")
    name, _, expires = body.partition(".")
    longer = f"{name}.{int(expires) + 10**6}.{sig}"
    assert Sessions("one").who(longer, now=T) is None


@given(st.text(max_size=80))
def test_no_made_up_cookie_is_taken(cookie: str) -> None:
    assert Sessions("one").who(cookie, now=T) is None


def test_the_csrf_token_belongs_to_its_session() -> None:
    s = Sessions("one")
    a, b = s.sign_in("one", "ana", now=T), s.sign_in("one", "ben", now=T)
    assert a and b
    assert s.csrf_ok(a, s.csrf(a)) and not s.csrf_ok(a, s.csrf(b))
    assert not s.csrf_ok(a, None) and not s.csrf_ok(None, s.csrf(a))
