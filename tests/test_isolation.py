"""Isolation the database enforces: a member with their own login reaches only their own rows.

Every test here runs on an isolated database (the `postgresql-rls` backend):
alice's URL is the test's, bob and carol are members too, and the admin
(tests/pgharness.py's ADMIN_ROLE) owns the tables. Attacks go straight to the
server with psycopg, as `psql` would: nothing of todo stands in between.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from tests import pgharness
from tests.ci_gate import not_applicable
from tests.conftest import (
    MEMBER_URLS,
    REPO,
    RLS,
    PostgresHandle,
    Todo,
    run_cli,
    run_process,
)
from todo_cli.db.revisions import HEAD

TABLES = (
    "users",
    "tasks",
    "task_tags",
    "task_notes",
    "task_dependencies",
    "conversations",
    "messages",
    "operations",
    "journal",
)
BOB_SECRET = "bob secret plans"


@pytest.fixture(params=[RLS])
def backend(request: pytest.FixtureRequest) -> str:
    """This module is about isolated databases alone."""
    return str(request.param)


def connect(url: str) -> psycopg.Connection[Any]:
    """A session as `psql` would open it with this URL: autocommit, no todo in between."""
    return psycopg.connect(url, autocommit=True, prepare_threshold=None)


def one(url: str, statement: str, *params: Any) -> Any:
    with connect(url) as conn:
        row = conn.execute(statement, params or None).fetchone()
        return None if row is None else row[0]


@dataclass
class Team:
    alice: Todo
    bob: Todo
    admin: str

    @property
    def alice_url(self) -> str:
        return MEMBER_URLS[self.admin]["alice"]

    @property
    def bob_url(self) -> str:
        return MEMBER_URLS[self.admin]["bob"]

    def admin_cli(self, *args: str, input: str | None = None) -> Any:
        return run_cli(list(args), input=input, env={"TODO_DATABASE_URL": self.admin})


def ok(todo: Todo, *args: str, input: str | None = None) -> Any:
    result = todo(*args, input=input)
    assert result.exit_code == 0, result.stderr
    return result.json() if "--json" in args else result


@contextmanager
def role_made_outside_todo(
    postgres: PostgresHandle, prefix: str, attributes: str = ""
) -> Iterator[tuple[str, str]]:
    """A login role made as a superuser would with psql: its name and password. Dropped
    afterwards, whatever todo made of it."""
    server = postgres.server
    assert server is not None
    name, password = f"{prefix}_{uuid.uuid4().hex[:8]}", f"{prefix}-Pass_w0rd-12345"
    server.admin(f"CREATE ROLE {name} LOGIN {attributes} PASSWORD '{password}'")
    try:
        yield name, password
    finally:
        server.admin(f"DROP ROLE IF EXISTS {name}")


@pytest.fixture
def team(db_url: str) -> Team:
    alice = Todo(db_url, "alice")
    return Team(alice=alice, bob=alice.as_user("bob"), admin=db_url)


@pytest.fixture
def seeded(team: Team) -> Team:
    """Rows of bob's in every table; one task of alice's."""
    bob = team.bob
    ok(bob, "add", BOB_SECRET, "+private", "pri:H")
    ok(bob, "add", "second of bob's", "dep:1")
    ok(bob, "note", "1", "the note says " + BOB_SECRET)
    ok(bob, "chat-log", "new", "--title", BOB_SECRET)
    ok(bob, "chat-log", "append", "1", "--role", "user", BOB_SECRET)
    ok(bob, "done", "2")
    ok(bob, "undo")
    ok(team.alice, "add", "alice's own")
    return team


def bob_ids(team: Team) -> dict[str, Any]:
    """Keys of bob's rows, read as the admin (who bypasses row security)."""
    with connect(team.admin) as conn:

        def first(sql: str) -> Any:
            row = conn.execute(sql).fetchone()
            assert row is not None, sql
            return row[0]

        bob = first("SELECT id FROM users WHERE name = 'bob'")
        return {
            "user": bob,
            "task": first(f"SELECT id FROM tasks WHERE user_id = '{bob}' AND number = 1"),
            "note": first(
                "SELECT n.id FROM task_notes n JOIN tasks t ON t.id = n.task_id "
                f"WHERE t.user_id = '{bob}'"
            ),
            "conversation": first(f"SELECT id FROM conversations WHERE user_id = '{bob}'"),
            "message": first(
                "SELECT m.id FROM messages m JOIN conversations c "
                f"ON c.id = m.conversation_id WHERE c.user_id = '{bob}'"
            ),
            "operation": first(f"SELECT id FROM operations WHERE user_id = '{bob}' LIMIT 1"),
        }


# --- what alice sees and can do with psql ---------------------------------------------


def test_a_member_sees_none_of_anothers_rows_in_any_table(seeded: Team) -> None:
    with connect(seeded.admin) as admin:
        everyone = {t: admin.execute(f"SELECT count(*) FROM {t}").fetchone() for t in TABLES}
    assert all(count is not None and count[0] > 0 for count in everyone.values()), everyone
    alice_id = one(seeded.admin, "SELECT id FROM users WHERE name = 'alice'")
    owner_of = {
        "users": "id",
        "tasks": "user_id",
        "task_tags": "(SELECT user_id FROM tasks t WHERE t.id = x.task_id)",
        "task_notes": "(SELECT user_id FROM tasks t WHERE t.id = x.task_id)",
        "task_dependencies": "(SELECT user_id FROM tasks t WHERE t.id = x.task_id)",
        "conversations": "user_id",
        "messages": "(SELECT user_id FROM conversations c WHERE c.id = x.conversation_id)",
        "operations": "user_id",
        "journal": "(SELECT user_id FROM operations o WHERE o.id = x.operation_id)",
    }
    with connect(seeded.alice_url) as alice:
        for table in TABLES:
            rows = alice.execute(f"SELECT x.* FROM {table} x").fetchall()
            assert len(rows) < everyone[table][0], table  # type: ignore[index]
        with connect(seeded.admin) as admin:
            for table, owner in owner_of.items():
                # What alice reads of each table is exactly what is hers.
                seen = alice.execute(f"SELECT count(*) FROM {table} x").fetchone()
                hers = admin.execute(
                    f"SELECT count(*) FROM {table} x WHERE {owner} = %s", (alice_id,)
                ).fetchone()
                assert seen == hers, table
        text = json.dumps(
            [alice.execute(f"SELECT to_jsonb(x) FROM {t} x").fetchall() for t in TABLES],
            default=str,
        )
    assert BOB_SECRET not in text


def test_a_member_cannot_update_or_delete_anothers_rows(seeded: Team) -> None:
    ids = bob_ids(seeded)
    attempts = [
        ("UPDATE tasks SET title = 'mine now' WHERE id = %s", ids["task"]),
        ("UPDATE tasks SET user_id = user_id WHERE id = %s", ids["task"]),
        ("DELETE FROM tasks WHERE id = %s", ids["task"]),
        ("DELETE FROM task_tags WHERE task_id = %s", ids["task"]),
        ("UPDATE task_notes SET text = 'gone' WHERE id = %s", ids["note"]),
        ("DELETE FROM task_notes WHERE id = %s", ids["note"]),
        ("DELETE FROM task_dependencies WHERE depends_on_id = %s", ids["task"]),
        ("UPDATE conversations SET title = 'mine' WHERE id = %s", ids["conversation"]),
        ("DELETE FROM conversations WHERE id = %s", ids["conversation"]),
        ("DELETE FROM messages WHERE id = %s", ids["message"]),
        ("UPDATE operations SET undone_by = NULL WHERE id = %s", ids["operation"]),
        ("DELETE FROM operations WHERE id = %s", ids["operation"]),
        ("UPDATE users SET task_counter = task_counter + 1 WHERE id = %s", ids["user"]),
    ]
    with connect(seeded.alice_url) as alice:
        for statement, key in attempts:
            assert alice.execute(statement, (key,)).rowcount == 0, statement
        # Without a WHERE too: only her own rows are touched.
        assert alice.execute("UPDATE tasks SET title = title").rowcount == 1
        for statement in ("DELETE FROM users", "DELETE FROM journal", "TRUNCATE tasks"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                alice.execute(statement)
    assert one(seeded.admin, "SELECT title FROM tasks WHERE id = %s", ids["task"]) == BOB_SECRET
    assert one(seeded.admin, "SELECT count(*) FROM task_tags WHERE task_id = %s", ids["task"]) == 1


def test_a_member_cannot_insert_rows_for_another(seeded: Team) -> None:
    ids = bob_ids(seeded)
    mine = one(seeded.alice_url, "SELECT id FROM tasks")
    now = "now()"
    attempts = [
        (
            "INSERT INTO tasks (id, user_id, number, title, completed, created_at, updated_at) "
            f"VALUES (gen_random_uuid(), %s, 99, 'planted', false, {now}, {now})",
            (ids["user"],),
        ),
        ("INSERT INTO task_tags (task_id, tag) VALUES (%s, 'planted')", (ids["task"],)),
        (
            f"INSERT INTO task_notes (id, task_id, created_at, text) "
            f"VALUES (gen_random_uuid(), %s, {now}, 'planted')",
            (ids["task"],),
        ),
        # A dependency needs both ends hers: neither way round with one of bob's.
        ("INSERT INTO task_dependencies VALUES (%s, %s)", (mine, ids["task"])),
        ("INSERT INTO task_dependencies VALUES (%s, %s)", (ids["task"], mine)),
        (
            "INSERT INTO conversations (id, user_id, number, created_at, updated_at) "
            f"VALUES (gen_random_uuid(), %s, 99, {now}, {now})",
            (ids["user"],),
        ),
        (
            "INSERT INTO messages (id, conversation_id, seq, role, content, created_at) "
            f"VALUES (gen_random_uuid(), %s, 99, 'user', 'planted', {now})",
            (ids["conversation"],),
        ),
        (
            "INSERT INTO operations (id, user_id, created_at, command, txid) "
            f"VALUES (gen_random_uuid(), %s, {now}, 'planted', txid_current())",
            (ids["user"],),
        ),
        (
            "INSERT INTO users (id, name, created_at) VALUES (gen_random_uuid(), 'mallory', now())",
            (),
        ),
        (
            "INSERT INTO users (id, name, created_at) VALUES (gen_random_uuid(), 'bob', now()) "
            "ON CONFLICT (name) DO UPDATE SET task_counter = users.task_counter + 1",
            (),
        ),
    ]
    with connect(seeded.alice_url) as alice:
        for statement, params in attempts:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                alice.execute(statement, params or None)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            alice.execute(
                "INSERT INTO journal (operation_id, table_name, action, row_key) "
                "VALUES (%s, 'tasks', 'insert', '[]')",
                (ids["operation"],),
            )


def test_an_operation_can_only_be_stamped_with_the_members_own_transaction(
    seeded: Team,
) -> None:
    """An operation stamped with a transaction id still to come would collect bob's changes."""
    alice_id = one(seeded.alice_url, "SELECT public.todo_session_user_id()")
    with connect(seeded.alice_url) as alice:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            alice.execute(
                "INSERT INTO operations (id, user_id, created_at, command, txid) "
                "VALUES (gen_random_uuid(), %s, now(), 'trap', txid_current() + 3)",
                (alice_id,),
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            alice.execute("SELECT public.todo_operation_id()")


def test_a_member_cannot_read_anothers_journal(seeded: Team) -> None:
    with connect(seeded.alice_url) as alice:
        rows = alice.execute("SELECT before::text, after::text FROM journal").fetchall()
        ops = alice.execute("SELECT command FROM operations").fetchall()
    assert rows
    assert BOB_SECRET not in repr(rows)
    assert all("bob" not in command for (command,) in ops)
    history = ok(seeded.alice, "history", "--json")
    assert BOB_SECRET not in json.dumps(history)


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE public.planted (x int)",
        "CREATE TABLE planted (x int)",
        "CREATE FUNCTION public.lower(character varying) RETURNS text LANGUAGE sql "
        "AS 'SELECT ''x'''",
        "CREATE TEMP TABLE planted (x int)",
        "CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE SCHEMA planted",
        "CREATE VIEW public.everything AS SELECT * FROM tasks",
    ],
)
def test_a_member_cannot_create_objects(team: Team, statement: str) -> None:
    with connect(team.alice_url) as alice, pytest.raises(psycopg.errors.InsufficientPrivilege):
        alice.execute(statement)


def test_a_member_cannot_write_a_security_definer_function(team: Team) -> None:
    """She could only run it as herself anyway; she cannot even make one."""
    with connect(team.alice_url) as alice, pytest.raises(psycopg.errors.InsufficientPrivilege):
        alice.execute(
            "CREATE FUNCTION public.as_owner() RETURNS SETOF tasks LANGUAGE sql "
            "SECURITY DEFINER AS 'SELECT * FROM tasks'"
        )


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE tasks",
        "ALTER TABLE tasks DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE tasks ADD COLUMN planted int",
        "DROP POLICY todo_tasks_own ON tasks",
        "CREATE POLICY everything ON tasks USING (true)",
        "ALTER FUNCTION public.todo_session_user_id() OWNER TO alice",
        "DROP TRIGGER trg_users_counters_only_grow ON users",
        "ALTER ROLE alice BYPASSRLS",
        "ALTER ROLE bob PASSWORD 'taken-over-password'",
    ],
)
def test_a_member_cannot_drop_or_alter_the_schema(team: Team, statement: str) -> None:
    with connect(team.alice_url) as alice, pytest.raises(psycopg.errors.InsufficientPrivilege):
        alice.execute(statement)


def test_a_member_grants_nothing(team: Team) -> None:
    """GRANT without the grant option only warns; the check is that nothing changed."""
    with connect(team.alice_url) as alice:
        alice.execute("GRANT ALL ON tasks, users, journal TO PUBLIC")
    with connect(team.admin) as admin:
        granted = admin.execute(
            "SELECT has_table_privilege('public', 'tasks', 'TRUNCATE'), "
            "has_table_privilege('public', 'journal', 'SELECT'), "
            "has_table_privilege('bob', 'users', 'DELETE')"
        ).fetchone()
    assert granted == (False, False, False)


def test_a_member_cannot_lower_a_counter(team: Team) -> None:
    """Numbers are never handed out twice: not even by a member to herself."""
    ok(team.alice, "add", "one")
    ok(team.alice, "add", "two")
    ok(team.alice, "chat-log", "new")
    with connect(team.alice_url) as alice:
        for counter in ("task_counter", "conversation_counter", "operation_counter"):
            with pytest.raises(psycopg.errors.CheckViolation, match="only grow"):
                alice.execute(f"UPDATE users SET {counter} = 0")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            alice.execute("UPDATE users SET name = 'bob'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            alice.execute("UPDATE tasks SET id = gen_random_uuid()")
    added = ok(team.alice, "add", "three", "--json")
    assert added["number"] == 3


@pytest.mark.parametrize(
    "statement",
    [
        "SET ROLE bob",
        "SET SESSION AUTHORIZATION bob",
        "SELECT set_config('role', 'bob', false)",
        "SELECT set_config('session_authorization', 'bob', false)",
        "SET ROLE todo_admin",
        "SET ROLE postgres",
    ],
)
def test_a_member_cannot_become_another(seeded: Team, statement: str) -> None:
    with connect(seeded.alice_url) as alice:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            alice.execute(statement)
        row = alice.execute("SELECT session_user, current_user").fetchone()
        assert row == ("alice", "alice")
        assert alice.execute("SELECT count(*) FROM tasks").fetchone() == (1,)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("search_path", "pg_temp, public"),
        ("application_name", "bob"),
        ("todo.user", "bob"),
        ("request.jwt.claim.sub", "bob"),
        ("row_security", "on"),
        ("jit", "off"),
    ],
)
def test_no_setting_makes_a_member_someone_else(seeded: Team, name: str, value: str) -> None:
    with connect(seeded.alice_url) as alice:
        alice.execute("SELECT set_config(%s, %s, false)", (name, value))
        assert alice.execute("SELECT count(*) FROM tasks").fetchone() == (1,)
        assert alice.execute("SELECT count(*) FROM users").fetchone() == (1,)
        assert alice.execute("SELECT public.todo_session_user_id()").fetchone() == (
            one(seeded.admin, "SELECT id FROM users WHERE name = 'alice'"),
        )


def test_turning_row_security_off_is_an_error_not_a_leak(seeded: Team) -> None:
    with connect(seeded.alice_url) as alice:
        alice.execute("SET row_security = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            alice.execute("SELECT title FROM tasks")


def test_copy_from_is_refused_and_copy_to_shows_only_her_rows(seeded: Team) -> None:
    with connect(seeded.alice_url) as alice:
        cursor = alice.cursor()
        with cursor.copy("COPY tasks (title) TO STDOUT") as copy:
            copied = b"".join(bytes(data) for data in copy).decode()
        assert copied == "alice's own\n"
        with (
            pytest.raises(psycopg.errors.FeatureNotSupported),
            cursor.copy("COPY task_tags (task_id, tag) FROM STDIN") as copy,
        ):
            copy.write_row([uuid.uuid4(), "x"])


def test_errors_and_statistics_leak_nothing_of_anothers_rows(seeded: Team) -> None:
    with connect(seeded.admin) as admin:
        admin.execute("ANALYZE")
    with connect(seeded.alice_url) as alice:
        # Policies run before her own conditions: bob's titles never reach the cast.
        with pytest.raises(psycopg.errors.InvalidTextRepresentation) as raised:
            alice.execute("SELECT * FROM tasks WHERE title::int > 0")
        assert "bob" not in str(raised.value)
        stats = alice.execute(
            "SELECT count(*) FROM pg_stats WHERE tablename IN ('tasks', 'messages')"
        ).fetchone()
        assert stats == (0,)


def test_a_revoked_session_can_do_nothing_more(team: Team, postgres: PostgresHandle) -> None:
    granted = team.admin_cli("db", "grant", "mallory_s")
    assert granted.exit_code == 0, granted.stderr
    url = granted.stdout.strip()
    ok(Todo(url, "mallory_s"), "add", "before revoke")
    with connect(url) as session:
        assert session.execute("SELECT count(*) FROM tasks").fetchone() == (1,)
        assert team.admin_cli("db", "revoke", "mallory_s").exit_code == 0
        with pytest.raises(psycopg.Error):
            session.execute("SELECT count(*) FROM tasks")


# --- through todo -----------------------------------------------------------------------


def test_anothers_numbers_refs_and_prefixes_are_not_found(seeded: Team) -> None:
    ids = bob_ids(seeded)
    alice = seeded.alice
    task = str(ids["task"])
    for command in (
        ["show", "2"],
        ["done", "2"],
        ["show", task],
        ["show", task[:8]],
        ["edit", task, "--title", "mine"],
        ["delete", task, "--yes"],
        ["note", task, "mine"],
        ["chat-log", "show", str(ids["conversation"])],
        ["chat-log", "show", str(ids["conversation"])[:8]],
        ["add", "spy", f"dep:{task}"],
    ):
        result = alice(*command)
        assert result.exit_code == 1, (command, result.stderr)
        assert "error: no " in result.stderr, (command, result.stderr)
    assert one(seeded.admin, "SELECT title FROM tasks WHERE id = %s", ids["task"]) == BOB_SECRET


@pytest.mark.parametrize("how", ["--user", "TODO_USER", "config"])
def test_naming_another_member_is_a_usage_error(
    seeded: Team, how: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = seeded.alice_url
    env = {"TODO_DATABASE_URL": url}
    args = ["list", "--all"]
    if how == "--user":
        args = ["--user", "bob", *args]
    elif how == "TODO_USER":
        env["TODO_USER"] = "bob"
    else:
        config = tmp_path / "config.toml"
        config.write_text('user = "bob"\n')
        env["TODO_CONFIG"] = str(config)
    result = run_cli(args, env=env)
    assert result.exit_code == 2, result.stderr
    assert "logged in as 'alice'" in result.stderr
    assert BOB_SECRET not in result.stdout


def test_her_own_name_or_none_is_fine(seeded: Team) -> None:
    url = seeded.alice_url
    for env in ({"TODO_DATABASE_URL": url}, {"TODO_DATABASE_URL": url, "TODO_USER": "alice"}):
        result = run_cli(["list", "--all", "--json"], env=env)
        assert result.exit_code == 0, result.stderr
        assert [t["title"] for t in result.json()] == ["alice's own"]
    added = run_cli(["add", "as the login", "--json"], env={"TODO_DATABASE_URL": url})
    assert added.json()["number"] == 2


def test_a_write_outside_todo_is_the_members_own_operation(seeded: Team) -> None:
    with connect(seeded.alice_url) as alice:
        alice.execute("UPDATE tasks SET title = 'renamed with psql'")
    history = ok(seeded.alice, "history", "--json")
    latest = history[0]
    assert latest["command"].startswith("outside todo")
    assert ok(seeded.alice, "undo").exit_code == 0
    assert ok(seeded.alice, "list", "--json")[0]["title"] == "alice's own"


def test_an_import_of_anothers_backup_takes_nothing_over(seeded: Team, tmp_path: Any) -> None:
    backup = tmp_path / "bob.json"
    exported = seeded.bob("export", "--all")
    assert exported.exit_code == 0, exported.stderr
    backup.write_text(exported.stdout)
    before = one(seeded.admin, "SELECT count(*) FROM tasks")
    result = seeded.alice("import", str(backup))
    assert result.exit_code != 0
    assert one(seeded.admin, "SELECT count(*) FROM tasks") == before
    assert ok(seeded.bob, "list", "--all", "--json")[0]["title"] == BOB_SECRET


def test_an_undo_whose_task_id_another_member_took_is_a_conflict(
    seeded: Team, tmp_path: Any
) -> None:
    # Alice deletes a task of a file she shared; bob imports that file, taking the
    # id. Her undo cannot bring it back: exit 1 and why, not the primary key's words,
    # her own task named as she knew it (bob's row is not seen: the task her undo
    # brings back is).
    alice, bob = seeded.alice, seeded.bob
    backup = tmp_path / "alice.json"
    backup.write_text(ok(alice, "export", "--all").stdout)
    ok(alice, "delete", "1", "--yes")
    assert "1 added" in ok(bob, "import", str(backup)).stderr
    # The dry run says what the undo does: refused, not "would undo".
    for args in (("undo", "--dry-run"), ("undo",)):
        result = alice(*args)
        assert (result.exit_code, result.stderr) == (
            1,
            "error: cannot undo #2 (todo delete 1 --yes): a row it would bring back has an "
            "id that another user's row holds now: task #1 (it cannot come back under that "
            "id; "
            "nothing was changed)\n",
        )
    assert ok(alice, "list", "--all", "--json") == []
    assert [op["undone"] for op in ok(alice, "history", "--json")] == [False, False]
    titles = sorted(task["title"] for task in ok(bob, "list", "--all", "--json"))
    assert titles == sorted([BOB_SECRET, "second of bob's", "alice's own"])


def test_a_refused_import_writes_nothing(seeded: Team) -> None:
    tables = "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages), "
    tables += "(SELECT count(*) FROM operations), (SELECT count(*) FROM users)"
    with connect(seeded.admin) as admin:
        before = admin.execute(tables).fetchone()
    broken = json.dumps([{"role": "user", "content": "fine"}, {"role": "robot", "content": "x"}])
    assert seeded.alice("chat-log", "import", "-", input=broken).exit_code == 2
    assert seeded.alice("chat-log", "import", "/nonexistent/file.json").exit_code == 2
    with connect(seeded.admin) as admin:
        assert admin.execute(tables).fetchone() == before


def test_a_bulk_add_on_an_isolated_database_is_one_insert(
    team: Team, postgres: PostgresHandle
) -> None:
    assert postgres.server is not None
    database = team.alice_url.rsplit("/", 1)[1].split("?")[0]
    offset = postgres.server.log_offset()
    lines = "".join(f"task {i} +t{i % 3}\n" for i in range(500))
    ok(team.alice, "add", input=lines)
    sent = logged_until_commit(postgres.server, database, offset)
    assert not [s for s in sent if "COPY" in s]
    assert len([s for s in sent if "unnest" in s]) == 2  # tasks, then their tags
    listed = ok(team.alice, "list", "--all", "--json")
    assert len(listed) == 500
    assert listed[-1]["tags"]


def logged_until_commit(server: pgharness.Server, database: str, offset: int) -> list[str]:
    """What the server logged for `database` since `offset`, up to a command's COMMIT."""
    import time

    deadline = time.monotonic() + 5
    sent = server.statements_for(database, offset)
    while (not sent or sent[-1] != "COMMIT") and time.monotonic() < deadline:
        time.sleep(0.02)
        sent = server.statements_for(database, offset)
    return sent


def _shape(statement: str) -> str:
    """A statement as a kind of work: the same for COPY and its isolated INSERT."""
    text = statement.split(": ", 1)[-1] if statement.startswith("<unnamed>") else statement
    return "bulk insert" if "unnest(" in text or text.startswith("COPY ") else text.split(" ")[0]


@pytest.mark.parametrize(
    "command",
    [
        ["add", "Buy milk", "+errand"],
        ["add", "-"],
        ["list"],
        ["list", "--json"],
        ["done", "1"],
        ["undo"],
        ["history"],
        ["chat-log", "new", "--title", "plans"],
        ["import", "-"],
    ],
)
def test_a_command_sends_as_many_statements_isolated_as_not(
    team: Team, plain_url: str, postgres: PostgresHandle, command: list[str]
) -> None:
    """Mode detection rides on the revision check: isolation costs no round trip."""
    assert postgres.server is not None
    document = json.dumps(
        [
            {
                "uuid": str(uuid.uuid4()),
                "description": "imported",
                "status": "pending",
                "entry": "20260101T000000Z",
                "tags": ["x"],
                "annotations": [{"entry": "20260101T000000Z", "description": "a note"}],
            }
        ]
    )
    stdin = {"add": "a\nb +x\nc\n", "import": document}
    counts = []
    for url, todo in ((plain_url, Todo(plain_url)), (team.alice_url, team.alice)):
        ok(todo, "add", "first", "+one")
        ok(todo, "done", "1")
        database = url.rsplit("/", 1)[1].split("?")[0]
        offset = postgres.server.log_offset()
        done = todo.process(
            *command, input=stdin.get(command[0], "").encode() if "-" in command else None
        )
        assert done.returncode == 0, done.stderr
        counts.append([_shape(s) for s in logged_until_commit(postgres.server, database, offset)])
    plain, isolated = counts
    assert isolated == plain


# --- the admin's commands --------------------------------------------------------------


def test_grant_prints_a_working_url_once_and_makes_a_member(team: Team) -> None:
    granted = team.admin_cli("db", "grant", "dave_g", "--json")
    assert granted.exit_code == 0, granted.stderr
    url = granted.json()["url"]
    assert url.startswith("postgresql://dave_g:")
    assert "todo_admin" not in url
    password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert len(password) >= 32  # 192 bits, base64url
    dave = Todo(url, "dave_g")
    assert ok(dave, "add", "dave's", "--json")["number"] == 1
    assert [t["title"] for t in ok(dave, "list", "--json")] == ["dave's"]
    members = team.admin_cli("db", "members", "--json").json()
    found = {m["name"]: m for m in members}
    assert found["dave_g"]["tasks"] == 1
    assert found["dave_g"]["bypasses_rls"] is False
    assert found["dave_g"]["last_activity"] is not None
    assert found["dave_g"]["connection_limit"] == 10
    assert team.admin_cli("db", "revoke", "dave_g", "--purge", "--yes").exit_code == 0


def test_members_as_text_says_1_task_and_2_tasks(team: Team) -> None:
    ok(team.alice, "add", "one")
    ok(team.bob, "add", "one")
    ok(team.bob, "add", "two")
    lines = team.admin_cli("db", "members").stdout.splitlines()
    counts = {line.split("\t")[0]: line.split("\t")[1] for line in lines}
    assert (counts["alice"], counts["bob"]) == ("1 task", "2 tasks")


def test_grant_of_an_existing_user_needs_adopt_and_keeps_their_tasks(team: Team) -> None:
    # Made under the honor system, before erin had a login of her own.
    assert (
        run_cli(
            ["--user", "erin_a", "add", "from before"], env={"TODO_DATABASE_URL": team.admin}
        ).exit_code
        == 0
    )
    refused = team.admin_cli("db", "grant", "erin_a")
    assert refused.exit_code == 2
    assert "--adopt" in refused.stderr
    adopted = team.admin_cli("db", "grant", "erin_a", "--adopt")
    assert adopted.exit_code == 0, adopted.stderr
    erin = Todo(adopted.stdout.strip(), "erin_a")
    assert [t["title"] for t in ok(erin, "list", "--json")] == ["from before"]
    assert team.admin_cli("db", "revoke", "erin_a", "--purge", "--yes").exit_code == 0


def test_granting_a_member_again_says_they_are_one(team: Team) -> None:
    # It said "already has a user named 'alice' ... pass --adopt", and --adopt then
    # asked for --existing-role: never that alice is a member here already.
    refused = team.admin_cli("db", "grant", "alice")
    assert (refused.exit_code, refused.stderr) == (
        2,
        "error: alice is a member of this database already; nothing was changed "
        "(`todo db rotate alice` sets a new password; see `todo db members`)\n",
    )
    assert [m["name"] for m in team.admin_cli("db", "members", "--json").json()].count("alice") == 1


def test_a_member_at_the_connection_limit_is_told_so(team: Team) -> None:
    granted = team.admin_cli("db", "grant", "gil_cl", "--connection-limit", "1")
    assert granted.exit_code == 0, granted.stderr
    url = granted.stdout.strip()
    try:
        with connect(url):
            result = Todo(url, "gil_cl")("list")
        assert result.exit_code == 3
        assert 'too many connections for role "gil_cl"' in result.stderr
        assert "this login holds as many connections as its role may" in result.stderr
        assert "that the server is up" not in result.stderr  # it is
    finally:
        assert team.admin_cli("db", "revoke", "gil_cl", "--purge", "--yes").exit_code == 0


def test_a_migration_behind_a_members_open_transaction_gives_up_and_says_why(
    team: Team,
) -> None:
    # An ALTER TABLE waits for every open transaction that has read the table, and
    # every member's command queued behind it: a forgotten `psql` stopped the team.
    with connect(team.alice_url) as idle:
        idle.execute("BEGIN")
        idle.execute("SELECT count(*) FROM users")  # and the transaction stays open
        result = team.admin_cli("db", "downgrade", "0013", "--yes")  # drops users.granted
        assert result.exit_code == 3
        assert "is busy: another session holds a lock on todo's tables" in result.stderr
        assert "nothing was changed" in result.stderr
    # The member's session ended: the same downgrade goes through, from the head.
    assert team.admin_cli("db", "current").stdout.startswith(HEAD)
    assert team.admin_cli("db", "downgrade", "0013", "--yes").exit_code == 0
    assert team.admin_cli("db", "upgrade").exit_code == 0


@pytest.mark.parametrize("isolation", ["on", "off"])
def test_a_downgrade_that_would_show_a_users_rows_to_a_stranger_says_so_and_asks(
    team: Team, isolation: str
) -> None:
    # Revision 0013 holds a login to the users row of its name: zed_x, a member role
    # of the server (granted in another database), would be shown the rows the admin
    # made here `--user zed_x`, and the upgrade back took them as granted. The step
    # down was taken without a word. With isolation off, nobody is shown anything at
    # 0013, but the upgrade back marks the row granted all the same, and the first
    # grant after it turned isolation on with zed_x a member here.
    if isolation == "off":
        assert team.admin_cli("db", "isolate", "--off").exit_code == 0
    made = run_cli(["--user", "zed_x", "add", "private"], env={"TODO_DATABASE_URL": team.admin})
    assert made.exit_code == 0, made.stderr
    with connect(team.admin) as admin:
        admin.execute("CREATE ROLE zed_x LOGIN PASSWORD 'zed-Pass_w0rd-12345' IN ROLE todo_member")
    try:
        if isolation == "off":
            # Nor is zed_x counted among the members isolation off keeps out.
            listed = team.admin_cli("db", "members")
            assert f"warning: {len(pgharness.MEMBER_PASSWORDS)} members of this database " in (
                listed.stderr
            )
        asked = team.admin_cli("db", "downgrade", "0013")
        assert asked.exit_code == 2
        assert "show the rows of 1 user(s) not granted here (zed_x) to the member login" in (
            asked.stderr
        )
        assert team.admin_cli("db", "current").stdout.startswith(HEAD)
    finally:
        with connect(team.admin) as admin:
            admin.execute("DROP ROLE zed_x")


def test_members_names_the_users_whose_rows_no_member_holds(team: Team) -> None:
    # A revoke without --purge keeps the rows, granted to nobody, and `--user` rows
    # the admin made are nobody's either: `db members` listed no one for them, so
    # the admin could not see what `grant --adopt` or `revoke --purge` was for.
    made = run_cli(["--user", "zed_k", "add", "kept"], env={"TODO_DATABASE_URL": team.admin})
    assert made.exit_code == 0, made.stderr
    granted = team.admin_cli("db", "grant", "kim_k")
    assert granted.exit_code == 0, granted.stderr
    kim = Todo(granted.stdout.strip(), "kim_k")
    ok(kim, "add", "kim's")
    ok(kim, "chat-log", "new", "--title", "kim's talk")
    assert team.admin_cli("db", "revoke", "kim_k").exit_code == 0
    listed = team.admin_cli("db", "members", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert "kim_k" not in [m["name"] for m in listed.json()]
    assert listed.stderr == (
        "held by no member here: kim_k (1 task, 1 conversation), zed_k (1 task, 0 "
        "conversations) (`todo db grant NAME --adopt` gives them to a login of that "
        "name; `todo db revoke NAME --purge` deletes them)\n"
    )


def test_purge_deletes_rows_held_by_no_member_whose_name_a_non_member_login_has(
    team: Team, postgres: PostgresHandle
) -> None:
    # `db members` offers `revoke NAME --purge` for them; with a login of that name
    # that is no todo member (made for something else), the revoke refused, and no
    # command could delete the rows. They go; the login is not todo's, and stays.
    with role_made_outside_todo(postgres, "plain") as (name, _):
        made = run_cli(["--user", name, "add", "kept"], env={"TODO_DATABASE_URL": team.admin})
        assert made.exit_code == 0, made.stderr
        assert f"held by no member here: {name} (1 task" in team.admin_cli("db", "members").stderr
        kept = team.admin_cli("db", "revoke", name)
        assert kept.exit_code == 2
        assert one(team.admin, "SELECT count(*) FROM users WHERE name = %s", name) == 1
        purged = team.admin_cli("db", "revoke", name, "--purge", "--yes")
        assert (purged.exit_code, purged.stderr) == (
            0,
            f"deleted {name}'s 1 task and 0 conversations\n",
        )
        assert one(team.admin, "SELECT count(*) FROM users WHERE name = %s", name) == 0
        assert one(team.admin, "SELECT count(*) FROM pg_roles WHERE rolname = %s", name) == 1
        again = team.admin_cli("db", "revoke", name, "--purge", "--yes")
        assert (again.exit_code, again.stderr) == (
            1,
            f"error: no user named {name!r} in this database, and its role is no todo "
            "member; nothing was changed (see `todo db members`)\n",
        )


def test_password_stdin_sets_the_members_password(team: Team) -> None:
    chosen = "correct horse battery staple é"
    granted = team.admin_cli("db", "grant", "fay_p", "--password-stdin", input=chosen + "\n")
    assert granted.exit_code == 0, granted.stderr
    url = granted.stdout.strip()
    assert one(url, "SELECT session_user") == "fay_p"
    short = team.admin_cli("db", "rotate", "fay_p", "--password-stdin", input="short\n")
    assert short.exit_code == 2
    assert team.admin_cli("db", "revoke", "fay_p").exit_code == 0


def test_rotate_stops_the_old_password(team: Team) -> None:
    granted = team.admin_cli("db", "grant", "gus_r")
    old = granted.stdout.strip()
    assert one(old, "SELECT 1") == 1
    rotated = team.admin_cli("db", "rotate", "gus_r")
    assert rotated.exit_code == 0, rotated.stderr
    new = rotated.stdout.strip()
    assert new != old
    assert one(new, "SELECT session_user") == "gus_r"
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        one(old, "SELECT 1")
    result = Todo(old, "gus_r")("list")
    assert result.exit_code == 3
    assert team.admin_cli("db", "revoke", "gus_r").exit_code == 0


def test_rotate_ends_the_sessions_opened_with_the_old_password(team: Team) -> None:
    """A password is rotated because it leaked: a session opened with it before
    went on reading and writing. It is ended, the admin's own sessions not."""
    granted = team.admin_cli("db", "grant", "gus_s")
    old = granted.stdout.strip()
    with psycopg.connect(old, autocommit=True) as held:
        assert held.execute("SELECT session_user").fetchone() == ("gus_s",)
        rotated = team.admin_cli("db", "rotate", "gus_s")
        assert rotated.exit_code == 0, rotated.stderr
        assert rotated.stderr == (
            "new password for gus_s; their URL follows, shown this once\n"
            "ended 1 session of gus_s opened before\n"
        )
        with pytest.raises(psycopg.OperationalError):
            held.execute("SELECT count(*) FROM tasks")
    # Nothing left open: a second rotation ends none, and says nothing of it.
    again = team.admin_cli("db", "rotate", "gus_s")
    assert again.stderr == "new password for gus_s; their URL follows, shown this once\n"
    # The admin lent itself the role to end its sessions, and took it back.
    assert one(team.admin, "SELECT pg_has_role(current_user, 'gus_s', 'USAGE')") is False
    assert team.admin_cli("db", "revoke", "gus_s").exit_code == 0


def test_rotate_ends_the_sessions_once_the_new_password_is_committed(
    team: Team, postgres: PostgresHandle
) -> None:
    """They were ended before the commit: a client that reconnected at once still
    logged in with the old password, and its session stayed."""
    assert postgres.server is not None
    granted = team.admin_cli("db", "grant", "gus_t")
    with psycopg.connect(granted.stdout.strip(), autocommit=True):
        database = team.admin.rsplit("/", 1)[1].split("?")[0]
        offset = postgres.server.log_offset()
        assert team.admin_cli("db", "rotate", "gus_t").exit_code == 0
        sent = postgres.server.statements_for(database, offset)
    changed = next(i for i, s in enumerate(sent) if s.startswith("ALTER ROLE"))
    ended = next(i for i, s in enumerate(sent) if "pg_terminate_backend" in s)
    assert "COMMIT" in sent[changed:ended], sent
    assert team.admin_cli("db", "revoke", "gus_t").exit_code == 0


def _admin_with_stdout(team: Team, redirect: str, *args: str) -> subprocess.CompletedProcess[str]:
    # `todo db ... >/dev/full` or `>&-` as a shell runs it: the URL cannot be written.
    return subprocess.run(
        ["sh", "-c", f'exec "$0" -m todo_cli "$@" {redirect}', sys.executable, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ) | {"TODO_DATABASE_URL": team.admin},
        cwd=REPO,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("redirect", [">/dev/full", ">&-"])
def test_a_url_that_cannot_be_written_grants_and_rotates_nothing(team: Team, redirect: str) -> None:
    # The URL is the only copy of the password: a member made (or a password set)
    # that nobody saw is a login nobody can use, and a rotated member locked out.
    refused = _admin_with_stdout(team, redirect, "db", "grant", "ivy_f")
    assert refused.returncode == 74, refused.stderr
    assert refused.stderr.endswith(": the URL was not handed out (no role ivy_f was made)\n")
    assert one(team.admin, "SELECT count(*) FROM pg_roles WHERE rolname = 'ivy_f'") == 0
    assert one(team.admin, "SELECT count(*) FROM users WHERE name = 'ivy_f'") == 0
    members = team.admin_cli("db", "members", "--json").json()
    assert "ivy_f" not in [member["name"] for member in members]
    granted = team.admin_cli("db", "grant", "jay_f")
    old = granted.stdout.strip()
    rotated = _admin_with_stdout(team, redirect, "db", "rotate", "jay_f")
    assert rotated.returncode == 74, rotated.stderr
    assert rotated.stderr.endswith(": the URL was not handed out (jay_f's password is unchanged)\n")
    assert one(old, "SELECT session_user") == "jay_f"
    assert team.admin_cli("db", "revoke", "jay_f").exit_code == 0


def test_a_revoked_member_is_refused(team: Team) -> None:
    granted = team.admin_cli("db", "grant", "hal_v")
    hal = Todo(granted.stdout.strip(), "hal_v")
    ok(hal, "add", "kept after the revoke")
    revoked = team.admin_cli("db", "revoke", "hal_v")
    assert revoked.exit_code == 0, revoked.stderr
    result = hal("list")
    assert result.exit_code == 3
    assert "refused" in result.stderr
    # Without --purge the rows stay, for a later grant --adopt.
    assert (
        one(
            team.admin,
            "SELECT count(*) FROM tasks t JOIN users u ON u.id = t.user_id WHERE u.name = 'hal_v'",
        )
        == 1
    )
    regranted = team.admin_cli("db", "grant", "hal_v", "--adopt")
    assert regranted.exit_code == 0, regranted.stderr
    again = Todo(regranted.stdout.strip(), "hal_v")
    assert [t["title"] for t in ok(again, "list", "--json")] == ["kept after the revoke"]
    assert team.admin_cli("db", "revoke", "hal_v", "--purge", "--yes").exit_code == 0


def test_purge_deletes_every_row_and_leaves_no_journal_of_them(team: Team) -> None:
    granted = team.admin_cli("db", "grant", "ivy_x")
    ivy = Todo(granted.stdout.strip(), "ivy_x")
    ok(ivy, "add", "ivy's secret", "+tag")
    ok(ivy, "note", "1", "ivy's note")
    ok(ivy, "chat-log", "new", "--title", "ivy's chat")
    unconfirmed = team.admin_cli("db", "revoke", "ivy_x", "--purge")
    assert unconfirmed.exit_code == 2
    assert "1 task" in unconfirmed.stderr
    purged = team.admin_cli("db", "revoke", "ivy_x", "--purge", "--yes", "--json")
    assert purged.exit_code == 0, purged.stderr
    assert purged.json()["purged"] == {"tasks": 1, "conversations": 1}
    with connect(team.admin) as admin:
        assert admin.execute("SELECT count(*) FROM users WHERE name = 'ivy_x'").fetchone() == (0,)
        leftovers = admin.execute(
            "SELECT count(*) FROM journal WHERE before::text LIKE '%ivy''s%' "
            "OR after::text LIKE '%ivy''s%'"
        ).fetchone()
        assert leftovers == (0,)
        assert admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'ivy_x'").fetchone() is None


def test_purge_deletes_the_images_changes_made_outside_todo_kept_of_the_rows(
    team: Team,
) -> None:
    # The admin's psql changes to a member's rows are operations of no user: their
    # journal kept her whole task (title, tags, notes, chat) after the purge, seen
    # by no one and pruned by no one.
    granted = team.admin_cli("db", "grant", "uma_o")
    uma = Todo(granted.stdout.strip(), "uma_o")
    ok(uma, "add", "uma's secret", "+tag")
    ok(uma, "add", "uma's other")
    ok(uma, "edit", "1", "dep:2")
    ok(uma, "note", "1", "uma's note")
    ok(uma, "chat-log", "new", "--title", "uma's chat")
    ok(uma, "chat-log", "append", "1", "--role", "user", "uma's message")
    ok(team.bob, "add", "bob's own")
    with connect(team.admin) as admin:
        admin.execute("UPDATE tasks SET title = title || ' (seen)'")
        admin.execute("UPDATE task_notes SET text = text || ' (seen)'")
        admin.execute("DELETE FROM task_tags")
        admin.execute("DELETE FROM task_dependencies")
        admin.execute("DELETE FROM messages")
        admin.execute("UPDATE conversations SET title = title || ' (seen)'")
        outside = admin.execute("SELECT count(*) > 0 FROM operations WHERE user_id IS NULL")
        assert outside.fetchone() == (True,)
    purged = team.admin_cli("db", "revoke", "uma_o", "--purge", "--yes")
    assert purged.exit_code == 0, purged.stderr
    with connect(team.admin) as admin:
        leftovers = admin.execute(
            "SELECT j.table_name FROM journal j WHERE j.before::text LIKE '%uma''s%' "
            "OR j.after::text LIKE '%uma''s%'"
        ).fetchall()
        assert leftovers == []
        # Bob's row, changed by the same statement, keeps its record of it.
        bobs = admin.execute(
            "SELECT count(*) FROM journal j JOIN operations o ON o.id = j.operation_id "
            "WHERE o.user_id IS NULL AND j.after::text LIKE '%bob''s own (seen)%'"
        ).fetchone()
        assert bobs == (1,)
        empty = admin.execute(
            "SELECT count(*) FROM operations o WHERE NOT EXISTS "
            "(SELECT 1 FROM journal j WHERE j.operation_id = o.id) AND o.user_id IS NULL"
        ).fetchone()
        assert empty == (0,)


def test_purge_after_a_revoke_still_deletes_the_rows(team: Team) -> None:
    granted = team.admin_cli("db", "grant", "kim_p")
    ok(Todo(granted.stdout.strip(), "kim_p"), "add", "left behind")
    assert team.admin_cli("db", "revoke", "kim_p").exit_code == 0
    purged = team.admin_cli("db", "revoke", "kim_p", "--purge", "--yes", "--json")
    assert purged.exit_code == 0, purged.stderr
    assert purged.json() == {
        "name": "kim_p",
        "role_dropped": False,
        "role_kept_for": [],
        "purged": {"tasks": 1, "conversations": 0},
    }
    assert team.admin_cli("db", "revoke", "kim_p", "--purge", "--yes").exit_code == 1


@pytest.mark.parametrize(
    "command",
    [
        ["db", "grant", "mallory"],
        ["db", "revoke", "bob"],
        ["db", "rotate", "bob"],
        ["db", "members"],
        ["db", "isolate"],
        ["db", "isolate", "--off"],
    ],
)
def test_admin_commands_refuse_a_member(team: Team, command: list[str]) -> None:
    result = run_cli(command, env={"TODO_DATABASE_URL": team.alice_url})
    assert result.exit_code == 3, result.stderr
    assert "refused" in result.stderr
    assert one(team.admin, "SELECT count(*) FROM pg_roles WHERE rolname = 'mallory'") == 0


@pytest.mark.parametrize("command", [["db", "downgrade", "--yes"], ["db", "downgrade", "0007"]])
def test_a_member_migrating_is_told_to_use_the_admin_url(team: Team, command: list[str]) -> None:
    # Not "must be owner of table journal" from halfway through: refused first.
    result = run_cli(command, env={"TODO_DATABASE_URL": team.alice_url})
    assert (result.exit_code, result.stderr) == (
        3,
        "error: refused: only the owner of todo's tables (todo_admin) migrates the schema, "
        "and you are logged in as alice (use the admin URL, the one `todo db upgrade` "
        "runs with)\n",
    )
    assert team.admin_cli("db", "current").stdout.startswith(HEAD)


@pytest.mark.parametrize(
    "name", ["x; DROP TABLE tasks", 'a"b', "pg_monitor", "public", "todo_member", "", "a" * 64]
)
def test_role_names_are_checked(team: Team, name: str) -> None:
    result = team.admin_cli("db", "grant", name)
    assert result.exit_code == 2, result.stderr


def test_roles_that_are_no_members_are_left_alone(team: Team) -> None:
    for command in (["revoke", "todo_app"], ["rotate", "todo_app"], ["revoke", "postgres"]):
        result = team.admin_cli("db", *command)
        assert result.exit_code == 2, result.stderr
        assert "no todo member" in result.stderr
    assert team.admin_cli("db", "revoke", "nobody_here").exit_code == 1
    superuser = team.admin_cli("db", "grant", "postgres", "--existing-role")
    assert superuser.exit_code == 2


def test_grant_of_a_role_that_cannot_be_a_member_points_to_no_option_that_fails(
    team: Team, postgres: PostgresHandle
) -> None:
    # The hint offered --existing-role (then refused: a superuser) and rotating the
    # superuser's password.
    result = team.admin_cli("db", "grant", "postgres")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "error: a role named 'postgres' exists on this server already, and it cannot be a "
        "member (superuser); nothing was changed (choose another name)\n",
    )
    with role_made_outside_todo(postgres, "plain") as (name, _):
        result = team.admin_cli("db", "grant", name)
        assert result.exit_code == 2
        assert "pass --existing-role to make that login a member here" in result.stderr


def test_existing_role_naming_no_role_makes_none(team: Team) -> None:
    # A typo in an existing role's name made a new login role, server-wide, and
    # printed its password.
    name = f"typo_{uuid.uuid4().hex[:8]}"
    result = team.admin_cli("db", "grant", name, "--existing-role")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f"error: no role named {name!r} on this server; nothing was changed "
        "(leave --existing-role out to make a new login role)\n",
    )
    assert one(team.admin, "SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname = %s", name) == 0
    assert one(team.admin, "SELECT count(*) FROM users WHERE name = %s", name) == 0


def test_a_role_that_may_set_role_to_the_owner_is_no_member_and_is_listed_as_bypassing(
    team: Team, postgres: PostgresHandle
) -> None:
    """SET ROLE to the tables' owner sees every row: such a role is refused, even when
    the membership is indirect, and `db info` names it among those who bypass."""
    from todo_cli.db.members import GROUP_ROLE

    server = postgres.server
    assert server is not None
    owner = one(
        team.admin, "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'tasks'::regclass"
    )
    tag = uuid.uuid4().hex[:8]
    middle, name = f"mid_{tag}", f"own_{tag}"
    server.admin(f"CREATE ROLE {middle} NOLOGIN")
    server.admin(f"GRANT {owner} TO {middle}")
    server.admin(f"CREATE ROLE {name} LOGIN PASSWORD 'own-Pass_w0rd-1234'")
    server.admin(f"GRANT {middle} TO {name}")
    try:
        result = team.admin_cli("db", "grant", name, "--existing-role")
        assert result.exit_code == 2, result.stderr
        assert f"{name} may SET ROLE {owner}" in result.stderr
        assert f"end {name}'s membership in {owner}" in result.stderr
        assert not one(team.admin, "SELECT pg_has_role(%s, %s, 'MEMBER')", name, GROUP_ROLE)
        info = team.admin_cli("db", "info", "--json").json()
        assert f"{name} (member of {owner})" in info["bypass_rls"]
        assert f"{middle} (member of {owner})" in info["bypass_rls"]
    finally:
        server.admin(f"DROP ROLE {name}")
        server.admin(f"DROP ROLE {middle}")


@pytest.mark.parametrize(
    "predefined", ["pg_execute_server_program", "pg_read_server_files", "pg_write_server_files"]
)
def test_a_role_that_reaches_the_servers_files_or_programs_is_no_member_and_bypasses(
    team: Team, postgres: PostgresHandle, predefined: str
) -> None:
    """COPY ... TO PROGRAM (or a server file read or written) reaches a superuser's login
    or the data files: such a member read every member's tasks, listed by neither `db
    info` nor `db members` as bypassing, and `--existing-role` took such a role."""
    from todo_cli.db.members import GROUP_ROLE

    server = postgres.server
    assert server is not None
    with role_made_outside_todo(postgres, "files", f"IN ROLE {predefined}") as (name, _):
        result = team.admin_cli("db", "grant", name, "--existing-role")
        assert (result.exit_code, result.stderr) == (
            2,
            f"error: {name} cannot be a member: it is a member of {predefined} (it reaches "
            "the server's files or programs, and through them every member's rows) (end "
            f"{name}'s membership in {predefined} (REVOKE it, or the role through which it "
            "has it), or grant another role)\n",
        )
        assert not one(team.admin, "SELECT pg_has_role(%s, %s, 'MEMBER')", name, GROUP_ROLE)
        info = team.admin_cli("db", "info", "--json").json()
        assert f"{name} (member of {predefined})" in info["bypass_rls"]
    # A member given it afterwards, by a superuser todo cannot stop: named as bypassing.
    granted = team.admin_cli("db", "grant", "files_later", "--json")
    assert granted.exit_code == 0, granted.stderr
    try:
        members = {m["name"]: m for m in team.admin_cli("db", "members", "--json").json()}
        assert members["files_later"]["bypasses_rls"] is False
        server.admin(f"GRANT {predefined} TO files_later")
        members = {m["name"]: m for m in team.admin_cli("db", "members", "--json").json()}
        assert members["files_later"]["bypasses_rls"] is True
        info = team.admin_cli("db", "info", "--json").json()
        assert f"files_later (member of {predefined})" in info["bypass_rls"]
    finally:
        server.admin(f"REVOKE {predefined} FROM files_later")
        assert team.admin_cli("db", "revoke", "files_later", "--purge", "--yes").exit_code == 0


def test_a_role_with_createrole_is_no_member_and_is_listed_as_bypassing(
    team: Team, postgres: PostgresHandle
) -> None:
    """CREATEROLE may grant itself the tables' owner (PostgreSQL before 16), then SET ROLE."""
    from todo_cli.db.members import GROUP_ROLE

    with role_made_outside_todo(postgres, "cr", "CREATEROLE") as (name, _):
        result = team.admin_cli("db", "grant", name, "--existing-role")
        assert result.exit_code == 2, result.stderr
        assert (
            f"{name} cannot be a member: no policy holds it (CREATEROLE, so may make itself "
            "a member of the tables' owner)"
        ) in result.stderr
        assert not one(team.admin, "SELECT pg_has_role(%s, %s, 'MEMBER')", name, GROUP_ROLE)
        info = team.admin_cli("db", "info", "--json").json()
        assert (
            f"{name} (CREATEROLE, so may make itself a member of the tables' owner)"
            in (info["bypass_rls"])
        )


@pytest.mark.parametrize("how", ["database owner", "granted CREATE"])
def test_a_role_that_may_create_functions_in_public_is_bypassing_and_warned_of(
    team: Team, postgres: PostgresHandle, how: str
) -> None:
    """A `lower(varchar)` made in public runs in members' queries, as them: whoever may
    create it (the database's owner owns public from PostgreSQL 15) reads their rows."""
    from urllib.parse import urlsplit

    server = postgres.server
    assert server is not None
    database = urlsplit(team.admin).path.lstrip("/")
    name = f"dbo_{uuid.uuid4().hex[:8]}"
    server.admin(f"CREATE ROLE {name} LOGIN PASSWORD 'dbo-Pass_w0rd-12345'")
    if how == "database owner":
        server.admin(f'ALTER DATABASE "{database}" OWNER TO {name}')
        # public belongs to pg_database_owner here, as on a new database
        assert one(team.admin, "SELECT nspowner::regrole::text FROM pg_namespace "
                   "WHERE nspname = 'public'") == "pg_database_owner"  # fmt: skip
    else:
        server.admin(f"GRANT CREATE ON SCHEMA public TO {name}", database=database)
    try:
        # (The database's owner may create schemas there too: a reason of its own.)
        reason = f"{name} (may create functions in schema public, which members' queries run"
        info = team.admin_cli("db", "info", "--json").json()
        assert reason in " ".join(info["bypass_rls"])
        isolated = team.admin_cli("db", "isolate")
        assert isolated.exit_code == 0, isolated.stderr
        assert (
            f"warning: {name} may create functions in schema public, which members' queries "
            "run, so it can read every member's rows"
        ) in isolated.stderr
        refused = team.admin_cli("db", "grant", name, "--existing-role")
        assert refused.exit_code == 2, refused.stderr
        assert "may create functions in schema public" in refused.stderr
    finally:
        if how == "database owner":
            server.admin(f'ALTER DATABASE "{database}" OWNER TO {pgharness.ADMIN_ROLE}')
        else:
            server.admin(f"REVOKE CREATE ON SCHEMA public FROM {name}", database=database)
        server.admin(f"DROP ROLE {name}")
    assert "warning" not in team.admin_cli("db", "isolate").stderr


def test_db_info_names_the_members_login_as_the_user_whatever_the_os_login(team: Team) -> None:
    # No TODO_USER: the user would otherwise be the OS login (root, in a container).
    info = run_cli(["db", "info", "--json"], env={"TODO_DATABASE_URL": team.alice_url}).json()
    assert info["user"] == "alice"


def test_db_info_says_isolation_is_database_enforced_and_who_bypasses(team: Team) -> None:
    for url in (team.admin, team.alice_url):
        info = run_cli(["db", "info", "--json"], env={"TODO_DATABASE_URL": url}).json()
        assert info["isolation"] == "database-enforced"
        bypass = " ".join(info["bypass_rls"])
        assert (
            "todo_admin (BYPASSRLS, owns the tables, so may turn row security off, "
            "CREATEROLE, so may make itself a member of the tables' owner, "
            "may create functions in schema public, which members' queries run, "
            "may create schemas in this database, and one named after a member comes first "
            "in that member's queries)"
        ) in bypass
        assert "postgres (superuser)" in bypass
        assert "alice" not in bypass
    text = run_cli(["db", "info"], env={"TODO_DATABASE_URL": team.admin}).stdout
    assert ["isolation", "database-enforced"] in [line.split() for line in text.splitlines()]


def test_passwords_never_reach_the_server_log_or_debug_output(
    team: Team, postgres: PostgresHandle
) -> None:
    assert postgres.server is not None
    offset = postgres.server.log_offset()
    env = {"TODO_DATABASE_URL": team.admin}
    granted = run_process(["--debug", "db", "grant", "jay_l"], env=env)
    assert granted.returncode == 0, granted.stderr
    rotated = run_process(["--debug", "db", "rotate", "jay_l"], env=env)
    assert rotated.returncode == 0, rotated.stderr
    passwords = [
        r.stdout.decode().strip().split("://", 1)[1].split("@")[0].split(":", 1)[1]
        for r in (granted, rotated)
    ]
    debug = (granted.stderr + rotated.stderr).decode()
    assert "debug: " in debug
    with postgres.server.log.open("rb") as fh:
        fh.seek(offset)
        logged = fh.read().decode("utf-8", "replace")
    assert "CREATE ROLE" in logged
    assert "SCRAM-SHA-256$4096:" in logged
    for password in passwords:
        assert password not in logged
        assert password not in debug
    assert "SCRAM-SHA-256$" not in debug
    assert team.admin_cli("db", "revoke", "jay_l").exit_code == 0


def test_a_verifier_made_by_todo_is_the_one_postgresql_makes(postgres: PostgresHandle) -> None:
    """Recomputed with the server's own salt, todo's SCRAM verifier matches byte for byte."""
    from base64 import b64decode

    from psycopg import sql

    from todo_cli.db.members import scram_verifier

    server = postgres.server
    assert server is not None
    for password in ("plain-ascii-Pass", "naïve café ﬁ", "tab\there"):
        server.admin("DROP ROLE IF EXISTS todo_scram_probe")
        with psycopg.connect(server.admin_dsn(), autocommit=True) as conn:
            conn.execute("SET password_encryption = 'scram-sha-256'")
            conn.execute(
                sql.SQL("CREATE ROLE todo_scram_probe PASSWORD {}").format(sql.Literal(password))
            )
            stored = conn.execute(
                "SELECT rolpassword FROM pg_authid WHERE rolname = 'todo_scram_probe'"
            ).fetchone()
        assert stored is not None
        iterations, salt = stored[0].split("$")[1].split(":")
        assert (
            scram_verifier(password, salt=b64decode(salt), iterations=int(iterations))
            == (stored[0])
        )
    server.admin("DROP ROLE todo_scram_probe")


def test_a_member_of_one_database_is_nobody_in_another(
    team: Team, postgres: PostgresHandle, request: pytest.FixtureRequest
) -> None:
    """Roles are server-wide; membership of a database is its users row."""
    from tests.conftest import _isolated_database

    other = _isolated_database(postgres, request.getfixturevalue("rls_template"))
    other_admin = next(other)
    try:
        with connect(other_admin) as admin:
            admin.execute("DELETE FROM users WHERE name = 'carol'")
        carol = MEMBER_URLS[other_admin]["carol"]
        result = Todo(carol, "carol")("list")
        assert result.exit_code == 3
        assert "no member of this database" in result.stderr
        operations = one(other_admin, "SELECT count(*) FROM operations")
        with connect(carol) as session:
            assert session.execute("SELECT count(*) FROM tasks").fetchone() == (0,)
            # Statements that touch no row: they opened an "outside todo" operation
            # each (as the definer), so a nobody could fill the operations table.
            for statement in (
                "DELETE FROM tasks",
                "DELETE FROM task_tags",
                "UPDATE tasks SET title = title",
                "INSERT INTO task_tags SELECT id, 'x' FROM tasks",
            ):
                assert session.execute(statement).rowcount == 0
            assert one(other_admin, "SELECT count(*) FROM operations") == operations
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                session.execute(
                    "INSERT INTO users (id, name, created_at) "
                    "VALUES (gen_random_uuid(), 'carol', now())"
                )
    finally:
        next(other, None)


def test_isolate_off_cuts_members_off_and_on_again_restores_them(team: Team) -> None:
    ok(team.alice, "add", "survives")
    off = team.admin_cli("db", "isolate", "--off", "--json")
    assert off.exit_code == 0, off.stderr
    assert "alice" in off.json()["members_cut_off"]
    refused = team.alice("list")
    # Not "refused: permission denied for table alembic_version (ask the database's
    # owner)": a table no user of todo knows, and the owner is not who can help.
    assert (refused.exit_code, refused.stdout) == (3, "")
    assert refused.stderr.endswith(
        " may not read todo's tables here: the login is a member while this database's "
        "isolation is off, or one it never granted (ask the database's admin to run `todo db "
        "isolate` (it lets members back in), or `todo db grant NAME --existing-role`)\n"
    ), refused.stderr
    assert "alembic_version" not in refused.stderr
    with connect(team.alice_url) as alice, pytest.raises(psycopg.errors.InsufficientPrivilege):
        alice.execute("SELECT count(*) FROM tasks")
    info = run_cli(["db", "info", "--json"], env={"TODO_DATABASE_URL": team.admin}).json()
    assert info["isolation"] == "application only"
    on = team.admin_cli("db", "isolate")
    assert on.exit_code == 0, on.stderr
    assert [t["title"] for t in ok(team.alice, "list", "--json")] == ["survives"]


def test_isolate_takes_temporary_from_public_on_a_database_the_admin_owns(team: Team) -> None:
    with connect(team.admin) as admin:
        database = admin.execute("SELECT current_database()").fetchone()
        assert database is not None
        admin.execute(f'GRANT TEMPORARY ON DATABASE "{database[0]}" TO PUBLIC')
    with connect(team.alice_url) as alice:
        alice.execute("CREATE TEMP TABLE allowed_for_now (x int)")
    result = team.admin_cli("db", "isolate")
    assert result.exit_code == 0, result.stderr
    assert "TEMPORARY" in result.stderr
    with connect(team.alice_url) as alice, pytest.raises(psycopg.errors.InsufficientPrivilege):
        alice.execute("CREATE TEMP TABLE refused (x int)")


def test_an_admin_without_bypassrls_is_refused_with_the_fix(postgres: PostgresHandle) -> None:
    """With FORCE, an owner held to the policies would see nothing: isolation is refused."""
    server = postgres.server
    assert server is not None
    server.ensure_isolation_roles()
    server.admin("DROP ROLE IF EXISTS todo_weak_admin")
    server.admin("CREATE ROLE todo_weak_admin LOGIN CREATEROLE PASSWORD 'weak-Pass_w0rd'")
    name = f"weak_{uuid.uuid4().hex[:8]}"
    server.create_database(name, owner="todo_weak_admin")
    try:
        url = server.url(name, user="todo_weak_admin", password="weak-Pass_w0rd")
        env = {"TODO_DATABASE_URL": url}
        assert run_cli(["db", "upgrade"], env=env).exit_code == 0
        result = run_cli(["db", "grant", "alice", "--existing-role"], env=env)
        assert result.exit_code == 3
        assert result.stderr.endswith(
            "(as a superuser: ALTER ROLE todo_weak_admin BYPASSRLS; nothing was changed)\n"
        )
        info = run_cli(["db", "info", "--json"], env=env).json()
        assert info["isolation"] == "application only"
        # Lacking both, both are said at once: not one, then the other on the next try.
        server.admin("ALTER ROLE todo_weak_admin NOCREATEROLE")
        result = run_cli(["db", "grant", "alice", "--existing-role"], env=env)
        assert result.exit_code == 3
        # (Which is checked first depends on whether the server has todo's member group
        # yet: either refusal names both, and the one ALTER ROLE that gives both.)
        assert re.search(
            r"\(as a superuser: ALTER ROLE todo_weak_admin (CREATEROLE BYPASSRLS|BYPASSRLS "
            r"CREATEROLE)[ ;]",
            result.stderr,
        ), result.stderr
    finally:
        server.drop_database(name)
        server.admin("DROP ROLE todo_weak_admin")


# --- migrations -------------------------------------------------------------------------


def test_downgrading_an_isolated_database_cuts_members_off(team: Team) -> None:
    ok(team.alice, "add", "before the downgrade")
    down = team.admin_cli("db", "downgrade", "0007", "--yes")
    assert down.exit_code == 0, down.stderr
    # Said, at once and after the upgrade: nothing else would tell the operator.
    cut_off = (
        f"warning: {len(pgharness.MEMBER_PASSWORDS)} members of this database cannot use it "
        "while isolation is off (run `todo db isolate` at the latest revision to let them "
        "back in)\n"
    )
    assert down.stderr.endswith(cut_off), down.stderr
    with connect(team.alice_url) as alice, pytest.raises(psycopg.errors.InsufficientPrivilege):
        alice.execute("SELECT count(*) FROM tasks")
    up = team.admin_cli("db", "upgrade")
    assert up.exit_code == 0, up.stderr
    assert up.stderr.endswith(cut_off), up.stderr
    listed = team.admin_cli("db", "members")
    assert (listed.exit_code, listed.stderr) == (0, cut_off)
    # Upgrading never grants members anything; the admin turns isolation on.
    assert team.alice("list").exit_code == 3
    assert team.admin_cli("db", "isolate").exit_code == 0
    assert "warning" not in team.admin_cli("db", "upgrade").stderr
    assert [t["title"] for t in ok(team.alice, "list", "--json")] == ["before the downgrade"]


def test_a_member_left_by_a_downgrade_to_base_is_revoked_after_the_upgrade(
    team: Team, postgres: PostgresHandle
) -> None:
    """`db downgrade base` takes the users rows with the tables and leaves the roles:
    after the upgrade, `db revoke` said to revoke with the URL of the database that
    granted it, this one, and no command could."""
    server = postgres.server
    assert server is not None
    name = f"dora_{uuid.uuid4().hex[:8]}"
    try:
        assert team.admin_cli("db", "grant", name).exit_code == 0
        assert team.admin_cli("db", "downgrade", "base", "--yes").exit_code == 0
        assert team.admin_cli("db", "upgrade").exit_code == 0
        result = team.admin_cli("db", "revoke", name)
        assert result.exit_code == 0, result.stderr
        assert one(team.admin, "SELECT count(*) FROM pg_roles WHERE rolname = %s", name) == 0
    finally:
        server.admin(f"DROP ROLE IF EXISTS {name}")


def test_a_downgrade_that_keeps_revision_0008_keeps_members_isolated(team: Team) -> None:
    ok(team.alice, "add", "alice's")
    ok(team.bob, "chat-log", "new", "--title", "Bob's orchard")
    down = team.admin_cli("db", "downgrade", "0008")
    assert down.exit_code == 0, down.stderr
    assert "warning" not in down.stderr
    behind = team.alice("list")
    assert behind.exit_code == 4  # behind this todo's schema: upgrade first
    # Not theirs to do: the owner's URL does it.
    assert behind.stderr.endswith("(run `todo db upgrade` with the database owner's URL)\n")
    # Still the member's login, not the OS login, while the schema is behind.
    info = run_cli(["db", "info", "--json"], env={"TODO_DATABASE_URL": team.alice_url}).json()
    assert (info["up_to_date"], info["user"]) == (False, "alice")
    up = team.admin_cli("db", "upgrade")
    assert up.exit_code == 0, up.stderr
    assert "warning" not in up.stderr
    # No `todo db isolate` needed: the grants and policies stayed.
    assert [t["title"] for t in ok(team.alice, "list", "--json")] == ["alice's"]
    assert ok(team.alice, "chat-log", "search", "--json", "orchard") == []
    assert [
        h["conversation"]["title"] for h in ok(team.bob, "chat-log", "search", "--json", "orchard")
    ] == ["Bob's orchard"]


@pytest.fixture
def plain_url(postgres: PostgresHandle, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database without isolation, as the suite's `postgresql` backend makes them."""
    if postgres.server is None:
        pytest.fail("needs the suite's own server")
    template: str = request.getfixturevalue("pg_template")
    name = f"p_{uuid.uuid4().hex[:10]}"
    url = postgres.create(name, template=template)
    yield url
    postgres.drop(name)


def test_an_upgraded_database_without_grants_is_not_isolated(
    plain_url: str, postgres: PostgresHandle
) -> None:
    """The migration makes policies, never row security: nothing changes for a shared role."""
    assert postgres.server is not None
    postgres.server.ensure_isolation_roles()
    with connect(plain_url) as conn:
        flags = conn.execute(
            "SELECT bool_or(relrowsecurity), bool_or(relforcerowsecurity) FROM pg_class "
            "WHERE relname = ANY(%s) AND relnamespace = 'public'::regnamespace",
            (list(TABLES),),
        ).fetchone()
        bypass = conn.execute(
            "SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    assert flags == (False, False)
    assert bypass == (False,)
    info = run_cli(["db", "info", "--json"], env={"TODO_DATABASE_URL": plain_url}).json()
    assert info["isolation"] == "application only"
    todo = Todo(plain_url)
    ok(todo, "add", "one")
    ok(todo.as_user("bob"), "add", "two")
    assert [t["title"] for t in ok(todo.as_user("bob"), "list", "--json")] == ["two"]
    # A member role of some other database reaches nothing here: no grants.
    alice = plain_url.replace(
        f"{pgharness.APP_ROLE}:{pgharness.APP_PASSWORD}",
        f"alice:{pgharness.MEMBER_PASSWORDS['alice']}",
    )
    with connect(alice) as session, pytest.raises(psycopg.errors.InsufficientPrivilege):
        session.execute("SELECT count(*) FROM tasks")


# --- without a database ---------------------------------------------------------------


def test_a_members_url_is_the_admins_with_their_name_and_password() -> None:
    from todo_cli.db.members import member_url
    from todo_cli.db.url import parse_url

    neon = parse_url(
        "postgresql://neondb_owner:owner-pw@ep-cool-1-pooler.eu-central-1.aws.neon.tech/neondb"
        "?sslmode=require&channel_binding=require"
    )
    assert member_url(neon, "alice", "p@ss/w:rd %") == (
        "postgresql://alice:p%40ss%2Fw%3Ard%20%25@ep-cool-1-pooler.eu-central-1.aws.neon.tech/"
        "neondb?sslmode=require&channel_binding=require"
    )
    given = parse_url("postgres://db.example:5433/todo?user=owner&password=pw&sslmode=verify-full")
    assert member_url(given, "bob", "x") == (
        "postgres://bob:x@db.example:5433/todo?sslmode=verify-full"
    )


def test_a_members_url_carries_none_of_the_admins_client_certificate_or_its_passphrase() -> None:
    from todo_cli.db.members import member_url
    from todo_cli.db.url import parse_url

    admin = parse_url(
        "postgresql://owner:pw@db.example/todo?sslmode=verify-full&sslcert=/home/owner/c.crt"
        "&sslkey=/home/owner/c.key&SSLPassword=KeyPass1&passfile=/home/owner/.pgpass"
        "&sslrootcert=/etc/ca.crt"
    )
    assert member_url(admin, "bob", "x") == (
        "postgresql://bob:x@db.example/todo?sslmode=verify-full&sslrootcert=/etc/ca.crt"
    )


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("alice", True),
        ("Bob_2", True),
        ("team-lead", True),
        ("_x", True),
        ("2fast", False),
        ("a b", False),
        ("a.b", False),
        ("PG_x", False),
        ("todo_member", False),
        ("a" * 63, True),
    ],
)
def test_member_names_are_identifier_safe(name: str, valid: bool) -> None:
    from todo_cli.db.members import validate_role_name
    from todo_cli.errors import InvalidInput

    if valid:
        assert validate_role_name(name) == name
    else:
        with pytest.raises(InvalidInput):
            validate_role_name(name)


@pytest.mark.parametrize(
    ("flag", "env", "config", "explicit"),
    [
        ("alice", {}, None, True),
        (None, {"TODO_USER": "alice"}, None, True),
        (None, {}, "alice", True),
        (None, {}, None, False),
    ],
)
def test_settings_know_whether_the_user_was_named_on_purpose(
    tmp_path: Any, flag: str | None, env: dict[str, str], config: str | None, explicit: bool
) -> None:
    from todo_cli.settings import resolve

    path = tmp_path / "config.toml"
    if config is not None:
        path.write_text(f'user = "{config}"\n')
    settings = resolve(db=None, user=flag, environ={"TODO_CONFIG": str(path), **env})
    assert settings.user_explicit is explicit


def test_a_role_made_again_with_a_dropped_members_name_is_not_that_member(
    postgres: PostgresHandle,
) -> None:
    """Roles are server-wide and names come back. kim is a member of database F;
    `todo db revoke kim` run in database G dropped her role, and F's row stayed
    granted to the name: the next role called kim, granted in G alone, read and
    wrote her rows in F. Now the revoke in G is refused, `isolate --off` in G names
    G's members alone, and a row is held to the very role granted it."""
    from tests.conftest import rls_admin_url

    server = postgres.server
    if server is None:
        not_applicable("needs the suite's own server to make databases and roles")
    server.ensure_isolation_roles()
    tag = uuid.uuid4().hex[:8]
    f_db, g_db, kim, lee = f"f_{tag}", f"g_{tag}", f"kim_{tag}", f"lee_{tag}"
    server.create_database(f_db, owner=pgharness.ADMIN_ROLE)
    server.create_database(g_db, owner=pgharness.ADMIN_ROLE)
    try:
        in_f = {"TODO_DATABASE_URL": rls_admin_url(server, f_db)}
        in_g = {"TODO_DATABASE_URL": rls_admin_url(server, g_db)}
        for admin in (in_f, in_g):
            assert run_cli(["db", "upgrade"], env=admin).exit_code == 0
        granted = run_cli(["db", "grant", kim], env=in_f)
        assert granted.exit_code == 0, granted.stderr
        kims_url = granted.stdout.strip()
        added = run_cli(["add", "kim's salary notes"], env={"TODO_DATABASE_URL": kims_url})
        assert added.exit_code == 0, added.stderr
        assert run_cli(["db", "grant", lee], env=in_g).exit_code == 0
        refused = run_cli(["db", "revoke", kim], env=in_g)
        assert (refused.exit_code, refused.stderr) == (
            2,
            f"error: {kim} is no member of this database, and its role is a todo member role "
            "of the server (of another database, or none): revoking here would drop it "
            "everywhere; nothing was changed (revoke it with the URL of the database that "
            f"granted it; `todo db revoke {kim} --purge` deletes the rows of the user named "
            "so here, and leaves the role)\n",
        )
        assert run_cli(["list"], env={"TODO_DATABASE_URL": kims_url}).exit_code == 0
        # A user of that name here (made by G's admin) purged: the role stays F's.
        assert run_cli(["--user", kim, "add", "G's own note"], env=in_g).exit_code == 0
        purged = run_cli(["db", "revoke", kim, "--purge", "--yes", "--json"], env=in_g)
        assert purged.exit_code == 0, purged.stderr
        assert purged.json()["role_dropped"] is False
        assert purged.json()["purged"] == {"tasks": 1, "conversations": 0}
        assert run_cli(["list"], env={"TODO_DATABASE_URL": kims_url}).exit_code == 0
        off = run_cli(["db", "isolate", "--off", "--json"], env=in_g)
        assert off.exit_code == 0, off.stderr
        assert off.json()["members_cut_off"] == [lee]
        assert run_cli(["db", "isolate"], env=in_g).exit_code == 0
        # Her role dropped all the same (by hand, or by a todo before this one), and
        # a new login called kim granted in G alone.
        server.admin(f'DROP ROLE "{kim}"')
        again = run_cli(["db", "grant", kim], env=in_g)
        assert again.exit_code == 0, again.stderr
        new_kim = again.stdout.strip().replace(f"/{g_db}", f"/{f_db}")
        listed = run_cli(["list"], env={"TODO_DATABASE_URL": new_kim})
        assert listed.exit_code == 3, listed.stderr
        assert f"'{kim}' is no member of this database" in listed.stderr
        with connect(new_kim) as session:
            seen = session.execute("SELECT (SELECT count(*) FROM users), "
                                   "(SELECT count(*) FROM tasks)").fetchone()  # fmt: skip
            assert seen == (0, 0)
        members = run_cli(["db", "members"], env=in_f)
        assert f"held by no member here: {kim} (1 task, 0 conversations)" in members.stderr
        # F's admin decides: adopted, the new login has them.
        adopted = run_cli(["db", "grant", kim, "--existing-role", "--adopt"], env=in_f)
        assert adopted.exit_code == 0, adopted.stderr
        (task,) = run_cli(["list", "--json"], env={"TODO_DATABASE_URL": new_kim}).json()
        assert task["title"] == "kim's salary notes"
    finally:
        server.drop_database(f_db)
        server.drop_database(g_db)
        for role in (kim, lee):
            server.admin(f'DROP ROLE IF EXISTS "{role}"')


def test_a_role_granted_by_two_databases_is_dropped_by_the_revoke_of_the_last(
    postgres: PostgresHandle,
) -> None:
    """eve is a member of database G (made there) and of F (`--existing-role`, as
    README shows for a role made for another database): `todo db revoke eve` in F
    dropped her login, and G's URL stopped working, with no word of it."""
    from tests.conftest import rls_admin_url

    server = postgres.server
    if server is None:
        not_applicable("needs the suite's own server to make databases and roles")
    server.ensure_isolation_roles()
    tag = uuid.uuid4().hex[:8]
    f_db, g_db, eve = f"f_{tag}", f"g_{tag}", f"eve_{tag}"
    server.create_database(f_db, owner=pgharness.ADMIN_ROLE)
    server.create_database(g_db, owner=pgharness.ADMIN_ROLE)
    try:
        in_f = {"TODO_DATABASE_URL": rls_admin_url(server, f_db)}
        in_g = {"TODO_DATABASE_URL": rls_admin_url(server, g_db)}
        for admin in (in_f, in_g):
            assert run_cli(["db", "upgrade"], env=admin).exit_code == 0
        granted = run_cli(["db", "grant", eve], env=in_g)
        assert granted.exit_code == 0, granted.stderr
        in_g_as_eve = {"TODO_DATABASE_URL": granted.stdout.strip()}
        in_f_as_eve = {"TODO_DATABASE_URL": granted.stdout.strip().replace(g_db, f_db)}
        assert run_cli(["db", "grant", eve, "--existing-role"], env=in_f).exit_code == 0
        assert run_cli(["add", "eve's in F"], env=in_f_as_eve).exit_code == 0
        assert run_cli(["add", "eve's in G"], env=in_g_as_eve).exit_code == 0
        revoked = run_cli(["db", "revoke", eve], env=in_f)
        assert (revoked.exit_code, revoked.stderr) == (
            0,
            f"{eve} is no member here any more; the role stays, granted by database "
            f"{g_db} of this server too\n",
        )
        (task,) = run_cli(["list", "--json"], env=in_g_as_eve).json()
        assert task["title"] == "eve's in G"
        cut_off = run_cli(["list"], env=in_f_as_eve)
        assert cut_off.exit_code == 3
        assert f"'{eve}' is no member of this database" in cut_off.stderr
        # G's revoke is the last: the login goes.
        last = run_cli(["db", "revoke", eve, "--json"], env=in_g)
        assert last.exit_code == 0, last.stderr
        assert last.json()["role_dropped"] is True
        assert last.json()["role_kept_for"] == []
        assert one(server.admin_dsn(), "SELECT count(*) FROM pg_roles WHERE rolname = %s", eve) == 0
    finally:
        server.drop_database(f_db)
        server.drop_database(g_db)
        server.admin(f'DROP ROLE IF EXISTS "{eve}"')


def test_a_database_renamed_or_dropped_keeps_no_role_from_its_last_revoke(
    postgres: PostgresHandle,
) -> None:
    """The note named databases: renamed, the database was "another" to itself, and
    dropped, a database that was no more kept the login; no revoke could end it."""
    from tests.conftest import rls_admin_url

    server = postgres.server
    if server is None:
        not_applicable("needs the suite's own server to make databases and roles")
    server.ensure_isolation_roles()
    tag = uuid.uuid4().hex[:8]
    f_db, g_db, g2_db, hal = f"f_{tag}", f"g_{tag}", f"g2_{tag}", f"hal_{tag}"
    for database in (f_db, g_db):
        server.create_database(database, owner=pgharness.ADMIN_ROLE)
    try:
        in_f = {"TODO_DATABASE_URL": rls_admin_url(server, f_db)}
        in_g = {"TODO_DATABASE_URL": rls_admin_url(server, g_db)}
        for admin in (in_f, in_g):
            assert run_cli(["db", "upgrade"], env=admin).exit_code == 0
        assert run_cli(["db", "grant", hal], env=in_g).exit_code == 0
        assert run_cli(["db", "grant", hal, "--existing-role"], env=in_f).exit_code == 0
        server.admin(f'ALTER DATABASE "{g_db}" RENAME TO "{g2_db}"')
        kept = run_cli(["db", "revoke", hal, "--json"], env=in_f)
        assert kept.json()["role_kept_for"] == [g2_db]  # the same database, renamed
        in_g2 = {"TODO_DATABASE_URL": rls_admin_url(server, g2_db)}
        last = run_cli(["db", "revoke", hal, "--json"], env=in_g2)
        assert last.json()["role_dropped"] is True
        # Granted in both again, and the other database dropped.
        assert run_cli(["db", "grant", hal, "--adopt"], env=in_g2).exit_code == 0
        again = run_cli(["db", "grant", hal, "--existing-role", "--adopt"], env=in_f)
        assert again.exit_code == 0, again.stderr
        server.drop_database(g2_db)
        gone = run_cli(["db", "revoke", hal, "--json"], env=in_f)
        assert gone.json()["role_dropped"] is True
        assert one(server.admin_dsn(), "SELECT count(*) FROM pg_roles WHERE rolname = %s", hal) == 0
    finally:
        for database in (f_db, g_db, g2_db):
            server.drop_database(database)
        server.admin(f'DROP ROLE IF EXISTS "{hal}"')


def test_a_rollback_drill_of_0017_hands_no_row_to_a_role_made_again(
    postgres: PostgresHandle,
) -> None:
    """Down to 0016 and up again, a row granted to a dropped role was bound anew by
    name alone: the next role of that name read it, what 0017 is there to stop."""
    from tests.conftest import rls_admin_url

    server = postgres.server
    if server is None:
        not_applicable("needs the suite's own server to make databases and roles")
    server.ensure_isolation_roles()
    tag = uuid.uuid4().hex[:8]
    name, zed = f"drill_{tag}", f"zed_{tag}"
    server.create_database(name, owner=pgharness.ADMIN_ROLE)
    try:
        admin = {"TODO_DATABASE_URL": rls_admin_url(server, name)}
        assert run_cli(["db", "upgrade"], env=admin).exit_code == 0
        granted = run_cli(
            ["db", "grant", zed, "--password-stdin"], env=admin, input="Zed-pass-1234567890\n"
        )
        assert granted.exit_code == 0, granted.stderr
        zeds_url = granted.stdout.strip()
        assert run_cli(["add", "zed's private"], env={"TODO_DATABASE_URL": zeds_url}).exit_code == 0
        server.admin(f'DROP ROLE "{zed}"')
        server.admin(
            f"CREATE ROLE \"{zed}\" LOGIN PASSWORD 'Another-pass-12345' IN ROLE todo_member"
        )
        other = {"TODO_DATABASE_URL": zeds_url.replace("Zed-pass-1234567890", "Another-pass-12345")}
        assert run_cli(["list"], env=other).exit_code == 3
        down = run_cli(["db", "downgrade", "0016", "--yes"], env=admin)
        assert down.exit_code == 0, down.stderr
        with connect(other["TODO_DATABASE_URL"]) as session:  # at 0016: by its own SQL
            assert session.execute("SELECT count(*) FROM tasks").fetchone() == (0,)
        assert run_cli(["db", "upgrade"], env=admin).exit_code == 0
        listed = run_cli(["list"], env=other)
        assert listed.exit_code == 3, listed.stdout
        assert "zed's private" not in listed.stdout
        members = run_cli(["db", "members"], env=admin)
        assert f"held by no member here: {zed} (1 task, 0 conversations)" in members.stderr
    finally:
        server.drop_database(name)
        server.admin(f'DROP ROLE IF EXISTS "{zed}"')


def test_a_member_of_another_database_is_nobody_here_even_under_a_users_name(
    postgres: PostgresHandle, rls_template: str
) -> None:
    """Roles are server-wide: alice, a member of other databases of the server (the
    template's, `rls_template`), logs in here too. This database's admin made a user
    named alice and never granted her: she is shown none of it, with todo or psql,
    until a grant with --adopt."""
    from tests.conftest import rls_admin_url, rls_member_url

    server = postgres.server
    assert server is not None
    server.ensure_isolation_roles()
    name = f"other_{uuid.uuid4().hex[:8]}"
    server.create_database(name, owner=pgharness.ADMIN_ROLE)
    try:
        admin = {"TODO_DATABASE_URL": rls_admin_url(server, name)}
        alice = {"TODO_DATABASE_URL": rls_member_url(server, name, "alice")}
        assert run_cli(["db", "upgrade"], env=admin).exit_code == 0
        assert run_cli(["--user", "alice", "add", "payroll numbers"], env=admin).exit_code == 0
        assert run_cli(["db", "grant", "carol", "--existing-role"], env=admin).exit_code == 0
        listed = run_cli(["list"], env=alice)
        assert listed.exit_code == 3, listed.stderr
        assert "'alice' is no member of this database" in listed.stderr
        # db info names the login (it said the OS user, whose tasks nothing shows here).
        info = run_cli(["db", "info", "--json"], env=alice | {"USER": "root"})
        assert info.exit_code == 0, info.stderr
        assert info.json()["user"] == "alice"
        with connect(alice["TODO_DATABASE_URL"]) as session:
            seen = session.execute("SELECT (SELECT count(*) FROM users), "
                                   "(SELECT count(*) FROM tasks)").fetchone()  # fmt: skip
            assert seen == (0, 0)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                session.execute("UPDATE users SET granted = true WHERE name = 'alice'")
        members = run_cli(["db", "members", "--json"], env=admin).json()
        (entry,) = [m for m in members if m["name"] == "alice"]
        assert (entry["enrolled"], entry["tasks"]) == (False, 0)
        adopted = run_cli(["db", "grant", "alice", "--existing-role", "--adopt"], env=admin)
        assert adopted.exit_code == 0, adopted.stderr
        (task,) = run_cli(["list", "--json"], env=alice).json()
        assert task["title"] == "payroll numbers"
    finally:
        server.drop_database(name)


def test_a_role_that_may_create_schemas_in_the_database_is_bypassing_and_warned_of(
    team: Team, postgres: PostgresHandle
) -> None:
    """A schema named after a member comes first in that member's search_path: a view
    there named as todo's tables ran in their commands, as them, and read their rows."""
    from urllib.parse import urlsplit

    server = postgres.server
    assert server is not None
    database = urlsplit(team.admin).path.lstrip("/")
    with role_made_outside_todo(postgres, "sc") as (name, _):
        server.admin(f'GRANT CREATE ON DATABASE "{database}" TO {name}')
        try:
            reason = (
                f"{name} (may create schemas in this database, and one named after a member "
                "comes first in that member's queries)"
            )
            assert reason in team.admin_cli("db", "info", "--json").json()["bypass_rls"]
            isolated = team.admin_cli("db", "isolate")
            assert isolated.exit_code == 0, isolated.stderr
            assert f"warning: {name} may create schemas in this database" in isolated.stderr
            refused = team.admin_cli("db", "grant", name, "--existing-role")
            assert refused.exit_code == 2, refused.stderr
            assert "may create schemas in this database" in refused.stderr
        finally:
            server.admin(f'REVOKE CREATE ON DATABASE "{database}" FROM {name}')
    assert "warning" not in team.admin_cli("db", "isolate").stderr


def test_a_member_holding_the_migration_lock_stops_no_admin_command_for_ever(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any session may take an advisory lock: a member's held todo's, and `db revoke`
    # of that very member hung with nothing said.
    from todo_cli.db import migrate

    monkeypatch.setattr(migrate, "MIGRATION_WAIT_SECONDS", 1)
    with connect(team.alice_url) as held:
        held.execute("SELECT pg_advisory_lock(%s)", (migrate.MIGRATION_LOCK_KEY,))
        pid = held.execute("SELECT pg_backend_pid()").fetchone()
        assert pid is not None
        for command in (["db", "members"], ["db", "revoke", "alice", "--yes"]):
            result = team.admin_cli(*command)
            assert (result.exit_code, result.stderr) == (
                3,
                f"error: todo's migration lock is held by session {pid[0]} (role alice), and "
                "was not released in 1 s; nothing was changed (wait for that `todo db` "
                "command to end; if none is running, end the session (SELECT "
                "pg_terminate_backend(pid)))\n",
            ), command
    assert team.admin_cli("db", "members").exit_code == 0
    assert one(team.alice_url, "SELECT session_user") == "alice"


def test_rotate_of_a_member_role_of_another_database_is_refused(
    team: Team, postgres: PostgresHandle
) -> None:
    # The password is the role's, server-wide: it changed for the database that
    # granted it, and the URL handed out here was of no use.
    from todo_cli.db.members import GROUP_ROLE

    server = postgres.server
    assert server is not None
    with role_made_outside_todo(postgres, "ro", f"IN ROLE {GROUP_ROLE}") as (name, password):
        result = team.admin_cli("db", "rotate", name)
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith(f"error: {name} is no member of this database")
        assert result.stdout == ""
        url = server.url("postgres", user=name, password=password)
        assert one(url, "SELECT session_user") == name  # the old password still works


def test_a_member_role_whose_granting_databases_are_all_gone_can_be_revoked(
    team: Team, postgres: PostgresHandle
) -> None:
    # Granted by a database dropped since: no database's revoke took it ("revoke it with
    # the URL of the database that granted it", a database gone), and the login stayed
    # a member role of the server, able to connect to every todo database on it.
    from todo_cli.db.members import GROUP_ROLE

    server = postgres.server
    assert server is not None
    gone = 4_000_000_000  # no database's oid
    postgres_oid = one(team.admin, "SELECT oid::bigint FROM pg_database WHERE datname = 'postgres'")
    with role_made_outside_todo(postgres, "kept", f"IN ROLE {GROUP_ROLE}") as (name, _):
        # Named by a database that still exists: its admin's to revoke, as before.
        server.admin(f"COMMENT ON ROLE {name} IS 'todo member of databases [{postgres_oid}]'")
        refused = team.admin_cli("db", "revoke", name)
        assert refused.exit_code == 2
        assert refused.stderr.startswith(f"error: {name} is no member of this database")
    with role_made_outside_todo(postgres, "orphan", f"IN ROLE {GROUP_ROLE}") as (name, _):
        server.admin(f"COMMENT ON ROLE {name} IS 'todo member of databases [{gone}]'")
        revoked = team.admin_cli("db", "revoke", name)
        assert (revoked.exit_code, revoked.stderr) == (
            0,
            f"dropped the role {name}: that login no longer works\n",
        )
        assert one(team.admin, "SELECT count(*) FROM pg_roles WHERE rolname = %s", name) == 0


def test_an_admin_without_createrole_is_told_so_by_rotate_and_revoke(
    team: Team, postgres: PostgresHandle
) -> None:
    # PostgreSQL says a bare "permission denied" to ALTER ROLE ... PASSWORD: it was
    # passed on with "ask the database's owner", to the database's owner.
    from tests.pgharness import ADMIN_ROLE

    server = postgres.server
    assert server is not None
    granted = team.admin_cli("db", "grant", "nocr_m")
    assert granted.exit_code == 0, granted.stderr
    server.admin(f"ALTER ROLE {ADMIN_ROLE} NOCREATEROLE")
    try:
        for command, doing in (
            (["db", "rotate", "nocr_m"], "a new password for a member"),
            (["db", "revoke", "nocr_m", "--yes"], "dropping a member's role"),
        ):
            result = team.admin_cli(*command)
            assert (result.exit_code, result.stderr) == (
                3,
                f"error: refused: {doing} needs CREATEROLE, which this admin role lacks; "
                f"nothing was changed (as a superuser: ALTER ROLE {ADMIN_ROLE} CREATEROLE (on "
                "Neon, console roles have it))\n",
            ), command
    finally:
        server.admin(f"ALTER ROLE {ADMIN_ROLE} CREATEROLE")
    assert one(granted.stdout.strip(), "SELECT session_user") == "nocr_m"  # password kept
    assert team.admin_cli("db", "revoke", "nocr_m", "--yes").exit_code == 0


def test_members_lists_rows_whose_role_was_dropped_outside_todo(
    team: Team, postgres: PostgresHandle
) -> None:
    # The role gone, the rows' check was NULL, and `NOT` of it left them unlisted.
    server = postgres.server
    assert server is not None
    granted = team.admin_cli("db", "grant", "gone_k")
    assert granted.exit_code == 0, granted.stderr
    ok(Todo(granted.stdout.strip(), "gone_k"), "add", "kept")
    server.admin("DROP ROLE gone_k")
    listed = team.admin_cli("db", "members")
    assert listed.exit_code == 0, listed.stderr
    assert "held by no member here: gone_k (1 task, 0 conversations)" in listed.stderr


def test_a_connection_limit_given_with_an_existing_role_is_set(
    team: Team, postgres: PostgresHandle
) -> None:
    # It was left as it was in silence.
    server = postgres.server
    assert server is not None
    with (
        role_made_outside_todo(postgres, "cl", "CONNECTION LIMIT 7") as (given, _),
        role_made_outside_todo(postgres, "cl", "CONNECTION LIMIT 7") as (kept, _),
    ):
        result = team.admin_cli("db", "grant", given, "--existing-role", "--connection-limit", "2")
        assert result.exit_code == 0, result.stderr
        result = team.admin_cli("db", "grant", kept, "--existing-role")
        assert result.exit_code == 0, result.stderr
        limits = server.admin(
            f"SELECT rolname, rolconnlimit FROM pg_roles WHERE rolname IN ('{given}', '{kept}') "
            f"ORDER BY rolname = '{kept}'"
        )
        assert limits == [(given, 2), (kept, 7)]
        for name in (given, kept):
            assert team.admin_cli("db", "revoke", name, "--purge", "--yes").exit_code == 0


def test_revoke_of_a_role_that_owns_something_says_what_and_what_to_do(
    team: Team, postgres: PostgresHandle
) -> None:
    # A bare "database error: role ... cannot be dropped because some objects depend on
    # it", without PostgreSQL's detail of what, or a word of what to do.
    server = postgres.server
    assert server is not None
    granted = team.admin_cli("db", "grant", "own_k")
    assert granted.exit_code == 0, granted.stderr
    owned = f"own_k_{uuid.uuid4().hex[:8]}"
    server.admin(f'CREATE DATABASE "{owned}" OWNER own_k')
    try:
        result = team.admin_cli("db", "revoke", "own_k")
        assert result.exit_code == 3, result.stderr
        assert 'role "own_k" cannot be dropped because some objects depend on it' in (result.stderr)
        assert f"owner of database {owned}" in result.stderr
        assert "REASSIGN OWNED BY the role TO another" in result.stderr
    finally:
        server.admin(f'DROP DATABASE "{owned}"')
    assert team.admin_cli("db", "revoke", "own_k").exit_code == 0
