"""The versioned records vigil stores and forwards: state in tables and changelogs, facts on the
re-keying topics.

A table value and its changelog record outlive the worker that wrote them: a deploy restores the
old version's state, and a rollback may meet a newer one. Each record is a msgspec struct
encoded as a JSON array whose first element is its version (the struct's tag): as compact as a
positional list, but typed, so decoding checks every field and the version picks the struct.

A released version's struct never changes. The next version subclasses it with the next tag and
adds its fields at the end, or, where a field changes its type, is a struct of its own
(TrendV2); the family's decode migrates the older ones (ContentState.decode,
TrendState.decode).
A version this build does not know, or a record whose fields do not fit its version, raises
UnknownEncoding: a newer worker's state is refused, never misread.
"""

from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")


class UnknownEncoding(ValueError):
    """A stored record written by an encoding this version of vigil does not read."""


class _Record(msgspec.Struct, array_like=True, gc=False):
    """A record encoded as `[version, field, ...]`; no reference cycles, so not GC-tracked."""


# -- content state ---------------------------------------------------------------------------
class ContentV1(_Record, tag=1):
    """Per-content state as vigil wrote it before region holds."""

    wm: int
    rep_wm: int
    verdict_ts: int
    upload_ts: int
    creator_id: str
    region: str
    language: str
    rep_min: list[int]  # windows.flatten: [bucket, count, bucket, count, ...]
    rep_hour: list[int]
    rep_total: int
    reporters: dict[str, int]
    area_hour: dict[str, list[int]]
    score_max: dict[str, float]
    score_latest: dict[str, float]
    verdict: str
    appeal: str
    fired: dict[str, int]
    recent: list[str]
    late: int
    acted: int


class ContentV2(ContentV1, tag=2):
    """Adds what waits for the video's region (signals.regionhold)."""

    waiting: list[tuple[int, str, str, str]]  # [ts, topic, event id, record as JSON]
    overflowed: dict[str, int]  # topic -> newest event applied early whose rules still wait


# (decision id, rule, rule version, policy area, region, pack hash, kind, ts)
QualityDecision = tuple[str, str, int, str, str, str, str, int]
# a QualityDecision and (outcome, decision window): what a reversal of it must say
ActedDecision = tuple[str, str, int, str, str, str, str, int, str, str]
# (event id, ts, kind review | appeal, outcome, policy area or "", action id or "")
QualityReview = tuple[str, int, str, str, str, str]


class ContentV3(_Record, tag=3):
    """Adds what the enforcement-quality join needs (signals.qualityjoin): the automatic
    decisions made on the video, the first review verdict per area and the areas reported.
    A struct of its own so that what waits for the region stays last (ContentState.triage
    reads it from the encoded bytes)."""

    wm: int
    rep_wm: int
    verdict_ts: int
    upload_ts: int
    creator_id: str
    region: str
    language: str
    rep_min: list[int]
    rep_hour: list[int]
    rep_total: int
    reporters: dict[str, int]
    area_hour: dict[str, list[int]]
    score_max: dict[str, float]
    score_latest: dict[str, float]
    verdict: str
    appeal: str
    fired: dict[str, int]
    recent: list[str]
    late: int
    acted: int
    decisions: list[QualityDecision]
    reviews: list[QualityReview]
    reported: list[str]  # policy areas the video was reported in
    waiting: list[tuple[int, str, str, str]]
    overflowed: dict[str, int]


class ContentV4(_Record, tag=4):
    """Each remembered decision adds its outcome and window, and the actions reversed by a
    human outcome are remembered (signals.reversal). What waits for the region stays last."""

    wm: int
    rep_wm: int
    verdict_ts: int
    upload_ts: int
    creator_id: str
    region: str
    language: str
    rep_min: list[int]
    rep_hour: list[int]
    rep_total: int
    reporters: dict[str, int]
    area_hour: dict[str, list[int]]
    score_max: dict[str, float]
    score_latest: dict[str, float]
    verdict: str
    appeal: str
    fired: dict[str, int]
    recent: list[str]
    late: int
    acted: int
    decisions: list[ActedDecision]
    reviews: list[QualityReview]
    reported: list[str]
    reversed: list[str]  # ids of the actions reversed
    waiting: list[tuple[int, str, str, str]]
    overflowed: dict[str, int]


# -- creator state ---------------------------------------------------------------------------
class CreatorV1(_Record, tag=1):
    """Per-creator state as vigil wrote it before region holds."""

    wm: int
    up_wm: int
    rep_wm: int
    up_min: list[int]
    up_hour: list[int]
    rep_min: list[int]
    rep_hour: list[int]
    reporters: dict[str, int]
    reported_content: dict[str, int]
    actions_day: list[int]
    removals_day: list[int]
    confirmed: list[int]
    overturned: list[int]
    fired: dict[str, int]
    recent: list[str]
    region: str


class CreatorV2(CreatorV1, tag=2):
    """Adds the creator facts whose rules wait for the region: [event time, kind]."""

    held: list[tuple[int, str]]


# (event time, policy area, the action's decision id, content id)
Strike = tuple[int, str, str, str]
# (decision id, policy area, outcome, event time reached, 1 once reversed)
LadderStep = tuple[str, str, str, int, int]


class CreatorV3(_Record, tag=3):
    """Adds the creator's strikes, the actions whose strikes were removed and the ladder
    steps taken (signals.ladder). What waits for the region stays last."""

    wm: int
    up_wm: int
    rep_wm: int
    up_min: list[int]
    up_hour: list[int]
    rep_min: list[int]
    rep_hour: list[int]
    reporters: dict[str, int]
    reported_content: dict[str, int]
    actions_day: list[int]
    removals_day: list[int]
    confirmed: list[int]
    overturned: list[int]
    fired: dict[str, int]
    recent: list[str]
    region: str
    strikes: list[Strike]
    revoked: list[str]
    steps: list[LadderStep]
    held: list[tuple[int, str]]


# -- trend state -----------------------------------------------------------------------------
class DetectorV1(msgspec.Struct, array_like=True, gc=False):
    """A series detector's baseline as vigil wrote it before the detector learned its tails
    (count-scale level, dispersion index), inside a TrendV1."""

    bucket: int
    level: float
    var: float
    n: int
    cusum: float
    hot: bool
    slots: list[tuple[int, float, int, int]]  # [slot, mean, buckets seen, first learned]


class DetectorV2(msgspec.Struct, array_like=True, gc=False):
    """A series detector (signals.detect.Detector), inside a TrendV2."""

    bucket: int
    kind: str  # counts | values
    level: float  # on the series' scale: 2 sqrt(count + 3/8) for counts (Anscombe)
    spread: float
    n: int
    up: tuple[float, float, int, int, bool]
    down: tuple[float, float, int, int, bool]
    open: bool
    opened: int
    closed: int
    calm: int
    slow: float
    cusum: float
    centred: bool
    slots: list[tuple[int, float, int, int]]  # [slot, offset, buckets seen, first learned]


class IncidentV1(msgspec.Struct, array_like=True, gc=False):
    """A trend key's newest incident (signals.trend.Incident), inside a trend record."""

    id: str
    severity: int
    fired_at: int
    open: bool


class TrendV1(_Record, tag=1):
    """Per-trend-key state as vigil wrote it with a DetectorV1."""

    wm: int
    first_seen: int
    total: int
    minutes: list[int]
    det: DetectorV1 | None
    cur_period: int
    cur_count: int
    cur_creators: dict[str, int]
    creators: dict[str, int]
    ccount: dict[str, int]
    samples: list[str]
    incident: IncidentV1 | None
    kind: str
    key: str
    fired: dict[str, int]
    recent: list[str]


class TrendV2(_Record, tag=2):
    """Per-trend-key state: a DetectorV2, and every period not yet closed."""

    wm: int
    first_seen: int
    total: int
    minutes: list[int]
    det: DetectorV2 | None
    cur_period: int  # the oldest period not yet closed
    pending: list[tuple[int, int, dict[str, int]]]  # [period, count, events per creator]
    creators: dict[str, int]
    ccount: dict[str, int]
    samples: list[str]
    incident: IncidentV1 | None
    kind: str
    key: str
    fired: dict[str, int]
    recent: list[str]
    judged: int = -1  # the newest period counted in the page budget (signals.budget)


# -- facts on the re-keying topics ------------------------------------------------------------
# CreatorFact.fields: kind, ts, creator_id, content_id, event_id, party, area, outcome, region
CreatorFields = tuple[str, int, str, str, str, str, str, str, str]
# TrendFact.fields: kind, key, ts, creator_id, content_id, event_id, region
TrendFields = tuple[str, str, int, str, str, str, str]


class TrendV3(TrendV2, tag=3):
    """Version 3 adds the facts that wait for the content partitions' clocks before the key
    applies them, in event-time order (signals.trend.release)."""

    waiting: list[TrendFields] = []


# RuleFact.fields: kind, rule_id, ts, decision (its output form), model, reason, by
RuleFields = tuple[str, str, int, dict[str, Any] | None, str, str, str]


# -- rule (breaker) state --------------------------------------------------------------------
# (event time, mode, reason, by): one change of a breaker
BreakerChange = tuple[int, str, str, str]


class RuleV1(_Record, tag=1):
    """One automatic rule's circuit breaker (signals.breaker)."""

    wm: int
    rule_id: str
    mode: str  # automatic | held
    changes: list[BreakerChange]  # newest last
    hot_at: int  # the newest event time a trip condition held
    minutes: list[int]  # would-be actions per minute, the last hour (flattened)
    regions: dict[str, list[int]]  # the same per region
    det: DetectorV2 | None
    cur_period: int  # the oldest period not yet fed to the detector
    judged: int  # the newest minute judged
    models: dict[str, list[int]]  # per model version: would-be actions per minute (flattened)
    examples: list[str]  # newest would-be actions' content ids
    recent: list[str]  # newest decision ids applied (the redelivery guard)
    held: list[str]  # decision ids held since the rule last tripped
    counts: tuple[int, int, int]  # actions passed, held, trips
    rate: float  # would-be actions per period: a day's weighted mean


class RuleV2(RuleV1, tag=2):
    """Version 2 adds the would-be actions and reversals that wait for the content
    partitions' clocks before their breaker decides them (signals.breaker)."""

    pending: list[RuleFields]  # in event-time order


# -- quality state ---------------------------------------------------------------------------
class QualityV1(_Record, tag=1):
    """The enforcement-quality figures of one key (signals.quality)."""

    rule: str
    version: int
    area: str
    region: str
    pack: str
    wm: int
    offsets: dict[int, int]  # Kafka partition -> newest offset applied
    # [day number, counters in signals.quality.COUNTERS order, the two histograms flattened]
    days: list[tuple[int, list[int], list[int], list[int]]]


class QualityV2(QualityV1, tag=2):
    """The same fields; each day's counters add the QA samples' three at the end (sampled,
    sample_judged, sample_upheld): an encoding 1 day reads them as 0."""


# QualityFact.fields: id, kind, rule, version, area, region, pack, ts, a, b, ms
QualityFields = tuple[str, str, str, int, str, str, str, int, str, str, int]


# -- review items and queues -----------------------------------------------------------------
# ItemFact.fields: kind, key, ts, id, queue, area, priority, due, ref, sort
ItemFields = tuple[str, str, int, str, str, str, int, int, str, str]
# QueueFact.fields: id, queue, kind, entered, priority, due, ts, was
QueueFields = tuple[str, str, str, int, int, int, int, int]
ItemTuple = tuple[str, str, int, str, int, int, str, str]  # reviewitems.Item


class ItemsV1(_Record, tag=1):
    """The review items of one key and the human outcomes it heard of (signals.reviewitems)."""

    wm: int
    items: list[ItemTuple]
    outcomes: list[tuple[str, int, str, str, str]]  # reviewitems.Outcome
    cleared: list[tuple[int, ItemTuple]]  # (when, item)


class QueueV1(_Record, tag=1):
    """One review queue's waiting items and hourly flow (signals.queues)."""

    name: str
    wm: int
    offsets: dict[int, int]  # Kafka partition -> newest offset applied
    waiting: list[tuple[int, list[int]]]  # [entry bucket, waiting per priority 1..5]
    hours: list[tuple[int, list[int]]]  # [hour, [entered, cleared, cleared late]]
    expired: int


class FactsV1(_Record, Generic[T], tag=1):
    """One record of packed facts (signals.facts), in the order they were produced."""

    facts: list[T]


class FactsV2(_Record, Generic[T], tag=2):
    """Packed facts and the sender's clocks: [content partition, event time] pairs, each
    the time before which that partition will send no more facts (ContentStage.trend_clocks)
    after this record. The content stage sends one without facts after a batch's facts."""

    facts: list[T]
    clocks: list[tuple[int, int]]


# -- encoding and decoding -------------------------------------------------------------------
encode = msgspec.json.Encoder().encode

_CONTENT = msgspec.json.Decoder(ContentV1 | ContentV2 | ContentV3 | ContentV4)
_CREATOR = msgspec.json.Decoder(CreatorV1 | CreatorV2 | CreatorV3)
_TREND = msgspec.json.Decoder(TrendV1 | TrendV2 | TrendV3)
_RULE = msgspec.json.Decoder(RuleV1 | RuleV2)
CREATOR_FACT_PACK = msgspec.json.Decoder(FactsV1[CreatorFields] | FactsV2[CreatorFields])
RULE_FACT_PACK = msgspec.json.Decoder(FactsV1[RuleFields] | FactsV2[RuleFields])
TREND_FACT_PACK = msgspec.json.Decoder(FactsV1[TrendFields] | FactsV2[TrendFields])
QUALITY_FACT_PACK = msgspec.json.Decoder(FactsV1[QualityFields] | FactsV2[QualityFields])
_QUALITY = msgspec.json.Decoder(QualityV1 | QualityV2)
ITEM_FACT_PACK = msgspec.json.Decoder(FactsV1[ItemFields] | FactsV2[ItemFields])
QUEUE_FACT_PACK = msgspec.json.Decoder(FactsV1[QueueFields] | FactsV2[QueueFields])
_ITEMS = msgspec.json.Decoder(ItemsV1)
_QUEUE = msgspec.json.Decoder(QueueV1)


def decode(family: str, decoder: "msgspec.json.Decoder[Any]", data: bytes) -> Any:
    """The record in data, or UnknownEncoding naming the family and what did not fit."""
    try:
        return decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        version = _version(data)
        if str(exc).endswith("at `$[0]`"):  # the tag: a version no struct here carries
            raise UnknownEncoding(
                f"{family} has encoding {version!r}, which this version of vigil does not "
                "read (was it written by a newer vigil?)"
            ) from None
        raise UnknownEncoding(
            f"{family} (encoding {version!r}) does not fit its version: {exc}"
        ) from None


def _version(data: bytes) -> object:
    try:
        value = msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return "unreadable"
    return value[0] if isinstance(value, list) and value else "missing"


def content(data: bytes) -> ContentV1 | ContentV3 | ContentV4:
    """A stored content state, in any version this build reads."""
    rec: ContentV1 | ContentV3 | ContentV4 = decode("content state", _CONTENT, data)
    return rec


def creator(data: bytes) -> CreatorV1 | CreatorV3:
    """A stored creator state, in any version this build reads."""
    rec: CreatorV1 | CreatorV3 = decode("creator state", _CREATOR, data)
    return rec


def trend(data: bytes) -> TrendV1 | TrendV2:
    """A stored trend state, in any version this build reads."""
    rec: TrendV1 | TrendV2 = decode("trend state", _TREND, data)
    return rec


def rule(data: bytes) -> RuleV1 | RuleV2:
    """A stored rule state, in any version this build reads."""
    rec: RuleV1 | RuleV2 = decode("rule state", _RULE, data)
    return rec


def quality(data: bytes) -> QualityV1:
    """A stored quality state, in any version this build reads."""
    rec: QualityV1 = decode("quality state", _QUALITY, data)
    return rec


def review_items(data: bytes) -> ItemsV1:
    """A stored review-items state, in any version this build reads."""
    rec: ItemsV1 = decode("review state", _ITEMS, data)
    return rec


def queue(data: bytes) -> QueueV1:
    """A stored review queue state, in any version this build reads."""
    rec: QueueV1 = decode("queue state", _QUEUE, data)
    return rec
