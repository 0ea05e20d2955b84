"""The `vigil` command as a user runs it: replay, demo, policy check, bad arguments."""

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.misfire import misfire_day
from tests.packs import edited_pack

VIGIL = str(Path(sys.executable).parent / "vigil")


def vigil(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([VIGIL, *args], capture_output=True, input=input, timeout=300)


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("events") / "day.jsonl"
    r = vigil("demo", "--scale", "0.05", "--write", str(path))
    assert r.returncode == 0, r.stderr
    assert b"Enforcement actions" in r.stdout and b"Trend alerts" in r.stdout
    assert b"events/s" in r.stdout
    return path


def test_demo_writes_a_replayable_day(events: Path) -> None:
    lines = events.read_bytes().splitlines()
    assert len(lines) > 5000
    assert orjson.loads(lines[0])["topic"] in {"uploads", "reports", "model-scores", "reviews"}


def test_replay_to_a_directory_writes_one_file_per_output_topic(
    events: Path, tmp_path: Path
) -> None:
    r = vigil("replay", str(events), "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    files = {p.name for p in tmp_path.iterdir()}
    assert files == {
        f"{t}.jsonl"
        for t in (
            "enforcement-actions",
            "escalations",
            "trend-alerts",
            "shadow-actions",
            "dead-letter",
            "enforcement-quality",
            "rule-state",
            "review-queues",
        )
    }
    actions = [
        orjson.loads(x) for x in (tmp_path / "enforcement-actions.jsonl").read_bytes().splitlines()
    ]
    assert actions and all(a["topic"] == "enforcement-actions" and a["key"] for a in actions)
    dead = [
        orjson.loads(x)["value"] for x in (tmp_path / "dead-letter.jsonl").read_bytes().splitlines()
    ]
    assert {d["reason"] for d in dead} == {
        "invalid_envelope",
        "invalid_field",
        "oversized",
        "unknown_schema_version",
        "key_mismatch",
    }
    assert b"dead letters:" in r.stderr


def test_replay_to_stdout_matches_the_directory_output(events: Path, tmp_path: Path) -> None:
    r = vigil("replay", str(events))
    assert r.returncode == 0
    vigil("replay", str(events), "--out", str(tmp_path))
    from_dir = sorted(b"".join(p.read_bytes() for p in tmp_path.iterdir()).splitlines())
    assert sorted(r.stdout.splitlines()) == from_dir


def test_replay_reads_stdin(events: Path) -> None:
    r = vigil("replay", "-", input=events.read_bytes()[:200_000].rsplit(b"\n", 1)[0])
    assert r.returncode == 0, r.stderr
    assert b"replayed" in r.stderr


def test_missing_events_file_is_a_clear_error(tmp_path: Path) -> None:
    r = vigil("replay", str(tmp_path / "nope.jsonl"))
    assert r.returncode == 2
    assert b"does not exist" in r.stderr


def test_invalid_policy_pack_is_refused_with_file_and_line(tmp_path: Path, events: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "rules:\n  - id: x.y\n    version: 1\n    owner: o\n    description: d\n"
        "    policy_area: hate\n    target: content\n    when: score_max_hat > 1\n"
        "    outcome: remove\n"
    )
    for args in (
        ("policy", "check", str(tmp_path)),
        ("replay", str(events), "--policies", str(tmp_path)),
    ):
        r = vigil(*args)
        assert r.returncode == 1
        assert b"bad.yaml:8:11" in r.stderr and b"score_max_hat" in r.stderr


def test_shipped_pack_checks_clean_and_signals_list() -> None:
    r = vigil("policy", "check")
    assert r.returncode == 0 and b"ok:" in r.stdout
    r = vigil("signals", "list")
    assert r.returncode == 0 and b"score_max_hate" in r.stdout


def test_policy_test_passes_on_the_shipped_pack() -> None:
    r = vigil("policy", "test")
    assert r.returncode == 0, r.stdout + r.stderr
    assert b" 0 failed" in r.stdout


def test_policy_test_shows_a_readable_diff_and_fails(tmp_path: Path) -> None:
    from stream.config import SHIPPED_POLICIES

    for p in SHIPPED_POLICIES.glob("*.yaml"):
        (tmp_path / p.name).write_text(p.read_text())
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.yaml").write_text(
        "tests:\n  - name: wrong on purpose\n    signals: {score_max_hate: 0.9}\n"
        "    expect: {hate.model_remove: remove}\n"
    )
    r = vigil("policy", "test", str(tmp_path))
    assert r.returncode == 1
    assert b"FAIL wrong on purpose" in r.stdout
    assert b"rule hate.model_remove: expected remove, got none" in r.stdout
    assert b"score_max_hate=0.9" in r.stdout


def test_policy_diff_shows_what_a_threshold_change_does(events: Path, tmp_path: Path) -> None:
    from stream.config import SHIPPED_POLICIES

    for p in SHIPPED_POLICIES.glob("*.yaml"):
        text = p.read_text().replace("score_max_hate >= 0.97", "score_max_hate >= 0.9")
        (tmp_path / p.name).write_text(text)
    r = vigil("policy", "diff", str(SHIPPED_POLICIES), str(tmp_path), str(events))
    assert r.returncode == 0, r.stderr
    assert b"hate.model_remove  remove (action)" in r.stdout
    assert b"added: content" in r.stdout and b"score_max_hate=" in r.stdout
    same = vigil("policy", "diff", str(SHIPPED_POLICIES), str(SHIPPED_POLICIES), str(events))
    assert b"no decision would change" in same.stdout


def test_explain_reconstructs_a_decision_in_words(events: Path, tmp_path: Path) -> None:
    vigil("replay", str(events), "--out", str(tmp_path))
    line = (tmp_path / "enforcement-actions.jsonl").read_bytes().splitlines()[0]
    decision = orjson.loads(line)["value"]
    r = vigil("explain", decision["id"], "--events", str(events))
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    assert decision["rule"]["id"] in text and decision["pack_hash"] in text
    assert "What the rule read" in text
    for name in decision["evidence"]["signals"]:
        assert name in text
    routed = [
        orjson.loads(x)["value"] for x in (tmp_path / "escalations.jsonl").read_bytes().splitlines()
    ]
    item = next(d for d in routed if d["outcome"] == "review" and "condition" in d["evidence"])
    text = vigil("explain", item["id"], "--events", str(events)).stdout.decode()
    assert f"Routed to queue {item['queue']} with priority {item['priority']}." in text
    assert f"due for review by {item['due']}" in text  # and how its triage came about
    missing = vigil("explain", "0" * 32, "--events", str(events))
    assert missing.returncode == 1
    assert b"no decision, trend alert or dead letter has id" in missing.stderr


def test_explain_explains_what_was_emitted_and_replays_only_for_context(
    events: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    vigil("replay", str(events), "--out", str(out))
    decision = orjson.loads((out / "enforcement-actions.jsonl").read_bytes().splitlines()[0])[
        "value"
    ]
    r = vigil("explain", decision["id"], "--from", str(out))
    assert r.returncode == 0, r.stderr
    assert f"Decision {decision['id']}".encode() in r.stdout and b"What the rule read" in r.stdout
    assert b"enforcement-actions.jsonl:1" in r.stdout  # where it was read
    same = vigil("explain", decision["id"], "--from", str(out), "--events", str(events))
    assert b"makes the same decision" in same.stdout

    # a decision a worker emitted otherwise than the replay of these events (here: another
    # region) is still explained, from itself, and the difference named
    emitted = tmp_path / "emitted.jsonl"
    emitted.write_bytes(orjson.dumps({**decision, "region": "ZZ"}) + b"\n")
    other = vigil("explain", decision["id"], "--from", str(emitted), "--events", str(events))
    assert other.returncode == 0, other.stderr
    assert b"Region ZZ" in other.stdout and b"with other region" in other.stdout

    alert = orjson.loads((out / "trend-alerts.jsonl").read_bytes().splitlines()[0])["value"]
    r = vigil("explain", alert["id"], "--from", str(out))
    assert r.returncode == 0 and f"Trend alert {alert['id']}".encode() in r.stdout
    assert alert["key"]["value"].encode() in r.stdout

    dead = orjson.loads((out / "dead-letter.jsonl").read_bytes().splitlines()[0])["value"]
    r = vigil("explain", dead["id"], "--from", str(out))
    assert r.returncode == 0 and f"Dead letter {dead['id']}".encode() in r.stdout
    assert f"Reason `{dead['reason']}`".encode() in r.stdout

    unknown = vigil("explain", "f" * 32, "--from", str(out))
    assert unknown.returncode == 1
    assert b"no decision, trend alert or dead letter has id" in unknown.stderr
    assert vigil("explain", "x").returncode == 2  # nowhere to look


def test_detect_reads_a_csv_and_flags_the_spike(tmp_path: Path) -> None:
    csv = tmp_path / "series.csv"
    rows = ["timestamp,count"] + [
        f"2026-11-20 10:{m:02d},{5 if m != 30 else 80}" for m in range(45)
    ]
    csv.write_text("\n".join(rows) + "\n")
    r = vigil("detect", str(csv))
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode().splitlines()
    assert out[0] == "timestamp,count,expected,score,alert,open"
    assert len(out) == 46
    paged = [line.split(",")[0] for line in out[1:] if line.split(",")[4] == "1"]
    assert paged == ["2026-11-20 10:30"]
    assert vigil("detect", "-", input=csv.read_bytes()).stdout == r.stdout
    # without a header row no row is lost: the first row reads as data
    headless = b"\n".join(csv.read_bytes().splitlines()[1:]) + b"\n"
    assert vigil("detect", "-", input=headless).stdout == r.stdout


def test_detect_mends_a_clock_hiccup_and_refuses_a_bad_row_with_its_line(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "hiccup.csv"
    csv.write_text("timestamp,count\n2026-11-20 10:00,5\n2026-11-20 10:00,2\n2026-11-20 10:01,4\n")
    mended = vigil("detect", str(csv))
    assert mended.returncode == 0
    assert b"hiccup.csv:3: repeated timestamp" in mended.stderr
    assert mended.stdout.decode().splitlines()[1].startswith("2026-11-20 10:00,7,")
    csv.write_text("timestamp,count\n2026-11-20 10:00,5\nlater,7\n")
    bad = vigil("detect", str(csv))
    assert bad.returncode == 1
    assert b"hiccup.csv:3: timestamp 'later' is not ISO 8601" in bad.stderr
    assert bad.stdout == b""
    wrong = vigil("detect", "--kind", "bogus", str(csv))
    assert wrong.returncode == 2 and b"--kind 'bogus'" in wrong.stderr


def test_trends_from_a_replay_output(events: Path, tmp_path: Path) -> None:
    vigil("replay", str(events), "--out", str(tmp_path))
    r = vigil("trends", "--from", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert b"Active trends" in r.stdout or b"no active trends" in r.stdout
    assert vigil("trends").returncode == 2


def test_policy_check_warns_when_a_rule_changes_without_a_new_version(tmp_path: Path) -> None:
    pack = edited_pack(tmp_path, "hate.yaml", "score_max_hate >= 0.97\n", "score_max_hate >= 0.9\n")
    hate = pack / "hate.yaml"
    r = vigil("policy", "check", str(pack))
    assert r.returncode == 0 and b"1 warning" in r.stdout
    assert b"warning: rule changed when without a new version (against rules.lock)" in r.stderr
    assert b"(rule hate.model_remove)" in r.stderr and b"bump `version` to 2" in r.stderr
    assert vigil("policy", "check", str(pack), "--strict").returncode == 1
    shipped = Path(__file__).resolve().parents[2] / "policies"
    against = vigil("policy", "check", str(pack), "--since", str(shipped))
    assert b"against " + str(shipped).encode() in against.stderr

    hate.write_text(hate.read_text().replace("version: 1", "version: 2", 1))
    bumped = vigil("policy", "check", str(pack), "--strict")
    assert bumped.returncode == 0 and b"warning" not in bumped.stderr
    assert b"rules.lock is behind the pack" in bumped.stderr
    assert vigil("policy", "lock", str(pack)).returncode == 0
    assert b"behind" not in vigil("policy", "check", str(pack)).stderr


def test_an_unreadable_lock_names_the_file_and_line(tmp_path: Path) -> None:
    pack = edited_pack(tmp_path)
    (pack / "rules.lock").write_text('{\n  "lock_version": 1,\n  "rules": {,}\n}\n')
    r = vigil("policy", "check", str(pack))
    assert r.returncode == 1
    assert b"rules.lock:3:" in r.stderr and b"not valid JSON" in r.stderr


def test_backtest_compares_volumes_and_upheld_rates(events: Path, tmp_path: Path) -> None:
    from stream.config import SHIPPED_POLICIES

    for p in SHIPPED_POLICIES.glob("*.yaml"):
        text = p.read_text().replace("score_max_hate >= 0.97", "score_max_hate >= 0.9")
        (tmp_path / p.name).write_text(text)
    args = (
        "backtest",
        str(events),
        "--policies",
        str(tmp_path),
        "--baseline",
        str(SHIPPED_POLICIES),
    )
    r = vigil(*args)
    assert r.returncode == 0, r.stderr
    assert b"decisions per rule, outcome, area and region" in r.stdout
    assert b"how humans judged them, by rule" in r.stdout
    doc = orjson.loads(vigil(*args, "--json").stdout)
    removals = {
        name: sum(v["decisions"] for v in doc[name]["volumes"] if v["rule"] == "hate.model_remove")
        for name in ("baseline", "new")
    }
    assert removals["new"] > removals["baseline"]
    by_area = doc["new"]["quality"]["area"]
    assert by_area["hate"]["decisions"] >= by_area["hate"]["judged_decisions"] > 0
    assert vigil("backtest", str(events), "--by", "nope").returncode == 2


def test_report_reads_a_replays_quality_records(events: Path, tmp_path: Path) -> None:
    assert vigil("replay", str(events), "--out", str(tmp_path)).returncode == 0
    lines = (tmp_path / "enforcement-quality.jsonl").read_bytes().splitlines()
    records = [orjson.loads(x)["value"] for x in lines]
    actions = [
        orjson.loads(x)["value"]
        for x in (tmp_path / "enforcement-actions.jsonl").read_bytes().splitlines()
    ]
    # reversals and strike ladder steps are on the topic too; they are no rule's decisions
    by_rules = [d for d in actions if d["kind"] == "action" and "condition" in d["evidence"]]
    assert len(by_rules) < len(actions)
    counted = sum(d["counts"]["actions"] for r in records for d in r["days"])
    assert counted == len(by_rules)  # every automatic action is in the figures, once
    r = vigil("report", "--from", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert b"enforcement quality over 7d of event time up to" in r.stdout
    doc = orjson.loads(vigil("report", "--from", str(tmp_path), "--by", "area", "--json").stdout)
    hate = doc["groups"]["hate"]
    assert hate["counts"]["reports"] > 0 and 0 <= hate["reported_actioned"] <= 1
    png, page = tmp_path / "q.png", tmp_path / "q.html"
    args = ("--from", str(tmp_path), "--png", str(png), "--html", str(page))
    r = vigil("report", *args, "--rule", "hate.model_remove")
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = page.read_text()
    assert text.startswith("<!doctype html>") and 'src="data:image/png;base64,' in text
    assert "hate.model_remove" in text and "<script" not in text
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(lines[0] + b"\n{nope\n")
    r = vigil("report", "--from", str(bad))
    assert r.returncode == 1 and f"{bad}:2: not an enforcement-quality record".encode() in r.stderr


def test_rules_status_shows_a_tripped_breaker_from_a_replay(tmp_path: Path) -> None:
    day = misfire_day(tmp_path / "misfire.jsonl")
    assert vigil("replay", str(day), "--out", str(tmp_path / "out")).returncode == 0
    r = vigil("rules", "status", "--from", str(tmp_path / "out"), "--json")
    assert r.returncode == 0, r.stderr
    status = {s["rule_id"]: s for s in orjson.loads(r.stdout)}["hate.model_remove"]
    assert status["mode"] == "held" and status["trips"] == 1 and status["held"] > 0
    table = vigil("rules", "status", "--from", str(tmp_path / "out")).stdout.decode()
    assert "hate.model_remove" in table and "held" in table
    assert "child_safety.model" in table  # an automatic rule that never acted is listed


def test_rules_commands_refuse_what_they_cannot_do(tmp_path: Path) -> None:
    r = vigil("rules", "reset", "hate.nope", "--reason", "x")
    assert r.returncode == 2 and b"rule 'hate.nope' is not in the pack" in r.stderr
    r = vigil("rules", "reset", "hate.corroborated_review", "--reason", "x")
    assert r.returncode == 2 and b"never acts automatically" in r.stderr
    r = vigil("rules", "status")
    assert r.returncode == 2 and b"give --from" in r.stderr
    (tmp_path / "rule-state.jsonl").write_text('{"topic": "rule-state"}\n')
    r = vigil("rules", "status", "--from", str(tmp_path / "rule-state.jsonl"))
    assert r.returncode == 1 and b"rule-state.jsonl:1: not a rule-state record" in r.stderr


def test_queues_shows_the_held_actions_waiting_for_review_from_a_replay(tmp_path: Path) -> None:
    day = misfire_day(tmp_path / "misfire.jsonl")
    assert vigil("replay", str(day), "--out", str(tmp_path / "out")).returncode == 0
    r = vigil("queues", "--from", str(tmp_path / "out"), "--json")
    assert r.returncode == 0, r.stderr
    queue = {q["queue"]: q for q in orjson.loads(r.stdout)}["held-by-breaker"]
    held = [
        orjson.loads(line)["value"]
        for line in (tmp_path / "out" / "escalations.jsonl").read_bytes().splitlines()
        if b'"held_action"' in line and b'"held_action":null' not in line
    ]
    assert queue["depth"] == len(held) > 0 and queue["by_priority"]["2"] == len(held)
    # a few hundred: within what its reviewers clear in its 4h service level at 200 an hour
    assert queue["overflow"] == 0 and queue["oldest_entered"] >= "2026-11-20T12:00:00Z"
    assert queue["service_level_seconds"] == 4 * 3600 and queue["capacity_per_hour"] == 200
    table = vigil("queues", "--from", str(tmp_path / "out")).stdout.decode()
    assert "held-by-breaker" in table and "child-safety-specialists" in table  # declared, empty


def test_queues_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    r = vigil("queues")
    assert r.returncode == 2 and b"give one of --from" in r.stderr
    r = vigil("queues", "--from", str(tmp_path / "nothing"))
    assert r.returncode == 1 and b"does not exist" in r.stderr
    (tmp_path / "review-queues.jsonl").write_text('{"queue": "x"}\n')
    r = vigil("queues", "--from", str(tmp_path / "review-queues.jsonl"))
    assert r.returncode == 1 and b"review-queues.jsonl:1: not a review-queues record" in r.stderr
