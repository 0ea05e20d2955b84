"""`vigil golden` as a policy manager runs it: make a set, evaluate the pack, gate a change."""

import shutil
from pathlib import Path

import orjson
import pytest

from stream.config import SHIPPED_POLICIES
from tests.e2e.test_cli import vigil


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("golden") / "golden.jsonl"
    r = vigil("golden", "make", str(path), "--items", "300")
    assert r.returncode == 0, r.stderr
    assert b"wrote 300 items" in r.stdout
    return path


def test_eval_prints_rules_areas_outcomes_and_wrong_items(golden: Path) -> None:
    r = vigil("golden", "eval", str(golden))
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout.decode()
    for text in ("by rule", "by policy area", "outcomes: labelled", "items each rule got wrong"):
        assert text in out
    assert "hate.model_remove v1" in out
    assert "labels given after the freeze date not counted" in out


def test_eval_json_adds_up(golden: Path) -> None:
    r = vigil("golden", "eval", str(golden), "--json")
    assert r.returncode == 0, r.stderr
    doc = orjson.loads(r.stdout)
    assert doc["items"] == 300 and doc["failing"] == []
    for fig in [*doc["areas"].values(), *doc["rules"]]:
        assert fig["tp"] + fig["fp"] + fig["fn"] + fig["tn"] == fig["support"]
        lo, hi = fig["recall_ci"]
        assert fig["recall"] is None or lo <= fig["recall"] <= hi
    assert sum(c["items"] for c in doc["confusion"]) == doc["labels"]
    remove = next(x for x in doc["rules"] if x["rule"] == "hate.model_remove")
    assert remove["min_precision"] == 0.95
    assert len(remove["false_positives"]) == remove["fp"]


def test_a_looser_threshold_below_min_precision_fails_the_gate(
    golden: Path, tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(SHIPPED_POLICIES, pack)
    hate = pack / "hate.yaml"
    text = hate.read_text()
    assert "score_max_hate >= 0.85 && score_max_hate < 0.97" in text
    hate.write_text(text.replace("score_max_hate >= 0.85 &&", "score_max_hate >= 0.2 &&"))
    r = vigil("golden", "eval", str(golden), "--policies", str(pack))
    assert r.returncode == 1, r.stdout + r.stderr
    assert b"FAIL hate.model_limit: precision" in r.stdout
    assert b"below its min_precision 0.90" in r.stdout


def test_a_bad_line_names_file_and_line(golden: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = golden.read_bytes().splitlines()
    bad.write_bytes(b"\n".join([*lines[:3], b'{"record": "item", "item_id": "x"}', *lines[3:5]]))
    r = vigil("golden", "eval", str(bad))
    assert r.returncode == 2
    assert f"{bad}:4: Object missing required field".encode() in r.stderr
