"""`vigil golden` as a policy manager runs it: make a set, evaluate the pack, gate a change."""

from pathlib import Path

import orjson
import pytest

from tests.e2e.test_cli import vigil
from tests.packs import edited_pack


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
    looser = "score_max_hate >= 0.2 && score_max_hate < 0.97"
    pack = edited_pack(
        tmp_path, "hate.yaml", "score_max_hate >= 0.85 && score_max_hate < 0.97", looser
    )
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


def test_eval_groups_the_causes_of_errors(golden: Path) -> None:
    r = vigil("golden", "eval", str(golden))
    out = r.stdout.decode()
    assert "root causes" in out
    assert "hate.model_remove: " in out and "false negatives: `score_max_hate < 0.97`" in out
    doc = orjson.loads(vigil("golden", "eval", str(golden), "--json").stdout)
    groups = doc["root_causes"]
    wrong = sum(x["fp"] + x["fn"] for x in doc["rules"])
    assert sum(g["errors"] for g in groups) == wrong


def test_why_traces_one_item(golden: Path) -> None:
    doc = orjson.loads(vigil("golden", "eval", str(golden), "--json").stdout)
    limit = next(x for x in doc["rules"] if x["rule"] == "hate.model_limit")
    item = limit["false_positives"][0]
    r = vigil("golden", "eval", str(golden), "--why", item)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert f"item {item}" in out
    assert "hate.model_limit: false positive" in out
    assert "why: `score_max_hate >= 0.85` (read 0." in out
    r = vigil("golden", "eval", str(golden), "--why", "no-such-item")
    assert r.returncode == 2 and b"has no item 'no-such-item'" in r.stderr


def test_sweep_prints_curves_and_the_critical_threshold(golden: Path, tmp_path: Path) -> None:
    png = tmp_path / "sweep.png"
    r = vigil(
        "golden",
        "sweep",
        str(golden),
        "--rule",
        "hate.corroborated_review",
        "--target-precision",
        "0.85",
        "--png",
        str(png),
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "`score_max_hate >= 0.6` (now 0.6)" in out and "`reports_24h_hate >= 2` (now 2)" in out
    assert "critical threshold: `score_max_hate >= 0.6` at" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    curves = orjson.loads(
        vigil(
            "golden",
            "sweep",
            str(golden),
            "--rule",
            "hate.corroborated_review",
            "--threshold",
            "reports_24h_hate",
            "--json",
        ).stdout
    )
    assert [c["threshold"] for c in curves] == ["reports_24h_hate >= 2"]
    assert any(p["value"] == 2 for p in curves[0]["points"])


def test_sweep_refuses_what_it_cannot_vary(golden: Path) -> None:
    r = vigil("golden", "sweep", str(golden), "--rule", "hate.nope")
    assert r.returncode == 2 and b"has no rule 'hate.nope'" in r.stderr
    r = vigil("golden", "sweep", str(golden), "--rule", "creator.repeat_offender_strike")
    assert r.returncode == 2 and b"outside the plain subset" in r.stderr
    r = vigil("golden", "sweep", str(golden), "--rule", "hate.model_remove", "--threshold", "x")
    assert r.returncode == 2 and b"has no threshold 'x'; it has: score_max_hate >= 0.97" in r.stderr
