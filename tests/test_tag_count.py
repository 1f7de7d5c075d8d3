"""Urgency ranks a task by the tags it has now, however they were written.

SQLite keeps each task's number of tags in the row (``db.schema.TAG_COUNT``,
kept by triggers on task_tags, so a list of 100,000 tasks need not look up
every task's tags); PostgreSQL counts them in the query. Either way a task
with no priority, due date or project, added a moment ago, has exactly the
urgency of its tags: 0.8 for one, 0.9 for two, 1.0 for three or more.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.ci_gate import not_applicable
from tests.conftest import Todo, run_cli, sql_rows
from tests.test_journal import count, execute, latest_operation
from todo_cli.domain.urgency import TAG_STEPS, TAGS

BEFORE_TAG_COUNT = "0010"


def ok(todo: Todo, *args: str, input: str | None = None) -> Any:
    result = todo(*args, input=input)
    assert result.exit_code == 0, result.stderr
    return result


def listed(todo: Todo) -> dict[int, dict[str, Any]]:
    tasks = ok(todo, "list", "--all", "--json").json()
    return {task["number"]: task for task in tasks}


def for_tags(n: int) -> float:
    return TAGS * TAG_STEPS[min(n, len(TAG_STEPS) - 1)]


def assert_ranked_by_their_tags(todo: Todo, backend: str) -> dict[int, int]:
    """Every open task's urgency is its tags' term; on SQLite the stored count is the real one."""
    found = listed(todo)
    tags = {number: len(task["tags"]) for number, task in found.items()}
    for number, task in found.items():
        if not task["completed"]:
            assert task["urgency"] == for_tags(tags[number]), (number, task["tags"])
    if backend == "sqlite":
        rows = sql_rows(
            todo.url,
            "SELECT number, tag_count, (SELECT count(*) FROM task_tags g "
            "WHERE g.task_id = tasks.id) FROM tasks",
        )
        assert {number: stored for number, stored, _ in rows} == {
            number: real for number, _, real in rows
        }
    return tags


def test_every_way_todo_writes_tags_keeps_the_ranking(todo: Todo, backend: str) -> None:
    ok(todo, "add", "one", "+a")
    ok(todo, "add", "two", "+a", "+b")
    ok(todo, "add", "four", "+a", "+b", "+c", "+d")
    ok(todo, "add", input="bulk none\nbulk one +x\nbulk three +x +y +z\n")
    assert assert_ranked_by_their_tags(todo, backend) == {1: 1, 2: 2, 3: 4, 4: 0, 5: 1, 6: 3}
    ok(todo, "edit", "1", "+b", "+c")
    ok(todo, "edit", "3", "-a", "-b", "-c")
    ok(todo, "edit", "6", "-x")
    assert assert_ranked_by_their_tags(todo, backend) == {1: 3, 2: 2, 3: 1, 4: 0, 5: 1, 6: 2}
    ok(todo, "delete", "2", "--yes")
    ok(todo, "undo")  # the task and both its tags come back
    ok(todo, "undo")  # the edit of 6 is taken back: +x again
    assert assert_ranked_by_their_tags(todo, backend) == {1: 3, 2: 2, 3: 1, 4: 0, 5: 1, 6: 3}
    ok(todo, "add", "weekly", "+gym", "due:2030-01-07", "recur:weekly")
    ok(todo, "done", "7")  # its successor carries the tag
    successor = listed(todo)[8]
    assert successor["tags"] == ["gym"]
    if backend == "sqlite":
        assert sql_rows(todo.url, "SELECT tag_count FROM tasks WHERE number = 8") == [(1,)]


def test_an_import_its_update_and_their_undo_keep_the_ranking(
    todo: Todo, backend: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)

    def taskwarrior(tags: list[str], modified: datetime) -> Path:
        stamp = "%Y%m%dT%H%M%SZ"
        task = {
            "uuid": "5f0c9d3e-8a2b-4c1d-9e7f-0a1b2c3d4e5f",
            "description": "imported",
            "status": "pending",
            "entry": now.strftime(stamp),
            "modified": modified.strftime(stamp),
            "tags": tags,
        }
        path = tmp_path / f"{len(tags)}.json"
        path.write_text(json.dumps([task]), encoding="utf-8")
        return path

    ok(todo, "add", "mine", "+a")
    ok(todo, "import", str(taskwarrior(["x", "y"], now)))
    assert assert_ranked_by_their_tags(todo, backend) == {1: 1, 2: 2}
    # Modified later in Taskwarrior: the import updates the task, its tags with it.
    ok(todo, "import", str(taskwarrior(["x", "y", "z", "w"], now + timedelta(minutes=1))))
    assert assert_ranked_by_their_tags(todo, backend) == {1: 1, 2: 4}
    ok(todo, "undo")
    assert assert_ranked_by_their_tags(todo, backend) == {1: 1, 2: 2}
    ok(todo, "undo")
    assert assert_ranked_by_their_tags(todo, backend) == {1: 1}


def test_tags_written_outside_todo_count_too(todo: Todo, backend: str) -> None:
    ok(todo, "add", "first", "+a")
    ok(todo, "add", "second")
    execute(
        todo.url,
        "INSERT INTO task_tags (task_id, tag) SELECT id, 'raw' FROM tasks WHERE number = 2",
        "INSERT INTO task_tags (task_id, tag) SELECT id, 'more' FROM tasks WHERE number = 2",
    )
    assert assert_ranked_by_their_tags(todo, backend) == {1: 1, 2: 2}
    # A tag moved from one task to another leaves one and reaches the other.
    execute(
        todo.url,
        "UPDATE task_tags SET task_id = (SELECT id FROM tasks WHERE number = 1) WHERE tag = 'raw'",
    )
    assert assert_ranked_by_their_tags(todo, backend) == {1: 2, 2: 1}
    execute(todo.url, "DELETE FROM task_tags WHERE tag = 'a'")
    assert assert_ranked_by_their_tags(todo, backend) == {1: 1, 2: 1}


def test_keeping_the_count_is_not_journaled(todo: Todo) -> None:
    """A tag added is one journal row: the count it changes is derived, not a change."""
    ok(todo, "add", "Call the bank", "+finance", "+phone")
    before = count(todo.url, "journal")
    ok(todo, "edit", "1", "+urgent")
    operation = latest_operation(todo.url)
    assert operation.command.startswith("todo edit")
    rows = sql_rows(
        todo.url,
        "SELECT table_name, action FROM journal WHERE operation_id = :op",
        op=operation.id.hex if todo.url.startswith("sqlite") else operation.id,
    )
    assert sorted(tuple(row) for row in rows) == [("task_tags", "insert"), ("tasks", "update")]
    assert count(todo.url, "journal") == before + 2
    # Nor does any row image carry it.
    images = sql_rows(todo.url, "SELECT after FROM journal WHERE table_name = 'tasks'")
    for (image,) in images:
        loaded = image if isinstance(image, dict) else json.loads(image)
        assert "tag_count" not in loaded


def test_the_sqlite_count_comes_and_goes_with_its_revision(db_url: str, backend: str) -> None:
    """Revision 0011 drill: down without a question (nothing is lost), up with the counts."""
    # Not alice on a plain database: the suite makes member roles alice, bob... on its
    # server, and a downgrade below 0014 asks before it would hand a users row so named
    # to them (isolated, alice is the member granted here).
    todo = Todo(db_url, "alice" if backend == "postgresql-rls" else "dana")
    ok(todo, "add", "one", "+a")
    ok(todo, "add", "two", "+a", "+b")
    ok(todo, "add", "none")
    journal = count(db_url, "journal")
    down = run_cli(["--db", db_url, "db", "downgrade", BEFORE_TAG_COUNT])
    assert down.exit_code == 0, down.stderr
    assert "delete" not in down.stderr
    assert sql_rows(db_url, "SELECT version_num FROM alembic_version") == [(BEFORE_TAG_COUNT,)]
    if backend == "sqlite":
        columns = {row[1] for row in sql_rows(db_url, "PRAGMA table_info(tasks)")}
        assert "tag_count" not in columns
        triggers = {
            name: sql
            for name, sql in sql_rows(
                db_url, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            )
        }
        assert not [name for name in triggers if "_count_" in name]
        assert "AFTER UPDATE ON tasks" in triggers["trg_tasks_journal_update"]
        # Tags written while the count is gone are counted by the upgrade.
        execute(db_url, "INSERT INTO task_tags (task_id, tag) SELECT id, 'z' FROM tasks")
        assert count(db_url, "journal") == journal + 3
        journal += 3
    up = run_cli(["--db", db_url, "db", "upgrade"])
    assert up.exit_code == 0, up.stderr
    expected = {1: 2, 2: 3, 3: 1} if backend == "sqlite" else {1: 1, 2: 2, 3: 0}
    assert assert_ranked_by_their_tags(todo, backend) == expected
    # Counting the tags is not a change: the upgrade journals nothing.
    assert count(db_url, "journal") == journal


@pytest.mark.parametrize("tags", [0, 1, 2, 3, 30])
def test_a_task_ranks_by_its_tags_up_to_three(todo: Todo, backend: str, tags: int) -> None:
    ok(todo, "add", "tagged", *(f"+t{i}" for i in range(tags)))
    assert listed(todo)[1]["urgency"] == for_tags(tags)
    assert assert_ranked_by_their_tags(todo, backend) == {1: tags}


def test_sqlite_sorts_by_the_stored_count_not_a_lookup_per_task(todo: Todo, backend: str) -> None:
    """The listing reads task_tags once: for the tags of the tasks shown, not to rank them all."""
    import sqlite3
    from contextlib import closing

    from tests.test_organize_process import _debug_statement_of

    if backend != "sqlite":
        not_applicable("PostgreSQL counts the tags in the query")
    ok(todo, "add", input="".join(f"t{i} +tag{i % 3}\n" for i in range(100)))
    proc = todo.process("--debug", "list", "--limit", "50")
    assert proc.returncode == 0, proc.stderr
    sql, parameters = _debug_statement_of(proc.stderr.decode(), "SELECT tasks.id")
    with closing(sqlite3.connect(todo.url.removeprefix("sqlite:///"))) as conn:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, parameters)]
    assert [line for line in plan if "task_tags" in line] == [
        "SEARCH task_tags USING COVERING INDEX sqlite_autoindex_task_tags_1 (task_id=?)"
    ], plan
