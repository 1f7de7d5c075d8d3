"""On PostgreSQL every statement is a round trip: count what the server receives."""

from __future__ import annotations

import time

import pytest

from tests.ci_gate import not_applicable
from tests.conftest import PostgresHandle, Todo

LIMIT = 10


@pytest.fixture
def pg_todo(todo: Todo, backend: str, postgres: PostgresHandle) -> Todo:
    if backend != "postgresql":
        not_applicable("round trips are counted at a PostgreSQL server")
    if postgres.server is None:
        not_applicable("needs the suite's own server and its statement log")
    return todo


def statements(postgres: PostgresHandle, todo: Todo, *args: str) -> list[str]:
    assert postgres.server is not None
    database = todo.url.rsplit("/", 1)[1].split("?")[0]
    offset = postgres.server.log_offset()
    proc = todo.process(*args)
    assert proc.returncode == 0, proc.stderr
    # The server logs a statement as it runs it; wait for the final COMMIT.
    deadline = time.monotonic() + 5
    sent = postgres.server.statements_for(database, offset)
    while (not sent or sent[-1] != "COMMIT") and time.monotonic() < deadline:
        time.sleep(0.02)
        sent = postgres.server.statements_for(database, offset)
    return sent


def test_add_is_one_statement_of_work(pg_todo: Todo, postgres: PostgresHandle) -> None:
    sent = statements(postgres, pg_todo, "add", "Buy milk")
    assert len(sent) <= LIMIT, sent
    overhead = {"BEGIN", "COMMIT", "SELECT version_num FROM alembic_version"}
    work = [s for s in sent if s not in overhead]
    assert len(work) == 1, sent
    # Make the user if missing, take the next number, insert, return the row.
    assert work[0].split(": ", 1)[-1].startswith("WITH u AS")


@pytest.mark.parametrize(
    "command", [["add", "Buy milk"], ["list"], ["done", "1"], ["list", "--json"]]
)
def test_everyday_commands_send_at_most_ten_statements(
    pg_todo: Todo, postgres: PostgresHandle, command: list[str]
) -> None:
    pg_todo("add", "first")
    sent = statements(postgres, pg_todo, *command)
    assert len(sent) <= LIMIT, sent


def test_no_named_prepared_statements_for_poolers(pg_todo: Todo, postgres: PostgresHandle) -> None:
    pg_todo("add", "first")
    sent = statements(postgres, pg_todo, "done", "1")
    assert not [s for s in sent if s.startswith("execute ") and "<unnamed>" not in s]
    assert not [s for s in sent if s.upper().startswith(("PREPARE", "SET "))]
