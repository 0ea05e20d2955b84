"""Policy pack validation: compiler-style errors, pinned as snapshot files.

Set UPDATE_SNAPSHOTS=1 to rewrite the snapshots after an intended change of wording.
"""

import os
from pathlib import Path

import pytest

from signals.eventtime import HOUR
from signals.policy import PolicyPackInvalid, parse_pack
from signals.policy.model import ReviewQueue
from stream.config import SHIPPED_POLICIES
from stream.policyfiles import load_pack

SNAPSHOTS = Path(__file__).parent / "snapshots" / "policy"

GOOD_RULE = """\
  - id: hate.test
    version: 1
    owner: tests
    description: a rule
    policy_area: hate
    target: content
    when: score_max_hate >= 0.9
    outcome: remove
"""

LADDER = """\
strikes:
  expiry: 90d
  earned_by: [remove]
  ladders:
    default:
      - {strikes: 1, outcome: warn}
      - {strikes: 3, outcome: suspend_creator, duration: 7d}
    child_safety:
      - {strikes: 1, outcome: ban_creator}
"""
WITH_LADDER = "rules:\n" + GOOD_RULE + LADDER
GUARDRAILS = """\
guardrails:
  breakers:
    default: {spike: true, quiet_period: 2h}
    rules:
      hate.test:
        max_actions_per_hour: 300
        per_region: {US: 120}
"""
WITH_GUARDRAILS = "rules:\n" + GOOD_RULE + GUARDRAILS
REVIEW = """\
  review:
    area_priority: {child_safety: 1, hate: 2}
    reach_step: 10
    queues:
      hate: {capacity_per_hour: 60, service_level: 12h}
      held-by-breaker: {capacity_per_hour: 200, service_level: 4h}
"""
ROUTING_RULE = GOOD_RULE.replace("outcome: remove", "outcome: review\n    queue: hate")

CASES = {
    # the strike ladders: every problem at once, each where it is
    "ladder_errors": WITH_LADDER.replace("expiry: 90d", "expiry: 3 months")
    .replace("earned_by: [remove]", "earned_by: [remove, review]")
    .replace("strikes: 3, outcome: suspend_creator, duration: 7d", "strikes: 1, outcome: suspend")
    .replace("child_safety:", "child_safty:"),
    "ladder_suspension_without_duration": WITH_LADDER.replace(", duration: 7d", ""),
    "ladder_without_default": WITH_LADDER.replace("    default:\n", "    hate:\n"),
    # the breakers: every problem at once, each where it is
    "guardrail_errors": WITH_GUARDRAILS.replace("quiet_period: 2h", "quiet_period: soon")
    .replace("spike: true", "spike: yes please")
    .replace("max_actions_per_hour: 300", "max_actions_per_hour: -3\n        treshold: 2")
    .replace("US: 120", "EU: 120")
    .replace("    rules:\n      hate.test:", "    rules:\n      hate.tset: {}\n      hate.test:"),
    "guardrail_for_a_routing_rule": WITH_GUARDRAILS.replace(
        "outcome: remove", "outcome: review\n    queue: hate"
    ),
    # traffic control for review: every problem at once, each where it is
    "review_errors": "rules:\n"
    + GOOD_RULE
    + GUARDRAILS
    + REVIEW.replace("child_safety: 1", "child_safty: 1")
    .replace("hate: 2}", "hate: 0}")
    .replace("reach_step: 10", "reach_step: 1")
    .replace("capacity_per_hour: 60", "capacity_per_hour: lots")
    .replace("service_level: 4h", "service_level: 0h, sla: 4h"),
    # declared queues without a default: a rule's queue and the held items' must be declared
    "review_undeclared_queue": "rules:\n"
    + GOOD_RULE
    + ROUTING_RULE.replace("hate.test", "hate.route").replace("queue: hate", "queue: hatred")
    + "guardrails:\n"
    + REVIEW.replace("      held-by-breaker: {capacity_per_hour: 200, service_level: 4h}\n", ""),
    "unknown_section": "rules:\n" + GOOD_RULE + "strike:\n  expiry: 90d\n",
    "yaml_syntax": "rules:\n  - id: x\n    when: [unclosed\n",
    "unknown_signal": GOOD_RULE.replace(
        "score_max_hate >= 0.9", "score_max_hate >= 0.9 && reports_2h > 3"
    ),
    "unknown_outcome": GOOD_RULE.replace("outcome: remove", "outcome: delete"),
    "missing_field": GOOD_RULE.replace("    owner: tests\n", ""),
    "cel_syntax": GOOD_RULE.replace("score_max_hate >= 0.9", "score_max_hate >= "),
    "cel_type": GOOD_RULE.replace("score_max_hate >= 0.9", "reports_1h + 0.5 > 2.0"),
    "cel_type_behind_and": GOOD_RULE.replace(
        "score_max_hate >= 0.9", "score_max_hate >= 0.9 && reports_1h + 0.5 > 2.0"
    ),
    "not_boolean": GOOD_RULE.replace("score_max_hate >= 0.9", "reports_1h + 1"),
    "review_without_queue": GOOD_RULE.replace("outcome: remove", "outcome: review"),
    "unknown_field": GOOD_RULE + "    treshold: 3\n",
    "wrong_target_outcome": GOOD_RULE.replace("outcome: remove", "outcome: strike"),
    "creator_signal_on_content": GOOD_RULE.replace(
        "score_max_hate >= 0.9", "creator_uploads_1h > 3"
    ),
    "several_errors": GOOD_RULE.replace("outcome: remove", "outcome: delete")
    + GOOD_RULE.replace("hate.test", "hate.other").replace(
        "policy_area: hate", "policy_area: hatred"
    ),
    "band_order": GOOD_RULE.replace(
        "    when: score_max_hate >= 0.9\n",
        "    bands:\n      signal: score_max_hate\n      enforce_at: 0.8\n      review_at: 0.9\n"
        "    queue: hate\n",
    ),
    "band_signal_not_numeric": GOOD_RULE.replace(
        "    when: score_max_hate >= 0.9\n", "    bands: {signal: region, enforce_at: 0.8}\n"
    ),
    "unknown_region": GOOD_RULE + "    regions:\n      EU: {mode: disabled}\n",
    "region_override_field": GOOD_RULE + "    regions:\n      DE: {owner: someone}\n",
    "region_bad_outcome": GOOD_RULE + "    regions:\n      IN: {outcome: suspend_creator}\n",
    # one rule with an unknown outcome, two unknown signals and a bad priority: all at once
    "errors_in_one_rule": GOOD_RULE.replace(
        "outcome: remove", "outcome: delete\n    priority: 9"
    ).replace("score_max_hate >= 0.9", "score_max_hat >= 0.9 && reports_2h > 3"),
    "trend_regions": GOOD_RULE.replace("target: content", "target: trend")
    .replace("score_max_hate >= 0.9", "trend_growth >= 8.0")
    .replace("outcome: remove", "outcome: review\n    queue: x")
    + "    regions:\n      DE: {mode: disabled}\n",
    "min_precision_range": GOOD_RULE + "    min_precision: 95\n",
    "folded_condition": GOOD_RULE.replace(
        "    when: score_max_hate >= 0.9\n",
        "    when: >-\n      score_max_hate >= 0.9\n      && reprots_1h > 2\n",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_messages_match_snapshots(case: str) -> None:
    text = CASES[case]
    if not text.startswith("rules:"):
        text = "rules:\n" + text
    with pytest.raises(PolicyPackInvalid) as exc:
        parse_pack({"policies/test.yaml": text})
    rendered = exc.value.render() + "\n"
    snap = SNAPSHOTS / f"{case}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") or not snap.exists():
        snap.write_text(rendered)
    assert rendered == snap.read_text()


def test_a_pack_has_one_set_of_ladders_and_they_compile() -> None:
    pack = parse_pack({"policies/a.yaml": WITH_LADDER})
    assert pack.strikes is not None and pack.earns == {"remove"}
    assert pack.strikes.ladder("child_safety")[1][0].outcome == "ban_creator"
    assert pack.strikes.ladder("spam")[0] == "default"
    assert pack.strikes.ladder("spam")[1][1].duration == 7 * 24 * 3600 * 1000
    with pytest.raises(PolicyPackInvalid, match="a second `strikes:` section"):
        parse_pack({"policies/a.yaml": WITH_LADDER, "policies/b.yaml": LADDER})


def test_a_pack_has_one_set_of_guardrails_and_each_rule_has_a_breaker() -> None:
    pack = parse_pack({"policies/a.yaml": WITH_GUARDRAILS})
    mine, other = pack.guardrails.breaker("hate.test"), pack.guardrails.breaker("x")
    assert (mine.max_per_hour, mine.per_region, mine.quiet_period) == (300, {"US": 120}, 2 * HOUR)
    assert (other.max_per_hour, other.spike, other.quiet_period) == (0, True, 2 * HOUR)
    assert parse_pack({"policies/a.yaml": "rules:\n" + GOOD_RULE}).guardrails.breaker("x").spike
    with pytest.raises(PolicyPackInvalid, match="a second `guardrails:` section"):
        parse_pack({"policies/a.yaml": WITH_GUARDRAILS, "policies/b.yaml": GUARDRAILS})


def test_review_queues_are_declared_with_a_capacity_and_a_service_level() -> None:
    pack = parse_pack({"policies/a.yaml": "rules:\n" + ROUTING_RULE + "guardrails:\n" + REVIEW})
    traffic = pack.guardrails.review
    assert traffic.area_priority == {"child_safety": 1, "hate": 2}
    assert traffic.queue("hate") == ReviewQueue(60, 12 * HOUR)
    # declared queues and no default: every queue an item can go to is declared, so the
    # default is never used; a pack without a review section has the 100/h, 24h default
    assert traffic.default is None
    plain = parse_pack({"policies/a.yaml": "rules:\n" + ROUTING_RULE}).guardrails.review
    assert plain.queue("anything") == ReviewQueue(100, 24 * HOUR)
    defaulted = REVIEW.replace("    queues:\n", "    queues:\n      default: {service_level: 2h}\n")
    pack = parse_pack({"policies/a.yaml": "rules:\n" + ROUTING_RULE + "guardrails:\n" + defaulted})
    # a declared queue starts from the default and overrides what it names
    assert pack.guardrails.review.queue("other") == ReviewQueue(100, 2 * HOUR)
    assert pack.guardrails.review.queue("hate") == ReviewQueue(60, 12 * HOUR)


def test_every_error_names_file_line_and_rule() -> None:
    text = "rules:\n" + CASES["several_errors"]
    with pytest.raises(PolicyPackInvalid) as exc:
        parse_pack({"policies/test.yaml": text})
    errs = exc.value.errors
    assert len(errs) == 2
    assert {e.rule_id for e in errs} == {"hate.test", "hate.other"}
    assert all(e.file == "policies/test.yaml" and e.line > 1 for e in errs)


def test_every_problem_in_one_rule_is_reported() -> None:
    with pytest.raises(PolicyPackInvalid) as exc:
        parse_pack({"policies/test.yaml": "rules:\n" + CASES["errors_in_one_rule"]})
    messages = [e.message for e in exc.value.errors]
    assert messages == [
        "unknown content signal `score_max_hat`",
        "unknown content signal `reports_2h`",
        "unknown outcome 'delete'",
        "priority must be 1 (most urgent) to 5",
    ]


def test_duplicate_ids_across_files() -> None:
    with pytest.raises(PolicyPackInvalid) as exc:
        parse_pack({"a.yaml": "rules:\n" + GOOD_RULE, "b.yaml": "rules:\n" + GOOD_RULE})
    assert "duplicate rule id 'hate.test'" in exc.value.render()
    assert "first defined at a.yaml:2" in exc.value.render()


def test_shipped_pack_is_valid_and_hash_is_stable() -> None:
    a, b = load_pack(SHIPPED_POLICIES), load_pack(SHIPPED_POLICIES)
    assert a.hash == b.hash and a.hash.startswith("sha256:")
    assert len(a.rules) >= 10
    assert {r.outcome for r in a.rules} >= {"remove", "review", "escalate", "label", "strike"}
    assert any(r.mode == "shadow" for r in a.rules)


def test_hash_changes_with_any_edit() -> None:
    one = parse_pack({"p.yaml": "rules:\n" + GOOD_RULE})
    two = parse_pack({"p.yaml": "rules:\n" + GOOD_RULE.replace("0.9", "0.91")})
    assert one.hash != two.hash
