"""Packs switch without a restart: from the policy directory, and from policy-updates for the
whole deployment. An invalid pack is refused and the last good one keeps running."""

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import signals
from stream.config import SHIPPED_POLICIES
from stream.policyfiles import load_pack

from .conftest import VIGIL, Deployment


def health(port: int) -> dict[str, object]:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).read()
    return dict(json.loads(body))


def metric(port: int, name: str) -> float:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(name + "{")
    )


def wait_for(check, what: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def copy_pack(dest: Path) -> Path:
    dest.mkdir()
    for p in SHIPPED_POLICIES.glob("*.yaml"):
        shutil.copy(p, dest / p.name)
    return dest


def test_file_changes_reload_and_invalid_packs_are_refused(
    deployment: Deployment, tmp_path: Path
) -> None:
    pack_dir = copy_pack(tmp_path / "pack")
    original = load_pack(pack_dir).hash
    _, port = deployment.start_worker(VIGIL_POLICIES=str(pack_dir), VIGIL_POLICY_POLL_SECONDS="0.5")
    assert health(port)["pack_hash"] == original
    # the worker runs the same build this suite tests (compiled unless VIGIL_NATIVE=0)
    assert health(port)["engine"] == ("compiled" if signals.NATIVE else "source")

    hate = pack_dir / "hate.yaml"
    good = hate.read_text()
    hate.write_text(good.replace("score_max_hate >= 0.97", "score_max_hate >= 0.9 &&"))
    wait_for(lambda: metric(port, "vigil_policy_packs_rejected_total") >= 1, "a rejection")
    assert health(port)["pack_hash"] == original  # the last good pack keeps running

    hate.write_text(good.replace("score_max_hate >= 0.97", "score_max_hate >= 0.96"))
    wait_for(lambda: health(port)["pack_hash"] != original, "the new pack")
    assert health(port)["pack_hash"] == load_pack(pack_dir).hash


def test_published_packs_reach_every_worker(deployment: Deployment, tmp_path: Path) -> None:
    _, port = deployment.start_worker()
    new_dir = copy_pack(tmp_path / "new")
    spam = new_dir / "spam.yaml"
    text = spam.read_text().replace("creator_uploads_1h >= 30", "creator_uploads_1h >= 25")
    spam.write_text(text)
    r = subprocess.run(
        [VIGIL, "policy", "publish", str(new_dir)],
        env=deployment.env(),
        capture_output=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    wanted = load_pack(new_dir).hash
    assert wanted.encode() in r.stdout
    wait_for(lambda: health(port)["pack_hash"] == wanted, "the published pack")

    broken = copy_pack(tmp_path / "broken")
    (broken / "spam.yaml").write_text("rules: [")
    r = subprocess.run(
        [VIGIL, "policy", "publish", str(broken)],
        env=deployment.env(),
        capture_output=True,
        timeout=60,
    )
    assert r.returncode == 1 and b"spam.yaml" in r.stderr  # refused before it is published
    assert health(port)["pack_hash"] == wanted
