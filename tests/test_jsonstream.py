"""Reading big JSON in bounded memory: arrays element by element, lines, and what is refused."""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Iterator

import pytest

from todo_cli.errors import InvalidInput
from todo_cli.formats import jsonstream
from todo_cli.formats.jsonstream import MiB


class Trickle:
    """A stream that gives at most ``step`` bytes a read, like a slow pipe."""

    def __init__(self, data: bytes, step: int = 1) -> None:
        self._data = io.BytesIO(data)
        self._step = step

    def read(self, size: int = -1, /) -> bytes:
        return self._data.read(self._step if size < 0 else min(size, self._step))


class Endless:
    """A stream of ``head`` then ``filler`` forever, counting what was read from it.

    Past 64 MiB it fails the test instead of feeding a reader that would go on for ever.
    """

    def __init__(self, head: bytes, filler: bytes) -> None:
        self._head = head
        self._filler = filler
        self.read_bytes = 0

    def read(self, size: int = -1, /) -> bytes:
        size = MiB if size < 0 else size
        assert self.read_bytes < 64 * MiB, "read on and on: the input was never refused"
        data = self._head[:size]
        self._head = self._head[size:]
        missing = size - len(data)
        data += (self._filler * (missing // len(self._filler) + 1))[:missing]
        self.read_bytes += len(data)
        return data


def items(data: bytes, **limits: int) -> list[tuple[int, object]]:
    return list(jsonstream.iter_array(io.BytesIO(data), "export.json", **limits))


def refusal(data: bytes, **limits: int) -> str:
    with pytest.raises(InvalidInput) as caught:
        items(data, **limits)
    return str(caught.value)


# --- arrays -------------------------------------------------------------------------


def test_an_array_yields_each_element_with_its_index() -> None:
    data = b'[{"a": 1}, [2, 3], "four", 5.5, true, null]'
    assert items(data) == [(0, {"a": 1}), (1, [2, 3]), (2, "four"), (3, 5.5), (4, True), (5, None)]


def test_brackets_commas_and_escaped_quotes_inside_strings_are_text() -> None:
    tricky = ["a,]b", "}{", '"q"', "back\\slash\\", "[[[", "\u2028 ü 🐢"]
    data = json.dumps([{"t": text} for text in tricky]).encode()
    assert [value for _, value in items(data)] == [{"t": text} for text in tricky]


def test_an_empty_array_yields_nothing() -> None:
    assert items(b" [ \n ] \n") == []


def test_a_leading_byte_order_mark_is_dropped_even_when_it_arrives_a_byte_at_a_time() -> None:
    stream = Trickle(b'\xef\xbb\xbf[{"a": "\xc3\xbc"}, 2]', step=1)
    assert list(jsonstream.iter_array(stream, "export.json")) == [(0, {"a": "ü"}), (1, 2)]


def test_elements_are_yielded_before_the_rest_of_the_file_is_read() -> None:
    # An endless array of small objects: the first ones arrive at once.
    stream = Endless(b"[", b'{"n": 1},' * 1000)
    first = list(itertools.islice(jsonstream.iter_array(stream, "export.json"), 3))
    assert first == [(0, {"n": 1}), (1, {"n": 1}), (2, {"n": 1})]
    assert stream.read_bytes <= 2 * jsonstream.CHUNK_BYTES


def test_an_element_over_the_size_cap_is_refused_before_the_rest_is_read() -> None:
    # A file of one line that never ends: a string that never closes.
    stream = Endless(b'[{"ok": 1}, {"text": "', b"x" * 4096)
    reader = jsonstream.iter_array(stream, "export.json", max_item_bytes=4 * MiB)
    assert next(reader) == (0, {"ok": 1})
    with pytest.raises(InvalidInput, match=r"element 2 \(\.\[1\]\).*larger than 4 MiB"):
        next(reader)
    assert stream.read_bytes < 12 * MiB


def test_nesting_deeper_than_the_limit_is_refused_while_scanning() -> None:
    # A nesting bomb: it never ends, so only a check before parsing can stop it.
    stream = Endless(b"[", b"[")
    with pytest.raises(InvalidInput, match=r"element 1 \(\.\[0\]\).*more than 100 levels deep"):
        next(jsonstream.iter_array(stream, "export.json"))
    assert stream.read_bytes <= jsonstream.CHUNK_BYTES


def test_nesting_up_to_the_limit_is_read() -> None:
    nested = b"[" * 5 + b"1" + b"]" * 5
    assert items(b"[" + nested + b"]", max_depth=5) == [(0, [[[[[1]]]]])]
    assert "more than 4 levels" in refusal(b"[" + nested + b"]", max_depth=4)


def test_brackets_inside_strings_do_not_count_towards_the_depth() -> None:
    brackets = "[[[[[[[[[[{{{{{{{{"
    assert items(json.dumps([{"s": brackets}]).encode(), max_depth=1) == [(0, {"s": brackets})]


def test_invalid_utf8_names_the_line() -> None:
    data = b'[\n{"a": 1},\n{"b": "caf\xe9"}\n]'
    assert refusal(data) == "export.json is not valid UTF-8 (line 3)"


def test_a_syntax_error_names_the_element_line_and_column() -> None:
    data = b'[\n  {"a": 1},\n  {"b": 2,\n   "c": tru}\n]'
    message = refusal(data)
    assert "element 2 (.[1]) is not valid JSON" in message
    assert "line 4 column 9" in message


def test_a_syntax_error_on_the_first_line_counts_columns_in_characters() -> None:
    data = '[{"ü": 1}, {"b": ]}]'.encode()
    assert "line 1 column 18" in refusal(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "expected a JSON array, found nothing"),
        (b'{"a": 1}', "expected a JSON array, found '{' at line 1 column 1"),
        (b"[1, 2", "ends before the array is closed"),
        (b"[1,", "ends before the array is closed"),
        (b'[{"a": "unterminated', "ends inside element 1 (.[0])"),
        (b"[1,]", "expected a value at line 1 column 4"),
        (b"[1 2]", "element 1 (.[0]) is not valid JSON"),
        (b'[{"a": 1} {"b": 2}]', "expected ',' or ']' after element 1 (.[0]), found '{'"),
        (b"[1] [2]", "unexpected data after the array: '[' at line 1 column 5"),
        (b"[NaN]", "NaN is not a JSON value"),
        (b"[1, Infinity]", "element 2 (.[1]) is not valid JSON: Infinity is not a JSON value"),
        (b"[1, 1e400]", "element 2 (.[1]) holds 1e400, a number too large to keep"),
        (b'[{"a": -1E+999}]', "element 1 (.[0]) holds -1E+999, a number too large to keep"),
    ],
)
def test_broken_arrays_are_refused_with_a_plain_sentence(data: bytes, message: str) -> None:
    assert message in refusal(data)


# --- lines --------------------------------------------------------------------------


def lines(data: bytes, **limits: int) -> list[tuple[int, str]]:
    return list(jsonstream.iter_lines(io.BytesIO(data), "tasks.txt", **limits))


def test_lines_end_at_lf_or_crlf_only() -> None:
    odd = "a\rb\x0bc\x0cd\x1ce\x85f\u2028g\u2029h"
    data = f"first\r\n{odd}\nlast".encode()
    assert lines(data) == [(1, "first"), (2, odd), (3, "last")]


def test_blank_lines_are_yielded_and_a_final_newline_adds_no_line() -> None:
    assert lines(b"a\n\n  \nb\n") == [(1, "a"), (2, ""), (3, "  "), (4, "b")]


def test_lines_drop_a_leading_bom_split_across_reads() -> None:
    stream = Trickle(b"\xef\xbb\xbfone\ntwo", step=2)
    assert list(jsonstream.iter_lines(stream, "tasks.txt")) == [(1, "one"), (2, "two")]


def test_a_line_longer_than_the_limit_is_refused_before_it_is_all_read() -> None:
    stream = Endless(b"short\n", b"x" * 4096)
    reader = jsonstream.iter_lines(stream, "tasks.txt", max_line_bytes=2 * MiB)
    assert next(reader) == (1, "short")
    with pytest.raises(InvalidInput, match="line 2 is longer than 2 MiB"):
        next(reader)
    assert stream.read_bytes < 4 * MiB


def test_a_line_at_the_limit_is_read_with_its_crlf() -> None:
    assert lines(b"xxxx\r\nyy", max_line_bytes=4) == [(1, "xxxx"), (2, "yy")]


def test_invalid_utf8_in_a_line_names_it() -> None:
    with pytest.raises(InvalidInput, match=r"^tasks\.txt is not valid UTF-8 \(line 2\)$"):
        lines(b"fine\nnot \xff fine\n")


def test_json_lines_skip_blank_lines_and_name_the_broken_one() -> None:
    stream = io.BytesIO(b'{"a": 1}\n\n  \r\n{"b": 2}\n{"c": }\n')
    reader = jsonstream.iter_json_lines(stream, "tasks.jsonl")
    assert next(reader) == (1, {"a": 1})
    assert next(reader) == (4, {"b": 2})
    with pytest.raises(InvalidInput, match=r"tasks\.jsonl: line 5 is not valid JSON: .* column 7"):
        next(reader)


def test_a_string_left_open_is_said_once_where_it_starts() -> None:
    # The reader's own text ends "starting at": it read "starting at at column 19".
    stream = io.BytesIO(b'{"id":"x","title":"a\n')
    with pytest.raises(InvalidInput) as caught:
        next(jsonstream.iter_json_lines(stream, "t.jsonl"))
    assert caught.value.message == (
        "t.jsonl: line 1 is not valid JSON: Unterminated string starting at column 19"
    )
    with pytest.raises(InvalidInput) as whole:
        jsonstream.load(io.BytesIO(b'{"a": "b\n}'), "x.json")
    assert whole.value.message == (
        "x.json is not valid JSON: Unterminated string starting at line 1 column 7"
    )


def test_json_lines_refuse_deep_nesting_before_parsing() -> None:
    stream = io.BytesIO(b"[" * 5000 + b"]" * 5000 + b"\n")
    with pytest.raises(InvalidInput, match="line 1 is nested more than 100 levels deep"):
        list(jsonstream.iter_json_lines(stream, "tasks.jsonl"))


# --- peeking, whole documents, text -------------------------------------------------


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b'\xef\xbb\xbf \n [{"a": 1}]', "array"),
        (b'\t{"title": "x"}', "object"),
        (b"", "empty"),
        (b" \r\n\t ", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"hello", "other"),
    ],
)
def test_peek_tells_how_a_stream_starts_and_gives_every_byte_back(data: bytes, start: str) -> None:
    found, replay = jsonstream.peek(Trickle(data, step=3), "input")
    assert found == start
    assert b"".join(iter(lambda: replay.read(2), b"")) == data


def test_peek_then_iter_array_reads_the_whole_array() -> None:
    start, replay = jsonstream.peek(io.BytesIO(b'  [{"a": 1}, {"b": 2}]'), "export.json")
    assert start == "array"
    assert list(jsonstream.iter_array(replay, "export.json")) == [(0, {"a": 1}), (1, {"b": 2})]


def test_load_reads_one_document_within_the_size_cap() -> None:
    assert jsonstream.load(io.BytesIO(b'\xef\xbb\xbf{"title": "t"}'), "x.json") == {"title": "t"}
    with pytest.raises(InvalidInput, match=r"x\.json is larger than 10 bytes"):
        jsonstream.load(io.BytesIO(b'{"title": "long"}'), "x.json", max_bytes=10)


def test_load_and_json_lines_refuse_a_number_past_a_floats_range() -> None:
    with pytest.raises(InvalidInput, match=r"^one.json holds 1e999, a number too large"):
        jsonstream.load(io.BytesIO(b'{"a": [1e999]}'), "one.json")
    with pytest.raises(InvalidInput, match=r"^t.jsonl: line 2 holds 2e308, a number too large"):
        list(jsonstream.iter_json_lines(io.BytesIO(b'{"a": 1.5e308}\n{"a": 2e308}\n'), "t.jsonl"))


def test_load_refuses_deep_nesting_and_names_syntax_errors() -> None:
    with pytest.raises(InvalidInput, match="nested more than 3 levels"):
        jsonstream.load(io.BytesIO(b"[[[[1]]]]"), "x.json", max_depth=3)
    with pytest.raises(InvalidInput, match=r"x\.json is not valid JSON: .* line 2 column 5"):
        jsonstream.load(io.BytesIO(b'{"a":\n  1 2}'), "x.json")


def test_iter_text_decodes_across_chunks_and_names_the_bad_line() -> None:
    text = "żółw 🐢\n" * 3
    stream = io.BytesIO(b"\xef\xbb\xbf" + text.encode())
    chunks = jsonstream.iter_text(stream, "n.txt", chunk_bytes=3)
    assert "".join(chunks) == text
    bad = io.BytesIO(b"ok\nok\n\xf0\x9f\n")  # a four-byte character cut after two
    with pytest.raises(InvalidInput, match=r"n\.txt is not valid UTF-8 \(line 3\)"):
        list(jsonstream.iter_text(bad, "n.txt", chunk_bytes=2))


def test_nested_too_deep_counts_only_brackets_outside_strings() -> None:
    assert not jsonstream.nested_too_deep('{"a": "[[[[[["}', 1)
    assert jsonstream.nested_too_deep('{"a": [1]}', 1)


def generate(count: int) -> Iterator[bytes]:
    yield b"["
    for n in range(count):
        yield (b"," if n else b"") + json.dumps({"n": n, "pad": "x" * 1000}).encode()
    yield b"]"


def test_many_elements_across_many_chunks_all_arrive_in_order() -> None:
    data = b"".join(generate(5000))  # about 5 MB: several chunks
    assert [value["n"] for _, value in items(data)] == list(range(5000))  # type: ignore[index]


def mixed_array(count: int, seed: int) -> tuple[bytes, list[object]]:
    """An array of mostly objects (some with text that looks like JSON's own
    punctuation, some not ASCII), with other kinds of element here and there,
    written with varied white space: what reading in runs must give back whole."""
    import random

    rng = random.Random(seed)
    texts = ["plain", "}, {", '"},{"', "[[{", "ü 🐢 東京", "a\\b", "x" * 3000, "\u2028"]
    values: list[object] = []
    for n in range(count):
        kind = rng.random()
        if kind < 0.9:
            value: object = {"n": n, "t": rng.choice(texts), "l": [{"e": n}] * rng.randint(0, 2)}
        elif kind < 0.95:
            value = [n, {"n": n}]
        else:
            value = rng.choice([n, "s", None, 1.5])
        values.append(value)
    spaces = [",", ", ", ",\n", "\n,\n  ", "\r\n,\t"]
    parts = [json.dumps(value, ensure_ascii=rng.random() < 0.5) for value in values]
    text = "[\n" + "".join(part + rng.choice(spaces) for part in parts[:-1]) + parts[-1] + "\n]"
    return text.encode(), values


@pytest.mark.parametrize(("step", "count"), [(None, 8000), (65_537, 8000), (7, 300)])
def test_objects_read_in_runs_are_every_element_in_order_across_reads(
    step: int | None, count: int
) -> None:
    # Whole reads (runs end at several reads' ends), then reads that cut
    # elements and characters anywhere, as a pipe may.
    data, values = mixed_array(count, seed=step or 1)
    assert step is not None or len(data) > 2 * jsonstream.CHUNK_BYTES
    stream = io.BytesIO(data) if step is None else Trickle(data, step)
    read = list(jsonstream.iter_array(stream, "export.json"))
    assert read == list(enumerate(values))


def test_an_array_of_objects_is_parsed_a_read_at_a_time_not_scanned_element_by_element(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The fast path is what makes reading 100,000 tasks cheap: if it stopped
    # being taken, every result above would still hold.
    scanned: list[int] = []
    read_element = jsonstream._Source.read_element

    def counted(self: jsonstream._Source, index: int, **limits: int) -> object:
        scanned.append(index)
        return read_element(self, index, **limits)

    monkeypatch.setattr(jsonstream._Source, "read_element", counted)
    data = b"".join(generate(5000))  # about 5 MB
    assert [value["n"] for _, value in items(data)] == list(range(5000))  # type: ignore[index]
    # At most the element cut by the end of each read goes element by element.
    assert 0 < len(scanned) <= len(data) // jsonstream.CHUNK_BYTES + 1


def test_a_run_is_tried_once_a_read_however_often_it_stops_early(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Objects and numbers by turns: every run stops at its first number. Tried
    # again after each, the buffer's text would be decoded once per element.
    tried: list[int] = []
    read_run = jsonstream._Source.read_run

    def counted(self: jsonstream._Source, **limits: int) -> list[object]:
        tried.append(self.pos)
        return read_run(self, **limits)

    monkeypatch.setattr(jsonstream._Source, "read_run", counted)
    values = [{"n": n} if n % 2 else n for n in range(200_000)]
    data = json.dumps(values).encode()  # about 2 MB
    assert [value for _, value in items(data)] == values
    assert 0 < len(tried) <= len(data) // jsonstream.CHUNK_BYTES + 2


def test_an_error_after_a_run_names_its_element_line_and_column() -> None:
    # Read in one run up to the mistake: line and column still count from the
    # file's start, the column in characters (the ü and the turtle are one each).
    good = [{"ü": "🐢"}, {"a": 1}, {"b": [1, {"c": 2}]}]
    data = "[\n" + ",\n".join(json.dumps(v, ensure_ascii=False) for v in good)
    data += ',\n{"ü🐢": tru}\n]'
    message = refusal(data.encode())
    assert message == (
        "export.json: element 4 (.[3]) is not valid JSON: Expecting value at line 5 column 8"
    )


def test_objects_in_a_run_keep_the_depth_and_size_limits() -> None:
    deep = b'{"a": ' * 101 + b"1" + b"}" * 101
    data = b'[{"ok": 1}, ' + deep + b"]"
    assert "element 2 (.[1]), starting on line 1, is nested more than 100 levels" in (refusal(data))
    # Past what the json module itself recurses to: still the same sentence.
    bomb = b'{"a": ' * 5000 + b"1" + b"}" * 5000
    assert "element 3 (.[2]), starting on line 1, is nested more than 100 levels" in (
        refusal(b'[{"ok": 1}, {"ok": 2}, ' + bomb + b"]")
    )
    # Brackets in strings are text: many of them do not make an object deep.
    brackets = {"s": "{[" * 200}
    assert items(json.dumps([{"ok": 1}, brackets]).encode()) == [(0, {"ok": 1}), (1, brackets)]
    # Every element whole in the buffer, one over the cap: refused by its size.
    small = json.dumps([{"n": 1}, {"n": "x" * 80}, {"n": 3}]).encode()
    assert "element 2 (.[1]), starting on line 1, is larger than 64 bytes" in (
        refusal(small, max_item_bytes=64)
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b'{"n": NaN}', "element 3 (.[2]) is not valid JSON: NaN is not a JSON value"),
        (b'{"n": "caf\xe9"}', "export.json is not valid UTF-8 (line 4)"),
        (b'{"n": 1} {"m": 2}', "expected ',' or ']' after element 3 (.[2]), found '{'"),
    ],
)
def test_a_mistake_after_a_run_is_refused_as_element_by_element(bad: bytes, message: str) -> None:
    assert message in refusal(b'[\n{"n": 1},\n{"n": 2},\n' + bad + b"\n]")


# --- objects written over many lines ---------------------------------------------


def test_pretty_printed_objects_one_after_another_are_read_one_at_a_time() -> None:
    pretty = json.dumps({"title": "a", "tags": ["x"]}, indent=2).encode()
    start, replay = jsonstream.peek(io.BytesIO(pretty + b"\n" + pretty), "one.json")
    assert start == "object"
    assert jsonstream.opens_pretty_object(replay)
    values = list(jsonstream.iter_values(replay, "one.json"))
    assert values == [(0, {"title": "a", "tags": ["x"]}), (1, {"title": "a", "tags": ["x"]})]


@pytest.mark.parametrize("data", [b'{"a": 1}\n{"a": 2}\n', b'{"a":\n1}', b"  {  \n"])
def test_json_lines_and_a_first_line_with_more_than_a_brace_are_not_pretty(data: bytes) -> None:
    start, replay = jsonstream.peek(io.BytesIO(data), "x.json")
    assert start == "object"
    assert jsonstream.opens_pretty_object(replay) is (data == b"  {  \n")


def test_a_pretty_object_over_the_size_cap_or_too_deep_is_refused_while_scanning() -> None:
    endless = Endless(b'{\n "text": "', b"x" * 4096)
    with pytest.raises(InvalidInput, match=r"object 1, starting on line 1, is larger than 4 MiB"):
        next(jsonstream.iter_values(endless, "one.json", max_item_bytes=4 * MiB))
    assert endless.read_bytes < 12 * MiB
    bomb = Endless(b"{\n", b'"a": [')
    with pytest.raises(InvalidInput, match=r"object 1.*more than 100 levels deep"):
        next(jsonstream.iter_values(bomb, "one.json"))


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b'{\n "a": 1\n', "ends inside object 1, which starts on line 1"),
        (b'{\n "a": 1\n}\n[1]', "expected a JSON object, found '[' at line 4 column 1"),
        (b'{\n "a": 1,\n}', "object 1 is not valid JSON"),
    ],
)
def test_a_broken_pretty_object_is_refused_naming_where(data: bytes, said: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(said)):
        list(jsonstream.iter_values(io.BytesIO(data), "one.json"))
