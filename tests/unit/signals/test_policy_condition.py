"""Condition trees: they evaluate as CEL does, their clause texts say what is true, and a
swept threshold evaluates as the condition written with that threshold."""

import cel
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.policy.condition import All, Compare, Not, parse
from signals.policy.plain import compile_swept
from tests.unit.signals.test_policy_plain import TYPES, conditions, values


@settings(max_examples=300, deadline=None)
@given(conditions, st.lists(values, min_size=1, max_size=4))
def test_a_tree_evaluates_as_cel_does(when: str, samples: list[dict[str, object]]) -> None:
    tree = parse(when, TYPES)
    if tree is None:
        return
    program = cel.compile(when)
    for v in samples:
        assert tree.holds(v) is program.execute(v), (when, v)


@settings(max_examples=300, deadline=None)
@given(conditions, st.lists(values, min_size=1, max_size=4))
def test_every_clause_text_and_its_negation_are_true_statements(
    when: str, samples: list[dict[str, object]]
) -> None:
    tree = parse(when, TYPES)
    if tree is None:
        return
    for node in tree.walk():
        said = parse(node.text(), TYPES)
        denied = parse(node.negated_text(), TYPES)
        assert said is not None and denied is not None, (node.text(), node.negated_text())
        for v in samples:
            assert said.holds(v) is node.holds(v), (node.text(), v)
            assert denied.holds(v) is (not node.holds(v)), (node.negated_text(), v)


@settings(max_examples=200, deadline=None)
@given(conditions, values, st.integers(-1_000, 1_000))
def test_a_swept_threshold_is_the_condition_with_that_literal(
    when: str, v: dict[str, object], t: int
) -> None:
    tree = parse(when, TYPES)
    if tree is None:
        return
    for node in tree.walk():
        if isinstance(node, Compare) and node.numeric:
            swept = compile_swept(tree, node)
            assert swept(v, node.literal) is tree.holds(v)
            rewritten = parse(
                tree.text().replace(node.text(), f"{node.signal} {node.op} {t}"), TYPES
            )
            # the same comparison twice (once under a Not, which reads as its negation) is
            # swept in both places: no one-place rewrite says what that means
            twins = [
                n
                for n in tree.walk()
                if isinstance(n, Compare) and (n.signal, n.literal) == (node.signal, node.literal)
            ]
            if rewritten is not None and tree.text().count(node.text()) == 1 and len(twins) == 1:
                assert swept(v, t) is rewritten.holds(v), (when, node.text(), t)


def test_shape_of_a_banded_condition() -> None:
    tree = parse(
        "score_max_hate >= 0.85 && !(reports_1h < 2)",
        {"score_max_hate": "double", "reports_1h": "int"},
    )
    assert isinstance(tree, All)
    first, second = tree.parts
    assert isinstance(first, Compare) and (first.signal, first.op, first.literal) == (
        "score_max_hate",
        ">=",
        0.85,
    )
    assert isinstance(second, Not) and second.text() == "reports_1h >= 2"
    assert tree.text() == "score_max_hate >= 0.85 && reports_1h >= 2"
