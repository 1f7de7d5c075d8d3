"""SQLite's bulk writes journal their rows in one statement, exactly as the trigger would.

A bulk add or an import on SQLite takes the journal's insert trigger off for
its own INSERT, journals the new rows with one INSERT ... SELECT, and puts the
trigger back (repository.tasks._with_row_triggers_set_based). These tests hold that
path to the trigger's: the same images, the same operation, the trigger back
exactly as it was, every row that stays journaled when the insert fails
partway, and the trigger's own path where the rowids cannot tell new rows.
(PostgreSQL's triggers are per statement already: tests/test_journal.py.)
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Todo

TRIGGERS = ("trg_tasks_journal_insert", "trg_task_tags_journal_insert")


@pytest.fixture
def url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "todo.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def todo(url: str) -> Todo:
    return Todo(url)


def connect(url: str) -> sqlite3.Connection:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    conn.row_factory = sqlite3.Row
    return conn


def rows(url: str, statement: str, *params: Any) -> list[sqlite3.Row]:
    with connect(url) as conn:
        return list(conn.execute(statement, params))


def ok(todo: Todo, *args: str, input: str | None = None) -> None:
    result = todo(*args, input=input)
    assert result.exit_code == 0, result.stderr


def triggers(url: str) -> dict[str, str]:
    found = rows(url, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    return {row["name"]: row["sql"] for row in found}


def journal(url: str) -> list[dict[str, Any]]:
    found = rows(
        url,
        "SELECT j.*, o.command FROM journal j JOIN operations o ON o.id = j.operation_id "
        "ORDER BY j.id",
    )
    return [dict(row) for row in found]


def stored(url: str, table: str) -> list[dict[str, Any]]:
    """Each row as the journal's image holds it: every column but the derived ones."""
    derived = {"tag_count", "dependency_links"}
    return [
        {key: row[key] for key in row.keys() if key not in derived}  # noqa: SIM118
        for row in rows(url, f"SELECT * FROM {table} ORDER BY rowid")
    ]


LINE = "Call the bank +finance +phone project:home.admin due:2027-01-05 pri:H wait:2027-01-02"


def test_a_bulk_added_task_has_the_journal_image_a_single_add_gives_it(todo: Todo) -> None:
    ok(todo, "add", *LINE.split())
    ok(todo, "add", input=LINE + "\n")
    single, bulk = (
        [entry for entry in journal(todo.url) if entry["command"] == command]
        for command in (f"todo add {LINE}", "todo add")
    )
    assert [(e["table_name"], e["action"]) for e in single] == [
        ("tasks", "insert"),
        ("task_tags", "insert"),
        ("task_tags", "insert"),
    ]
    assert [(e["table_name"], e["action"]) for e in bulk] == [
        ("tasks", "insert"),
        ("task_tags", "insert"),
        ("task_tags", "insert"),
    ]
    one, many = json.loads(single[0]["after"]), json.loads(bulk[0]["after"])
    own = {"id", "number", "created_at", "updated_at"}
    assert list(one) == list(many)
    assert {k: v for k, v in one.items() if k not in own} == {
        k: v for k, v in many.items() if k not in own
    }
    for field in own:
        assert type(one[field]) is type(many[field]), field
    assert [json.loads(e["after"])["tag"] for e in bulk[1:]] == ["finance", "phone"]
    assert all(e["before"] is None for e in single + bulk)


def test_every_row_of_a_bulk_add_is_journaled_as_stored_with_its_key(todo: Todo) -> None:
    ok(todo, "add", "Already here")
    lines = "".join(f"task {i} +t{i % 3} due:2027-01-{1 + i % 28:02d}\n" for i in range(500))
    ok(todo, "add", input=lines)
    entries = [e for e in journal(todo.url) if e["command"] == "todo add"]
    tasks = [e for e in entries if e["table_name"] == "tasks"]
    tags = [e for e in entries if e["table_name"] == "task_tags"]
    assert (len(tasks), len(tags), len(entries)) == (500, 500, 1000)
    assert [json.loads(e["after"]) for e in tasks] == stored(todo.url, "tasks")[1:]
    assert [json.loads(e["row_key"]) for e in tasks] == [
        [row["id"]] for row in stored(todo.url, "tasks")[1:]
    ]
    assert [json.loads(e["after"]) for e in tags] == stored(todo.url, "task_tags")
    assert [json.loads(e["row_key"]) for e in tags] == [
        [row["task_id"], row["tag"]] for row in stored(todo.url, "task_tags")
    ]
    assert {e["action"] for e in entries} == {"insert"}
    assert len({e["operation_id"] for e in entries}) == 1


def test_the_triggers_are_back_exactly_as_they_were_and_fire_again(todo: Todo) -> None:
    before = triggers(todo.url)
    ok(todo, "add", input="a +x\nb +y\n")
    assert triggers(todo.url) == before
    with connect(todo.url) as conn:
        conn.execute(
            "INSERT INTO task_tags (task_id, tag) SELECT id, 'raw' FROM tasks WHERE number = 1"
        )
    last = journal(todo.url)[-1]
    assert (last["table_name"], last["command"]) == ("task_tags", "outside todo")
    assert json.loads(last["after"])["tag"] == "raw"


def test_an_import_journals_its_tasks_and_tags_as_stored_in_one_operation(
    todo: Todo, tmp_path: Path
) -> None:
    source = tmp_path / "tasks.txt"
    source.write_text(
        "(A) 2026-11-01 Call the bank +finance @phone due:2027-01-05\n"
        "x 2026-11-20 2026-11-02 Buy milk @errand\n",
        encoding="utf-8",
    )
    ok(todo, "import", str(source))
    entries = journal(todo.url)
    assert {e["command"] for e in entries} == {f"todo import {source}"}
    assert [json.loads(e["after"]) for e in entries if e["table_name"] == "tasks"] == stored(
        todo.url, "tasks"
    )
    assert [json.loads(e["after"]) for e in entries if e["table_name"] == "task_tags"] == (
        stored(todo.url, "task_tags")
    )
    ok(todo, "undo")
    assert stored(todo.url, "tasks") == []


def _bulk(url: str, titles: Iterator[str] | list[str]) -> None:
    """TaskRepository.add_many in a transaction of its own, as a script would."""
    from todo_cli.db.transaction import transaction
    from todo_cli.repository.tasks import TaskRepository
    from todo_cli.settings import resolve

    settings = resolve(db=url, user="alice", environ={})
    with transaction(settings) as conn:
        TaskRepository(conn, "alice").add_many([{"title": title} for title in titles])


def test_a_bulk_insert_that_fails_halfway_leaves_no_row_no_journal_and_the_trigger(
    url: str,
) -> None:
    before = triggers(url)
    titles = [f"task {i}" for i in range(300)]
    titles[150] = ""  # the database's CHECK refuses an empty title
    with pytest.raises(Exception, match="ck_tasks_title"):
        _bulk(url, titles)
    assert triggers(url) == before
    assert rows(url, "SELECT count(*) AS n FROM tasks")[0]["n"] == 0
    assert journal(url) == []
    assert rows(url, "SELECT count(*) AS n FROM operations")[0]["n"] == 0


@pytest.fixture(params=["json", "executemany"])
def insert_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How a bulk insert reaches SQLite: one statement reading a JSON array of the rows
    (3.38 and later), or the driver's executemany (earlier SQLite, or rows that share
    too little)."""
    from todo_cli.repository import tasks

    if request.param == "executemany":
        monkeypatch.setattr(tasks, "_sqlite_json_arrays", lambda raw: False)
    else:
        assert tasks._sqlite_json_arrays(sqlite3.connect(":memory:")), "SQLite reads JSON"
    return str(request.param)


def test_a_failure_inside_the_transaction_leaves_each_row_journaled_and_the_trigger(
    url: str, insert_path: str
) -> None:
    """A caller that goes on after a failed bulk insert finds what the trigger would leave.

    SQLite keeps the rows of the statements before the failing one: with
    executemany each row is one; from a JSON array the whole batch is one, and
    goes. What is kept is journaled, and the trigger is back for what the
    transaction writes next.
    """
    from todo_cli.db.transaction import transaction
    from todo_cli.repository.tasks import TaskRepository
    from todo_cli.settings import resolve

    before = triggers(url)
    settings = resolve(db=url, user="alice", environ={})
    with transaction(settings) as conn:
        repository = TaskRepository(conn, "alice")
        with pytest.raises(sqlite3.IntegrityError, match="ck_tasks_title"):
            repository.add_many([{"title": "fine"}, {"title": ""}, {"title": "never"}])
        repository.add({"title": "after the failure", "tags": ["kept"]})
    assert triggers(url) == before
    tasks = stored(url, "tasks")
    kept = ["fine"] if insert_path == "executemany" else []
    assert [row["title"] for row in tasks] == [*kept, "after the failure"]
    entries = journal(url)
    assert [(e["table_name"], e["action"]) for e in entries] == [
        *(("tasks", "insert") for _ in kept),
        ("tasks", "insert"),
        ("task_tags", "insert"),
    ]
    assert [json.loads(e["after"]) for e in entries[: len(tasks)]] == tasks
    assert len({e["operation_id"] for e in entries}) == 1


def test_where_the_rowids_cannot_tell_new_rows_the_trigger_journals_them(url: str) -> None:
    # At the largest rowid SQLite gives new rows free rowids at random, some
    # below it: "past the largest there was" would miss them.
    with connect(url) as conn:
        user = conn.execute(
            "INSERT INTO users (id, name, created_at) VALUES "
            "('0123456789abcdef0123456789abcdef', 'bob', '2026-11-30T10:00:00') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO tasks (rowid, id, user_id, number, title, completed, created_at, "
            "updated_at) VALUES (9223372036854775807, 'fedcba9876543210fedcba9876543210', ?, "
            "1, 'at the top', 0, '2026-11-30T10:00:00', '2026-11-30T10:00:00')",
            (user,),
        )
    _bulk(url, [f"task {i}" for i in range(200)])
    added = [e for e in journal(url) if e["command"] != "outside todo"]
    assert len(added) == 200
    assert {json.loads(e["row_key"])[0] for e in added} == {
        row["id"] for row in stored(url, "tasks") if row["title"] != "at the top"
    }


def test_the_tag_count_of_a_bulk_insert_is_kept_even_when_it_fails_partway(url: str) -> None:
    """The tag count's trigger is done in bulk too, failure or not, and is back after."""
    from todo_cli.db.transaction import transaction
    from todo_cli.repository.tasks import TaskRepository
    from todo_cli.settings import resolve

    before = triggers(url)
    settings = resolve(db=url, user="alice", environ={})
    with transaction(settings) as conn:
        repository = TaskRepository(conn, "alice")
        repository.add_many([{"title": "none"}, {"title": "three", "tags": ["a", "b", "c"]}])
        with pytest.raises(sqlite3.IntegrityError, match="ck_task_tags_tag"):
            repository.add_many(
                [{"title": "two", "tags": ["x", "y"]}, {"title": "bad", "tags": ["1st"]}]
            )
        repository.add({"title": "one", "tags": ["z"]})
    assert triggers(url) == before
    counts = rows(
        url,
        "SELECT title, tag_count, (SELECT count(*) FROM task_tags g WHERE g.task_id = tasks.id) "
        "AS real FROM tasks ORDER BY rowid",
    )
    assert [(row["title"], row["tag_count"], row["real"]) for row in counts] == [
        ("none", 0, 0),
        ("three", 3, 3),
        ("two", 2, 2),
        ("bad", 0, 0),
        ("one", 1, 1),
    ]


def test_a_bulk_insert_stores_each_rows_own_values_shared_objects_or_not(url: str) -> None:
    """Values are converted once per distinct object in a row: never one row's for another."""
    from datetime import UTC, datetime

    first = datetime(2027, 1, 5, 9, 30, tzinfo=UTC)
    second = datetime(2027, 2, 6, 10, 45, tzinfo=UTC)
    items: list[dict[str, Any]] = [
        {"title": "a", "due": first, "priority": "H"},
        {"title": "b", "due": first, "priority": "H"},
        {"title": "c", "due": second, "priority": None},
        {"title": "d", "due": first, "priority": "L"},
        {"title": "e", "due": None, "priority": "L"},
        {"title": "f", "due": datetime(2027, 1, 5, 9, 30, tzinfo=UTC), "priority": None},
    ]
    _bulk_items(url, items)
    found = [(row["title"], row["due"], row["priority"]) for row in stored(url, "tasks")]
    assert found == [
        ("a", "2027-01-05T09:30:00.000000", "H"),
        ("b", "2027-01-05T09:30:00.000000", "H"),
        ("c", "2027-02-06T10:45:00.000000", None),
        ("d", "2027-01-05T09:30:00.000000", "L"),
        ("e", None, "L"),
        ("f", "2027-01-05T09:30:00.000000", None),
    ]
    assert len({row["id"] for row in stored(url, "tasks")}) == 6


def _bulk_items(url: str, items: list[dict[str, Any]]) -> None:
    from todo_cli.db.transaction import transaction
    from todo_cli.repository.tasks import TaskRepository
    from todo_cli.settings import resolve

    settings = resolve(db=url, user="alice", environ={})
    with transaction(settings) as conn:
        TaskRepository(conn, "alice").add_many(items)


# Titles and texts that JSON and SQL quote differently, or that look like JSON or numbers.
AWKWARD = [
    'it\'s "quoted"',
    "back\\slash \\u0041 not an escape",
    "null",
    "true",
    "123",
    "1e5",
    "-0",
    "[1, 2]",
    '{"a": 1}',
    "  spaced  out  ",
    "émoji 🎉 and 東京",
    "\u202eright to left",
    "tab\there",
    "x" * 200,
    "?1 ?2 :name $x @y",
    "--",
    "value ->> 0",
]


def _awkward_items() -> list[dict[str, Any]]:
    from datetime import UTC, datetime

    due = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    return [
        {
            "title": title,
            "description": "shared: it's the same\nfor every line",
            "priority": "HML"[n % 3] if n % 2 else None,
            "due": due if n % 4 else None,
            "project": "home.admin" if n % 5 else None,
            "tags": ["a", "b"] if n % 3 else [],
        }
        for n, title in enumerate(AWKWARD * 3)
    ]


# A new id each, the user's id, the moment of the add.
_OWN_TO_EACH_DATABASE = frozenset({"id", "task_id", "user_id", "created_at", "updated_at"})


def _typed(url: str, table: str) -> list[tuple[Any, ...]]:
    """Every column of every row, with the type SQLite stores it as; ids and times aside."""
    with connect(url) as conn:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        kept = [c for c in columns if c not in _OWN_TO_EACH_DATABASE]
        listed = ", ".join(f"typeof({c}), {c}" for c in kept)
        return [tuple(row) for row in conn.execute(f"SELECT {listed} FROM {table} ORDER BY rowid")]


def test_rows_from_a_json_array_are_stored_as_executemany_stores_them(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same values, same SQLite types, same journal images, same tags, row for row."""
    from todo_cli.repository import tasks

    urls = {}
    for path in ("json", "executemany"):
        urls[path] = f"sqlite:///{tmp_path / path}.db"
        shutil.copyfile(sqlite_template, tmp_path / f"{path}.db")
    statements: list[str] = []
    from_json = tasks._insert_from_json

    def spy(*args: Any) -> tuple[str, list[Any]]:
        statements.append(args[0])
        return from_json(*args)

    monkeypatch.setattr(tasks, "_insert_from_json", spy)
    _bulk_items(urls["json"], _awkward_items())
    assert statements == ["tasks"]  # the tags' rows share nothing: executemany
    monkeypatch.setattr(tasks, "_sqlite_json_arrays", lambda raw: False)
    _bulk_items(urls["executemany"], _awkward_items())
    assert statements == ["tasks"]

    for table in ("tasks", "task_tags"):
        assert _typed(urls["json"], table) == _typed(urls["executemany"], table)
    assert [r["title"] for r in stored(urls["json"], "tasks")] == [
        item["title"] for item in _awkward_items()
    ]

    def images(url: str) -> list[tuple[str, Any]]:
        return [
            (
                e["table_name"],
                {k: v for k, v in json.loads(e["after"]).items() if k not in _OWN_TO_EACH_DATABASE},
            )
            for e in journal(url)
        ]

    assert images(urls["json"]) == images(urls["executemany"])
    assert len(journal(urls["json"])) == len(_awkward_items()) + 2 * 34


def test_a_bulk_insert_in_several_statements_keeps_the_rows_in_order(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past a chunk's size the rows go in several statements: all of them, in order."""
    from todo_cli.repository import tasks

    monkeypatch.setattr(tasks, "_JSON_CHUNK", 7)
    titles = [f"task {i}" for i in range(50)]
    _bulk(url, titles)
    found = rows(url, "SELECT number, title FROM tasks ORDER BY rowid")
    assert [(row["number"], row["title"]) for row in found] == [
        (n + 1, title) for n, title in enumerate(titles)
    ]
    assert len(journal(url)) == 50


def test_a_sqlite_without_its_json_functions_takes_executemany(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Asked once a process: a build without JSON (or one refusing `->>`) says no."""
    from todo_cli.repository import tasks

    class WithoutJson:
        def execute(self, statement: str) -> Any:
            raise sqlite3.OperationalError("no such table: json_each")

    monkeypatch.setattr(tasks, "_JSON_ARRAYS", [])
    assert tasks._sqlite_json_arrays(WithoutJson()) is False
    assert tasks._sqlite_json_arrays(sqlite3.connect(":memory:")) is False  # asked once
    monkeypatch.setattr(tasks, "_JSON_ARRAYS", [])
    assert tasks._sqlite_json_arrays(sqlite3.connect(":memory:")) is True


def test_a_bulk_insert_of_one_row_stores_it(url: str) -> None:
    """One row shares every column with itself: nothing to read from a JSON array."""
    _bulk_items(url, [{"title": "alone", "tags": ["solo"]}])
    assert [(row["number"], row["title"]) for row in stored(url, "tasks")] == [(1, "alone")]
    assert [row["tag"] for row in stored(url, "task_tags")] == ["solo"]
    assert [e["table_name"] for e in journal(url)] == ["tasks", "task_tags"]
