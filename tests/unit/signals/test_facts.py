"""Facts packed per partition between the families: every fact arrives, in order, intact, and
only as a versioned record this build reads."""

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from signals.creator import CreatorFact
from signals.facts import PACK_BYTES, PACK_LIMIT, pack, unpack, unpack_clocked
from signals.records import CREATOR_FACT_PACK, TREND_FACT_PACK, UnknownEncoding
from signals.trend import TrendFact

ids = st.text(min_size=1, max_size=30)
trend_facts = st.builds(
    TrendFact,
    st.sampled_from(["hashtag", "audio", "caption", "area_region"]),
    ids,
    st.integers(0, 2**53),
    ids,
    ids,
    ids,
    st.text(max_size=3),
)
creator_facts = st.builds(
    CreatorFact,
    st.sampled_from(["upload", "report", "action"]),
    st.integers(0, 2**53),
    ids,
    ids,
    ids,
    st.text(max_size=20),
    st.text(max_size=20),
    st.text(max_size=20),
    st.text(max_size=3),
)


@given(st.lists(trend_facts, max_size=1200), st.lists(creator_facts, max_size=1200))
def test_packed_facts_come_back_in_order_and_whole(
    trends: list[TrendFact], creators: list[CreatorFact]
) -> None:
    for facts, decoder in ((trends, TREND_FACT_PACK), (creators, CREATOR_FACT_PACK)):
        packed = pack([f.fields() for f in facts])
        assert len(packed) == -(-len(facts) // PACK_LIMIT)  # ceil: no empty record, none too big
        assert all(len(r) <= PACK_BYTES for r in packed)
        back = [fields for r in packed for fields in unpack(r, decoder)]
        again = [type(f)(*fields) for f, fields in zip(facts, back, strict=True)]
        assert [f.fields() for f in again] == [f.fields() for f in facts]
        assert [f.table_key for f in again] == [f.table_key for f in facts]


@given(trend_facts)
def test_records_from_before_facts_were_versioned_are_read(fact: TrendFact) -> None:
    # what workers wrote before facts were packed (one fact) and before packs were versioned (a
    # bare array): a topic may still hold such records during a deploy
    for old in (orjson.dumps(fact.fields()), orjson.dumps([fact.fields(), fact.fields()])):
        back = unpack(old, TREND_FACT_PACK)
        assert [list(f) for f in back] == [fact.fields()] * len(back)
        assert TrendFact(*back[0]).table_key == fact.table_key


def test_a_pack_is_a_versioned_record() -> None:
    fact = TrendFact("hashtag", "fyp", 5, "u1", "v1", "e1", "US")
    (record,) = pack([fact.fields()])
    assert orjson.loads(record) == [1, [fact.fields()]]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"[]", "fact record"),
        (b"{}", "fact record"),
        (b"3", "fact record"),
        (b'"x"', "fact record"),
        (b"[[1,", "fact record"),
        (b"[1,[[1,2]]]", r"does not fit its version: Expected `str`, got `int`"),
        (b'[2,[["hashtag","fyp",5,"u","v","e","US"]]]', "encoding 2.*does not fit"),
        (b'[3,[["hashtag","fyp",5,"u","v","e","US"]]]', "encoding 3, which this version"),
    ],
)
def test_a_record_that_is_not_facts_of_a_known_version_is_refused(raw: bytes, why: str) -> None:
    with pytest.raises(UnknownEncoding, match=why):
        unpack(raw, TREND_FACT_PACK)


def test_packs_of_long_ids_stay_under_the_byte_bound_in_order() -> None:
    # ids at their 128-character limit: a thousand such facts would near Kafka's 1 MB limit
    long_id = "x" * 128
    facts = [
        TrendFact(
            "hashtag", f"{i:04d}" + long_id[4:100], i, long_id, long_id, long_id, "US"
        ).fields()
        for i in range(2500)
    ]
    packed = pack(facts)
    assert all(len(r) <= PACK_BYTES for r in packed)
    assert len(packed) > -(-len(facts) // PACK_LIMIT)  # split further than the count bound
    assert [list(f) for r in packed for f in unpack(r, TREND_FACT_PACK)] == facts


def test_a_single_fact_larger_than_the_bound_still_travels_alone() -> None:
    def fact(key: str) -> list[object]:
        return TrendFact("hashtag", key, 1, "u", "v", "e", "US").fields()

    big = fact("y" * (PACK_BYTES + 10))
    packed = pack([fact("a"), big, fact("b")])
    assert [[list(f) for f in unpack(r, TREND_FACT_PACK)] for r in packed] == [
        [fact("a")],
        [big],
        [fact("b")],
    ]


clocks = st.lists(st.tuples(st.integers(0, 63), st.integers(0, 2**53)), max_size=8)


@given(st.lists(trend_facts, max_size=1200), clocks)
def test_clocks_travel_after_the_facts(
    trends: list[TrendFact], sent: list[tuple[int, int]]
) -> None:
    packed = pack([f.fields() for f in trends], sent)
    back = [unpack_clocked(r, TREND_FACT_PACK) for r in packed]
    # what the clocks promise covers every fact before them: they come last, alone
    assert back[-1] == ([], sent)
    assert all(c is None for _, c in back[:-1])
    assert [list(f) for facts, _ in back for f in facts] == [f.fields() for f in trends]


def test_a_record_without_clocks_says_so() -> None:
    fact = TrendFact("hashtag", "fyp", 5, "u1", "v1", "e1", "US")
    (record,) = pack([fact.fields()])
    assert unpack_clocked(record, TREND_FACT_PACK)[1] is None
    assert pack([]) == []
