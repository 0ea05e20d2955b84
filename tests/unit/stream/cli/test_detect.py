"""`vigil detect` reads real series as they are: repeats and disorder are mended with a warning
naming the line, and only unreadable rows stop it."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream.cli.detect import HEADER, BadRow, detect, parse


def test_csv_with_space_or_t_and_gaps() -> None:
    lines = [
        "timestamp,count",
        "2026-11-20 10:00,5",
        "2026-11-20T10:01:00Z,4",
        "2026-11-20 10:05,60",
    ]
    out = list(detect(parse(lines, "x.csv")))
    assert [o.split(",")[0] for o in out] == [
        "2026-11-20 10:00",
        "2026-11-20T10:01:00Z",
        "2026-11-20 10:05",
    ]
    assert all(len(o.split(",")) == len(HEADER.split(",")) for o in out)


def test_an_incident_pages_on_its_first_bucket_and_stays_open() -> None:
    rows = [f"2026-11-20 10:{m:02d},{80 if 30 <= m < 33 else 5}" for m in range(45)]
    out = [line.split(",") for line in detect(parse(["timestamp,count", *rows], "x.csv"))]
    assert [o[0] for o in out if o[4] == "1"] == ["2026-11-20 10:30"]  # alert: one page
    assert [o[0] for o in out if o[5] == "1"][:3] == [f"2026-11-20 10:{m}" for m in (30, 31, 32)]
    assert float(out[29][2]) == pytest.approx(5, abs=1)  # expected, before the incident


def test_a_repeated_timestamp_adds_its_count_and_is_reported_with_its_line() -> None:
    series = parse(
        ["timestamp,count", "2026-11-20 10:00,5", "2026-11-20 10:01,4", "2026-11-20 10:01,3"],
        "x.csv",
    )
    assert [(t, c) for t, _, c in series.rows] == [
        ("2026-11-20 10:00", 5),
        ("2026-11-20 10:01", 7),
    ]
    assert series.warnings == [
        "x.csv:4: repeated timestamp '2026-11-20 10:01' (line 3); its count is added to that bucket"
    ]


def test_a_series_of_values_keeps_the_later_of_a_repeated_row_and_pages_both_ways() -> None:
    series = parse(
        ["timestamp,value", "2026-11-20 10:00,-0.5", "2026-11-20 10:01,0.25", "2026-11-20 10:01,1"],
        "x.csv",
    )
    assert not series.counts and [v for *_, v in series.rows] == [-0.5, 1.0]
    assert series.warnings[0].endswith("its value replaces that row's")
    # a steady metric that drops pages, as one that climbs would
    rows = [
        f"2026-11-20 {10 + m // 60}:{m % 60:02d},{(-40.0 if m == 150 else 0.0) + m % 3 / 10}"
        for m in range(180)
    ]
    out = [line.split(",") for line in detect(parse(["timestamp,value", *rows], "x.csv"))]
    assert [o[0] for o in out if o[4] == "1"] == ["2026-11-20 12:30"]


def test_kind_counts_refuses_a_series_that_is_not_counts() -> None:
    with pytest.raises(BadRow, match="--kind counts"):
        list(detect(parse(["t,v", "2026-11-20 10:00,-1"], "x.csv"), "counts"))


def test_a_row_out_of_order_is_put_in_place_and_reported() -> None:
    series = parse(
        ["timestamp,count", "2026-11-20 10:02,5", "2026-11-20 10:00,4", "2026-11-20 10:03,1"],
        "x.csv",
    )
    assert [c for *_, c in series.rows] == [4, 5, 1]
    assert series.warnings == [
        "x.csv:3: timestamp '2026-11-20 10:00' is earlier than a row above it; put in time order"
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["timestamp,count", "2026-11-20 10:00,5,9"], "x.csv:2: expected 2 columns"),
        (["timestamp,count", "noon,5"], "x.csv:2: timestamp 'noon' is not ISO 8601"),
        (["timestamp,count", "2026-11-20 10:00,many"], "x.csv:2: value 'many' is not a number"),
        (["timestamp,count", "2026-11-20 10:00,nan"], "x.csv:2: value 'nan' is not a number"),
        (["timestamp,count", "1900-01-01 10:00,3"], "x.csv:2: .* outside the years"),
        ([], "x.csv: empty file"),
    ],
)
def test_bad_csv_rows_name_file_and_line(rows: list[str], message: str) -> None:
    with pytest.raises(BadRow, match=message):
        parse(rows, "x.csv")


@given(st.lists(st.text(max_size=30), max_size=6))
def test_arbitrary_csv_text_is_parsed_or_refused_cleanly(rows: list[str]) -> None:
    with contextlib.suppress(BadRow):
        series = parse(["timestamp,count", *rows], "x.csv")
        times = [ms for _, ms, _ in series.rows]
        assert times == sorted(set(times))  # one bucket per timestamp, in time order
        assert len(list(detect(series))) == len(series.rows)
