"""Golden-set files: what is written reads back, and every bad line is named with its file,
line and problem."""

from pathlib import Path

import msgspec
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.demo.golden import golden_set
from stream.errors import GoldenSetInvalid
from stream.goldenfile import frozen_at, read_golden, write_golden


@pytest.fixture(scope="module")
def sample() -> tuple:
    return golden_set(items=30, seed=3)


def test_a_written_set_reads_back(tmp_path: Path, sample: tuple) -> None:
    header, items = sample
    path = tmp_path / "g.jsonl"
    write_golden(path, header, items)
    read_header, read_items = read_golden(path)
    assert read_header == header
    assert frozen_at(read_header) is not None
    assert [msgspec.to_builtins(i) for i in read_items] == [msgspec.to_builtins(i) for i in items]


def _lines(sample: tuple) -> list[dict]:
    header, items = sample
    return [msgspec.to_builtins(header)] + [msgspec.to_builtins(i) for i in items[:3]]


def _problems(tmp_path: Path, lines: list[bytes]) -> str:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(GoldenSetInvalid) as exc:
        read_golden(path)
    return str(exc.value)


def test_every_bad_line_is_named(tmp_path: Path, sample: tuple) -> None:
    header, a, b, c = _lines(sample)
    no_labels = {**b, "labels": []}
    bad_score = orjson.loads(orjson.dumps(c))
    for ev in bad_score["events"]:
        if ev["topic"] == "model-scores":
            ev["value"]["scores"] = {"hate": 1.5}
    msg = _problems(
        tmp_path,
        [orjson.dumps(x) for x in (header, a, no_labels, bad_score)]
        + [b"{not json", orjson.dumps(a)],
    )
    path = tmp_path / "bad.jsonl"
    assert f"{path}:3: Expected `array` of length >= 1 - at `$.labels`" in msg
    assert f"{path}:4: events[1] (model-scores): invalid_field: Expected `float` <= 1.0" in msg
    assert f"{path}:5: JSON is malformed" in msg
    assert f"{path}:6: item_id {a['item_id']!r} repeats line 2" in msg


def test_the_header_must_come_first(tmp_path: Path, sample: tuple) -> None:
    header, a, _, _ = _lines(sample)
    msg = _problems(tmp_path, [orjson.dumps(a), orjson.dumps(header)])
    assert ":2: the `set` header must be the first line" in msg


def test_an_event_about_another_video_is_refused(tmp_path: Path, sample: tuple) -> None:
    _, a, _, _ = _lines(sample)
    a["events"][0]["value"]["content_id"] = "someone-else"
    msg = _problems(tmp_path, [orjson.dumps(a)])
    assert ":1: events[0] (uploads): content_id is not the item's id" in msg


def test_a_label_date_out_of_range_is_refused(tmp_path: Path, sample: tuple) -> None:
    _, a, _, _ = _lines(sample)
    a["labels"][0]["labelled_at"] = "1990-01-01T00:00:00Z"
    msg = _problems(tmp_path, [orjson.dumps(a)])
    assert ":1: labels[0].labelled_at: ts is outside years 2000..2200" in msg


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(GoldenSetInvalid, match="does not exist"):
        read_golden(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(GoldenSetInvalid, match="no items"):
        read_golden(tmp_path / "empty.jsonl")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=200).filter(lambda b: b"\n" not in b), min_size=1, max_size=5))
def test_any_bytes_read_or_refuse_cleanly(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes]
) -> None:
    path = tmp_path_factory.mktemp("g") / "any.jsonl"
    path.write_bytes(b"\n".join(lines))
    try:
        read_golden(path)
    except GoldenSetInvalid as exc:
        assert str(path) in str(exc)
