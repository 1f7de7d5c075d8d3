"""`todo chat-log import`: the three shapes, round trips, and broken files (all or nothing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, Todo, in_bash, sql_rows


def content_of(document: dict[str, Any]) -> tuple[Any, list[tuple[str, str]]]:
    """What a round trip must keep: the title and every message's role and text, in order."""
    return document["title"], [(m["role"], m["content"]) for m in document["messages"]]


def export(todo: Todo, conv: str) -> dict[str, Any]:
    result = todo("chat-log", "export", conv)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = result.json()
    return document


def import_file(todo: Todo, tmp_path: Path, data: str | bytes, *extra: str) -> Any:
    path = tmp_path / "import.json"
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return todo("chat-log", "import", str(path), *extra)


def nothing_written(url: str) -> bool:
    counts = sql_rows(
        url,
        "SELECT (SELECT count(*) FROM conversations), "
        "(SELECT count(*) FROM messages), (SELECT count(*) FROM users)",
    )
    return tuple(counts[0]) == (0, 0, 0)


def no_conversations(url: str) -> bool:
    """No conversation or message, anyone's (an isolated database has its members'
    users rows from the start)."""
    counts = sql_rows(
        url, "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages)"
    )
    return tuple(counts[0]) == (0, 0)


TRICKY = [
    ("user", "plain"),
    ("assistant", "multi\nline\n\n  with indent\tand tab\n"),
    ("user", 'unicode: żółw 🐢 \u200b and "quotes" and \\backslash'),
    ("assistant", "\x1b[31mescape kept in storage\x1b[0m"),
    ("user", "x" * 5000),
]


def fill(todo: Todo, title: str | None) -> None:
    args = ["chat-log", "new"] + (["--title", title] if title else [])
    assert todo(*args).exit_code == 0
    for role, text in TRICKY:
        result = todo("chat-log", "append", "1", "--role", role, "-", input=text)
        assert result.exit_code == 0, result.stderr


# --- round trips ----------------------------------------------------------------------


def test_export_then_import_keeps_the_content(todo: Todo, tmp_path: Path) -> None:
    fill(todo, "Round trip")
    original = export(todo, "1")
    result = import_file(todo, tmp_path, json.dumps(original), "--json")
    assert result.exit_code == 0, result.stderr
    copy = export(todo, "2")
    assert content_of(copy) == content_of(original) == ("Round trip", TRICKY)
    assert copy["id"] != original["id"]
    assert result.json()["message_count"] == len(TRICKY)


def test_show_json_imports_as_the_same_content(todo: Todo) -> None:
    fill(todo, None)
    shown = todo("chat-log", "show", "1", "--json")
    result = todo("chat-log", "import", "-", input=shown.stdout)
    assert result.exit_code == 0, result.stderr
    assert content_of(export(todo, "2")) == content_of(export(todo, "1")) == (None, TRICKY)


def test_an_export_imports_for_another_user(todo: Todo) -> None:
    fill(todo, "Shared")
    bob = todo.as_user("bob")
    result = bob("chat-log", "import", "-", input=todo("chat-log", "export", "1").stdout)
    assert result.exit_code == 0, result.stderr
    assert content_of(export(bob, "1")) == ("Shared", TRICKY)


def test_an_empty_conversation_round_trips(todo: Todo) -> None:
    assert todo("chat-log", "new", "--title", "Nothing yet").exit_code == 0
    result = todo("chat-log", "import", "-", input=todo("chat-log", "export", "1").stdout)
    assert result.exit_code == 0, result.stderr
    assert content_of(export(todo, "2")) == ("Nothing yet", [])


@pytest.mark.parametrize("data", ["[]", '{"messages": []}'], ids=["array", "object"])
def test_a_transcript_with_nothing_in_it_adds_no_conversation(
    todo: Todo, tmp_path: Path, data: str
) -> None:
    result = import_file(todo, tmp_path, data)
    assert result.exit_code == 2
    assert "import.json holds no messages (nothing was imported" in result.stderr
    assert sql_rows(todo.url, "SELECT count(*) FROM conversations")[0][0] == 0


def test_an_untitled_empty_conversation_round_trips(todo: Todo) -> None:
    assert todo("chat-log", "new").exit_code == 0
    result = todo("chat-log", "import", "-", input=todo("chat-log", "export", "1").stdout)
    assert result.exit_code == 0, result.stderr


def test_export_piped_into_import_in_real_processes(todo: Todo) -> None:
    fill(todo, "Piped")
    exported = todo.process("chat-log", "export", "1")
    assert exported.returncode == 0, exported.stderr
    imported = todo.process("chat-log", "import", "-", input=exported.stdout)
    assert imported.returncode == 0, imported.stderr
    assert b"imported conversation #2" in imported.stderr
    assert imported.stdout == b""
    assert content_of(export(todo, "2")) == ("Piped", TRICKY)


# --- the accepted shapes ------------------------------------------------------------------


def test_a_json_array_of_messages_imports_without_a_title(todo: Todo, tmp_path: Path) -> None:
    data = json.dumps([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])
    result = import_file(todo, tmp_path, data)
    assert result.exit_code == 0, result.stderr
    assert content_of(export(todo, "1")) == (None, [("user", "hi"), ("assistant", "yo")])


def test_json_lines_import_with_blank_lines_skipped(todo: Todo, tmp_path: Path) -> None:
    data = '{"role": "user", "content": "a"}\n\n{"role": "assistant", "content": "b\\nc"}\n'
    result = import_file(todo, tmp_path, data)
    assert result.exit_code == 0, result.stderr
    assert content_of(export(todo, "1")) == (None, [("user", "a"), ("assistant", "b\nc")])


def test_json_lines_of_one_message_import(todo: Todo, tmp_path: Path) -> None:
    result = import_file(todo, tmp_path, '{"role": "user", "content": "alone"}\n')
    assert result.exit_code == 0, result.stderr
    assert content_of(export(todo, "1")) == (None, [("user", "alone")])


def test_an_object_with_title_and_messages_imports(todo: Todo, tmp_path: Path) -> None:
    data = json.dumps({"title": "Hand made", "messages": [{"role": "user", "content": "hi"}]})
    result = import_file(todo, tmp_path, data)
    assert result.exit_code == 0, result.stderr
    assert content_of(export(todo, "1")) == ("Hand made", [("user", "hi")])


def test_the_title_option_wins_over_the_files(todo: Todo, tmp_path: Path) -> None:
    data = json.dumps({"title": "From file", "messages": []})
    assert import_file(todo, tmp_path, data, "--title", "Given").exit_code == 0
    assert export(todo, "1")["title"] == "Given"


def test_a_title_option_too_long_is_blamed_on_the_option(todo: Todo, tmp_path: Path) -> None:
    data = json.dumps([{"role": "user", "content": "hi"}])
    result = import_file(todo, tmp_path, data, "--title", "y" * 201)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --title: title is 201 characters, the limit is 200 (nothing was imported)\n",
    )
    assert todo("chat-log", "list", "--json").json() == []


def test_a_byte_order_mark_is_not_content(todo: Todo, tmp_path: Path) -> None:
    data = "\ufeff" + json.dumps([{"role": "user", "content": "hi"}])
    assert import_file(todo, tmp_path, data).exit_code == 0
    assert content_of(export(todo, "1")) == (None, [("user", "hi")])


def test_import_from_stdin_in_a_real_process(todo: Todo) -> None:
    data = json.dumps([{"role": "user", "content": "piped\nin"}]).encode()
    result = todo.process("chat-log", "import", "-", "--json", input=data)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["message_count"] == 1
    assert content_of(export(todo, "1")) == (None, [("user", "piped\nin")])


def test_a_transcript_read_through_process_substitution_imports(todo: Todo, tmp_path: Path) -> None:
    # todo chat-log import <(cat c1.json): /dev/fd/63 is a pipe, read once.
    path = tmp_path / "c1.json"
    path.write_text(json.dumps([{"role": "user", "content": "through a pipe"}]), "utf-8")
    proc = in_bash(todo, '"${TODO[@]}" chat-log import <(cat "$1")', str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b"imported conversation #1 with 1 message\n"
    assert content_of(export(todo, "1")) == (None, [("user", "through a pipe")])


def test_a_transcript_read_from_a_named_pipe_imports(todo: Todo, tmp_path: Path) -> None:
    # mkfifo ff; cat c1.json > ff & todo chat-log import ff
    path = tmp_path / "c1.json"
    path.write_text(
        json.dumps({"title": "Fifo", "messages": [{"role": "user", "content": "fine"}]}), "utf-8"
    )
    fifo = tmp_path / "ff"
    os.mkfifo(fifo)
    proc = in_bash(
        todo,
        'cat "$1" > "$2" & "${TODO[@]}" chat-log import "$2"; status=$?; wait; exit $status',
        str(path),
        str(fifo),
    )
    assert proc.returncode == 0, proc.stderr
    assert content_of(export(todo, "1")) == ("Fifo", [("user", "fine")])


# --- broken files: exit 2, the error says where and why, nothing written ------------------

MESSAGE = {"role": "user", "content": "fine"}

BROKEN: dict[str, tuple[str | bytes, str]] = {
    "empty-file": ("", "is empty"),
    "not-json": ('{"title": "x", "messages": [', "is not JSON"),
    "not-utf8": (b'[{"role": "user", "content": "caf\xe9"}]', "is not valid UTF-8 (line 1)"),
    "a-number": ("42", "not a number"),
    "a-string": ('"hello"', "not a string"),
    "message-not-an-object": (json.dumps([MESSAGE, "hi"]), "message 2 (.[1]): expected an object"),
    "unknown-role": (
        json.dumps([MESSAGE, {"role": "system", "content": "x"}]),
        "message 2 (.[1]): role must be 'user' or 'assistant', not 'system'",
    ),
    "missing-role": (json.dumps([{"content": "x"}]), "message 1 (.[0]): role is missing"),
    "missing-content": (json.dumps([{"role": "user"}]), "message 1 (.[0]): content is missing"),
    "empty-content": (
        json.dumps([MESSAGE, MESSAGE, {"role": "user", "content": ""}]),
        "message 3 (.[2]): content is empty",
    ),
    "blank-content": (json.dumps([{"role": "user", "content": " \n "}]), "content is empty"),
    "content-not-a-string": (
        json.dumps([{"role": "user", "content": ["a"]}]),
        "message 1 (.[0]): content must be a string",
    ),
    "100001-characters": (
        json.dumps([{"role": "assistant", "content": "z" * 100_001}]),
        "content is 100001 characters, the limit is 100000",
    ),
    "nul-in-content": (json.dumps([{"role": "user", "content": "a\u0000b"}]), "NUL"),
    "unexpected-message-field": (
        json.dumps([{"role": "user", "content": "x", "rol": "user"}]),
        "unexpected field 'rol'",
    ),
    "messages-not-an-array": (
        json.dumps({"title": "t", "messages": {"role": "user"}}),
        '"messages" must be an array',
    ),
    "messages-missing": (json.dumps({"title": "t"}), '"messages" is missing'),
    "unexpected-object-field": (
        json.dumps({"titel": "t", "messages": []}),
        "unexpected field 'titel'",
    ),
    "title-too-long": (json.dumps({"title": "t" * 201, "messages": [MESSAGE]}), "limit is 200"),
    "bad-object-message": (
        json.dumps({"title": "t", "messages": [MESSAGE, {"role": "bot"}]}),
        "message 2 (.messages[1]): role must be",
    ),
    "jsonl-line-not-json": (
        '{"role": "user", "content": "a"}\n\n{"role": "user", "content": \n',
        "line 3 is not JSON",
    ),
    "jsonl-bad-message": (
        '{"role": "user", "content": "a"}\n{"role": "user", "content": ""}\n',
        "line 2: content is empty",
    ),
    "deeply-nested": ("[" * 100_000, "is nested more than 100 levels deep"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_is_refused_and_nothing_is_written(
    todo: Todo, tmp_path: Path, case: str
) -> None:
    data, expected = BROKEN[case]
    result = import_file(todo, tmp_path, data)
    assert result.exit_code == 2, result.stderr
    assert expected in result.stderr
    assert "nothing was imported" in result.stderr or case == "empty-file"
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert nothing_written(todo.url)


MiB = 1024 * 1024
LONG_NUMBER = "9" * 5001


@pytest.mark.parametrize(
    ("data", "says"),
    [
        pytest.param(
            '{"role": "user", "content": "a"}\n{"role": "user", "content": "b"'
            + " " * (8 * MiB)
            + "}\n",
            ": line 2 is longer than 8 MiB",
            id="a-json-lines-line",
        ),
        pytest.param(
            '{"title": "t"' + " " * (8 * MiB) + ', "messages": [{"role": "user", "content": "a"}]}',
            ": line 1 is longer than 8 MiB",
            id="an-object-on-one-line",
        ),
        pytest.param(
            '{\n  "title": "t",\n'
            + (" " * 1023 + "\n") * (32 * 1024)
            + '  "messages": [{"role": "user", "content": "a"}]\n}\n',
            " is larger than 32 MiB",
            id="an-object-over-many-lines",
        ),
        pytest.param(
            '[{"role": "user", "content": "a"}, {"role": "user", "content": "b"'
            + " " * (32 * MiB)
            + "}]",
            ": element 2 (.[1]), starting on line 1, is larger than 32 MiB",
            id="an-element-after-the-first",
        ),
    ],
)
def test_a_piece_over_its_limit_is_refused_by_name_and_nothing_is_written(
    todo: Todo, tmp_path: Path, data: str, says: str
) -> None:
    """The limits of every import: a transcript had them for its first array element
    only, and imported a 150 MB line of JSON Lines, or a 150 MB object, whole."""
    result = import_file(todo, tmp_path, data)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {tmp_path / 'import.json'}{says} "
        "(it is too large to import; nothing was imported)\n",
    )
    assert no_conversations(todo.url)


# A middle process runs the import and reports its peak memory: RUSAGE_CHILDREN of
# the middle process sees that child alone (not every process pytest waited for).
_PEAK_OF_AN_IMPORT = r"""
import json, resource, subprocess, sys
child = subprocess.run(
    [sys.executable, "-m", "todo_cli", "chat-log", "import", sys.argv[1]],
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
)
print(json.dumps({
    "code": child.returncode,
    "stderr": child.stderr.decode("utf-8", "replace"),
    "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def test_a_line_of_100_mib_is_refused_in_bounded_memory(todo: Todo, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as out:
        out.write('{"role": "user", "content": "a"}\n{"role": "user", "content": "b"')
        for _ in range(100):
            out.write(" " * MiB)
        out.write("}\n")
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_OF_AN_IMPORT, str(path)],
        env=dict(os.environ) | todo.env,
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=True,
    )
    outcome = json.loads(done.stdout)
    assert (outcome["code"], outcome["stderr"]) == (
        2,
        f"error: {path}: line 2 is longer than 8 MiB "
        "(it is too large to import; nothing was imported)\n",
    )
    # The interpreter and the 8 MiB read of the line; the whole file took 250 MiB.
    assert outcome["peak_kib"] * 1024 < 100 * MiB
    assert no_conversations(todo.url)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        pytest.param(
            '[{"role": "user", "content": "a"}, {"role": "user", "content": "b", "created_at": '
            + LONG_NUMBER
            + "}]",
            "element 2 (.[1])",
            id="an-element-after-the-first",
        ),
        pytest.param(
            '{"role": "user", "content": "a"}\n{"role": "user", "content": "b", "created_at": '
            + LONG_NUMBER
            + "}\n",
            "line 2",
            id="a-json-lines-line",
        ),
        pytest.param(
            '{"title": "t", "created_at": ' + LONG_NUMBER + ', "messages": []}',
            "line 1",
            id="an-object",
        ),
    ],
)
def test_a_number_of_5001_digits_is_refused_by_name_not_as_a_bug(
    todo: Todo, tmp_path: Path, data: str, says: str
) -> None:
    """Python will not convert an integer that long: its ValueError was an internal
    error (exit 70) that quoted Python's advice to change its settings."""
    result = import_file(todo, tmp_path, data)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {tmp_path / 'import.json'}: {says} holds a number of 5001 digits, "
        "too large to keep (nothing was imported)\n",
    )
    assert no_conversations(todo.url)


def test_a_missing_file_is_bad_input(todo: Todo, tmp_path: Path) -> None:
    result = todo("chat-log", "import", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    assert nothing_written(todo.url)


def test_a_directory_is_bad_input(todo: Todo, tmp_path: Path) -> None:
    result = todo("chat-log", "import", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_one_bad_message_at_the_end_of_many_imports_nothing(todo: Todo, tmp_path: Path) -> None:
    messages = [MESSAGE] * 999 + [{"role": "user", "content": "q" * 100_001}]
    result = import_file(todo, tmp_path, json.dumps({"title": "t", "messages": messages}))
    assert result.exit_code == 2
    assert "message 1000 (.messages[999])" in result.stderr
    assert nothing_written(todo.url)


def test_a_broken_import_with_json_reports_a_json_error(todo: Todo, tmp_path: Path) -> None:
    result = import_file(todo, tmp_path, "[1]", "--json")
    assert result.exit_code == 2
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "invalid_input"
    assert "message 1" in error["message"]


def test_a_broken_import_does_not_disturb_existing_conversations(
    todo: Todo, tmp_path: Path
) -> None:
    fill(todo, "Existing")
    assert import_file(todo, tmp_path, "[{}]").exit_code == 2
    listed = todo("chat-log", "--json").json()
    assert [(c["number"], c["message_count"]) for c in listed] == [(1, len(TRICKY))]
    # The refused import took no number either.
    assert todo("chat-log", "new", "--json").json()["number"] == 2


@pytest.mark.parametrize("created_at", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+05:00"])
def test_a_message_time_some_zone_cannot_show_is_refused_and_nothing_written(
    todo: Todo, tmp_path: Path, created_at: str
) -> None:
    """Taken in, it made every `chat-log` list, show and search exit 70 in a zone that
    shows it as year 10000 (Tokyo) or year 0 (Los Angeles)."""
    data = json.dumps([{"role": "user", "content": "x", "created_at": created_at}])
    result = import_file(todo, tmp_path, data)
    assert result.exit_code == 2, result.stderr
    assert (
        f"import.json: message 1 (.[0]): created_at: {created_at} is out of range "
        "(a time between 0001-01-02 and 9999-12-30) (fix or remove it; nothing was imported)"
    ) in result.stderr
    assert no_conversations(todo.url)


def test_two_messages_with_one_id_are_refused_naming_both(todo: Todo, tmp_path: Path) -> None:
    repeated = "01a23d42-9a56-711f-b800-e7cbac538d00"
    messages = [
        {"id": repeated, "role": "user", "content": "a"},
        {"id": repeated, "role": "assistant", "content": "b"},
    ]
    result = import_file(todo, tmp_path, json.dumps({"title": "dup", "messages": messages}))
    assert result.exit_code == 2, result.stderr
    assert (
        f"message 2 (.messages[1]): id '{repeated}' is already the id of message 1 (.messages[0])"
    ) in result.stderr
    assert "UNIQUE" not in result.stderr
    assert no_conversations(todo.url)


@pytest.mark.parametrize(
    ("when", "why"),
    [
        ("2026-13-01T09:00:00Z", ": month must be in 1..12"),
        ("2026-02-30T09:00:00Z", ": day is out of range for month"),
        ("yesterday", ""),
    ],
)
def test_a_time_out_of_range_is_told_apart_from_one_of_the_wrong_form(
    todo: Todo, when: str, why: str
) -> None:
    # A month of 13 was "not a time with a zone" alone, as "yesterday" is.
    line = json.dumps({"role": "user", "content": "hi", "created_at": when}) + "\n"
    result = todo("chat-log", "import", "-", input=line)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: stdin: line 1: created_at {when!r} is not a time with a zone (like "
        f"2026-11-24T09:30:00Z){why} (fix or remove it; nothing was imported)\n",
    )
    assert no_conversations(todo.url)
