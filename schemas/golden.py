"""Golden sets: ground truth that policy managers evaluate rules against (`vigil golden`).

A golden-set file is JSONL. Its first line may be a `GoldenSet` header (the set's name and
freeze date); every other line is one `GoldenItem`: a video or a creator, the events vigil
sees about it (as on the input topics), and its ground truth per policy area.
"""

from typing import Annotated, Any, Literal

import msgspec

from schemas.common import Id, PolicyArea, Region, SchemaVersion, Timestamp
from schemas.outputs import Outcome


class GoldenSet(msgspec.Struct, frozen=True, kw_only=True, tag_field="record", tag="set"):
    """The header line: labels given after `frozen_at` do not count when evaluating the set."""

    name: Id
    frozen_at: Timestamp | None = None
    description: str = ""
    schema_version: SchemaVersion = 1


class GoldenEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event about the item, as it appears on its input topic."""

    topic: Literal["uploads", "reports", "model-scores", "reviews"]
    value: Annotated[
        dict[str, Any],
        msgspec.Meta(description="the event as on its topic (upload, report, model-score, review)"),
    ]


class GoldenLabel(msgspec.Struct, frozen=True, kw_only=True):
    """The ground truth of an item in one policy area."""

    policy_area: PolicyArea
    violating: bool
    labelled_by: Id
    labelled_at: Timestamp
    expected_outcome: Annotated[
        Outcome | Literal["none"] | None,
        msgspec.Meta(description="the outcome the item should get in this area, where it matters"),
    ] = None


class GoldenItem(msgspec.Struct, frozen=True, kw_only=True, tag_field="record", tag="item"):
    """A video (target content) or a creator (target creator) with its events and labels."""

    item_id: Id
    target: Literal["content", "creator"]
    id: Annotated[Id, msgspec.Meta(description="the content_id or creator_id")]
    events: Annotated[list[GoldenEvent], msgspec.Meta(min_length=1, max_length=10_000)]
    labels: Annotated[list[GoldenLabel], msgspec.Meta(min_length=1)]
    region: Region | None = None
    stratum: Id | None = None
    schema_version: SchemaVersion = 1


GoldenLine = GoldenSet | GoldenItem
