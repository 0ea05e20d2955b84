"""Which firing alerts are one event, and which key titles its page."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stream.notify.grouping import joined, merge


def firing(incident: str, value: str, kind: str, expected: float, videos: list[str]) -> Any:
    key = {"kind": kind, "value": value}
    return {
        "id": incident,
        "incident_id": incident,
        "key": key,
        "status": "firing",
        "expected": expected,
        "sample_content_ids": videos,
    }


CHALLENGE = [
    firing("i1", "fyp", "hashtag", 36.0, ["v1", "v2"]),
    firing("i2", "a-77", "audio", 3.8, ["v2", "v3"]),
    firing("i3", "0d9d", "caption", 1.0, ["v3"]),
    firing("i4", "dangerous_activities:US", "area_region", 1.0, ["v1"]),
    firing("i5", "blackoutchallenge2", "hashtag", 3.8, ["v1", "v4"]),
]


def test_keys_sharing_videos_merge_transitively_and_the_generic_tag_never_heads() -> None:
    other = firing("i9", "cats", "hashtag", 2.0, ["v100"])
    pages = merge([*CHALLENGE, other])
    assert [p["key"]["value"] for p in pages] == ["blackoutchallenge2", "cats"]
    head = pages[0]
    assert [k["value"] for k in head["keys"]] == [
        "blackoutchallenge2",  # a hashtag before a sound at the same expected count
        "a-77",
        "fyp",  # busy every day: a large expected count
        "0d9d",  # a caption's key is a fingerprint, after the readable ones
        "dangerous_activities:US",  # a whole policy area, last
    ]
    assert sorted(head["grouped_incident_ids"]) == ["i1", "i2", "i3", "i4", "i5"]


@given(st.permutations(CHALLENGE))
def test_the_page_does_not_depend_on_the_order_the_keys_fired_in(order: list[Any]) -> None:
    (page,) = merge(order)
    assert page["key"]["value"] == "blackoutchallenge2"
    assert [k["value"] for k in page["keys"]] == [k["value"] for k in merge(CHALLENGE)[0]["keys"]]


def test_a_late_key_joins_as_an_update_of_the_incident() -> None:
    late = firing("i7", "c2", "caption", 2.0, ["v1"])
    update = joined(late, "i5", [{"kind": "hashtag", "value": "blackoutchallenge2"}])
    assert update["status"] == "updated" and update["incident_id"] == "i5"
    assert update["keys"][-1] == late["key"] and update["id"] != late["id"]
