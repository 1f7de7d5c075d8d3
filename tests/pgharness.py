"""A real PostgreSQL for the test suite, started by the suite itself.

It runs the server binaries itself, so the server can look like Neon: TCP on
127.0.0.1, SCRAM passwords for a non-superuser role, TLS when the build has it
and `openssl` is at hand, and a statement log the tests read to count round
trips. The binaries are, in order of preference:

1. `TODO_TEST_PG_BINDIR`, when set;
2. a system PostgreSQL built with OpenSSL (Debian's `/usr/lib/postgresql/*/bin`,
   highest version first), so TLS and channel binding get tested;
3. the `pgserver` package's build (no TLS), so a developer with nothing
   installed still gets a working suite with no root and no system package.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

APP_ROLE = "todo_app"
APP_PASSWORD = "s3cret-Pass_word"
# The admin of isolated databases: owns their tables, makes member roles, and
# bypasses row-level security. A role of its own, so that todo_app stays a
# plain table owner without BYPASSRLS, as the suite's other databases need it.
ADMIN_ROLE = "todo_admin"
ADMIN_PASSWORD = "admin-Pass_w0rd"
# Members of every isolated database the suite makes, with known passwords
# (roles are server-wide: made once per session).
MEMBER_PASSWORDS = {
    "alice": "alice-Pass_w0rd-1234",
    "bob": "bob-Pass_w0rd-12345",
    "carol": "carol-Pass_w0rd-1234",
    "newcomer": "newcomer-Pass_w0rd-1",
}
# The account the server runs as when the suite runs as root (the name
# pgserver itself uses, so earlier runs' files and user carry over).
SERVER_USER = "pgserver"
SYSTEM_PG_ROOT = Path("/usr/lib/postgresql")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: Path
    port: int
    tls: bool
    system_user: str | None

    @property
    def socket_dir(self) -> Path:
        return self.base / "sock"

    @property
    def log(self) -> Path:
        return self.base / "postgres.log"

    def admin_dsn(self, database: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={database}"

    def url(self, database: str, *, password: str = APP_PASSWORD, user: str = APP_ROLE) -> str:
        query = "?sslmode=require" if self.tls else ""
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}{query}"

    def admin(self, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.admin_dsn(database), autocommit=True) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

    def create_database(
        self, name: str, template: str | None = None, *, owner: str = APP_ROLE
    ) -> str:
        clause = f" TEMPLATE {template}" if template else ""
        self.admin(f'CREATE DATABASE "{name}" OWNER {owner}{clause}')
        return self.url(name)

    def ensure_isolation_roles(self) -> None:
        """The admin and member roles of isolated databases (idempotent, once per server)."""
        existing = {row[0] for row in self.admin("SELECT rolname FROM pg_roles")}
        if ADMIN_ROLE not in existing:
            self.admin(
                f"CREATE ROLE {ADMIN_ROLE} LOGIN CREATEROLE BYPASSRLS PASSWORD '{ADMIN_PASSWORD}'"
            )
        for name, password in MEMBER_PASSWORDS.items():
            if name not in existing:
                self.admin(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def statements_for(self, database: str, since: int) -> list[str]:
        """Statements the server logged for `database` after byte offset `since`."""
        with self.log.open("rb") as fh:
            fh.seek(since)
            text = fh.read().decode("utf-8", "replace")
        found = []
        for line in text.splitlines():
            marker = f"db={database} "
            if marker in line and "LOG:  statement: " in line:
                found.append(line.split("LOG:  statement: ", 1)[1])
            elif marker in line and "LOG:  execute " in line:
                found.append(line.split("LOG:  execute ", 1)[1])
        return found

    def log_offset(self) -> int:
        return self.log.stat().st_size


def _run(args: list[str], user: str | None, cwd: Path | None = None) -> None:
    """Run a server tool; on failure say what it printed, which CI logs need."""
    # A server user cannot always enter our working directory (e.g. /root), so
    # tools run from the server's own directory instead.
    done = subprocess.run(args, capture_output=True, text=True, user=user, cwd=cwd, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )


@dataclass(frozen=True)
class Binaries:
    """Where the server binaries come from, and whether they can serve TLS."""

    bin_dir: Path
    origin: str  # "TODO_TEST_PG_BINDIR", "system" or "pgserver"
    tls: bool

    def __str__(self) -> str:
        return f"{self.bin_dir} ({self.origin}, {'TLS' if self.tls else 'no TLS'})"


def _has_tls(bin_dir: Path) -> bool:
    """A build with OpenSSL, and `openssl` to make the server a certificate."""
    if shutil.which("openssl") is None:
        return False
    try:
        configure = subprocess.run(
            [str(bin_dir / "pg_config"), "--configure"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return "--with-openssl" in configure


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<major>/bin: sort 9.6 < 10 < 15 numerically, not as text.
    parts = bin_dir.parent.name.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (-1,)


def _system_bin_dirs() -> list[Path]:
    """Installed distribution servers, highest version first."""
    found = [
        d
        for d in SYSTEM_PG_ROOT.glob("*/bin")
        if all((d / name).is_file() for name in ("postgres", "initdb", "pg_ctl"))
    ]
    return sorted(found, key=_version_key, reverse=True)


@cache
def binaries() -> Binaries:
    """The binaries this run uses (see the module's docstring for the order)."""
    explicit = os.environ.get("TODO_TEST_PG_BINDIR")
    if explicit:
        return Binaries(Path(explicit), "TODO_TEST_PG_BINDIR", _has_tls(Path(explicit)))
    for bin_dir in _system_bin_dirs():
        if _has_tls(bin_dir):
            return Binaries(bin_dir, "system", True)
    from pgserver._commands import POSTGRES_BIN_PATH

    bin_dir = Path(POSTGRES_BIN_PATH)
    return Binaries(bin_dir, "pgserver", _has_tls(bin_dir))


def _bin(name: str) -> str:
    return str(binaries().bin_dir / name)


def _ensure_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-s", "/bin/bash", name], check=True, capture_output=True)


def _prepare_for_root() -> str | None:
    """PostgreSQL will not run as root: when we are root, run it as SERVER_USER."""
    if os.geteuid() != 0:
        return None
    _ensure_user(SERVER_USER)
    found = binaries()
    # A distribution's packages are world-readable already; binaries under a
    # private prefix (a venv, a home directory) need opening up for that user.
    if found.origin != "system":
        from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions

        ensure_prefix_permissions(found.bin_dir)
        if found.origin == "pgserver":
            read = stat.S_IRGRP | stat.S_IROTH
            ensure_folder_permissions(found.bin_dir, stat.S_IXGRP | stat.S_IXOTH | read)
            ensure_folder_permissions(found.bin_dir.parent / "lib", read)
    return SERVER_USER


def _make_certificate(data: Path, user: str | None) -> bool:
    openssl = shutil.which("openssl")
    if not openssl or not binaries().tls:
        return False
    _run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(data / "server.key"),
            "-out",
            str(data / "server.crt"),
        ],
        None,
    )
    (data / "server.key").chmod(0o600)
    if user:
        shutil.chown(data / "server.key", user, user)
        shutil.chown(data / "server.crt", user, user)
    return True


@contextmanager
def running_server() -> Iterator[Server]:
    base = Path(tempfile.mkdtemp(prefix="todo-pg-"))
    base.chmod(0o755)
    user = _prepare_for_root()
    data = base / "data"
    data.mkdir()
    (base / "sock").mkdir()
    if user:
        shutil.chown(data, user, user)
        shutil.chown(base / "sock", user, user)
        log = base / "postgres.log"
        log.touch()
        shutil.chown(log, user, user)
    _run(
        [
            _bin("initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-sync",
        ],
        user,
        cwd=base,
    )
    tls = _make_certificate(data, user)
    port = _free_port()
    conf = [
        "listen_addresses = '127.0.0.1'",
        f"port = {port}",
        f"unix_socket_directories = '{base / 'sock'}'",
        "password_encryption = 'scram-sha-256'",
        # A scratch server: durability buys nothing and costs seconds.
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "max_connections = 200",
        # Every statement is logged with its database, so tests can count them.
        "log_statement = 'all'",
        "log_line_prefix = 'db=%d app=%a '",
        "lc_messages = 'C'",
    ]
    if tls:
        conf += ["ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"]
    with (data / "postgresql.conf").open("a") as fh:
        fh.write("\n".join(conf) + "\n")
    hba = [
        "local all all trust",
        # TCP needs a SCRAM password, over TLS when the server has it (as Neon).
        f"{'hostssl' if tls else 'host'} all all 127.0.0.1/32 scram-sha-256",
    ]
    (data / "pg_hba.conf").write_text("\n".join(hba) + "\n")
    try:
        _run(
            [
                _bin("pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(base / "postgres.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            user,
            cwd=base,
        )
    except RuntimeError as error:
        # pg_ctl only says "examine the log file": put the log in the error,
        # as the directory holding it is about to go.
        log = base / "postgres.log"
        log_text = log.read_text(errors="replace") if log.exists() else "(none)"
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"{error}\nserver log:\n{log_text}") from None
    server = Server(base=base, port=port, tls=tls, system_user=user)
    try:
        server.admin(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}'")
        yield server
    finally:
        subprocess.run(
            [_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            user=user,
            cwd=base,
            check=False,
        )
        time.sleep(0.1)
        shutil.rmtree(base, ignore_errors=True)
