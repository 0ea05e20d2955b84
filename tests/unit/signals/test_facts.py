"""Facts packed per partition between the families: every fact arrives, in order, intact."""

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from signals.creator import CreatorFact
from signals.facts import PACK_BYTES, PACK_LIMIT, pack, unpack
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


@given(st.lists(st.one_of(trend_facts, creator_facts), max_size=2500))
def test_packed_facts_come_back_in_order_and_whole(facts: list[TrendFact | CreatorFact]) -> None:
    records = pack([f.fields() for f in facts])
    assert len(records) == -(-len(facts) // PACK_LIMIT)  # ceil: no empty record, none too big
    assert all(len(r) <= PACK_BYTES for r in records)
    back = [fields for r in records for fields in unpack(r)]
    assert back == [f.fields() for f in facts]
    again = [type(f)(*fields) for f, fields in zip(facts, back, strict=True)]
    assert [f.fields() for f in again] == [f.fields() for f in facts]
    assert [f.table_key for f in again] == [f.table_key for f in facts]


@given(trend_facts)
def test_a_record_holding_one_fact_is_read_as_that_fact(fact: TrendFact) -> None:
    # what workers wrote before facts were packed: a topic may still hold such records
    single = orjson.dumps(fact.fields())
    assert unpack(single) == [fact.fields()]
    assert TrendFact(*unpack(single)[0]).table_key == fact.table_key


@pytest.mark.parametrize("raw", [b"[]", b"{}", b"3", b'"x"'])
def test_a_record_that_is_not_a_fact_array_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError, match="non-empty JSON array"):
        unpack(raw)


def test_invalid_json_is_refused() -> None:
    with pytest.raises(orjson.JSONDecodeError):
        unpack(b"[[1,")


def test_packs_of_long_ids_stay_under_the_byte_bound_in_order() -> None:
    # ids at their 128-character limit: a thousand such facts would near Kafka's 1 MB limit
    long_id = "x" * 128
    facts = [
        TrendFact(
            "hashtag", f"{i:04d}" + long_id[4:100], i, long_id, long_id, long_id, "US"
        ).fields()
        for i in range(2500)
    ]
    records = pack(facts)
    assert all(len(r) <= PACK_BYTES for r in records)
    assert len(records) > -(-len(facts) // PACK_LIMIT)  # split further than the count bound
    assert [f for r in records for f in unpack(r)] == facts


def test_a_single_fact_larger_than_the_bound_still_travels_alone() -> None:
    big = ["hashtag", "y" * (PACK_BYTES + 10), 1]
    assert [unpack(r) for r in pack([["a"], big, ["b"]])] == [[["a"]], [big], [["b"]]]
