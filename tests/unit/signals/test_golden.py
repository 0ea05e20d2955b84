"""Golden-set evaluation: each item is scored on its own events, against the labels given by
the set's freeze date, and a rule below its min_precision fails the set."""

import orjson
import pytest

from schemas.golden import GoldenEvent, GoldenItem, GoldenLabel
from signals.golden import evaluate, outcome_of, summary
from signals.policy import PolicyPack, parse_pack
from tests.unit.signals.events import MIN, T0, report, score, upload

PACK = """\
rules:
  - id: hate.remove
    version: 1
    owner: tests
    description: remove what the model is sure of
    policy_area: hate
    target: content
    when: score_max_hate >= 0.97
    outcome: remove
    min_precision: 0.9
  - id: hate.reported_limit
    version: 1
    owner: tests
    description: limit what users report and the model suspects
    policy_area: hate
    target: content
    when: score_max_hate >= 0.5 && reports_24h_hate >= 2
    outcome: limit_distribution
"""
FROZEN = T0 + 48 * 60 * MIN


@pytest.fixture(scope="module")
def pack() -> PolicyPack:
    return parse_pack({"policies/test.yaml": PACK})


def item(
    n: int, hate: float, violating: bool, reports: int = 0, late: bool | None = None
) -> GoldenItem:
    """A video with its upload, one hate score and some hate reports, labelled once before
    the freeze (and, with `late`, once more after it)."""
    cid = f"v-{n}"
    msgs = [upload(cid), score(cid, at=MIN, hate=hate)]
    msgs += [report(cid, reporter=f"p{i}", at=(2 + i) * MIN) for i in range(reports)]
    labels = [_label(violating, FROZEN - 60 * MIN)]
    if late is not None:
        labels.append(_label(late, FROZEN + 60 * MIN))
    return GoldenItem(
        item_id=f"g-{n}",
        target="content",
        id=cid,
        events=[GoldenEvent(topic=t, value=orjson.loads(v)) for t, _, v in msgs],  # type: ignore[arg-type]
        labels=labels,
    )


def _label(violating: bool, at: int) -> GoldenLabel:
    return GoldenLabel(
        policy_area="hate",
        violating=violating,
        labelled_by="l1",
        labelled_at=at,
    )


def test_rules_and_areas_count_right_and_wrong_decisions(pack: PolicyPack) -> None:
    items = [
        item(1, 0.99, True),  # removed, violating: TP
        item(2, 0.99, False),  # removed, benign: FP
        item(3, 0.10, True),  # left alone, violating: FN
        item(4, 0.10, False),  # left alone, benign: TN
        item(5, 0.80, True, reports=3),  # limited by the second rule only
    ]
    result = evaluate(pack, items, FROZEN)
    by_rule = {rr.rule.id: rr.tally for rr in result.rules}
    remove = by_rule["hate.remove"]
    assert (remove.tp, remove.fp, remove.fn, remove.tn) == (1, 1, 2, 1)
    assert remove.false_positives == ["g-2"]
    assert remove.false_negatives == ["g-3", "g-5"]
    limit = by_rule["hate.reported_limit"]
    assert (limit.tp, limit.fp, limit.fn, limit.tn) == (1, 0, 2, 2)
    area = result.areas["hate"]
    assert (area.tp, area.fp, area.fn, area.tn) == (2, 1, 1, 1)
    assert result.confusion["hate", "violating", "remove"] == 1
    assert result.confusion["hate", "violating", "limit_distribution"] == 1
    assert result.confusion["hate", "not_violating", "remove"] == 1
    # the remover is right 1 time in 2: below its 0.9
    assert [rr.rule.id for rr in result.failing] == ["hate.remove"]
    assert summary(result)["failing"] == ["hate.remove"]


def test_items_do_not_lend_each_other_signals(pack: PolicyPack) -> None:
    # two items about one video id, each with one report: together they would reach two
    # reports and the limit rule; scored apart, neither does
    a, b = item(7, 0.8, True, reports=1), item(7, 0.8, True, reports=1)
    b = GoldenItem(item_id="g-7b", target=b.target, id=b.id, events=b.events, labels=b.labels)
    result = evaluate(pack, [a, b], FROZEN)
    assert all(not run.decisions for run in result.runs.values())


def test_labels_after_the_freeze_date_do_not_count(pack: PolicyPack) -> None:
    # labelled benign before the freeze, relabelled violating after it
    relabelled = [item(8, 0.99, False, late=True)]
    frozen = evaluate(pack, relabelled, FROZEN)
    remove = next(rr for rr in frozen.rules if rr.rule.id == "hate.remove").tally
    assert (remove.tp, remove.fp) == (0, 1)
    assert frozen.late_labels == 1 and frozen.labels == 1
    unfrozen = evaluate(pack, relabelled, None)  # no freeze date: the newest label counts
    remove = next(rr for rr in unfrozen.rules if rr.rule.id == "hate.remove").tally
    assert (remove.tp, remove.fp) == (1, 0)
    assert unfrozen.late_labels == 0


def test_a_rule_that_decided_nothing_misses_no_target(pack: PolicyPack) -> None:
    result = evaluate(pack, [item(9, 0.1, True), item(10, 0.2, False)], FROZEN)
    assert result.failing == []
    remove = next(rr for rr in result.rules if rr.rule.id == "hate.remove").tally
    assert remove.precision is None and remove.estimates()["precision"].lo == 0.0


def test_the_most_severe_outcome_names_an_item(pack: PolicyPack) -> None:
    # limited on a medium score and reports, removed when a later score is sure
    limited = item(11, 0.8, True, reports=3)
    later = GoldenEvent(
        topic="model-scores", value=orjson.loads(score("v-11", 60 * MIN, hate=0.99)[2])
    )
    removed = GoldenItem(
        item_id="g-11",
        target="content",
        id="v-11",
        events=[*limited.events, later],
        labels=limited.labels,
    )
    result = evaluate(pack, [removed], FROZEN)
    decisions = result.runs["g-11"].decisions
    assert {d.outcome for d in decisions} == {"remove", "limit_distribution"}
    assert outcome_of(decisions) == "remove"
    assert outcome_of([]) == "none"
