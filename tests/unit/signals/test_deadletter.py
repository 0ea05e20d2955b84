"""Dead letters are bounded, findable and unique per occurrence."""

import base64
import hashlib

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from schemas.common import DEAD_LETTER_KEEP_BYTES
from signals.deadletter import dead_letter, dead_letter_key


@given(st.integers(0, 6 * 1024 * 1024).map(lambda n: b"x" * n))
def test_a_dead_letter_is_bounded_and_names_the_whole(raw: bytes) -> None:
    d = dead_letter("uploads", raw, "oversized", "too big", key=b"v1", partition=2, offset=7)
    kept = base64.b64decode(d.original_b64)
    assert kept == raw[:DEAD_LETTER_KEEP_BYTES]
    assert d.original_truncated == (len(raw) > DEAD_LETTER_KEEP_BYTES)
    assert d.original_size == len(raw)
    assert d.original_sha256 == hashlib.sha256(raw).hexdigest()
    assert len(msgspec.json.encode(d)) < 90 * 1024  # far under any Kafka message limit


def test_ids_are_per_occurrence_and_stable() -> None:
    raw = b'{"bad": true}'
    first = dead_letter("uploads", raw, "invalid_field", "x", partition=0, offset=1)
    again = dead_letter("uploads", raw, "invalid_field", "x", partition=0, offset=1)
    later = dead_letter("uploads", raw, "invalid_field", "x", partition=0, offset=2)
    assert first.id == again.id != later.id
    assert (
        dead_letter("x", raw, "malformed_json", "", line=3).id
        != dead_letter("x", raw, "malformed_json", "", line=4).id
    )


def test_the_kafka_key_is_the_original_key_only_when_it_looks_like_an_id() -> None:
    d = dead_letter("uploads", b"{}", "invalid_field", "x")
    assert dead_letter_key(d, b"v00012") == "v00012"
    for odd in (None, b"", b"x" * 129, b"\xff\xfe", "h\u202ex".encode()):
        assert dead_letter_key(d, odd) == d.id, odd


def test_a_long_or_unprintable_source_topic_is_kept_printable_and_short() -> None:
    d = dead_letter("enforce\u202ement-actions" + "x" * 300, b"{}", "unknown_topic", "x")
    assert d.source_topic.isprintable() and len(d.source_topic) <= 128
