"""Migrations run both ways on both backends, with data in the tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest

from tests.ci_gate import not_applicable
from tests.conftest import REPO, Todo, run_cli, sql_rows
from todo_cli.db.revisions import HEAD as HEAD_REVISION
from todo_cli.db.revisions import REVISIONS

# The revision before head, and the first: tests name revisions by position,
# so a new revision needs no edit here (only a test of its own drill).
PREVIOUS = REVISIONS[-2]
FIRST = REVISIONS[0]


# What every command says of a database another program's Alembic stamped.
ANOTHER_PROGRAMS_STAMP = (
    "is not a todo database: its alembic_version is 'deadbeef0001', no revision of "
    "todo's (another program's schema)"
)


def execute(url: str, *statements: str) -> None:
    """Change the database directly, bypassing todo, in one transaction."""
    from sqlalchemy import text

    from todo_cli.db.engine import create_engine
    from todo_cli.db.url import parse_url

    engine = create_engine(parse_url(url))
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def revision(url: str) -> str | None:
    rows = sql_rows(url, "SELECT version_num FROM alembic_version")
    return rows[0][0] if rows else None


def tables(url: str) -> set[str]:
    from sqlalchemy import inspect

    from todo_cli.db.engine import create_engine
    from todo_cli.db.url import parse_url

    engine = create_engine(parse_url(url))
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def fill(todo: Todo) -> None:
    """Rows in every table: two users' tasks with every field, a conversation with messages."""
    assert todo("add", "first task", "-d", "with a description").exit_code == 0
    added = todo("add", "second", "task", "+home", "+errand", "pri:H", "due:2030-01-02")
    assert added.exit_code == 0, added.stderr
    assert todo("edit", "2", "project:house.garden", "wait:2029-12-30").exit_code == 0
    assert todo("note", "2", "ring first").exit_code == 0
    assert todo("done", "1").exit_code == 0
    assert todo.as_user("bob")("add", "bob's task").exit_code == 0
    # Chat logs straight into the tables, so this test depends on the schema alone.
    from datetime import UTC, datetime
    from uuid import uuid4

    from sqlalchemy import insert, select

    from todo_cli.db.engine import create_engine
    from todo_cli.db.schema import conversations, messages, users
    from todo_cli.db.url import parse_url

    now = datetime.now(UTC)
    engine = create_engine(parse_url(todo.url))
    with engine.begin() as conn:
        alice = conn.execute(select(users.c.id).where(users.c.name == todo.user)).scalar_one()
        conv = uuid4()
        conn.execute(
            insert(conversations).values(
                id=conv, user_id=alice, number=1, title="planning", created_at=now, updated_at=now
            )
        )
        conn.execute(
            insert(messages),
            [
                {
                    "id": uuid4(),
                    "conversation_id": conv,
                    "seq": 1,
                    "role": "user",
                    "content": "hello",
                    "created_at": now,
                },
                {
                    "id": uuid4(),
                    "conversation_id": conv,
                    "seq": 2,
                    "role": "assistant",
                    "content": "hi there",
                    "created_at": now,
                },
            ],
        )
    engine.dispose()


def test_head_revision_constant_is_the_alembic_head() -> None:
    from todo_cli.db.migrate import script_directory

    assert script_directory().get_current_head() == HEAD_REVISION


def test_known_revisions_are_exactly_the_shipped_scripts() -> None:
    from todo_cli.db.migrate import script_directory
    from todo_cli.db.revisions import REVISIONS as KNOWN_REVISIONS

    shipped = [rev.revision for rev in reversed(list(script_directory().walk_revisions()))]
    assert list(KNOWN_REVISIONS) == shipped


def test_upgrade_creates_every_table(empty_db_url: str) -> None:
    result = run_cli(["--db", empty_db_url, "db", "upgrade"])
    assert result.exit_code == 0, result.stderr
    assert revision(empty_db_url) == HEAD_REVISION
    assert {"users", "tasks", "conversations", "messages"} <= tables(empty_db_url)


def test_full_round_trip_down_to_base_and_up_again_with_data(db_url: str) -> None:
    todo = Todo(db_url)
    fill(todo)
    down = run_cli(["--db", db_url, "db", "downgrade", "base", "--yes"])
    assert down.exit_code == 0, down.stderr
    # (On plain PostgreSQL, alice's row named like the suite's member role is said first.)
    assert down.stderr.startswith("this downgrade will ")
    assert "delete" in down.stderr
    assert tables(db_url) == {"alembic_version"}
    assert revision(db_url) is None
    up = run_cli(["--db", db_url, "db", "upgrade"])
    assert up.exit_code == 0, up.stderr
    assert revision(db_url) == HEAD_REVISION
    assert todo("add", "after the drill").exit_code == 0


def test_a_downgrade_drill_that_cuts_no_message_leaves_no_operation_behind(db_url: str) -> None:
    # 0007's downgrade shortens messages over the old limit: on PostgreSQL its UPDATE,
    # changing no row, still opened an "outside todo" operation, after every drill.
    todo = Todo(db_url)
    fill(todo)
    count = "SELECT count(*), count(user_id) FROM operations"
    before = sql_rows(db_url, count)
    for _ in range(2):
        down = run_cli(["--db", db_url, "db", "downgrade", "0006", "--yes"])
        assert down.exit_code == 0, down.stderr
        assert run_cli(["--db", db_url, "db", "upgrade"]).exit_code == 0
    assert sql_rows(db_url, count) == before


def test_a_message_begun_by_5000_spaces_is_cut_from_its_text_and_every_downgrade_works(
    db_url: str,
) -> None:
    # Cut to its first 5,000 characters, all spaces, it was blank: the old check refused
    # it, and every downgrade below 0007 failed with the database's raw error.
    todo = Todo(db_url)
    assert todo("chat-log", "new", "--title", "pasted log").exit_code == 0
    text = " " * 5000 + "the actual text " + "x" * 10
    assert todo("chat-log", "append", "1", "--role", "user", "-", input=text).exit_code == 0
    refused = run_cli(["--db", db_url, "db", "downgrade", "0006"])
    assert refused.exit_code == 2
    assert "cut 1 message longer than 5,000 characters" in refused.stderr
    down = run_cli(["--db", db_url, "db", "downgrade", "0006", "--yes"])
    assert down.exit_code == 0, down.stderr
    (content,) = sql_rows(db_url, "SELECT content FROM messages")[0]
    assert content == "the actual text " + "x" * 10
    assert run_cli(["--db", db_url, "db", "downgrade", "base", "--yes"]).exit_code == 0
    assert revision(db_url) is None


def test_downgrade_of_0002_keeps_tasks_and_drops_only_chat_logs(db_url: str) -> None:
    todo = Todo(db_url)
    fill(todo)
    assert run_cli(["--db", db_url, "db", "downgrade", "0002", "--yes"]).exit_code == 0
    before = sql_rows(db_url, "SELECT id, number, title, completed FROM tasks ORDER BY number")
    down = run_cli(["--db", db_url, "db", "downgrade", "0001", "--yes", "--json"])
    assert down.exit_code == 0, down.stderr
    deleted = {(d["table"], d["column"]): d["rows"] for d in down.json()["deleted"]}
    assert deleted == {("messages", None): 2, ("conversations", None): 1}
    assert revision(db_url) == "0001"
    # The rebuilt users table (SQLite batch mode) must not have cascaded into tasks.
    after = sql_rows(db_url, "SELECT id, number, title, completed FROM tasks ORDER BY number")
    assert after == before
    assert len(after) == 3
    assert run_cli(["--db", db_url, "db", "upgrade"]).exit_code == 0
    assert todo("add", "third task", "--json").json()["number"] == 3


def test_downgrade_of_0003_reports_the_fields_tags_and_notes_it_drops(db_url: str) -> None:
    todo = Todo(db_url)
    fill(todo)
    refused = run_cli(["--db", db_url, "db", "downgrade", "0002"])
    assert refused.exit_code == 2
    assert revision(db_url) == HEAD_REVISION
    down = run_cli(["--db", db_url, "db", "downgrade", "0002", "--yes", "--json"])
    assert down.exit_code == 0, down.stderr
    deleted = {(d["table"], d["column"]): d["rows"] for d in down.json()["deleted"]}
    assert deleted[("task_tags", None)] == 2
    assert deleted[("task_notes", None)] == 1
    for column in ("priority", "due", "wait", "project"):
        assert deleted[("tasks", column)] == 1
    # The tasks themselves, their titles and states, are all still there.
    rows = sql_rows(db_url, "SELECT title, number, completed FROM tasks ORDER BY title")
    assert [tuple(row) for row in rows] == [
        ("bob's task", 1, False),
        ("first task", 1, True),
        ("second task", 2, False),
    ]
    up = run_cli(["--db", db_url, "db", "upgrade"])
    assert up.exit_code == 0, up.stderr
    task = todo("show", "2", "--json").json()
    assert (task["title"], task["tags"], task["notes"], task["priority"]) == (
        "second task",
        [],
        [],
        None,
    )


@pytest.mark.parametrize("first", ["alice", "bob"])
def test_downgrade_of_0016_gives_a_series_open_under_two_users_an_id_of_its_own(
    db_url: str, first: str
) -> None:
    """Revision 0016 keeps a series to one open task per user; the index before it
    counted across users, and cannot be made over two users' open tasks of one series.
    The series stays with the user it is first of, whichever sorts first by id."""
    users = {"alice": Todo(db_url), "bob": Todo(db_url).as_user("bob")}
    owner, other = (first, "bob" if first == "alice" else "alice")
    for who in (owner, other):
        assert users[who]("add", "Pay rent", "due:2030-01-31", "recur:monthly").exit_code == 0
    assert users[owner]("done", "1").exit_code == 0  # the open #2 and done #1 in the series
    execute(
        db_url,
        "UPDATE tasks SET series_id = (SELECT t.series_id FROM tasks t JOIN users u"
        f" ON u.id = t.user_id WHERE u.name = '{owner}' AND t.number = 1)"
        f" WHERE user_id = (SELECT id FROM users WHERE name = '{other}')",
    )
    # The script `--sql` prints moves them too (it could not be run where it was meant).
    script = run_cli(["--db", db_url, "db", "downgrade", "0015", "--sql"])
    assert script.exit_code == 0, script.stderr
    assert "FROM todo_moved_series m" in script.stdout
    assert script.stdout.index("UPDATE tasks SET series_id =") > script.stdout.index(
        "CREATE TEMPORARY TABLE todo_moved_series"
    )
    assert script.stdout.index("todo_moved_series") < script.stdout.index("DROP INDEX")
    refused = run_cli(["--db", db_url, "db", "downgrade", "0015"])
    assert refused.exit_code == 2, refused.stderr
    # The series is the owner's (their task of it was made first, and they have two):
    # the other's one task moves. (It went by the users' random ids: the owner's could
    # move, and a Taskwarrior series of theirs got a second template on the next export.)
    told = "task(s) a series id of their own: their series has an open task of another user's"
    assert f"give 1 {told}" in refused.stderr, refused.stderr
    (kept,) = {row[0] for row in sql_rows(db_url, "SELECT series_id FROM tasks")}
    assert revision(db_url) == HEAD_REVISION
    down = run_cli(["--db", db_url, "db", "downgrade", "0015", "--yes"])
    assert down.exit_code == 0, down.stderr
    assert revision(db_url) == "0015"
    series = sql_rows(
        db_url,
        "SELECT u.name, count(DISTINCT t.series_id) FROM tasks t JOIN users u"
        " ON u.id = t.user_id GROUP BY u.name ORDER BY u.name",
    )
    assert [tuple(row) for row in series] == [("alice", 1), ("bob", 1)]
    owned = {
        row[0]: row[1]
        for row in sql_rows(
            db_url,
            "SELECT u.name, t.series_id FROM tasks t JOIN users u ON u.id = t.user_id",
        )
    }
    assert owned[owner] == kept
    assert UUID(str(owned[other])).version == 4  # an id as every other is
    assert run_cli(["--db", db_url, "db", "upgrade"]).exit_code == 0
    done = users[other]("done", "1", "--json")
    assert done.exit_code == 0, done.stderr
    assert len(done.json()[0]["created"]) == 1


def test_downgrade_that_would_delete_rows_refuses_without_yes(db_url: str) -> None:
    todo = Todo(db_url)
    fill(todo)
    result = run_cli(["--db", db_url, "db", "downgrade", "0001"])
    assert result.exit_code == 2
    assert "2 rows in messages" in result.stderr
    assert "--yes" in result.stderr
    assert revision(db_url) == HEAD_REVISION
    assert sql_rows(db_url, "SELECT count(*) FROM messages")[0][0] == 2


def test_a_yes_covers_the_rows_it_was_shown_not_those_written_while_it_waited(
    db_url: str,
) -> None:
    """The question waits without holding the tables (other members, other shells
    work on: on SQLite it held the file's write lock, and their writes failed after
    30 s): rows written meanwhile refuse the downgrade after the yes, nothing changed."""
    from todo_cli.db import migrate
    from todo_cli.errors import Conflict, ExitCode
    from todo_cli.settings import resolve

    todo = Todo(db_url)
    fill(todo)
    # (fill's conversation went straight into the table, its number not counted.)
    execute(db_url, "UPDATE users SET conversation_counter = 1")
    shown: list[str] = []

    def confirm(losses: list[migrate.DataLoss]) -> bool:
        shown.extend(loss.describe() for loss in losses)
        # Another session, while the question waits.
        assert todo("chat-log", "new", "--title", "written meanwhile").exit_code == 0
        return True

    settings = resolve(db=db_url, user=todo.user, environ={})
    with pytest.raises(Conflict) as refused:
        migrate.downgrade(settings, "0001", confirm=confirm)
    assert refused.value.exit_code == ExitCode.NOT_FOUND
    assert "delete 1 row in conversations" in shown
    assert refused.value.message.startswith(
        "rows changed while the downgrade waited for its answer: it would now "
    )
    assert "delete 2 rows in conversations" in refused.value.message
    assert refused.value.hint == "nothing was changed; run it again"
    assert revision(db_url) == HEAD_REVISION
    assert sql_rows(db_url, "SELECT count(*) FROM conversations")[0][0] == 2
    # Asked again, the count is the true one, and the yes deletes what it says.
    result = run_cli(["--db", db_url, "db", "downgrade", "0001", "--yes"])
    assert result.exit_code == 0, result.stderr
    assert "delete 2 rows in conversations" in result.stderr
    assert revision(db_url) == FIRST


def test_two_stamped_revisions_are_named_exit_3_not_a_crash(db_url: str) -> None:
    # Alembic took the second row for a branch: "overlaps with other requested
    # revisions", exit 70, on `todo db upgrade`, the command the list told to run.
    Todo(db_url)("add", "kept")
    execute(db_url, f"INSERT INTO alembic_version VALUES ('{PREVIOUS}')")
    for command in (["list"], ["db", "upgrade"], ["db", "downgrade", "--yes"], ["db", "current"]):
        result = run_cli(["--db", db_url, *command])
        assert result.exit_code == 3, (command, result.stderr)
        assert result.stderr == (
            f"error: the database's alembic_version holds 2 revisions ({PREVIOUS}, "
            f"{HEAD_REVISION}), where todo keeps one (delete the rows that are not the "
            "schema's revision, or restore a backup)\n"
        )
    assert sorted(
        row[0] for row in sql_rows(db_url, "SELECT version_num FROM alembic_version")
    ) == [
        PREVIOUS,
        HEAD_REVISION,
    ]


def test_downgrade_of_empty_tables_needs_no_confirmation(db_url: str) -> None:
    result = run_cli(["--db", db_url, "db", "downgrade"])
    assert result.exit_code == 0, result.stderr
    assert revision(db_url) == PREVIOUS


def test_downgrade_with_no_schema_is_a_usage_error(empty_db_url: str) -> None:
    result = run_cli(["--db", empty_db_url, "db", "downgrade"])
    assert result.exit_code == 2
    # A SQLite path with no file has its own message (tests below); an empty file has this one.
    if empty_db_url.startswith("sqlite"):
        Path(empty_db_url.removeprefix("sqlite:///")).touch()
        result = run_cli(["--db", empty_db_url, "db", "downgrade"])
        assert result.exit_code == 2
    assert result.stderr.startswith("error: nothing to downgrade: the database has no todo schema")


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
def test_unknown_revision_is_a_usage_error(db_url: str, command: str) -> None:
    result = run_cli(["--db", db_url, "db", command, "nope"])
    assert result.exit_code == 2
    assert result.stderr == "error: unknown revision 'nope' (see `todo db history`)\n"
    assert revision(db_url) == HEAD_REVISION


def test_downgrade_to_a_revision_above_the_current_one_says_to_upgrade(empty_db_url: str) -> None:
    low, high = REVISIONS[2], REVISIONS[4]
    assert run_cli(["--db", empty_db_url, "db", "upgrade", low]).exit_code == 0
    result = run_cli(["--db", empty_db_url, "db", "downgrade", high, "--yes"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {high} is above the current revision {low} (use `todo db upgrade {high}`)\n"
    )
    assert revision(empty_db_url) == low


def test_upgrade_to_a_revision_below_the_current_one_says_to_downgrade(db_url: str) -> None:
    todo = Todo(db_url)
    fill(todo)
    for target, shown in [(FIRST, FIRST), ("base", "base")]:
        result = run_cli(["--db", db_url, "db", "upgrade", target])
        assert result.exit_code == 2
        assert result.stderr == (
            f"error: {shown} is below the current revision {HEAD_REVISION} "
            f"(use `todo db downgrade {shown}`)\n"
        )
    assert revision(db_url) == HEAD_REVISION
    assert sql_rows(db_url, "SELECT count(*) FROM messages")[0][0] == 2


def test_a_wrong_way_migration_with_json_is_a_usage_error(empty_db_url: str) -> None:
    assert run_cli(["--db", empty_db_url, "db", "upgrade", REVISIONS[2]]).exit_code == 0
    result = run_cli(["--db", empty_db_url, "db", "downgrade", REVISIONS[4], "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stderr) == {
        "error": {
            "code": "usage",
            "message": f"{REVISIONS[4]} is above the current revision {REVISIONS[2]} "
            f"(use `todo db upgrade {REVISIONS[4]}`)",
        }
    }
    assert revision(empty_db_url) == REVISIONS[2]


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
def test_migrating_to_the_current_revision_is_already_there(db_url: str, command: str) -> None:
    result = run_cli(["--db", db_url, "db", command, HEAD_REVISION])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"already at {HEAD_REVISION}\n"
    assert revision(db_url) == HEAD_REVISION


def test_upgrade_at_head_is_already_there(db_url: str) -> None:
    result = run_cli(["--db", db_url, "db", "upgrade"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"already at {HEAD_REVISION}\n"


@pytest.mark.parametrize(
    ("command", "start", "target", "says"),
    [
        ("downgrade", 2, 4, "{t} is above the current revision {s} (use `todo db upgrade {t}`)"),
        ("upgrade", 4, 2, "{t} is below the current revision {s} (use `todo db downgrade {t}`)"),
    ],
)
def test_sql_the_wrong_way_is_a_usage_error(
    command: str, start: int, target: int, says: str
) -> None:
    url = "postgresql://u:p@127.0.0.1:1/never"
    s, t = REVISIONS[start], REVISIONS[target]
    result = run_cli(["--db", url, "db", command, "--sql", "--from", s, t])
    assert result.exit_code == 2
    assert result.stderr == f"error: {says.format(s=s, t=t)}\n"
    assert result.stdout == ""


def test_upgrade_by_relative_step(empty_db_url: str) -> None:
    for expected in REVISIONS:
        assert run_cli(["--db", empty_db_url, "db", "upgrade", "+1"]).exit_code == 0
        assert revision(empty_db_url) == expected


def _kept_in_the_metadata(name: str | None, kind: str, _parent: object) -> bool:
    """What the metadata declares: not the full-text indexes, which each backend keeps
    its own way (SQLite: FTS5 tables and their shadow tables; PostgreSQL: stored
    search vectors and their GIN indexes, made by db.schema.pg_search_ddl)."""
    if name is None:
        return True
    if kind == "table":
        return "_fts" not in name
    if kind == "column":
        # SQLite's stored tag counts are derived too (db.schema.SQLITE_DERIVED).
        from todo_cli.db.schema import SEARCH_VECTOR, SQLITE_DERIVED

        return name != SEARCH_VECTOR and name not in SQLITE_DERIVED.get("tasks", ())
    if kind == "index":
        return name not in ("ix_messages_search", "ix_conversations_search")
    return True


def test_models_and_migrations_agree(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from todo_cli.db.engine import create_engine
    from todo_cli.db.schema import metadata
    from todo_cli.db.url import parse_url

    engine = create_engine(parse_url(db_url), for_migrations=True)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_name": _kept_in_the_metadata,
                },
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_upgrade_sql_prints_ddl_and_changes_nothing(empty_db_url: str) -> None:
    result = run_cli(["--db", empty_db_url, "db", "upgrade", "--sql"])
    assert result.exit_code == 0, result.stderr
    assert "CREATE TABLE users" in result.stdout
    assert "CREATE TABLE messages" in result.stdout
    assert "trg_messages_immutable" in result.stdout
    assert tables(empty_db_url) == set()


def test_downgrade_sql_prints_drops_and_changes_nothing(db_url: str) -> None:
    result = run_cli(["--db", db_url, "db", "downgrade", "base", "--sql"])
    assert result.exit_code == 0, result.stderr
    assert "DROP TABLE messages" in result.stdout
    assert "DROP TABLE task_tags" in result.stdout
    assert revision(db_url) == HEAD_REVISION


def test_sql_with_json_is_one_object_naming_the_span(db_url: str) -> None:
    up = run_cli(["--db", db_url, "db", "upgrade", "--sql", "--from", "base", "--json"])
    assert up.exit_code == 0, up.stderr
    shown = up.json()
    assert (shown["from"], shown["to"]) == (None, HEAD_REVISION)
    assert "CREATE TABLE tasks" in shown["sql"]
    down = run_cli(["--db", db_url, "db", "downgrade", "--sql", "--json"])
    assert down.exit_code == 0, down.stderr
    shown = down.json()
    assert (shown["from"], shown["to"]) == (HEAD_REVISION, PREVIOUS)
    assert f"UPDATE alembic_version SET version_num='{PREVIOUS}'" in shown["sql"]
    assert revision(db_url) == HEAD_REVISION


def test_sql_from_base_needs_no_database() -> None:
    url = "postgresql://u:p@127.0.0.1:1/never"
    result = run_cli(["--db", url, "db", "upgrade", "--sql", "--from", "base"])
    assert result.exit_code == 0, result.stderr
    assert "CREATE FUNCTION todo_refuse_message_update" in result.stdout


def test_postgres_behind_head_is_exit_4(db_url: str, backend: str) -> None:
    if backend != "postgresql":
        not_applicable("SQLite is upgraded automatically")
    assert run_cli(["--db", db_url, "db", "downgrade"]).exit_code == 0
    result = run_cli(["--db", db_url, "list"])
    assert result.exit_code == 4
    assert "todo db upgrade" in result.stderr
    assert revision(db_url) == PREVIOUS


def test_postgres_without_schema_is_exit_4_and_stays_empty(empty_db_url: str, backend: str) -> None:
    if backend != "postgresql":
        not_applicable("SQLite is created automatically")
    result = run_cli(["--db", empty_db_url, "add", "x"])
    assert result.exit_code == 4
    assert "todo db upgrade" in result.stderr
    assert tables(empty_db_url) == set()


def test_sqlite_behind_head_is_upgraded_on_first_use(db_url: str, backend: str) -> None:
    if backend != "sqlite":
        not_applicable("PostgreSQL is never changed implicitly")
    todo = Todo(db_url)
    todo("add", "kept")
    assert run_cli(["--db", db_url, "db", "downgrade", "--yes"]).exit_code == 0
    assert todo("list", "--json").json()[0]["title"] == "kept"
    assert revision(db_url) == HEAD_REVISION


@pytest.mark.parametrize(
    "command",
    [["list"], ["db", "upgrade", "--sql"], ["db", "downgrade", "--sql"]],
    ids=" ".join,
)
def test_database_from_a_newer_todo_is_exit_4(db_url: str, command: list[str]) -> None:
    # (--sql said "unknown revision '9999'", exit 2: a mistyped argument.)
    execute(db_url, "UPDATE alembic_version SET version_num = '9999'")
    result = run_cli(["--db", db_url, *command])
    assert result.exit_code == 4, result.stderr
    assert "9999" in result.stderr
    assert "unknown revision" not in result.stderr


def test_db_current_of_a_database_from_a_newer_todo_says_it_is_newer(db_url: str) -> None:
    # It said "9999 (head is 0018)", as of a database behind, which `db upgrade` mends.
    execute(db_url, "UPDATE alembic_version SET version_num = '9999'")
    shown = run_cli(["--db", db_url, "db", "current"])
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout == (
        f"9999 (newer than this todo, whose head is {HEAD_REVISION}: upgrade todo)\n"
    )
    as_json = run_cli(["--db", db_url, "db", "current", "--json"]).json()
    assert as_json == {"current": "9999", "head": HEAD_REVISION, "newer": True}


def test_db_history_of_a_database_from_a_newer_todo_says_why_none_is_marked(
    db_url: str,
) -> None:
    execute(db_url, "UPDATE alembic_version SET version_num = '9999'")
    for command in (["db", "history"], ["db", "history", "--json"]):
        result = run_cli(["--db", db_url, *command])
        assert result.exit_code == 0, result.stderr
        assert HEAD_REVISION in result.stdout
        assert result.stderr.startswith("warning: no revision is marked as the database's: ")
        assert "9999" in result.stderr
    assert ">" not in run_cli(["--db", db_url, "db", "history"]).stdout


def test_todos_tables_whose_stamp_table_was_dropped_are_not_another_programs(
    db_url: str,
) -> None:
    # SQLite called the file another program's, listing todo's own tables as the others.
    Todo(db_url)("add", "kept")
    execute(db_url, "DROP TABLE alembic_version")
    for command in (["list"], ["db", "upgrade"], ["db", "current"]):
        result = run_cli(["--db", db_url, *command])
        assert result.exit_code == 3, (command, result.stderr)
        assert "holds todo's tables, but" in result.stderr, result.stderr
        assert "other tables" not in result.stderr
    assert sql_rows(db_url, "SELECT count(*) FROM tasks")[0][0] == 1


def test_todos_tables_whose_stamp_was_deleted_are_told_so_on_every_backend(db_url: str) -> None:
    # On PostgreSQL `list` said "no todo schema (run todo db upgrade)", the upgrade
    # called todo's own tables another program's, and downgrade "no todo schema".
    Todo(db_url)("add", "kept")
    execute(db_url, "DELETE FROM alembic_version")
    for command in (
        ["list"],
        ["add", "x"],
        ["db", "upgrade"],
        ["db", "downgrade", "--yes"],
        ["db", "current"],
    ):
        result = run_cli(["--db", db_url, *command])
        assert result.exit_code == 3, (command, result.stderr)
        assert (
            "holds todo's tables, but its alembic_version names no revision: which schema "
            "they have is unknown (restore a backup, or point --db at a new "
        ) in result.stderr, command
    assert sql_rows(db_url, "SELECT count(*) FROM tasks")[0][0] == 1


@pytest.mark.parametrize(
    "command", [["list"], ["db", "upgrade"], ["db", "downgrade", "--yes"], ["db", "current"]]
)
def test_a_database_stamped_by_another_program_is_not_todos(
    db_url: str, command: list[str]
) -> None:
    """A revision not of todo's four-digit form is another program's Alembic schema,
    not a todo "newer than this one" to upgrade to (exit 3, changing nothing)."""
    execute(db_url, "UPDATE alembic_version SET version_num = 'deadbeef0001'")
    result = run_cli(["--db", db_url, *command])
    assert result.exit_code == 3, result.stderr
    assert ANOTHER_PROGRAMS_STAMP in result.stderr
    assert revision(db_url) == "deadbeef0001"


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["add", "x"],
        ["db", "upgrade"],
        ["db", "downgrade", "--yes"],
        ["db", "downgrade", "base", "--yes"],
        ["db", "current"],
    ],
    ids=" ".join,
)
def test_another_programs_users_and_tasks_stamped_like_todos_are_not_upgraded(
    empty_db_url: str, command: list[str]
) -> None:
    """Stamped '0001' (todo's form) over users and tasks of its own: an upgrade failed
    on a foreign key it could not make (PostgreSQL), or on "no such column" (SQLite)."""
    execute(
        empty_db_url,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
        "INSERT INTO alembic_version VALUES ('0001')",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)",
        "CREATE TABLE tasks (id INTEGER PRIMARY KEY, name TEXT)",
    )
    result = run_cli(["--db", empty_db_url, *command])
    assert result.exit_code == 3, result.stderr
    assert (
        "is not a todo database: its users and tasks tables are not todo's "
        "(another program's schema)"
    ) in result.stderr
    assert tables(empty_db_url) == {"alembic_version", "users", "tasks"}
    assert revision(empty_db_url) == "0001"


@pytest.mark.parametrize("command", [["list"], ["add", "x"], ["db", "upgrade"], ["db", "current"]])
def test_another_programs_alembic_stamp_alone_is_not_a_missing_todo_schema(
    empty_db_url: str, command: list[str]
) -> None:
    """Another program's Alembic stamp with none of todo's tables is its schema, not
    "no todo schema, run todo db upgrade" (exit 3, changing nothing)."""
    execute(
        empty_db_url,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
        "INSERT INTO alembic_version VALUES ('deadbeef0001')",
    )
    result = run_cli(["--db", empty_db_url, *command])
    assert result.exit_code == 3, result.stderr
    assert ANOTHER_PROGRAMS_STAMP in result.stderr
    assert tables(empty_db_url) == {"alembic_version"}


def test_downgrade_takes_minus_n_steps_as_its_help_says(db_url: str) -> None:
    # click read "-2" as an option: "No such option: -2".
    result = run_cli(["--db", db_url, "db", "downgrade", "-2", "--yes"])
    assert result.exit_code == 0, result.stderr
    assert revision(db_url) == REVISIONS[-3]
    mistyped = run_cli(["--db", db_url, "db", "downgrade", "--yse"])
    assert (mistyped.exit_code, mistyped.stderr) == (
        2,
        "error: No such option: --yse (see `todo db downgrade --help`)\n",
    )
    assert revision(db_url) == REVISIONS[-3]


def test_a_postgresql_database_with_tables_named_like_todos_is_refused(
    empty_db_url: str, backend: str
) -> None:
    """Its upgrade failed halfway with the database's "relation users already exists"."""
    if backend != "postgresql":
        not_applicable("SQLite files of other tables are refused by their tables (test_defects)")
    execute(
        empty_db_url,
        "CREATE TABLE users (id serial PRIMARY KEY, email text)",
        "CREATE TABLE invoices (id serial PRIMARY KEY)",
    )
    result = run_cli(["--db", empty_db_url, "db", "upgrade"])
    assert result.exit_code == 3, result.stderr
    assert (
        "is not a todo database: it has no todo schema but holds tables named like "
        "todo's (users), another program's"
    ) in result.stderr
    assert tables(empty_db_url) == {"users", "invoices"}


def test_default_sqlite_is_created_on_first_add(tmp_path: Path) -> None:
    result = run_cli(["add", "Buy milk"], env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "data" / "todo-cli" / "todo.db").is_file()


@pytest.mark.parametrize(
    ("command", "exit_code", "says"),
    [
        (["db", "current"], 0, "base (head is"),
        (["db", "info", "--json"], 0, '"current_revision": null'),
        (["db", "history"], 0, HEAD_REVISION),
        (["db", "upgrade", "--sql"], 0, "CREATE TABLE tasks"),
        (["db", "downgrade", "base"], 0, ""),
        (["db", "downgrade"], 2, ""),
    ],
)
def test_db_commands_that_only_look_leave_no_file_behind_a_mistyped_path(
    tmp_path: Path, command: list[str], exit_code: int, says: str
) -> None:
    """A typo in a SQLite path must not leave an empty database there."""
    path = tmp_path / "tpyo.db"
    result = run_cli(["--db", f"sqlite:///{path}", *command])
    assert result.exit_code == exit_code, result.stderr
    assert says in result.stdout
    if command[1] in ("current", "info"):
        assert f"note: there is no database at {path} yet" in result.stderr
    if exit_code == 2:
        assert result.stderr == f"error: nothing to downgrade: there is no database at {path}\n"
    assert sorted(os.listdir(tmp_path)) == []


@pytest.mark.parametrize(
    ("command", "exit_code"),
    [
        (["db", "current"], 0),
        (["db", "info"], 0),
        (["db", "history"], 0),
        (["db", "upgrade", "--sql"], 0),
        (["db", "downgrade", "--yes"], 2),
        (["db", "downgrade", "base", "--yes"], 0),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_db_commands_that_change_nothing_leave_an_empty_file_empty(
    tmp_path: Path, command: list[str], exit_code: int
) -> None:
    """An empty file is a new database to SQLite: looking at it wrote its first page
    (WAL mode, a commit), a 4 KiB file where the user had an empty one."""
    path = tmp_path / "new.db"
    path.write_bytes(b"")
    result = run_cli(["--db", f"sqlite:///{path}", *command])
    assert result.exit_code == exit_code, result.stderr
    assert sorted(os.listdir(tmp_path)) == ["new.db"]
    assert path.stat().st_size == 0
    # The first command that writes makes the schema, and the file is WAL from then on.
    first = ["add", "first"] if exit_code == 2 else ["db", "upgrade"]
    assert run_cli(["--db", f"sqlite:///{path}", *first]).exit_code == 0
    # (Read by sqlite3 itself: todo's own connection would switch the file first.)
    import sqlite3

    check = sqlite3.connect(path)
    try:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        check.close()


def test_db_history_on_a_database_it_cannot_read_lists_and_says_why_none_is_marked() -> None:
    # It listed every revision unmarked, exit 0 and nothing on stderr: a script read
    # "no revision current" as a database at base.
    url = "postgresql://alice:hunter2@127.0.0.1:1/todo?connect_timeout=1"
    for command in (["db", "history"], ["db", "history", "--json"]):
        result = run_cli(["--db", url, *command])
        assert result.exit_code == 0, result.stderr
        assert HEAD_REVISION in result.stdout
        assert result.stderr.startswith(
            "warning: no revision is marked as the database's: cannot reach "
            "postgresql://alice:***@127.0.0.1:1/todo"
        )
        assert "hunter2" not in result.stdout + result.stderr
    assert ">" not in run_cli(["--db", url, "db", "history"]).stdout


def test_plain_alembic_in_the_checkout_does_what_todo_db_upgrade_does(empty_db_url: str) -> None:
    env = dict(os.environ) | {"TODO_DATABASE_URL": empty_db_url}
    proc = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "alembic.ini", "upgrade", "head"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert revision(empty_db_url) == HEAD_REVISION
    current = run_cli(["--db", empty_db_url, "db", "current", "--json"])
    assert current.json() == {"current": HEAD_REVISION, "head": HEAD_REVISION, "newer": False}


@pytest.mark.parametrize("stamp", [None, "a1b2c3d4e5f6"], ids=["tables", "another stamp"])
def test_plain_alembic_refuses_another_programs_sqlite_file_as_todo_does(
    tmp_path: Path, stamp: str | None
) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE foo (a)")
        if stamp is not None:
            conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
            conn.execute("INSERT INTO alembic_version VALUES (?)", (stamp,))
            conn.execute("DROP TABLE foo")
            conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
            conn.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY)")
    conn.close()
    before = path.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "alembic.ini", "-x", f"db=sqlite:///{path}",
         "upgrade", "head"],
        cwd=REPO, env=dict(os.environ), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    said = proc.stdout + proc.stderr  # Alembic says FAILED on stdout
    assert "FAILED: " in said
    assert "is not a todo database" in said
    assert "Traceback" not in said
    assert path.read_bytes() == before


def test_plain_alembic_takes_the_url_as_x_db(empty_db_url: str) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "alembic",
            "-c",
            "alembic.ini",
            "-x",
            f"db={empty_db_url}",
            "upgrade",
            FIRST,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert revision(empty_db_url) == FIRST


def test_db_info_shows_facts_with_the_password_masked(db_url: str, backend: str) -> None:
    result = run_cli(["--db", db_url, "db", "info", "--json"])
    assert result.exit_code == 0, result.stderr
    info = result.json()
    assert info["backend"] == backend
    assert info["current_revision"] == HEAD_REVISION
    assert info["head_revision"] == HEAD_REVISION
    assert info["up_to_date"] is True
    if backend == "postgresql":
        from tests.pgharness import APP_PASSWORD

        assert APP_PASSWORD not in result.stdout
        assert ":***@" in info["url"]
        assert info["server_version"].startswith("PostgreSQL ")


def test_db_current_and_history(db_url: str) -> None:
    current = run_cli(["--db", db_url, "db", "current"])
    assert current.stdout.strip() == f"{HEAD_REVISION} (head)"
    history = run_cli(["--db", db_url, "db", "history", "--json"])
    revisions = json.loads(history.stdout)
    assert [r["revision"] for r in revisions] == list(reversed(REVISIONS))
    assert revisions[0]["is_current"]
    assert revisions[0]["is_head"]


def test_migrations_go_to_the_direct_url_while_commands_use_the_pooled_one(
    empty_db_url: str, backend: str
) -> None:
    if backend != "postgresql":
        not_applicable("a pooler is a PostgreSQL matter")
    from urllib.parse import urlsplit

    database = urlsplit(empty_db_url).path  # the same database, by another endpoint
    pooled = f"postgresql://u:pw@ep-x-pooler.invalid:1{database}?connect_timeout=2"
    env = {"TODO_DATABASE_URL": pooled, "TODO_DIRECT_DATABASE_URL": empty_db_url}
    upgraded = run_cli(["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.stderr
    assert revision(empty_db_url) == HEAD_REVISION
    listed = run_cli(["list"], env=env)
    assert listed.exit_code == 3
    assert "ep-x-pooler.invalid" in listed.stderr


def test_a_direct_url_that_refuses_the_login_is_named_as_the_direct_one(
    db_url: str, backend: str
) -> None:
    """Masked, a direct URL with a wrong password reads like the main URL that works:
    the error said the main one refused the login."""
    if backend != "postgresql":
        not_applicable("a direct endpoint is a PostgreSQL matter")
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(db_url)
    wrong = parts._replace(netloc=f"{parts.username}:typo@{parts.hostname}:{parts.port}")
    env = {"TODO_DATABASE_URL": db_url, "TODO_DIRECT_DATABASE_URL": urlunsplit(wrong)}
    assert run_cli(["list"], env=env).exit_code == 0
    result = run_cli(["db", "current"], env=env)
    assert result.exit_code == 3, result.stderr
    assert result.stderr.startswith("error: the direct URL postgresql://"), result.stderr
    assert "refused the login" in result.stderr
    assert "typo" not in result.stderr


def test_a_direct_url_of_another_database_is_refused_and_changes_nothing(
    db_url: str, empty_db_url: str, backend: str
) -> None:
    """`todo --db A db downgrade` with a direct URL of B left in the environment once
    downgraded B to base: a direct URL is another way to the same database."""
    if backend != "postgresql":
        not_applicable("a direct endpoint is a PostgreSQL matter")
    env = {"TODO_DIRECT_DATABASE_URL": db_url}
    result = run_cli(["--db", empty_db_url, "db", "upgrade"], env=env)
    assert result.exit_code == 3, result.stderr
    assert "migrations would go elsewhere" in result.stderr
    result = run_cli(["--db", empty_db_url, "db", "downgrade", "base", "--yes"], env=env)
    assert result.exit_code == 3, result.stderr
    assert revision(db_url) == HEAD_REVISION
    assert tables(empty_db_url) == set()


def test_a_sqlite_database_ignores_a_direct_url(db_url: str, backend: str, tmp_path: Path) -> None:
    """The direct URL is for a pooled PostgreSQL: a SQLite file is migrated where it is."""
    if backend != "postgresql":
        not_applicable("needs a PostgreSQL database for the direct URL to name")
    mine = f"sqlite:///{tmp_path / 'mine.db'}"
    env = {"TODO_DIRECT_DATABASE_URL": db_url}
    assert run_cli(["--db", mine, "db", "upgrade"], env=env).exit_code == 0
    result = run_cli(["--db", mine, "db", "downgrade", "base", "--yes"], env=env)
    assert result.exit_code == 0, result.stderr
    assert revision(db_url) == HEAD_REVISION
    assert revision(mine) is None
    info = run_cli(["--db", mine, "db", "info", "--json"], env=env).json()
    assert "postgresql" not in json.dumps(info)


# --- the models and the migrations make the same schema, beyond what Alembic compares ---


def _normalised(sql: str) -> str:
    return " ".join(sql.split())


def _schema_facts(url: str) -> dict[str, dict[str, set[tuple[str, ...]]]]:
    """Per kind and table: CHECK constraints, indexes and triggers, as the database has them.

    Alembic's autogenerate compares columns, keys and indexes but not CHECK
    constraints or triggers, so these are read from the database itself: the
    inspector reads pg_constraint (pg_get_constraintdef) and SQLite's DDL;
    triggers come from pg_trigger with their functions' source, or
    sqlite_master.
    """
    from sqlalchemy import inspect, text

    from todo_cli.db.engine import create_engine
    from todo_cli.db.url import parse_url

    facts: dict[str, dict[str, set[tuple[str, ...]]]] = {
        "checks": {},
        "indexes": {},
        "triggers": {},
        "functions": {},
    }
    engine = create_engine(parse_url(url), for_migrations=True)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table in inspector.get_table_names():
                if table == "alembic_version":
                    continue
                facts["checks"][table] = {
                    (str(check["name"]), _normalised(check["sqltext"]))
                    for check in inspector.get_check_constraints(table)
                }
                facts["indexes"][table] = {
                    (
                        str(index["name"]),
                        ",".join(str(column) for column in index["column_names"]),
                        "unique" if index["unique"] else "",
                        _normalised(
                            " ".join(
                                f"{k}={v}"
                                for k, v in sorted(index.get("dialect_options", {}).items())
                            )
                        ),
                    )
                    for index in inspector.get_indexes(table)
                }
                facts["triggers"][table] = set()
            if conn.dialect.name == "postgresql":
                rows = conn.execute(
                    text(
                        "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), p.prosrc"
                        " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                        " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " JOIN pg_proc p ON p.oid = t.tgfoid"
                        " WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
                    )
                ).all()
                for table, name, definition, source in rows:
                    facts["triggers"][table].add(
                        (name, _normalised(definition), _normalised(source))
                    )
                # Every function of the schema, those the triggers call too
                # (todo_operation_id, which opens an outside operation).
                functions = conn.execute(
                    text(
                        "SELECT p.proname, p.prosrc FROM pg_proc p"
                        " JOIN pg_namespace n ON n.oid = p.pronamespace"
                        " WHERE n.nspname = current_schema()"
                    )
                ).all()
                facts["functions"]["*"] = {
                    (name, _normalised(source)) for name, source in functions
                }
            else:
                rows = conn.execute(
                    text("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'")
                ).all()
                for table, name, sql in rows:
                    facts["triggers"][table].add((name, _normalised(sql)))
    finally:
        engine.dispose()
    return facts


def _created_from_the_models(url: str) -> str:
    from todo_cli.db.engine import create_engine
    from todo_cli.db.schema import metadata
    from todo_cli.db.url import parse_url

    engine = create_engine(parse_url(url), for_migrations=True)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
    return url


def test_models_and_migrations_make_the_same_check_constraints(
    db_url: str, empty_db_url: str
) -> None:
    from_models = _schema_facts(_created_from_the_models(empty_db_url))["checks"]
    from_migrations = _schema_facts(db_url)["checks"]
    assert from_models == from_migrations
    assert "ck_tasks_priority" in {name for name, _ in from_migrations["tasks"]}


def test_models_and_migrations_make_the_same_indexes(db_url: str, empty_db_url: str) -> None:
    from_models = _schema_facts(_created_from_the_models(empty_db_url))["indexes"]
    from_migrations = _schema_facts(db_url)["indexes"]
    assert from_models == from_migrations
    assert "ix_tasks_user_id_completed_number" in {i[0] for i in from_migrations["tasks"]}


def test_models_and_migrations_make_the_same_triggers(db_url: str, empty_db_url: str) -> None:
    from_models = _schema_facts(_created_from_the_models(empty_db_url))["triggers"]
    from_migrations = _schema_facts(db_url)["triggers"]
    assert "trg_messages_immutable" in {name for name, *_ in from_migrations["messages"]}
    assert from_models == from_migrations


def test_models_and_migrations_make_the_same_functions(
    db_url: str, empty_db_url: str, backend: str
) -> None:
    if backend == "sqlite":
        not_applicable("SQLite has no stored functions")
    made = _schema_facts(_created_from_the_models(empty_db_url))["functions"]["*"]
    from_models = {name: source for name, source in made}
    migrated = _schema_facts(db_url)["functions"]["*"]
    from_migrations = {name: source for name, source in migrated}
    assert {"todo_operation_id", "todo_journal"} <= from_models.keys()
    # Those of isolation (todo_session_user_id and the like) are made by its
    # revisions and `todo db isolate`, never by the models: compared where both are.
    assert from_models == {name: from_migrations.get(name) for name in from_models}


def outside_commands(url: str) -> list[str]:
    """What the journal stored of each statement run outside todo."""
    rows = sql_rows(
        url, "SELECT command FROM operations WHERE command LIKE 'outside todo:%' ORDER BY number"
    )
    return [str(row[0]) for row in rows]


def run_outside(url: str, statement: str) -> None:
    """One statement by psql's road: sent as typed, comments and all."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(statement)


def test_0018_masks_a_password_in_an_outside_statement_before_it_is_stored(
    db_url: str, backend: str
) -> None:
    """Shown masked, it was stored as typed: in every backup and dump of the database."""
    if backend != "postgresql":
        not_applicable("SQLite's triggers record no statement; the postgresql run covers it")
    alice = Todo(db_url)
    assert alice("add", "t").exit_code == 0
    role = "/* ALTER ROLE r PASSWORD 'Hunter2-two' */ "
    assert run_cli(["--db", db_url, "db", "downgrade", "0017"]).exit_code == 0
    run_outside(db_url, role + "UPDATE tasks SET priority = 'L' WHERE number = 1")
    assert ["Hunter2-two" in command for command in outside_commands(db_url)] == [True]
    up = run_cli(["--db", db_url, "db", "upgrade"])
    assert up.exit_code == 0, up.stderr
    # What was recorded before is masked by the upgrade; what comes after, as it is stored.
    run_outside(
        db_url,
        "/* postgresql://bob:Sekr1t-one@db/x?password=Pw9-three */ "
        "UPDATE tasks SET priority = 'H' WHERE number = 1",
    )
    # The password across the statement's 200th character: masked whole, then cut.
    long = f"/* {'x' * 162} */ {role}UPDATE tasks SET title = 'u' WHERE number = 1"
    assert long.index("Hunter2") < 200 < long.index("Hunter2") + len("Hunter2-two")
    run_outside(db_url, long)
    stored = outside_commands(db_url)
    assert len(stored) == 3
    assert "PASSWORD ***" in stored[0]
    assert "bob:***@db/x?password=***" in stored[1]
    assert "PASSWORD ***" in stored[2]
    for secret in ("Hunter2", "Hunt", "Sekr1t", "Pw9"):
        assert not any(secret in command for command in stored), (secret, stored)
    # Stepping back puts 0010's function back (stored as typed again); the masked stay.
    assert run_cli(["--db", db_url, "db", "downgrade", "0017"]).exit_code == 0
    run_outside(db_url, role + "UPDATE tasks SET priority = 'M' WHERE number = 1")
    assert outside_commands(db_url)[:3] == stored
    assert "Hunter2-two" in outside_commands(db_url)[3]
    assert run_cli(["--db", db_url, "db", "upgrade"]).exit_code == 0


# Every string constant PostgreSQL takes for a password, and where each secret sits (in a
# comment: the role need not exist; the journal stores the statement as sent).
_PASSWORD_FORMS = (
    ("/* ALTER ROLE r PASSWORD E'Esc-Pw-0001'; */ ", "Esc-Pw-0001"),
    ("/* ALTER ROLE r PASSWORD e'it''s \\' Esc2-Pw'; */ ", "Esc2-Pw"),
    ("/* ALTER ROLE r PASSWORD $p$Dollar;Pw$-0002$p$; */ ", "Dollar;Pw$-0002"),
    ("/* ALTER ROLE r PASSWORD $$Plain$Dollar-03$$; */ ", "Plain$Dollar-03"),
    ("/* ALTER ROLE r ENCRYPTED PASSWORD U&'Uni\\0020Pw-04'; */ ", "Uni\\0020Pw-04"),
    ("/* ALTER ROLE r PASSWORD 'Plain-Pw-05' */ ", "Plain-Pw-05"),
    ("/* dsn 'host=h password=''Quoted Pw-06'' dbname=d' */ ", "Quoted Pw-06"),
    # A comment, or nothing, between PASSWORD and its string; a string continued on the
    # next line ('a' newline 'b' is 'ab'); a URL whose password holds an @.
    ("/* ALTER ROLE r PASSWORD /* new */ 'Cmt-Pw-08' */ ", "Cmt-Pw-08"),
    ("/* ALTER USER r PASSWORD -- new\n'Line-Pw-09' */ ", "Line-Pw-09"),
    ("/* alter user r password'Tight-Pw-10' */ ", "Tight-Pw-10"),
    ("/* CREATE ROLE r LOGIN PASSWORD 'Split-'\n  'Pw-11' */ ", "Pw-11"),
    ("/* postgresql://app:Sec@At-Pw-12@db/x */ ", "At-Pw-12"),
    # A nested comment before the string; a line comment between a string's parts; a
    # DO block's EXECUTE, the password's quotes doubled inside its string.
    ("/* ALTER ROLE r PASSWORD /* a /* b */ c */ 'Nest-Pw-13' */ ", "Nest-Pw-13"),
    ("/* ALTER ROLE r PASSWORD 'Cont-' -- more\n'Tail-Pw-14' */ ", "Tail-Pw-14"),
    ("/* DO $x$BEGIN EXECUTE 'ALTER ROLE r PASSWORD ''Do-Pw-15'''; END$x$ */ ", "Do-Pw-15"),
)


def test_0019_masks_a_password_given_as_any_string_constant_before_it_is_stored(
    db_url: str, backend: str
) -> None:
    """0018 masked SQL's plain 'literal' alone: E'...', U&'...' and $tag$...$tag$
    were stored as typed, and shown once the password was not the URL's."""
    if backend != "postgresql":
        not_applicable("SQLite's triggers record no statement; the postgresql run covers it")
    todo = Todo(db_url)
    assert todo("add", "t").exit_code == 0
    update = "UPDATE tasks SET priority = 'L' WHERE number = 1"
    assert run_cli(["--db", db_url, "db", "downgrade", "0018"]).exit_code == 0
    for form, _ in _PASSWORD_FORMS:
        run_outside(db_url, form + update)
    before = outside_commands(db_url)
    assert len(before) == len(_PASSWORD_FORMS)
    # What 0018 let through: all but its own plain literal.
    kept = [secret in command for (_, secret), command in zip(_PASSWORD_FORMS, before, strict=True)]
    assert kept == [True] * 5 + [False] + [True] * 9
    up = run_cli(["--db", db_url, "db", "upgrade"])
    assert up.exit_code == 0, up.stderr
    for form, _ in _PASSWORD_FORMS:
        run_outside(db_url, form + update)
    # A dollar quote a comment leaves open: masked to the end of the text.
    run_outside(db_url, "/* PASSWORD $q$Open-Pw-07 */ " + update)
    stored = outside_commands(db_url)
    assert len(stored) == 2 * len(_PASSWORD_FORMS) + 1
    for (_, secret), command in zip(_PASSWORD_FORMS * 2, stored[:-1], strict=True):
        assert secret not in command, command
        assert "***" in command
        assert command.endswith(update), command
    assert stored[-1] == "outside todo: /* PASSWORD ***"
    # Stepping back puts 0018's function back (E'...' stored as typed again).
    assert run_cli(["--db", db_url, "db", "downgrade", "0018"]).exit_code == 0
    run_outside(db_url, _PASSWORD_FORMS[0][0] + update)
    assert outside_commands(db_url)[:-1] == stored
    assert "Esc-Pw-0001" in outside_commands(db_url)[-1]
    assert run_cli(["--db", db_url, "db", "upgrade"]).exit_code == 0


def _collations(url: str) -> set[tuple[str, str, str]]:
    """Every column given a collation of its own: (table, column, collation)."""
    rows = sql_rows(
        url,
        "SELECT table_name, column_name, collation_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND collation_name IS NOT NULL",
    )
    return {(str(table), str(column), str(collation)) for table, column, collation in rows}


def test_models_and_migrations_give_columns_the_same_collations(
    db_url: str, empty_db_url: str, backend: str
) -> None:
    """Alembic's comparison leaves collations out: the journal's keys compare bytewise."""
    if backend == "sqlite":
        not_applicable("SQLite columns keep the BINARY collation, named by neither")
    from_models = _collations(_created_from_the_models(empty_db_url))
    from_migrations = _collations(db_url)
    assert from_models == from_migrations
    assert {("journal", "row_key", "C"), ("journal", "table_name", "C")} <= from_migrations


def test_downgrade_counts_only_the_column_values_it_loses(db_url: str) -> None:
    """A column's NULLs and its default values are no loss; every other value is counted."""
    todo = Todo(db_url)
    for words in (["a", "pri:H"], ["b", "pri:M", "project:home"], ["c", "pri:L"]):
        assert todo("add", *words).exit_code == 0
    assert todo.as_user("bob")("add", "d").exit_code == 0
    assert todo("chat-log", "new").exit_code == 0
    assert todo("chat-log", "new").exit_code == 0

    def deleted(target: str) -> dict[tuple[str, str | None], int]:
        down = run_cli(["--db", db_url, "db", "downgrade", target, "--yes", "--json"])
        assert down.exit_code == 0, down.stderr
        return {(d["table"], d["column"]): d["rows"] for d in down.json()["deleted"]}

    to_0002 = deleted("0002")
    assert {key: n for key, n in to_0002.items() if key[0] == "tasks"} == {
        ("tasks", "priority"): 3,
        ("tasks", "project"): 1,
    }
    to_0001 = deleted("0001")
    # alice's counter is 2; bob's is still its default, 0.
    assert to_0001[("users", "conversation_counter")] == 1
    assert to_0001[("conversations", None)] == 2
