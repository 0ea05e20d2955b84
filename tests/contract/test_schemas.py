"""The committed JSON Schema files are what the records generate, and outputs obey them."""

from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from schemas import DeadLetter, Decision, TrendAlert
from schemas.export import COMMITTED_DIR, schema_documents
from schemas.outputs import QueueStatus, RuleStatus
from signals.engine import Engine
from signals.pipeline import LocalPipeline
from stream.cli import app
from stream.config import SHIPPED_POLICIES
from stream.demo.traffic import bad_lines, synthetic_day
from stream.envelope import BadLine, parse_lines
from stream.policyfiles import load_pack


def test_committed_schemas_match_the_records() -> None:
    generated = schema_documents()
    committed = {p.name: p.read_bytes() for p in COMMITTED_DIR.glob("*.json")}
    assert committed.keys() == generated.keys(), "run `make schemas` and commit schemas/json"
    for name, data in generated.items():
        assert committed[name] == data, f"{name} drifted from its record: run `make schemas`"


def test_cli_export_writes_the_same_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schemas", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == schema_documents()


@pytest.fixture(scope="module")
def outputs() -> list:
    pipe = LocalPipeline(Engine(load_pack(SHIPPED_POLICIES)))
    lines = [m.line() for m in synthetic_day(seed=11, scale=0.1)] + bad_lines()
    out = []
    for item in parse_lines(lines):
        if isinstance(item, BadLine):
            continue
        out.extend(pipe.feed(item.topic, item.key, item.value))
    return out


RECORD = {
    "enforcement-actions": Decision,
    "escalations": Decision,
    "shadow-actions": Decision,
    "trend-alerts": TrendAlert,
    "dead-letter": DeadLetter,
    "rule-state": RuleStatus,
    "review-queues": QueueStatus,
}


def test_every_output_round_trips_through_its_contract(outputs: list) -> None:
    seen = set()
    for e in outputs:
        data = msgspec.json.encode(e.record)
        assert msgspec.json.decode(data, type=RECORD[e.topic]) == e.record
        seen.add(e.topic)
    assert seen >= {"enforcement-actions", "escalations", "dead-letter", "review-queues"}


def test_output_keys_are_target_ids(outputs: list) -> None:
    for e in outputs:
        if isinstance(e.record, Decision):
            d = e.record
            assert e.key == d.target.id
            if d.kind == "reversal":  # what it undoes, and which human outcome or strike
                assert d.reverses and d.outcome == "reinstate"
                assert d.evidence.get("human") or d.evidence.get("removed_strike")
            elif d.rule.id.startswith("ladder."):  # a strike ladder step and its strikes
                assert d.evidence["active_strikes"] and d.evidence["step"]
            else:
                assert d.evidence["condition"] and d.evidence["signals"]


def test_signal_catalogue_document_is_current() -> None:
    from signals.catalogue import markdown

    doc = Path(__file__).parents[2] / "docs" / "signals.md"
    assert doc.read_text() == markdown() + "\n", "run `vigil signals list --markdown`"


def test_the_readme_names_the_dead_letter_fields_the_record_has() -> None:
    """The README once called `source_topic` `topic`: every field its dead-letter paragraph
    names in backticks is one of the record's."""
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("A dead letter always fits in a Kafka message")
    paragraph = readme[start : readme.index("\n\n", start)]
    named = set(re.findall(r"`([a-z_0-9]+)`", paragraph))
    assert named <= set(DeadLetter.__struct_fields__), sorted(named)
    assert {"original_b64", "original_size", "original_sha256", "source_topic", "key_b64"} <= named
