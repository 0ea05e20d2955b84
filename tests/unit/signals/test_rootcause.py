"""Root causes: the clause that decided each error, with the value read, grouped."""

import pytest

from signals.golden import evaluate
from signals.policy import PolicyPack, parse_pack
from signals.rootcause import FALSE_NEGATIVE, FALSE_POSITIVE, causes, explain, grouped
from tests.unit.signals.test_golden import FROZEN, PACK, item

BANDED = """
  - id: hate.banded
    version: 1
    owner: tests
    description: remove above 0.95, review from 0.7
    policy_area: hate
    target: content
    bands: {signal: score_max_hate, enforce_at: 0.95, review_at: 0.7}
    outcome: remove
    queue: hate
  - id: hate.either
    version: 1
    owner: tests
    description: a report surge or a sure score, unless nobody reported
    policy_area: hate
    target: content
    when: (reports_24h_hate >= 5 || score_max_hate >= 0.99) && !(reports_24h_hate < 1)
    outcome: review
    queue: hate
"""


@pytest.fixture(scope="module")
def pack() -> PolicyPack:
    return parse_pack({"policies/test.yaml": PACK})


@pytest.fixture(scope="module")
def banded() -> PolicyPack:
    # apart: its removals would outrank hate.remove's
    return parse_pack({"policies/test.yaml": "rules:" + BANDED})


def test_a_false_positive_names_the_clauses_that_held(pack: PolicyPack) -> None:
    result = evaluate(pack, [item(1, 0.99, False)], FROZEN)
    found = {c.rule_id: c for c in causes(result)}
    fp = found["hate.remove"]
    assert fp.kind == FALSE_POSITIVE
    assert [(c.text, c.value) for c in fp.deciding] == [("score_max_hate >= 0.97", 0.99)]
    assert fp.region == "US" and fp.ts is not None


def test_a_false_negative_names_the_clause_that_failed_and_what_held(pack: PolicyPack) -> None:
    result = evaluate(pack, [item(2, 0.8, True, reports=1)], FROZEN)
    found = {c.rule_id: c for c in causes(result)}
    fn = found["hate.reported_limit"]
    assert fn.kind == FALSE_NEGATIVE
    assert [(c.text, c.value) for c in fn.deciding] == [("reports_24h_hate < 2", 1)]
    assert [(c.text, c.value) for c in fn.context] == [("score_max_hate >= 0.5", 0.8)]


def test_bands_explain_where_the_score_sat(banded: PolicyPack) -> None:
    pack = banded
    rule = pack.rule("hate.banded")
    assert rule is not None
    low = evaluate(pack, [item(3, 0.5, True)], FROZEN).runs["g-3"]
    assert [c.text for c in explain(rule, low, fired=False).deciding] == ["score_max_hate < 0.7"]
    high = evaluate(pack, [item(4, 0.96, False)], FROZEN).runs["g-4"]
    assert [c.text for c in explain(rule, high, fired=True).deciding] == ["score_max_hate >= 0.95"]


def test_or_and_not_explain_by_the_parts_that_decided(banded: PolicyPack) -> None:
    pack = banded
    rule = pack.rule("hate.either")
    assert rule is not None
    quiet = evaluate(pack, [item(5, 0.995, True)], FROZEN).runs["g-5"]
    cause = explain(rule, quiet, fired=False)
    # the score alone would do; nobody reporting is what kept it out
    assert [c.text for c in cause.deciding] == ["reports_24h_hate < 1"]
    assert "score_max_hate >= 0.99" in [c.text for c in cause.context]
    surge = evaluate(pack, [item(6, 0.2, False, reports=6)], FROZEN).runs["g-6"]
    assert [c.text for c in explain(rule, surge, fired=True).deciding] == [
        "reports_24h_hate >= 5",
        "reports_24h_hate >= 1",
    ]


def test_errors_with_the_same_cause_are_one_group(pack: PolicyPack) -> None:
    items = [item(10 + n, s, True) for n, s in enumerate((0.2, 0.4, 0.6))]
    groups = grouped(causes(evaluate(pack, items, FROZEN)))
    remove = [g for g in groups if g.rule_id == "hate.remove"]
    assert len(remove) == 1
    assert remove[0].signature == ("score_max_hate < 0.97",)
    assert len(remove[0].causes) == 3 and remove[0].regions == {"US": 3}
    assert remove[0].ranges()["score_max_hate"] == (0.2, 0.6)
    assert groups[0].causes and len(groups[0].causes) >= len(groups[-1].causes)
