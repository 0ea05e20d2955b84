"""The input decoder: every bad message becomes Rejected with a reason, never another error."""

import json

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.common import POLICY_AREAS
from schemas.inputs import ModelScore, Report, Review, Upload
from signals.decode import Rejected, decode

UPLOAD = {
    "event_id": "e1",
    "ts": "2026-11-20T10:00:00Z",
    "content_id": "v1",
    "creator_id": "u1",
    "region": "US",
    "language": "en",
    "hashtags": ["a"],
    "audio_id": "a1",
    "caption": "hi",
}
REPORT = {
    "event_id": "e2",
    "ts": 1795168800000,
    "report_id": "r1",
    "content_id": "v1",
    "creator_id": "u1",
    "reporter_id": "p1",
    "reason": "hate",
    "region": "DE",
}
SCORE = {
    "event_id": "e3",
    "ts": "2026-11-20T10:00:05Z",
    "content_id": "v1",
    "creator_id": "u1",
    "model": "m",
    "model_version": "1",
    "scores": {"hate": 0.9, "spam": 0.1},
}
REVIEW = {
    "event_id": "e4",
    "ts": "2026-11-20T11:00:00Z",
    "content_id": "v1",
    "kind": "appeal",
    "outcome": "overturned",
    "reviewer": "rev-1",
    "action_id": "x",
}


@pytest.mark.parametrize(
    ("topic", "value", "record"),
    [
        ("uploads", UPLOAD, Upload),
        ("reports", REPORT, Report),
        ("model-scores", SCORE, ModelScore),
        ("reviews", REVIEW, Review),
    ],
)
def test_valid_events_decode(topic: str, value: dict[str, object], record: type) -> None:
    ev = decode(topic, b"v1", orjson.dumps(value))
    assert isinstance(ev.record, record)
    assert ev.ts >= 1795168800000


def reason(topic: str, key: bytes | None, raw: bytes) -> str:
    with pytest.raises(Rejected) as exc:
        decode(topic, key, raw)
    return exc.value.reason


def test_each_kind_of_bad_input_has_its_reason() -> None:
    assert reason("uploads", b"v1", b'{"event_id": ') == "malformed_json"
    assert reason("uploads", b"v1", b"\xff\xfe\x00") == "malformed_json"
    assert reason("uploads", b"v1", orjson.dumps({**UPLOAD, "creator_id": 5})) == "invalid_field"
    no_region = {k: v for k, v in UPLOAD.items() if k != "region"}
    assert reason("uploads", b"v1", orjson.dumps(no_region)) == "invalid_field"
    assert (
        reason("uploads", b"v1", orjson.dumps({**UPLOAD, "schema_version": 2}))
        == "unknown_schema_version"
    )
    # a v2 record that would not even validate as v1 is still reported as a version problem
    assert (
        reason("uploads", b"v1", orjson.dumps({"schema_version": 3, "new": 1}))
        == "unknown_schema_version"
    )
    assert (
        reason("uploads", b"v1", orjson.dumps({**UPLOAD, "caption": "x" * 70_000})) == "oversized"
    )
    assert reason("uploads", b"v2", orjson.dumps(UPLOAD)) == "key_mismatch"
    assert reason("uploads", None, orjson.dumps(UPLOAD)) == "key_mismatch"
    assert reason("likes", b"v1", orjson.dumps(UPLOAD)) == "unknown_topic"
    assert reason("uploads", b"v1", orjson.dumps({**UPLOAD, "ts": "tomorrow"})) == "invalid_field"
    assert (
        reason("model-scores", b"v1", orjson.dumps({**SCORE, "scores": {"hate": 1.5}}))
        == "invalid_field"
    )
    assert (
        reason("model-scores", b"v1", orjson.dumps({**SCORE, "scores": {"not_an_area": 0.5}}))
        == "invalid_field"
    )
    assert (
        reason("reviews", b"v1", orjson.dumps({**REVIEW, "outcome": "violating"}))
        == "invalid_field"
    )


def test_rejection_detail_never_echoes_field_values() -> None:
    secret = "my home address is 1 Main St"
    with pytest.raises(Rejected) as exc:
        decode("uploads", b"v1", orjson.dumps({**UPLOAD, "caption": secret, "region": 7}))
    assert secret not in exc.value.detail
    assert "$.region" in exc.value.detail


@given(st.binary(max_size=300), st.sampled_from(["uploads", "reports", "model-scores", "reviews"]))
def test_arbitrary_bytes_never_raise_anything_but_rejected(raw: bytes, topic: str) -> None:
    try:
        decode(topic, b"v1", raw)
    except Rejected as r:
        assert r.reason in {
            "malformed_json",
            "invalid_field",
            "unknown_schema_version",
            "key_mismatch",
            "oversized",
        }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.sampled_from(sorted(SCORE)), json_values))
def test_wrongly_typed_json_objects_are_rejected_or_valid(value: dict[str, object]) -> None:
    try:
        # the stdlib encoder, so integers beyond 64 bits reach the decoder too
        ev = decode("model-scores", b"v1", json.dumps({**SCORE, **value}).encode())
    except Rejected:
        return
    assert isinstance(ev.record, ModelScore)
    assert all(a in POLICY_AREAS and 0 <= p <= 1 for a, p in ev.record.scores.items())


def rejected(topic: str, raw: bytes, key: bytes = b"v1") -> Rejected:
    with pytest.raises(Rejected) as exc:
        decode(topic, key, raw)
    return exc.value


def test_a_duplicate_key_is_refused_naming_the_field_not_its_values() -> None:
    raw = (
        b'{"event_id":"e3","ts":"2026-11-20T10:00:05Z","content_id":"v1","creator_id":"u1",'
        b'"model":"m","model_version":"1","scores":{"hate":0.1,"hate":0.99}}'
    )
    r = rejected("model-scores", raw)
    assert (r.reason, r.detail) == ("malformed_json", "duplicate key `hate` - at `$.scores`")
    twice = b'{"content_id":"v1",' + orjson.dumps(UPLOAD)[1:]
    assert rejected("uploads", twice).detail == "duplicate key `content_id` - at `$`"
    # a repeated unknown field is refused too, and its name is not echoed
    extra = orjson.dumps(UPLOAD)[:-1] + b',"CANARYx":1,"CANARYx":2}'
    r = rejected("uploads", extra)
    assert r.reason == "malformed_json" and "CANARY" not in r.detail


@pytest.mark.parametrize(
    "bad",
    [
        "h-\u202egnp.exe",
        "nul\x00",
        "bell\x07",
        "tab\tid",
        "zw\u200b",
        "tag\U000e0041",
        "line\u2028",
        "nbsp\u00a0id",
    ],
)
@pytest.mark.parametrize("field", ["event_id", "content_id", "creator_id", "audio_id"])
def test_ids_must_be_printable(bad: str, field: str) -> None:
    value = {**UPLOAD, field: bad}
    key = bad.encode() if field == "content_id" else b"v1"
    r = rejected("uploads", orjson.dumps(value), key)
    assert (r.reason, r.detail) == (
        "invalid_field",
        f"a character that is not printable - at `$.{field}`",
    )


def test_printable_unicode_and_spaces_are_fine_in_ids() -> None:
    value = {**UPLOAD, "creator_id": "Zoë 山田 🎬", "hashtags": ["日本", "café"]}
    assert decode("uploads", b"v1", orjson.dumps(value)).record.creator_id == "Zoë 山田 🎬"
    r = rejected("uploads", orjson.dumps({**UPLOAD, "hashtags": ["ok", "b\u202ead"]}))
    assert r.detail == "a character that is not printable - at `$.hashtags[1]`"


def test_offsets_are_converted_to_utc_and_only_rfc_3339_is_read() -> None:
    east = decode("uploads", b"v1", orjson.dumps({**UPLOAD, "ts": "2026-11-20T12:00:00+02:00"}))
    assert east.ts == decode("uploads", b"v1", orjson.dumps(UPLOAD)).ts
    for loose in [
        "2026-11-20T10:00:00",
        "20261120T100000Z",
        "2026-W47-5T10:00Z",
        "2026-11-20",
        "1795168800000",
    ]:
        r = rejected("uploads", orjson.dumps({**UPLOAD, "ts": loose}))
        assert r.reason == "invalid_field" and r.detail.endswith("- at `$.ts`"), loose


CANARY = "CANARY-5521"
canaries = st.sampled_from(
    [
        CANARY,
        f"{CANARY}\u202e",
        f"x{CANARY}" * 40,
        10**400,
        -(10**30),
        [CANARY],
        {CANARY: CANARY},
        f"{CANARY}:00Z",
    ]
)


@given(
    st.sampled_from(
        [("uploads", UPLOAD), ("reports", REPORT), ("model-scores", SCORE), ("reviews", REVIEW)]
    ),
    st.data(),
)
def test_no_detail_ever_echoes_a_value(
    case: tuple[str, dict[str, object]], data: st.DataObject
) -> None:
    topic, base = case
    field = data.draw(st.sampled_from(sorted(base)))
    value = {**base, field: data.draw(canaries)}
    if field == "scores":
        value["scores"] = data.draw(st.sampled_from([{CANARY: 0.5}, {"hate": CANARY}]))
    try:
        decode(topic, b"v1", json.dumps(value).encode())
    except Rejected as r:
        assert "CANARY" not in r.detail and "5521" not in r.detail, (field, r.detail)
