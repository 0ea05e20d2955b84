"""Shared vocabulary of the contracts: policy areas, topic names, size limits, field types."""

from datetime import datetime
from typing import Annotated, Final, Literal, get_args

import msgspec

SCHEMA_VERSION: Final = 1

PolicyArea = Literal[
    "harassment_bullying",
    "hate",
    "violent_extremism",
    "dangerous_activities",
    "shocking_graphic",
    "self_harm",
    "child_safety",
    "human_exploitation",
    "integrity_authenticity",
    "regulated_goods",
    "spam",
]
POLICY_AREAS: Final[tuple[str, ...]] = get_args(PolicyArea)

# ISO 3166-1 alpha-2 country codes: the regions policy rules may override.
_REGION_CODES = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
"""
REGIONS: Final = frozenset(_REGION_CODES.split())

# Topic names, defined once. Input topics carry content_id as the Kafka key; outputs carry the
# target id.
UPLOADS: Final = "uploads"
REPORTS: Final = "reports"
MODEL_SCORES: Final = "model-scores"
REVIEWS: Final = "reviews"
ENFORCEMENT_ACTIONS: Final = "enforcement-actions"
ESCALATIONS: Final = "escalations"
TREND_ALERTS: Final = "trend-alerts"
SHADOW_ACTIONS: Final = "shadow-actions"
DEAD_LETTER: Final = "dead-letter"
ENFORCEMENT_QUALITY: Final = "enforcement-quality"  # compacted: one record per quality key
RULE_STATE: Final = "rule-state"  # compacted: each automatic rule's breaker, by rule id
REVIEW_QUEUES: Final = "review-queues"  # compacted: each human review queue, by name
# compacted: on-call acknowledgements of trend incidents and snoozes of trend keys
ONCALL_ACTIONS: Final = "oncall-actions"
INPUT_TOPICS: Final = (UPLOADS, REPORTS, MODEL_SCORES, REVIEWS)
OUTPUT_TOPICS: Final = (ENFORCEMENT_ACTIONS, ESCALATIONS, TREND_ALERTS, SHADOW_ACTIONS, DEAD_LETTER)

# Input limits. A message over any of them is dead-lettered, never truncated.
MAX_MESSAGE_BYTES: Final = 64 * 1024
# A dead letter keeps at most this much of the original (base64), with its size and SHA-256:
# every message vigil could have accepted is kept whole, and a dead letter always fits in a
# Kafka message, whatever arrived.
DEAD_LETTER_KEEP_BYTES: Final = MAX_MESSAGE_BYTES
DEAD_LETTER_KEY_BYTES: Final = 1024  # of the original's Kafka key
MAX_ID_LEN: Final = 128
MAX_CAPTION_LEN: Final = 2200
MAX_HASHTAGS: Final = 30
MAX_HASHTAG_LEN: Final = 100
MAX_SCORES: Final = 32
MAX_NESTING: Final = 16  # arrays and objects inside one another, unknown fields included
MAX_FUTURE_SKEW_MS: Final = 60 * 60 * 1000  # event times may run this far ahead of the clock
MAX_STALENESS_MS: Final = 7 * 24 * 60 * 60 * 1000  # ...and this far behind the newest event seen

SAFE_TEXT = (
    "printable characters only: no control, format (bidirectional overrides, zero-width, tag), "
    "surrogate, private-use or unassigned characters, and no separator but the ASCII space "
    "(Python's str.isprintable)"
)
Id = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_ID_LEN,
        description=f"1 to {MAX_ID_LEN} characters, {SAFE_TEXT}",
    ),
]
Region = Annotated[
    str,
    msgspec.Meta(pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code"),
]
Language = Annotated[
    str, msgspec.Meta(min_length=2, max_length=35, description=f"BCP 47 tag, {SAFE_TEXT}")
]
Timestamp = Annotated[
    Annotated[datetime, msgspec.Meta(tz=True)] | int,
    msgspec.Meta(
        description=(
            "event time: an RFC 3339 date-time with its offset, such as 2026-11-20T10:00:00Z "
            "(another offset is accepted and converted to UTC: outputs are always UTC), or "
            "epoch milliseconds; years 2000 to 2200"
        )
    ),
]
Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
SchemaVersion = Annotated[int, msgspec.Meta(description="contract version; 1 today")]
