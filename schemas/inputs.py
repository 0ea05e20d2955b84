"""Records on vigil's input topics: uploads, reports, model-scores, reviews (key: content_id)."""

from typing import Annotated, Literal

import msgspec

from schemas.common import (
    MAX_CAPTION_LEN,
    MAX_HASHTAG_LEN,
    MAX_HASHTAGS,
    MAX_SCORES,
    SAFE_TEXT,
    Id,
    Language,
    PolicyArea,
    Probability,
    Region,
    SchemaVersion,
    Timestamp,
)

Hashtag = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_HASHTAG_LEN,
        description=f"1 to {MAX_HASHTAG_LEN} characters, {SAFE_TEXT}",
    ),
]


class Upload(msgspec.Struct, frozen=True, kw_only=True):
    """A video published by a creator (topic `uploads`)."""

    event_id: Id
    ts: Timestamp
    content_id: Id
    creator_id: Id
    region: Region
    language: Language
    hashtags: Annotated[list[Hashtag], msgspec.Meta(max_length=MAX_HASHTAGS)] = []
    audio_id: Id | None = None
    caption: Annotated[str, msgspec.Meta(max_length=MAX_CAPTION_LEN)] = ""
    schema_version: SchemaVersion = 1


class Report(msgspec.Struct, frozen=True, kw_only=True):
    """A user report against a video (topic `reports`); reason is the reported policy area."""

    event_id: Id
    ts: Timestamp
    report_id: Id
    content_id: Id
    creator_id: Id
    reporter_id: Id
    reason: PolicyArea
    region: Region
    schema_version: SchemaVersion = 1


class ModelScore(msgspec.Struct, frozen=True, kw_only=True):
    """Classifier output for a video (topic `model-scores`): probability per policy area."""

    event_id: Id
    ts: Timestamp
    content_id: Id
    creator_id: Id
    model: Id
    model_version: Id
    scores: Annotated[dict[PolicyArea, Probability], msgspec.Meta(max_length=MAX_SCORES)]
    schema_version: SchemaVersion = 1


ReviewOutcome = Literal["violating", "not_violating", "upheld", "overturned"]


class Review(msgspec.Struct, frozen=True, kw_only=True):
    """A human decision (topic `reviews`).

    kind `review` carries outcome violating | not_violating; kind `appeal` carries upheld |
    overturned, and action_id names the automatic action appealed; kind `qa` is the review of
    a QA sample of automatic actions (violating | not_violating, action_id: the sampled
    action; see `sample_of` on the escalation that asked for it).
    """

    event_id: Id
    ts: Timestamp
    content_id: Id
    kind: Literal["review", "appeal", "qa"]
    outcome: ReviewOutcome
    reviewer: Id
    action_id: Id | None = None
    policy_area: PolicyArea | None = None
    creator_id: Id | None = None
    schema_version: SchemaVersion = 1


InputRecord = Upload | Report | ModelScore | Review


class Versioned(msgspec.Struct):
    """Only the contract version of a record, to tell a newer contract from a broken record."""

    schema_version: object = 1


RECORD_FOR_TOPIC: dict[str, type[Upload] | type[Report] | type[ModelScore] | type[Review]] = {
    "uploads": Upload,
    "reports": Report,
    "model-scores": ModelScore,
    "reviews": Review,
}
