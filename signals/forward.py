"""The facts a content event forwards to the creator and trend families.

The content family sees every input event; the creator and trend families see only these
compact facts, re-keyed by creator id and trend key (signals.facts packs them for Kafka):
an upload is a creator upload and a fact per hashtag, sound and near-duplicate caption; a
report is a creator report and a policy area x region fact (weighted by distinct reporters);
a human verdict that confirms or overturns is a creator fact; a confident score is a policy
area x region fact, once the video's region is known.
"""

from schemas.inputs import ModelScore, Report, Review, Upload
from signals import content, creator, trend
from signals.decode import Event
from signals.fingerprint import caption_key

AREA_SCORE = 0.8  # a model score this high counts under its policy area x region trend key


def on_arrival(ev: Event) -> bool:
    """Whether the event's facts go out when it arrives, even before the video's upload:
    they read nothing of the video's state."""
    return isinstance(ev.record, Report)


def forward(
    ev: Event, state: content.ContentState
) -> tuple[list[creator.CreatorFact], list[trend.TrendFact]]:
    """The facts a content event contributes to the creator and trend families."""
    rec = ev.record
    if isinstance(rec, Upload):
        facts = [
            creator.CreatorFact(
                creator.UPLOAD,
                ev.ts,
                rec.creator_id,
                rec.content_id,
                rec.event_id,
                region=rec.region,
            )
        ]
        tags = dict.fromkeys(t.lstrip("#").lower() for t in rec.hashtags)
        trends = [
            trend.TrendFact(
                "hashtag", t, ev.ts, rec.creator_id, rec.content_id, rec.event_id, rec.region
            )
            for t in tags
            if t
        ]
        if rec.audio_id:
            trends.append(
                trend.TrendFact(
                    "audio",
                    rec.audio_id,
                    ev.ts,
                    rec.creator_id,
                    rec.content_id,
                    rec.event_id,
                    rec.region,
                )
            )
        fp = caption_key(rec.caption)
        if fp:
            trends.append(
                trend.TrendFact(
                    "caption", fp, ev.ts, rec.creator_id, rec.content_id, rec.event_id, rec.region
                )
            )
        return facts, trends
    if isinstance(rec, Report):
        # policy area x region: weighted by distinct reporters, so one account cannot fake it
        return [
            creator.CreatorFact(
                creator.REPORT,
                ev.ts,
                rec.creator_id,
                rec.content_id,
                rec.event_id,
                party=rec.reporter_id,
                area=rec.reason,
            )
        ], [
            trend.TrendFact(
                "area_region",
                f"{rec.reason}:{rec.region}",
                ev.ts,
                rec.reporter_id,
                rec.content_id,
                rec.event_id,
                rec.region,
            )
        ]
    if isinstance(rec, Review):
        who = rec.creator_id or state.creator_id
        kind = {"violating": creator.CONFIRMED, "overturned": creator.OVERTURNED}.get(rec.outcome)
        if who and kind:
            return [
                creator.CreatorFact(
                    kind, ev.ts, who, rec.content_id, rec.event_id, area=rec.policy_area or ""
                )
            ], []
        return [], []
    assert isinstance(rec, ModelScore)
    if not state.region:
        return [], []
    # confident scores count under policy area x region, weighted by distinct creators
    return [], [
        trend.TrendFact(
            "area_region",
            f"{area}:{state.region}",
            ev.ts,
            rec.creator_id,
            rec.content_id,
            rec.event_id,
            state.region,
        )
        for area, p in rec.scores.items()
        if p >= AREA_SCORE
    ]
