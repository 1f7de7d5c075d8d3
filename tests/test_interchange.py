"""`todo export` and `todo import`, end to end, on each backend of the suite.

The format modules have their own unit tests (tests/test_formats_*.py,
tests/test_jsonstream.py); here every behaviour runs through the commands:
the own JSON round trip (byte for byte, across backends too), matching by id,
the Taskwarrior and todo.txt fixtures made by the real tools, format detection,
bad input (all or nothing), `export -o`, history and undo, and the progress bar.
The fixtures were made in Europe/Berlin, so every command here runs there. A
test that needs a second database makes it on the same backend (`databases`).
The round trips through the real `task` and `todo-txt` are in
tests/test_interchange_tools.py.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from tests import conftest
from tests.ci_gate import not_applicable
from tests.conftest import REPO, RLS, PostgresHandle, Result, Todo, in_bash, sql_rows

FIXTURES = Path(__file__).parent / "fixtures"
TASKWARRIOR = FIXTURES / "taskwarrior"
TODOTXT = FIXTURES / "todotxt"
ZONE = "Europe/Berlin"
MiB = 1024 * 1024
# What an import fixture gives: the --json summary, and every task afterwards.
Imported = tuple[dict[str, Any], list[dict[str, Any]]]


class BerlinTodo(Todo):
    """`todo` in the zone the fixtures were made in, in-process and as a subprocess."""

    @property
    def env(self) -> dict[str, str]:
        return super().env | {"TZ": ZONE}

    def as_user(self, user: str) -> Todo:
        return BerlinTodo(self.url, user)


@pytest.fixture
def todo(db_url: str) -> Todo:
    return BerlinTodo(db_url)


class Databases:
    """More fresh databases at head, beside the test's own: SQLite files, PostgreSQL databases."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.request = request
        self.tmp_path = tmp_path
        self.made: list[str] = []
        self.isolated_made: list[Iterator[str]] = []

    def sqlite(self) -> str:
        template: Path = self.request.getfixturevalue("sqlite_template")
        path = self.tmp_path / f"other-{uuid4().hex[:8]}.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    def postgresql(self) -> str:
        postgres: PostgresHandle = self.request.getfixturevalue("postgres")
        template: str = self.request.getfixturevalue("pg_template")
        name = f"ix_{os.getpid()}_{uuid4().hex[:10]}"
        url = postgres.create(name, template=template)
        self.made.append(name)
        return url

    def isolated(self) -> str:
        """A database that keeps its members apart, as the suite's `postgresql-rls` backend."""
        postgres: PostgresHandle = self.request.getfixturevalue("postgres")
        made = conftest._isolated_database(postgres, self.request.getfixturevalue("rls_template"))
        self.isolated_made.append(made)
        return next(made)  # alice's URL; the members' URLs are known to Todo

    def on(self, backend: str) -> BerlinTodo:
        if backend == "sqlite":
            return BerlinTodo(self.sqlite())
        return BerlinTodo(self.isolated() if backend == RLS else self.postgresql())

    def drop(self) -> None:
        for made in self.isolated_made:
            for _ in made:  # runs the rest: forgets the URLs, drops the database
                pass
        if self.made:
            postgres: PostgresHandle = self.request.getfixturevalue("postgres")
            for name in self.made:
                postgres.drop(name)


@pytest.fixture
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    made = Databases(request, tmp_path)
    yield made
    made.drop()


# --- helpers ------------------------------------------------------------------------------


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def tasks(todo: Todo) -> list[dict[str, Any]]:
    """Every task, by number; without urgency, which moves with the clock (age)."""
    found: list[dict[str, Any]] = ok(todo("list", "--all", "--json", "--sort", "number")).json()
    for task in found:
        task.pop("urgency")
    return found


def titled(found: list[dict[str, Any]], title: str, *, completed: bool = False) -> dict[str, Any]:
    matches = [t for t in found if t["title"] == title and t["completed"] == completed]
    assert len(matches) == 1, f"{len(matches)} {'done' if completed else 'open'} tasks {title!r}"
    return matches[0]


def count(url: str, table: str) -> int:
    return int(sql_rows(url, f"SELECT count(*) FROM {table}")[0][0])


def nothing_written(todo: Todo) -> bool:
    return count(todo.url, "tasks") == 0 and count(todo.url, "operations") == 0


def changes_recorded(todo: Todo) -> tuple[int, int]:
    """The operations `todo history` shows, and the row changes the journal holds."""
    return len(ok(todo("history", "--json")).json()), count(todo.url, "journal")


def import_json(todo: Todo, source: str | Path, *extra: str, input: str | None = None) -> Any:
    """`todo import SOURCE --json`, which must succeed: its summary object."""
    return ok(todo("import", str(source), "--json", *extra, input=input)).json()


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def export_bytes(todo: Todo, tmp_path: Path, *args: str) -> bytes:
    """`todo export --all ARGS -o FILE`, as the bytes it wrote."""
    path = tmp_path / f"export-{uuid4().hex[:8]}.out"
    ok(todo("export", "--all", *args, "-o", str(path)))
    return path.read_bytes()


def own(**fields: Any) -> dict[str, Any]:
    """A task in our own JSON with the required keys only (the rest are null or empty)."""
    base: dict[str, Any] = {
        "id": str(uuid4()),
        "title": "Something",
        "completed": False,
        "created_at": "2026-11-20T08:00:00.000000Z",
        "updated_at": "2026-11-20T08:00:00.000000Z",
    }
    return base | fields


def tw(**fields: Any) -> dict[str, Any]:
    """A Taskwarrior task with the keys `task import` requires."""
    base: dict[str, Any] = {
        "uuid": str(uuid4()),
        "description": "Something",
        "status": "pending",
        "entry": "20261120T080000Z",
    }
    return base | fields


def fixture_objects() -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = json.loads((TASKWARRIOR / "export.json").read_text("utf-8"))
    return objects


def fixture_object(description: str, status: str) -> dict[str, Any]:
    found = [
        o for o in fixture_objects() if (o["description"], o["status"]) == (description, status)
    ]
    assert found, f"no {status} task {description!r} in the fixture"
    return found[0]


def tw_instant(text: str) -> str:
    """A Taskwarrior time (20261124T083000Z) as our JSON writes it."""
    return f"{text[0:4]}-{text[4:6]}-{text[6:8]}T{text[9:11]}:{text[11:13]}:{text[13:15]}.000000Z"


FILL = (
    "add 'Buy milk' +errand +shopping project:home.kitchen pri:H due:2026-11-24T09:30",
    "note 1 'organic, if they have it'",
    "note 1 'ask about the oat one'",
    "add 'Pay rent' pri:M --due 2026-12-01 --wait 2026-11-28 -d 'To the landlord,\nflat 3'",
    "add 'Weekly review' project:work pri:L due:2026-11-16T10:00 recur:weekly",
    "add 'Write report' +work dep:1",
    "add 'Plan café ☕ menu' +food recur:2w --due 2026-12-05",
    "add 'Old chore'",
    "done 6",
    "done 3",  # makes the series' next open task
)


def fill(todo: Todo) -> None:
    """Tasks using every field of the own format.

    Priority, a timed due and a whole-day due, wait, project, tags, notes, a
    description, a dependency, a recurring series with a done instance and its
    open successor, a completed task, non-ASCII text, and attributes (a
    Taskwarrior UDA, which only an import can bring).
    """
    for line in FILL:
        ok(todo(*shlex.split(line)))
    uda = tw(description="Estimate the garden", estimate=3, entry="20261121T100000Z")
    ok(todo("import", "-", input=json.dumps([uda])))


# --- own JSON: the lossless round trip ---------------------------------------------------------


def test_own_json_export_import_export_is_byte_identical(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    fill(todo)
    first = export_bytes(todo, tmp_path)
    other = databases.on(backend)
    ok(other("import", str(write(tmp_path, "backup.json", first))))
    assert export_bytes(other, tmp_path) == first


def test_the_round_trip_document_holds_every_field(todo: Todo, tmp_path: Path) -> None:
    fill(todo)
    document = json.loads(export_bytes(todo, tmp_path))
    assert len(document) == 8
    milk, rent, review = (titled(document, t) for t in ("Buy milk", "Pay rent", "Weekly review"))
    assert (milk["priority"], milk["project"], milk["tags"]) == (
        "H",
        "home.kitchen",
        ["errand", "shopping"],
    )
    assert milk["due"] == "2026-11-24T08:30:00.000000Z"
    assert [n["text"] for n in milk["notes"]] == [
        "organic, if they have it",
        "ask about the oat one",
    ]
    assert rent["due"] == "2026-12-01T22:59:59.999999Z"  # the whole day, Berlin time
    assert rent["wait"] == "2026-11-27T23:00:00.000000Z"
    assert rent["description"] == "To the landlord,\nflat 3"
    assert titled(document, "Write report")["depends"] == [milk["id"]]
    done_review = titled(document, "Weekly review", completed=True)
    assert done_review["series_id"] == review["series_id"] is not None
    assert (done_review["recur_index"], review["recur"]) == (0, "weekly")
    assert review["recur_index"] > 0
    assert titled(document, "Old chore", completed=True)["completed_at"] is not None
    assert titled(document, "Estimate the garden")["attributes"] == {"estimate": 3}


def test_own_json_survives_sqlite_to_postgresql_to_sqlite_byte_for_byte(
    databases: Databases, tmp_path: Path
) -> None:
    source = BerlinTodo(databases.sqlite())
    fill(source)
    from_sqlite = export_bytes(source, tmp_path)
    middle = BerlinTodo(databases.postgresql())
    ok(middle("import", str(write(tmp_path, "from-sqlite.json", from_sqlite))))
    from_postgresql = export_bytes(middle, tmp_path)
    assert from_postgresql == from_sqlite
    last = BerlinTodo(databases.sqlite())
    ok(last("import", str(write(tmp_path, "from-postgresql.json", from_postgresql))))
    assert export_bytes(last, tmp_path) == from_sqlite


def _export_the_usual_way(url: str, query_filter: Any = None) -> bytes:
    """The own-JSON export made from tasks read as every command reads them (as on PostgreSQL)."""
    from todo_cli.db.transaction import transaction
    from todo_cli.domain.filters import Filter
    from todo_cli.formats import owned
    from todo_cli.repository.tasks import TaskQuery, TaskRepository
    from todo_cli.services.interchange import record_of
    from todo_cli.settings import resolve

    query = TaskQuery(
        status="all", waiting="include", filter=query_filter or Filter(), sort="number"
    )
    with transaction(resolve(db=url, user="alice", environ={}), read_only=True) as conn:
        found = TaskRepository(conn, "alice", lean=True).find(query)
        return "".join(owned.write(record_of(task) for task in found)).encode()


def _written_by_the_database(url: str) -> list[str]:
    """How TaskRepository.exported gave each task: "database", or "task" (read the usual way)."""
    from todo_cli.db.transaction import transaction
    from todo_cli.repository.tasks import TaskQuery, TaskRepository
    from todo_cli.settings import resolve

    query = TaskQuery(status="all", waiting="include", sort="number")
    with transaction(resolve(db=url, user="alice", environ={}), read_only=True) as conn:
        exported = TaskRepository(conn, "alice", lean=True).exported(query)
        return ["database" if isinstance(item, tuple) else "task" for item in exported]


ODD_TITLE = 'Quotes " and \\ back\tslash, \u00e9, \U0001f600, \u2028 and \u007f'


def _fill_odd(todo: Todo) -> None:
    """fill(), and a task whose strings and lists put the writers' sorting and escaping to work."""
    fill(todo)
    odd = own(
        title=ODD_TITLE,
        description="line one\nline two\x01",
        tags=["Zebra", "apple", "Élan", "zeta"],
        notes=[
            {"created_at": "2026-11-20T08:00:00.000000Z", "text": "b second at the same time"},
            {"created_at": "2026-11-20T08:00:00.000000Z", "text": "a first at the same time"},
            {"created_at": "2026-11-19T08:00:00.000000Z", "text": "earliest\r\nwith CRLF"},
        ],
        attributes={"z": {"b": 1, "a": [1.5, "é", None]}, "a": 1e-07, "m": True},
    )
    ok(todo("import", "-", input=json.dumps([odd])))
    # Two dependencies, given in the order opposite to their ids'.
    others = [t for t in tasks(todo) if not t["completed"] and t["id"] != odd["id"]]
    ids = sorted((t["id"], t["number"]) for t in others)[:2]
    ok(todo("edit", odd["id"], f"dep:{ids[1][1]},{ids[0][1]}"))


def test_the_export_the_database_writes_is_the_export_made_from_the_tasks(
    todo: Todo, backend: str, tmp_path: Path
) -> None:
    _fill_odd(todo)
    assert _written_by_the_database(todo.url) == ["database"] * 9
    exported = export_bytes(todo, tmp_path)
    assert exported == _export_the_usual_way(todo.url)
    odd_task = titled(json.loads(exported), ODD_TITLE)
    assert odd_task["tags"] == ["Zebra", "apple", "zeta", "Élan"]
    assert [note["text"][0] for note in odd_task["notes"]] == ["e", "a", "b"]
    assert list(odd_task["attributes"]) == ["a", "m", "z"]
    assert len(odd_task["depends"]) == 2


def test_a_long_export_streamed_is_the_same_export(
    todo: Todo, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list longer than STREAM_THRESHOLD streams; on PostgreSQL it is asked for by
    another statement (each list of every task joined in, not a subquery a task)."""
    from todo_cli.domain.filters import Filter
    from todo_cli.repository import tasks as repository

    _fill_odd(todo)
    bob = todo.as_user("bob")
    ok(bob("add", "Bob's errand", "+errand", "+zzz"))
    ok(bob("note", "1", "not alice's"))
    short = export_bytes(todo, tmp_path)
    errands = export_bytes(todo, tmp_path, "+errand")
    monkeypatch.setattr(repository, "STREAM_THRESHOLD", 2)
    assert export_bytes(todo, tmp_path) == short
    assert export_bytes(todo, tmp_path, "+errand") == errands
    assert short == _export_the_usual_way(todo.url)
    assert errands == _export_the_usual_way(todo.url, Filter(with_tags=("errand",)))
    assert b"zzz" not in short
    assert b"not alice's" not in short


def test_a_row_written_outside_todo_in_other_forms_is_exported_as_todo_reads_it(
    databases: Databases, tmp_path: Path
) -> None:
    url = databases.sqlite()
    todo = BerlinTodo(url)
    _fill_odd(todo)
    # Written outside todo: an instant without microseconds, an id in capitals.
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE tasks SET created_at = '2026-11-20T10:00:00' WHERE title = 'Pay rent'")
        conn.execute("UPDATE tasks SET id = upper(id) WHERE title = 'Old chore'")
    assert sorted(_written_by_the_database(url)) == ["database"] * 7 + ["task"] * 2
    exported = export_bytes(todo, tmp_path)
    assert exported == _export_the_usual_way(url)
    document = json.loads(exported)
    assert titled(document, "Pay rent")["created_at"] == "2026-11-20T10:00:00.000000Z"
    assert titled(document, "Old chore", completed=True)["id"].islower()
    # A note's time with a space for the T (as SQLite's datetime() writes it).
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute(
            "UPDATE task_notes SET created_at = '2026-11-20 08:00:00.000000' "
            "WHERE text = 'organic, if they have it'"
        )
    assert sorted(_written_by_the_database(url)) == ["database"] * 6 + ["task"] * 3
    exported = export_bytes(todo, tmp_path)
    assert exported == _export_the_usual_way(url)
    milk = titled(json.loads(exported), "Buy milk")
    assert milk["notes"][0]["created_at"] == "2026-11-20T08:00:00.000000Z"


def test_a_filtered_export_written_by_the_database_is_the_same_filtered_export(
    todo: Todo, backend: str, tmp_path: Path
) -> None:
    from todo_cli.domain.filters import Filter

    url = todo.url
    fill(todo)
    wanted = Filter(with_tags=("errand",))
    assert export_bytes(todo, tmp_path, "+errand") == _export_the_usual_way(url, wanted)
    assert len(json.loads(export_bytes(todo, tmp_path, "+errand"))) == 1
    home = Filter(project="home")
    assert export_bytes(todo, tmp_path, "project:home") == _export_the_usual_way(url, home)


def test_numbers_are_kept_on_an_empty_database(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    fill(todo)
    other = databases.on(backend)
    summary = import_json(other, write(tmp_path, "backup.json", export_bytes(todo, tmp_path)))
    assert summary["renumbered"] == {}
    assert [(t["id"], t["number"]) for t in tasks(other)] == [
        (t["id"], t["number"]) for t in tasks(todo)
    ]


def test_a_task_added_after_an_import_gets_the_next_free_number(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    fill(todo)
    highest = max(t["number"] for t in tasks(todo))
    other = databases.on(backend)
    ok(other("import", str(write(tmp_path, "backup.json", export_bytes(todo, tmp_path)))))
    assert ok(other("add", "After the import", "--json")).json()["number"] == highest + 1


def test_numbers_taken_here_are_reassigned_and_reported(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    fill(todo)
    backup = write(tmp_path, "backup.json", export_bytes(todo, tmp_path))
    in_file = {t["id"]: t["number"] for t in json.loads(backup.read_text("utf-8"))}
    other = databases.on(backend)
    ok(other("add", "Mine already"))
    ok(other("add", "Mine too"))
    result = ok(other("import", str(backup)))
    assert "renumbered: #1 -> #" in result.stderr
    assert "#2 -> #" in result.stderr
    after = {t["id"]: t["number"] for t in tasks(other)}
    moved = {in_file[i]: after[i] for i in in_file if after[i] != in_file[i]}
    assert set(moved) == {1, 2}
    assert len(set(after.values())) == len(after)  # no number given twice


def _imported_where_number_one_is_taken(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> tuple[Todo, Path, Any]:
    """fill()'s tasks exported and imported into another database whose #1 ("Mine
    already") is taken: that database, the file and the import's summary."""
    fill(todo)
    backup = write(tmp_path, "backup.json", export_bytes(todo, tmp_path))
    other = databases.on(backend)
    ok(other("add", "Mine already"))
    return other, backup, import_json(other, backup)


def test_renumbering_is_in_the_json_summary_and_dependencies_follow_ids(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    other, _, summary = _imported_where_number_one_is_taken(todo, backend, databases, tmp_path)
    after = tasks(other)
    milk = titled(after, "Buy milk")
    assert summary["renumbered"] == {"1": milk["number"]}
    assert milk["number"] != 1
    assert titled(after, "Write report")["depends"] == [milk["id"]]
    assert titled(after, "Mine already")["number"] == 1


def test_a_deleted_tasks_number_is_not_given_to_an_imported_task(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    # Numbers are never reused, even after a delete: #1 was handed out here once.
    ok(todo("add", "First"))
    ok(todo("add", "Second"))
    ok(todo("delete", "1", "--yes"))
    other = databases.on(backend)
    ok(other("add", "From elsewhere"))  # #1 there
    backup = write(tmp_path, "elsewhere.json", export_bytes(other, tmp_path))
    never_given = write(tmp_path, "seven.json", json.dumps([own(title="Seventh", number=7)]))
    assert "renumbered: #1 -> #3" in ok(todo("import", str(backup), "--dry-run")).stderr
    assert import_json(todo, backup)["renumbered"] == {"1": 3}
    assert import_json(todo, never_given)["renumbered"] == {}  # above every number given
    assert [(t["title"], t["number"]) for t in tasks(todo)] == [
        ("Second", 2),
        ("From elsewhere", 3),
        ("Seventh", 7),
    ]
    assert ok(todo("add", "Next", "--json")).json()["number"] == 8


def test_a_task_deleted_here_that_a_backup_brings_back_is_said_to_come_back(
    todo: Todo, tmp_path: Path
) -> None:
    # Restoring an older backup restores what was deleted since: with its own number,
    # and said so, as a change here that the file's copy undoes.
    ok(todo("add", "Old task"))
    ok(todo("add", "Kept"))
    backup = write(tmp_path, "backup.json", export_bytes(todo, tmp_path))
    ok(todo("delete", "1", "--yes"))
    summary = import_json(todo, backup)
    assert (summary["added"], summary["unchanged"]) == (1, 1)
    assert summary["notices"] == ["1 task(s) deleted here came back from the file: #1"]
    assert [(t["title"], t["number"]) for t in tasks(todo)] == [("Old task", 1), ("Kept", 2)]
    # Not said of a task that was never here.
    fresh = import_json(todo, write(tmp_path, "new.json", json.dumps([own(number=5)])))
    assert (fresh["added"], fresh["notices"]) == (1, [])


def test_a_task_a_backup_brings_back_is_waited_on_again_as_before_its_delete(
    todo: Todo, tmp_path: Path
) -> None:
    # Deleting A took B's dependency on it; the backup has both. Restored, B waited on
    # nothing and was counted unchanged: undo of the delete would have linked it.
    ok(todo("add", "A"))
    ok(todo("add", "B", "dep:1"))
    ok(todo("add", "C"))
    backup = write(tmp_path, "backup.json", export_bytes(todo, tmp_path))
    ok(todo("delete", "1", "--yes"))
    summary = import_json(todo, backup)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (1, 1, 1)
    assert summary["notices"] == ["1 task(s) deleted here came back from the file: #1"]
    restored = {t["title"]: t for t in tasks(todo)}
    assert restored["B"]["depends"] == [restored["A"]["id"]]
    again = import_json(todo, backup)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 3)
    ok(todo("undo"))  # the restore, links and all
    assert [t["title"] for t in tasks(todo)] == ["B", "C"]
    assert count(todo.url, "task_dependencies") == 0


@pytest.mark.parametrize("fmt", ["taskwarrior", "todotxt"])
def test_a_task_deleted_here_after_a_synced_file_last_changed_stays_deleted(
    todo: Todo, tmp_path: Path, fmt: str
) -> None:
    """Taskwarrior and todo.txt cannot say a task was deleted here: their copy of it,
    unchanged since, would bring it back on every sync. The delete is the later
    change: it stands, said so; a task of the file waiting on it does not."""
    ok(todo("add", "One"))
    ok(todo("add", "Two", "dep:1"))
    exported = ok(todo("export", "--format", fmt)).stdout
    source = write(tmp_path, "todo.txt" if fmt == "todotxt" else "tasks.json", exported)
    os.utime(source, (time.time() - 60, time.time() - 60))  # written before the delete
    ok(todo("delete", "1", "--yes"))
    for args in (("--dry-run",), ()):
        summary = import_json(todo, source, *args)
        assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 2)
        assert (
            "1 task(s) deleted here after the file's copy last changed, left deleted: #1"
            in (summary["notices"])
        )
    assert [(t["title"], t["number"], t["depends"]) for t in tasks(todo)] == [("Two", 2, [])]


@pytest.mark.parametrize("fmt", ["taskwarrior", "todotxt"])
def test_an_import_undone_is_taken_again_from_the_same_file(
    todo: Todo, tmp_path: Path, fmt: str
) -> None:
    """Undoing an import takes back the making of its tasks: they were never deleted
    here. It read as a delete after the file's copy: the same file imported again was
    "2 unchanged" and brought nothing back. A delete made after that still stands."""
    if fmt == "todotxt":
        source = write(tmp_path, "todo.txt", "2026-11-20 One\n2026-11-20 Two +tagged\n")
    else:
        source = write(
            tmp_path,
            "tasks.json",
            f"[{_tw('01', 'One')},\n{_tw('02', 'Two')}]\n",
        )
    os.utime(source, (time.time() - 60, time.time() - 60))
    assert import_json(todo, source)["added"] == 2
    ok(todo("undo"))
    assert tasks(todo) == []
    again = import_json(todo, source)
    assert (again["added"], again["unchanged"], again["notices"]) == (2, 0, [])
    assert [(t["title"], t["number"]) for t in tasks(todo)] == [("One", 1), ("Two", 2)]
    ok(todo("delete", "1", "--yes"))
    after = import_json(todo, source)
    assert (after["added"], after["unchanged"]) == (0, 2)
    assert [t["title"] for t in tasks(todo)] == ["Two"]


def test_an_undone_import_puts_back_the_delete_made_before_it(todo: Todo, tmp_path: Path) -> None:
    # The undo of an import that had brought a deleted task back read as the task's
    # last delete being no delete: an older file then brought it back.
    ok(todo("add", "Buy milk"))
    ok(todo("add", "Other"))
    old = write(tmp_path, "todo.txt", ok(todo("export", "--format", "todotxt")).stdout)
    os.utime(old, (time.time() - 600, time.time() - 600))
    ok(todo("delete", "1", "--yes"))
    newer = write(tmp_path, "newer.txt", old.read_text().replace("Buy milk", "Buy oat milk"))
    assert import_json(todo, newer)["added"] == 1
    ok(todo("undo"))
    summary = import_json(todo, old)
    assert summary["added"] == 0
    assert "left deleted: #1" in "\n".join(summary["notices"])
    assert [t["title"] for t in tasks(todo)] == ["Other"]


@pytest.mark.parametrize("fmt", ["taskwarrior", "todotxt"])
@pytest.mark.parametrize("undone", ["add", "done"])
def test_an_undone_add_or_done_is_a_change_here_the_older_file_does_not_undo(
    todo: Todo, tmp_path: Path, fmt: str, undone: str
) -> None:
    """Only an undone import is no delete: an undone add, or the next task an undone
    `done` made, was made and taken back here, after the file's copy was written. It
    stays deleted (the series keeps one open task)."""
    ok(todo("add", "Water", "due:2030-12-02", "recur:weekly"))
    if undone == "done":
        ok(todo("done", "1"))
    else:
        ok(todo("add", "Typo"))
    exported = ok(todo("export", "--all", "--format", fmt)).stdout
    source = write(tmp_path, "todo.txt" if fmt == "todotxt" else "tasks.json", exported)
    os.utime(source, (time.time() - 60, time.time() - 60))  # written before the undo
    ok(todo("undo"))
    summary = import_json(todo, source)
    assert summary["added"] == 0
    # (Taskwarrior's file holds the series' template too: its next task is left
    # out as a second open one before the delete is asked about.)
    said = "\n".join(summary["notices"])
    assert "left deleted: #2" in said or (fmt, undone) == ("taskwarrior", "done"), said
    assert [(t["number"], t["completed"]) for t in tasks(todo)] == [(1, False)]


@pytest.mark.parametrize("fmt", ["taskwarrior", "todotxt"])
def test_a_task_deleted_here_that_a_file_without_numbers_brings_back_keeps_its_number(
    todo: Todo, tmp_path: Path, fmt: str
) -> None:
    # Taskwarrior and todo.txt carry no numbers: the task is known by its id, and takes
    # its own number back, said so, as from our own JSON. It comes back when changed
    # there after the delete (edited in Taskwarrior, the todo.txt file written since).
    for title in ("One", "Waiting task", "Three"):
        ok(todo("add", title))
    exported = ok(todo("export", "--format", fmt)).stdout
    ok(todo("add", "Four"))
    ok(todo("delete", "2", "--yes"))
    if fmt == "taskwarrior":
        later = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y%m%dT%H%M%SZ")
        objects = json.loads(exported)
        objects[1]["modified"] = later
        exported = json.dumps(objects)
    source = write(tmp_path, "todo.txt" if fmt == "todotxt" else "tasks.json", exported)
    summary = import_json(todo, source)
    assert (summary["added"], summary["unchanged"], summary["renumbered"]) == (1, 2, {})
    assert summary["notices"][-1] == "1 task(s) deleted here came back from the file: #2"
    assert [(t["title"], t["number"]) for t in tasks(todo)] == [
        ("One", 1),
        ("Waiting task", 2),
        ("Three", 3),
        ("Four", 4),
    ]


def test_a_number_an_earlier_import_left_free_is_kept_below_the_counter(
    todo: Todo, tmp_path: Path
) -> None:
    first, second = own(title="One", number=1), own(title="Two", number=2)
    ok(todo("import", str(write(tmp_path, "two.json", json.dumps([second])))))
    # #1 was never handed out here (#2 came first): One keeps it.
    summary = import_json(todo, write(tmp_path, "one.json", json.dumps([first])))
    assert summary["renumbered"] == {}
    assert [(t["title"], t["number"]) for t in tasks(todo)] == [("One", 1), ("Two", 2)]


def test_a_deleted_tasks_number_is_not_given_to_another_after_the_journal_is_pruned(
    todo: Todo, tmp_path: Path
) -> None:
    # Which numbers deleted tasks held, the import learnt from the journal: pruned, it
    # gave #1, held by a task deleted before, to a new task of a file.
    ok(todo("add", "One"))
    ok(todo("add", "Two"))
    ok(todo("delete", "1", "--yes"))
    assert ok(todo("history", "--prune-before", "tomorrow", "--yes")).stderr.startswith(
        "pruned 3 operations"
    )
    assert todo("history", "--json").json() == []
    summary = import_json(todo, write(tmp_path, "new.json", json.dumps([own(number=1)])))
    assert summary["renumbered"] == {"1": 3}
    assert [t["number"] for t in tasks(todo)] == [2, 3]
    # Above the counter, a file's numbers are kept as ever.
    summary = import_json(todo, write(tmp_path, "high.json", json.dumps([own(number=9)])))
    assert summary["renumbered"] == {}


def test_a_number_too_high_to_leave_room_for_new_tasks_is_not_kept(
    todo: Todo, tmp_path: Path
) -> None:
    """#2,147,483,647 kept from a file left the user no number for good: every later
    `todo add` failed, and neither undo nor delete gave numbers back."""
    ok(todo("add", "Mine"))
    top = own(title="Top", number=2**31 - 1)
    highest_kept = own(title="Highest kept", number=2**30 - 1)
    path = write(tmp_path, "top.json", json.dumps([top, highest_kept]))
    result = ok(todo("import", str(path)))
    assert result.stderr.splitlines()[1:] == [
        "  numbers taken here or too high, so renumbered: #2147483647 -> #1073741824",
        "  note: 1 task(s) numbered above #1,073,741,823 in the file were given new "
        "numbers: numbers are handed out above the largest one held, and one that high "
        "would leave too few for new tasks",
    ]
    assert {t["title"]: t["number"] for t in tasks(todo)} == {
        "Mine": 1,
        "Top": 2**30,
        "Highest kept": 2**30 - 1,
    }
    added = ok(todo("add", "Still numbered"))
    assert added.stderr == f"added #{2**30 + 1}: Still numbered\n"


def test_a_number_too_high_that_is_the_next_free_one_is_no_renumbering(
    todo: Todo, tmp_path: Path
) -> None:
    # "#1073741824 -> #1073741824": said renumbered, and a note of a new number.
    tasks_ = [own(title="Kept", number=2**30 - 1), own(title="Over", number=2**30)]
    result = ok(todo("import", str(write(tmp_path, "n.json", json.dumps(tasks_))), "--json"))
    assert result.json()["renumbered_ids"] == {}
    assert result.json()["notices"] == []
    assert {t["title"]: t["number"] for t in tasks(todo)} == {"Kept": 2**30 - 1, "Over": 2**30}


def test_tasks_of_one_file_sharing_a_number_are_each_reported_by_id(
    todo: Todo, tmp_path: Path
) -> None:
    # Two exports joined into one file: both hold a #1 and a #2.
    laptop = [own(title="Laptop one", number=1), own(title="Laptop two", number=2)]
    desk = [own(title="Desk one", number=1), own(title="Desk two", number=2)]
    ok(todo("add", "Mine"))  # #1 here
    joined = write(tmp_path, "joined.json", json.dumps(laptop + desk))
    result = ok(todo("import", str(joined), "--dry-run"))
    by_title = {t["title"]: t for t in laptop + desk}
    short = {title: task["id"].replace("-", "")[:8] for title, task in by_title.items()}
    assert result.stderr.splitlines()[1] == (
        "  numbers taken here, so renumbered: "
        f"#1 -> #3 ({short['Laptop one']}), #1 -> #4 ({short['Desk one']}), "
        f"#2 -> #5 ({short['Desk two']})"
    )
    summary = import_json(todo, joined)
    # Number for number, which task went where is ambiguous: only by id.
    assert summary["renumbered"] == {}
    assert summary["renumbered_ids"] == {
        by_title["Laptop one"]["id"]: 3,
        by_title["Desk one"]["id"]: 4,
        by_title["Desk two"]["id"]: 5,
    }
    assert {t["title"]: t["number"] for t in tasks(todo)} == {
        "Mine": 1,
        "Laptop one": 3,
        "Laptop two": 2,
        "Desk one": 4,
        "Desk two": 5,
    }


def test_a_number_held_once_in_the_file_is_reported_by_number_and_by_id(
    todo: Todo, tmp_path: Path
) -> None:
    ok(todo("add", "Mine"))  # #1 here
    moved = own(title="Moved", number=1)
    summary = import_json(todo, write(tmp_path, "one.json", json.dumps([moved])))
    assert summary["renumbered"] == {"1": 2}
    assert summary["renumbered_ids"] == {moved["id"]: 2}


@pytest.mark.parametrize(
    ("field", "value"),
    [("number", 10**30), ("number", 2**31), ("recur_index", 10**30), ("recur_index", 2**31)],
    ids=["huge-number", "number-past-32-bits", "huge-recur-index", "recur-index-past-32-bits"],
)
def test_a_number_larger_than_the_database_holds_is_refused_naming_the_task_and_field(
    todo: Todo, tmp_path: Path, field: str, value: int
) -> None:
    # Both backends' INTEGER: PostgreSQL's is 32 bits, and SQLite's refused 10**30 (exit 70).
    recurring = {"recur": "weekly", "due": "2026-12-07T09:00:00.000000Z", "recur_index": 0}
    data = json.dumps([own(title="Too far", **recurring) | {field: value}, own(title="Fine")])
    result = todo("import", str(write(tmp_path, "tasks.json", data)))
    assert result.exit_code == 2, result.stderr
    assert f"task 1: {field}: is larger than 2147483647" in result.stderr
    assert "nothing imported" in result.stderr
    assert nothing_written(todo)


def test_the_largest_number_the_database_holds_is_kept_and_none_is_made_past_it(
    todo: Todo, tmp_path: Path
) -> None:
    from tests.test_journal import execute

    largest = 2**31 - 1
    ok(todo("add", "The first"))
    # Numbers handed out to the last (an import no longer keeps one so high: the
    # counter is moved as only SQL can, a user raising their own).
    execute(todo.url, f"UPDATE users SET task_counter = {largest - 1}")
    last = own(title="The last number", number=None)
    assert import_json(todo, write(tmp_path, "last.json", json.dumps([last])))["added"] == 1
    assert [t["number"] for t in tasks(todo)] == [1, largest]
    # Its number is taken: another task wanting it needs a new one, and none is left.
    other = own(title="Wants it too", number=largest)
    result = todo("import", str(write(tmp_path, "other.json", json.dumps([other]))))
    assert result.exit_code == 2, result.stderr
    assert "1 new task(s) need a number, and 0 are left above #2147483647" in result.stderr
    assert [t["title"] for t in tasks(todo)] == ["The first", "The last number"]


def test_a_dependency_left_out_with_its_task_is_linked_by_the_full_file_later(
    todo: Todo, tmp_path: Path
) -> None:
    one, two = own(title="One", number=1), own(title="Two", number=2)
    three = own(title="Three", number=3, depends=[one["id"], two["id"]])
    broken = write(tmp_path, "broken.json", json.dumps([one | {"tags": ["bad tag"]}, two, three]))
    full = write(tmp_path, "full.json", json.dumps([one, two, three]))
    assert import_json(todo, broken, "--skip-invalid")["added"] == 2
    summary = import_json(todo, full)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (1, 1, 1)
    assert sorted(titled(tasks(todo), "Three")["depends"]) == sorted([one["id"], two["id"]])
    again = import_json(todo, full)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 3)
    # A dependency removed here afterwards stays removed: the task is newer than the file.
    ok(todo("edit", "3", "dep:-1"))
    import_json(todo, full)
    assert titled(tasks(todo), "Three")["depends"] == [two["id"]]


def test_a_dependency_added_by_hand_on_a_task_not_there_is_said_left_out(
    todo: Todo, tmp_path: Path
) -> None:
    """A backup edited by hand so that a task depends on a uuid neither in the file nor
    here (mistyped): counted unchanged, no note, the dependency dropped in silence."""
    ok(todo("add", "Buy paint"))
    ok(todo("add", "Paint wall"))
    backup = json.loads(ok(todo("export", "--all")).stdout)
    nowhere = "00000000-0000-4000-8000-000000000001"
    backup[1]["depends"] = [nowhere]
    summary = import_json(todo, write(tmp_path, "edited.json", json.dumps(backup)))
    assert (summary["updated"], summary["unchanged"]) == (0, 2)
    assert summary["notices"] == [
        f"{backup[1]['id']}: depends on {nowhere}, which is not in the file nor one of "
        "your tasks: left out"
    ]
    assert titled(tasks(todo), "Paint wall")["depends"] == []


def test_two_open_tasks_of_one_series_in_a_file_import_the_first_and_leave_out_the_second(
    todo: Todo, tmp_path: Path
) -> None:
    series = str(uuid4())
    recurring = {"recur": "weekly", "series_id": series, "due": "2026-12-07T09:00:00.000000Z"}
    first = own(title="Water plants", number=1, **recurring)
    second = own(title="Water plants again", number=2, **recurring)
    path = write(tmp_path, "tasks.json", json.dumps([first, own(title="Other"), second]))
    for extra in ("--dry-run", "--skip-invalid"):
        summary = import_json(todo, path, extra)
        assert (summary["added"], summary["skipped"]) == (
            2,
            {"a_second_open_task_of_a_recurring_series": 1},
        )
        assert summary["notices"] == [
            f"task 3 ({second['id']}): its series already has open #1; left out"
        ]
    # --skip-invalid imported it: once more, and the file's first is the open one here.
    result = ok(todo("import", str(path)))
    assert "0 added, 0 updated, 2 unchanged, 1 skipped" in result.stderr
    assert [t["title"] for t in tasks(todo) if t["series_id"] == series] == ["Water plants"]


# --- matching by id ----------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    fill(todo)
    backup = write(tmp_path, "backup.json", export_bytes(todo, tmp_path))
    other = databases.on(backend)
    first = import_json(other, backup)
    before, recorded = tasks(other), changes_recorded(other)
    second = import_json(other, backup)
    assert (first["added"], first["unchanged"]) == (8, 0)
    assert (second["added"], second["updated"], second["unchanged"]) == (0, 0, 8)
    assert tasks(other) == before
    assert changes_recorded(other) == recorded


def test_an_import_that_changes_nothing_records_no_operation(todo: Todo, tmp_path: Path) -> None:
    backup = write(tmp_path, "tasks.json", json.dumps([own(), own()]))
    import_json(todo, backup)
    operations = count(todo.url, "operations")
    import_json(todo, backup)
    assert count(todo.url, "operations") == operations


def test_importing_our_own_export_back_changes_nothing(todo: Todo, tmp_path: Path) -> None:
    fill(todo)
    before, recorded = tasks(todo), changes_recorded(todo)
    backup = write(tmp_path, "backup.json", export_bytes(todo, tmp_path))
    summary = import_json(todo, backup)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 8)
    assert tasks(todo) == before
    assert changes_recorded(todo) == recorded


def _changed_milk(todo: Todo, tmp_path: Path, updated_at: str) -> Path:
    """Buy milk as exported, changed in the file: title, tags, notes and updated_at."""
    document = json.loads(export_bytes(todo, tmp_path))
    milk = titled(document, "Buy milk")
    changed = milk | {
        "title": "Buy oat milk",
        "tags": ["errand", "oat"],
        "notes": [*milk["notes"], {"created_at": "2098-12-31T09:00:00.000000Z", "text": "2 l"}],
        "updated_at": updated_at,
    }
    return write(tmp_path, "changed.json", json.dumps([changed]))


def test_a_newer_task_in_the_file_updates_ours(todo: Todo, tmp_path: Path) -> None:
    fill(todo)
    changed = _changed_milk(todo, tmp_path, "2099-01-01T00:00:00.000000Z")
    summary = import_json(todo, changed)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 1, 0)
    milk = titled(tasks(todo), "Buy oat milk")
    assert milk["tags"] == ["errand", "oat"]
    assert [n["text"] for n in milk["notes"]] == [
        "organic, if they have it",
        "ask about the oat one",
        "2 l",
    ]
    assert milk["updated_at"] == "2099-01-01T00:00:00.000000Z"


def test_an_update_from_a_file_is_one_operation_that_undo_takes_back(
    todo: Todo, tmp_path: Path
) -> None:
    fill(todo)
    before = export_bytes(todo, tmp_path)
    shown = len(ok(todo("history", "--json")).json())
    changed = _changed_milk(todo, tmp_path, "2099-01-01T00:00:00.000000Z")
    ok(todo("import", str(changed)))
    assert len(ok(todo("history", "--json")).json()) == shown + 1
    ok(todo("undo"))
    after = export_bytes(todo, tmp_path)

    def untimed(document: bytes) -> list[dict[str, Any]]:
        return [{k: v for k, v in t.items() if k != "updated_at"} for t in json.loads(document)]

    # Every task as it was; the one the undo set back changed now (an undo is a
    # change: its time moves on from the one it had, the file's 2099, which this
    # clock is behind: just after it, or the file imported again took the change back).
    assert untimed(after) == untimed(before)
    old, new = (titled(json.loads(x), "Buy milk")["updated_at"] for x in (before, after))
    assert old < new == "2099-01-01T00:00:00.000001Z"
    assert import_json(todo, changed)["updated"] == 0
    others = [t for t in json.loads(after) if t["title"] != "Buy milk"]
    assert others == [t for t in json.loads(before) if t["title"] != "Buy milk"]


def last_operation_rows(url: str) -> dict[tuple[str, str], int]:
    """The journal rows of the last operation: (table, action) -> how many."""
    rows = sql_rows(
        url,
        "SELECT table_name, action, count(*) FROM journal WHERE operation_id = "
        "(SELECT operation_id FROM journal ORDER BY id DESC LIMIT 1) GROUP BY 1, 2",
    )
    return {(str(table), str(action)): int(n) for table, action, n in rows}


def test_an_update_writes_only_what_changed_in_tags_and_notes(todo: Todo, tmp_path: Path) -> None:
    fill(todo)
    changed = _changed_milk(todo, tmp_path, "2099-01-01T00:00:00.000000Z")
    ok(todo("import", str(changed)))
    # +shopping -> +oat, a third note: the two notes it had and +errand stay as they are.
    assert last_operation_rows(todo.url) == {
        ("tasks", "update"): 1,
        ("task_tags", "delete"): 1,
        ("task_tags", "insert"): 1,
        ("task_notes", "insert"): 1,
    }
    shown = ok(todo("history", "1")).stdout.split("todo import ")[-1].splitlines()[1:]
    assert [line.strip() for line in shown] == [
        "title: Buy milk -> Buy oat milk",
        "-shopping",
        "+oat",
        "note added: 2 l",
    ]
    milk = titled(tasks(todo), "Buy oat milk")
    assert (milk["tags"], len(milk["notes"])) == (["errand", "oat"], 3)


def test_an_update_keeps_the_dependencies_it_still_has(todo: Todo, tmp_path: Path) -> None:
    fill(todo)
    document = json.loads(export_bytes(todo, tmp_path))
    report = titled(document, "Write report")
    assert len(report["depends"]) == 1
    edited = report | {"title": "Write the report", "updated_at": "2099-01-01T00:00:00.000000Z"}
    ok(todo("import", str(write(tmp_path, "edited.json", json.dumps([edited])))))
    assert last_operation_rows(todo.url) == {("tasks", "update"): 1}
    assert titled(tasks(todo), "Write the report")["depends"] == report["depends"]
    # Given none in the file, it has none: the one it had is the change.
    cleared = edited | {"depends": [], "updated_at": "2099-01-02T00:00:00.000000Z"}
    ok(todo("import", str(write(tmp_path, "cleared.json", json.dumps([cleared])))))
    assert last_operation_rows(todo.url) == {
        ("tasks", "update"): 1,
        ("task_dependencies", "delete"): 1,
    }
    assert titled(tasks(todo), "Write the report")["depends"] == []


def test_an_import_updating_many_tasks_writes_each_its_own_changes(
    todo: Todo, tmp_path: Path
) -> None:
    # Each kind of write goes to the database once for all the tasks updated:
    # each task must still get its own tags, notes and dependencies, no other's.
    for n in range(1, 7):
        ok(todo("add", f"Task {n}", "+a", f"+only{n}"))
        ok(todo("note", str(n), f"note of {n}"))
    ok(todo("edit", "2", "dep:1"))
    ok(todo("edit", "4", "dep:3"))
    before = export_bytes(todo, tmp_path)
    document = json.loads(before)
    later = "2099-01-01T00:00:00.000000Z"
    by_title = {task["title"]: task for task in document}
    first, second, third, fourth = (by_title[f"Task {n}"] for n in (1, 2, 3, 4))
    note_of_three = third["notes"][0]
    changed = [
        first | {"tags": ["b", "only1"], "updated_at": later},
        second | {"depends": [], "title": "Task two", "updated_at": later},
        third | {"notes": [{**note_of_three, "text": "third's new note"}], "updated_at": later},
        fourth | {"tags": [], "notes": [], "updated_at": later},
    ]
    summary = import_json(todo, write(tmp_path, "changed.json", json.dumps(changed)))
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 4, 0)
    assert last_operation_rows(todo.url) == {
        ("tasks", "update"): 4,
        ("task_tags", "delete"): 1 + 2,
        ("task_tags", "insert"): 1,
        ("task_notes", "delete"): 2,
        ("task_notes", "insert"): 1,
        ("task_dependencies", "delete"): 1,
    }
    now = {task["number"]: task for task in tasks(todo)}
    assert [now[n]["tags"] for n in range(1, 7)] == [
        ["b", "only1"],
        ["a", "only2"],
        ["a", "only3"],
        [],
        ["a", "only5"],
        ["a", "only6"],
    ]
    assert [[note["text"] for note in now[n]["notes"]] for n in range(1, 7)] == [
        ["note of 1"],
        ["note of 2"],
        ["third's new note"],
        [],
        ["note of 5"],
        ["note of 6"],
    ]
    assert [now[n]["title"] for n in (1, 2)] == ["Task 1", "Task two"]
    assert [len(now[n]["depends"]) for n in range(1, 7)] == [0, 0, 0, 1, 0, 0]
    # One operation: one undo puts back every task as it was.
    ok(todo("undo"))

    def untimed(exported: bytes) -> list[dict[str, Any]]:
        return [{k: v for k, v in t.items() if k != "updated_at"} for t in json.loads(exported)]

    assert untimed(export_bytes(todo, tmp_path)) == untimed(before)


def test_an_update_reads_the_tasks_it_updates_by_their_ids_not_all_the_users(
    todo: Todo, backend: str, tmp_path: Path
) -> None:
    # Read by the owner's (user_id, number) index, every thousand ids walked all
    # the user's tasks: 4.7 s of an import updating 100,000 tasks.
    from contextlib import closing

    from tests.test_organize_process import _debug_statement_of

    if backend != "sqlite":
        not_applicable("PostgreSQL plans by its statistics: the ids' index either way")
    ok(todo("add", input="".join(f"Task {n}\n" for n in range(1, 301))))
    document = json.loads(export_bytes(todo, tmp_path, "--format", "taskwarrior"))
    changed = [
        task | {"description": "Changed", "modified": "20990101T000000Z"} for task in document[:3]
    ]
    proc = todo.process("--debug", "import", str(write(tmp_path, "c.json", json.dumps(changed))))
    assert proc.returncode == 0, proc.stderr
    assert b"0 added, 3 updated" in proc.stderr
    sql, parameters = _debug_statement_of(
        proc.stderr.decode(), "SELECT tasks.id", "tasks.id IN", "ORDER BY tasks.number"
    )
    with closing(sqlite3.connect(todo.url.removeprefix("sqlite:///"))) as conn:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, parameters)]
    assert plan[0] == "SEARCH tasks USING INDEX sqlite_autoindex_tasks_1 (id=?)", plan


def test_what_an_import_makes_of_a_hand_edited_task_is_said(todo: Todo, tmp_path: Path) -> None:
    reopened = own(title="Reopened by hand", completed_at="2026-11-21T08:00:00.000000Z")
    early = own(title="Changed before made", updated_at="2026-11-19T08:00:00.000000Z")
    summary = import_json(todo, write(tmp_path, "edited.json", json.dumps([reopened, early])))
    assert (summary["added"], summary["problems"]) == (2, [])
    assert summary["notices"] == [
        "task 1: completed_at of a task not completed: left out",
        "task 2: updated_at is before created_at: taken as created_at",
    ]
    first, second = tasks(todo)
    assert (first["completed"], first["completed_at"]) == (False, None)
    assert second["updated_at"] == second["created_at"] == "2026-11-20T08:00:00.000000Z"


def test_an_older_task_in_the_file_is_left_alone(todo: Todo, tmp_path: Path) -> None:
    fill(todo)
    before, recorded = tasks(todo), changes_recorded(todo)
    changed = _changed_milk(todo, tmp_path, "2001-01-01T00:00:00.000000Z")
    summary = import_json(todo, changed)
    assert (summary["updated"], summary["unchanged"]) == (0, 1)
    assert tasks(todo) == before
    assert changes_recorded(todo) == recorded


@pytest.fixture(params=["field by field", "as exported"])
def compared(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How an import of our own JSON tells a task of the file from ours: field by field,
    or (past a few thousand tasks) by the object our export writes for ours."""
    if request.param == "as exported":
        monkeypatch.setattr("todo_cli.services.interchange._BY_TEXT", 0)
    return str(request.param)


@pytest.mark.usefixtures("compared")
def test_a_task_edited_in_the_file_with_its_updated_at_as_it_was_is_taken(
    todo: Todo, tmp_path: Path
) -> None:
    # Exported, edited by hand (updated_at left alone), imported: ours has not changed
    # since that time, so the file's copy is the later one, not "unchanged".
    fill(todo)
    original = write(tmp_path, "original.json", export_bytes(todo, tmp_path))
    old = titled(tasks(todo), "Buy milk")
    edited = _changed_milk(todo, tmp_path, old["updated_at"])
    summary = import_json(todo, edited)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 1, 0)
    assert summary["notices"] == [
        f"1 task(s) edited in the file without a new updated_at, taken: #{old['number']}"
    ]
    milk = titled(tasks(todo), "Buy oat milk")
    assert (milk["tags"], milk["number"]) == (["errand", "oat"], old["number"])
    # The import is the change: its time moves (SPEC), so that no copy of the old
    # time (the export from before, the other database of a sync) takes it back.
    assert milk["updated_at"] > old["updated_at"]
    # The same file again: nothing to take, nothing to say.
    again = import_json(todo, edited)
    assert (again["updated"], again["unchanged"], again["notices"]) == (0, 1, [])
    # The export from before the edit is older now: left alone, and said.
    before = import_json(todo, original)
    assert (before["updated"], before["unchanged"]) == (0, 8)
    assert before["notices"] == [
        f"1 task(s) left as they are: changed here since the file's copy of them: #{old['number']}"
    ]
    assert titled(tasks(todo), "Buy oat milk") == milk
    # One undo takes the edit back.
    ok(todo("undo"))
    assert titled(tasks(todo), "Buy milk") | {"updated_at": None} == old | {"updated_at": None}


def test_a_hand_edit_taken_survives_a_two_way_sync_of_two_databases(
    todo: Todo, tmp_path: Path
) -> None:
    # Taken at the file's time, the edit read as of the same moment as the other
    # database's copy: synced back and forth (other -> here, here -> other), it was
    # lost on both sides, every import exit 0.
    other = Todo(f"sqlite:///{tmp_path / 'other.db'}")
    ok(todo("add", "Buy milk", "+errand"))
    copy = write(tmp_path, "copy.json", export_bytes(todo, tmp_path))
    assert import_json(other, copy)["added"] == 1
    document = json.loads(copy.read_text(encoding="utf-8"))
    document[0]["title"] = "Buy oat milk"
    edited = write(tmp_path, "edited.json", json.dumps(document))
    assert import_json(todo, edited)["updated"] == 1
    back = import_json(todo, write(tmp_path, "other.json", export_bytes(other, tmp_path)))
    assert (back["updated"], back["unchanged"]) == (0, 1)
    there = import_json(other, write(tmp_path, "here.json", export_bytes(todo, tmp_path)))
    assert (there["updated"], there["unchanged"]) == (1, 0)
    for side in (todo, other):
        assert [t["title"] for t in tasks(side)] == ["Buy oat milk"]


def test_a_copy_whose_updated_at_is_before_its_creation_is_older_and_left_alone(
    todo: Todo, tmp_path: Path
) -> None:
    # Stored at its creation (a time of change cannot be before it), it read as of the
    # same moment as ours, and was taken over a task the file's copy is older than.
    ok(todo("add", "Buy milk"))
    document = json.loads(export_bytes(todo, tmp_path))
    document[0] |= {"title": "stale copy", "updated_at": "2020-01-01T00:00:00.000000Z"}
    before = tasks(todo)
    summary = import_json(todo, write(tmp_path, "stale.json", json.dumps(document)))
    assert (summary["updated"], summary["unchanged"]) == (0, 1)
    assert (
        "1 task(s) left as they are: changed here since the file's copy of them: #1"
        in (summary["notices"])
    )
    assert tasks(todo) == before


def test_notes_of_one_instant_in_any_order_are_the_same_task_at_the_next_import(
    todo: Todo, tmp_path: Path
) -> None:
    # Kept in the file's order, and given back by time then text, they read as a
    # change at every import of the same file: "1 updated" and an empty "edited #1".
    ok(todo("add", "Buy milk"))
    ok(todo("note", "1", "first"))
    document = json.loads(export_bytes(todo, tmp_path))
    (note,) = document[0]["notes"]
    document[0]["notes"].append({"created_at": note["created_at"], "text": "another"})
    path = write(tmp_path, "notes.json", json.dumps(document))
    assert import_json(todo, path)["updated"] == 1
    recorded = changes_recorded(todo)
    for _ in range(2):
        summary = import_json(todo, path)
        assert (summary["updated"], summary["unchanged"], summary["notices"]) == (0, 1, [])
    assert changes_recorded(todo) == recorded
    assert [n["text"] for n in tasks(todo)[0]["notes"]] == ["another", "first"]


def test_a_taskwarrior_project_that_is_none_here_goes_with_project_cleared_or_set(
    todo: Todo, tmp_path: Path
) -> None:
    # `project:` said "it was so already", and the project went back to Taskwarrior.
    exported = [
        {"uuid": "6513270e-269e-4d37-b2a7-4de452e6b438", "description": "Other"}
        | {"status": "pending", "entry": "20260105T080000Z", "project": "Side Stuff"}
    ]
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps(exported)))))
    result = ok(todo("edit", "1", "project:"))
    assert result.stderr == "edited #1: Other\n"
    back = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert "project" not in back[0]
    ok(todo("undo"))
    ok(todo("edit", "1", "project:side"))
    back = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert back[0]["project"] == "side"
    assert "taskwarrior.project" not in tasks(todo)[0].get("attributes", {})


def test_a_taskwarrior_tag_that_is_none_here_is_taken_away_with_untag(
    todo: Todo, tmp_path: Path
) -> None:
    # `--untag @phone` said "'@phone' is not a tag", of a tag `todo show` lists as kept:
    # nothing here could take it away, and it went back to Taskwarrior each time.
    exported = [
        {"uuid": "6513270e-269e-4d37-b2a7-4de452e6b438", "description": "Call mom"}
        | {"status": "pending", "entry": "20260105T080000Z", "tags": ["@phone", "a.b", "x"]}
    ]
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps(exported)))))
    result = todo("edit", "1", "--untag", "@phone")
    assert (result.exit_code, result.stderr) == (0, "edited #1: Call mom\n")
    back = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert back[0]["tags"] == ["a.b", "x"]
    # One it does not keep is refused as before, and nothing is changed.
    before = tasks(todo)
    refused = todo("edit", "1", "--untag", "@nope", "--untag", "a.b")
    assert (refused.exit_code, refused.stderr) == (
        2,
        "error: --untag @nope: '@nope' is not a tag: a tag starts with a letter and holds "
        "letters, digits, _ and - (nor is it a tag a task named keeps from its import "
        "(`todo show` lists those); nothing was changed)\n",
    )
    assert tasks(todo) == before
    ok(todo("edit", "1", "--untag", "a.b", "--untag", "x"))
    back = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert "tags" not in back[0]
    ok(todo("undo"))
    back = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert back[0]["tags"] == ["a.b", "x"]


def test_a_tag_kept_past_the_thirty_a_task_has_is_taken_away_with_untag(
    todo: Todo, tmp_path: Path
) -> None:
    # A tag of a tag's shape kept past the limit: `--untag t31` and `-t30` said
    # "unchanged (it was so already)" while `todo show` listed it and the export
    # wrote it back to Taskwarrior.
    names = [f"t{n:02}" for n in range(32)]
    exported = [
        {"uuid": "6513270e-269e-4d37-b2a7-4de452e6b438", "description": "Label boxes"}
        | {"status": "pending", "entry": "20260105T080000Z", "tags": names}
    ]
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps(exported)))))
    result = todo("edit", "1", "--untag", "t31")
    assert (result.exit_code, result.stderr) == (0, "edited #1: Label boxes\n")
    back = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert back[0]["tags"] == names[:31]
    ok(todo("edit", "1", "-t30", "-t00"))
    back = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert back[0]["tags"] == names[1:30]
    assert "taskwarrior.tags" not in ok(todo("show", "1")).stdout
    ok(todo("undo"))
    back = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert back[0]["tags"] == names[:31]


def test_a_recurring_task_completed_by_hand_in_the_file_goes_on_as_done_would(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    ok(todo("add", "Water plants", "recur:weekly", "due:2026-12-07"))
    exported = export_bytes(todo, tmp_path)
    twin = databases.on(backend)
    ok(twin("import", str(write(tmp_path, "twin.json", exported))))
    done = ok(twin("done", "1")).stderr
    next_due = done.split("next: #2, due ", 1)[1].split()[0]
    document = json.loads(exported)
    later = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    document[0] |= {"completed": True, "completed_at": later, "updated_at": later}
    edited = write(tmp_path, "done.json", json.dumps(document))
    summary = import_json(todo, edited)
    assert (summary["added"], summary["updated"], summary["created"]) == (0, 1, 1)
    assert summary["notices"] == [
        f"task 1: #1 'Water plants' done, so its series goes on: next #2, due {next_due}"
    ]

    def series(of: Todo) -> list[tuple[int, bool, str | None]]:
        return [(t["number"], t["completed"], t["due"]) for t in tasks(of)]

    assert [(n, done) for n, done, _ in series(todo)] == [(1, True), (2, False)]
    assert series(todo)[1][2] == series(twin)[1][2]  # the due `todo done` gives
    # Once: the same file again, or the other's export holding its next task.
    assert import_json(todo, edited)["unchanged"] == 1
    # Both made the next task under the id derived from the completed one's: the
    # twin's is ours (ours is newer: made at the file's completion, a minute ahead).
    ok(twin("edit", "2", "Water the plants"))
    taken = import_json(todo, write(tmp_path, "twin-after.json", export_bytes(twin, tmp_path)))
    assert (taken["added"], taken["updated"], taken["unchanged"], taken["skipped"]) == (0, 0, 2, {})
    assert [(n, done) for n, done, _ in series(todo)] == [(1, True), (2, False)]


def test_two_databases_completing_the_same_task_of_a_series_stay_one_series_when_synced(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    """Both complete the same occurrence, one goes on to the next: synced by our
    JSON, the other has each occurrence once, and one open task (the latest)."""
    ok(todo("add", "Pay rent", "recur:monthly", "due:2026-12-10"))
    twin = databases.on(backend)
    ok(twin("import", str(write(tmp_path, "start.json", export_bytes(todo, tmp_path)))))
    ok(todo("done", "1"))
    ok(twin("done", "1"))
    ok(todo("done", "2"))
    synced = import_json(twin, write(tmp_path, "sync.json", export_bytes(todo, tmp_path, "--all")))
    assert (synced["added"], synced["skipped"]) == (1, {})
    found = [(t["completed"], t["due"][:10]) for t in tasks(twin)]
    assert sorted(found) == [
        (False, "2027-02-10"),
        (True, "2026-12-10"),
        (True, "2027-01-10"),
    ]
    assert [t["id"] for t in tasks(twin)] == [t["id"] for t in tasks(todo)]


def test_a_reopen_in_one_database_takes_the_next_task_back_in_the_other_when_synced(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    """Reopened here, the task's next one is taken back; the twin's import of our file
    left our reopened task out as a second open task of its series, every sync."""
    ok(todo("add", "Water plants", "recur:weekly", "due:2026-12-07"))
    ok(todo("done", "1"))
    twin = databases.on(backend)
    ok(twin("import", str(write(tmp_path, "done.json", export_bytes(todo, tmp_path, "--all")))))
    ok(todo("reopen", "1"))
    reopened = write(tmp_path, "reopened.json", export_bytes(todo, tmp_path, "--all"))
    summary = import_json(twin, reopened)
    assert (summary["updated"], summary["deleted"], summary["skipped"]) == (1, 1, {})
    assert summary["notices"] == [
        "task 1: #1 reopened, so #2, the next task its completion made, is taken back "
        "(as todo reopen takes it)"
    ]
    assert [(t["number"], t["completed"]) for t in tasks(twin)] == [(1, False)]
    back = import_json(todo, write(tmp_path, "twin.json", export_bytes(twin, tmp_path, "--all")))
    assert (back["added"], back["skipped"]) == (0, {})
    assert export_bytes(todo, tmp_path, "--all") == export_bytes(twin, tmp_path, "--all")
    # One undoable operation: the next task comes back with the done task.
    ok(twin("undo"))
    assert [(t["number"], t["completed"]) for t in tasks(twin)] == [(1, True), (2, False)]


def test_a_task_completed_in_both_databases_and_synced_is_reopened_with_its_next_taken_back(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    """Completed in both, the later completion synced over the earlier: the next task,
    the same but for its times (made at the other's completion), was read by reopen
    as changed by someone since; it stayed, and the reopened task left its series:
    two open copies, which the next sync took to the other database too."""
    ok(todo("add", "Water plants", "recur:weekly", "due:2026-12-07"))
    twin = databases.on(backend)
    ok(twin("import", str(write(tmp_path, "start.json", export_bytes(todo, tmp_path)))))
    ok(todo("done", "1"))
    ok(twin("done", "1"))  # later: the twin's copies are newer
    synced = import_json(todo, write(tmp_path, "twin.json", export_bytes(twin, tmp_path, "--all")))
    assert (synced["added"], synced["updated"]) == (0, 2)
    reopened = ok(todo("reopen", "1"))
    assert reopened.stderr == "reopened #1: Water plants\n  took back #2, the next of its series\n"
    assert [(t["number"], t["completed"], t["recur"]) for t in tasks(todo)] == [
        (1, False, "weekly")
    ]


def test_an_update_from_a_newer_copy_says_which_tasks_lose_notes_added_here(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    """Kept in step by our JSON: a note added on the side whose copy changed earlier
    went with the other side's newer copy, and the import said only "1 updated"."""
    ok(todo("add", "Call the bank"))
    ok(todo("add", "Find the IBAN"))
    twin = databases.on(backend)
    ok(twin("import", str(write(tmp_path, "start.json", export_bytes(todo, tmp_path)))))
    ok(todo("note", "1", "account no. 12345"))
    ok(twin("note", "1", "call before noon"))  # later: the twin's copy is newer
    ok(twin("note", "2", "it is on the card"))
    summary = import_json(todo, write(tmp_path, "twin.json", export_bytes(twin, tmp_path)))
    assert summary["updated"] == 2
    assert summary["notices"] == [
        "1 task(s) updated from the file's newer copy lose notes added here that the "
        "file does not have (removed there, or added here after its copy: todo undo brings "
        "them back): #1"
    ]
    ok(todo("undo"))
    assert [n["text"] for n in titled(tasks(todo), "Call the bank")["notes"]] == [
        "account no. 12345"
    ]


def test_a_taskwarrior_update_says_which_tasks_lose_notes_added_here(
    todo: Todo, tmp_path: Path
) -> None:
    """A note added here to a task Taskwarrior changed later went with the update,
    and the import said only "1 updated", as our JSON's did."""
    ok(todo("add", "Call the bank"))
    ok(todo("add", "Find the IBAN"))
    ok(todo("note", "2", "it is on the card"))
    exported = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    ok(todo("note", "1", "account no. 12345"))
    changed = [
        task | {"description": task["description"] + "!", "modified": "20990101T000000Z"}
        for task in exported
    ]
    summary = import_json(todo, write(tmp_path, "tw.json", json.dumps(changed)))
    assert summary["updated"] == 2
    assert summary["notices"] == [
        "1 task(s) updated from the file's newer copy lose notes added here that the "
        "file does not have (removed there, or added here after its copy: todo undo brings "
        "them back): #1"
    ]
    # The note the file has (an annotation of Taskwarrior's) stays, and is not named.
    assert [n["text"] for n in titled(tasks(todo), "Find the IBAN!")["notes"]] == [
        "it is on the card"
    ]
    ok(todo("undo"))
    assert [n["text"] for n in titled(tasks(todo), "Call the bank")["notes"]] == [
        "account no. 12345"
    ]


def test_history_calls_an_import_completing_some_tasks_and_editing_others_an_edit(
    todo: Todo, tmp_path: Path
) -> None:
    # The verb came from the first few tasks updated, the ones completed: "completed
    # #1 #2 #3 #4 #5 and 7 more" of an import that completed 5 tasks of 12.
    ok(todo("add", input="".join(f"Task {n}\n" for n in range(1, 13))))
    exported = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    later = "20990101T000000Z"
    changed = [
        task
        | {"modified": later}
        | (
            {"status": "completed", "end": later}
            if n < 5
            else {"description": task["description"] + " (later)"}
        )
        for n, task in enumerate(exported)
    ]
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps(changed)))))
    (latest,) = ok(todo("history", "--json", "--limit", "1")).json()
    assert latest["summary"] == "edited #1 #2 #3 #4 #5 and 7 more"
    # All completed by `done`: completed.
    ok(todo("add", input="".join(f"Task {n}\n" for n in range(13, 25))))
    ok(todo("done", "13-24"))
    (latest,) = ok(todo("history", "--json", "--limit", "1")).json()
    assert latest["summary"] == "completed #13 #14 #15 #16 #17 and 7 more"


def test_a_next_task_changed_since_it_was_made_is_not_taken_back_by_a_reopen_in_the_file(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    ok(todo("add", "Water plants", "recur:weekly", "due:2026-12-07"))
    ok(todo("done", "1"))
    twin = databases.on(backend)
    ok(twin("import", str(write(tmp_path, "done.json", export_bytes(todo, tmp_path, "--all")))))
    ok(twin("note", "2", "use the rain water"))
    ok(todo("reopen", "1"))
    summary = import_json(twin, write(tmp_path, "r.json", export_bytes(todo, tmp_path, "--all")))
    # The file's #1 is open again; here it is done and its series goes on as #2.
    assert (summary["deleted"], summary["skipped"]) == (
        0,
        {"an_open_copy_of_a_task_done_here": 1},
    )
    assert (
        "task 1: #1 'Water plants' is done here and its series goes on as #2: the file's "
        "open copy of it is left out"
    ) in summary["notices"]
    assert [(t["number"], t["completed"]) for t in tasks(twin)] == [(1, True), (2, False)]


@pytest.mark.usefixtures("compared")
def test_a_file_imported_with_new_numbers_is_unchanged_the_second_time(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    other, backup, first = _imported_where_number_one_is_taken(todo, backend, databases, tmp_path)
    assert first["renumbered"]
    before, recorded = tasks(other), changes_recorded(other)
    second = import_json(other, backup)
    assert (second["added"], second["updated"], second["unchanged"]) == (0, 0, 8)
    assert second["notices"] == []
    assert tasks(other) == before
    assert changes_recorded(other) == recorded


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(todo: Todo) -> None:
    summary = import_json(todo, TASKWARRIOR / "export.json", "--dry-run")
    assert summary["dry_run"] is True
    assert summary["added"] == 8
    assert nothing_written(todo)


def test_anothers_tasks_are_not_taken_over_by_an_import(todo: Todo, tmp_path: Path) -> None:
    fill(todo)
    before = tasks(todo)
    backup = write(tmp_path, "backup.json", export_bytes(todo, tmp_path))
    bob = todo.as_user("bob")
    result = bob("import", str(backup))
    assert result.exit_code != 0
    assert "another user" in result.stderr
    assert tasks(todo) == before
    assert tasks(bob) == []


# --- Taskwarrior: what `task export` wrote --------------------------------------------------


@pytest.fixture
def from_taskwarrior(todo: Todo) -> Imported:
    """The Taskwarrior fixture (a JSON array) imported: the summary and the tasks."""
    summary = import_json(todo, TASKWARRIOR / "export.json")
    return summary, tasks(todo)


def test_taskwarrior_import_counts_what_it_added_and_skipped(
    from_taskwarrior: Imported,
) -> None:
    summary, found = from_taskwarrior
    pending_reviews = [
        o
        for o in fixture_objects()
        if (o["description"], o["status"]) == ("Weekly review", "pending")
    ]
    assert summary["format"] == "taskwarrior"
    assert summary["added"] == len(found) == 8
    assert summary["skipped"] == {
        "deleted": 1,
        "recurring_template": 1,
        "later_recurring_instance": len(pending_reviews) - 1,
    }


def test_taskwarrior_array_and_json_lines_import_the_same_tasks(
    todo: Todo, backend: str, databases: Databases
) -> None:
    from_array = import_json(todo, TASKWARRIOR / "export.json")
    other = databases.on(backend)
    from_lines = import_json(other, TASKWARRIOR / "export.jsonl")
    # The notices name positions: "task 5" in an array, "line 5" in JSON Lines.
    assert from_lines | {"notices": []} == from_array | {"notices": []}
    assert tasks(other) == tasks(todo)


def test_a_deleted_taskwarrior_task_is_not_imported(
    from_taskwarrior: Imported,
) -> None:
    summary, found = from_taskwarrior
    assert summary["skipped"]["deleted"] == 1
    assert not [t for t in found if t["title"] == "Cancelled trip"]


def test_a_waiting_taskwarrior_task_is_open_and_hidden_until_its_wait(
    todo: Todo, from_taskwarrior: Imported
) -> None:
    passport = titled(from_taskwarrior[1], "Renew passport")
    assert passport["wait"] == tw_instant(fixture_object("Renew passport", "pending")["wait"])
    assert "Renew passport" not in ok(todo("list")).stdout
    assert "Renew passport" in ok(todo("list", "--waiting")).stdout


def test_status_waiting_of_older_taskwarrior_files_is_open_with_its_wait(
    todo: Todo, tmp_path: Path
) -> None:
    waiting = tw(description="Old style", status="waiting", wait="20990101T080000Z")
    import_json(todo, write(tmp_path, "old.json", json.dumps([waiting])))
    (task,) = tasks(todo)
    assert task["completed"] is False
    assert task["wait"] == "2099-01-01T08:00:00.000000Z"


def test_a_completed_taskwarrior_task_is_done_at_its_end(
    from_taskwarrior: Imported,
) -> None:
    chore = titled(from_taskwarrior[1], "Old chore", completed=True)
    source = fixture_object("Old chore", "completed")
    assert chore["completed_at"] == tw_instant(source["end"])
    assert chore["created_at"] == tw_instant(source["entry"])


@pytest.mark.parametrize(
    ("modified", "changed"),
    [
        # Done at its end, last changed when Taskwarrior says.
        ({"modified": "20261126T120000Z"}, "2026-11-26T12:00:00.000000Z"),
        # Without modified, at its end: not at its entry, before it was done.
        ({}, "2026-11-25T10:00:00.000000Z"),
    ],
    ids=["modified", "no-modified"],
)
def test_a_completed_taskwarrior_task_is_done_at_its_end_and_changed_no_earlier(
    todo: Todo, tmp_path: Path, modified: dict[str, str], changed: str
) -> None:
    done = tw(status="completed", entry="20261120T080000Z", end="20261125T100000Z", **modified)
    import_json(todo, write(tmp_path, "done.json", json.dumps([done])))
    (task,) = tasks(todo)
    assert task["created_at"] == "2026-11-20T08:00:00.000000Z"
    assert task["completed_at"] == "2026-11-25T10:00:00.000000Z"
    assert task["updated_at"] == changed


def test_what_taskwarrior_could_not_hold_comes_back_from_ours() -> None:
    # Ours as it went out, and as the file brings it back after a change there:
    # times to the second, the description an annotation, a note Taskwarrior
    # moved a second on (two annotations may not share one), a new annotation.
    from todo_cli.domain.fields import Note
    from todo_cli.formats.interchange import TaskRecord
    from todo_cli.services.interchange import _back_from_taskwarrior

    def at(second: int, micro: int = 0) -> datetime:
        return datetime(2026, 11, 20, 8, 0, second, micro, tzinfo=UTC)

    ours = TaskRecord(
        id=uuid4(), number=1, title="Renew passport", description="Photos first",
        completed=True, completed_at=at(30, 250), created_at=at(1, 500), updated_at=at(30, 250),
        notes=(Note(at(1, 900), "called"),),
    )  # fmt: skip
    theirs = replace(
        ours, description=None, completed_at=at(30), created_at=at(1), updated_at=at(50),
        notes=(Note(at(1), "Photos first"), Note(at(2), "called"), Note(at(40), "new")),
    )  # fmt: skip
    back = _back_from_taskwarrior(theirs, ours)
    assert back == replace(
        theirs,
        description="Photos first",
        completed_at=at(30, 250),
        created_at=at(1, 500),
        notes=(Note(at(1, 900), "called"), Note(at(40), "new")),
    )
    # A time six seconds on is another time, and the note a new one.
    later = replace(theirs, notes=(Note(at(1), "Photos first"), Note(at(7), "called")))
    assert _back_from_taskwarrior(later, ours).notes == (Note(at(7), "called"),)


def test_a_completed_taskwarrior_task_without_end_is_done_as_task_import_takes_it(
    todo: Todo, tmp_path: Path
) -> None:
    # `task import` accepts a completed task with no `end` (a hand-made file) and sets it.
    deleted = tw(status="deleted", entry="20261101T000000Z", end="20261102T000000Z")
    no_end = tw(description="Completed no end", status="completed", entry="20261101T000000Z")
    changed = tw(
        description="Changed, no end",
        status="completed",
        entry="20261101T000000Z",
        modified="20261103T120000Z",
    )
    result = ok(
        todo("import", str(write(tmp_path, "done.json", json.dumps([deleted, no_end, changed]))))
    )
    assert "2 added" in result.stderr
    assert "task 2: completed without end: taken as completed at its entry time" in result.stderr
    assert "task 3: completed without end: taken as completed at its modified time" in (
        result.stderr
    )
    found = tasks(todo)
    assert titled(found, "Completed no end", completed=True)["completed_at"] == (
        "2026-11-01T00:00:00.000000Z"
    )
    assert titled(found, "Changed, no end", completed=True)["completed_at"] == (
        "2026-11-03T12:00:00.000000Z"
    )


def test_a_taskwarrior_problem_names_the_tasks_place_in_the_file_deleted_ones_counted(
    todo: Todo, tmp_path: Path
) -> None:
    deleted = tw(status="deleted", entry="20261101T000000Z", end="20261102T000000Z")
    bad = tw(description="Bad\u0000title")
    path = write(tmp_path, "tasks.json", json.dumps([deleted, bad]))
    result = todo("import", str(path))
    assert result.exit_code == 2, result.stderr
    assert f"task 2 ({bad['uuid']}): " in result.stderr
    assert "task 1" not in result.stderr
    assert nothing_written(todo)


def _rent_series(series: str, **instance: Any) -> list[dict[str, Any]]:
    """A monthly Taskwarrior series as `task export` writes it: template and instances."""
    template = tw(
        uuid=series,
        description="Pay rent",
        status="recurring",
        recur="monthly",
        due="20261130T230000Z",
        mask="-",
        entry="20261120T080000Z",
    )
    first = tw(
        description="Pay rent",
        parent=series,
        imask=0,
        recur="monthly",
        due="20261130T230000Z",
        entry="20261120T080000Z",
    )
    return [template, first | instance]


def _rent_instance(series: str, due: str, entry: str) -> dict[str, Any]:
    """Another pending instance of _rent_series, as Taskwarrior makes the next one."""
    return tw(description="Pay rent", parent=series, imask=1, recur="monthly", due=due, entry=entry)


def test_taskwarrior_reimport_after_a_series_task_was_done_in_both_leaves_one_open(
    todo: Todo, tmp_path: Path
) -> None:
    # The sync workflow: import, `todo done` (todo makes the next one), `task done`
    # (Taskwarrior makes its own next one), export from Taskwarrior, import again.
    series = str(uuid4())
    template, first = _rent_series(series)
    ok(todo("import", str(write(tmp_path, "tw1.json", json.dumps([template, first])))))
    rent = titled(tasks(todo), "Pay rent")
    ok(todo("done", str(rent["number"])))
    successor = titled(tasks(todo), "Pay rent")
    done_there = first | {
        "status": "completed",
        "end": "20261201T090000Z",
        "modified": "20261201T090000Z",
    }
    theirs = _rent_instance(series, due="20261231T230000Z", entry="20261201T090000Z")
    again = write(
        tmp_path, "tw1c.json", json.dumps([template | {"mask": "+-"}, done_there, theirs])
    )
    # Both made the next task for one date: one occurrence, and the task here takes the
    # uuid of Taskwarrior's (left out, both went back: two pending tasks for a date).
    number = successor["number"]
    for extra in (["--dry-run"], []):
        result = ok(todo("import", str(again), *extra))
        assert (
            f"task 3: the instance Taskwarrior made for the date of #{number}, the open "
            f"task of its series here: one task, and #{number} takes its uuid" in result.stderr
        )
    summary = import_json(todo, again)
    assert summary["added"] == 0
    open_ones = [t for t in tasks(todo) if t["series_id"] == series and not t["completed"]]
    assert [(t["id"], t["number"]) for t in open_ones] == [(theirs["uuid"], number)]
    written = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert [o["uuid"] for o in written if o["status"] == "pending"] == [theirs["uuid"]]


def test_the_instance_made_there_since_the_last_import_is_the_open_task_done_here(
    todo: Todo, tmp_path: Path
) -> None:
    """Taskwarrior made the series' instance for a date after the last import, and todo
    made its own task for that date when the one before was done here: the import
    takes them as one occurrence (the task here takes the instance's uuid). Read as a
    later instance, both went back, two pending tasks for one date there."""
    series = str(uuid4())
    template, first = _rent_series(series)
    second = _rent_instance(series, due="20261231T230000Z", entry="20261120T080000Z")
    ok(todo("import", str(write(tmp_path, "a.json", json.dumps([template, first, second])))))
    ok(todo("done", "1"))  # the next is the instance Taskwarrior had made: its uuid
    ok(todo("done", "2"))  # the next is todo's own
    (made_here,) = [t for t in tasks(todo) if not t["completed"]]
    assert made_here["id"] not in (first["uuid"], second["uuid"])
    third = tw(
        description="Pay rent",
        parent=series,
        imask=2,
        recur="monthly",
        due="20270131T230000Z",
        entry="20261201T090000Z",
        modified="20261201T090000Z",
    )  # fmt: skip (made there before the task here was: ours is newer)
    later = write(tmp_path, "b.json", json.dumps([template, first, second, third]))
    summary = import_json(todo, later)
    assert (summary["added"], summary["updated"]) == (0, 0)
    assert (
        f"task 4: the instance Taskwarrior made for the date of #{made_here['number']}, the "
        f"open task of its series here: one task, and #{made_here['number']} takes its uuid"
    ) in summary["notices"]
    (open_task,) = [t for t in tasks(todo) if not t["completed"]]
    assert open_task | {"id": None} == made_here | {"id": None}
    assert open_task["id"] == third["uuid"]
    written = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    pending = [o for o in written if o["status"] == "pending"]
    assert [(o["uuid"], o["due"]) for o in pending] == [(third["uuid"], third["due"])]
    again = import_json(todo, later)  # the same file: one task still, nothing to say
    assert (again["added"], again["updated"]) == (0, 0)
    assert not [n for n in again["notices"] if "takes its uuid" in n]
    # One undoable operation: the task has its own id again.
    ok(todo("undo"))
    (back,) = [t for t in tasks(todo) if not t["completed"]]
    assert back == made_here


def test_the_instances_made_there_since_the_last_import_are_the_tasks_done_here_for_them(
    todo: Todo, tmp_path: Path
) -> None:
    """todo done twice after the import: its tasks for two dates, one done, one open;
    Taskwarrior made its instances for both dates meanwhile. The open task took its
    instance's uuid, but the done one did not: the instance stayed pending there
    beside it, and done there too it came back as a second completion of one date."""
    series = str(uuid4())
    template, first = _rent_series(series)
    ok(todo("import", str(write(tmp_path, "a.json", json.dumps([template, first])))))
    ok(todo("done", "1"))
    ok(todo("done", "2"))
    made_here = {t["number"]: t for t in tasks(todo)}
    made = "20261201T090000Z"  # before the tasks here were made: ours are newer
    second, third = (
        tw(
            description="Pay rent", parent=series, imask=index, recur="monthly", due=due,
            entry=made, modified=made,
        )
        for index, due in ((1, "20261231T230000Z"), (2, "20270131T230000Z"))
    )  # fmt: skip
    later = write(tmp_path, "b.json", json.dumps([template, first, second, third]))
    summary = import_json(todo, later)
    assert summary["added"] == 0
    assert (
        "task 3: the instance Taskwarrior made for the date of #2, done here: one task, and "
        "#2 takes its uuid"
    ) in summary["notices"]
    now = {t["number"]: t for t in tasks(todo)}
    assert (now[2]["id"], now[3]["id"]) == (second["uuid"], third["uuid"])
    assert now[2] | {"id": None} == made_here[2] | {"id": None}
    written = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    by_uuid = {o["uuid"]: o for o in written}
    assert by_uuid[second["uuid"]]["status"] == "completed"
    assert [o["uuid"] for o in written if o["status"] == "pending"] == [third["uuid"]]
    again = import_json(todo, later)
    assert (again["added"], again["updated"]) == (0, 0)
    assert not [n for n in again["notices"] if "takes its uuid" in n]
    ok(todo("undo"))
    assert {t["number"]: t for t in tasks(todo)} == made_here


def test_the_instances_after_the_one_a_task_here_took_go_back_as_taskwarrior_made_them(
    todo: Todo, tmp_path: Path
) -> None:
    """The task todo made for a date took the uuid of Taskwarrior's instance for it; the
    instances Taskwarrior had made after it were dropped, the template went back with
    our shorter mask, and Taskwarrior made their dates again (two tasks a date)."""
    series = str(uuid4())
    template, first = _rent_series(series)
    ok(todo("import", str(write(tmp_path, "a.json", json.dumps([template, first])))))
    ok(todo("done", "1"))  # todo's own task for the second date
    made = "20261201T090000Z"
    second, third = (
        tw(
            description="Pay rent", parent=series, imask=index, recur="monthly", due=due,
            entry=made, modified=made,
        )
        for index, due in ((1, "20261231T230000Z"), (2, "20270131T230000Z"))
    )  # fmt: skip
    later = [template | {"mask": "---"}, first, second, third]
    summary = import_json(todo, write(tmp_path, "b.json", json.dumps(later)))
    assert summary["added"] == 0
    written = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    by_uuid = {o["uuid"]: o for o in written}
    assert by_uuid[series]["mask"] == "+--"
    assert sorted((o["due"], o["uuid"]) for o in written if o["status"] == "pending") == [
        (second["due"], second["uuid"]),
        (third["due"], third["uuid"]),
    ]


def test_a_todotxt_file_imported_after_a_restore_under_another_name_adds_nothing(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    """Outside row security a line's id is made from the user's name; restored by our
    JSON into a database where the user has another name (another login on another
    machine), the same todo.txt brought every line in again."""
    source = write(tmp_path, "todo.txt", "(A) Buy milk +home\nCall mom due:2026-12-30\n")
    assert import_json(todo, source)["added"] == 2
    backup = write(tmp_path, "backup.json", export_bytes(todo, tmp_path, "--all"))
    elsewhere = databases.on(backend).as_user("bob")
    assert import_json(elsewhere, backup)["added"] == 2
    again = import_json(elsewhere, source)
    assert (again["added"], again["unchanged"]) == (0, 2)
    assert ok(elsewhere("export", "--format", "todotxt")).stdout == source.read_text()


def test_an_older_copy_of_the_series_open_task_changed_by_a_write_back_leaves_the_series(
    todo: Todo, tmp_path: Path
) -> None:
    """A file from before the series moved on here, whose copy of the series' open task
    is newer than ours (Taskwarrior's import stamped it when our export was written
    back): the task was taken with the series as that file kept it ("1 updated"), the
    mask rolled back, and our export brought an instance deleted there back as pending."""
    series = str(uuid4())
    made = "20261201T080000Z"
    template = tw(
        uuid=series, description="Pay rent", status="recurring", recur="monthly",
        due="20270115T230000Z", mask="---", entry=made, modified=made,
    )  # fmt: skip
    instances = [
        tw(
            description="Pay rent",
            parent=series,
            imask=index,
            recur="monthly",
            due=due,
            entry=made,
            modified=made,
        )
        for index, due in enumerate(("20270115T230000Z", "20270215T230000Z", "20270315T230000Z"))
    ]
    ok(todo("import", str(write(tmp_path, "first.json", json.dumps([template, *instances])))))
    moved = "20261202T080000Z"
    now = [
        template | {"mask": "+X-", "modified": moved},
        instances[0] | {"status": "completed", "end": moved, "modified": moved},
        instances[1] | {"status": "deleted", "end": moved, "modified": moved},
        instances[2],
    ]
    ok(todo("import", str(write(tmp_path, "now.json", json.dumps(now)))))
    (held,) = [t for t in tasks(todo) if not t["completed"]]
    assert held["id"] == instances[2]["uuid"]
    before = ok(todo("export", "--all", "--format", "taskwarrior")).stdout
    stamped = "20261201T080001Z"  # our export written back, a second after it was made
    old = [template, *instances[:2], instances[2] | {"modified": stamped}]
    summary = import_json(todo, write(tmp_path, "old.json", json.dumps(old)))
    assert (summary["added"], summary["updated"]) == (0, 0)
    after = ok(todo("export", "--all", "--format", "taskwarrior")).stdout
    assert after == before
    written = {o["uuid"]: o for o in json.loads(after)}
    assert written[series]["mask"] == "+X-"
    assert (
        instances[1]["uuid"] not in written or written[instances[1]["uuid"]]["status"] != "pending"
    )


@pytest.mark.parametrize("edited_here", [False, True])
def test_an_instance_renamed_there_is_not_the_series_unless_renamed_here_too(
    todo: Todo, tmp_path: Path, edited_here: bool
) -> None:
    """A file whose open instance has a title its template has not (renamed in
    Taskwarrior): the template goes back with its own, and the next task takes it.
    Renamed here afterwards, the series is renamed: the template goes back with ours."""
    series = str(uuid4())
    template = tw(
        uuid=series, description="Pay rent", status="recurring", recur="monthly",
        due="20270115T230000Z", mask="-", priority="H",
    )  # fmt: skip
    instance = tw(
        description="Pay rent, this once", parent=series, imask=0, recur="monthly",
        due="20270115T230000Z",
    )  # fmt: skip
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([template, instance])))))
    (held,) = tasks(todo)
    assert (held["title"], held["priority"]) == ("Pay rent, this once", None)
    if edited_here:
        ok(todo("edit", str(held["number"]), "Rent", "priority:L"))
    ours = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    (written,) = [o for o in ours if o["uuid"] == series]
    expected = ("Rent", "L") if edited_here else ("Pay rent", "H")
    assert (written["description"], written.get("priority")) == expected
    if edited_here:
        # Then the instance tagged there and synced by what changed (the template,
        # written back as ours, unchanged there): the series stays as renamed here.
        (there,) = [o for o in ours if o["uuid"] == instance["uuid"]]
        tagged = there | {"tags": ["rent"], "modified": "20301201T080000Z"}
        ok(todo("import", str(write(tmp_path, "tagged.json", json.dumps([tagged])))))
        ours = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
        (written,) = [o for o in ours if o["uuid"] == series]
        assert (written["description"], written.get("priority")) == expected
    (done,) = ok(todo("done", str(held["number"]), "--json")).json()
    (following,) = done["created"]
    assert (following["title"], following["priority"]) == expected
    ours = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    (written,) = [o for o in ours if o["uuid"] == series]
    assert (written["description"], written.get("priority")) == expected


@pytest.mark.parametrize(
    ("instance_field", "kept"),
    [({"tags": ["@home"]}, "taskwarrior.tags"), ({"project": "My Home"}, "taskwarrior.project")],
)
def test_a_field_none_here_on_one_instance_is_not_the_series(
    todo: Todo, tmp_path: Path, instance_field: dict[str, Any], kept: str
) -> None:
    """A tag or project Taskwarrior takes and todo does not (`+@home`, `project:'My
    Home'`), on the open instance alone: kept beside the task, it went on to the next
    task, and the template went back with it in place of its own tag and project."""
    series = str(uuid4())
    template = tw(
        uuid=series, description="Gym", status="recurring", recur="weekly",
        due="20270104T230000Z", mask="-", tags=["health"], project="fit",
    )  # fmt: skip
    instance = tw(
        description="Gym", parent=series, imask=0, recur="weekly", due="20270104T230000Z",
        tags=["health"], project="fit",
    ) | instance_field  # fmt: skip
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([template, instance])))))
    (held,) = json.loads(ok(todo("export")).stdout)  # our JSON: with what is kept
    assert kept in held["attributes"]
    ours = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    (written,) = [o for o in ours if o["uuid"] == series]
    assert (written["tags"], written["project"]) == (["health"], "fit")
    (done,) = ok(todo("done", str(held["number"]), "--json")).json()
    (following,) = done["created"]
    assert (following["tags"], following["project"]) == (["health"], "fit")
    (made,) = json.loads(ok(todo("export")).stdout)
    assert made["id"] == following["id"]
    assert kept not in made["attributes"]
    ours = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    (written,) = [o for o in ours if o["uuid"] == series]
    assert (written["tags"], written["project"]) == (["health"], "fit")


def test_a_series_field_changed_on_both_sides_keeps_the_change_made_here(
    todo: Todo, tmp_path: Path
) -> None:
    """The open task edited here (title, priority), then the template changed there
    (priority, project) before a sync: the field changed on both sides keeps the edit
    made here, the one changed there alone is taken."""
    series = str(uuid4())
    template = tw(
        uuid=series, description="Gym", status="recurring", recur="weekly",
        due="20270104T230000Z", mask="-", modified="20261201T080000Z",
    )  # fmt: skip
    instance = tw(
        description="Gym", parent=series, imask=0, recur="weekly", due="20270104T230000Z",
        modified="20261201T080000Z",
    )  # fmt: skip
    later = tw(
        description="Gym", parent=series, imask=1, recur="weekly", due="20270111T230000Z",
        modified="20261201T080000Z",
    )  # fmt: skip
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([template, instance, later])))))
    ok(todo("edit", "1", "Gym here", "pri:H"))
    changed = template | {"priority": "L", "project": "tw", "modified": "20991201T080000Z"}
    ok(todo("import", str(write(tmp_path, "changed.json", json.dumps([changed, instance, later])))))
    ours = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    (written,) = [o for o in ours if o["uuid"] == series]
    assert (written["description"], written["priority"], written["project"]) == (
        "Gym here",
        "H",
        "tw",
    )


def test_taskwarrior_changes_to_the_series_task_held_here_are_taken_beside_earlier_ones(
    todo: Todo, tmp_path: Path
) -> None:
    # Taskwarrior makes a pending instance for every period gone by; those todo left
    # out stay pending there. The one held here is the series' open task: an edit
    # made to it in Taskwarrior is taken, whatever instances sit before it in the file.
    series = str(uuid4())
    template, first = _rent_series(series)
    ok(todo("import", str(write(tmp_path, "tw1.json", json.dumps([template, first])))))
    (held,) = tasks(todo)
    earlier = _rent_instance(series, due="20261031T230000Z", entry="20261120T080000Z")
    edited = first | {"priority": "H", "tags": ["home"], "modified": "20261202T100000Z"}
    again = write(tmp_path, "tw2.json", json.dumps([template | {"mask": "--"}, earlier, edited]))
    result = ok(todo("import", str(again), "--json"))
    summary = result.json()
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 1, 0)
    assert (
        "task 2: other pending instances of the recurring task at task 3 not imported: "
        "one open task per series, and that one is the series' open task here"
    ) in summary["notices"]
    (task,) = tasks(todo)
    assert (task["id"], task["priority"], task["tags"]) == (held["id"], "H", ["home"])
    assert (task["recur"], task["series_id"]) == (held["recur"], held["series_id"])
    summary = import_json(todo, again)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 1)


def test_a_task_deleted_in_the_file_since_it_changed_here_is_deleted_and_undo_brings_it_back(
    todo: Todo, tmp_path: Path
) -> None:
    first = [
        tw(description=title, modified="20261120T090000Z")
        for title in ("Old task", "Edited here", "No time there")
    ]
    ok(todo("import", str(write(tmp_path, "first.json", json.dumps(first)))))
    ok(todo("edit", "2", "+here"))  # changed here after the file's deletion below
    deleted = [
        first[0] | {"status": "deleted", "end": "20261201T090000Z", "modified": "20261201T090000Z"},
        first[1] | {"status": "deleted", "end": "20261121T090000Z", "modified": "20261121T090000Z"},
        {k: v for k, v in first[2].items() if k != "modified"} | {"status": "deleted"},
        tw(description="Never here", status="deleted", modified="20261201T090000Z"),
    ]
    source = write(tmp_path, "deleted.json", json.dumps(deleted))
    before = tasks(todo)
    result = ok(todo("import", str(source), "--dry-run"))
    assert result.stderr.splitlines()[0] == (
        "would import from taskwarrior: 0 added, 0 updated, 1 deleted, 0 unchanged, 3 skipped"
    )
    assert tasks(todo) == before
    summary = import_json(todo, source)
    assert (summary["deleted"], summary["skipped"]) == (1, {"deleted": 3})
    assert summary["notices"] == [
        "2 task(s) deleted in the file left as they are: changed here since (or the file "
        "does not say when it was deleted): #2 (task 2), #3 (task 3)",
        "deleted here, as the file has them deleted: #1",
    ]
    assert [t["title"] for t in tasks(todo)] == ["Edited here", "No time there"]
    assert ok(todo("undo")).exit_code == 0
    assert tasks(todo) == before


# The delete of B moved the time of change of A, which waited on it: A's newer copy in
# the same file was then taken as older than ours, and its edits were lost in silence.
def test_a_task_changed_in_the_file_that_deletes_what_it_waited_on_is_taken(
    todo: Todo, tmp_path: Path
) -> None:
    ok(todo("add", "B first"))
    ok(todo("add", "A second", "dep:1"))
    exported = {
        t["description"]: t
        for t in json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    }
    b, a = exported["B first"], exported["A second"]
    assert a["depends"] == [b["uuid"]]
    # Changed there after ours, in the second before the import (Taskwarrior keeps
    # whole seconds): the import's own delete comes later than the file's copies.
    stamp = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    time.sleep((stamp - datetime.now(UTC)).total_seconds() + 0.05)
    modified = stamp.strftime("%Y%m%dT%H%M%SZ")
    source = write(
        tmp_path,
        "tw.json",
        json.dumps(
            [
                b | {"status": "deleted", "end": modified, "modified": modified},
                a
                | {
                    "description": "A second, renamed",
                    "priority": "H",
                    "tags": ["urgent"],
                    "modified": modified,
                },
            ]
        ),
    )
    before = tasks(todo)
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["deleted"], summary["unchanged"]) == (
        0,
        1,
        1,
        0,
    )
    assert not [n for n in summary["notices"] if "left as they are" in n]
    (task,) = tasks(todo)
    assert (task["number"], task["title"], task["priority"], task["tags"]) == (
        2,
        "A second, renamed",
        "H",
        ["urgent"],
    )
    assert task["depends"] == []
    # Imported again: nothing more to take.
    again = import_json(todo, source)
    assert (again["updated"], again["deleted"], again["unchanged"]) == (0, 0, 1)
    assert ok(todo("undo")).exit_code == 0

    # (A task set back by an undo has a new time of change: README, Undo.)
    def content(listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in t.items() if k != "updated_at"} for t in listed]

    assert content(tasks(todo)) == content(before)


# A done task of a series reopened in Taskwarrior is pending there beside the series'
# open task: it was filed as a later instance of that task, and our export then wrote
# its uuid twice (done, and pending), which our own import refused.
def test_a_done_task_reopened_in_taskwarrior_is_never_written_twice(
    todo: Todo, tmp_path: Path
) -> None:
    ok(todo("add", "Rent", "due:today", "recur:monthly"))
    ok(todo("done", "1"))
    exported = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    done = next(t for t in exported if t["status"] == "completed")
    reopened = {k: v for k, v in done.items() if k != "end"} | {
        "status": "pending",
        "description": "Rent May",
        "modified": "20991201T090000Z",
    }
    source = write(
        tmp_path, "tw.json", json.dumps([t if t is not done else reopened for t in exported])
    )
    before = tasks(todo)
    summary = import_json(todo, source)
    # (#2 takes what Taskwarrior keeps of the series beside it, its content as ours.)
    assert (summary["added"], summary["updated"]) == (0, 1)
    assert (
        f"{done['uuid']}: pending in the file beside the open task of its series (task 3), "
        "is #1 here: left as it is (one open task per series)"
    ) in summary["notices"]
    assert tasks(todo) == before
    back = ok(todo("export", "--all", "--format", "taskwarrior")).stdout
    uuids = [t["uuid"] for t in json.loads(back)]
    assert len(uuids) == len(set(uuids)) == 3
    # Our own export reads back: nothing to change.
    again = import_json(todo, write(tmp_path, "back.json", back))
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)


# `task modify pri:L`, then `pri:H`: a later time of change, the same task. It was
# taken as an update: "1 updated", an empty "edited #1" in history and an undo of it.
def test_a_task_changed_in_taskwarrior_and_changed_back_is_unchanged(
    todo: Todo, tmp_path: Path
) -> None:
    ok(todo("add", "Plain", "pri:H", "+home", "due:2099-01-05", "-d", "the details"))
    (task,) = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    source = write(tmp_path, "tw.json", json.dumps([task | {"modified": "20991201T090000Z"}]))
    before = tasks(todo)
    history = ok(todo("history", "--json")).json()
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 1)
    assert tasks(todo) == before
    assert ok(todo("history", "--json")).json() == history
    # Changed there for real: taken.
    changed = task | {"priority": "L", "modified": "20991201T090000Z"}
    summary = import_json(todo, write(tmp_path, "changed.json", json.dumps([changed])))
    assert (summary["updated"], summary["unchanged"]) == (1, 0)
    assert tasks(todo)[0]["priority"] == "L"


# `task delete` of a template ends its series there, and left ours going on: the
# next `todo done` made a task, and the next export brought the template back.
def test_a_template_deleted_in_taskwarrior_ends_the_series_here(todo: Todo, tmp_path: Path) -> None:
    ok(todo("add", "Backup", "due:2099-01-05", "recur:weekly"))
    template, instance = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    assert (template["status"], instance["status"]) == ("recurring", "pending")

    def deleted(when: str) -> Path:
        gone = template | {"status": "deleted", "end": when, "modified": when}
        return write(tmp_path, f"{when}.json", json.dumps([gone, instance]))

    # Deleted there before ours last changed: the series goes on.
    summary = import_json(todo, deleted("20200101T000000Z"))
    assert (summary["updated"], summary["unchanged"]) == (0, 1)
    assert tasks(todo)[0]["recur"] == "weekly"
    summary = import_json(todo, deleted("20991201T090000Z"))
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 1, 0)
    assert summary["skipped"] == {"deleted": 1}
    assert summary["notices"] == [
        "1 task(s) repeat no more, as the file has the recurring template of their series "
        "deleted: #1"
    ]
    (task,) = tasks(todo)
    assert (task["recur"], task["due"][:10]) == (None, "2099-01-05")
    # The same file again: nothing more to do.
    summary = import_json(todo, deleted("20991201T090000Z"))
    assert (summary["updated"], summary["unchanged"], summary["notices"]) == (0, 1, [])
    assert ok(todo("done", "1")).stderr == "completed #1: Backup\n"
    assert len(tasks(todo)) == 1
    # Written back, the template stays deleted there.
    back = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert sorted((t["uuid"], t["status"]) for t in back) == sorted(
        [(template["uuid"], "deleted"), (instance["uuid"], "completed")]
    )


# A ChatGPT export read as our tasks ("create_time: is not a field of a task", 19
# problems), a Claude one as Taskwarrior's ("description: is missing"), an llm
# logs.db as todo.txt ("is not valid UTF-8"): none said what the file is.
@pytest.mark.parametrize(
    ("name", "told"),
    [
        ("chatgpt-conversations.json", "is a ChatGPT export (conversations, not tasks)"),
        ("claude-conversations.json", "is a Claude export (conversations, not tasks)"),
    ],
)
def test_a_chat_export_given_to_import_is_named_as_one(todo: Todo, name: str, told: str) -> None:
    path = FIXTURES / "chat" / name
    result = todo("import", str(path))
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {path} {told} (import it with todo chat-log import; nothing was imported)\n",
    )
    assert tasks(todo) == []


def test_an_sqlite_database_given_to_import_is_named_as_one(todo: Todo, tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE responses (id TEXT, prompt TEXT)")
    db.close()
    result = todo("import", str(path))
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {path} is an SQLite database, not a file of tasks (an llm logs.db is "
        "imported with todo chat-log import; a todo database is used with --db "
        "sqlite:///PATH and its tasks exported; nothing was imported)\n",
    )
    assert tasks(todo) == []


def test_a_recurrence_after_completion_survives_an_edit_made_in_taskwarrior(
    todo: Todo, tmp_path: Path
) -> None:
    # Taskwarrior has no "after completion": 1w went there as its 1w (on the cadence).
    ok(todo("add", "Gym", "due:2026-12-10", "recur:1w"))
    template, instance = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    assert (template["recur"], instance["recur"]) == ("1w", "1w")
    edited = instance | {"tags": ["fit"], "modified": "20991204T200000Z"}
    ok(todo("import", str(write(tmp_path, "edited.json", json.dumps([template, edited])))))
    (task,) = json.loads(ok(todo("export", "--format", "json")).stdout)
    assert (task["recur"], task["tags"]) == ("1w", ["fit"])
    # The tag is the instance's alone (its template has none): kept so, the series'
    # next task is made without it, as Taskwarrior's next instance is.
    kept = task["attributes"]["taskwarrior.series"]
    assert (kept["own"]["tags"], kept["read"]) == (None, {"tags": ["fit"]})
    # Its recurrence changed there (`task modify recur:2w` changes the template too):
    # Taskwarrior's, on the cadence.
    changed = [
        template | {"recur": "2w", "modified": "20991205T200000Z"},
        edited | {"recur": "2w", "modified": "20991205T200000Z"},
    ]
    ok(todo("import", str(write(tmp_path, "changed.json", json.dumps(changed)))))
    (task,) = tasks(todo)
    assert task["recur"] == "+2w"


def test_a_task_deleted_in_the_file_is_never_deleted_for_another_user(
    todo: Todo, tmp_path: Path
) -> None:
    alices = tw(description="Alice's task", modified="20261120T090000Z")
    ok(todo("import", str(write(tmp_path, "alice.json", json.dumps([alices])))))
    gone = alices | {"status": "deleted", "modified": "20261201T090000Z"}
    bob = todo.as_user("bob")
    summary = import_json(bob, write(tmp_path, "deleted.json", json.dumps([gone])))
    assert (summary["deleted"], summary["skipped"], summary["notices"]) == (
        0,
        {"deleted": 1},
        [],
    )
    assert [t["title"] for t in tasks(todo)] == ["Alice's task"]


def test_a_taskwarrior_series_becomes_one_open_task_carrying_the_recurrence(
    from_taskwarrior: Imported,
) -> None:
    found = from_taskwarrior[1]
    template = fixture_object("Weekly review", "recurring")
    pending = [
        o
        for o in fixture_objects()
        if (o["description"], o["status"]) == ("Weekly review", "pending")
    ]
    earliest = min(pending, key=lambda o: o["due"])
    review = titled(found, "Weekly review")  # one open task only
    assert review["id"] == earliest["uuid"]
    assert review["recur"] == "weekly"
    assert review["series_id"] == template["uuid"]
    assert review["due"] == tw_instant(earliest["due"])
    done = titled(found, "Weekly review", completed=True)
    assert done["series_id"] == template["uuid"]


def test_completing_the_imported_series_task_makes_the_next_one(
    todo: Todo, from_taskwarrior: Imported
) -> None:
    review = titled(from_taskwarrior[1], "Weekly review")
    ok(todo("done", str(review["number"])))
    successor = titled(tasks(todo), "Weekly review")
    assert successor["series_id"] == review["series_id"]
    assert successor["due"] > review["due"]


def test_the_next_task_of_an_imported_series_carries_its_udas_not_its_hints(
    todo: Todo, tmp_path: Path
) -> None:
    """Taskwarrior clones a template's user-defined attributes into each instance."""
    template = tw(
        description="Water plants",
        status="recurring",
        recur="weekly",
        due="20261102T090000Z",
        mask="+--",
        estimate="2",
        room="kitchen",
    )
    common = {"description": "Water plants", "recur": "weekly", "parent": template["uuid"]}
    carrier = tw(**common, imask=1, due="20261109T090000Z", estimate="2", room="kitchen")
    later = tw(**common, imask=2, due="20261116T090000Z", estimate="2", room="kitchen")
    import_json(todo, write(tmp_path, "series.json", json.dumps([template, carrier, later])))
    (imported,) = tasks(todo)
    ok(todo("done", str(imported["number"])))
    exported = {
        o["id"]: o for o in json.loads(ok(todo("export", "--format", "json", "--all")).stdout)
    }
    successor = next(o for o in exported.values() if not o["completed"])
    assert successor["attributes"].pop("taskwarrior.series")["imask"] > carrier["imask"]
    assert successor["attributes"] == {"estimate": "2", "room": "kitchen"}
    # The series kept from Taskwarrior stays with the task it was kept for.
    assert "taskwarrior.series" in exported[carrier["uuid"]]["attributes"]
    ours = json.loads(ok(todo("export", "--format", "taskwarrior", "--all")).stdout)
    (next_one,) = [o for o in ours if o["uuid"] == successor["id"]]
    assert (next_one["estimate"], next_one["room"]) == ("2", "kitchen")


def test_the_next_task_of_a_series_carries_the_tags_and_project_kept_for_taskwarrior(
    todo: Todo, tmp_path: Path
) -> None:
    # `+@home` and `project:Team Offsite` are none here, kept: the next task has them too.
    due = "20261109T090000Z"
    lone = tw(description="Sync", recur="weekly", due=due, tags=["@home", "ok"])
    lone["project"] = "Team Offsite"
    import_json(todo, write(tmp_path, "series.json", json.dumps([lone])))
    (imported,) = tasks(todo)
    assert (imported["tags"], imported["project"]) == (["ok"], None)
    ok(todo("done", str(imported["number"])))
    ours = json.loads(ok(todo("export", "--format", "taskwarrior", "--all")).stdout)
    instances = [o for o in ours if o["status"] != "recurring"]
    assert len(instances) == 2
    assert {(tuple(o["tags"]), o["project"]) for o in instances} == {
        (("@home", "ok"), "Team Offsite")
    }


def test_the_next_task_of_a_todotxt_series_is_written_in_its_lines_conventions(
    todo: Todo, tmp_path: Path
) -> None:
    # `+phone` a tag written with +, `(D)` for its L: the next task's line has them too,
    # so that todo.sh's `listproj` and `listpri D` still find it.
    line = "(D) Call mom +family +phone @home rec:1w due:2026-12-05"
    import_json(todo, write(tmp_path, "todo.txt", line + "\n"))
    ok(todo("done", "1"))
    exported = ok(todo("export", "--all", "--format", "todotxt")).stdout.splitlines()
    assert exported[0].startswith("x ")
    assert exported[0].endswith(f" {line.removeprefix('(D) ')} pri:D")
    following = exported[1].split(" due:")
    assert following[0] == "(D) Call mom +family +phone @home"
    assert following[1][10:].startswith(" rec:1w uuid:")


def test_a_series_taskwarrior_gave_an_until_ends_there(todo: Todo, tmp_path: Path) -> None:
    # `task add ... recur:weekly until:2026-12-15`: no task due after the 15th.
    lone = tw(description="Limited", recur="weekly", due="20261205T090000Z")
    lone["until"] = "20261215T090000Z"
    import_json(todo, write(tmp_path, "until.json", json.dumps([lone])))
    first = ok(todo("done", "1"))
    assert "next: #2, due 2026-12-12" in first.stderr
    last = ok(todo("done", "2", "--json")).json()
    assert [task["number"] for task in tasks(todo)] == [1, 2]
    assert all(task["completed"] for task in tasks(todo))
    assert last[0]["number"] == 2
    # An until that is no date is left to Taskwarrior: the series goes on.
    other = tw(description="Odd", recur="weekly", due="20261205T090000Z")
    other["until"] = "someday"
    import_json(todo, write(tmp_path, "odd.json", json.dumps([other])))
    assert "next: #4" in ok(todo("done", "3")).stderr


def weekly_series_behind(title: str) -> list[dict[str, Any]]:
    """A weekly series as Taskwarrior leaves it two weeks behind: template, done, 3 pending.

    Instance 0 (15 days ago) done; 1 (8 days ago), 2 (yesterday) and 3 (in six days)
    pending, Taskwarrior having made instances up to the week ahead.
    """
    now = datetime.now(UTC).replace(microsecond=0)

    def at(days: int) -> str:
        return (now + timedelta(days=days)).strftime("%Y%m%dT%H%M%SZ")

    template = tw(description=title, status="recurring", recur="weekly", due=at(-15))
    template["mask"] = "+---"
    common = {"description": title, "recur": "weekly", "parent": template["uuid"]}
    done = tw(**common, imask=0, due=at(-15), status="completed", end=at(-14))
    pending = [tw(**common, imask=index, due=at(7 * index - 15)) for index in (1, 2, 3)]
    return [template, done, *pending]


def test_instances_taskwarrior_made_since_are_kept_though_the_task_is_unchanged(
    todo: Todo, tmp_path: Path
) -> None:
    """Our daily task, overdue, went to Taskwarrior, which made two more instances of it
    without changing the task itself. Imported back (the task unchanged), the series as
    Taskwarrior now keeps it is taken, so our export written back holds those instances
    and Taskwarrior makes none of them twice."""
    now = datetime.now(UTC).replace(microsecond=0)

    def at(days: int) -> str:
        return (now + timedelta(days=days)).strftime("%Y%m%dT%H%M%SZ")

    template = tw(description="Water", status="recurring", recur="daily", due=at(-1), mask="-")
    common = {"description": "Water", "recur": "daily", "parent": template["uuid"]}
    carrier = tw(**common, imask=0, due=at(-1), modified=at(-2))
    import_json(todo, write(tmp_path, "first.json", json.dumps([template, carrier])))
    later = [tw(**common, imask=index, due=at(index - 1), modified=at(-2)) for index in (1, 2)]
    ran = [template | {"mask": "---"}, carrier, *later]
    summary = import_json(todo, write(tmp_path, "ran.json", json.dumps(ran)))
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 1, 0)
    (task,) = tasks(todo)
    assert task["updated_at"] == tw_instant(at(-2))  # the task itself is as it was
    ours = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    by_uuid = {o["uuid"]: o for o in ours}
    assert by_uuid[template["uuid"]]["mask"] == "---"
    assert [by_uuid[o["uuid"]]["imask"] for o in later] == [1, 2]
    again = import_json(todo, write(tmp_path, "again.json", json.dumps(ran)))
    assert (again["updated"], again["unchanged"]) == (0, 1)


def test_the_next_task_of_an_imported_series_is_the_instance_taskwarrior_made_for_it(
    todo: Todo, tmp_path: Path
) -> None:
    """Done here, the series' open task is followed by the occurrence Taskwarrior has.

    The next task (in six days: the one yesterday is passed over, as for any series
    behind) takes that instance's uuid and place, so that our export written back
    into the Taskwarrior data it came from updates that instance instead of adding
    its twin (tests/test_interchange_tools.py does that with the real `task`).
    """
    series = weekly_series_behind("Stretch")
    template, _, carrier, passed_over, ahead = series
    import_json(todo, write(tmp_path, "series.json", json.dumps(series)))
    (imported,) = [t for t in tasks(todo) if not t["completed"]]
    assert imported["id"] == carrier["uuid"]
    (done,) = ok(todo("done", str(imported["number"]), "--json")).json()
    (successor,) = done["created"]
    assert successor["id"] == ahead["uuid"]
    assert successor["due"] == tw_instant(ahead["due"])

    ours = json.loads(ok(todo("export", "--format", "taskwarrior", "--all")).stdout)
    by_uuid = {o["uuid"]: o for o in ours}
    assert by_uuid[template["uuid"]]["mask"] == "++X-"
    assert by_uuid[template["uuid"]]["due"] == template["due"]
    assert (by_uuid[ahead["uuid"]]["imask"], by_uuid[ahead["uuid"]]["status"]) == (3, "pending")
    assert by_uuid[carrier["uuid"]]["status"] == "completed"
    # The one passed over goes back deleted: Taskwarrior would keep it pending.
    assert by_uuid[passed_over["uuid"]]["status"] == "deleted"
    assert len(ours) == 5  # the template, two done, the one passed over, the next one

    # Undone, the next task is gone and the place is free again: done again, it is taken.
    ok(todo("undo"))
    assert [t["id"] for t in tasks(todo) if not t["completed"]] == [carrier["uuid"]]
    (again,) = ok(todo("done", str(imported["number"]), "--json")).json()
    assert again["created"][0]["id"] == ahead["uuid"]


def test_a_dependency_kept_for_taskwarrior_is_written_with_its_task_in_one_change(
    todo: Todo, tmp_path: Path
) -> None:
    """A dependency on a task neither in the file nor here is kept with the task as it
    is written: set after, the task one import added read in history as "added #1;
    edited #1", two journal rows and a statement more."""
    absent = str(uuid4())
    waiting = tw(description="Waits on one not here", depends=[absent], modified="20261120T090000Z")
    summary = import_json(todo, write(tmp_path, "tw.json", json.dumps([waiting])))
    assert (summary["added"], summary["updated"]) == (1, 0)
    (entry,) = ok(todo("history", "--json")).json()
    assert entry["changes"] == [{"table": "tasks", "action": "insert", "rows": 1}]
    assert "edited" not in entry["summary"]

    def written_back() -> list[str]:
        (ours,) = json.loads(ok(todo("export", "--format", "taskwarrior", "--all")).stdout)
        return list(ours["depends"])

    assert written_back() == [absent]
    # Updated from a newer copy: one update of the task, the dependency still kept.
    newer = waiting | {"description": "Waits on it still", "modified": "20261121T090000Z"}
    summary = import_json(todo, write(tmp_path, "tw2.json", json.dumps([newer])))
    assert (summary["added"], summary["updated"]) == (0, 1)
    latest = ok(todo("history", "--json")).json()[0]
    assert latest["changes"] == [{"table": "tasks", "action": "update", "rows": 1}]
    assert written_back() == [absent]
    ok(todo("undo"))
    ok(todo("undo"))
    assert tasks(todo) == []


def test_a_task_waiting_on_a_later_taskwarrior_instance_waits_on_that_one(
    todo: Todo, tmp_path: Path
) -> None:
    """Not imported (the series has its open task here), the later instance a task waits
    on stays its dependency: kept for Taskwarrior, and linked once the series reaches it
    here. It was moved to the series' open task, an earlier date: completing that showed
    the task unblocked, and written back, Taskwarrior's task waited on the wrong date."""
    series = weekly_series_behind("Stretch")
    _, _, carrier, _, ahead = series
    waiting = tw(description="Book the physio", depends=[ahead["uuid"]])
    summary = import_json(todo, write(tmp_path, "series.json", json.dumps([*series, waiting])))
    assert (
        f"task {len(series) + 1}: depends on {ahead['uuid']}, a later instance of a "
        "recurring task, not imported: kept with it for Taskwarrior, not linked here"
    ) in summary["notices"]
    assert titled(tasks(todo), "Book the physio")["depends"] == []

    def written_back() -> list[str]:
        ours = json.loads(ok(todo("export", "--format", "taskwarrior", "--all")).stdout)
        (physio,) = [o for o in ours if o["uuid"] == waiting["uuid"]]
        return list(physio["depends"])

    assert written_back() == [ahead["uuid"]]
    (opened,) = [t for t in tasks(todo) if not t["completed"] and t["id"] == carrier["uuid"]]
    (done,) = ok(todo("done", str(opened["number"]), "--json")).json()
    assert done["created"][0]["id"] == ahead["uuid"]
    assert titled(tasks(todo), "Book the physio")["depends"] == [ahead["uuid"]]
    assert written_back() == [ahead["uuid"]]


def test_a_taskwarrior_change_in_the_second_of_ours_is_left_alone_and_said(
    todo: Todo, tmp_path: Path
) -> None:
    """Taskwarrior keeps whole seconds: a change made there in the second ours was made
    reads older than ours, and was left alone without a word."""
    ok(todo("add", "Call the bank"))
    ours = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    same = write(tmp_path, "same.json", json.dumps(ours))
    quiet = import_json(todo, same)  # our own copy back: nothing to say
    assert (quiet["updated"], quiet["unchanged"], quiet["notices"]) == (0, 1, [])
    ours[0]["description"] = "Call the bank about the card"
    summary = import_json(todo, write(tmp_path, "changed.json", json.dumps(ours)))
    assert (summary["updated"], summary["unchanged"]) == (0, 1)
    assert summary["notices"] == [
        "1 task(s) left as they are: changed in Taskwarrior in the second they last "
        "changed here, which Taskwarrior cannot tell apart (it keeps whole seconds): #1"
    ]
    assert [t["title"] for t in tasks(todo)] == ["Call the bank"]


def test_an_open_instance_deleted_in_taskwarrior_leaves_the_series_going_on(
    todo: Todo, tmp_path: Path
) -> None:
    """`task N delete` of a series' open instance: its template makes the next one. The
    import deleted the open task here and ended the series (its done task lost its
    recurrence) while making the template's next open task, which went on repeating."""
    ok(todo("add", "Pill", "due:2026-12-27", "recur:daily"))
    ok(todo("done", "1"))
    ours = json.loads(ok(todo("export", "--format", "taskwarrior", "--all")).stdout)
    (instance,) = [o for o in ours if o["status"] == "pending"]
    later = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y%m%dT%H%M%SZ")
    instance |= {"status": "deleted", "end": later, "modified": later}
    path = write(tmp_path, "deleted.json", json.dumps(ours))
    summary = import_json(todo, path)
    assert (summary["deleted"], summary["added"]) == (1, 1)
    found = [(t["number"], t["completed"], t["recur"]) for t in tasks(todo)]
    assert found == [(1, True, "daily"), (3, False, "daily")]
    assert "todo import" not in ok(todo("history", "1")).stdout  # #1 was not touched
    again = import_json(todo, path)
    assert (again["added"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert not [n for n in again["notices"] if "imported" in n or "changed here" in n]


def test_a_series_whose_due_was_moved_here_goes_on_without_taskwarriors_count(
    todo: Todo, tmp_path: Path
) -> None:
    """Its due edited off the cadence, the series counts from there: Taskwarrior's index
    of its occurrences no longer says which is which, so nothing of it is kept."""
    series = weekly_series_behind("Stretch")
    import_json(todo, write(tmp_path, "series.json", json.dumps(series)))
    (carrier,) = [t for t in tasks(todo) if not t["completed"]]
    (done,) = ok(todo("done", str(carrier["number"]), "--json")).json()
    (moved,) = done["created"]
    # Back 25 days, off the weekly cadence: four weeks on from there is in 3 days.
    moved_to = (datetime.now(UTC) - timedelta(days=25)).strftime("%Y-%m-%d")
    ok(todo("edit", str(moved["number"]), f"due:{moved_to}"))
    (again,) = ok(todo("done", str(moved["number"]), "--json")).json()
    (following,) = again["created"]
    exported = json.loads(ok(todo("export", "--format", "json")).stdout)
    (kept,) = [o["attributes"] for o in exported if o["id"] == following["id"]]
    assert kept is None or "taskwarrior.series" not in kept
    assert following["id"] not in {o["uuid"] for o in series}
    assert following["due"][:10] > datetime.now(UTC).strftime("%Y-%m-%d")


def test_the_next_task_takes_a_new_id_where_the_instance_s_is_taken(
    todo: Todo, tmp_path: Path
) -> None:
    """A task of the same uuid already here, this user's or another's: the next task's id is
    new, the other task untouched, and the series goes on."""
    mine, theirs = weekly_series_behind("Stretch"), weekly_series_behind("Bend")
    bob = todo.as_user("bob")
    import_json(
        todo, write(tmp_path, "a.json", json.dumps([tw(uuid=mine[-1]["uuid"], description="A")]))
    )
    import_json(
        bob, write(tmp_path, "b.json", json.dumps([tw(uuid=theirs[-1]["uuid"], description="B")]))
    )
    import_json(todo, write(tmp_path, "series.json", json.dumps(mine + theirs)))
    for series in (mine, theirs):
        carrier, ahead = series[2], series[-1]
        (found,) = [t for t in tasks(todo) if t["id"] == carrier["uuid"]]
        (done,) = ok(todo("done", str(found["number"]), "--json")).json()
        (successor,) = done["created"]
        assert successor["id"] != ahead["uuid"]
        assert successor["due"] == tw_instant(ahead["due"])
        exported = json.loads(ok(todo("export", "--format", "json")).stdout)
        (kept,) = [o["attributes"] for o in exported if o["id"] == successor["id"]]
        assert (kept["taskwarrior.series"]["imask"], kept["taskwarrior.series"]["later"]) == (3, [])
    assert [t["title"] for t in tasks(todo) if t["id"] == mine[-1]["uuid"]] == ["A"]
    assert [t["title"] for t in tasks(bob)] == ["B"]


def test_taskwarrior_dates_timed_and_whole_day(
    from_taskwarrior: Imported,
) -> None:
    found = from_taskwarrior[1]
    assert titled(found, "Buy milk")["due"] == "2026-11-24T08:30:00.000000Z"  # 09:30 Berlin
    # Typed as a date, stored by Taskwarrior as 00:00 Berlin: the whole of that day.
    assert titled(found, "Pay rent")["due"] == "2026-12-01T22:59:59.999999Z"
    assert titled(found, "Buy milk")["created_at"] == "2026-11-20T07:15:00.000000Z"


def test_taskwarrior_annotations_are_notes_with_their_times(
    from_taskwarrior: Imported,
) -> None:
    source = fixture_object("Buy milk", "pending")
    assert titled(from_taskwarrior[1], "Buy milk")["notes"] == [
        {"created_at": tw_instant(a["entry"]), "text": a["description"]}
        for a in source["annotations"]
    ]
    assert titled(from_taskwarrior[1], "Plan café ☕ menu")["notes"][0]["text"] == "Ünïcödé note"


def test_taskwarrior_priority_project_and_tags(
    from_taskwarrior: Imported,
) -> None:
    milk = titled(from_taskwarrior[1], "Buy milk")
    assert (milk["priority"], milk["project"], milk["tags"]) == (
        "H",
        "home.kitchen",
        ["errand", "shopping"],
    )
    assert titled(from_taskwarrior[1], "Renew passport")["priority"] == "L"


def test_a_taskwarrior_dependency_is_kept_by_id(
    from_taskwarrior: Imported,
) -> None:
    found = from_taskwarrior[1]
    assert titled(found, "Write report")["depends"] == [titled(found, "Buy milk")["id"]]


class _InZone(Todo):
    """`todo` run in another zone: the same database and user."""

    def __init__(self, todo: Todo, zone: str) -> None:
        super().__init__(todo.url, todo.user)
        self.zone = zone

    @property
    def env(self) -> dict[str, str]:
        return super().env | {"TZ": self.zone}


def test_a_due_at_midnight_set_here_stays_that_instant_after_a_change_in_taskwarrior(
    todo: Todo, tmp_path: Path
) -> None:
    """`due:2027-05-10T00:00` goes to Taskwarrior as that instant, which it shows as a
    date and which reads back as the whole day: each sync named the task as "changed in
    Taskwarrior in the second they last changed here", and a tag added there moved the
    due to the day's end here."""
    ok(todo("add", "Submit form", "due:2027-05-10T00:00"))
    (ours,) = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert ours["due"] == "20270509T220000Z"
    (before,) = tasks(todo)
    # Taskwarrior's copy, as `task import` of ours keeps it: the same.
    same = import_json(todo, write(tmp_path, "same.json", json.dumps([ours])))
    assert (same["updated"], same["unchanged"], same["notices"]) == (0, 1, [])
    # Tagged there: the tag is taken, the due is the one it was.
    tagged = ours | {"tags": ["office"], "modified": "20991201T090000Z"}
    assert import_json(todo, write(tmp_path, "tagged.json", json.dumps([tagged])))["updated"] == 1
    (after,) = tasks(todo)
    assert (after["due"], after["tags"]) == (before["due"], ["office"])
    # Moved there to another midnight: that is a change, the whole day as ever.
    moved = tagged | {"due": "20270510T220000Z", "modified": "20991202T090000Z"}
    assert import_json(todo, write(tmp_path, "moved.json", json.dumps([moved])))["updated"] == 1
    assert tasks(todo)[0]["due"] == "2027-05-11T21:59:59.999999Z"


def test_a_dependency_here_on_a_task_deleted_in_taskwarrior_is_kept_for_it(
    todo: Todo, tmp_path: Path
) -> None:
    """Linked here, the dependency went with the task deleted (as the file has it), though
    the import said it was kept: the next export took it away there from a task nobody
    changed. It is kept with the task and written back, as Taskwarrior keeps it."""
    old = tw(description="Old step", modified="20261120T080000Z")
    main = tw(description="Main", depends=[old["uuid"]], modified="20261120T080000Z")
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([old, main])))))
    gone = old | {"status": "deleted", "end": "20261121T080000Z", "modified": "20261121T080000Z"}
    summary = import_json(todo, write(tmp_path, "deleted.json", json.dumps([gone, main])))
    assert (summary["deleted"], summary["updated"]) == (1, 0)
    assert [f"depends on {old['uuid']}, deleted there: kept" in n for n in summary["notices"]]
    (here,) = tasks(todo)
    assert (here["title"], here["depends"]) == ("Main", [])
    (back,) = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert back["depends"] == [old["uuid"]]
    # Its own dependency removed here is not kept for it: the task's newer copy is ours.
    ok(todo("edit", str(here["number"]), "dep:"))
    (back,) = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert "depends" not in back


def test_of_two_annotations_of_one_text_the_one_taskwarrior_kept_is_kept(
    todo: Todo, tmp_path: Path
) -> None:
    """`task denotate called` took out the first of two "called" notes: the other's time
    (five seconds before, within the shift Taskwarrior gives notes of one second) was
    kept for the one left, and written back so."""
    first = {"entry": "20261120T090005Z", "description": "called"}
    second = {"entry": "20261120T090010Z", "description": "called"}
    both = tw(description="Dup", annotations=[first, second], modified="20261120T090010Z")
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([both])))))
    one = both | {"annotations": [second], "modified": "20261120T090200Z"}
    summary = import_json(todo, write(tmp_path, "one.json", json.dumps([one])))
    assert (summary["updated"], summary["notices"]) == (1, [])
    (here,) = tasks(todo)
    assert here["notes"] == [{"created_at": "2026-11-20T09:00:10.000000Z", "text": "called"}]
    (back,) = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert back["annotations"] == [second]


def test_a_note_removed_in_taskwarrior_is_not_said_lost_as_added_here(
    todo: Todo, tmp_path: Path
) -> None:
    """A note Taskwarrior had, removed there: the import said the task lost "notes added
    here" and that todo undo brings them back. One added here and not there still is."""
    note = {"entry": "20261120T090010Z", "description": "number is 555-1234"}
    made = tw(description="Call plumber", annotations=[note], modified="20261120T090010Z")
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([made])))))
    removed = made | {"annotations": [], "modified": "20261120T090200Z"}
    summary = import_json(todo, write(tmp_path, "removed.json", json.dumps([removed])))
    assert (summary["updated"], summary["notices"]) == (1, [])
    assert tasks(todo)[0]["notes"] == []
    ok(todo("note", "1", "Ask for Tuesday"))
    later = removed | {"priority": "H", "modified": "20991201T090000Z"}
    summary = import_json(todo, write(tmp_path, "later.json", json.dumps([later])))
    assert summary["notices"] == [
        "1 task(s) updated from the file's newer copy lose notes added here that the "
        "file does not have (removed there, or added here after its copy: todo undo brings "
        "them back): #1"
    ]


def test_a_task_completed_while_started_in_taskwarrior_goes_back_as_it_was(
    todo: Todo, tmp_path: Path
) -> None:
    """`task modify status:completed` keeps `start`: our export dropped it, `task import`
    changed the task there, and the next sync read "1 updated"."""
    done = tw(
        description="Report",
        status="completed",
        start="20261120T090010Z",
        end="20261120T090020Z",
        modified="20261120T090020Z",
    )
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([done])))))
    (back,) = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert (back["start"], back["end"], back["modified"]) == (
        done["start"],
        done["end"],
        done["modified"],
    )


def test_a_cycle_of_a_link_kept_here_and_one_of_the_file_names_the_tasks(
    todo: Todo, tmp_path: Path
) -> None:
    """A link made here and the reverse one made in Taskwarrior: each side allowed its
    own. The refusal named the tasks by uuid alone, and not how to get out of it."""
    flight = tw(description="Book flight", modified="20261120T080000Z")
    visa = tw(description="Get visa", modified="20261120T080000Z")
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([flight, visa])))))
    ok(todo("edit", "1", "dep:2"))
    there = visa | {"depends": [flight["uuid"]], "modified": "20991201T090000Z"}
    before = tasks(todo)
    result = todo("import", str(write(tmp_path, "there.json", json.dumps([flight, there]))))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "error: the dependencies make a cycle: #2 'Get visa' -> #1 'Book flight' -> "
        "#2 'Get visa' (each waits on the next) (a link kept here (changed here since the "
        "file's copy) and one of the file close it: take one out, here with todo edit N "
        "dep:-M or in the file, and import again; nothing was imported)"
    )
    assert tasks(todo) == before


@pytest.mark.parametrize("elsewhere", ["UTC", "America/New_York"])
@pytest.mark.parametrize(
    "due",
    [
        "20270327T230000Z",  # 2027-03-28 00:00 in Berlin: a day of 23 hours there
        "20261206T230000Z",  # 2026-12-07 00:00 in Berlin
    ],
)
def test_a_whole_day_due_goes_back_to_taskwarrior_as_it_was_from_any_zone(
    todo: Todo, tmp_path: Path, elsewhere: str, due: str
) -> None:
    """A due at 00:00 in Berlin is a whole day here, kept as its last microsecond in
    Berlin. Exported from another zone it was no longer 00:00 there, and went back as
    23:59:59 that day: Taskwarrior took the change nobody made."""
    made = tw(description="Pay rent", due=due, modified="20261201T080000Z")
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([made])))))
    (here,) = tasks(todo)
    assert here["due"].endswith("59:59.999999Z")  # the whole day
    for zone in (todo, _InZone(todo, elsewhere)):
        (back,) = json.loads(ok(zone("export", "--format", "taskwarrior")).stdout)
        assert (back["due"], back["modified"]) == (due, made["modified"])
    # Changed here, the due is ours: the whole of 2 April in Berlin, where it was set.
    ok(todo("edit", "1", "due:2027-04-02"))
    (back,) = json.loads(ok(_InZone(todo, elsewhere)("export", "--format", "taskwarrior")).stdout)
    assert back["due"] == "20270402T215959Z"


def test_a_task_started_there_and_done_here_is_no_longer_started(
    todo: Todo, tmp_path: Path
) -> None:
    """`task done` takes `start` away. `todo done` kept it: `todo show` listed a done
    task as started, and the next sync read Taskwarrior's copy as a change."""
    started = tw(description="Write report", start="20261201T090000Z", modified="20261201T090000Z")
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([started])))))
    assert "start:" in ok(todo("show", "1")).stdout
    ok(todo("done", "1"))
    assert "start:" not in ok(todo("show", "1")).stdout
    (ours,) = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    assert "start" not in ours
    # Taskwarrior's copy of it, after `task import` of ours: nothing to take.
    there = ours | {"modified": "20991201T090000Z"}
    summary = import_json(todo, write(tmp_path, "back.json", json.dumps([there])))
    assert (summary["updated"], summary["unchanged"]) == (0, 1)


def test_a_task_taskwarrior_holds_as_ours_is_not_said_left_alone(
    todo: Todo, tmp_path: Path
) -> None:
    """`todo done` undone here: the task changed here (later `modified`), its content
    as Taskwarrior has it. `task import` of our export skips it, keeping its older
    stamp, and every sync named it as left alone "changed here", though the copies are
    the same. One whose content differs is still named."""
    made = [
        tw(description="Write report", modified="20261201T080000Z"),
        tw(description="Other", modified="20261201T080000Z"),
    ]
    source = write(tmp_path, "tw.json", json.dumps(made))
    ok(todo("import", str(source)))
    ok(todo("done", "1"))
    ok(todo("undo"))
    ok(todo("edit", "2", "Other here"))
    summary = import_json(todo, source)
    assert (summary["updated"], summary["unchanged"]) == (0, 2)
    assert summary["notices"] == [
        "1 task(s) left as they are: changed here since the file's copy of them: #2"
    ]


def test_a_taskwarrior_series_done_under_another_zone_stays_on_its_days(
    todo: Todo, tmp_path: Path
) -> None:
    """A weekly Berlin series (its first instance alone) done under New York in the week
    Berlin's clocks change: stepped in New York, the next whole day came out an hour
    late in Berlin (00:59 the next day), the template was rewritten to it, and every
    instance Taskwarrior made afterwards was a day late. It is stepped in Berlin, where
    it was imported, and goes back as that day's 00:00 there."""
    series = str(uuid4())
    template = tw(
        uuid=series, description="Bins", status="recurring", recur="weekly",
        due="20270324T230000Z", mask="-",
    )  # fmt: skip
    instance = tw(
        description="Bins", parent=series, imask=0, recur="weekly", due="20270324T230000Z"
    )
    ok(todo("import", str(write(tmp_path, "tw.json", json.dumps([template, instance])))))
    away = _InZone(todo, "America/New_York")
    (done,) = ok(away("done", "1", "--json")).json()
    (following,) = done["created"]
    assert following["due"] == "2027-04-01T21:59:59.999999Z"  # 1 April, all of it in Berlin
    written = {
        o["uuid"]: o for o in json.loads(ok(away("export", "--format", "taskwarrior")).stdout)
    }
    assert (written[series]["due"], written[series]["mask"]) == ("20270324T230000Z", "+-")
    assert written[following["id"]]["due"] == "20270331T220000Z"  # 00:00 on 1 April in Berlin


def test_taskwarrior_depends_as_the_old_comma_string(todo: Todo, tmp_path: Path) -> None:
    first, second = tw(description="First"), tw(description="Second")
    third = tw(description="Third", depends=f"{second['uuid']},{first['uuid']}")
    import_json(todo, write(tmp_path, "old.json", json.dumps([first, second, third])))
    assert titled(tasks(todo), "Third")["depends"] == sorted([first["uuid"], second["uuid"]])


def test_taskwarrior_udas_are_kept_and_exported_back(todo: Todo) -> None:
    import_json(todo, TASKWARRIOR / "export.json")
    exported = {
        o["uuid"]: o
        for o in json.loads(ok(todo("export", "--format", "taskwarrior", "--all")).stdout)
    }
    report = fixture_object("Write report", "pending")
    assert float(exported[report["uuid"]]["estimate"]) == report["estimate"] == 3
    cafe = fixture_object("Plan café ☕ menu", "pending")
    for key in ("scheduled", "until", "start"):
        assert exported[cafe["uuid"]][key] == cafe[key]


def test_show_lists_what_an_import_kept_that_todo_has_no_field_for(
    todo: Todo, tmp_path: Path
) -> None:
    source = write(
        tmp_path,
        "uda.json",
        json.dumps(
            [
                {
                    "uuid": str(uuid4()),
                    "description": "Write report",
                    "entry": "20261101T090000Z",
                    "estimate": "3h",
                    "points": 5,
                    "client": "\x1b[31mACME",
                    # Kept as a list: its controls in the one notation (JSON's is
                    # \u001b for ESC and none for a C1 character), a backslash as JSON's.
                    "tags": ["bad\x1b[2J", "c1\x9b31m", "back\\slash", "ok"],
                }
            ]
        ),
    )
    import_json(todo, source)
    shown = ok(todo("show", "1")).stdout
    assert shown.endswith(
        "  kept from its import:\n    client: \\x1b[31mACME\n    estimate: 3h\n    points: 5\n"
        '    taskwarrior.tags: ["back\\\\slash", "bad\\x1b[2J", "c1\\x9b31m"]\n'
    ), shown


def test_taskwarrior_export_is_what_task_import_reads(todo: Todo) -> None:
    import_json(todo, TASKWARRIOR / "export.json")
    exported = json.loads(ok(todo("export", "--format", "taskwarrior", "--all")).stdout)
    assert all({"uuid", "description", "status", "entry", "modified"} <= o.keys() for o in exported)
    by_uuid = {o["uuid"]: o for o in exported}
    for source in fixture_objects():
        if source["uuid"] not in by_uuid or source["status"] == "recurring":
            continue  # the template is made again from the series' open task
        back = by_uuid[source["uuid"]]
        for key in ("description", "entry", "due", "wait", "end", "priority", "project", "tags"):
            assert back.get(key) == source.get(key), (source["description"], key)
    template = fixture_object("Weekly review", "recurring")
    assert by_uuid[template["uuid"]]["status"] == "recurring"
    assert by_uuid[template["uuid"]]["recur"] == "weekly"


# --- todo.txt: what todo.sh wrote ---------------------------------------------------------------


@pytest.fixture
def from_todotxt(todo: Todo) -> Imported:
    summary = import_json(todo, TODOTXT / "todo.txt")
    return summary, tasks(todo)


def test_todotxt_a_uuid_word_in_a_title_that_is_no_uuid_is_title_text(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    ok(todo("add", "--", "Ask about uuid:1234 error"))
    ok(todo("add", "Normal task"))
    exported = ok(todo("export", "--format", "todotxt"))
    assert "note" not in exported.stderr  # it reads back as it went out
    source = write(tmp_path, "todo.txt", exported.stdout)
    other = databases.on(backend)
    summary = import_json(other, source)
    assert (summary["added"], summary["problems"]) == (2, [])
    assert summary["notices"] == ["line 1: uuid:1234 kept in the title: not a UUID"]
    assert [t["title"] for t in tasks(other)] == ["Ask about uuid:1234 error", "Normal task"]
    assert [t["id"] for t in tasks(other)] == [t["id"] for t in tasks(todo)]
    assert import_json(other, source)["unchanged"] == 2


def test_todotxt_done_lines_keep_their_completion_and_creation_dates(
    from_todotxt: Imported,
) -> None:
    photos = titled(from_todotxt[1], "Sort photos", completed=True)  # x 2026-11-30 2026-11-30
    assert photos["completed_at"] == "2026-11-29T23:00:00.000000Z"  # 00:00 Berlin
    assert photos["created_at"] == "2026-11-29T23:00:00.000000Z"
    assert titled(from_todotxt[1], "Call mom", completed=True)["priority"] is None


def test_todotxt_done_line_dates_are_completion_then_creation(todo: Todo, tmp_path: Path) -> None:
    import_json(todo, write(tmp_path, "todo.txt", "x 2026-11-25 2026-11-20 Call the plumber\n"))
    (task,) = tasks(todo)
    assert task["completed_at"] == "2026-11-24T23:00:00.000000Z"  # 00:00 Berlin
    assert task["created_at"] == "2026-11-19T23:00:00.000000Z"


@pytest.mark.parametrize(
    ("letter", "priority"), [("A", "H"), ("B", "M"), ("C", "L"), ("D", "L"), ("Z", "L")]
)
def test_todotxt_priorities_a_to_c_are_h_m_l_and_later_letters_l(
    todo: Todo, tmp_path: Path, letter: str, priority: str
) -> None:
    summary = import_json(todo, write(tmp_path, "todo.txt", f"({letter}) Lettered task\n"))
    assert tasks(todo)[0]["priority"] == priority
    reported = [n for n in summary["notices"] if f"({letter})" in n]
    assert reported == ([] if letter in "ABC" else [f"line 1: priority ({letter}) imported as L"])


def test_todotxt_fixture_priorities_and_the_one_reported(
    from_todotxt: Imported,
) -> None:
    summary, found = from_todotxt
    assert titled(found, "Pay rent")["priority"] == "M"  # (B)
    assert titled(found, "Water plants")["priority"] == "L"  # (D), reported
    assert "line 3: priority (D) imported as L" in summary["notices"]


def test_todotxt_first_project_is_the_project_and_the_rest_are_tags(
    from_todotxt: Imported,
) -> None:
    gift = titled(from_todotxt[1], "Buy gift", completed=True)  # @shop +xmas +family
    assert (gift["project"], gift["tags"]) == ("xmas", ["family", "shop"])
    plants = titled(from_todotxt[1], "Water plants")  # +home +garden @home
    assert (plants["project"], plants["tags"]) == ("home", ["garden", "home"])


def test_todotxt_due_wait_and_both_kinds_of_rec(
    from_todotxt: Imported,
) -> None:
    found = from_todotxt[1]
    assert titled(found, "Pay rent")["due"] == "2026-12-01T22:59:59.999999Z"
    plants, bike = titled(found, "Water plants"), titled(found, "Fix bike")
    assert (plants["recur"], plants["due"]) == ("weekly", "2026-12-02T22:59:59.999999Z")
    assert bike["recur"] == "1w"  # after completion
    assert titled(found, "Review quarterly goals")["wait"] == "2026-12-09T23:00:00.000000Z"


def test_todotxt_other_key_values_stay_in_the_title(
    from_todotxt: Imported,
) -> None:
    flights = titled(from_todotxt[1], "Book flights url:https://example.org/f")
    assert (flights["project"], flights["tags"]) == ("travel", ["laptop"])


def test_todotxt_export_names_the_tasks_whose_title_would_not_read_back(
    todo: Todo, tmp_path: Path, databases: Databases, backend: str
) -> None:
    # "due:2027-01-05" in a title is written as it is (todo.txt has no escape), so the
    # export names the task whose title comes back as a due date, rather than only
    # counting it. "due:soon" is no date: it comes back as a word of the title, said so,
    # and no longer makes the file's own import refuse every task in it.
    for title in ("Plain", "Meet at due:soon with Bob", "Pay by due:2027-01-05 latest"):
        ok(todo("add", title))
    out = tmp_path / "todo.txt"
    result = ok(todo("export", "--format", "todotxt", "-o", str(out)))
    assert result.stderr == (
        "note: todo.txt: 1 task(s): title does not read back the same from todo.txt: #3\n"
        "note: todo.txt: 1 task(s): due does not read back the same from todo.txt: #3\n"
    )
    other = databases.on(backend)
    summary = import_json(other, out)
    assert summary["added"] == 3
    assert (
        "line 2: due:soon kept in the title: not a date such as 2026-12-24" in (summary["notices"])
    )
    assert sorted(t["title"] for t in tasks(other)) == [
        "Meet at due:soon with Bob",
        "Pay by latest",
        "Plain",
    ]


def test_todotxt_done_file_imports_as_completed_tasks(todo: Todo) -> None:
    summary = import_json(todo, TODOTXT / "done.txt")
    assert summary["added"] == 2
    insurance = titled(tasks(todo), "Renew insurance", completed=True)  # pri:B of a done line
    assert (insurance["priority"], insurance["project"]) == ("M", "home")
    assert titled(tasks(todo), "Clean desk", completed=True)["tags"] == ["office"]


def test_todotxt_import_twice_duplicates_nothing(todo: Todo) -> None:
    import_json(todo, TODOTXT / "todo.txt")
    before = tasks(todo)
    again = import_json(todo, TODOTXT / "todo.txt")
    assert (again["added"], again["unchanged"]) == (0, len(before))
    assert tasks(todo) == before


def test_todotxt_update_changes_what_the_line_holds_and_keeps_the_rest(
    todo: Todo, tmp_path: Path
) -> None:
    for args in (["Task one", "+a", "-d", "my desc"], ["Other"]):
        assert todo("add", *args).exit_code == 0
    assert todo("edit", "1", "dep:2").exit_code == 0
    assert todo("note", "1", "hi").exit_code == 0
    exported = todo("export", "--format", "todotxt").stdout
    edited = "".join(
        f"(A) {line.replace('Task one @a', 'Task uno @a @b')}" if "Task one" in line else line
        for line in exported.splitlines(keepends=True)
    )
    source = write(tmp_path, "todo.txt", edited)
    result = todo("import", str(source), "--json")
    assert result.exit_code == 0, result.stderr
    assert (result.json()["updated"], result.json()["unchanged"]) == (1, 1)
    task = titled(tasks(todo), "Task uno")
    assert (task["priority"], task["tags"]) == ("H", ["a", "b"])
    assert task["description"] == "my desc"
    assert [note["text"] for note in task["notes"]] == ["hi"]
    assert len(task["depends"]) == 1


@pytest.mark.parametrize("name", ["tasks.json", "todo.txt"])
def test_a_utf16_file_is_refused_as_utf16(todo: Todo, tmp_path: Path, name: str) -> None:
    # Read as UTF-8 it was "holds no JSON array or object" or "not valid UTF-8".
    source = write(tmp_path, name, '[{"title": "x"}]'.encode("utf-16"))
    result = todo("import", str(source))
    assert result.exit_code == 2
    assert f"{name} is UTF-16 text" in result.stderr
    assert tasks(todo) == []


def test_a_pretty_printed_object_is_one_task_not_a_broken_json_line(
    todo: Todo, tmp_path: Path
) -> None:
    # `todo show 1 --json > one.json` (or a task from `jq .`) was refused:
    # "line 1 is not valid JSON".
    assert todo("add", "Renew passport", "+admin", "due:2026-12-24").exit_code == 0
    shown = todo("show", "1", "--json").stdout
    assert shown.startswith("{\n")
    source = write(tmp_path, "one.json", shown)
    summary = import_json(todo, source)
    assert (summary["added"], summary["unchanged"]) == (0, 1)
    other = write(
        tmp_path,
        "tw.json",
        json.dumps(
            {
                "uuid": str(uuid4()),
                "description": "From task",
                "status": "pending",
                "entry": "20261124T093000Z",
                "tags": ["home"],
            },
            indent=4,
        ),
    )
    assert import_json(todo, other)["added"] == 1
    assert titled(tasks(todo), "From task")["tags"] == ["home"]
    both = write(tmp_path, "both.json", shown + todo("show", "2", "--json").stdout)
    assert import_json(todo, both)["unchanged"] == 2


def test_todotxt_own_export_comes_back_unchanged_with_its_times_of_day(
    todo: Todo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # todo.txt holds a due's and a wait's day only. Read back, the export of a
    # task due at 17:00 moved it to the end of the day and let a task waiting
    # until later today show: counted "updated", and journaled as an edit.
    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert todo("add", "A", "wait:4h", "due:2026-12-24T17:00", "pri:M").exit_code == 0
    before = tasks(todo)
    exported = todo("export", "--format", "todotxt").stdout
    source = write(tmp_path, "todo.txt", exported)
    again = todo("import", str(source), "--json")
    assert again.exit_code == 0, again.stderr
    assert (again.json()["updated"], again.json()["unchanged"]) == (0, 1)
    assert tasks(todo) == before
    # A change on the line takes what changed and keeps the times of the rest.
    write(tmp_path, "todo.txt", exported.replace("(B) ", "(A) ", 1))
    assert todo("import", str(source), "--json").json()["updated"] == 1
    task = tasks(todo)[0]
    assert (task["priority"], task["due"], task["wait"]) == (
        "H",
        before[0]["due"],
        before[0]["wait"],
    )
    assert task["due"] == "2026-12-24T16:00:00.000000Z"


def test_todotxt_on_stdin_from_a_file_has_that_files_time(todo: Todo, tmp_path: Path) -> None:
    """`todo import - < todo.txt` is the same file as `todo import todo.txt`: an older file
    leaves a task changed here since alone, as the named file does."""
    assert todo("add", "Task two").exit_code == 0
    exported = todo("export", "--format", "todotxt").stdout
    source = write(tmp_path, "todo.txt", exported.replace("Task two", "Task two, as it was"))
    an_hour_ago = time.time() - 3600
    os.utime(source, (an_hour_ago, an_hour_ago))
    assert todo("edit", "1", "pri:H").exit_code == 0
    with open(source, "rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "todo_cli", "import", "-", "--json"],
            stdin=stdin,
            capture_output=True,
            env=dict(os.environ) | todo.env,
            cwd=REPO,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["updated"], summary["unchanged"]) == (0, 1)
    assert titled(tasks(todo), "Task two")["priority"] == "H"


def test_todotxt_from_a_pipe_never_undoes_a_change_made_here(todo: Todo) -> None:
    """A pipe has no time: a line that differs may be a stale copy of a task changed
    here since. It is left alone and said so, never taken over the change."""
    assert todo("add", "Buy bread").exit_code == 0
    stale = todo("export", "--format", "todotxt").stdout
    assert todo("edit", "1", "--title", "Buy sourdough bread", "pri:H").exit_code == 0
    before = tasks(todo)
    done = todo.process("import", "-", "--json", input=stale.encode())
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 1)
    assert summary["notices"] == [
        "1 task(s) differ from the todo.txt read from a pipe, and were left as they are: a "
        "pipe has no time to tell which is newer (import the file by name, or as todo import "
        "- < FILE, to take its changes)"
    ]
    assert tasks(todo) == before


def test_todotxt_written_before_a_change_here_leaves_the_task_alone(
    todo: Todo, tmp_path: Path
) -> None:
    assert todo("add", "Task two").exit_code == 0
    exported = todo("export", "--format", "todotxt").stdout
    source = write(tmp_path, "todo.txt", exported.replace("Task two", "Task two, as it was"))
    an_hour_ago = time.time() - 3600
    os.utime(source, (an_hour_ago, an_hour_ago))
    assert todo("edit", "1", "pri:H", "+newer").exit_code == 0
    result = todo("import", str(source), "--json")
    assert result.exit_code == 0, result.stderr
    assert (result.json()["updated"], result.json()["unchanged"]) == (0, 1)
    assert "changed here after the file was written" in " ".join(result.json()["notices"])
    task = titled(tasks(todo), "Task two")
    assert (task["priority"], task["tags"]) == ("H", ["newer"])
    os.utime(source)  # written now: newer than the change here
    assert todo("import", str(source)).exit_code == 0
    assert titled(tasks(todo), "Task two, as it was")["tags"] == []


@pytest.mark.parametrize("fmt", ["json", "taskwarrior"])
def test_an_older_copy_of_a_task_is_left_alone_and_said_so(
    todo: Todo, tmp_path: Path, fmt: str
) -> None:
    ok(todo("add", "Write the report"))
    ok(todo("add", "Call the bank"))
    old = ok(todo("export", "--format", fmt, "-o", str(tmp_path / "old.json")))
    assert old.exit_code == 0
    if fmt == "taskwarrior":
        time.sleep(1.1)  # Taskwarrior keeps whole seconds: a change within one is not later
    ok(todo("edit", "1", "Write the quarterly report"))
    summary = import_json(todo, tmp_path / "old.json")
    assert (summary["updated"], summary["unchanged"]) == (0, 2)
    assert summary["notices"] == [
        "1 task(s) left as they are: changed here since the file's copy of them: #1"
    ]
    assert [t["title"] for t in tasks(todo)] == ["Write the quarterly report", "Call the bank"]
    again = ok(todo("export", "--format", fmt, "-o", str(tmp_path / "new.json")))
    assert again.exit_code == 0
    assert import_json(todo, tmp_path / "new.json")["notices"] == []


def _rewritten(source: Path, text: str) -> Path:
    """The todo.txt file as a todo.txt tool leaves it after the import before."""
    source.write_text(text, encoding="utf-8")
    later = time.time() + 1
    os.utime(source, (later, later))
    return source


@pytest.mark.parametrize("how", ["todotxt", "json"])
def test_reopening_a_task_an_import_completed_takes_back_the_next_task_it_made(
    todo: Todo, tmp_path: Path, how: str
) -> None:
    # As `todo done 1; todo reopen 1` does: one open task of the series, never two.
    ok(todo("add", "Pay rent", "due:2026-12-31", "recur:monthly"))
    if how == "todotxt":
        line = ok(todo("export", "--format", "todotxt")).stdout
        source = write(tmp_path, "todo.txt", "x 2026-12-06 " + line)
    else:
        document = json.loads(ok(todo("export")).stdout)
        later = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        document[0] |= {"completed": True, "completed_at": later, "updated_at": later}
        source = write(tmp_path, "done.json", json.dumps(document))
    assert import_json(todo, source)["created"] == 1
    result = ok(todo("reopen", "1"))
    assert result.stderr == "reopened #1: Pay rent\n  took back #2, the next of its series\n"
    assert [(t["number"], t["completed"]) for t in tasks(todo)] == [(1, False)]
    ok(todo("undo"))
    assert [(t["number"], t["completed"]) for t in tasks(todo)] == [(1, True), (2, False)]


def test_reopening_an_earlier_task_leaves_the_next_task_a_later_completion_made(
    todo: Todo, tmp_path: Path
) -> None:
    # Two completions read from todo.txt on one day are both at its midnight: the open
    # task the second made was taken back by reopening the first, as if the first's.
    source = write(tmp_path, "todo.txt", "2026-12-01 Water plants due:2026-12-07 rec:+1w\n")
    ok(todo("import", str(source)))
    for _ in range(2):
        line = ok(todo("export", "--format", "todotxt")).stdout
        _rewritten(source, "x 2026-12-06 " + line)
        assert import_json(todo, source)["created"] == 1
    result = ok(todo("reopen", "1"))
    assert result.stderr == (
        "reopened #1: Water plants\n  #1 left its series: a later one, #3, is open\n"
    )
    assert [(t["number"], t["completed"], t["due"][:10]) for t in tasks(todo)] == [
        (1, False, "2026-12-07"),
        (2, True, "2026-12-14"),
        (3, False, "2026-12-21"),
    ]


def test_todotxt_a_task_done_the_day_it_was_made_is_not_done_before_it_was_made(
    todo: Todo, tmp_path: Path
) -> None:
    # todo.txt keeps the day done: its midnight came before the task's making, and
    # Taskwarrior refused the export ("the 'entry' date is after the 'end' date").
    ok(todo("add", "Buy milk"))
    line = ok(todo("export", "--format", "todotxt")).stdout
    today = datetime.now().astimezone().date().isoformat()
    source = write(tmp_path, "todo.txt", f"x {today} {line}")
    ok(todo("import", str(source)))
    (task,) = tasks(todo)
    assert task["completed"] is True
    assert task["completed_at"] >= task["created_at"]
    assert task["completed_at"][:10] == task["created_at"][:10]


def test_todotxt_a_recurring_task_done_there_goes_on_here_once(todo: Todo, tmp_path: Path) -> None:
    """todo.sh's `do` makes no next task of a `rec:` line: the import makes it, as
    `todo done` does, and importing the same file again makes no second one."""
    source = write(tmp_path, "todo.txt", "2026-12-01 Pay rent due:2026-12-01 rec:+1m\n")
    assert import_json(todo, source)["added"] == 1
    _rewritten(source, "x 2026-12-03 2026-12-01 Pay rent due:2026-12-01 rec:+1m\n")
    dry = ok(todo("import", "--dry-run", str(source))).stderr.splitlines()
    assert dry[0] == (
        "would import from todotxt: 0 added, 1 updated, 1 next of a series made, "
        "0 unchanged, 0 skipped"
    )
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["created"]) == (0, 1, 1)
    assert summary["notices"] == [
        "line 1: #1 'Pay rent' done, so its series goes on: next #2, due 2027-01-01"
    ]
    done, following = tasks(todo)
    assert (done["number"], done["completed"]) == (1, True)
    assert (following["number"], following["completed"]) == (2, False)
    assert (following["title"], following["recur"]) == ("Pay rent", done["recur"])
    assert following["due"].startswith("2027-01-01")
    assert following["series_id"] == done["series_id"]
    again = import_json(todo, source)
    assert (again["added"], again["updated"], again["unchanged"], again["notices"]) == (
        0,
        0,
        1,
        [],
    )
    assert len(tasks(todo)) == 2
    ok(todo("undo"))  # the import, the next task with it
    assert [(t["number"], t["completed"]) for t in tasks(todo)] == [(1, False)]


def test_todotxt_a_recurring_task_done_there_with_its_next_line_makes_no_other(
    todo: Todo, tmp_path: Path
) -> None:
    """A todo.txt tool that writes the next line itself (rec: add-ons do): that line is
    the series' open task, and the import makes none besides."""
    source = write(tmp_path, "todo.txt", "2026-12-01 Pay rent due:2026-12-01 rec:+1m\n")
    import_json(todo, source)
    _rewritten(
        source,
        "x 2026-12-03 2026-12-01 Pay rent due:2026-12-01 rec:+1m\n"
        "2026-12-03 Pay rent due:2027-01-01 rec:+1m\n",
    )
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["notices"]) == (1, 1, [])
    assert [(t["completed"], t["due"][:10]) for t in tasks(todo)] == [
        (True, "2026-12-01"),
        (False, "2027-01-01"),
    ]


@pytest.mark.parametrize("uuid_copied", [True, False], ids=["uuid-copied", "uuid-dropped"])
@pytest.mark.parametrize("next_first", [False, True], ids=["done-first", "next-first"])
def test_todotxt_a_tool_completing_a_task_made_here_writes_its_next_line_and_no_twin(
    todo: Todo, tmp_path: Path, uuid_copied: bool, next_first: bool
) -> None:
    """topydo, Simpletask and rec: add-ons complete a recurring line by marking it `x`
    and adding a copy with the next due. A task made here is exported with `uuid:`: the
    copy carried it too (refused: "already the id of line 1") or not (the import made a
    next task of its own beside the file's: two open tasks in one series)."""
    ok(todo("add", "Water plants", "due:2030-03-07", "recur:weekly"))
    line = ok(todo("export", "--format", "todotxt")).stdout.strip()
    assert " uuid:" in line
    following = line.replace("due:2030-03-07", "due:2030-03-14")
    if not uuid_copied:
        following = following.split(" uuid:")[0]
    lines = [f"x 2030-03-06 {line}", following]
    source = write(tmp_path, "todo.txt", "\n".join(lines[::-1] if next_first else lines) + "\n")
    after = _done_and_its_next(todo, source)
    # Completed here in turn, the series goes on once more.
    ok(todo("done", str(after["number"])))
    assert [t["completed"] for t in tasks(todo)] == [True, True, False]


def _done_and_its_next(todo: Todo, source: Path) -> dict[str, Any]:
    """Import `source` (written after the task was made): the task done, due 2030-03-07,
    and one next task of its series, due a week later; importing again changes nothing.
    The next task is returned."""
    os.utime(source, (time.time() + 1, time.time() + 1))
    summary = import_json(todo, source)
    said = [n for n in summary["notices"] if not n.startswith("also read ")]  # done.txt
    assert (summary["added"], summary["updated"], said) == (1, 1, [])
    done, after = tasks(todo)
    assert [(t["completed"], t["due"][:10]) for t in (done, after)] == [
        (True, "2030-03-07"),
        (False, "2030-03-14"),
    ]
    assert after["series_id"] == done["series_id"]
    again = import_json(todo, source)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)
    return after


def _made_here(todo: Todo, *words: str) -> tuple[str, str]:
    """A recurring task made here, as todo.txt has it: its line, and its `uuid:` word."""
    ok(todo("add", *words))
    line = ok(todo("export", "--format", "todotxt")).stdout.strip()
    return line, "uuid:" + line.split(" uuid:")[1]


@pytest.mark.parametrize("uuid_copied", [True, False], ids=["uuid-copied", "uuid-dropped"])
def test_todotxt_the_next_line_beside_the_done_one_archived_in_done_txt(
    todo: Todo, tmp_path: Path, uuid_copied: bool
) -> None:
    """Auto-archive (topydo, Simpletask) moves the done line to done.txt; the next line
    stays in todo.txt. Read apart, the next line was another task (two open), or, with
    the uuid copied, the task reopened (its completion lost)."""
    _, uuid = _made_here(todo, "Water plants", "+home", "due:2030-03-07", "recur:weekly")
    write(
        tmp_path,
        "done.txt",
        f"x 2030-03-06 2030-03-01 Water plants @home due:2030-03-07 rec:+1w {uuid}\n",
    )
    tail = f" {uuid}" if uuid_copied else ""
    source = write(
        tmp_path, "todo.txt", f"2030-03-06 Water plants @home due:2030-03-14 rec:+1w{tail}\n"
    )
    _done_and_its_next(todo, source)


@pytest.mark.parametrize("uuid_copied", [True, False], ids=["uuid-copied", "uuid-dropped"])
def test_todotxt_an_after_completion_task_done_early_has_its_next_line_taken(
    todo: Todo, tmp_path: Path, uuid_copied: bool
) -> None:
    """`rec:2w` counts from the day it was done: done early, its next is due before the
    done one's due, as `todo done` makes it. That line was refused (uuid copied) or
    made a second open task (not)."""
    line, uuid = _made_here(todo, "Haircut", "due:2030-03-20", "recur:2w")
    following = line.replace("due:2030-03-20", "due:2030-03-18")
    if not uuid_copied:
        following = following.replace(f" {uuid}", "")
    source = write(tmp_path, "todo.txt", f"x 2030-03-04 {line}\n{following}\n")
    os.utime(source, (time.time() + 1, time.time() + 1))
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["notices"]) == (1, 1, [])
    assert [(t["completed"], t["due"][:10]) for t in tasks(todo)] == [
        (True, "2030-03-20"),
        (False, "2030-03-18"),
    ]


def test_todotxt_two_completions_of_one_series_with_the_uuid_copied_are_taken(
    todo: Todo, tmp_path: Path
) -> None:
    # Completed twice in a todo.txt tool between two syncs: refused as one uuid twice.
    line, _ = _made_here(todo, "Water", "due:2030-03-07", "recur:weekly")
    source = write(
        tmp_path,
        "todo.txt",
        f"x 2030-03-05 {line}\n"
        f"x 2030-03-06 {line.replace('due:2030-03-07', 'due:2030-03-14')}\n"
        f"{line.replace('due:2030-03-07', 'due:2030-03-21')}\n",
    )
    os.utime(source, (time.time() + 1, time.time() + 1))
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"]) == (2, 1)
    listed = tasks(todo)
    assert sorted((t["completed"], t["due"][:10]) for t in listed) == [
        (False, "2030-03-21"),
        (True, "2030-03-07"),
        (True, "2030-03-14"),
    ]
    assert len({t["series_id"] for t in listed}) == 1
    assert import_json(todo, source)["unchanged"] == 3


def test_todotxt_a_done_task_in_both_files_with_its_due_edited_is_one_task(
    todo: Todo, tmp_path: Path
) -> None:
    # Its todo.txt copy is due a day later than done.txt's (edited, then exported):
    # not where the next one falls, so not a tool's next line, but the same task.
    uuid = "uuid:8b1a9953-c461-4e2c-9a8e-2a4f6b9c5d07"
    write(tmp_path, "done.txt", f"x 2030-03-06 2030-03-01 Water due:2030-03-07 rec:+1w {uuid}\n")
    source = write(
        tmp_path, "todo.txt", f"x 2030-03-06 2030-03-01 Water due:2030-03-08 rec:+1w {uuid}\n"
    )
    summary = import_json(todo, source)
    assert summary["added"] == 1
    assert [(t["completed"], t["due"][:10]) for t in tasks(todo)] == [(True, "2030-03-08")]


@pytest.mark.parametrize("uuid_copied", [True, False], ids=["uuid-copied", "uuid-dropped"])
def test_todotxt_two_series_of_the_same_words_each_take_their_own_next_line(
    todo: Todo, tmp_path: Path, uuid_copied: bool
) -> None:
    """Trash out on Mondays and on Thursdays: the tool completed Thursday's. Its next
    line went to Monday's series (a second open one) or was refused, or, with the done
    line archived, read as Thursday's task reopened (the completion lost)."""
    ok(todo("add", "Take out trash", "due:2030-03-04", "recur:weekly"))
    ok(todo("add", "Take out trash", "due:2030-03-07", "recur:weekly"))
    monday, thursday = ok(todo("export", "--format", "todotxt")).stdout.splitlines()
    uuid = thursday.split(" uuid:")[1]
    following = "2030-03-06 Take out trash due:2030-03-14 rec:+1w" + (
        f" uuid:{uuid}" if uuid_copied else ""
    )
    source = write(tmp_path, "todo.txt", f"{monday}\nx 2030-03-06 {thursday}\n{following}\n")
    os.utime(source, (time.time() + 1, time.time() + 1))
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"]) == (1, 1)
    listed = {(t["number"], t["completed"], t["due"][:10]) for t in tasks(todo)}
    assert listed == {(1, False, "2030-03-04"), (2, True, "2030-03-07"), (3, False, "2030-03-14")}


def test_todotxt_a_uuid_given_twice_that_is_no_next_line_is_still_refused(
    todo: Todo, tmp_path: Path
) -> None:
    ok(todo("add", "Water plants", "due:2030-03-07", "recur:weekly"))
    line = ok(todo("export", "--format", "todotxt")).stdout.strip()
    uuid = line.split(" uuid:")[1]
    # Both open: a copy, not a tool's next line.
    source = write(tmp_path, "todo.txt", f"{line}\n{line.replace('03-07', '03-14')}\n")
    result = todo("import", str(source))
    assert result.exit_code == 2
    assert f"line 2: id: {uuid} is already the id of line 1" in result.stderr
    assert len(tasks(todo)) == 1


def test_todotxt_a_priority_moved_between_letters_that_are_all_l_comes_back_as_moved(
    todo: Todo, tmp_path: Path
) -> None:
    """`todo.sh pri 1 C` on a (D) line: L either way here, but the line is (C) now, and
    an export writes it back as (C); to (E) as (E); then importing it again is no change."""
    source = write(tmp_path, "todo.txt", "(D) 2026-11-20 Low thing\n")
    an_hour_ago = time.time() - 3600
    os.utime(source, (an_hour_ago, an_hour_ago))
    assert import_json(todo, source)["added"] == 1
    for letter in "CE":
        write(tmp_path, "todo.txt", f"({letter}) 2026-11-20 Low thing\n")
        os.utime(source, (time.time() + 1, time.time() + 1))  # after the import before
        summary = import_json(todo, source)
        assert (summary["updated"], summary["unchanged"]) == (1, 0), letter
        exported = ok(todo("export", "--format", "todotxt")).stdout
        assert exported == f"({letter}) 2026-11-20 Low thing\n"
        assert tasks(todo)[0]["priority"] == "L"
    assert (import_json(todo, source)["updated"], import_json(todo, source)["unchanged"]) == (0, 1)


def _added_again_beside_its_done_copy(todo: Todo, tmp_path: Path) -> Path:
    """todo.sh's directory: "Water plants" added, done and archived, added again the same
    day; imported: two tasks. Its todo.txt."""
    write(tmp_path, "done.txt", "x 2026-11-21 2026-11-20 Water plants\n")
    source = write(tmp_path, "todo.txt", "2026-11-20 Water plants\n")
    assert import_json(todo, source)["added"] == 2
    return source


def test_todotxt_a_task_deleted_here_stays_deleted_as_done_txt_grows(
    todo: Todo, tmp_path: Path
) -> None:
    """todo.sh only appends to done.txt: each `do` moves its time on, and a done task
    deleted here came back from its old, unchanged line at the next import."""
    write(tmp_path, "done.txt", "x 2026-11-21 2026-11-20 Buy milk\n")
    source = write(
        tmp_path, "todo.txt", "2026-11-20 Call bank\n2026-11-20 Old errand\n2026-11-20 Fix bike\n"
    )
    assert import_json(todo, source)["added"] == 4
    numbers = {t["title"]: t["number"] for t in tasks(todo)}
    for title in ("Buy milk", "Old errand", "Fix bike"):
        ok(todo("delete", str(numbers[title]), "--yes"))
    write(tmp_path, "todo.txt", ok(todo("export", "--format", "todotxt")).stdout)
    # todo.sh does three lines and archives them. Buy milk's line is as it was; Old
    # errand was done there on a day before its delete here (no change after it); Fix
    # bike was open here when deleted and is done there on a later day: that is a
    # change made there since, and it comes back.
    write(
        tmp_path,
        "done.txt",
        "x 2026-11-21 2026-11-20 Buy milk\n"
        "x 2026-11-22 2026-11-20 Call bank\n"
        "x 2026-11-22 2026-11-20 Old errand\n"
        "x 2099-01-01 2026-11-20 Fix bike\n",
    )
    write(tmp_path, "todo.txt", "")
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (1, 1, 2)
    assert (
        f"2 task(s) deleted here after the file's copy last changed, left deleted: "
        f"#{numbers['Buy milk']}, #{numbers['Old errand']}"
    ) in summary["notices"]
    assert (
        f"1 task(s) deleted here came back from the file: #{numbers['Fix bike']}"
        in (summary["notices"])
    )
    assert sorted((t["title"], t["completed"]) for t in tasks(todo)) == [
        ("Call bank", True),
        ("Fix bike", True),
    ]
    again = import_json(todo, source)
    assert (again["added"], again["updated"]) == (0, 0)


def test_todotxt_a_task_reopened_then_deleted_here_stays_deleted_as_done_txt_grows(
    todo: Todo, tmp_path: Path
) -> None:
    """Archived by todo.sh, reopened here and deleted the same day: it came back, done,
    from its unchanged done.txt line at the next `todo.sh do` of another task."""
    from todo_cli.domain.dates import local_zone

    day = datetime.now(local_zone()).date().isoformat()
    write(tmp_path, "done.txt", f"x {day} 2026-11-20 Buy milk\n")
    source = write(tmp_path, "todo.txt", "2026-11-20 Call bank\n")
    assert import_json(todo, source)["added"] == 2
    milk = titled(tasks(todo), "Buy milk", completed=True)["number"]
    ok(todo("reopen", str(milk)))
    write(tmp_path, "todo.txt", ok(todo("export", "--format", "todotxt")).stdout)
    ok(todo("delete", str(milk), "--yes"))
    write(tmp_path, "todo.txt", ok(todo("export", "--format", "todotxt")).stdout)
    # todo.sh does Call bank and archives it: done.txt grows; Buy milk's line is as it was.
    write(tmp_path, "done.txt", f"x {day} 2026-11-20 Buy milk\nx {day} 2026-11-20 Call bank\n")
    write(tmp_path, "todo.txt", "")
    summary = import_json(todo, source)
    assert (
        f"1 task(s) deleted here after the file's copy last changed, left deleted: #{milk}"
    ) in summary["notices"]
    assert [(t["title"], t["completed"]) for t in tasks(todo)] == [("Call bank", True)]


def test_todotxt_the_open_line_of_a_series_done_here_is_named_by_its_task(
    todo: Todo, tmp_path: Path
) -> None:
    # Said "line 1 (<a uuid the line does not carry>): its series already has open #3".
    source = write(
        tmp_path,
        "todo.txt",
        "2026-11-20 Water plants rec:+1w due:2030-01-07\n2026-11-20 Call bank\n",
    )
    assert import_json(todo, source)["added"] == 2
    ok(todo("done", "1"))
    # todo.sh changes the other line; the series' line is as it was.
    write(
        tmp_path,
        "todo.txt",
        "2026-11-20 Water plants rec:+1w due:2030-01-07\n(A) 2026-11-20 Call bank\n",
    )
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"]) == (0, 1)
    assert (
        "line 1: #1 'Water plants' is done here and its series goes on as #3: the file's "
        "open copy of it is left out"
    ) in summary["notices"]
    # Counted as what it is, not as a second open task of the series.
    assert summary["skipped"] == {"an_open_copy_of_a_task_done_here": 1}
    assert [(t["number"], t["completed"]) for t in tasks(todo)] == [
        (1, True),
        (2, False),
        (3, False),
    ]


def test_todotxt_a_line_added_again_beside_its_done_copy_is_a_second_task(
    todo: Todo, tmp_path: Path
) -> None:
    source = _added_again_beside_its_done_copy(todo, tmp_path)
    states = sorted((t["title"], t["completed"]) for t in tasks(todo))
    assert states == [("Water plants", False), ("Water plants", True)]
    # todo.sh does the second one and archives it: both are done, still two.
    write(tmp_path, "done.txt", "x 2026-11-21 2026-11-20 Water plants\n" * 2)
    write(tmp_path, "todo.txt", "")
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 1, 1)
    assert sorted((t["title"], t["completed"]) for t in tasks(todo)) == [("Water plants", True)] * 2


def test_todotxt_a_line_added_again_and_done_before_its_archive_completes_that_task(
    todo: Todo, tmp_path: Path
) -> None:
    # As the test before, but todo.sh does the second one without archiving it
    # (TODOTXT_AUTO_ARCHIVE=0): its done line in todo.txt has the archived one's words
    # and day. It is the open task done, not the archive's task kept in todo.txt.
    source = _added_again_beside_its_done_copy(todo, tmp_path)
    write(tmp_path, "todo.txt", "x 2026-11-21 2026-11-20 Water plants\n")
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"]) == (0, 1)
    assert not [n for n in summary["notices"] if "the same done task" in n]
    assert sorted((t["number"], t["completed"]) for t in tasks(todo)) == [(1, True), (2, True)]
    again = import_json(todo, source)
    assert (again["added"], again["updated"]) == (0, 0)
    assert len(tasks(todo)) == 2


def test_todotxt_lines_alike_keep_their_tasks_when_one_is_done_and_archived(
    todo: Todo, tmp_path: Path
) -> None:
    # Lines of the same words and day are told apart by their order. `todo.sh archive`
    # moves the done one to done.txt, which is read first: by order it took task 1 and
    # the open line task 2, the two swapped ("2 updated") though nothing had changed.
    plants = "2026-11-20 Water plants\n"
    source = write(tmp_path, "todo.txt", plants * 3)
    assert import_json(todo, source)["added"] == 3
    write(tmp_path, "todo.txt", plants + "x 2026-11-22 " + plants + plants)  # do -a 2
    assert import_json(todo, source)["updated"] == 1
    write(tmp_path, "done.txt", "x 2026-11-22 " + plants)  # archive
    write(tmp_path, "todo.txt", plants * 2)
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 3)
    states = sorted((t["number"], t["completed"]) for t in tasks(todo))
    assert states == [(1, False), (2, True), (3, False)]
    # The first line left (task 1) done a day later, then archived too.
    write(tmp_path, "todo.txt", "x 2026-11-23 " + plants + plants)
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 1, 2)
    done = {t["number"]: t["completed_at"] for t in tasks(todo) if t["completed"]}
    assert sorted(done) == [1, 2]
    assert done[1] > done[2]  # done the 23rd (UTC times of local days: compared)
    write(tmp_path, "done.txt", "x 2026-11-22 " + plants + "x 2026-11-23 " + plants)
    write(tmp_path, "todo.txt", plants)
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 3)
    assert {t["number"]: t["completed_at"] for t in tasks(todo) if t["completed"]} == done


def test_todotxt_lines_alike_in_their_order_are_their_tasks(todo: Todo, tmp_path: Path) -> None:
    # Nothing archived: the order holds, whichever is done (a task here may be done
    # while its line is not: the file reopens it, as ever).
    source = write(tmp_path, "todo.txt", "2026-11-20 Call mom\n" * 2)
    import_json(todo, source)
    write(tmp_path, "todo.txt", "x 2026-11-22 2026-11-20 Call mom\n2026-11-20 Call mom\n")
    assert import_json(todo, source)["updated"] == 1
    assert sorted((t["number"], t["completed"]) for t in tasks(todo)) == [(1, True), (2, False)]
    ok(todo("done", "2"))
    write(tmp_path, "todo.txt", "x 2026-11-22 2026-11-20 Call mom\n2026-11-20 Call mom\n")
    (source.parent / "todo.txt").touch()
    assert import_json(todo, source)["updated"] == 1
    assert sorted((t["number"], t["completed"]) for t in tasks(todo)) == [(1, True), (2, False)]
    # `todo.sh pri` keeps a line where it is: priorities swapped in the file are the
    # tasks' new priorities, not the tasks swapped (the order holds for all but done).
    plants = write(tmp_path, "plants/todo.txt", "(A) 2026-11-20 Water\n(B) 2026-11-20 Water\n")
    import_json(todo, plants)
    write(tmp_path, "plants/todo.txt", "(B) 2026-11-20 Water\n(A) 2026-11-20 Water\n")
    assert import_json(todo, plants)["updated"] == 2
    waters = sorted((t["number"], t["priority"]) for t in tasks(todo) if t["title"] == "Water")
    assert waters == [(3, "M"), (4, "H")]


def test_todotxt_done_tasks_exported_beside_their_done_txt_are_not_taken_twice(
    todo: Todo, tmp_path: Path
) -> None:
    # `export --all` into todo.sh's todo.txt writes the done tasks done.txt holds too.
    write(tmp_path, "done.txt", "x 2026-11-21 2026-11-20 Pay rent\n")
    source = write(tmp_path, "todo.txt", "2026-11-20 Call mom\n")
    import_json(todo, source)
    ok(todo("add", "Fix bike"))
    ok(todo("done", "3"))
    ok(todo("export", "--all", "--format", "todotxt", "-o", str(source)))
    # todo.sh archives the done lines: done.txt now holds "Fix bike" (with its uuid:) too.
    kept = [line for line in source.read_text("utf-8").splitlines() if "Fix bike" in line]
    write(tmp_path, "done.txt", "x 2026-11-21 2026-11-20 Pay rent\n" + kept[0] + "\n")
    before = tasks(todo)
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 3)
    assert summary["notices"][1:] == [
        "line 1: the same done task as done.txt line 1: taken once, as this line has it",
        "line 3: the same done task as done.txt line 2: taken once, as this line has it",
    ]
    assert tasks(todo) == before


@pytest.mark.parametrize("made_in", ["todo.sh", "todo"])
def test_todotxt_a_task_archived_there_and_reopened_here_is_one_task(
    todo: Todo, tmp_path: Path, made_in: str
) -> None:
    # Archived in done.txt, reopened here and exported back: todo.txt's open line is the
    # task now (a line of todo.sh's words derives its id; one made here carries uuid:).
    if made_in == "todo.sh":
        write(tmp_path, "done.txt", "x 2026-11-21 2026-11-20 Water plants\n")
        source = write(tmp_path, "todo.txt", "2026-11-20 Call mom\n")
        import_json(todo, source)
    else:
        ok(todo("add", "Water plants"))
        ok(todo("add", "Call mom"))
        ok(todo("done", "1"))
        source = tmp_path / "todo.txt"
        ok(todo("export", "--all", "--format", "todotxt", "-o", str(source)))
        lines = source.read_text("utf-8").splitlines()
        write(tmp_path, "done.txt", "".join(f"{line}\n" for line in lines if "Water" in line))
        write(tmp_path, "todo.txt", "".join(f"{line}\n" for line in lines if "Water" not in line))
        import_json(todo, source)
    water = titled(tasks(todo), "Water plants", completed=True)
    ok(todo("reopen", str(water["number"])))
    ok(todo("export", "--format", "todotxt", "-o", str(source)))
    before = tasks(todo)
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["problems"]) == (0, 0, [])
    assert summary["notices"][1].endswith(
        ": the same task, open again, as done.txt line 1: taken once, as this line has it"
    )
    assert tasks(todo) == before
    assert import_json(todo, source)["added"] == 0


def test_todotxt_done_txt_imported_alone_first_then_todo_txt_keeps_both(
    todo: Todo, tmp_path: Path
) -> None:
    done = write(tmp_path, "done.txt", "x 2026-11-21 2026-11-20 Water plants\n")
    source = write(tmp_path, "todo.txt", "2026-11-20 Water plants\n")
    assert import_json(todo, done)["added"] == 1
    summary = import_json(todo, source)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (1, 0, 1)
    states = sorted((t["title"], t["completed"]) for t in tasks(todo))
    assert states == [("Water plants", False), ("Water plants", True)]


def test_todotxt_each_line_is_as_new_as_its_own_file(todo: Todo, tmp_path: Path) -> None:
    write(tmp_path, "done.txt", "x 2026-11-21 2026-11-20 Pay rent\n")
    source = write(tmp_path, "todo.txt", "2026-11-20 Call mom\n")
    import_json(todo, source)
    rent = titled(tasks(todo), "Pay rent", completed=True)
    # (Not a priority: a done line without one says nothing of it, as `todo.sh do`
    # takes it off the line.)
    ok(todo("edit", str(rent["number"]), "+urgent"))
    # done.txt was last written before that edit, todo.txt after it: the done line is
    # the older copy, and the edit made here stands.
    now = time.time()
    os.utime(tmp_path / "done.txt", (now - 3600, now - 3600))
    os.utime(source, (now + 3600, now + 3600))
    summary = import_json(todo, source)
    assert (summary["updated"], summary["unchanged"]) == (0, 2)
    assert (
        "1 task(s) left as they are: changed here after the file was written"
        in (summary["notices"])
    )
    assert titled(tasks(todo), "Pay rent", completed=True)["tags"] == ["urgent"]


def test_todotxt_named_otherwise_or_from_stdin_reads_no_done_txt(
    todo: Todo, tmp_path: Path
) -> None:
    write(tmp_path, "done.txt", "x 2026-11-21 2026-11-20 Pay rent\n")
    text = "2026-11-20 Call mom\n"
    other = write(tmp_path, "work.txt", text)
    source = write(tmp_path, "todo.txt", text)
    assert import_json(todo, other, "--dry-run")["added"] == 1
    assert import_json(todo, "-", "--dry-run", input=text)["added"] == 1
    assert import_json(todo, source, "--dry-run")["added"] == 2
    assert tasks(todo) == []


def test_todotxt_an_undecodable_line_of_done_txt_is_left_out_by_its_position(
    todo: Todo, tmp_path: Path
) -> None:
    write(tmp_path, "done.txt", b"x 2026-11-21 Fine\nx 2026-11-21 Caf\xe9\n")
    source = write(tmp_path, "todo.txt", b"Call mom\n\xff bad\n")
    refused = todo("import", str(source))
    assert refused.exit_code == 2
    assert tasks(todo) == []
    summary = import_json(todo, source, "--skip-invalid")
    assert summary["added"] == 2
    assert [problem.split(":")[0] for problem in summary["problems"]] == [
        "done.txt line 2",
        "line 2",
    ]
    assert sorted(t["title"] for t in tasks(todo)) == ["Call mom", "Fine"]


def test_todotxt_a_done_txt_in_utf16_is_refused_as_such(todo: Todo, tmp_path: Path) -> None:
    # As todo.txt itself would be: the way out named, not "not valid UTF-8 (line 1)".
    done = write(tmp_path, "done.txt", "x 2026-11-21 Fine\n".encode("utf-16"))
    source = write(tmp_path, "todo.txt", "Call mom\n")
    result = todo("import", str(source))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {done} is UTF-16 text (it starts with UTF-16's byte order mark); todo reads "
        "UTF-8 (save it as UTF-8, e.g. with iconv -f UTF-16 -t UTF-8; nothing was imported)\n"
    )
    assert tasks(todo) == []


def test_todotxt_a_done_txt_that_is_no_file_is_said_not_read(todo: Todo, tmp_path: Path) -> None:
    (tmp_path / "done.txt").mkdir()
    source = write(tmp_path, "todo.txt", "Call mom\n")
    summary = import_json(todo, source)
    assert summary["added"] == 1
    assert summary["notices"] == [
        f"{tmp_path / 'done.txt'} is not a file, so todo.sh's archive of done tasks was not read"
    ]
    # Named otherwise, a todo.txt file has no done.txt to speak of.
    other = write(tmp_path, "work.txt", "Pay rent\n")
    assert import_json(todo, other)["notices"] == []


def test_todotxt_a_bad_line_of_done_txt_is_named_so(todo: Todo, tmp_path: Path) -> None:
    write(tmp_path, "done.txt", "x 2026-11-21 Fine\nx 2026-11-21 Pay due:2026-11\n")
    source = write(tmp_path, "todo.txt", "Call mom due:12/24\n")
    result = todo("import", str(source))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {source}: 2 problems, nothing imported: ")
    assert "done.txt line 2: due: '2026-11' is not a date" in result.stderr
    assert "; line 1: due: '12/24' is not a date" in result.stderr
    assert tasks(todo) == []


def test_todotxt_export_imported_back_leaves_titles_with_its_words_as_they_are(
    todo: Todo, tmp_path: Path
) -> None:
    # Titles that hold todo.txt's own words do not read back the same (the export says
    # so); imported back unchanged, the lines are the tasks as they are, not edits.
    for title in ("pri:A text", "t:2026-01-01 text", "has +plus and @at words"):
        ok(todo("add", "--", title))
    before = tasks(todo)
    source = tmp_path / "todo.txt"
    ok(todo("export", "--format", "todotxt", "-o", str(source)))
    summary = import_json(todo, source)
    assert (summary["updated"], summary["unchanged"]) == (0, 3)
    assert tasks(todo) == before
    # An edit made to such a line in the file is still taken.
    lines = source.read_text("utf-8").splitlines()
    lines[0] = lines[0].replace("pri:A text", "pri:A text, edited")
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(source, (time.time() + 5, time.time() + 5))
    assert import_json(todo, source)["updated"] == 1
    assert titled(tasks(todo), "text, edited")["priority"] == "H"


def test_todotxt_export_writes_the_fixture_back_line_for_line(todo: Todo, tmp_path: Path) -> None:
    alone = write(tmp_path, "todo.txt", (TODOTXT / "todo.txt").read_text("utf-8"))
    import_json(todo, alone)
    exported = ok(todo("export", "--format", "todotxt", "--all")).stdout
    assert sorted(exported.splitlines()) == sorted(
        (TODOTXT / "todo.txt").read_text("utf-8").splitlines()
    )


def test_todotxt_with_its_done_txt_is_written_back_line_for_line(todo: Todo) -> None:
    # The fixtures are todo.sh's directory: todo.txt with done.txt beside it.
    summary = import_json(todo, TODOTXT / "todo.txt")
    assert summary["notices"][0] == (
        f"also read {TODOTXT / 'done.txt'}, todo.sh's archive of done tasks: 2 line(s)"
    )
    exported = ok(todo("export", "--format", "todotxt", "--all")).stdout
    both = [(TODOTXT / name).read_text("utf-8").splitlines() for name in ("todo.txt", "done.txt")]
    assert sorted(exported.splitlines()) == sorted(both[0] + both[1])


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (TASKWARRIOR / "export.json", "taskwarrior"),
        (TASKWARRIOR / "export.jsonl", "taskwarrior"),
        (TODOTXT / "todo.txt", "todotxt"),
        (TODOTXT / "done.txt", "todotxt"),
    ],
    ids=["taskwarrior-array", "taskwarrior-lines", "todo.txt", "done.txt"],
)
def test_auto_detects_the_format(todo: Todo, source: Path, expected: str) -> None:
    assert import_json(todo, source, "--dry-run")["format"] == expected


def test_auto_detects_our_own_json(todo: Todo, tmp_path: Path) -> None:
    fill(todo)
    backup = write(tmp_path, "backup.json", export_bytes(todo, tmp_path))
    assert import_json(todo, backup, "--dry-run")["format"] == "json"


def test_auto_detects_our_own_json_lines(todo: Todo, tmp_path: Path) -> None:
    lines = "".join(json.dumps(own(title=f"Line {n}")) + "\n" for n in range(3))
    summary = import_json(todo, write(tmp_path, "tasks.jsonl", lines))
    assert (summary["format"], summary["added"]) == ("json", 3)


def test_format_overrides_detection(todo: Todo, tmp_path: Path) -> None:
    source = write(tmp_path, "todo.txt", "[Draft] write the post +blog\n(A) Call mom\n")
    summary = import_json(todo, source, "--format", "todotxt")
    assert (summary["format"], summary["added"]) == ("todotxt", 2)
    assert titled(tasks(todo), "[Draft] write the post")["project"] == "blog"


def test_a_format_that_does_not_fit_is_refused_naming_the_fields(todo: Todo) -> None:
    result = todo("import", str(TASKWARRIOR / "export.json"), "--format", "json")
    assert result.exit_code == 2
    assert "task 1: title: is missing" in result.stderr
    assert nothing_written(todo)


@pytest.mark.parametrize(
    "first",
    [
        "[Draft] write the post +blog",
        "[ ] call the plumber",
        "{draft} post it",
        # JSON up to the bracket's close, words after it.
        "[1] draft the plan",
        '["a"] draft the plan',
        "{} fill in the form",
    ],
)
def test_auto_detects_a_todotxt_file_whose_first_task_starts_with_a_bracket(
    todo: Todo, tmp_path: Path, first: str
) -> None:
    source = write(tmp_path, "todo.txt", f"{first}\n(A) Call mom\n")
    result = todo("import", str(source), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["format"] == "todotxt"
    assert [task["title"] for task in tasks(todo)] == [first.removesuffix(" +blog"), "Call mom"]


@pytest.mark.parametrize("text", ["[1, 2]\n", "[\n1,\n2\n]\n", "{}\n"])
def test_json_of_no_tasks_in_a_file_of_any_name_is_refused_as_json(
    todo: Todo, tmp_path: Path, text: str
) -> None:
    source = write(tmp_path, "todo.txt", text)
    result = todo("import", str(source))
    assert result.exit_code == 2, result.stderr
    assert "is neither a todo task (id, title) nor a Taskwarrior task" in result.stderr
    assert nothing_written(todo)


def test_a_todotxt_line_read_as_json_from_stdin_is_refused_saying_how_to_import_it(
    todo: Todo,
) -> None:
    # A pipe cannot be read twice: what looked like JSON is refused, with the way out.
    result = todo("import", "-", input="{draft} post it\n")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: stdin: line 1 is not valid JSON: Expecting property name enclosed in double "
        "quotes at column 2 (for a todo.txt file, pass --format todotxt; nothing was imported)\n"
    )
    assert nothing_written(todo)


# `todo import <(printf '[1] first\n')`: the file was read again to tell todo.txt from
# JSON, found empty (a pipe's bytes are read once), and "0 added" said, exit 0.
@pytest.mark.parametrize("text", ["[1] first\n[2] second\n", "[work] call Bob\n"])
def test_a_todotxt_line_read_as_json_through_a_pipe_is_refused_not_lost(
    todo: Todo, text: str
) -> None:
    result = in_bash_import(todo, text)
    assert result.returncode == 2, result.stderr
    assert b"for a todo.txt file, pass --format todotxt; nothing was imported" in result.stderr
    assert nothing_written(todo)
    told = in_bash_import(todo, text, "--format", "todotxt")
    assert told.returncode == 0, told.stderr
    assert len(tasks(todo)) == text.count("\n")


def in_bash_import(todo: Todo, text: str, *extra: str) -> subprocess.CompletedProcess[bytes]:
    """`todo import <(printf ...)`: the file a process substitution gives, a pipe."""
    return in_bash(todo, '"${TODO[@]}" import <(printf %s "$1") "${@:2}"', text, *extra)


@pytest.mark.parametrize(
    "text",
    [
        '[\n{"uuid":"6513270e-269e-4d37-b2a7-4de452e6b438","description":"Buy milk" '
        '"status":"pending","entry":"20261105T090000Z"}\n]\n',
        '[{"id":"11111111-1111-1111-1111-111111111111", "title":"a" "x"}]',
        '  [ ["not" "a task"] ]',
        '[\n  "a string" "and another"\n]',
    ],
    ids=["taskwarrior-missing-comma", "own-missing-comma", "nested-array", "strings"],
)
def test_a_json_file_with_a_mistake_is_refused_not_read_as_todotxt(
    todo: Todo, tmp_path: Path, text: str
) -> None:
    source = write(tmp_path, "export.json", text)
    result = todo("import", str(source))
    assert result.exit_code == 2, result.stderr
    assert "element 1 (.[0]) is not valid JSON" in result.stderr
    assert nothing_written(todo)


@pytest.mark.parametrize(
    ("name", "text"),
    [("tasks.json", "null\n"), ("tasks.json", "42\n"), ("t.jsonl", '"Buy milk"\n')],
    ids=["null", "number", "string-jsonl"],
)
def test_a_json_named_file_holding_a_scalar_is_refused_not_read_as_todotxt(
    todo: Todo, tmp_path: Path, name: str, text: str
) -> None:
    source = write(tmp_path, name, text)
    result = todo("import", str(source))
    assert result.exit_code == 2, result.stderr
    assert f"{name} holds no JSON array or object" in result.stderr
    assert "pass --format todotxt" in result.stderr
    assert nothing_written(todo)
    # Told it is todo.txt, the same file is one task, as any todo.txt line.
    told = todo("import", str(source), "--format", "todotxt", "--json")
    assert told.exit_code == 0, told.stderr
    assert told.json()["added"] == 1


@pytest.mark.parametrize(
    "text", ["null\n", "42\n", "true", '"a string"\n', "\n  null  \n\n", "null\nnull\n", "1\n2\n"]
)
def test_stdin_holding_a_lone_json_value_is_refused_not_read_as_todotxt(
    todo: Todo, text: str
) -> None:
    """`jq .tasks file | todo import -` of a document without them printed `null`, and
    a task titled "null" was imported (exit 0): a script's mistake went unsaid."""
    result = todo("import", "-", input=text)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: stdin holds no JSON array or object (expected a JSON array or JSON Lines "
        "of tasks) (for a todo.txt task of that text, pass --format todotxt; nothing was "
        "imported)\n",
    )
    assert nothing_written(todo)
    told = todo("import", "-", "--format", "todotxt", "--json", input=text)
    assert told.exit_code == 0, told.stderr
    assert told.json()["added"] == len([line for line in text.splitlines() if line.strip()])


def test_a_pipe_holding_a_lone_json_value_is_refused_as_stdin_is(
    todo: Todo, tmp_path: Path
) -> None:
    # `todo import <(jq .tasks f)`: a FIFO, no file named *.json, read as todo.txt.
    import threading

    fifo = tmp_path / "jq-output"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=("null\n",))
    writer.start()
    result = todo("import", str(fifo))
    writer.join(timeout=10)
    assert result.exit_code == 2, result.stderr
    assert f"{fifo} holds no JSON array or object" in result.stderr
    assert nothing_written(todo)


def test_stdin_of_todotxt_lines_starting_with_a_json_word_is_todotxt(todo: Todo) -> None:
    result = todo("import", "-", "--json", input="null\nBuy bread\n")
    assert result.exit_code == 0, result.stderr
    assert (result.json()["format"], result.json()["added"]) == ("todotxt", 2)


def test_a_txt_file_of_one_number_is_still_a_todotxt_task(todo: Todo, tmp_path: Path) -> None:
    result = todo("import", str(write(tmp_path, "todo.txt", "42\n")), "--json")
    assert result.exit_code == 0, result.stderr
    assert (result.json()["format"], result.json()["added"]) == ("todotxt", 1)


@pytest.mark.parametrize("shape", [["--json"], ["--format", "jsonl"]], ids=["json", "jsonl"])
def test_what_list_prints_as_json_imports_back(
    todo: Todo, tmp_path: Path, shape: list[str]
) -> None:
    for args in (["a", "+x", "due:2030-01-02", "pri:H"], ["b", "dep:1"]):
        assert todo("add", *args).exit_code == 0
    listed = todo("list", *shape)
    assert listed.exit_code == 0
    assert '"urgency"' in listed.stdout
    source = write(tmp_path, "listed.json", listed.stdout)
    assert todo("delete", "1", "2", "--yes").exit_code == 0
    result = todo("import", str(source), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["added"] == 2
    again = todo("list", *shape)
    assert again.stdout == listed.stdout


def _tw(uuid_tail: str, title: str, *depends: str, modified: str = "20261120T093000Z") -> str:
    task: dict[str, Any] = {
        "uuid": f"aaaaaaaa-0000-4000-8000-0000000000{uuid_tail}",
        "description": title,
        "status": "pending",
        "entry": "20261120T093000Z",
        "modified": modified,
    }
    if depends:
        task["depends"] = [f"aaaaaaaa-0000-4000-8000-0000000000{d}" for d in depends]
    return json.dumps(task)


def test_a_dependency_kept_for_taskwarrior_is_linked_once_its_task_is_here(
    todo: Todo, tmp_path: Path
) -> None:
    # C waits on A in Taskwarrior; a filtered export brought C alone: A's uuid is kept for
    # Taskwarrior. When A comes, the dependency is ours, and no longer kept: removed
    # here, it is gone from the next export too (it came back there, and then here).
    only_c = write(tmp_path, "c.json", f"[{_tw('41', 'C', '42')}]")
    only_a = write(tmp_path, "a.json", f"[{_tw('42', 'A')}]")
    first = import_json(todo, only_c)
    assert any("kept with it for Taskwarrior" in n for n in first["notices"])
    summary = import_json(todo, only_a)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (1, 1, 0)
    assert titled(tasks(todo), "C")["depends"] == ["aaaaaaaa-0000-4000-8000-000000000042"]
    assert "kept from its import" not in ok(todo("show", "1")).stdout
    assert import_json(todo, only_a)["updated"] == 0  # linked once
    ok(todo("edit", "1", "dep:-2"))
    exported = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    assert [("depends" in task, task["description"]) for task in exported] == [
        (False, "C"),
        (False, "A"),
    ]
    assert titled(tasks(todo), "C")["depends"] == []
    # The file's older copy of C changes nothing.
    assert import_json(todo, only_c)["updated"] == 0
    assert titled(tasks(todo), "C")["depends"] == []
    # One undo takes the import of A back: A gone, C's dependency kept for Taskwarrior.
    ok(todo("undo"))
    ok(todo("undo"))
    assert [t["title"] for t in tasks(todo)] == ["C"]
    exported = json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
    assert exported[0]["depends"] == ["aaaaaaaa-0000-4000-8000-000000000042"]


def test_a_dependency_kept_for_taskwarrior_is_never_linked_to_another_users_task(
    todo: Todo, tmp_path: Path
) -> None:
    # Alice holds A; Bob's C waits on A's uuid in his Taskwarrior. Bob's imports that add
    # tasks look for kept dependencies whose task arrived: Alice's A is not his.
    import_json(todo, write(tmp_path, "a.json", f"[{_tw('72', 'A')}]"))
    bob = todo.as_user("bob")
    c = json.loads(_tw("71", "C", "72")) | {"uuid": "bbbbbbbb-0000-4000-8000-000000000071"}
    ok(bob("import", str(write(tmp_path, "c.json", json.dumps([c])))))
    d = json.loads(_tw("73", "D")) | {"uuid": "bbbbbbbb-0000-4000-8000-000000000073"}
    summary = import_json(bob, write(tmp_path, "d.json", json.dumps([d])))
    assert (summary["added"], summary["updated"]) == (1, 0)
    assert [t["depends"] for t in tasks(bob)] == [[], []]
    exported = json.loads(ok(bob("export", "--format", "taskwarrior")).stdout)
    assert exported[0]["depends"] == ["aaaaaaaa-0000-4000-8000-000000000072"]
    assert [t["title"] for t in tasks(todo)] == ["A"]


def test_a_kept_dependency_that_would_close_a_cycle_here_is_left_out(
    todo: Todo, tmp_path: Path
) -> None:
    import_json(todo, write(tmp_path, "c.json", f"[{_tw('51', 'C', '52')}]"))
    b = ok(todo("add", "B", "dep:1", "--json")).json()["id"]
    # A comes waiting on B: C -> A -> B -> C would be a cycle.
    a = json.loads(_tw("52", "A")) | {"depends": [b]}
    summary = import_json(todo, write(tmp_path, "a.json", json.dumps([a])))
    assert summary["added"] == 1
    assert summary["notices"] == [
        "#1 waits on #3 in Taskwarrior, which would make a cycle here: left out"
    ]
    assert titled(tasks(todo), "C")["depends"] == []
    assert "kept from its import" not in ok(todo("show", "1")).stdout


def test_an_import_whose_dependencies_make_a_cycle_is_refused(todo: Todo, tmp_path: Path) -> None:
    source = write(tmp_path, "cycle.json", f"[{_tw('21', 'TA', '22')},{_tw('22', 'TB', '21')}]")
    result = todo("import", str(source))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {source}: 2 problems, nothing imported: "
        "task 1 (aaaaaaaa-0000-4000-8000-000000000021): depends: makes a cycle: "
        "task 1 -> task 2 -> task 1; "
        "task 2 (aaaaaaaa-0000-4000-8000-000000000022): depends: makes a cycle: "
        "task 1 -> task 2 -> task 1 (fix the input and import again)\n"
    )
    assert nothing_written(todo)


def test_a_cycle_through_tasks_here_names_them_by_number_and_a_long_one_in_short(
    todo: Todo, tmp_path: Path
) -> None:
    import_json(todo, write(tmp_path, "a.json", f"[{_tw('61', 'A')}]"))
    ok(todo("add", "B", "dep:1"))
    c = ok(todo("add", "C", "dep:2", "--json")).json()["id"]
    newer = json.loads(_tw("61", "A", modified="20261121T093000Z")) | {"depends": [c]}
    result = todo("import", str(write(tmp_path, "a2.json", json.dumps([newer]))))
    assert result.exit_code == 2
    assert (
        "task 1 (aaaaaaaa-0000-4000-8000-000000000061): depends: makes a cycle: "
        "task 1 -> #3 -> #2 -> task 1"
    ) in result.stderr
    # A chain of 40 closed by the file: the middle of the path is counted, not listed.
    chain = [_tw(f"{n:02d}", f"T{n}", f"{n + 1:02d}") for n in range(10, 49)]
    chain.append(_tw("49", "T49", "10"))
    long = todo("import", str(write(tmp_path, "chain.json", "[" + ",".join(chain) + "]")))
    assert long.exit_code == 2
    assert (
        "task 1 -> task 2 -> task 3 -> task 4 -> task 5 -> task 6 -> (30 more) -> " in long.stderr
    )
    assert len(long.stderr) < 3_000


def test_every_cycle_of_a_file_is_named_in_one_refusal(todo: Todo, tmp_path: Path) -> None:
    # Not one cycle a run: the user fixes them all at once.
    tasks_ = [_tw("21", "TA", "22"), _tw("22", "TB", "21"), _tw("23", "TC", "23")]
    tasks_ += [_tw("24", "TD", "25"), _tw("25", "TE", "24"), _tw("26", "TF")]
    source = write(tmp_path, "cycles.json", "[" + ",".join(tasks_) + "]")
    result = todo("import", str(source))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {source}: 5 problems, nothing imported: ")
    for cycle in ("task 1 -> task 2 -> task 1", "task 3 -> task 3", "task 4 -> task 5 -> task 4"):
        assert f"makes a cycle: {cycle}" in result.stderr
    assert nothing_written(todo)
    summary = import_json(todo, source, "--skip-invalid")
    assert (summary["added"], summary["skipped"]) == (1, {"invalid": 5})
    assert len(summary["problems"]) == 5


def test_skip_invalid_leaves_out_the_tasks_of_a_cycle_and_imports_the_rest(
    todo: Todo, tmp_path: Path
) -> None:
    # Taskwarrior takes such a file; with --skip-invalid, so does todo, without the cycle.
    tasks_ = [_tw("21", "TA", "22"), _tw("22", "TB", "21"), _tw("23", "TC"), _tw("24", "TD", "21")]
    source = write(tmp_path, "cycle.json", "[" + ",".join(tasks_) + "]")
    summary = import_json(todo, source, "--skip-invalid")
    assert (summary["added"], summary["skipped"]) == (2, {"invalid": 2})
    assert summary["problems"] == [
        "task 1 (aaaaaaaa-0000-4000-8000-000000000021): depends: makes a cycle: "
        "task 1 -> task 2 -> task 1",
        "task 2 (aaaaaaaa-0000-4000-8000-000000000022): depends: makes a cycle: "
        "task 1 -> task 2 -> task 1",
    ]
    assert sorted(t["title"] for t in tasks(todo)) == ["TC", "TD"]
    assert titled(tasks(todo), "TD")["depends"] == []
    assert count(todo.url, "task_dependencies") == 0


def test_a_cycle_closed_through_tasks_already_here_is_refused(todo: Todo, tmp_path: Path) -> None:
    chain = [_tw("31", "A", "32"), _tw("32", "B", "33"), _tw("33", "C"), _tw("34", "D", "33", "31")]
    first = write(tmp_path, "chain.json", "[" + ",".join(chain) + "]")
    assert todo("import", str(first)).exit_code == 0  # a diamond is no cycle
    closing = write(
        tmp_path, "close.json", "[" + _tw("33", "C", "34", modified="20261130T093000Z") + "]"
    )
    result = todo("import", str(closing))
    assert result.exit_code == 2
    # The tasks already here by their numbers, as `todo edit` names them.
    assert result.stderr.endswith(
        "task 1 (aaaaaaaa-0000-4000-8000-000000000033): depends: makes a cycle: task 1 -> "
        "#4 -> #1 -> #2 -> task 1 (fix the input and import again)\n"
    )
    assert count(todo.url, "task_dependencies") == 4


@pytest.mark.parametrize("fmt", ["json", "taskwarrior"])
def test_a_task_depending_on_itself_is_refused_as_a_cycle(
    todo: Todo, tmp_path: Path, fmt: str
) -> None:
    # As `todo edit 1 dep:1` is refused; the import used to drop it without a word.
    itself = "aaaaaaaa-0000-4000-8000-000000000041"
    if fmt == "json":
        data = [own(id=itself, title="Waits on itself", depends=[itself]), own(title="Fine")]
    else:
        data = [tw(uuid=itself, description="Waits on itself", depends=[itself]), tw()]
    path = write(tmp_path, "itself.json", json.dumps(data))
    for extra in ([], ["--dry-run"]):
        result = todo("import", str(path), *extra)
        assert result.exit_code == 2, result.stderr
        assert f"task 1 ({itself}): depends: makes a cycle: task 1 -> task 1" in result.stderr
        assert "nothing imported" in result.stderr
    assert nothing_written(todo)
    summary = import_json(todo, path, "--skip-invalid")
    assert (summary["added"], summary["skipped"]) == (1, {"invalid": 1})
    assert summary["problems"] == [f"task 1 ({itself}): depends: makes a cycle: task 1 -> task 1"]


def test_a_file_naming_a_task_held_here_as_its_own_dependency_is_refused(
    todo: Todo, tmp_path: Path
) -> None:
    held = own(title="Held here")
    assert import_json(todo, write(tmp_path, "held.json", json.dumps([held])))["added"] == 1
    # The same moment as ours: the file's dependencies would be added to ours.
    naming = write(tmp_path, "naming.json", json.dumps([held | {"depends": [held["id"]]}]))
    result = todo("import", str(naming))
    assert result.exit_code == 2, result.stderr
    assert f"task 1 ({held['id']}): depends: makes a cycle: task 1 -> task 1" in result.stderr
    assert count(todo.url, "task_dependencies") == 0


@pytest.mark.parametrize("content", ["", "\n\n", " \n\t\n"], ids=["0-bytes", "newlines", "blank"])
def test_an_empty_file_is_an_empty_import_in_every_format(
    todo: Todo, tmp_path: Path, content: str
) -> None:
    # An empty todo.txt is what `todo.sh archive` leaves when all is done, and what our
    # own export of no open tasks writes; `task export` of no tasks as lines is empty.
    path = write(tmp_path, "todo.txt", content)
    for fmt in ("auto", "todotxt", "taskwarrior", "json"):
        result = ok(todo("import", str(path), "--format", fmt))
        assert "0 added, 0 updated, 0 unchanged, 0 skipped" in result.stderr
        summary = import_json(todo, "-", "--format", fmt, input=content)
        assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 0)
        assert (summary["skipped"], summary["problems"]) == ({}, [])
    assert import_json(todo, path)["format"] == "todotxt"
    assert import_json(todo, write(tmp_path, "tasks.json", content))["format"] == "json"
    assert nothing_written(todo)


# --- bad input: all or nothing, exit 2, naming where and what ---------------------------------


BAD_INPUTS = [
    pytest.param(
        "tasks.json",
        json.dumps([own(), own(), own(due="2026-02-30T10:00:00Z")]),
        "task 3: due:",
        id="bad-date",
    ),
    pytest.param(
        "tasks.json", json.dumps([own(), own(priority="X")]), "task 2: priority:", id="bad-priority"
    ),
    pytest.param(
        "tasks.json", json.dumps([own(title="t" * 201)]), "task 1: title:", id="title-over-200"
    ),
    pytest.param(
        "tasks.json",
        json.dumps([first := own(), own(), own(id=first["id"], title="Again")]),
        "task 3: id:",
        id="duplicate-id",
    ),
    pytest.param(
        "export.json",
        json.dumps([tw(), tw(status="someday")]),
        "task 2: status:",
        id="taskwarrior-unknown-status",
    ),
    pytest.param(
        "export.json",
        json.dumps([first_tw := tw(), tw(uuid=first_tw["uuid"])]),
        "task 2: uuid:",
        id="taskwarrior-duplicate-uuid",
    ),
    pytest.param(
        "export.jsonl",
        json.dumps(tw()) + "\n" + json.dumps(tw(due="20261301T000000Z")) + "\n",
        "line 2: due:",
        id="taskwarrior-lines-bad-date",
    ),
    pytest.param(
        "export.json",
        json.dumps([tw(priority=["urgent"])]),
        "task 1: priority:",
        id="taskwarrior-bad-priority",
    ),
    pytest.param(
        "todo.txt", "Fine task\nBad due:2026-02-30\n", "line 2: due:", id="todotxt-bad-date"
    ),
]


@pytest.mark.parametrize(("name", "data", "where"), BAD_INPUTS)
def test_bad_input_exits_2_naming_the_position_and_field_and_writes_nothing(
    todo: Todo, tmp_path: Path, name: str, data: str, where: str
) -> None:
    result = todo("import", str(write(tmp_path, name, data)))
    assert result.exit_code == 2
    assert where in result.stderr
    assert "nothing imported" in result.stderr
    assert nothing_written(todo)


def test_every_problem_is_reported_not_only_the_first(todo: Todo, tmp_path: Path) -> None:
    data = json.dumps([own(priority="X"), own(), own(due="tomorrow")])
    result = todo("import", str(write(tmp_path, "tasks.json", data)))
    assert result.exit_code == 2
    assert "task 1: priority:" in result.stderr
    assert "task 3: due:" in result.stderr


@pytest.mark.parametrize("number", ["1e400", "-1e400"])
@pytest.mark.parametrize("lines", [False, True])
def test_a_number_past_a_floats_range_is_refused_not_kept_as_infinity(
    todo: Todo, tmp_path: Path, number: str, lines: bool
) -> None:
    # Kept, it would be written back as Infinity: a JSON export todo itself refuses.
    task = '{"uuid": "11111111-1111-4111-8111-111111111111", "description": "a", '
    task += f'"status": "pending", "entry": "20261101T000000Z", "estimate": {number}}}'
    name, data = ("tasks.jsonl", task + "\n") if lines else ("tasks.json", f"[{task}]")
    result = todo("import", str(write(tmp_path, name, data)))
    assert result.exit_code == 2, result.stderr
    where = "line 1" if lines else "element 1 (.[0])"
    assert f"{where} holds {number}, a number too large to keep" in result.stderr
    assert nothing_written(todo)


def test_invalid_utf8_exits_2_naming_the_line(todo: Todo, tmp_path: Path) -> None:
    data = b"Fine task\nAlso fine\nBroken \xff byte\n"
    result = todo("import", str(write(tmp_path, "todo.txt", data)))
    assert result.exit_code == 2
    assert "UTF-8" in result.stderr
    assert "line 3" in result.stderr
    assert nothing_written(todo)


def test_a_nesting_bomb_on_stdin_exits_2_without_a_crash(todo: Todo) -> None:
    bomb = b"[" * 100_000 + b"]" * 100_000
    done = todo.process("import", "-", input=bomb)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, stderr
    assert "nested" in stderr
    assert "line 1" in stderr
    assert "Traceback" not in stderr
    assert nothing_written(todo)


# A middle process feeds `todo import -` on stdin with a task whose one string is
# GiB of "x", 1 MiB at a time, and reports the child's peak memory: RUSAGE_CHILDREN
# of the middle process sees that child alone (not every process pytest waited for).
_FEED_A_HUGE_LINE = r"""
import json, resource, subprocess, sys, time
gib = int(sys.argv[1])
began = time.monotonic()
child = subprocess.Popen(
    [sys.executable, "-m", "todo_cli", "import", "-"],
    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
)
chunk, fed = b"x" * (1 << 20), 0
try:
    child.stdin.write(b'[{"uuid":"')
    for _ in range(gib << 10):
        child.stdin.write(chunk)
        fed += 1
    child.stdin.write(b'"}]\n')
    child.stdin.close()
except BrokenPipeError:
    pass
stderr = child.stderr.read().decode("utf-8", "replace")
code = child.wait()
print(json.dumps({
    "code": code,
    "stderr": stderr,
    "seconds": time.monotonic() - began,
    "fed_mib": fed,
    "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def test_a_one_gib_line_on_stdin_is_refused_quickly_in_bounded_memory(todo: Todo) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FEED_A_HUGE_LINE, "1"],
        env=dict(os.environ) | todo.env,
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=True,
    )
    outcome = json.loads(done.stdout)
    assert outcome["code"] == 2, outcome["stderr"]
    assert "too large" in outcome["stderr"]
    assert "line 1" in outcome["stderr"]
    assert outcome["seconds"] < 30
    assert outcome["peak_kib"] * 1024 < 256 * MiB  # a quarter of what was sent, at most
    assert nothing_written(todo)


def test_skip_invalid_imports_the_valid_tasks_and_reports_each_one_left_out(
    todo: Todo, tmp_path: Path
) -> None:
    data = json.dumps(
        [
            own(title="Good one"),
            own(due="2026-02-30T10:00:00Z"),
            own(title="Good two"),
            own(priority="X"),
        ]
    )
    path = write(tmp_path, "tasks.json", data)
    summary = import_json(todo, path, "--skip-invalid")
    assert (summary["added"], summary["skipped"]) == (2, {"invalid": 2})
    assert [p.split(":")[0:2] for p in summary["problems"]] == [
        ["task 2", " due"],
        ["task 4", " priority"],
    ]
    assert sorted(t["title"] for t in tasks(todo)) == ["Good one", "Good two"]


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (tw(description="Kept", project="p\ud800"), "'taskwarrior.project': its value"),
        (tw(description="Kept", myuda="s \udc80 x"), "'myuda': its value"),
        (tw(description="Kept", **{"uda\ud800": "x"}), "'uda\\ud800': its name"),
        (own(title="Kept", attributes={"x": ["a", {"b": "\ud800"}]}), "'x': its value"),
    ],
    ids=["taskwarrior project", "taskwarrior uda", "uda name", "own attributes"],
)
def test_a_lone_surrogate_in_what_a_task_keeps_is_refused_naming_it(
    todo: Todo, tmp_path: Path, bad: dict[str, Any], named: str
) -> None:
    """A lone surrogate (no UTF-8) where a task keeps another tool's fields was a crash
    at the write ("this is a bug", exit 70), with --dry-run and --skip-invalid too."""
    path = write(tmp_path, "tasks.json", json.dumps([bad]))
    for extra in ((), ("--dry-run",)):
        result = todo("import", str(path), *extra)
        assert result.exit_code == 2, result.stderr
        assert (
            f"task 1 ({bad.get('uuid') or bad['id']}): attributes: {named} is not valid UTF-8"
            in (result.stderr)
        )
    assert nothing_written(todo)
    good = tw(description="Fine") if "uuid" in bad else own(title="Fine")
    summary = import_json(
        todo, write(tmp_path, "two.json", json.dumps([bad, good])), "--skip-invalid"
    )
    assert (summary["added"], summary["skipped"]) == (1, {"invalid": 1})
    assert [t["title"] for t in tasks(todo)] == ["Fine"]


def test_skip_invalid_counts_a_task_with_two_problems_as_one_task_left_out(
    todo: Todo, tmp_path: Path
) -> None:
    data = json.dumps([own(title="Good"), own(tags=["bad tag"], priority="X"), own(title="Fine")])
    path = write(tmp_path, "tasks.json", data)
    result = ok(todo("import", str(path), "--skip-invalid", "--dry-run"))
    assert "2 added, 0 updated, 0 unchanged, 1 skipped" in result.stderr
    assert "skipped 1 task: invalid" in result.stderr
    summary = import_json(todo, path, "--skip-invalid")
    assert (summary["added"], summary["skipped"]) == (2, {"invalid": 1})
    assert [p.split(":")[0:2] for p in summary["problems"]] == [
        ["task 2", " priority"],
        ["task 2", " tags"],
    ]


def test_skip_invalid_counts_a_todotxt_line_with_two_problems_as_one_task_left_out(
    todo: Todo, tmp_path: Path
) -> None:
    path = write(tmp_path, "todo.txt", "Good one\nBad due:2026-02-30 t:2026-02-31\nGood two\n")
    summary = import_json(todo, path, "--skip-invalid", "--dry-run")
    assert len(summary["problems"]) == 2
    assert (summary["added"], summary["skipped"]) == (2, {"invalid": 1})
    result = ok(todo("import", str(path), "--skip-invalid"))
    assert "2 added, 0 updated, 0 unchanged, 1 skipped" in result.stderr
    assert "skipped 1 task: invalid" in result.stderr


def test_skip_invalid_names_each_task_left_out_on_stderr(todo: Todo, tmp_path: Path) -> None:
    data = json.dumps([own(), own(due="2026-02-30T10:00:00Z"), own(priority="X")])
    result = ok(todo("import", str(write(tmp_path, "tasks.json", data)), "--skip-invalid"))
    assert "1 added" in result.stderr
    assert "2 skipped" in result.stderr
    assert "left out: task 2: due:" in result.stderr
    assert "left out: task 3: priority:" in result.stderr


def test_skip_invalid_names_twenty_left_out_and_counts_the_rest(todo: Todo, tmp_path: Path) -> None:
    lines = "".join(f"Bad {n} due:2026-02-30\n" for n in range(1, 26))
    result = ok(todo("import", str(write(tmp_path, "todo.txt", lines)), "--skip-invalid"))
    named = [line for line in result.stderr.splitlines() if line.startswith("  left out: ")]
    assert len(named) == 20
    assert "  ... and 5 more left out (--json lists them all)\n" in result.stderr
    assert "0 added, 0 updated, 0 unchanged, 25 skipped" in result.stderr


@pytest.mark.parametrize("fmt", ["json", "taskwarrior"])
def test_skip_invalid_says_a_dependency_on_a_task_left_out_was_skipped(
    todo: Todo, tmp_path: Path, fmt: str
) -> None:
    if fmt == "json":
        bad = own(title="Bad", priority="X")
        bad_id = bad["id"]
        good = own(title="Good", depends=[bad_id])
        good_id = good["id"]
    else:
        bad = tw(description="Bad", priority=3)
        bad_id = bad["uuid"]
        good = tw(description="Good", depends=[bad_id])
        good_id = good["uuid"]
    path = write(tmp_path, "tasks.json", json.dumps([good, bad]))
    summary = import_json(todo, path, "--skip-invalid")
    assert (summary["added"], summary["skipped"]) == (1, {"invalid": 1})
    # The task is in the file: "not in the file nor one of your tasks" was wrong.
    assert summary["notices"] == [
        f"{good_id}: depends on {bad_id}, which was skipped (invalid): left out"
    ]
    assert titled(tasks(todo), "Good")["depends"] == []


def test_a_dependency_on_a_second_open_task_of_a_series_says_it_was_skipped(
    todo: Todo, tmp_path: Path
) -> None:
    series = str(uuid4())
    recurring = {"recur": "weekly", "series_id": series, "due": "2026-12-07T09:00:00.000000Z"}
    first, second = own(title="Water plants", **recurring), own(title="Again", **recurring)
    waiting = own(title="Waits on the second", depends=[second["id"]])
    path = write(tmp_path, "tasks.json", json.dumps([first, second, waiting]))
    summary = import_json(todo, path)
    assert summary["added"] == 2
    assert (
        f"{waiting['id']}: depends on {second['id']}, which was skipped "
        "(a second open task of a recurring series): left out"
    ) in summary["notices"]


def _lines(*lines: str | bytes) -> bytes:
    return b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)


UNREADABLE_LINES = [
    pytest.param(
        "tasks.jsonl",
        _lines(
            json.dumps(own(title="Task 1")),
            json.dumps(own(title="Task 2")),
            "{not json}",
            json.dumps(own(title="Task 4")),
        ),
        "line 3: is not valid JSON",
        ["Task 1", "Task 2", "Task 4"],
        id="json-lines-not-json",
    ),
    pytest.param(
        "tasks.jsonl",
        _lines(
            json.dumps(own(title="Task 1")), b'{"title": "\xff"}', json.dumps(own(title="Task 3"))
        ),
        "line 2: is not valid UTF-8",
        ["Task 1", "Task 3"],
        id="json-lines-not-utf8",
    ),
    pytest.param(
        "export.jsonl",
        _lines(
            "{not json}",
            json.dumps(tw(description="Task 2")),
            json.dumps(tw(description="Task 3")),
        ),
        "line 1: is not valid JSON",
        ["Task 2", "Task 3"],
        id="taskwarrior-lines-first-line",
    ),
    pytest.param(
        "todo.txt",
        _lines("Task 1", b"Broken \xff byte", "Task 3"),
        "line 2: is not valid UTF-8",
        ["Task 1", "Task 3"],
        id="todotxt-not-utf8",
    ),
]


@pytest.mark.parametrize(("name", "data", "where", "titles"), UNREADABLE_LINES)
def test_skip_invalid_passes_over_a_line_that_cannot_be_read(
    todo: Todo, tmp_path: Path, name: str, data: bytes, where: str, titles: list[str]
) -> None:
    path = write(tmp_path, name, data)
    refused = todo("import", str(path))
    assert refused.exit_code == 2, refused.stderr
    assert where.split(":")[0] in refused.stderr
    assert nothing_written(todo)
    summary = import_json(todo, path, "--skip-invalid", "--dry-run")
    assert (summary["added"], summary["skipped"]) == (len(titles), {"invalid": 1})
    assert [problem.startswith(where) for problem in summary["problems"]] == [True]
    result = ok(todo("import", str(path), "--skip-invalid"))
    assert f"left out: {where}" in result.stderr
    assert sorted(t["title"] for t in tasks(todo)) == titles


def test_skip_invalid_does_not_pass_over_a_mistake_in_a_json_array(
    todo: Todo, tmp_path: Path
) -> None:
    # After a mistake inside an array nothing tells where the next task begins.
    data = f"[\n{json.dumps(own())},\n{{not json}},\n{json.dumps(own())}\n]\n"
    result = todo("import", str(write(tmp_path, "tasks.json", data)), "--skip-invalid")
    assert result.exit_code == 2, result.stderr
    assert "is not valid JSON" in result.stderr
    assert nothing_written(todo)


def test_skip_invalid_still_refuses_a_line_too_long_to_read(todo: Todo, tmp_path: Path) -> None:
    data = _lines(json.dumps(own()), json.dumps(own(description="x" * (9 * MiB))))
    result = todo("import", str(write(tmp_path, "tasks.jsonl", data)), "--skip-invalid")
    assert result.exit_code == 2, result.stderr
    assert "line 2 is longer than 8 MiB" in result.stderr
    assert nothing_written(todo)


# --- export -o, filters -------------------------------------------------------------------------


def test_export_to_a_file_prints_nothing_and_the_file_is_private(
    todo: Todo, tmp_path: Path
) -> None:
    fill(todo)
    target = tmp_path / "backup.json"
    result = ok(todo("export", "--all", "-o", str(target)))
    assert result.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text("utf-8") == ok(todo("export", "--all")).stdout


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory of the test's own (the database lives beside
    it): what a command leaves in it shows."""
    directory = tmp_path / "here"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


def test_export_to_dash_writes_stdout_not_a_file_named_dash(todo: Todo, here: Path) -> None:
    fill(todo)
    result = ok(todo("export", "--all", "-o", "-"))
    assert result.stdout == ok(todo("export", "--all")).stdout
    assert json.loads(result.stdout)
    assert list(here.iterdir()) == []


def test_export_takes_json_as_every_command_that_prints_data_does(todo: Todo) -> None:
    # --json: the data is JSON (it is by default), and an error is JSON on stderr.
    fill(todo)
    assert ok(todo("export", "--all", "--json")).stdout == ok(todo("export", "--all")).stdout
    tw = ok(todo("export", "--json", "--format", "taskwarrior")).stdout
    assert tw == ok(todo("export", "--format", "taskwarrior")).stdout
    bad_date = todo("export", "--json", "due:someday")
    assert bad_date.exit_code == 2
    assert json.loads(bad_date.stderr)["error"]["code"] == "invalid_input"
    not_json = todo("export", "--json", "--format", "todotxt")
    assert (not_json.exit_code, json.loads(not_json.stderr)) == (
        2,
        {
            "error": {
                "code": "usage",
                "message": "--json and --format todotxt: todo.txt is not JSON (give one)",
            }
        },
    )
    assert not_json.stdout == ""


def test_an_empty_file_name_is_a_clear_error_not_the_working_directory(
    todo: Todo, here: Path
) -> None:
    # Path("") is ".": without a check, "cannot write : Is a directory" (exit 74).
    fill(todo)
    before = ok(todo("export", "--all")).stdout
    written = todo("export", "-o", "")
    assert (written.exit_code, written.stderr) == (
        2,
        "error: --output: the file name is empty (give a FILE, or - for stdout)\n",
    )
    assert list(here.iterdir()) == []
    for command in (["import", ""], ["chat-log", "import", ""]):
        read = todo(*command)
        assert (read.exit_code, read.stderr) == (
            2,
            "error: the file name is empty: give a FILE, or - for stdin (nothing was imported)\n",
        ), command
    assert ok(todo("export", "--all")).stdout == before


def test_a_zip_or_gzip_file_is_named_as_one_and_what_to_do_said(todo: Todo, tmp_path: Path) -> None:
    # A ChatGPT export arrives as a zip; "not valid UTF-8 (line 1)" said nothing useful.
    import gzip
    import zipfile

    inner = write(tmp_path, "conversations.json", "[]")
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.write(inner, "conversations.json")
    (tmp_path / "tasks.json.gz").write_bytes(gzip.compress(b"[]"))
    said = {
        "export.zip": "is a zip archive, not text: unzip it and import the file inside",
        "tasks.json.gz": "is gzip-compressed, not text: gunzip it, and import what comes out",
    }
    for command in (["import"], ["chat-log", "import"]):
        for name, what in said.items():
            result = todo(*command, str(tmp_path / name))
            assert (result.exit_code, result.stderr) == (
                2,
                f"error: {tmp_path / name} {what} (nothing was imported)\n",
            ), command
    assert nothing_written(todo)


def test_export_from_a_deleted_working_directory_is_exit_74(todo: Todo, tmp_path: Path) -> None:
    # The shell still sits in a directory that was removed: realpath cannot ask
    # where a relative name is. One line, exit 74, as any file it cannot write.
    fill(todo)
    gone = tmp_path / "gone"
    gone.mkdir()
    script = 'cd "$1" && rmdir "$1" && exec "$0" -m todo_cli export -o x.json'
    proc = subprocess.run(
        ["sh", "-c", script, sys.executable, str(gone)],
        capture_output=True,
        env=dict(os.environ) | todo.env,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr.decode()) == (
        74,
        "error: cannot write x.json: the working directory no longer exists\n",
    )


def test_export_over_a_readable_file_leaves_it_private(todo: Todo, tmp_path: Path) -> None:
    fill(todo)
    target = write(tmp_path, "backup.json", "old\n")
    target.chmod(0o644)
    ok(todo("export", "--all", "-o", str(target)))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text("utf-8"))


def test_export_into_a_fifo_writes_to_its_reader_and_leaves_the_fifo(
    todo: Todo, tmp_path: Path
) -> None:
    # `todo export -o >(gzip > backup.gz)` and `mkfifo` hand todo a pipe: renaming a file
    # over it would leave the reader waiting for nothing.
    fill(todo)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE) as reader:
        try:
            ok(todo("export", "--all", "-o", str(fifo)))
            received, _ = reader.communicate(timeout=10)
        finally:
            reader.kill()  # a reader left waiting (the pipe replaced) must not outlive the test
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received.decode("utf-8") == ok(todo("export", "--all")).stdout


def test_export_through_a_symlink_writes_its_target_and_keeps_the_link(
    todo: Todo, tmp_path: Path
) -> None:
    fill(todo)
    target = write(tmp_path, "backups/latest.json", "old\n")
    link = tmp_path / "backup.json"
    link.symlink_to(Path("backups") / "latest.json")
    ok(todo("export", "--all", "-o", str(link)))
    assert link.is_symlink()
    assert target.read_text("utf-8") == ok(todo("export", "--all")).stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["latest.json"]  # no temporary
    # A link to a file not made yet: the file is made where the link points.
    dangling = tmp_path / "next.json"
    dangling.symlink_to("made-later.json")
    ok(todo("export", "--all", "-o", str(dangling)))
    assert dangling.is_symlink()
    assert json.loads((tmp_path / "made-later.json").read_text("utf-8"))


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_export_into_a_character_device_leaves_it_a_device(todo: Todo, tmp_path: Path) -> None:
    # A private null device (1, 3), so that a regression cannot harm the real /dev/null.
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    device.chmod(0o666)
    fill(todo)
    ok(todo("export", "--all", "-o", str(device)))
    assert stat.S_ISCHR(device.lstat().st_mode)
    assert stat.S_IMODE(device.lstat().st_mode) == 0o666


def test_export_to_dev_null_succeeds_and_dev_null_stays_a_device(todo: Todo) -> None:
    fill(todo)
    ok(todo("export", "--all", "-o", os.devnull))
    assert os.path.exists(os.devnull)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@pytest.mark.parametrize("named", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "link"])
def test_export_to_a_descriptors_path_writes_into_it_and_replaces_nothing(
    todo: Todo, tmp_path: Path, named: str
) -> None:
    # /dev/stdout leads to the file the shell opened: the atomic write renamed its own
    # file over that one, and a `>>` log lost what it had (and became 0600).
    fill(todo)
    log = write(tmp_path, "log.txt", "KEPT 1\nKEPT 2\n")
    log.chmod(0o644)
    (tmp_path / "link").symlink_to("/dev/stdout")
    where = str(tmp_path / named) if named == "link" else named
    appended = in_bash(todo, '"${TODO[@]}" export --all -o "$1" >> "$2"', where, str(log))
    assert appended.returncode == 0, appended.stderr
    expected = ok(todo("export", "--all")).stdout
    assert log.read_text("utf-8") == "KEPT 1\nKEPT 2\n" + expected
    assert stat.S_IMODE(log.stat().st_mode) == 0o644
    grouped = tmp_path / "group.txt"
    script = '{ echo head; "${TODO[@]}" export --all -o "$1"; echo foot; } > "$2"'
    assert in_bash(todo, script, where, str(grouped)).returncode == 0
    assert grouped.read_text("utf-8") == "head\n" + expected + "foot\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary


def test_export_to_another_descriptor_writes_there(todo: Todo, tmp_path: Path) -> None:
    # README's own advice for the command server: -o /dev/fd/4 4>out.json.
    fill(todo)
    out = write(tmp_path, "out.txt", "first\n")
    proc = in_bash(todo, '"${TODO[@]}" export --all -o /dev/fd/4 4>>"$1"', str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text("utf-8") == "first\n" + ok(todo("export", "--all")).stdout


def test_export_refuses_to_replace_a_read_only_backup(todo: Todo, tmp_path: Path) -> None:
    fill(todo)
    kept = write(tmp_path, "backup.json", "KEEP\n")
    kept.chmod(0o444)
    result = todo("export", "--all", "-o", str(kept))
    assert (result.exit_code, result.stderr) == (
        74,
        f"error: cannot write {kept}: it is read-only (make it writable to replace it)\n",
    )
    assert kept.read_text("utf-8") == "KEEP\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_export_into_a_directory_it_may_not_change_says_why_and_what_to_do(
    todo: Todo, tmp_path: Path, backend: str
) -> None:
    """The file is writable, its directory is not: the file is written beside it and
    moved over it, which the directory refuses. "Permission denied" alone named the
    file, which the user may write, and gave no hint."""
    if backend != "sqlite":
        not_applicable("a file system matter: the sqlite run covers it")
    fill(todo)
    shut = tmp_path / "shut"
    shut.mkdir()
    kept = write(shut, "backup.json", "KEEP\n")
    kept.chmod(0o666)
    shut.chmod(0o555)
    # Root writes anywhere: without the capability to pass over a directory's mode.
    drop = (
        "setpriv --inh-caps=-all --bounding-set=-dac_override,-dac_read_search "
        if os.geteuid() == 0
        else ""
    )
    try:
        proc = in_bash(todo, f'{drop}"${{TODO[@]}}" export --all -o "$1"', str(kept))
    finally:
        shut.chmod(0o755)
    assert (proc.returncode, proc.stderr.decode()) == (
        74,
        f"error: cannot write {kept}: Permission denied to make a file in {shut} (the file is "
        "written there and then moved over the old one: write into a directory you may "
        "change, or make this one writable)\n",
    )
    assert kept.read_text("utf-8") == "KEEP\n"


def test_export_to_a_path_ending_in_a_slash_is_refused_not_written_as_a_file(
    todo: Todo, tmp_path: Path
) -> None:
    # `-o backups/` wrote a file named backups, exit 0: the user meant a directory.
    fill(todo)
    result = todo("export", "--all", "-o", f"{tmp_path / 'backups'}/")
    assert (result.exit_code, result.stdout, result.stderr) == (
        74,
        "",
        f"error: cannot write {tmp_path / 'backups'}/: a path ending in / names a directory, "
        "and there is none (give a file name)\n",
    )
    assert not (tmp_path / "backups").exists()


def test_export_to_the_longest_file_name_linux_allows_is_written(
    todo: Todo, tmp_path: Path
) -> None:
    # Its temporary beside it (.NAME.xxxxxxxx) was too long: "File name too long", 74.
    fill(todo)
    target = tmp_path / ("é" * 124 + "ab.json")  # 131 characters, 255 bytes
    assert len(os.fsencode(target.name)) == 255
    ok(todo("export", "--all", "-o", str(target)))
    assert target.read_text("utf-8") == ok(todo("export", "--all")).stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_export_onto_a_read_only_file_system_says_so_not_make_the_file_writable(
    todo: Todo, tmp_path: Path, backend: str
) -> None:
    # "it is read-only (make it writable to replace it)" of a writable file: making it
    # writable changed nothing.
    if backend != "sqlite":
        not_applicable("a file system matter: the sqlite run covers it")
    fill(todo)
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    kept = write(mounted, "backup.json", "KEEP\n")
    proc = in_bash(
        todo,
        'unshare --mount bash -c \'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" '
        '&& shift && exec "$@"\' bash "$1" "${TODO[@]}" export --all -o "$2"',
        str(mounted),
        str(kept),
    )
    if b"unshare failed" in proc.stderr or b"mount:" in proc.stderr:
        not_applicable(f"needs a mount namespace of its own: {proc.stderr.decode()!r}")
    assert (proc.returncode, proc.stderr.decode()) == (
        74,
        f"error: cannot write {kept}: it is on a read-only file system\n",
    )
    assert kept.read_text("utf-8") == "KEEP\n"


def test_export_through_a_symlink_loop_is_a_write_error_not_a_bug(
    todo: Todo, tmp_path: Path
) -> None:
    fill(todo)
    (tmp_path / "self").symlink_to("self")
    result = todo("export", "-o", str(tmp_path / "self"))
    assert (result.exit_code, result.stderr) == (
        74,
        f"error: cannot write {tmp_path / 'self'}: Too many levels of symbolic links\n",
    )


def _limit_file_size() -> None:
    # Writing past this fails with EFBIG (Python ignores SIGXFSZ), as a full disk would
    # fail half way through an export.
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_an_export_that_fails_half_way_leaves_the_old_file(todo: Todo, tmp_path: Path) -> None:
    ok(
        todo(
            "add",
            input="".join(f"Task number {n} with a title of some length\n" for n in range(600)),
        )
    )
    target = write(tmp_path / "out", "backup.json", "the old backup\n")
    done = subprocess.run(
        [sys.executable, "-m", "todo_cli", "export", "--all", "-o", str(target)],
        env=dict(os.environ) | todo.env,
        cwd=REPO,
        capture_output=True,
        preexec_fn=_limit_file_size,
        timeout=60,
        check=False,
    )
    assert done.returncode == 74, done.stderr
    assert target.read_text("utf-8") == "the old backup\n"
    assert [p.name for p in target.parent.iterdir()] == ["backup.json"]  # no half file left


def test_export_filters_like_list(todo: Todo) -> None:
    fill(todo)
    ok(todo("add", "Done work", "+work"))
    ok(todo("done", "+work", "Done"))
    exported = json.loads(ok(todo("export", "+work", "--all")).stdout)
    assert sorted((t["title"], t["completed"]) for t in exported) == [
        ("Done work", True),
        ("Write report", False),
    ]


def test_completed_tasks_are_exported_only_with_all(todo: Todo) -> None:
    fill(todo)
    open_only = json.loads(ok(todo("export")).stdout)
    everything = json.loads(ok(todo("export", "--all")).stdout)
    assert not any(t["completed"] for t in open_only)
    assert sorted(t["title"] for t in everything if t["completed"]) == [
        "Old chore",
        "Weekly review",
    ]
    assert [t for t in everything if not t["completed"]] == open_only


# --- history and undo ---------------------------------------------------------------------------


def test_an_import_is_one_line_in_history(todo: Todo) -> None:
    ok(todo("import", str(TASKWARRIOR / "export.json")))
    (operation,) = ok(todo("history", "--json")).json()
    assert operation["command"] == shlex.join(["todo", "import", str(TASKWARRIOR / "export.json")])
    assert operation["summary"] == "added 8 tasks"
    assert len(ok(todo("history")).stdout.strip().splitlines()) == 2  # the header and one


def test_undo_removes_everything_an_import_added(todo: Todo) -> None:
    ok(todo("add", "Mine before"))
    before = tasks(todo)
    ok(todo("import", str(TASKWARRIOR / "export.json")))
    ok(todo("undo"))
    assert tasks(todo) == before
    for table in ("task_tags", "task_notes", "task_dependencies"):
        assert count(todo.url, table) == 0, table


# --- progress ------------------------------------------------------------------------------------


def test_a_piped_import_draws_no_progress_bar(
    todo: Todo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough for a bar (over a second), with what makes rich draw on any stream.
    many = [tw(description=f"Task {n}", tags=["bulk"], project="big") for n in range(5000)]
    source = write(tmp_path, "big.json", json.dumps(many))
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    done = todo.process("import", str(source))
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 0, stderr
    assert "\r" not in stderr
    assert "\x1b" not in stderr
    assert stderr == ("imported from taskwarrior: 5,000 added, 0 updated, 0 unchanged, 0 skipped\n")


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]], ids=["import", "dry-run"])
def test_another_users_task_ids_are_refused_plainly_on_every_backend(
    todo: Todo, tmp_path: Path, dry_run: list[str]
) -> None:
    """Under row security bob cannot see alice's tasks: the database's key tells, and
    the refusal is the same plain one as where todo can see them."""
    assert todo("add", "Alice's task").exit_code == 0
    exported = export_bytes(todo, tmp_path)
    (alices,) = json.loads(exported)
    source = write(tmp_path, "alice.json", exported)
    bob = todo.as_user("bob")
    result = bob("import", str(source), *dry_run)
    # Named, as where todo sees every user's tasks (under row security only the key
    # knows, and the refusal said "a task of alice.json").
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: task {alices['id']} is already in this database, under another user "
        "(nothing was imported)\n",
    )
    assert "pk_tasks" not in result.stderr
    assert bob("list", "--json").json() == []
    # Scripts read it as the refusal of what the file holds, as any other.
    refused = bob("import", str(source), "--json", *dry_run)
    assert refused.exit_code == 2, refused.stderr
    assert json.loads(refused.stderr)["error"]["code"] == "invalid_input"


def test_every_task_id_of_another_user_is_named_in_one_refusal(todo: Todo, tmp_path: Path) -> None:
    # One at a time, a file of eight of alice's tasks took eight tries to learn which.
    for n in range(1, 9):
        assert todo("add", f"Alice's task {n}").exit_code == 0
    exported = export_bytes(todo, tmp_path)
    ids = [task["id"] for task in json.loads(exported)]
    bob = todo.as_user("bob")
    result = bob("import", str(write(tmp_path, "alice.json", exported)))
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: task {ids[0]} is already in this database, under another user (and 7 more: "
        f"{', '.join(ids[1:6])} and 2 more) (nothing was imported)\n",
    )
    # With --json, every one of them, where it is in the file.
    result = bob("import", str(tmp_path / "alice.json"), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stderr)["error"]["problems"] == [
        {
            "where": f"task {n} ({task_id})",
            "field": "id",
            "message": "is already in this database, under another user",
        }
        for n, task_id in enumerate(ids, 1)
    ]
    assert bob("list", "--json").json() == []


def test_a_task_left_as_it_is_gets_no_notice_of_what_its_import_kept(
    todo: Todo, tmp_path: Path
) -> None:
    # The copy with a project todo cannot hold, and no newer `modified`, is left alone:
    # "0 updated, 1 unchanged" and yet "kept with the task, shown by todo show".
    task = tw(description="Call the bank")
    assert import_json(todo, write(tmp_path, "first.json", json.dumps([task])))["added"] == 1
    projected = task | {"project": "my project"}
    again = import_json(todo, write(tmp_path, "again.json", json.dumps([projected])))
    assert (again["updated"], again["unchanged"], again["notices"]) == (0, 1, [])
    assert "my project" not in ok(todo("show", "1")).stdout
    newer = projected | {"modified": "20261121T080000Z"}
    taken = import_json(todo, write(tmp_path, "newer.json", json.dumps([newer])))
    assert (taken["updated"], taken["unchanged"]) == (1, 0)
    assert taken["notices"] == [
        "task 1: project 'my project' is no project here: kept with the task, shown by "
        "todo show and written back on Taskwarrior export"
    ]
    assert "my project" in ok(todo("show", "1")).stdout


def test_two_users_import_the_same_todotxt_lines_as_tasks_of_their_own(
    todo: Todo, tmp_path: Path
) -> None:
    """A line without uuid: had an id made of its date and words alone: bob's import of
    a "Buy milk" alice had was refused, and where members are kept apart that told bob
    which words another member's tasks hold."""
    source = write(tmp_path, "todo.txt", "2026-11-30 Secret appointment\n(A) Buy milk +home\n")
    assert import_json(todo, source)["added"] == 2
    bob = todo.as_user("bob")
    dry = bob("import", str(source), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert (dry.json()["added"], dry.json()["problems"]) == (2, [])
    assert import_json(bob, source)["added"] == 2
    for who in (todo, bob):
        again = import_json(who, source)
        assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)
    alices = {task["title"]: task["id"] for task in todo("list", "--json").json()}
    bobs = {task["title"]: task["id"] for task in bob("list", "--json").json()}
    assert sorted(alices) == sorted(bobs) == ["Buy milk", "Secret appointment"]
    assert set(alices.values()).isdisjoint(bobs.values())
    # Written back, each user's lines find their tasks again without a uuid: word.
    for who in (todo, bob):
        exported = who("export", "--format", "todotxt")
        assert exported.exit_code == 0, exported.stderr
        assert exported.stdout == source.read_text(encoding="utf-8")


def test_a_todotxt_task_imported_when_ids_were_everyones_is_found_again(
    todo: Todo, tmp_path: Path
) -> None:
    """A task an older todo imported from a line has the id of the line's words alone:
    importing the file again finds it (no second copy), and writes it back bare."""
    from todo_cli.formats import todotxt as reader

    line = "2026-11-30 Water the plants"
    read = reader.read([(1, line)], tz=ZoneInfo(ZONE), today=datetime(2026, 11, 30).date())
    (older,) = read.records
    made = own(
        id=str(older.id),
        number=1,
        title="Water the plants",
        created_at="2026-11-29T23:00:00.000000Z",
        updated_at="2026-11-29T23:00:00.000000Z",
    )
    assert import_json(todo, write(tmp_path, "older.json", json.dumps([made])))["added"] == 1
    source = write(tmp_path, "todo.txt", line + "\n")
    again = import_json(todo, source)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 1)
    (task,) = todo("list", "--all", "--json").json()
    assert task["id"] == str(older.id)
    assert ok(todo("export", "--format", "todotxt")).stdout == line + "\n"
    # Bob's line of the same words is his own task, beside it.
    bob = todo.as_user("bob")
    assert import_json(bob, source)["added"] == 1
    (his,) = bob("list", "--json").json()
    assert his["id"] != str(older.id)


def test_skip_invalid_leaves_out_another_users_task_and_imports_the_rest(
    todo: Todo, tmp_path: Path, backend: str
) -> None:
    """--skip-invalid leaves another user's task out (theirs untouched, nothing linked
    to it) and imports the rest: under row security too, where their task is invisible
    and only the key knows its id is taken. Without it, the import is refused."""
    assert todo("add", "Alice's task").exit_code == 0
    (alices,) = json.loads(export_bytes(todo, tmp_path))
    bobs = own(id=str(uuid4()), number=2, title="Bob's task", depends=[alices["id"]])
    source = write(tmp_path, "mixed.json", json.dumps([alices, bobs]))
    bob = todo.as_user("bob")
    refused = bob("import", str(source))
    assert refused.exit_code == 2, refused.stderr
    assert "under another user" in refused.stderr
    assert bob("list", "--all", "--json").json() == []
    dry = bob("import", str(source), "--skip-invalid", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert (dry.json()["added"], dry.json()["skipped"]) == (1, {"invalid": 1})
    result = bob("import", str(source), "--skip-invalid", "--json")
    assert result.exit_code == 0, result.stderr
    summary = result.json()
    assert (summary["added"], summary["updated"], summary["skipped"]) == (1, 0, {"invalid": 1})
    assert summary["problems"] == [
        f"task 1 ({alices['id']}): is already in this database, under another user"
    ]
    assert summary["notices"] == [
        f"{bobs['id']}: depends on {alices['id']}, which was skipped (invalid): left out"
    ]
    (imported,) = bob("list", "--json").json()
    assert (imported["title"], imported["depends"]) == ("Bob's task", [])
    (kept,) = todo("list", "--json").json()
    assert (kept["title"], kept["updated_at"]) == ("Alice's task", alices["updated_at"])


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        (
            "tw.json",
            json.dumps([tw(due="99991231T235959Z")]),
            "out of range",
        ),
        ("own.json", json.dumps([own(wait="0001-01-01T00:00:00Z")]), "wait: 0001-01-01"),
        ("todo.txt", "(A) tw due:9999-12-31\n", "line 1: a date on the line is out of range"),
    ],
    ids=["taskwarrior-due", "own-wait", "todotxt-due"],
)
def test_a_date_at_the_calendars_end_is_refused_as_add_refuses_it(
    todo: Todo, tmp_path: Path, name: str, text: str, said: str
) -> None:
    result = todo("import", str(write(tmp_path, name, text)))
    assert result.exit_code == 2, result.stderr
    assert said in result.stderr
    assert nothing_written(todo)


def test_tasks_are_read_by_id_past_the_drivers_limit_on_parameters(todo: Todo) -> None:
    """A re-import reads back every task of the file it holds: more ids than one
    statement may bind (PostgreSQL takes 65,535 parameters, SQLite 32,766 or 250,000
    as built) are read in parts, and come back by number as one read gives them."""
    from todo_cli.db.transaction import transaction
    from todo_cli.repository.tasks import TaskRepository
    from todo_cli.settings import resolve

    ok(todo("add", "first"))
    ok(todo("add", "second"))
    ids = [UUID(task["id"]) for task in json.loads(ok(todo("list", "--json")).stdout)]
    # #2 first and #1 last: in different parts.
    wanted = [ids[1], *(uuid4() for _ in range(250_001)), ids[0]]
    with transaction(resolve(db=todo.url, user="alice", environ={})) as conn:
        found = TaskRepository(conn, "alice", lean=True).by_ids(wanted)
    assert [task.number for task in found] == [1, 2]


@pytest.mark.parametrize("name", ["todo.db", "link.db", "todo.db-wal"])
def test_export_over_the_sqlite_database_itself_is_refused(tmp_path: Path, name: str) -> None:
    # Moved over it, one user's tasks as JSON replaced every user's tasks, chat logs
    # and history, and the next command found no database.
    todo = Todo(f"sqlite:///{tmp_path / 'todo.db'}")
    ok(todo("add", "keep me"))
    ok(todo("chat-log", "new", "--title", "a talk"))
    (tmp_path / "link.db").symlink_to(tmp_path / "todo.db")
    result = todo("export", "-o", str(tmp_path / name))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --output {tmp_path / name}: that is todo's database")
    assert [t["title"] for t in tasks(todo)] == ["keep me"]
    assert len(ok(todo("chat-log", "list", "--json")).json()) == 1
    wal = tmp_path / "todo.db-wal"  # SQLite's own, if there: never the export
    assert not wal.exists() or not wal.read_bytes().startswith(b"[")


def test_export_selects_as_list_does_with_the_waiting_tasks_too(todo: Todo) -> None:
    # Documented (help and README): a backup of +errand holds the errand that waits.
    ok(todo("add", "Buy milk", "+errand"))
    ok(todo("add", "Later", "+errand", "wait:tomorrow"))
    ok(todo("add", "Other"))
    assert [t["title"] for t in ok(todo("list", "+errand", "--json")).json()] == ["Buy milk"]
    exported = json.loads(ok(todo("export", "+errand")).stdout)
    assert [t["title"] for t in exported] == ["Buy milk", "Later"]
    assert "waiting ones included" in ok(todo("export", "--help")).stdout


# --- instants of our own JSON ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-12-24T17:00:00.000000Z", datetime(2026, 12, 24, 17, tzinfo=UTC)),
        ("2026-12-24T17:00:00Z", datetime(2026, 12, 24, 17, tzinfo=UTC)),
        ("2026-12-24T18:00:00.5+01:00", datetime(2026, 12, 24, 17, 0, 0, 500000, tzinfo=UTC)),
        ("2026-12-24T17:00:00-00:00", datetime(2026, 12, 24, 17, tzinfo=UTC)),
        # RFC 3339 (5.6): "T" and "Z" may be lower case; they were refused as no RFC 3339 time.
        ("2026-12-24t17:00:00z", datetime(2026, 12, 24, 17, tzinfo=UTC)),
        ("2026-12-24t18:00:00+01:00", datetime(2026, 12, 24, 17, tzinfo=UTC)),
        # Nanoseconds (Go's RFC3339Nano) were refused as no RFC 3339 time: cut.
        ("2026-12-24T17:00:00.123456789Z", datetime(2026, 12, 24, 17, 0, 0, 123456, tzinfo=UTC)),
        ("2026-12-24T18:00:00.1234567+01:00", datetime(2026, 12, 24, 17, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_an_rfc_3339_time_is_read_in_each_of_its_spellings(text: str, instant: datetime) -> None:
    from todo_cli.formats.interchange import parse_instant

    assert parse_instant(text) == instant


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-12-24 17:00:00Z", "is not an RFC 3339 time"),
        ("2026-12-24x17:00:00Z", "is not an RFC 3339 time"),
        ("2026-12-24T17:00:00", "is not an RFC 3339 time"),  # no zone: no one instant
        ("2026-12-24T17:00:00y", "is not an RFC 3339 time"),
        ("2026-12-24T17:00:00.1234567891Z", "is not an RFC 3339 time"),  # past nanoseconds
        ("2026-02-30T17:00:00Z", "is not a date that exists"),
    ],
)
def test_a_time_that_is_no_rfc_3339_instant_is_refused_saying_why(text: str, why: str) -> None:
    from todo_cli.formats.interchange import parse_instant

    with pytest.raises(ValueError, match=why):
        parse_instant(text)


def test_a_task_of_our_json_with_times_to_the_nanosecond_is_imported_to_the_microsecond(
    todo: Todo, tmp_path: Path
) -> None:
    made = own(
        title="From Go",
        created_at="2026-11-20T08:00:00.123456789Z",
        updated_at="2026-11-20T08:00:00.999999999Z",
        due="2026-12-24T17:00:00.5000001+01:00",
    )
    assert import_json(todo, write(tmp_path, "go.json", json.dumps([made])))["added"] == 1
    (task,) = json.loads(ok(todo("export")).stdout)
    assert (task["created_at"], task["updated_at"], task["due"]) == (
        "2026-11-20T08:00:00.123456Z",
        "2026-11-20T08:00:00.999999Z",
        "2026-12-24T16:00:00.500000Z",
    )


def test_a_task_of_our_json_with_lower_case_t_and_z_is_imported(todo: Todo, tmp_path: Path) -> None:
    ok(todo("add", "Buy milk"))
    document = json.loads(export_bytes(todo, tmp_path))
    document[0] |= {"due": "2026-12-24t17:00:00z", "updated_at": "2030-01-01t00:00:00z"}
    summary = import_json(todo, write(tmp_path, "lower.json", json.dumps(document)))
    assert summary["updated"] == 1
    assert tasks(todo)[0]["due"] == "2026-12-24T17:00:00.000000Z"


def test_a_number_changed_in_the_file_is_said_to_stay_as_it_is_here(
    todo: Todo, tmp_path: Path
) -> None:
    # The number 50 of a hand-edited task was dropped in silence, its new title taken.
    ok(todo("add", "Buy milk"))
    ok(todo("add", "Call mom"))
    document = json.loads(export_bytes(todo, tmp_path))
    document[1] |= {"number": 50, "title": "Call mom today"}
    document[1]["updated_at"] = "2099-01-01T00:00:00.000000Z"
    summary = import_json(todo, write(tmp_path, "numbered.json", json.dumps(document)))
    assert (summary["updated"], summary["unchanged"]) == (1, 1)
    assert summary["notices"] == [
        "1 task(s) keep their number here, not the file's (an import numbers no task of yours "
        "again): #2 (50 in the file)"
    ]
    assert [(t["number"], t["title"]) for t in tasks(todo)] == [
        (1, "Buy milk"),
        (2, "Call mom today"),
    ]


def test_a_task_renumbered_when_it_came_in_is_not_said_again_at_each_import(
    todo: Todo, tmp_path: Path
) -> None:
    # Its number in the file is another task's here: said once, when it was renumbered.
    other = Todo(f"sqlite:///{tmp_path / 'other.db'}")
    ok(other("add", "Buy milk"))
    copy = write(tmp_path, "copy.json", export_bytes(other, tmp_path))
    ok(todo("add", "Mine"))
    first = import_json(todo, copy)
    assert first["renumbered"] == {"1": 2}
    again = import_json(todo, copy)
    assert (again["unchanged"], again["notices"]) == (1, [])


def test_a_taskwarrior_export_with_a_title_attribute_is_read_as_taskwarriors(
    todo: Todo, tmp_path: Path
) -> None:
    # Its objects have an id (the working-set number) and, with a user-defined attribute
    # named title, a title: read as ours, "uuid: is not a field of a task", exit 2.
    exported = [
        {"id": 1, "description": "Read the paper", "title": "Attention is all you need"}
        | {"uuid": "6513270e-269e-4d37-b2a7-4de452e6b438", "status": "pending"}
        | {"entry": "20260105T080000Z", "modified": "20260105T080000Z", "urgency": 0}
    ]
    summary = import_json(todo, write(tmp_path, "tw.json", json.dumps(exported)))
    assert (summary["format"], summary["added"]) == ("taskwarrior", 1)
    (task,) = json.loads(export_bytes(todo, tmp_path))
    assert (task["title"], task["attributes"]) == (
        "Read the paper",
        {"title": "Attention is all you need"},
    )


def test_a_done_line_whose_series_runs_past_the_calendar_is_named_and_nothing_imported(
    todo: Todo, tmp_path: Path
) -> None:
    # "error: recur: the series yearly runs past 9999-12-29": neither the file's line
    # nor its task was named, and the user had to find it by hand.
    ok(todo("import", str(write(tmp_path, "a/todo.txt", "Far due:9999-12-29 rec:+1y\nMilk\n"))))
    before = tasks(todo)
    done = "x 2026-12-06 Far due:9999-12-29 rec:+1y\nx 2026-12-06 Milk\n"
    result = todo("import", str(write(tmp_path, "b/todo.txt", done)))
    assert (result.exit_code, result.stderr) == (
        2,
        "error: line 1: #1 'Far' done: recur: the series yearly runs past 9999-12-29, the "
        "last day a task can be due (nothing was imported; stop the recurrence with recur:)\n",
    )
    assert tasks(todo) == before


def test_a_refused_import_with_many_problems_lists_every_one_with_json(
    todo: Todo, tmp_path: Path
) -> None:
    """The error line names the first ten and says how to see the rest; --json's error
    object lists every problem, where and which field, for a script to act on."""
    tasks_in_file = [
        {
            "uuid": f"aaaaaaaa-0000-4000-8000-0000000001{index:02}",
            "description": f"Task {index}",
            "status": "pending",
            "entry": "20261120T093000Z" if index % 2 else f"bad{index}",
        }
        | ({"due": "soon"} if index == 7 else {})
        for index in range(1, 25)
    ]
    source = write(tmp_path, "many.json", json.dumps(tasks_in_file))
    result = todo("import", str(source))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {source}: 13 problems, nothing imported: task 2: ")
    assert result.stderr.endswith(
        "; and 3 more (fix the input and import again; --json lists every problem)\n"
    )
    result = todo("import", str(source), "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "invalid_input"
    assert error["message"].startswith(f"{source}: 13 problems, nothing imported: ")
    assert error["problems"][0] == {
        "where": "task 2",
        "field": "entry",
        "message": "'bad2' is not a date such as 20261124T093000Z",
    }
    assert error["problems"][3] == {
        "where": "task 7",
        "field": "due",
        "message": "'soon' is not a date such as 20261124T093000Z",
    }
    assert [problem["where"] for problem in error["problems"]] == [
        f"task {index}" for index in (2, 4, 6, 7, 8, 10, 12, 14, 16, 18, 20, 22, 24)
    ]
    assert nothing_written(todo)


def test_a_refused_import_with_few_problems_names_them_all_in_its_line(
    todo: Todo, tmp_path: Path
) -> None:
    source = write(tmp_path, "one.json", json.dumps([json.loads(_tw("31", "A")) | {"due": "x"}]))
    result = todo("import", str(source), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stderr) == {
        "error": {
            "code": "invalid_input",
            "message": f"{source}: 1 problem, nothing imported: task 1: due: 'x' is not "
            "a date such as 20261124T093000Z (fix the input and import again)",
            "problems": [
                {
                    "where": "task 1",
                    "field": "due",
                    "message": "'x' is not a date such as 20261124T093000Z",
                }
            ],
        }
    }
    assert nothing_written(todo)


def _name_made_id(line: str, user: str) -> UUID:
    """The id a line without uuid: was given from its user's name (before their row's id)."""
    from todo_cli.formats import todotxt as reader

    read = reader.read([(1, line)], tz=ZoneInfo(ZONE), today=datetime(2026, 11, 30).date())
    (record,) = read.records
    return reader.owned_id(record.id, reader.name_namespace(user))


def test_no_member_can_work_out_the_id_another_members_todotxt_line_gets(
    todo: Todo, backend: str, tmp_path: Path
) -> None:
    """Made from the user's name, which every login sees, the id of alice's "Secret
    appointment" line was known to bob: an import of a task with that id (a dry run)
    was refused as "already in this database, under another user", which told him she
    holds one of those words. Where row security keeps members apart it is made from
    her row's random id."""
    if backend != RLS:
        not_applicable("members are kept apart by row security alone")
    line = "2026-11-30 Secret appointment"
    source = write(tmp_path, "todo.txt", line + "\n")
    assert import_json(todo, source)["added"] == 1
    (task,) = todo("list", "--json").json()
    guessed = _name_made_id(line, todo.user)
    assert task["id"] != str(guessed)
    probe = write(tmp_path, "probe.json", json.dumps([tw(uuid=str(guessed), description="x")]))
    bob = todo.as_user("bob")
    dry = bob("import", str(probe), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert dry.json()["added"] == 1
    assert import_json(bob, source)["added"] == 1
    (his,) = bob("list", "--json").json()
    assert his["id"] not in (task["id"], str(_name_made_id(line, "bob")))


def test_a_todotxt_file_imported_again_after_a_restore_elsewhere_adds_nothing(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    """Its tasks restored into another database by our JSON, the same todo.txt imported
    there finds them: under row security their ids were made from the user's row in
    the first database, which the second does not have (every line came in twice)."""
    source = write(tmp_path, "todo.txt", "(A) Buy milk +home\nCall mom due:2026-12-30\n")
    assert import_json(todo, source)["added"] == 2
    ok(todo("delete", "2", "--yes"))
    backup = write(tmp_path, "backup.json", export_bytes(todo, tmp_path, "--all"))
    elsewhere = databases.on(backend)
    assert import_json(elsewhere, backup)["added"] == 1
    again = import_json(elsewhere, source)
    assert (again["added"], again["unchanged"]) == (1, 1)  # the deleted one: not restored
    assert import_json(elsewhere, source)["unchanged"] == 2
    assert sorted(t["title"] for t in tasks(elsewhere)) == ["Buy milk", "Call mom"]
    # Written back, each line finds its task again without a uuid: word.
    assert ok(elsewhere("export", "--format", "todotxt")).stdout == source.read_text()
    assert import_json(todo, source)["added"] == 0  # deleted here after the file: stays so


def test_two_databases_importing_one_todotxt_file_stay_one_list_when_synced(
    todo: Todo, backend: str, databases: Databases, tmp_path: Path
) -> None:
    """A laptop and a desktop each import the same todo.txt, then sync by our JSON: the
    lines have the same ids in both (made from the user's name where no row security
    keeps members apart), and nothing comes in twice."""
    if backend == RLS:
        not_applicable("under row security a line's id is the member's row's (another test)")
    source = write(tmp_path, "todo.txt", "(A) Buy milk +home\nCall mom due:2026-12-30\n")
    desktop = databases.on(backend)
    assert import_json(todo, source)["added"] == 2
    assert import_json(desktop, source)["added"] == 2
    synced = import_json(desktop, write(tmp_path, "laptop.json", export_bytes(todo, tmp_path)))
    assert synced["added"] == 0
    assert len(tasks(desktop)) == 2


def test_a_todotxt_task_whose_id_was_made_from_the_users_name_is_found_again(
    todo: Todo, tmp_path: Path
) -> None:
    """Tasks imported while ids were made from the user's name keep them: importing the
    file again finds each (no second copy), and writes it back without uuid:."""
    lines = ["2026-11-30 Water the plants", "(A) 2026-11-30 Call mom +family"]
    made = [
        own(id=str(_name_made_id(line, todo.user)), number=n, title=title)
        for n, (line, title) in enumerate(
            zip(lines, ("Water the plants", "Call mom"), strict=True), 1
        )
    ]
    made[0] |= {"created_at": "2026-11-29T23:00:00.000000Z"}
    made[1] |= {"priority": "H", "project": "family", "created_at": "2026-11-30T10:00:00.000000Z"}
    assert import_json(todo, write(tmp_path, "older.json", json.dumps(made)))["added"] == 2
    source = write(tmp_path, "todo.txt", "\n".join(lines) + "\n")
    again = import_json(todo, source)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert sorted(t["id"] for t in todo("list", "--json").json()) == sorted(m["id"] for m in made)
    assert ok(todo("export", "--format", "todotxt")).stdout == source.read_text()
