"""Isolation through PgBouncer in transaction mode, as members reach Neon's pooled endpoint.

PgBouncer keeps one pool per user and database: a member's statements run on
a server connection logged in as that member, so `session_user` is theirs
whichever backend the pooler picks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest

from tests import pgharness
from tests.ci_gate import not_applicable, requires_pgbouncer
from tests.conftest import MEMBER_URLS, REPO, RLS, PostgresHandle, Todo
from tests.test_pgbouncer import running_pgbouncer


@pytest.fixture(params=[RLS])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def member_bouncer(postgres: PostgresHandle) -> Iterator[int]:
    """A pgbouncer that knows the admin and every member of the suite's isolated databases."""
    pgbouncer = requires_pgbouncer()
    server = postgres.server
    if server is None:
        not_applicable("the pooler is set up in front of the suite's own server")
    logins = {
        pgharness.APP_ROLE: pgharness.APP_PASSWORD,
        pgharness.ADMIN_ROLE: pgharness.ADMIN_PASSWORD,
        **pgharness.MEMBER_PASSWORDS,
    }
    with running_pgbouncer(pgbouncer, server, logins, "todo-pgbouncer-rls-") as port:
        yield port


def pooled(url: str, port: int) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(port=port).render_as_string(hide_password=False)


@pytest.fixture
def through_pooler(db_url: str, member_bouncer: int) -> dict[str, Todo]:
    """alice, bob and the admin, each with their own URL, through the pooler."""
    urls = MEMBER_URLS[db_url]
    return {
        "alice": Todo(pooled(urls["alice"], member_bouncer), "alice"),
        "bob": Todo(pooled(urls["bob"], member_bouncer), "bob"),
        "admin": Todo(pooled(db_url, member_bouncer), "admin"),
    }


def ok(todo: Todo, *args: str, input: str | None = None) -> str:
    result = todo(*args, input=input)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_members_stay_apart_through_a_transaction_pooler(through_pooler: dict[str, Todo]) -> None:
    alice, bob = through_pooler["alice"], through_pooler["bob"]
    ok(bob, "add", "bob secret", "+private")
    ok(bob, "note", "1", "bob's note")
    ok(alice, "add", input="".join(f"alice {i}\n" for i in range(3000)))
    ok(alice, "done", "1")
    ok(alice, "undo")
    assert len(json.loads(ok(alice, "list", "--all", "--json"))) == 3000
    assert [t["title"] for t in json.loads(ok(bob, "list", "--all", "--json"))] == ["bob secret"]
    assert alice("show", "1", "--json").json()["title"] == "alice 0"
    refused = alice("--user", "bob", "list")
    assert refused.exit_code == 2
    assert "bob secret" not in refused.stdout


def test_a_member_sees_none_of_anothers_rows_through_the_pooler(
    through_pooler: dict[str, Todo],
) -> None:
    ok(through_pooler["bob"], "add", "bob secret")
    ok(through_pooler["alice"], "add", "alice's")
    # Transaction pooling: each statement may land on another server connection,
    # all of them logged in as alice.
    with psycopg.connect(through_pooler["alice"].url, autocommit=True, prepare_threshold=None) as s:
        for _ in range(5):
            assert s.execute("SELECT session_user::text").fetchone() == ("alice",)
            assert s.execute("SELECT title FROM tasks").fetchall() == [("alice's",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            s.execute("SET ROLE bob")
        assert s.execute(
            "SELECT count(*) FROM journal j WHERE after::text LIKE '%bob%'"
        ).fetchone() == (0,)


def test_concurrent_adds_of_two_members_through_the_pooler(
    through_pooler: dict[str, Todo],
) -> None:
    procs = []
    for name in ("alice", "bob") * 8:
        env = dict(os.environ) | through_pooler[name].env
        procs.append(
            (
                name,
                subprocess.Popen(
                    [sys.executable, "-m", "todo_cli", "add", f"by {name}", "--json"],
                    env=env,
                    cwd=REPO,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                ),
            )
        )
    numbers: dict[str, list[int]] = {"alice": [], "bob": []}
    for name, proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        numbers[name].append(json.loads(out)["number"])
    assert sorted(numbers["alice"]) == list(range(1, 9))
    assert sorted(numbers["bob"]) == list(range(1, 9))
    titles = {t["title"] for t in json.loads(ok(through_pooler["alice"], "list", "--json"))}
    assert titles == {"by alice"}


def test_admin_commands_refuse_a_member_through_the_pooler(through_pooler: dict[str, Todo]) -> None:
    result = through_pooler["alice"]("db", "members")
    assert result.exit_code == 3
    assert "refused" in result.stderr
