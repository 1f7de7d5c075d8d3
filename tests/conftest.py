"""Fixtures: every database test runs on SQLite, on a real PostgreSQL, and on an isolated one.

PostgreSQL is ``TODO_TEST_DATABASE_URL`` when set (a role that may CREATE
DATABASE), otherwise a server this suite starts itself (tests/pgharness.py).
Each test gets a fresh database, cloned from a migrated template.

The third backend, ``postgresql-rls``, is a database that keeps its members
apart with row-level security (`todo db grant`). Its ``db_url`` is the admin's
(the tables' owner, as todo_app is on the other PostgreSQL databases), so a
test's checks at the source see every row; `Todo` acts through each member's
own URL: alice by default, and `Todo.as_user("bob")` through bob's, as two
people sharing one database would work.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests import pgharness

pytest_plugins = ["tests.ci_gate"]
REPO = Path(__file__).resolve().parent.parent
_counter = itertools.count()
BACKENDS = ("sqlite", "postgresql", "postgresql-rls")
RLS = "postgresql-rls"


# --- PostgreSQL -------------------------------------------------------------


@dataclass
class PostgresHandle:
    """Makes databases on the test server and tells tests what it can do."""

    server: pgharness.Server | None
    external_url: str | None

    def _admin(self, sql: str) -> None:
        if self.server is not None:
            self.server.admin(sql)
            return
        import psycopg

        assert self.external_url is not None
        dsn = self.external_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)

    def url(self, database: str) -> str:
        if self.server is not None:
            return self.server.url(database)
        from sqlalchemy.engine import make_url

        assert self.external_url is not None
        return (
            make_url(self.external_url).set(database=database).render_as_string(hide_password=False)
        )

    def create(self, name: str, template: str | None = None) -> str:
        if self.server is not None:
            return self.server.create_database(name, template)
        clause = f" TEMPLATE {template}" if template else ""
        self._admin(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresHandle]:
    external = os.environ.get("TODO_TEST_DATABASE_URL")
    if external:
        yield PostgresHandle(server=None, external_url=external)
        return
    with pgharness.running_server() as server:
        yield PostgresHandle(server=server, external_url=None)


@pytest.fixture(scope="session")
def pg_template(postgres: PostgresHandle) -> str:
    """A database migrated to head, cloned for each test."""
    name = f"todo_template_{os.getpid()}"
    postgres.drop(name)
    url = postgres.create(name)
    result = run_cli(["db", "upgrade"], env={"TODO_DATABASE_URL": url})
    assert result.exit_code == 0, result.stderr
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "todo.db"
    result = run_cli(["db", "upgrade"], env={"TODO_DATABASE_URL": f"sqlite:///{path}"})
    assert result.exit_code == 0, result.stderr
    return path


@pytest.fixture(scope="session")
def rls_template(postgres: PostgresHandle) -> str:
    """An isolated database at head whose members are alice, bob, carol and newcomer.

    Made the way a team makes one: the admin upgrades it and grants each
    member (`--existing-role`: the roles are server-wide, made once with known
    passwords). Everything a grant does lives in the database, so clones of it
    are isolated too; only the database's own ACL is not copied (see db_url).
    """
    from tests.ci_gate import not_applicable

    server = postgres.server
    if server is None:
        not_applicable(
            "isolated databases are made on the suite's own server, whose superuser "
            "makes the login roles; not on TODO_TEST_DATABASE_URL"
        )
    server.ensure_isolation_roles()
    name = f"todo_rls_template_{os.getpid()}"
    server.drop_database(name)
    server.create_database(name, owner=pgharness.ADMIN_ROLE)
    env = {"TODO_DATABASE_URL": rls_admin_url(server, name)}
    result = run_cli(["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.stderr
    for member in pgharness.MEMBER_PASSWORDS:
        result = run_cli(["db", "grant", member, "--existing-role"], env=env)
        assert result.exit_code == 0, result.stderr
    return name


def rls_admin_url(server: pgharness.Server, database: str) -> str:
    return server.url(database, user=pgharness.ADMIN_ROLE, password=pgharness.ADMIN_PASSWORD)


def rls_member_url(server: pgharness.Server, database: str, member: str) -> str:
    return server.url(database, user=member, password=pgharness.MEMBER_PASSWORDS[member])


# An isolated test database's members, by its admin URL (the test's db_url):
# Todo.env reads it to act through the member's own login.
MEMBER_URLS: dict[str, dict[str, str]] = {}


# --- per-test databases --------------------------------------------------------

# Tests that cannot apply to an isolated database, and why; a file name stands
# for all of its tests. (Kept here, beside the matrix, so the test modules stay
# as they are.)
_MEMBERS_ROWS = (
    "checks that nothing was written by counting users rows from zero, but a member's "
    "users row is made by `todo db grant` (tests/test_isolation.py checks that a refused "
    "import writes nothing)"
)
_DRILL = (
    "a downgrade below revision 0008 ends isolation (members lose their grants) until the "
    "admin runs `todo db isolate` (tests/test_isolation.py drills that)"
)
RLS_NOT_APPLICABLE = {
    "tests/test_schema.py": (
        "writes raw rows as the tables' owner, users alice and bob included, who on an "
        "isolated database are members with rows of their own; the schema is the postgresql "
        "backend's"
    ),
    "tests/test_chatlog_import.py::test_a_broken_file_is_refused_and_nothing_is_written": (
        _MEMBERS_ROWS
    ),
    "tests/test_chatlog_import.py::test_a_missing_file_is_bad_input": _MEMBERS_ROWS,
    "tests/test_chatlog_import.py::test_one_bad_message_at_the_end_of_many_imports_nothing": (
        _MEMBERS_ROWS
    ),
    "tests/test_interchange.py::test_anothers_tasks_are_not_taken_over_by_an_import": (
        "on an isolated database another member's task ids are invisible, so the import is "
        "refused by the primary key instead (tests/test_isolation.py checks it)"
    ),
    "tests/test_journal.py::test_a_raw_sql_write_gets_an_outside_todo_operation_with_no_user": (
        "on an isolated database a member's write outside todo is the member's own operation, "
        "not an anonymous one (tests/test_isolation.py checks it)"
    ),
    "tests/test_undo.py::test_undo_refusal_names_no_number_for_a_write_outside_todo": (
        "writes outside todo as the tables' owner, whose operation is not a member's to see "
        "(a member's own outside-todo writes are hers: tests/test_isolation.py)"
    ),
    "tests/test_undo.py::test_the_change_outside_todo_that_stops_an_undo_is_in_the_tasks_history": (
        "writes outside todo as the tables' owner, whose operation is not a member's to see "
        "(a member's own outside-todo writes are hers: tests/test_isolation.py)"
    ),
    "tests/test_concurrency.py::test_twenty_processes_creating_a_new_user_at_once": (
        "names a user over alice's URL; on an isolated database the login is the user, and "
        "members are made by `todo db grant`, never on first use"
    ),
    "tests/test_process.py::test_downgrade_asks_on_a_terminal_with_the_row_counts": (
        "a member runs no migrations; the admin does (tests/test_isolation.py)"
    ),
    "tests/test_process.py::test_ctrl_c_in_a_downgrade_says_what_happened_to_it": (
        "a member runs no migrations; the admin does (tests/test_isolation.py)"
    ),
    "tests/test_migrations.py::test_full_round_trip_down_to_base_and_up_again_with_data": _DRILL,
    "tests/test_migrations.py::test_downgrade_of_0002_keeps_tasks_and_drops_only_chat_logs": (
        _DRILL
    ),
    "tests/test_migrations.py::test_downgrade_of_0003_reports_the_fields_tags_and_notes_it_drops": (
        _DRILL
    ),
    "tests/test_journal.py::test_upgrade_after_the_drill_brings_the_journal_back_"
    "and_it_records_again": _DRILL,
    "tests/test_migrations.py::test_db_info_shows_facts_with_the_password_masked": (
        "compares the matrix's backend name with the URL's (tests/test_isolation.py checks "
        "db info on isolated databases)"
    ),
}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == RLS:
        test = request.node.nodeid.split("[", 1)[0]
        reason = RLS_NOT_APPLICABLE.get(test) or RLS_NOT_APPLICABLE.get(test.split("::")[0])
        if reason is not None:
            from tests.ci_gate import not_applicable

            not_applicable(reason)
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at head, on the test's backend (isolated: the admin's URL)."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "todo.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    postgres: PostgresHandle = request.getfixturevalue("postgres")
    if backend == RLS:
        yield from _isolated_database(postgres, request.getfixturevalue("rls_template"))
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"t_{os.getpid()}_{next(_counter)}"
    url = postgres.create(name, template=template_name)
    yield url
    postgres.drop(name)


def _isolated_database(postgres: PostgresHandle, template: str) -> Iterator[str]:
    server = postgres.server
    assert server is not None  # the template was made on it
    name = f"r_{os.getpid()}_{next(_counter)}"
    server.create_database(name, template, owner=pgharness.ADMIN_ROLE)
    # A clone does not copy the database's own ACL, where `todo db grant`
    # took TEMPORARY from PUBLIC; take it again (the superuser: quicker than
    # running `todo db isolate`, which tests/test_isolation.py runs itself).
    server.admin(f'REVOKE TEMPORARY ON DATABASE "{name}" FROM PUBLIC')
    admin = rls_admin_url(server, name)
    MEMBER_URLS[admin] = {
        member: rls_member_url(server, name, member) for member in pgharness.MEMBER_PASSWORDS
    }
    try:
        yield admin
    finally:
        del MEMBER_URLS[admin]
        postgres.drop(name)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no schema at all."""
    if backend == RLS:
        from tests.ci_gate import not_applicable

        not_applicable(
            "an isolated database's schema is made and migrated by its admin, never through a "
            "member's URL (tests/test_isolation.py migrates isolated databases as the admin)"
        )
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    postgres: PostgresHandle = request.getfixturevalue("postgres")
    name = f"e_{os.getpid()}_{next(_counter)}"
    url = postgres.create(name)
    yield url
    postgres.drop(name)


# --- isolation from the machine running the tests ----------------------------------


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's config or data."""
    for name in list(os.environ):
        if name.startswith("TODO_") and name not in (
            "TODO_TEST_DATABASE_URL",
            "TODO_TEST_PG_BINDIR",
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("TODO_CONFIG", str(tmp_path / "xdg-config" / "todo-cli" / "config.toml"))
    monkeypatch.setenv("TODO_CONNECT_RETRIES", "0")
    monkeypatch.delenv("NO_COLOR", raising=False)
    from todo_cli.redact import forget

    forget()  # a password an earlier test's URL held must not mask this test's words


# --- running todo --------------------------------------------------------------


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        import json

        return json.loads(self.stdout)


def run_cli(
    args: list[str], *, input: str | bytes | None = None, env: Mapping[str, str] | None = None
) -> Result:
    """Run `todo` in-process through Typer's CliRunner."""
    from todo_cli.cli import app

    runner = CliRunner()
    result = runner.invoke(app, args, input=input, env=dict(env or {}), catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def imported(argv: list[str], env: Mapping[str, str], cwd: Path) -> set[str]:
    """The modules a process imports, as ``python -X importtime`` reports them."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    lines = proc.stderr.decode().splitlines()
    names = {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}
    return names - {"imported package"}  # the header


def interruptible() -> None:
    """A child's SIGINT as a shell's foreground job has it (a ``preexec_fn``).

    A runner that ignores or blocks SIGINT passes that on to its children, and
    a test that presses Ctrl-C would wait for nothing.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def sleeping(pid: int, *where: str) -> bool:
    """Whether ``pid`` sleeps in a kernel function whose name has one of ``where``."""
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0]
        wchan = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False
    return state == b"S" and any(w in wchan for w in where)


def open_files(pid: int) -> list[str]:
    """What ``pid``'s descriptors point at (paths, ``socket:[inode]``); [] once it is gone."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []
    targets = []
    for fd in fds:
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue  # closed since the listing
    return targets


def run_process(
    args: list[str],
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real `todo` in a subprocess (exit codes, stdin and pipes as a shell sees them)."""
    full_env = dict(os.environ) | dict(env or {})
    return subprocess.run(
        [sys.executable, "-m", "todo_cli", *args],
        input=input,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


class Todo:
    """`todo` bound to one database and one user, as a test's main actor."""

    def __init__(self, url: str, user: str = "alice") -> None:
        self.url = url
        self.user = user

    @property
    def env(self) -> dict[str, str]:
        # On an isolated database each member logs in with their own URL; a
        # name that is no member logs in as alice, and is refused as she would be.
        members = MEMBER_URLS.get(self.url)
        url = self.url if members is None else members.get(self.user, members["alice"])
        return {"TODO_DATABASE_URL": url, "TODO_USER": self.user}

    def __call__(self, *args: str, input: str | bytes | None = None) -> Result:
        return run_cli(list(args), input=input, env=self.env)

    def as_user(self, user: str) -> Todo:
        return Todo(self.url, user)

    def process(self, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return run_process(list(args), input=input, env=self.env)


@pytest.fixture
def todo(db_url: str) -> Todo:
    return Todo(db_url)


def in_bash(todo: Todo, script: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """`script` run by bash, with $TODO the real `todo` and `args` as $1...; a shell's view."""
    import shlex

    from tests.perf import todo_command

    todo_cli = " ".join(shlex.quote(part) for part in todo_command())
    return subprocess.run(
        ["bash", "-c", f"TODO=({todo_cli}); {script}", "bash", *args],
        capture_output=True,
        env=dict(os.environ) | todo.env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def sql_rows(url: str, statement: str, **params: Any) -> list[Any]:
    """Read the database directly, bypassing todo (for checks at the source)."""
    from sqlalchemy import text

    from todo_cli.db.engine import create_engine
    from todo_cli.db.url import parse_url

    engine = create_engine(parse_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(statement), params).all()
            conn.rollback()
            return list(rows)
    finally:
        engine.dispose()


def id_prefix(uuid_text: str, length: int = 8) -> str:
    """A UUID prefix usable as a reference: digits alone would name a number instead."""
    return next(uuid_text[:k] for k in range(length, 37) if not uuid_text[:k].isdigit())
