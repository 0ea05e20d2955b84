"""A rule whose decisions can change must get a new version: the check says which did not."""

import orjson

from signals.policy import parse_pack
from signals.policy.versions import lock, read_lock, unversioned_changes
from stream.config import SHIPPED_POLICIES
from stream.policyfiles import LOCK_FILE, load_lock, load_pack

RULE = """rules:
  - id: hate.test
    version: {version}
    owner: tests
    description: {description}
    policy_area: hate
    target: content
    when: score_max_hate >= {threshold}
    outcome: remove
    mode: {mode}
    regions:
      DE: {{when: "score_max_hate >= {de}"}}
"""


def pack(
    version: int = 1,
    threshold: float = 0.9,
    mode: str = "enforce",
    de: float = 0.8,
    description: str = "a rule",
) -> object:
    return parse_pack(
        {
            "p.yaml": RULE.format(
                version=version, threshold=threshold, mode=mode, de=de, description=description
            )
        }
    )


def warnings(old: object, new: object) -> list[str]:
    return [w.message for w in unversioned_changes(lock(old)["rules"], new, "old")]  # type: ignore[arg-type]


def test_a_changed_condition_mode_or_region_without_a_new_version_is_named() -> None:
    base = pack()
    assert warnings(base, pack(threshold=0.95)) == [
        "rule changed when without a new version (against old)"
    ]
    assert warnings(base, pack(mode="shadow")) == [  # the DE variant inherits the mode
        "rule changed mode, regions without a new version (against old)"
    ]
    assert warnings(base, pack(de=0.85)) == [
        "rule changed regions without a new version (against old)"
    ]


def test_a_new_version_or_a_cosmetic_edit_is_fine_and_a_lower_version_is_not() -> None:
    base = pack(version=2)
    assert warnings(base, pack(version=3, threshold=0.95)) == []
    assert warnings(base, pack(version=2, description="clearer words")) == []
    assert warnings(base, pack(version=1))[0].startswith("rule version went down from 2 to 1")


def test_the_warning_points_at_the_rule_with_a_hint() -> None:
    (w,) = unversioned_changes(lock(pack())["rules"], pack(threshold=0.95), "rules.lock")  # type: ignore[arg-type]
    assert (w.severity, w.file, w.line, w.rule_id) == ("warning", "p.yaml", 2, "hate.test")
    assert "bump `version` to 2" in (w.hint or "")


def test_the_shipped_lock_records_the_shipped_pack() -> None:
    shipped = load_pack(SHIPPED_POLICIES)
    recorded = load_lock(SHIPPED_POLICIES)
    assert recorded == lock(shipped)["rules"], "run `vigil policy lock` and commit rules.lock"
    assert read_lock(orjson.loads((SHIPPED_POLICIES / LOCK_FILE).read_bytes())) == recorded
