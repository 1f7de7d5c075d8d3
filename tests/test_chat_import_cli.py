"""`todo chat-log import` of ChatGPT, Claude and llm exports, and `show`/`export` formats.

The readers have their own tests (tests/test_chat_formats.py, whose fixtures
and llm database builders these reuse); here the whole command runs, on
SQLite and PostgreSQL: the summary it prints, what lands in the database,
idempotence by the source's ids, all or nothing, the user's llm file left
untouched, and memory that stays flat on a large export.
"""

from __future__ import annotations

import copy
import json
import os
import pty
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests import perf_chat_import
from tests.ci_gate import not_applicable
from tests.conftest import REPO, Todo, in_bash, sql_rows
from tests.perf import MIB, Spawner, todo_command
from tests.test_chat_formats import (
    C_REGEX,
    CHATGPT_EXPORT,
    CLAUDE_EXPORT,
    build_mixed,
    build_new_layout,
    build_old_layout,
    chatgpt_conversation,
    logs_with_bytes,
    said,
    snapshot,
)

# --- helpers ----------------------------------------------------------------------


def import_(todo: Todo, path: Path | str, *extra: str) -> str:
    """Import, expecting success; what it said on stderr."""
    result = todo("chat-log", "import", str(path), *extra)
    assert result.exit_code == 0, result.stderr
    if "--json" not in extra:
        assert result.stdout == ""
    return result.stderr


def counts(url: str) -> tuple[int, int]:
    """Conversations and messages in the database, anyone's."""
    row = sql_rows(
        url, "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages)"
    )[0]
    return int(row[0]), int(row[1])


def exported(todo: Todo, title: str | None) -> dict[str, Any]:
    """`export` of the user's conversation with this title."""
    listed = todo("chat-log", "list", "--json").json()
    (number,) = [c["number"] for c in listed if c["title"] == title]
    result = todo("chat-log", "export", str(number))
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = result.json()
    return document


def said_when(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Each message's role, start of its content, and time."""
    return [(m["role"], m["content"][:20], m["created_at"]) for m in document["messages"]]


def local(rfc3339: str, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    return datetime.fromisoformat(rfc3339).astimezone().strftime(pattern)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def fixture_data(path: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Source:
    """An export to import, and exactly what importing it into an empty database says."""

    name: str
    make: Callable[[Path], Path]
    summary: str
    json: dict[str, Any]


SOURCES = [
    Source(
        "chatgpt",
        lambda _: CHATGPT_EXPORT,
        "imported from chatgpt: 2 conversations added, 0 extended, 0 unchanged; "
        "6 messages added\n"
        "  skipped 1: hidden\n  skipped 1: non-text\n  skipped 2: system\n  skipped 2: tool\n",
        {
            "format": "chatgpt",
            "conversations": {"added": 2, "extended": 0, "unchanged": 0},
            "messages_added": 6,
            "skipped": {"hidden": 1, "non_text": 1, "system": 2, "tool": 2},
            "notices": [],
        },
    ),
    Source(
        "claude",
        lambda _: CLAUDE_EXPORT,
        "imported from claude: 2 conversations added, 0 extended, 0 unchanged; "
        "6 messages added\n  skipped 1: non-text\n  skipped 1: reasoning\n",
        {
            "format": "claude",
            "conversations": {"added": 2, "extended": 0, "unchanged": 0},
            "messages_added": 6,
            "skipped": {"non_text": 1, "reasoning": 1},
            "notices": [],
        },
    ),
    Source(
        "llm-0.31",
        lambda tmp: build_old_layout(tmp / "logs.db"),
        "imported from llm: 4 conversations added, 0 extended, 0 unchanged; 8 messages added\n"
        "  skipped 1: empty\n  skipped 1: fragment\n  skipped 1: non-text\n  skipped 1: system\n",
        {
            "format": "llm",
            "conversations": {"added": 4, "extended": 0, "unchanged": 0},
            "messages_added": 8,
            "skipped": {"empty": 1, "fragment": 1, "non_text": 1, "system": 1},
            "notices": [],
        },
    ),
    Source(
        "llm-0.32",
        lambda tmp: build_new_layout(tmp / "logs.db"),
        "imported from llm: 3 conversations added, 0 extended, 0 unchanged; 8 messages added\n"
        "  skipped 1: fragment\n  skipped 1: non-text\n  skipped 1: reasoning\n"
        "  skipped 1: system\n  skipped 2: tool\n",
        {
            "format": "llm",
            "conversations": {"added": 3, "extended": 0, "unchanged": 0},
            "messages_added": 8,
            "skipped": {"fragment": 1, "non_text": 1, "reasoning": 1, "system": 1, "tool": 2},
            "notices": [],
        },
    ),
    Source(
        "llm-mixed",
        lambda tmp: build_mixed(tmp / "logs.db"),
        "imported from llm: 3 conversations added, 0 extended, 0 unchanged; 10 messages added\n",
        {
            "format": "llm",
            "conversations": {"added": 3, "extended": 0, "unchanged": 0},
            "messages_added": 10,
            "skipped": {},
            "notices": [],
        },
    ),
]


def by_name(sources: list[Source]) -> list[Any]:
    return [pytest.param(source, id=source.name) for source in sources]


# --- the summary ------------------------------------------------------------------------


@pytest.mark.parametrize("source", by_name(SOURCES))
def test_import_says_what_it_added_and_skipped(todo: Todo, tmp_path: Path, source: Source) -> None:
    assert import_(todo, source.make(tmp_path)) == source.summary


@pytest.mark.parametrize("source", by_name(SOURCES))
def test_import_json_summary_has_the_counts_by_kind(
    todo: Todo, tmp_path: Path, source: Source
) -> None:
    result = todo("chat-log", "import", str(source.make(tmp_path)), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json() == source.json
    assert list(result.json()) == [
        "format",
        "conversations",
        "messages_added",
        "skipped",
        "notices",
    ]


@pytest.mark.parametrize("source", by_name(SOURCES))
def test_import_writes_the_conversations_and_messages_it_counts(
    todo: Todo, tmp_path: Path, source: Source
) -> None:
    import_(todo, source.make(tmp_path))
    expected = (source.json["conversations"]["added"], source.json["messages_added"])
    assert counts(todo.url) == expected
    listed = todo("chat-log", "list", "--json").json()
    assert sum(c["message_count"] for c in listed) == source.json["messages_added"]


def test_imported_conversations_keep_their_titles(todo: Todo, tmp_path: Path) -> None:
    import_(todo, CHATGPT_EXPORT)
    import_(todo, CLAUDE_EXPORT)
    import_(todo, build_mixed(tmp_path / "logs.db"))
    listed = todo("chat-log", "list", "--json").json()
    assert sorted(str(c["title"]) for c in listed) == [
        "How many grams in an ounce?",
        "Keeping a sourdough starter alive",
        "None",  # the receipt: ChatGPT's "" title
        "None",  # the agenda: Claude's "" name
        "Packing list for a weekend hike",
        "Translate",
        "Weekend in Lisbon",
    ]


@pytest.mark.parametrize(
    ("title", "kept", "said"),
    [
        ("Budget\u0000plan", None, "its title contains a NUL byte: left out"),
        ("x" * 250, "x" * 199 + "\u2026", "its title is over 200 characters: shortened"),
    ],
    ids=["nul", "long"],
)
def test_a_title_no_conversation_can_hold_is_said_and_the_rest_imported(
    todo: Todo, tmp_path: Path, title: str, kept: str | None, said: str
) -> None:
    # A NUL: exit 3 ("database error") on PostgreSQL, stored with the NUL on SQLite.
    data = fixture_data(CLAUDE_EXPORT)[:1]
    data[0]["name"] = title
    stderr = import_(todo, write_json(tmp_path / "claude.json", data))
    assert f"note: conversation {data[0]['uuid']}: {said}\n" in stderr
    listed = todo("chat-log", "list", "--json").json()
    assert [c["title"] for c in listed] == [kept]


# An id over 200 characters or with a NUL: exit 3 ("database error") on PostgreSQL,
# stored on SQLite. Left out and named on both, the rest imported.
def test_an_id_no_conversation_or_message_can_hold_is_said_and_the_rest_imported(
    todo: Todo, tmp_path: Path
) -> None:
    data = fixture_data(CLAUDE_EXPORT)[:2]
    long_id = "c" * 201
    data[0]["uuid"] = long_id
    first, *rest = data[1]["chat_messages"]
    data[1]["chat_messages"] = [first | {"uuid": "m\u00002"}, *rest]
    stderr = import_(todo, write_json(tmp_path / "claude.json", data))
    assert f"note: conversation {'c' * 59}\u2026: its id is over 200 characters: left out\n" in (
        stderr
    )
    assert (
        f"note: conversation {data[1]['uuid']}, message 'm\\x002': its id contains a NUL "
        "byte: left out\n"
    ) in stderr
    assert "skipped 2: invalid\n" in stderr
    (listed,) = todo("chat-log", "list", "--json").json()
    assert listed["title"] == (data[1]["name"] or None)
    assert counts(todo.url)[1] == len(rest)


# --- formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "fmt"), [(CHATGPT_EXPORT, "chatgpt"), (CLAUDE_EXPORT, "claude")])
def test_format_option_names_the_format_the_file_is_read_as(
    todo: Todo, tmp_path: Path, path: Path, fmt: str
) -> None:
    # A name and suffix that say nothing: the content or the option decides.
    renamed = tmp_path / "export.txt"
    renamed.write_bytes(path.read_bytes())
    assert import_(todo, renamed, "--format", fmt).startswith(f"imported from {fmt}: 2 ")


def test_format_option_llm_reads_a_logs_database(todo: Todo, tmp_path: Path) -> None:
    logs = build_old_layout(tmp_path / "logs.db")
    assert import_(todo, logs, "--format", "llm").startswith("imported from llm: 4 ")


def test_an_export_whose_first_conversation_cannot_be_read_says_why(
    todo: Todo, tmp_path: Path
) -> None:
    """Detection reads the first element: one it cannot read (NaN, which Python's JSON
    would take) is what is wrong with the file, not a field a transcript lacks."""
    conversations = json.loads(CHATGPT_EXPORT.read_text("utf-8"))
    text = json.dumps(conversations).replace('"create_time": ', '"create_time": NaN, "x": ', 1)
    source = tmp_path / "conversations.json"
    source.write_text(text, encoding="utf-8")
    result = todo("chat-log", "import", str(source))
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {source}: element 1 (.[0]) is not valid JSON: NaN is not a JSON value "
        "(nothing was imported)\n",
    )
    assert counts(todo.url) == (0, 0)


def test_a_chatgpt_conversation_without_current_node_is_told_as_one(
    todo: Todo, tmp_path: Path
) -> None:
    # It was read as a transcript: "message 1 (.[0]): unexpected field 'conversation_id'".
    conversations = fixture_data(CHATGPT_EXPORT)
    del conversations[0]["current_node"]
    source = write_json(tmp_path / "conversations.json", conversations)
    result = todo("chat-log", "import", str(source))
    assert result.exit_code == 2
    assert "has no current_node (the message it ends at)" in result.stderr
    assert counts(todo.url) == (0, 0)


@pytest.mark.parametrize(
    ("path", "fmt", "says"),
    [
        (CHATGPT_EXPORT, "claude", "has no uuid"),
        (CLAUDE_EXPORT, "chatgpt", "has no conversation_id or id"),
        (CHATGPT_EXPORT, "llm", "is not an llm logs database"),
    ],
)
def test_a_format_option_that_does_not_fit_the_file_is_refused_and_writes_nothing(
    todo: Todo, path: Path, fmt: str, says: str
) -> None:
    result = todo("chat-log", "import", str(path), "--format", fmt)
    assert result.exit_code == 2
    assert says in result.stderr
    assert counts(todo.url) == (0, 0)


def test_an_export_piped_on_stdin_is_read_with_its_format_named(todo: Todo) -> None:
    proc = todo.process(
        "chat-log", "import", "-", "--format", "claude", input=CLAUDE_EXPORT.read_bytes()
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().startswith("imported from claude: 2 conversations added")
    assert counts(todo.url) == (2, 6)


@pytest.mark.parametrize("source", by_name(SOURCES[:2]))
def test_an_export_piped_on_stdin_is_recognised_without_a_format_option(
    todo: Todo, tmp_path: Path, source: Source
) -> None:
    # cat conversations.json | todo chat-log import -
    proc = todo.process("chat-log", "import", "-", input=source.make(tmp_path).read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode() == source.summary
    assert counts(todo.url) == (2, 6)


@pytest.mark.parametrize("source", by_name(SOURCES[:2]))
def test_an_export_read_through_process_substitution_is_recognised(
    todo: Todo, tmp_path: Path, source: Source
) -> None:
    # todo chat-log import <(cat conversations.json): a path that is a pipe, read once.
    proc = in_bash(todo, '"${TODO[@]}" chat-log import <(cat "$1")', str(source.make(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode() == source.summary
    assert counts(todo.url) == (2, 6)


@pytest.mark.parametrize("source", by_name(SOURCES[:2]))
def test_an_export_read_from_a_named_pipe_is_recognised(
    todo: Todo, tmp_path: Path, source: Source
) -> None:
    # mkfifo ff; cat conversations.json > ff & todo chat-log import ff
    fifo = tmp_path / "ff"
    os.mkfifo(fifo)
    proc = in_bash(
        todo,
        'cat "$1" > "$2" & "${TODO[@]}" chat-log import "$2"; status=$?; wait; exit $status',
        str(source.make(tmp_path)),
        str(fifo),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode() == source.summary
    assert counts(todo.url) == (2, 6)


class Unseekable:
    """A pipe's view of bytes: read forward only, counting what was read."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.read_so_far = 0

    def read(self, size: int = -1, /) -> bytes:
        end = len(self._data) if size < 0 else self.read_so_far + size
        chunk = self._data[self.read_so_far : end]
        self.read_so_far += len(chunk)
        return chunk


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        pytest.param(CHATGPT_EXPORT, "chatgpt", id="chatgpt"),
        pytest.param(CLAUDE_EXPORT, "claude", id="claude"),
    ],
)
def test_telling_the_format_of_a_pipe_reads_ahead_only_its_first_conversation(
    path: Path, fmt: str
) -> None:
    from todo_cli.formats import chats

    data = json.dumps(fixture_data(path) * 5000).encode()
    assert len(data) > 16 * MIB
    pipe = Unseekable(data)
    ahead = chats.ReadAhead(pipe)
    assert chats.detect_stream(ahead, "stdin") == fmt
    assert pipe.read_so_far <= 2 * MIB  # a chunk or two, not the export
    replay = ahead.replay()
    assert replay.read(10) + replay.read() == data  # every byte, from the start


LONG_NUMBER = "9" * 5001


@pytest.mark.parametrize(
    ("command", "name", "data", "says"),
    [
        pytest.param(
            ("chat-log", "import"),
            "conversations.json",
            json.dumps([chatgpt_conversation(said("user", "a"))]).replace(
                '"create_time": 1700000000.0', f'"create_time": {LONG_NUMBER}', 1
            ),
            "element 1 (.[0]) holds a number of 5001 digits, too large to keep "
            "(nothing was imported)",
            id="chatgpt",
        ),
        pytest.param(
            ("chat-log", "import", "--format", "chatgpt"),
            "conversations.json",
            "["
            + json.dumps(chatgpt_conversation(said("user", "a")))
            + ", "
            + json.dumps(chatgpt_conversation(said("user", "b"))).replace(
                '"update_time": 1700000100.0', f'"update_time": {LONG_NUMBER}'
            )
            + "]",
            "element 2 (.[1]) holds a number of 5001 digits, too large to keep",
            id="chatgpt-second",
        ),
        pytest.param(
            ("import",),
            "tasks.json",
            f'[{{"description": "a", "status": "pending", "urgency": {LONG_NUMBER}}}]',
            "element 1 (.[0]) holds a number of 5001 digits, too large to keep "
            "(nothing was imported)",
            id="tasks-json",
        ),
        pytest.param(
            ("import",),
            "tasks.jsonl",
            f'{{"description": "a", "status": "pending", "urgency": {LONG_NUMBER}}}\n',
            "line 1 holds a number of 5001 digits, too large to keep (nothing was imported)",
            id="tasks-json-lines",
        ),
    ],
)
def test_a_number_of_5001_digits_is_named_without_pythons_advice(
    todo: Todo, tmp_path: Path, command: tuple[str, ...], name: str, data: str, says: str
) -> None:
    """Python will not convert an integer that long, and says so with advice to change
    its own settings (sys.set_int_max_str_digits()): that was the message users got."""
    path = tmp_path / name
    path.write_text(data, encoding="utf-8")
    result = todo(*command, str(path))
    assert (result.exit_code, result.stderr) == (2, f"error: {path}: {says}\n")
    assert counts(todo.url) == (0, 0)
    assert sql_rows(todo.url, "SELECT count(*) FROM tasks") == [(0,)]


@pytest.mark.parametrize("column", ["prompt", "system", "response"])
def test_an_llm_text_column_that_is_not_utf8_is_named_by_its_response(
    todo: Todo, tmp_path: Path, column: str
) -> None:
    """sqlite3 refuses such TEXT while it makes the row, before the row's id is known:
    the error blamed the whole file, and left the user to search it."""
    logs = logs_with_bytes(tmp_path / "logs.db", column, "TEXT")
    result = todo("chat-log", "import", str(logs))
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {logs}: response 'r2' {column} holds text that is not valid UTF-8\n",
    )
    assert counts(todo.url) == (0, 0)


def test_an_llm_database_on_stdin_or_through_a_pipe_is_refused_and_writes_nothing(
    todo: Todo, tmp_path: Path
) -> None:
    logs = build_old_layout(tmp_path / "logs.db")
    piped = todo.process("chat-log", "import", "-", input=logs.read_bytes())
    assert piped.returncode == 2
    assert piped.stderr.decode() == "error: an llm logs.db is read from its file (give its path)\n"
    substituted = in_bash(todo, '"${TODO[@]}" chat-log import <(cat "$1")', str(logs))
    assert substituted.returncode == 2
    assert b"an llm logs.db is read from its file (give its path, not a pipe)" in (
        substituted.stderr
    )
    assert counts(todo.url) == (0, 0)


# --- each message keeps its own time ---------------------------------------------------------


def test_chatgpt_messages_keep_their_own_times(todo: Todo) -> None:
    import_(todo, CHATGPT_EXPORT)
    sourdough = exported(todo, "Keeping a sourdough starter alive")
    assert sourdough["created_at"] == "2024-06-01T08:10:00.521430Z"
    assert said_when(sourdough) == [
        ("user", "How often should I f", "2024-06-01T08:10:00.610000Z"),
        ("assistant", "About once a week. T", "2024-06-01T08:10:31.907000Z"),
        # No create_time in the export: the time of the message before it.
        ("user", "What ratio of flour ", "2024-06-01T08:10:31.907000Z"),
        ("assistant", "That is 100% hydrati", "2024-06-01T08:23:32.600000Z"),
    ]


def test_claude_messages_keep_their_own_times(todo: Todo) -> None:
    import_(todo, CLAUDE_EXPORT)
    hike = exported(todo, "Packing list for a weekend hike")
    assert [m["created_at"] for m in hike["messages"]] == [
        "2024-05-18T09:12:04.101375Z",
        "2024-05-18T09:12:06.552109Z",
        "2024-05-18T09:15:40.006231Z",
        "2024-05-18T09:15:41.212870Z",
    ]


def test_llm_messages_keep_the_time_of_their_call(todo: Todo, tmp_path: Path) -> None:
    import_(todo, build_old_layout(tmp_path / "logs.db"))
    regex = exported(todo, "Regex for ISO dates")
    assert said_when(regex) == [
        ("user", "Write a regex that m", "2024-06-01T10:00:00.123456Z"),
        ("assistant", r"\d{4}-\d{2}-\d{2}", "2024-06-01T10:00:00.123456Z"),
        ("user", "And with an optional", "2024-06-01T10:01:30.500000Z"),
        ("assistant", "\\d{4}-\\d{2}-\\d{2}(T\\", "2024-06-01T10:01:30.500000Z"),
    ]


def test_the_transcript_of_an_imported_conversation_shows_each_messages_time(
    todo: Todo,
) -> None:
    import_(todo, CLAUDE_EXPORT)
    hike = exported(todo, "Packing list for a weekend hike")
    result = todo("chat-log", "show", str(hike["number"]), "--format", "markdown")
    for message in hike["messages"]:
        assert f"· {local(message['created_at'])}\n" in result.stdout


# --- idempotent by the source's ids ------------------------------------------------------------


@pytest.mark.parametrize("source", by_name(SOURCES))
def test_importing_the_same_export_twice_adds_nothing(
    todo: Todo, tmp_path: Path, source: Source
) -> None:
    path = source.make(tmp_path)
    import_(todo, path)
    before = todo("chat-log", "list", "--json").json()
    again = import_(todo, path).splitlines()[0]
    added = source.json["conversations"]["added"]
    assert again == (
        f"imported from {source.json['format']}: 0 conversations added, 0 extended, "
        f"{added} unchanged; 0 messages added"
    )
    assert todo("chat-log", "list", "--json").json() == before


def grown_chatgpt(path: Path) -> Path:
    """The ChatGPT fixture after one more question and answer on the sourdough conversation."""
    data = fixture_data(CHATGPT_EXPORT)
    sourdough = data[0]
    tip = sourdough["current_node"]
    question = said("user", "And if I forget it for a month?", time=1717230300.25)
    answer = said("assistant", "Feed it twice, a day apart, before baking.", time=1717230310.5)
    parent = tip
    for node_id, message in (("new-question", question), ("new-answer", answer)):
        sourdough["mapping"][parent].setdefault("children", []).append(node_id)
        sourdough["mapping"][node_id] = {
            "id": node_id,
            "message": {"id": node_id, **message},
            "parent": parent,
            "children": [],
        }
        parent = node_id
    sourdough["current_node"] = parent
    sourdough["update_time"] = 1717230310.5
    return write_json(path, data)


def test_a_newer_chatgpt_export_adds_only_the_new_messages_at_the_end(
    todo: Todo, tmp_path: Path
) -> None:
    import_(todo, CHATGPT_EXPORT)
    summary = import_(todo, grown_chatgpt(tmp_path / "conversations.json"))
    assert summary.splitlines()[0] == (
        "imported from chatgpt: 0 conversations added, 1 extended, 1 unchanged; 2 messages added"
    )
    assert counts(todo.url) == (2, 8)
    sourdough = exported(todo, "Keeping a sourdough starter alive")
    assert said_when(sourdough)[3:] == [
        ("assistant", "That is 100% hydrati", "2024-06-01T08:23:32.600000Z"),
        ("user", "And if I forget it f", "2024-06-01T08:25:00.250000Z"),
        ("assistant", "Feed it twice, a day", "2024-06-01T08:25:10.500000Z"),
    ]
    assert sourdough["updated_at"] == "2024-06-01T08:25:10.500000Z"


def grown_claude(path: Path) -> Path:
    """The Claude fixture after one more question and answer on the hiking conversation."""
    data = fixture_data(CLAUDE_EXPORT)
    hike = data[0]
    template = hike["chat_messages"][0]
    for uuid, sender, text, when in (
        ("e1f2a3b4-0000-4000-8000-000000000001", "human", "What about food?", "09:20:00Z"),
        ("e1f2a3b4-0000-4000-8000-000000000002", "assistant", "Pack nuts and bread.", "09:20:05Z"),
    ):
        message = copy.deepcopy(template)
        message.update(
            uuid=uuid,
            sender=sender,
            text=text,
            content=[{"type": "text", "text": text}],
            created_at=f"2024-05-18T{when}",
            updated_at=f"2024-05-18T{when}",
            attachments=[],
            files=[],
        )
        hike["chat_messages"].append(message)
    return write_json(path, data)


def test_a_newer_claude_export_adds_only_the_new_messages_at_the_end(
    todo: Todo, tmp_path: Path
) -> None:
    import_(todo, CLAUDE_EXPORT)
    summary = import_(todo, grown_claude(tmp_path / "conversations.json"))
    assert summary.splitlines()[0] == (
        "imported from claude: 0 conversations added, 1 extended, 1 unchanged; 2 messages added"
    )
    assert counts(todo.url) == (2, 8)
    hike = exported(todo, "Packing list for a weekend hike")
    assert said_when(hike)[3:] == [
        ("assistant", "A sleeping-bag liner", "2024-05-18T09:15:41.212870Z"),
        ("user", "What about food?", "2024-05-18T09:20:00.000000Z"),
        ("assistant", "Pack nuts and bread.", "2024-05-18T09:20:05.000000Z"),
    ]


def test_a_conversation_untitled_when_imported_takes_the_title_a_newer_export_gives(
    todo: Todo, tmp_path: Path
) -> None:
    # Claude names a chat after a while: untitled in the first export, named later.
    data = fixture_data(CLAUDE_EXPORT)
    hike = data[0]
    title = hike["name"]
    hike["name"] = ""
    import_(todo, write_json(tmp_path / "first.json", data))
    assert todo("chat-log", "export", "1").json()["title"] is None
    summary = import_(todo, CLAUDE_EXPORT)
    assert summary.splitlines()[0] == (
        "imported from claude: 0 conversations added, 1 extended, 1 unchanged; 0 messages added"
    )
    assert f"conversation #1 titled {title!r}" in summary
    assert exported(todo, title)["number"] == 1
    # A title given here is the user's: a later export does not take it back.
    assert todo("chat-log", "rename", "1", "Hike").exit_code == 0
    hike["name"] = "Renamed in Claude"
    import_(todo, write_json(tmp_path / "later.json", data))
    assert exported(todo, "Hike")["number"] == 1


def test_a_title_removed_here_is_not_put_back_by_the_same_export(todo: Todo) -> None:
    # Importing the same file again put it back ("titled ..."), and history said rename.
    import_(todo, CLAUDE_EXPORT)
    title = fixture_data(CLAUDE_EXPORT)[0]["name"]
    assert exported(todo, title)["number"] == 1
    assert todo("chat-log", "rename", "1", "").exit_code == 0
    again = todo("chat-log", "import", str(CLAUDE_EXPORT), "--json")
    assert again.exit_code == 0, again.stderr
    assert (again.json()["conversations"]["extended"], again.json()["notices"]) == (0, [])
    assert todo("chat-log", "export", "1").json()["title"] is None
    # The removal undone, the title is the export's again, and stays.
    assert todo("undo").exit_code == 0
    assert exported(todo, title)["number"] == 1


def test_an_import_undone_and_made_again_takes_the_title_as_the_first_time(
    todo: Todo, tmp_path: Path
) -> None:
    # The undo set the title back to none, and that was taken for the user's removal:
    # the same import, made again, left the conversation untitled.
    data = fixture_data(CLAUDE_EXPORT)
    title = data[0]["name"]
    data[0]["name"] = ""
    import_(todo, write_json(tmp_path / "first.json", data))
    first = import_(todo, CLAUDE_EXPORT)
    assert f"conversation #1 titled {title!r}" in first
    assert todo("undo").exit_code == 0
    assert todo("chat-log", "export", "1").json()["title"] is None
    assert import_(todo, CLAUDE_EXPORT) == first
    assert exported(todo, title)["number"] == 1


def test_a_newer_export_on_another_branch_says_so(todo: Todo, tmp_path: Path) -> None:
    # An earlier prompt edited in Claude: the export's messages after it are others.
    import_(todo, CLAUDE_EXPORT)
    data = fixture_data(CLAUDE_EXPORT)
    hike = data[0]
    kept = len(hike["chat_messages"]) - 2
    # One of the user's own, appended here: counted with those already here.
    assert todo("chat-log", "append", "1", "--role", "user", "my own note").exit_code == 0
    for offset, message in enumerate(hike["chat_messages"][kept:]):
        message["uuid"] = f"f0f0f0f0-0000-4000-8000-00000000000{offset}"
        message["text"] = f"edited {offset}"
        message["content"] = [{"type": "text", "text": f"edited {offset}"}]
    result = todo("chat-log", "import", str(write_json(tmp_path / "c.json", data)), "--json")
    assert result.exit_code == 0, result.stderr
    (notice,) = result.json()["notices"]
    assert notice.startswith("conversation #")
    assert notice.endswith(
        f"shows another branch than the one imported before; its 2 new message(s) were "
        f"added after the {kept + 3} already here"
    )
    # The same export again: nothing new, nothing said.
    again = todo("chat-log", "import", str(tmp_path / "c.json"), "--json").json()
    assert (again["messages_added"], again["notices"]) == (0, [])


def test_a_continued_llm_conversation_adds_only_the_new_call(todo: Todo, tmp_path: Path) -> None:
    logs = build_old_layout(tmp_path / "logs.db")
    import_(todo, logs)
    with sqlite3.connect(logs) as db:
        db.execute(
            "INSERT INTO responses (id, model, prompt, response, conversation_id, datetime_utc)"
            " VALUES ('01j9zzzzzzzzzzzzzzzzzzzzzz', 'gpt-4o-mini', 'And only years?', '\\d{4}',"
            " ?, '2024-06-02T08:00:00+00:00')",
            (C_REGEX,),
        )
    db.close()
    summary = import_(todo, logs)
    assert summary.splitlines()[0] == (
        "imported from llm: 0 conversations added, 1 extended, 3 unchanged; 2 messages added"
    )
    regex = exported(todo, "Regex for ISO dates")
    assert said_when(regex)[3:] == [
        ("assistant", "\\d{4}-\\d{2}-\\d{2}(T\\", "2024-06-01T10:01:30.500000Z"),
        ("user", "And only years?", "2024-06-02T08:00:00.000000Z"),
        ("assistant", r"\d{4}", "2024-06-02T08:00:00.000000Z"),
    ]


def test_an_export_imported_by_two_users_is_each_ones_own(todo: Todo) -> None:
    import_(todo, CLAUDE_EXPORT)
    bob = todo.as_user("bob")
    assert import_(bob, CLAUDE_EXPORT).startswith("imported from claude: 2 conversations added")
    alices = {c["id"] for c in todo("chat-log", "list", "--json").json()}
    bobs = {c["id"] for c in bob("chat-log", "list", "--json").json()}
    assert (len(alices), len(bobs)) == (2, 2)
    assert not alices & bobs


# --- all or nothing -----------------------------------------------------------------------------


def broken_at_the_end(source: Path, tmp_path: Path) -> Path:
    """The fixture with a third conversation that is broken (the first two are fine)."""
    data = fixture_data(source)
    if source == CHATGPT_EXPORT:
        broken = chatgpt_conversation(
            said("user", "a"), said("assistant", "b"), id="broken", conversation_id="broken"
        )
        broken["mapping"]["root"]["parent"] = "n2"  # a cycle
    else:
        broken = copy.deepcopy(data[1])
        broken["uuid"] = "broken"
        del broken["chat_messages"][0]["uuid"]
    return write_json(tmp_path / "conversations.json", [*data, broken])


@pytest.mark.parametrize(
    ("source", "says"),
    [
        (CHATGPT_EXPORT, "conversation 3 (.[2]), id 'broken', mapping has a cycle"),
        (CLAUDE_EXPORT, "conversation 3 (.[2]), uuid 'broken', message 1"),
    ],
    ids=["chatgpt", "claude"],
)
def test_an_export_with_a_broken_conversation_at_the_end_writes_nothing(
    todo: Todo, tmp_path: Path, source: Path, says: str
) -> None:
    users = sql_rows(todo.url, "SELECT count(*) FROM users")
    result = todo("chat-log", "import", str(broken_at_the_end(source, tmp_path)))
    assert result.exit_code == 2
    assert says in result.stderr
    assert counts(todo.url) == (0, 0)
    assert sql_rows(todo.url, "SELECT count(*) FROM users") == users  # not even the user's row


def test_a_broken_newer_export_leaves_the_earlier_import_as_it_was(
    todo: Todo, tmp_path: Path
) -> None:
    import_(todo, CHATGPT_EXPORT)
    before = todo("chat-log", "export", "1").json()
    grown = fixture_data(grown_chatgpt(tmp_path / "grown.json"))
    grown.append({"title": "broken", "mapping": {}, "current_node": "gone", "id": "broken"})
    result = todo("chat-log", "import", str(write_json(tmp_path / "broken.json", grown)))
    assert result.exit_code == 2
    assert counts(todo.url) == (2, 6)
    assert todo("chat-log", "export", "1").json() == before


def test_a_message_over_100000_characters_is_left_out_and_named(todo: Todo, tmp_path: Path) -> None:
    long = chatgpt_conversation(said("user", "paste"), said("assistant", "x" * 100_001))
    summary = import_(todo, write_json(tmp_path / "conversations.json", [long]))
    assert summary == (
        "imported from chatgpt: 1 conversation added, 0 extended, 0 unchanged; 1 message added\n"
        "  skipped 1: too long\n"
        "  note: conversation conv-1, message n2: content is 100001 characters, "
        "the limit is 100000: left out\n"
    )


def test_twenty_messages_left_out_are_named_and_the_rest_counted(
    todo: Todo, tmp_path: Path
) -> None:
    conversation = chatgpt_conversation(*(said("user", f"a{n}\x00") for n in range(23)))
    summary = import_(todo, write_json(tmp_path / "conversations.json", [conversation]))
    named = [line for line in summary.splitlines() if line.startswith("  note: ")]
    assert len(named) == 20
    assert summary.endswith("  ... and 3 more notes (--json lists them all)\n")


def test_messages_the_database_cannot_hold_are_each_named_in_the_json_summary(
    todo: Todo, tmp_path: Path
) -> None:
    conversation = chatgpt_conversation(
        said("user", "a\x00b"), said("assistant", "fine"), said("user", "y" * 100_001)
    )
    path = write_json(tmp_path / "conversations.json", [conversation])
    result = todo("chat-log", "import", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    summary = result.json()
    assert summary["messages_added"] == 1
    assert summary["skipped"] == {"invalid": 1, "too_long": 1}
    assert summary["notices"] == [
        "conversation conv-1, message n1: content contains a NUL byte: left out",
        "conversation conv-1, message n3: content is 100001 characters, "
        "the limit is 100000: left out",
    ]
    assert counts(todo.url) == (1, 1)


# --- the llm file is the user's --------------------------------------------------------------


@pytest.mark.parametrize("journal", ["delete", "wal"])
@pytest.mark.parametrize(
    "build", [build_old_layout, build_new_layout, build_mixed], ids=["0.31", "0.32", "mixed"]
)
def test_importing_an_llm_database_changes_no_byte_mtime_or_file_beside_it(
    todo: Todo, tmp_path: Path, build: Callable[[Path], Path], journal: str
) -> None:
    directory = tmp_path / "llm"
    directory.mkdir()
    logs = build(directory / "logs.db")
    with sqlite3.connect(logs) as db:
        db.execute(f"PRAGMA journal_mode = {journal}")
    db.close()
    os.utime(logs, ns=(1_000_000_000, 1_000_000_000))
    before = snapshot(directory)
    import_(todo, logs)
    import_(todo, logs)
    assert snapshot(directory) == before


# --- a large export, in bounded memory ------------------------------------------------------------


@pytest.fixture(scope="module")
def export_20_mb(tmp_path_factory: pytest.TempPathFactory) -> perf_chat_import.Export:
    """A 20 MB ChatGPT export (tests/perf_chat.py imports 200 MB and reports it)."""
    return perf_chat_import.write_export(
        tmp_path_factory.mktemp("export") / "conversations.json", 20
    )


@pytest.fixture
def spawner(tmp_path: Path) -> Iterator[Spawner]:
    """Runs commands from a small process, so each one's peak memory is its own."""
    started = Spawner(tmp_path)
    yield started
    started.close()


def _import_peak_mib(
    todo: Todo, spawner: Spawner, export: perf_chat_import.Export, source: str
) -> tuple[float, float]:
    """Import `export` (by path, or "-" for stdin): its peak MiB, and how far over `list`'s."""
    env = dict(os.environ) | todo.env
    todo_cli = todo_command()
    stdin = export.path if source == "-" else None
    baseline = spawner.measure([*todo_cli, "chat-log", "list"], env, None)
    imported = spawner.measure([*todo_cli, "chat-log", "import", source], env, stdin)
    assert counts(todo.url) == (export.conversations, export.messages)
    return imported.peak_bytes / MIB, (imported.peak_bytes - baseline.peak_bytes) / MIB


def test_a_20_mb_export_imports_in_bounded_memory(
    todo: Todo, spawner: Spawner, export_20_mb: perf_chat_import.Export
) -> None:
    peak, grown = _import_peak_mib(todo, spawner, export_20_mb, str(export_20_mb.path))
    # One conversation at a time: the largest (a few MB) and the database's
    # buffers. Holding the file's JSON would take well over 100 MiB more.
    assert grown < 64, f"import peak {peak:.0f} MiB, {grown:.0f} MiB over list"
    assert peak < 400


def test_a_20_mb_export_on_stdin_imports_in_bounded_memory(
    todo: Todo, spawner: Spawner, export_20_mb: perf_chat_import.Export
) -> None:
    # Telling the format of stdin reads ahead only as far as the first conversation.
    peak, grown = _import_peak_mib(todo, spawner, export_20_mb, "-")
    assert grown < 64, f"import peak {peak:.0f} MiB, {grown:.0f} MiB over list"


def test_a_message_the_export_changed_since_it_was_imported_is_kept_and_said(
    todo: Todo, tmp_path: Path
) -> None:
    # Claude keeps a message's uuid when it is edited: the import left the old text
    # here without a word, and counted the conversation unchanged.
    def export(answer: str) -> Path:
        conversation = chatgpt_conversation(
            said("user", "the question", time=1_700_000_001.0),
            said("assistant", answer, time=1_700_000_002.0),
            id="F",
            conversation_id="F",
        )
        return write_json(tmp_path / "conversations.json", [conversation])

    assert todo("chat-log", "import", str(export("the answer"))).exit_code == 0
    again = todo("chat-log", "import", str(export("a better answer")), "--json")
    assert again.exit_code == 0, again.stderr
    assert (again.json()["messages_added"], again.json()["notices"]) == (
        0,
        [
            "conversation #1 (F): 1 message(s) the export has changed since they were "
            "imported are kept as they were here (messages are never changed)"
        ],
    )
    shown = todo("chat-log", "show", "1", "--json").json()
    assert [m["content"] for m in shown["messages"]] == ["the question", "the answer"]
    # The same export again, unchanged: nothing said.
    same = todo("chat-log", "import", str(export("the answer")), "--json")
    assert same.json()["notices"] == []


def test_a_message_left_out_once_and_imported_later_is_said_to_be_out_of_place(
    todo: Todo, tmp_path: Path
) -> None:
    # Its content refused the first time (a NUL byte), taken the second: it lands after
    # the answer to it (messages are never moved), and the import said nothing.
    def export(question: str) -> Path:
        conversation = chatgpt_conversation(
            said("user", question, time=1_700_000_001.0),
            said("assistant", "the answer", time=1_700_000_002.0),
            id="E",
            conversation_id="E",
        )
        return write_json(tmp_path / "conversations.json", [conversation])

    first = todo("chat-log", "import", str(export("the que\u0000stion")), "--json")
    assert first.exit_code == 0, first.stderr
    assert first.json()["messages_added"] == 1
    again = todo("chat-log", "import", str(export("the question")), "--json")
    assert again.exit_code == 0, again.stderr
    assert (again.json()["messages_added"], again.json()["notices"]) == (
        1,
        [
            "conversation #1 (E): 1 message(s) the export has before ones imported "
            "earlier were added after the 1 already here"
        ],
    )
    # A message that only follows the ones here is no news.
    conversation = chatgpt_conversation(
        said("user", "the question", time=1_700_000_001.0),
        said("assistant", "the answer", time=1_700_000_002.0),
        said("user", "thanks", time=1_700_000_003.0),
        id="E",
        conversation_id="E",
    )
    later = todo(
        "chat-log", "import", str(write_json(tmp_path / "c.json", [conversation])), "--json"
    )
    assert (later.json()["messages_added"], later.json()["notices"]) == (1, [])


def test_history_tells_each_conversation_an_import_started_or_extended(
    todo: Todo, tmp_path: Path
) -> None:
    # It named the first conversation alone: "appended 4 messages to conversation #1"
    # for two each to #1 and #2, and an import that extended #1 and started #3 said
    # only the start; 2,000 new ones were five numbers and the messages of all.
    def conversation(key: str, count: int) -> dict[str, Any]:
        roles = ("user", "assistant")
        messages = [
            said(roles[n % 2], f"{key} {n}", time=1_700_000_001.0 + n) for n in range(count)
        ]
        return chatgpt_conversation(*messages, id=key, conversation_id=key, title=key)

    for name, conversations in (
        ("v1.json", [conversation("A", 2), conversation("B", 2)]),
        ("v2.json", [conversation("A", 4), conversation("B", 4)]),
        ("v3.json", [conversation("A", 6), conversation("D", 2)]),
        ("v4.json", [conversation(f"E{n}", 1) for n in range(7)]),
        # Seven extended and one started: history samples each action's rows apart, so
        # the extensions do not crowd out the start (it said "imported 1 conversation").
        ("v5.json", [*(conversation(f"E{n}", 2) for n in range(7)), conversation("F", 1)]),
    ):
        import_(todo, write_json(tmp_path / name, conversations))
    told = todo("history", "--json")
    assert told.exit_code == 0, told.stderr
    assert [entry["summary"] for entry in told.json()] == [
        "imported conversation #11, appended to conversation #4 #5 #6 #7 #8 and 2 more "
        "(8 messages)",
        "imported conversation #4 #5 #6 #7 #8 and 2 more (7 messages)",
        "imported conversation #3, appended to conversation #1 (4 messages)",
        "appended 4 messages to conversation #1 #2",
        "imported conversation #1 #2 (4 messages)",
    ]


def test_a_large_import_counts_its_rows_for_postgresqls_planner(
    todo: Todo, tmp_path: Path, backend: str
) -> None:
    """Until autovacuum came by, a search right after a first big import planned a
    nested loop over the search index: 7.4 s where 0.4 s after (40,000 messages)."""
    if backend == "sqlite":
        not_applicable("SQLite's planner keeps no statistics that an import outdates")
    export = perf_chat_import.write_export(tmp_path / "conversations.json", 8)
    assert export.messages >= 5_000

    def analyzed() -> int:
        return int(
            sql_rows(
                todo.url,
                "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'messages'",
            )[0][0]
        )

    before = analyzed()
    result = todo("chat-log", "import", str(export.path))
    assert result.exit_code == 0, result.stderr
    assert "WARNING" not in result.stderr
    # The owner's import analyzes; a member's (row security) cannot, and leaves it to
    # autovacuum, saying nothing.
    assert analyzed() == before + (1 if backend == "postgresql" else 0)


def test_no_progress_bar_when_stderr_is_not_a_terminal(todo: Todo, tmp_path: Path) -> None:
    # Long enough to draw a bar on a terminal (the test below); here stderr is a pipe.
    export = perf_chat_import.write_export(tmp_path / "conversations.json", 3)
    proc = todo.process("chat-log", "import", str(export.path))
    assert proc.returncode == 0, proc.stderr
    first, *rest = proc.stderr.decode().splitlines()
    assert first == (
        f"imported from chatgpt: {export.conversations:,} conversations added, "
        f"0 extended, 0 unchanged; {export.messages:,} messages added"
    )
    assert all(line.startswith("  skipped ") for line in rest), rest
    assert b"\r" not in proc.stderr
    assert b"\x1b" not in proc.stderr


def test_a_progress_bar_on_a_terminal_while_a_long_import_runs(
    todo: Todo, export_20_mb: perf_chat_import.Export
) -> None:
    # 20 MB: several seconds of work even on a fast machine, well past the
    # second after which the bar appears (3 MB can be done within it).
    export = export_20_mb
    terminal, stderr = pty.openpty()
    env = dict(os.environ) | todo.env | {"TERM": "xterm-256color", "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "todo_cli", "chat-log", "import", str(export.path)],
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
        cwd=REPO,
    )
    os.close(stderr)
    screen = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    proc.communicate(timeout=300)
    os.close(terminal)
    assert proc.returncode == 0
    assert b"importing" in screen
    assert b"imported from chatgpt: " in screen


# --- show and export formats ----------------------------------------------------------------------

CODE_ANSWER = (
    "Use a dict:\n\n```python\ndef count(words):\n    seen = {}\n"
    "    for w in words:\n        seen[w] = seen.get(w, 0) + 1\n    return seen\n```\n\n"
    "*Not* markup: <b>as typed</b> and \\escaped.\n"
)


def planned_week(todo: Todo) -> dict[str, Any]:
    assert todo("chat-log", "new", "--title", "Plan the week").exit_code == 0
    for role, text in (("user", "How do I count words?"), ("assistant", CODE_ANSWER)):
        result = todo("chat-log", "append", "1", "--role", role, "-", input=text)
        assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = todo("chat-log", "export", "1").json()
    return document


@pytest.mark.parametrize("command", ["show", "export"])
def test_markdown_is_a_readable_transcript_with_content_as_written(
    todo: Todo, command: str
) -> None:
    document = planned_week(todo)
    question, answer = document["messages"]
    result = todo("chat-log", command, "1", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    started = local(document["created_at"], "%Y-%m-%d %H:%M")
    assert result.stdout == (
        "# Plan the week\n\n"
        f"*Conversation #1, started {started}, 2 messages.*\n"
        f"\n**User** · {local(question['created_at'])}\n\n"
        "How do I count words?\n"
        f"\n**Assistant** · {local(answer['created_at'])}\n\n"
        f"{CODE_ANSWER.rstrip()}\n"
    )


def test_markdown_keeps_a_fenced_code_block_intact(todo: Todo) -> None:
    planned_week(todo)
    markdown = todo("chat-log", "show", "1", "--format", "markdown").stdout
    block = CODE_ANSWER[CODE_ANSWER.index("```") : CODE_ANSWER.rindex("```") + 3]
    assert f"\n{block}\n" in markdown


def test_markdown_of_an_untitled_conversation_is_headed_by_its_number(todo: Todo) -> None:
    assert todo("chat-log", "new").exit_code == 0
    markdown = todo("chat-log", "export", "1", "--format", "markdown").stdout
    assert markdown.startswith("# Conversation #1\n\n*Conversation #1, started ")
    assert markdown.endswith(", 0 messages.*\n")


def test_lines_pasted_from_windows_show_as_lines_and_a_title_stays_one_heading(
    todo: Todo,
) -> None:
    # Each line of the text transcript ended in a visible \x0d; a title's line break
    # ended the Markdown heading and began a paragraph.
    assert todo("chat-log", "new", "--title", "Build\nnotes").exit_code in (0, 2)
    if todo("chat-log", "list", "--json").json() == []:
        assert todo("chat-log", "new", "--title", "Build notes").exit_code == 0
    text = "Run:\r\nmake all\r\nthen\rthis"
    assert todo("chat-log", "append", "1", "--role", "user", "-", input=text).exit_code == 0
    shown = todo("chat-log", "show", "1").stdout
    assert "Run:\nmake all\nthen\\x0dthis\n" in shown  # a lone \r is still shown
    markdown = todo("chat-log", "export", "1", "--format", "markdown").stdout
    assert markdown.startswith("# Build notes\n\n")


def test_format_text_is_the_transcript_show_prints(todo: Todo) -> None:
    planned_week(todo)
    shown = todo("chat-log", "show", "1").stdout
    assert todo("chat-log", "show", "1", "--format", "text").stdout == shown
    assert todo("chat-log", "export", "1", "--format", "text").stdout == shown
    assert shown.startswith("#1  Plan the week\n2 messages · started ")
    assert "```python\ndef count(words):\n" in shown


def test_format_json_is_what_export_prints(todo: Todo) -> None:
    document = planned_week(todo)
    assert todo("chat-log", "show", "1", "--format", "json").json() == document
    assert todo("chat-log", "show", "1", "--json").json() == document
    assert todo("chat-log", "export", "1", "--format", "json", "--json").json() == document


@pytest.mark.parametrize("command", ["show", "export"])
@pytest.mark.parametrize("fmt", ["markdown", "text"])
def test_json_with_another_format_is_bad_usage(todo: Todo, command: str, fmt: str) -> None:
    planned_week(todo)
    result = todo("chat-log", command, "1", "--format", fmt, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert json.loads(result.stderr)["error"]["code"] == "usage"


@pytest.mark.parametrize(
    ("content", "closed"),
    [
        ("Here:\n```python\nprint(1)", "Here:\n```python\nprint(1)\n```"),
        ("~~~~\nstill code\n~~~\nmore", "~~~~\nstill code\n~~~\nmore\n~~~~"),
        ("````\n```\nnot yet\n", "````\n```\nnot yet\n````"),
        ("````md\n```\ninner\n```\n", "````md\n```\ninner\n```\n````"),
    ],
)
def test_markdown_closes_a_code_block_a_message_leaves_open(
    todo: Todo, content: str, closed: str
) -> None:
    # A reply cut off inside a code block would turn every message after it into code.
    assert todo("chat-log", "new", "--title", "Cut off").exit_code == 0
    for role, text in (("assistant", content), ("user", "Thanks")):
        assert todo("chat-log", "append", "1", "--role", role, "-", input=text).exit_code == 0
    markdown = todo("chat-log", "export", "1", "--format", "markdown").stdout
    reply = markdown.split("**Assistant** · ")[1].split("\n\n", 1)[1]
    assert reply.split("\n\n**User**")[0] == closed
    assert markdown.endswith("\n\nThanks\n")


@pytest.mark.parametrize(
    "content",
    [
        "```python\nprint(1)\n```",
        "Use ``` `code` ``` inline.\nNext line",
        "    ```\n    indented: code, not a fence",
        "~~~\na\n~~~\n```\nb\n```",
        "```\n````\nclosed by a longer fence",
    ],
)
def test_markdown_leaves_a_message_with_no_open_code_block_as_written(
    todo: Todo, content: str
) -> None:
    assert todo("chat-log", "new").exit_code == 0
    assert todo("chat-log", "append", "1", "--role", "user", "-", input=content).exit_code == 0
    markdown = todo("chat-log", "export", "1", "--format", "markdown").stdout
    assert markdown.endswith(f"\n\n{content}\n")


def test_a_fence_closed_on_a_line_ending_in_crlf_is_closed() -> None:
    # Pasted from Windows: "```\r" was no closing fence, and one more was added.
    from todo_cli.formats.markdown import _open_fence

    assert _open_fence("Run:\r\n```\r\nmake\r\n```\r\n") is None
    assert _open_fence("Run:\r\n```\r\nmake\r\n") == "```"
