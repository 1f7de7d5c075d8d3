"""On PostgreSQL every statement is a round trip: count exactly what the server receives.

The suite's server logs every statement it receives (`log_statement = 'all'`),
before running it, with the database's name. A command's process ends only
after the reply to its COMMIT came back, so once it has exited its COMMIT is
in the log: reading the log then needs no waiting and no polling.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ci_gate import not_applicable
from tests.conftest import PostgresHandle, Todo

_WRITE = re.compile(r"\b(INSERT INTO|UPDATE|DELETE FROM|COPY) (\w+)")


@dataclass(frozen=True)
class Sent:
    """One statement as the server logged it."""

    sql: str
    # The prepared statement it ran as (extended protocol): "<unnamed>" for a
    # one-off; a name is a server-side prepared statement. None: a simple query.
    prepared_as: str | None

    @property
    def verb(self) -> str:
        return self.sql.split(None, 1)[0].upper()

    @property
    def what(self) -> str:
        """What it does, in a word or two: `revision`, `insert tasks`, `select tasks`, `FETCH`."""
        sql = " ".join(self.sql.split())
        if sql.startswith("SELECT version_num") and "FROM alembic_version" in sql:
            return "revision"
        if self.verb in ("INSERT", "UPDATE", "DELETE", "WITH", "COPY"):
            # The statement's own target comes last, after any CTE it writes through.
            keyword, table = _WRITE.findall(sql)[-1]
            return f"{keyword.split()[0].lower()} {table}"
        if self.verb == "SELECT":
            return "select " + sql.split(None, 2)[1].split(".", 1)[0]
        return self.verb


def sent_since(postgres: PostgresHandle, database: str, offset: int) -> list[Sent]:
    """Statements logged for `database` after byte `offset`, each with all its lines."""
    assert postgres.server is not None
    with postgres.server.log.open("rb") as fh:
        fh.seek(offset)
        text = fh.read().decode("utf-8", "replace")
    found: list[tuple[list[str], str | None]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("db="):
            if current is not None:
                current.append(line)  # the next line of a statement
            continue
        current = None
        if not line.startswith(f"db={database} "):
            continue
        if "LOG:  statement: " in line:
            current = [line.split("LOG:  statement: ", 1)[1]]
            found.append((current, None))
        elif "LOG:  execute " in line:
            name, sql = line.split("LOG:  execute ", 1)[1].split(": ", 1)
            current = [sql]
            found.append((current, name))
    return [Sent("\n".join(lines), name) for lines, name in found]


@pytest.fixture
def pg_todo(todo: Todo, backend: str, postgres: PostgresHandle) -> Todo:
    """alice with two open tasks: #1 "first" (+tag project:x) and #2 "second"."""
    if backend != "postgresql":
        not_applicable("round trips are counted at a PostgreSQL server")
    if postgres.server is None:
        not_applicable("needs the suite's own server and its statement log")
    assert todo("add", "first", "+tag", "project:x").exit_code == 0
    assert todo("add", "second").exit_code == 0
    return todo


def statements(postgres: PostgresHandle, todo: Todo, *args: str) -> list[Sent]:
    """What the server received for one command, from its BEGIN to its COMMIT."""
    assert postgres.server is not None
    database = todo.url.rsplit("/", 1)[1].split("?")[0]
    offset = postgres.server.log_offset()
    proc = todo.process(*args)
    assert proc.returncode == 0, proc.stderr
    sent = sent_since(postgres, database, offset)
    assert [s.sql for s in sent[:1] + sent[-1:]] == ["BEGIN", "COMMIT"], sent
    return sent


# Each command's statements, in order: BEGIN, the schema revision check, the
# command's work, COMMIT. Every write first records its operation in the
# journal. (A long list would stream through a server-side cursor: DECLARE,
# FETCH until a batch comes back short, CLOSE; two tasks come back at once.)
EXPECTED = {
    "add Buy milk": ["BEGIN", "revision", "insert operations", "insert tasks", "COMMIT"],
    "add Buy milk +a +b": [
        "BEGIN",
        "revision",
        "insert operations",
        "insert tasks",
        "insert task_tags",
        "COMMIT",
    ],
    "list": ["BEGIN", "revision", "select tasks", "COMMIT"],
    "list +tag project:x": ["BEGIN", "revision", "select tasks", "COMMIT"],
    "done 1": ["BEGIN", "revision", "insert operations", "select tasks", "update tasks", "COMMIT"],
    "edit 2 Buy oat milk": [
        "BEGIN",
        "revision",
        "insert operations",
        "select tasks",
        "update tasks",
        "COMMIT",
    ],
    "note 2 ring first": [
        "BEGIN",
        "revision",
        "insert operations",
        "select tasks",
        "insert task_notes",
        "update tasks",
        "COMMIT",
    ],
    # The task, then the tasks that wait on it.
    "show 2": ["BEGIN", "revision", "select tasks", "select tasks", "COMMIT"],
    "delete 2 --yes": [
        "BEGIN",
        "revision",
        "insert operations",
        "select tasks",
        "delete tasks",
        "COMMIT",
    ],
}


@pytest.mark.parametrize("command", list(EXPECTED))
def test_each_everyday_command_sends_exactly_its_statements(
    pg_todo: Todo, postgres: PostgresHandle, command: str
) -> None:
    sent = statements(postgres, pg_todo, *command.split())
    assert [s.what for s in sent] == EXPECTED[command], [s.sql[:80] for s in sent]


def test_add_is_its_journal_entry_and_one_insert(pg_todo: Todo, postgres: PostgresHandle) -> None:
    sent = statements(postgres, pg_todo, "add", "Buy milk")
    work = [s for s in sent if s.what not in ("BEGIN", "COMMIT", "revision")]
    assert [s.what for s in work] == ["insert operations", "insert tasks"]
    # Each makes the user if missing and takes the next number in the same statement.
    assert [s.sql.startswith("WITH u AS ") for s in work] == [True, True]


def test_no_named_prepared_statements_for_poolers(pg_todo: Todo, postgres: PostgresHandle) -> None:
    """PgBouncer in transaction mode may run the next statement on another backend."""
    sent = statements(postgres, pg_todo, "done", "1")
    prepared = [s.prepared_as for s in sent if s.prepared_as is not None]
    assert prepared, "nothing went through the extended protocol: nothing was checked"
    assert set(prepared) == {"<unnamed>"}
    assert not [s for s in sent if s.verb in ("PREPARE", "SET", "DEALLOCATE")]


def test_an_import_updating_many_tasks_sends_one_update_for_the_done_and_one_for_the_rest(
    pg_todo: Todo, postgres: PostgresHandle, tmp_path: Path
) -> None:
    # One UPDATE a task ran the journal's statement trigger once a task: 10,000
    # tasks updated spent 6.8 s in it.
    assert pg_todo("add", input="".join(f"Task {n}\n" for n in range(3, 51))).exit_code == 0
    exported = pg_todo("export", "--format", "taskwarrior")
    assert exported.exit_code == 0, exported.stderr
    changed = [
        task
        | {"description": task["description"] + " (changed)", "modified": "20990101T000000Z"}
        | ({"status": "completed", "end": "20990101T000000Z"} if n % 5 == 0 else {})
        for n, task in enumerate(json.loads(exported.stdout))
    ]
    source = tmp_path / "changed.json"
    source.write_text(json.dumps(changed), encoding="utf-8")
    sent = statements(postgres, pg_todo, "import", str(source))
    assert [s.what for s in sent].count("update tasks") == 2, [s.sql[:80] for s in sent]
    listed = pg_todo("list", "--all", "--json")
    found = json.loads(listed.stdout)
    assert len(found) == 50
    assert all(task["title"].endswith(" (changed)") for task in found)
    assert sum(task["completed"] for task in found) == 10
