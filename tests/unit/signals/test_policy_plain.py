"""Plain conditions compiled to Python agree with CEL, and everything else stays on CEL."""

import cel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.catalogue import SIGNALS
from signals.policy.model import guards_of
from signals.policy.plain import compile_plain
from stream.config import SHIPPED_POLICIES
from stream.policyfiles import load_pack

TYPES = {"n": "int", "m": "int", "s": "double", "b": "bool", "k": "string"}

ints = st.integers(-1_000, 1_000)
doubles = st.floats(-1_000, 1_000, allow_nan=False, allow_infinity=False)
words = st.sampled_from(["", "US", "DE", "hashtag", "audio", "a b", "ü"])
values = st.fixed_dictionaries(
    {"n": ints, "m": ints, "s": doubles | ints.map(float), "b": st.booleans(), "k": words}
)


def _num() -> st.SearchStrategy[str]:
    return ints.map(str) | st.sampled_from(["0.5", "0.75", "-2.5", "1e2", "3.0", "0"])


def _atom() -> st.SearchStrategy[str]:
    op = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
    numeric = st.tuples(st.sampled_from(["n", "m", "s"]), op, _num()).map(" ".join)
    flipped = st.tuples(_num(), op, st.sampled_from(["n", "s"])).map(" ".join)
    text = st.tuples(
        st.just("k"), st.sampled_from(["==", "!="]), words.map(lambda w: f'"{w}"')
    ).map(" ".join)
    member = st.lists(words.map(lambda w: f'"{w}"'), max_size=3).map(
        lambda ws: f"k in [{', '.join(ws)}]"
    )
    boolean = st.sampled_from(["b", "!b", "true", "false", "b == true", "b != false", "!!b"])
    # outside the subset: must fall back to CEL, never be compiled wrongly
    other = st.sampled_from(
        [
            "n - m >= 3",
            "double(n) > s",
            "size(k) > 1",
            'k < "m"',
            "n == m",
            "s >= n",
            'k.startsWith("a")',
            "n in [1, 2]",
        ]
    )
    return numeric | flipped | text | member | boolean | other


conditions = st.recursive(
    _atom(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" && ", " || "]), inner).map("".join),
        inner.map(lambda c: f"({c})"),
        inner.map(lambda c: f"!({c})"),
    ),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None)
@given(conditions, st.lists(values, min_size=1, max_size=5))
def test_compiled_condition_agrees_with_cel(when: str, samples: list[dict[str, object]]) -> None:
    program = cel.compile(when)
    test = compile_plain(when, TYPES)
    if test is None:
        return
    for v in samples:
        assert test(v) is program.execute(v), (when, v)


@pytest.mark.parametrize(
    "when",
    [
        "n - m >= 3",  # arithmetic
        "size(k) > 1",  # functions
        'k < "m"',  # string ordering
        "n == m",  # two signals
        "n in [1, 2]",  # membership of numbers
        "!n > 3",  # `!` binds tighter than `>` in CEL: a type error there, not `!(n > 3)`
        "b == 1",  # bool against a number: CEL refuses
        'k == "a\\"b"',  # escapes
        "n >= 3u",  # unsigned literal
        "n >= 0x10",  # hex literal
        "n >= 3 ? true : false",
        "unknown >= 3",
        "n >=",
        "(n >= 3",
    ],
)
def test_outside_the_subset_stays_on_cel(when: str) -> None:
    assert compile_plain(when, TYPES) is None


def test_precedence_follows_cel() -> None:
    test = compile_plain("b || n > 1 && s < 0.5", TYPES)
    assert test is not None
    # && binds tighter than ||
    assert test({"b": True, "n": 0, "s": 1.0, "m": 0, "k": ""}) is True
    assert test({"b": False, "n": 2, "s": 1.0, "m": 0, "k": ""}) is False


def test_shipped_rules_run_in_python_except_arithmetic() -> None:
    pack = load_pack(SHIPPED_POLICIES)
    on_cel = sorted(v.id for r in pack.rules for v in (r, *r.regions.values()) if v.test is None)
    assert on_cel == ["creator.repeat_offender_strike", "creator.suspension_review"]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_shipped_conditions_agree_with_cel(data: st.DataObject) -> None:
    pack = load_pack(SHIPPED_POLICIES)
    strategies = {
        "int": st.integers(0, 50),
        "double": st.floats(0, 1) | st.floats(0, 20),
        "bool": st.booleans(),
        "string": st.sampled_from(["hashtag", "audio", "blackoutchallenge", "DE", ""]),
    }
    for rule in pack.rules:
        for variant in (rule, *rule.regions.values()):
            if variant.test is None:
                continue
            v = {n: data.draw(strategies[SIGNALS[n].type]) for n in variant.reads}
            assert variant.test(v) is variant.program.execute(v), (variant.id, v)


def test_watchlist_membership_is_a_guard_read_before_costlier_signals() -> None:
    assert guards_of(
        'trend_kind == "hashtag" && trend_key in ["a", "b c"] && trend_creators_5m >= 3'
    ) == (
        ("trend_kind", "==", "hashtag"),
        ("trend_key", "in", frozenset({"a", "b c"})),
        ("trend_creators_5m", ">=", 3.0),
    )
    assert guards_of('trend_key in ["a"] || trend_total > 1') == ()  # not a conjunction
