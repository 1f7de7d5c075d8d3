"""Through PgBouncer in transaction mode, as Neon's pooled endpoint works.

The suite starts its own `pgbouncer` in front of its own PostgreSQL; it does
not install one (Debian: `apt-get install pgbouncer`). Where it is missing
these tests skip, and fail under CI=true (tests/ci_gate.py). With a TLS server
the pooler speaks TLS on both sides, as Neon's does.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import pgharness
from tests.ci_gate import not_applicable, requires_pgbouncer, requires_tls_server
from tests.conftest import REPO, PostgresHandle, Todo
from tests.pgharness import APP_PASSWORD, APP_ROLE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pgbouncer_ini(base: Path, port: int, server_port: int, tls_dir: Path | None) -> str:
    lines = [
        "[databases]",
        f"* = host=127.0.0.1 port={server_port}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = scram-sha-256",
        f"auth_file = {base / 'users.txt'}",
        "pool_mode = transaction",
        "default_pool_size = 4",
        "max_client_conn = 200",
        f"logfile = {base / 'pgbouncer.log'}",
        f"pidfile = {base / 'pgbouncer.pid'}",
    ]
    if tls_dir is None:
        lines.append("server_tls_sslmode = disable")
    else:
        # The server accepts TCP only over TLS (hostssl); `require` makes a
        # pgbouncer without TLS fail loudly rather than fall back. Clients
        # must use TLS too, as on Neon, with the server's own certificate.
        lines += [
            "server_tls_sslmode = require",
            "client_tls_sslmode = require",
            f"client_tls_cert_file = {tls_dir / 'server.crt'}",
            f"client_tls_key_file = {tls_dir / 'server.key'}",
        ]
    return "\n".join(lines) + "\n"


def _wait_for(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    proc.kill()
    output = proc.communicate(timeout=10)[0].decode(errors="replace")
    logged = log.read_text(errors="replace") if log.exists() else ""
    pytest.fail(f"pgbouncer did not start listening on {port}:\n{output}{logged}", pytrace=False)


@pytest.fixture(scope="module")
def bouncer(postgres: PostgresHandle) -> Iterator[int]:
    """The port of a pgbouncer in front of the suite's server."""
    pgbouncer = requires_pgbouncer()
    server = postgres.server
    if server is None:
        not_applicable(
            "the pooler is set up in front of the suite's own server, not an external one"
        )
    with running_pgbouncer(pgbouncer, server, {APP_ROLE: APP_PASSWORD}, "todo-pgbouncer-") as port:
        yield port


@contextmanager
def running_pgbouncer(
    pgbouncer: str, server: pgharness.Server, logins: dict[str, str], prefix: str
) -> Iterator[int]:
    """A pgbouncer in transaction mode in front of ``server`` that knows ``logins``
    (role -> password); its port. Stopped and its files removed at the end."""
    # Not under pytest's private tmp dir: pgbouncer may run as another user.
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o777)
    port = _free_port()
    (base / "users.txt").write_text(
        "".join(f'"{name}" "{password}"\n' for name, password in logins.items())
    )
    tls_dir = base / "tls" if server.tls else None
    if tls_dir is not None:
        # pgbouncer reads the key as the server's user; it must be private.
        tls_dir.mkdir()
        shutil.copy(server.base / "data" / "server.crt", tls_dir / "server.crt")
        shutil.copy(server.base / "data" / "server.key", tls_dir / "server.key")
    (base / "pgbouncer.ini").write_text(_pgbouncer_ini(base, port, server.port, tls_dir))
    for path in base.iterdir():
        path.chmod(0o777 if path.is_dir() else 0o666)
    system_user = server.system_user
    if tls_dir is not None:
        (tls_dir / "server.key").chmod(0o600)
        if system_user:
            for path in tls_dir.iterdir():
                shutil.chown(path, system_user, system_user)
    # pgbouncer refuses to run as root: run it as the server's user then.
    user = ["-u", system_user] if os.geteuid() == 0 and system_user else []
    proc = subprocess.Popen(
        [pgbouncer, *user, str(base / "pgbouncer.ini")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _wait_for(proc, port, base / "pgbouncer.log")
    try:
        yield port
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pooled(db_url: str, backend: str, request: pytest.FixtureRequest) -> Todo:
    """`todo` on the test's database, through the pooler."""
    if backend != "postgresql":
        not_applicable("a pooler is a PostgreSQL matter")
    # Asked for only now, so the SQLite run starts no pooler.
    port: int = request.getfixturevalue("bouncer")
    from sqlalchemy.engine import make_url

    url = make_url(db_url).set(port=port).render_as_string(hide_password=False)
    return Todo(url)


def test_the_pooler_speaks_tls_to_a_tls_server(pooled: Todo, postgres: PostgresHandle) -> None:
    """Neon's pooled endpoint is TLS from the client through to the server."""
    assert postgres.server is not None
    requires_tls_server(postgres.server.tls)
    import psycopg

    dsn = pooled.url.replace("postgresql+psycopg://", "postgresql://")
    # Transaction pooling: no prepared statements, one transaction per query.
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as conn:
        client_tls = conn.pgconn.ssl_in_use
        row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    assert client_tls
    assert row == (True,)


def test_everyday_commands_work_through_a_transaction_pooler(pooled: Todo) -> None:
    assert pooled("add", "through the pooler").exit_code == 0
    assert pooled("add", input="a\nb\nc\n").exit_code == 0
    assert pooled("done", "1", "2").exit_code == 0
    assert pooled("edit", "3", "--title", "renamed").exit_code == 0
    listed = pooled("list", "--all", "--json", "--sort", "number")
    assert listed.exit_code == 0, listed.stderr
    assert [t["title"] for t in listed.json()] == ["through the pooler", "a", "renamed", "c"]
    assert pooled("chat-log", "new", "--title", "pooled").exit_code == 0
    assert pooled("chat-log", "append", "1", "--role", "user", "hi").exit_code == 0
    assert pooled("chat-log", "show", "1", "--json").json()["messages"][0]["content"] == "hi"


def test_a_long_streamed_list_works_through_a_transaction_pooler(pooled: Todo) -> None:
    lines = "".join(f"task {i}\n" for i in range(5000))
    assert pooled("add", input=lines).exit_code == 0
    listed = pooled("list", "--all", "--format", "jsonl")
    assert len(listed.stdout.splitlines()) == 5000


def test_concurrent_adds_through_a_transaction_pooler(pooled: Todo) -> None:
    env = dict(os.environ) | pooled.env
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "todo_cli", "add", f"t{i}", "--json"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(20)
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err for _, err in results]
    numbers = sorted(json.loads(out)["number"] for out, _ in results)
    assert numbers == list(range(1, 21))


# A psql user's DateStyle, set in the shell (libpq's PGDATESTYLE, PGOPTIONS) or on
# the database: psycopg reads timestamps in ISO only, and every command reading a
# task failed as "this is a bug" (exit 70), `add` alone working.
_DATESTYLES = [
    {"PGDATESTYLE": "German"},
    {"PGDATESTYLE": "SQL, DMY"},
    {"PGOPTIONS": "-c datestyle=Postgres"},
]


def _dates_read_back(todo: Todo, env: dict[str, str]) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        done = subprocess.run(
            [sys.executable, "-m", "todo_cli", *args],
            capture_output=True,
            env=dict(os.environ) | todo.env | env | {"TZ": "Europe/Berlin"},
            cwd=REPO,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (args, done.stderr.decode())
        return done

    run("add", "Buy milk", "due:2027-03-28T09:30")
    listed = json.loads(run("list", "--json").stdout)
    assert [(t["title"], t["due"]) for t in listed] == [("Buy milk", "2027-03-28T07:30:00.000000Z")]
    assert "due:      2027-03-28 09:30" in run("show", "1").stdout.decode()
    run("done", "1")
    exported = json.loads(run("export", "--all").stdout)
    assert [task["completed"] for task in exported] == [True]
    assert "todo done 1" in run("history").stdout.decode()


@pytest.mark.parametrize("env", _DATESTYLES, ids=lambda env: next(iter(env.values())))
def test_a_datestyle_in_the_shell_other_than_iso_reads_tasks_as_iso(
    todo: Todo, backend: str, env: dict[str, str]
) -> None:
    if backend == "sqlite":
        not_applicable("DateStyle is a PostgreSQL setting")
    _dates_read_back(todo, env)


@pytest.mark.parametrize("env", _DATESTYLES[:2], ids=lambda env: next(iter(env.values())))
def test_a_datestyle_in_the_shell_reads_tasks_as_iso_through_a_transaction_pooler(
    pooled: Todo, env: dict[str, str]
) -> None:
    _dates_read_back(pooled, env)


@pytest.mark.parametrize("style", ["German", "SQL, DMY", "Postgres, MDY"])
def test_a_databases_own_datestyle_other_than_iso_reads_tasks_as_iso(
    todo: Todo, backend: str, postgres: PostgresHandle, style: str
) -> None:
    if backend == "sqlite":
        not_applicable("DateStyle is a PostgreSQL setting")
    from sqlalchemy.engine import make_url

    name = make_url(todo.url).database
    postgres._admin(f"ALTER DATABASE \"{name}\" SET datestyle = '{style}'")
    _dates_read_back(todo, {})
