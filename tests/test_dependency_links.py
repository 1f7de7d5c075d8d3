"""Urgency counts blocking and being blocked however the dependencies were written.

SQLite keeps in each task's row how many dependencies name it, at either end
(``db.schema.DEPENDENCY_LINKS``, kept by triggers on task_dependencies), so
that ranking 100,000 tasks looks up only the tasks some dependency names;
PostgreSQL works it out in the query. Either way a bare task added a moment
ago has the urgency of its dependencies alone: +8 while an open task waits on
it, -5 while it waits on an open task.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import Todo, run_cli, sql_rows
from tests.test_journal import count, execute, latest_operation
from todo_cli.domain.urgency import BLOCKED, BLOCKING

BEFORE_LINKS = "0011"


def ok(todo: Todo, *args: str, input: str | None = None) -> Any:
    result = todo(*args, input=input)
    assert result.exit_code == 0, result.stderr
    return result


def stored_links_are_real(todo: Todo) -> None:
    """SQLite's stored count equals the dependencies that name each task."""
    rows = sql_rows(
        todo.url,
        "SELECT number, dependency_links, (SELECT count(*) FROM task_dependencies d "
        "WHERE d.task_id = tasks.id OR d.depends_on_id = tasks.id) FROM tasks",
    )
    assert {number: stored for number, stored, _ in rows} == {
        number: real for number, _, real in rows
    }


def ranks(todo: Todo, backend: str) -> dict[int, float]:
    """Each open task's urgency, checked against the open tasks it waits on and that wait on it.

    The tasks are bare and a few seconds old: their age adds far less than
    the 0.0001 urgency is rounded to.
    """
    found = ok(todo, "list", "--json").json()
    open_ids = {task["id"] for task in found}
    waited_on = {other for task in found for other in task["depends"]}
    for task in found:
        blocked = bool(open_ids.intersection(task["depends"]))
        expected = (BLOCKING if task["id"] in waited_on else 0.0) + (BLOCKED if blocked else 0.0)
        assert task["urgency"] == expected, task
    if backend == "sqlite":
        stored_links_are_real(todo)
    return {task["number"]: task["urgency"] for task in found}


def test_every_way_todo_writes_dependencies_keeps_the_ranking(todo: Todo, backend: str) -> None:
    for title in ("one", "two", "three", "four"):
        ok(todo, "add", title)
    ok(todo, "add", "five", "dep:1,2")
    assert ranks(todo, backend) == {1: 8.0, 2: 8.0, 3: 0.0, 4: 0.0, 5: -5.0}
    ok(todo, "edit", "3", "dep:4")
    ok(todo, "edit", "5", "dep:-1")
    assert ranks(todo, backend) == {1: 0.0, 2: 8.0, 3: -5.0, 4: 8.0, 5: -5.0}
    # Done: nothing waits on an open #4 any more; #3 is no longer blocked.
    ok(todo, "done", "4")
    assert ranks(todo, backend) == {1: 0.0, 2: 8.0, 3: 0.0, 5: -5.0}
    ok(todo, "reopen", "4")
    # Deleting a task ends its dependencies, at both ends.
    ok(todo, "delete", "2", "--yes")
    assert ranks(todo, backend) == {1: 0.0, 3: -5.0, 4: 8.0, 5: 0.0}
    ok(todo, "undo")  # #2 comes back, and #5 waits on it again
    assert ranks(todo, backend) == {1: 0.0, 2: 8.0, 3: -5.0, 4: 8.0, 5: -5.0}
    ok(todo, "undo")  # the reopen of #4 is taken back
    ok(todo, "undo")  # and its completion
    ok(todo, "undo")  # the edit of #5: it waits on #1 again
    assert ranks(todo, backend) == {1: 8.0, 2: 8.0, 3: -5.0, 4: 8.0, 5: -5.0}
    ok(todo, "add", "six", "--depends", "1")
    assert ranks(todo, backend)[6] == -5.0


def test_an_import_and_its_undo_keep_the_ranking(todo: Todo, backend: str, tmp_path: Path) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    first, second = "5f0c9d3e-8a2b-4c1d-9e7f-0a1b2c3d4e5f", "6a1d0e4f-9b3c-4d2e-8f80-1b2c3d4e5f60"
    exported = [
        {"uuid": first, "description": "waited on", "status": "pending", "entry": stamp},
        {
            "uuid": second,
            "description": "waits",
            "status": "pending",
            "entry": stamp,
            "depends": [first],
        },
    ]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    ok(todo, "add", "mine")
    ok(todo, "import", str(path))
    assert ranks(todo, backend) == {1: 0.0, 2: 8.0, 3: -5.0}
    ok(todo, "undo")
    assert ranks(todo, backend) == {1: 0.0}


def test_dependencies_written_outside_todo_count_too(todo: Todo, backend: str) -> None:
    for title in ("one", "two", "three"):
        ok(todo, "add", title)

    def task(number: int) -> str:
        return f"(SELECT id FROM tasks WHERE number = {number})"

    execute(
        todo.url,
        f"INSERT INTO task_dependencies (task_id, depends_on_id) VALUES ({task(1)}, {task(2)})",
    )
    assert ranks(todo, backend) == {1: -5.0, 2: 8.0, 3: 0.0}
    # The dependency moved to another waited-on task: one end leaves, the other comes.
    execute(todo.url, f"UPDATE task_dependencies SET depends_on_id = {task(3)}")
    assert ranks(todo, backend) == {1: -5.0, 2: 0.0, 3: 8.0}
    execute(todo.url, f"UPDATE task_dependencies SET task_id = {task(2)}")
    assert ranks(todo, backend) == {1: 0.0, 2: -5.0, 3: 8.0}
    execute(todo.url, "DELETE FROM task_dependencies")
    assert ranks(todo, backend) == {1: 0.0, 2: 0.0, 3: 0.0}


def test_blocked_filters_see_dependencies_written_outside_todo(todo: Todo) -> None:
    for title in ("one", "two", "three"):
        ok(todo, "add", title)
    execute(
        todo.url,
        "INSERT INTO task_dependencies (task_id, depends_on_id) VALUES "
        "((SELECT id FROM tasks WHERE number = 3), (SELECT id FROM tasks WHERE number = 1))",
    )
    blocked = ok(todo, "list", "+blocked", "--json").json()
    free = ok(todo, "list", "-blocked", "--json", "--sort", "number").json()
    assert [task["number"] for task in blocked] == [3]
    assert [task["number"] for task in free] == [1, 2]


def test_keeping_the_count_is_not_journaled(todo: Todo) -> None:
    """A dependency added is one journal row: the counts it changes are derived."""
    ok(todo, "add", "one")
    ok(todo, "add", "two")
    before = count(todo.url, "journal")
    ok(todo, "edit", "2", "dep:1")
    operation = latest_operation(todo.url)
    rows = sql_rows(
        todo.url,
        "SELECT table_name, action FROM journal WHERE operation_id = :op",
        op=operation.id.hex if todo.url.startswith("sqlite") else operation.id,
    )
    assert sorted(tuple(row) for row in rows) == [
        ("task_dependencies", "insert"),
        ("tasks", "update"),
    ]
    assert count(todo.url, "journal") == before + 2
    for (image,) in sql_rows(todo.url, "SELECT after FROM journal WHERE table_name = 'tasks'"):
        loaded = image if isinstance(image, dict) else json.loads(image)
        assert "dependency_links" not in loaded


def test_the_sqlite_links_come_and_go_with_their_revision(db_url: str, backend: str) -> None:
    """Revision 0012 drill: down without a question (nothing is lost), up with the counts."""
    # Not alice on a plain database: the suite makes member roles alice, bob... on its
    # server, and a downgrade below 0014 asks before it would hand a users row so named
    # to them (isolated, alice is the member granted here).
    todo = Todo(db_url, "alice" if backend == "postgresql-rls" else "dana")
    ok(todo, "add", "one")
    ok(todo, "add", "two", "dep:1")
    ok(todo, "add", "three")
    journal = count(db_url, "journal")
    down = run_cli(["--db", db_url, "db", "downgrade", BEFORE_LINKS])
    assert down.exit_code == 0, down.stderr
    assert "delete" not in down.stderr
    assert sql_rows(db_url, "SELECT version_num FROM alembic_version") == [(BEFORE_LINKS,)]
    if backend == "sqlite":
        columns = {row[1] for row in sql_rows(db_url, "PRAGMA table_info(tasks)")}
        assert "dependency_links" not in columns
        triggers = [
            name
            for (name,) in sql_rows(db_url, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ]
        assert not [name for name in triggers if "_links_" in name]
        # A dependency written while the count is gone is counted by the upgrade.
        execute(
            db_url,
            "INSERT INTO task_dependencies (task_id, depends_on_id) VALUES "
            "((SELECT id FROM tasks WHERE number = 3), (SELECT id FROM tasks WHERE number = 2))",
        )
        journal += 1
    up = run_cli(["--db", db_url, "db", "upgrade"])
    assert up.exit_code == 0, up.stderr
    expected = {1: 8.0, 2: 3.0, 3: -5.0} if backend == "sqlite" else {1: 8.0, 2: -5.0, 3: 0.0}
    assert ranks(todo, backend) == expected
    # Counting the links is not a change: the upgrade journals nothing.
    assert count(db_url, "journal") == journal


def test_the_count_stays_right_over_many_adds_and_removals(todo: Todo, backend: str) -> None:
    """The count is kept, not worked out once: it stays right over many writes."""
    ok(todo, "add", input="".join(f"t{i}\n" for i in range(1, 11)))
    for waiting in range(2, 11):
        ok(todo, "edit", str(waiting), "dep:1")
    assert ranks(todo, backend)[1] == BLOCKING
    for waiting in range(2, 10):
        ok(todo, "edit", str(waiting), "dep:-1")
    assert ranks(todo, backend) == {1: BLOCKING} | {n: 0.0 for n in range(2, 10)} | {10: BLOCKED}
    if backend == "sqlite":
        assert sql_rows(
            todo.url, "SELECT dependency_links FROM tasks WHERE number IN (1, 10) ORDER BY number"
        ) == [(1,), (1,)]
    ok(todo, "edit", "10", "dep:-1")
    assert set(ranks(todo, backend).values()) == {0.0}
