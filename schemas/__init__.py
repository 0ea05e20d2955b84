"""vigil's event contracts: typed records for every topic, and the JSON Schema made from them."""

from schemas.common import (
    INPUT_TOPICS,
    MAX_MESSAGE_BYTES,
    OUTPUT_TOPICS,
    POLICY_AREAS,
    SCHEMA_VERSION,
    PolicyArea,
)
from schemas.inputs import ModelScore, Report, Review, Upload
from schemas.outputs import DeadLetter, Decision, RuleRef, Target, TrendAlert, TrendKey

__all__ = [
    "INPUT_TOPICS",
    "MAX_MESSAGE_BYTES",
    "OUTPUT_TOPICS",
    "POLICY_AREAS",
    "SCHEMA_VERSION",
    "DeadLetter",
    "Decision",
    "ModelScore",
    "PolicyArea",
    "Report",
    "Review",
    "RuleRef",
    "Target",
    "TrendAlert",
    "TrendKey",
    "Upload",
]
