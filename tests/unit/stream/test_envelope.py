"""Events-file lines: an envelope naming a field twice is refused; names elsewhere are fine."""

from stream.envelope import BadLine, Line, parse_lines


def parsed(line: bytes) -> Line | BadLine:
    (item,) = list(parse_lines([line]))
    return item


def test_a_second_topic_makes_the_line_refused() -> None:
    bad = parsed(b'{"topic":"uploads","topic":"enforcement-actions","key":"v","value":{}}')
    assert isinstance(bad, BadLine) and bad.detail == "duplicate key `topic` - at `$`"
    bad = parsed(b'{"topic":"uploads","key":"a","value":{},"key":"b"}')
    assert isinstance(bad, BadLine) and bad.detail == "duplicate key `key` - at `$`"


def test_the_names_inside_values_are_not_the_envelopes() -> None:
    line = parsed(b'{"topic":"key","key":"value","value":{"topic":1,"key":2,"value":3}}')
    assert isinstance(line, Line) and (line.topic, line.key) == ("key", b"value")
    assert line.value == b'{"topic":1,"key":2,"value":3}'
    # a repeat inside the value is the value decoder's to refuse, not the envelope's
    inner = parsed(b'{"topic":"uploads","key":"v","value":{"a":1,"a":2}}')
    assert isinstance(inner, Line)
