"""Generate the JSON Schema files for consumers in other languages from the typed records."""

from pathlib import Path
from typing import Any

import msgspec
import orjson

from schemas.golden import GoldenItem, GoldenSet
from schemas.inputs import ModelScore, Report, Review, Upload
from schemas.outputs import (
    DeadLetter,
    Decision,
    OncallAction,
    QueueStatus,
    RuleStatus,
    TrendAlert,
)
from schemas.quality import EnforcementQuality

# file stem -> (record, topics it describes)
SCHEMA_FILES: dict[str, tuple[type[msgspec.Struct], tuple[str, ...]]] = {
    "upload": (Upload, ("uploads",)),
    "report": (Report, ("reports",)),
    "model-score": (ModelScore, ("model-scores",)),
    "review": (Review, ("reviews",)),
    "decision": (Decision, ("enforcement-actions", "escalations", "shadow-actions")),
    "trend-alert": (TrendAlert, ("trend-alerts",)),
    "dead-letter": (DeadLetter, ("dead-letter",)),
    "enforcement-quality": (EnforcementQuality, ("enforcement-quality",)),
    "rule-status": (RuleStatus, ("rule-state",)),
    "queue-status": (QueueStatus, ("review-queues",)),
    "oncall-action": (OncallAction, ("oncall-actions",)),
    # file formats, not topics
    "golden-set": (GoldenSet, ()),
    "golden-item": (GoldenItem, ()),
}

COMMITTED_DIR = Path(__file__).parent / "json"


def schema_documents() -> dict[str, bytes]:
    """Return file name -> JSON Schema document bytes, deterministic."""
    out: dict[str, bytes] = {}
    for stem, (record, topics) in SCHEMA_FILES.items():
        doc: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"vigil/{stem}.v1.json",
            "title": record.__name__,
            "x-vigil-topics": list(topics),
            **msgspec.json.schema(record),
        }
        opts = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        out[f"{stem}.v1.json"] = orjson.dumps(doc, option=opts) + b"\n"
    return out


def export(directory: Path) -> list[Path]:
    """Write every schema document into directory; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in schema_documents().items():
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written
