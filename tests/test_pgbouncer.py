"""Through PgBouncer in transaction mode, as Neon's pooled endpoint works.

Runs where a `pgbouncer` executable is installed (Debian: `apt-get install
pgbouncer`); the suite does not install one.
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
from pathlib import Path

import pytest

from tests.conftest import REPO, PostgresHandle, Todo
from tests.pgharness import APP_PASSWORD, APP_ROLE

PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
)

pytestmark = pytest.mark.skipif(PGBOUNCER is None, reason="pgbouncer is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def bouncer(postgres: PostgresHandle) -> Iterator[int]:
    if postgres.server is None:
        pytest.skip("needs the suite's own server")
    assert PGBOUNCER is not None
    # Not under pytest's private tmp dir: pgbouncer may run as another user.
    base = Path(tempfile.mkdtemp(prefix="todo-pgbouncer-"))
    base.chmod(0o777)
    port = _free_port()
    (base / "users.txt").write_text(f'"{APP_ROLE}" "{APP_PASSWORD}"\n')
    (base / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host=127.0.0.1 port={postgres.server.port}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = scram-sha-256\n"
        f"auth_file = {base / 'users.txt'}\n"
        "pool_mode = transaction\n"
        # TLS to the server when it has it; clients here speak plain TCP to it.
        "server_tls_sslmode = prefer\n"
        "default_pool_size = 4\n"
        "max_client_conn = 200\n"
        f"logfile = {base / 'pgbouncer.log'}\n"
        f"pidfile = {base / 'pgbouncer.pid'}\n"
    )
    for path in base.iterdir():
        path.chmod(0o666)
    system_user = postgres.server.system_user
    user = ["-u", system_user] if os.geteuid() == 0 and system_user else []
    assert PGBOUNCER is not None
    proc = subprocess.Popen(
        [PGBOUNCER, *user, str(base / "pgbouncer.ini")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield port
    proc.terminate()
    proc.communicate(timeout=10)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pooled(db_url: str, backend: str, bouncer: int) -> Todo:
    if backend != "postgresql":
        pytest.skip("a pooler is a PostgreSQL matter")
    from sqlalchemy.engine import make_url

    url = (
        make_url(db_url)
        .set(port=bouncer)
        .difference_update_query(["sslmode"])
        .render_as_string(hide_password=False)
    )
    return Todo(url)


def test_everyday_commands_work_through_a_transaction_pooler(pooled: Todo) -> None:
    assert pooled("add", "through the pooler").exit_code == 0
    assert pooled("add", input="a\nb\nc\n").exit_code == 0
    assert pooled("done", "1", "2").exit_code == 0
    assert pooled("edit", "3", "--title", "renamed").exit_code == 0
    listed = pooled("list", "--all", "--json")
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
