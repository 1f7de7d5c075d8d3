"""Fixtures: every database test runs on SQLite and on a real PostgreSQL.

PostgreSQL is ``TODO_TEST_DATABASE_URL`` when set (a role that may CREATE
DATABASE), otherwise a server this suite starts itself (tests/pgharness.py).
Each test gets a fresh database, cloned from a migrated template.
"""

from __future__ import annotations

import itertools
import os
import shutil
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


# --- per-test databases --------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at head, on the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "todo.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    postgres: PostgresHandle = request.getfixturevalue("postgres")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"t_{os.getpid()}_{next(_counter)}"
    url = postgres.create(name, template=template_name)
    yield url
    postgres.drop(name)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no schema at all."""
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
        return {"TODO_DATABASE_URL": self.url, "TODO_USER": self.user}

    def __call__(self, *args: str, input: str | bytes | None = None) -> Result:
        return run_cli(list(args), input=input, env=self.env)

    def as_user(self, user: str) -> Todo:
        return Todo(self.url, user)

    def process(self, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return run_process(list(args), input=input, env=self.env)


@pytest.fixture
def todo(db_url: str) -> Todo:
    return Todo(db_url)


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
