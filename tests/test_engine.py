"""URLs in, one engine out; a database that is down is exit 3, never a traceback."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci_gate import not_applicable, requires_tls_server
from tests.conftest import PostgresHandle, Todo, run_cli, run_process
from tests.pgharness import APP_PASSWORD, APP_ROLE
from todo_cli.db.engine import _is_retryable
from todo_cli.db.url import parse_url
from todo_cli.errors import ConfigError
from todo_cli.redact import mask_url


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://u:p@ep-cool-1.eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require",
        "postgres://u:p@ep-cool-1.eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require",
        "postgresql+psycopg://u:p@ep-cool-1.eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require",
    ],
)
def test_neon_and_libpq_urls_all_use_psycopg3(raw: str) -> None:
    db = parse_url(raw)
    assert db.backend == "postgresql"
    assert db.url.drivername == "postgresql+psycopg"
    assert db.url.query["sslmode"] == "require"
    assert db.url.query["channel_binding"] == "require"
    assert db.url.password == "p"


def test_neon_pooled_host_migrates_through_the_direct_host() -> None:
    db = parse_url("postgresql://u:p@ep-cool-1-pooler.eu-central-1.aws.neon.tech/neondb")
    assert db.is_neon_pooler
    assert db.direct(None).url.host == "ep-cool-1.eu-central-1.aws.neon.tech"


def test_explicit_direct_url_wins_over_the_derived_one() -> None:
    db = parse_url("postgresql://u:p@ep-cool-1-pooler.eu-central-1.aws.neon.tech/neondb")
    direct = db.direct("postgresql://u:p@elsewhere.example/neondb")
    assert direct.url.host == "elsewhere.example"


def test_non_pooler_url_migrates_through_itself() -> None:
    db = parse_url("postgresql://u:p@db.example/app")
    assert db.direct(None) == db


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("postgresql://alice:hunter2@db/x", "postgresql://alice:***@db/x"),
        (
            "postgres://alice:p%40ss@db/x?sslmode=require",
            "postgres://alice:***@db/x?sslmode=require",
        ),
        ("postgresql://db/x?user=a&password=hunter2", "postgresql://db/x?user=a&password=***"),
        ("mysql://root:hunter2@db/x", "mysql://root:***@db/x"),
        ("postgresql://alice@db/x", "postgresql://alice@db/x"),
        # The passphrase of the client's key is a password too.
        (
            "postgresql://a:pw@db/x?sslmode=require&sslpassword=KeyPass1&sslkey=/k",
            "postgresql://a:***@db/x?sslmode=require&sslpassword=***&sslkey=/k",
        ),
        ("host=db sslpassword='Key Pass' dbname=x", "host=db sslpassword=*** dbname=x"),
    ],
)
def test_mask_url_hides_every_password(raw: str, shown: str) -> None:
    assert mask_url(raw) == shown


@pytest.mark.parametrize(
    "raw", ["mysql://root:hunter2@db/x", "just-a-path.db", "postgresql://:hunter2@/x"]
)
def test_unsupported_or_broken_url_is_exit_3_without_the_password(raw: str) -> None:
    result = run_cli(["--db", raw, "list"])
    assert result.exit_code == 3
    assert result.stderr.startswith("error: ")
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_sqlite_url_with_parameters_is_exit_3_naming_them_not_a_warning(
    tmp_path: object,
) -> None:
    # The driver ignored `?password=hunter2` with a library warning (and the
    # source line) on stderr, and went on with an unprotected file.
    result = run_cli(["--db", f"sqlite:///{tmp_path}/x.db?password=hunter2&mode=ro", "list"])
    assert result.exit_code == 3
    assert "takes no parameters" in result.stderr
    assert "'mode', 'password'" in result.stderr
    assert "hunter2" not in result.stderr
    assert "Warning" not in result.stderr


@pytest.mark.parametrize(
    "host", ["localhost", "u:pw@host", "host:5432", ":pw@", "bob@", "@", "[::1]", "%2Ftmp"]
)
def test_a_sqlite_url_naming_a_host_is_exit_3_and_makes_no_file(tmp_path: Path, host: str) -> None:
    # `sqlite://localhost/path` was an internal error (exit 70) quoting the driver's
    # many-line ArgumentError, after an empty file had been made.
    for args in (["add", "Buy milk"], ["list"], ["db", "info"]):
        result = run_cli(["--db", f"sqlite://{host}/{tmp_path}/x.db", *args])
        assert (result.exit_code, result.stdout) == (3, ""), args
        assert result.stderr.startswith("error: 'sqlite://"), result.stderr
        assert (
            "names a host, user or password: a SQLite database is a file on this machine "
            "(three slashes" in result.stderr
        )
        assert "pw" not in result.stderr.replace("Pass", "")
    assert list(tmp_path.iterdir()) == []


def test_a_sqlite_url_with_a_bare_question_mark_is_refused_not_cut_at_it(tmp_path: Path) -> None:
    # `todo.db?backup` parsed as a parameter without a value, dropped: the file was
    # silently `todo.db`, while `db info` named `todo.db?backup`.
    for url, named in (
        (f"sqlite:///{tmp_path}/todo.db?backup", "has 'backup'"),
        (f"sqlite:///{tmp_path}/todo.db?", "has a '?' and nothing after it"),
    ):
        result = run_cli(["--db", url, "add", "x"])
        assert result.exit_code == 3, url
        assert "takes no parameters" in result.stderr
        assert named in result.stderr
        assert "a ? in its name as %3F" in result.stderr
    assert list(tmp_path.iterdir()) == []
    # Percent-encoded, the ? is the file's.
    result = run_cli(["--db", f"sqlite:///{tmp_path}/todo%3Fbackup.db", "add", "x"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "todo?backup.db").is_file()


def test_the_scheme_of_a_sqlite_url_is_read_in_any_case(tmp_path: Path) -> None:
    # `SQLITE://` was exit 70 (no SQLAlchemy plugin of that name), an empty file left.
    result = run_cli(["--db", f"SQLite:///{tmp_path}/todo.db", "add", "x"])
    assert result.exit_code == 0, result.stderr
    assert run_cli(["--db", f"sqlite:///{tmp_path}/todo.db", "list"]).stdout.count("x") == 1


def test_unsupported_url_error_is_json_with_json_flag() -> None:
    import json

    result = run_cli(["--db", "mysql://root:hunter2@db/x", "list", "--json"])
    assert result.exit_code == 3
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "config"
    assert "hunter2" not in error["message"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", []),
        # The passphrase of the client's key is a password too.
        ("?sslpassword=KeyPass1", ["sslpassword=***"]),
    ],
)
def test_unreachable_server_is_exit_3_with_masked_url(query: str, shown: list[str]) -> None:
    url = f"postgresql://alice:hunter2@127.0.0.1:{_closed_port()}/todo{query}"
    result = run_cli(["--db", url, "list"])
    assert result.exit_code == 3
    assert "cannot reach" in result.stderr
    assert "alice:***@127.0.0.1" in result.stderr
    for part in shown:
        assert part in result.stderr
    assert "hunter2" not in result.stderr
    assert "KeyPass1" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_host_that_does_not_resolve_is_exit_3_with_what_to_check() -> None:
    # RFC 2606: .invalid never resolves. The error had no "(what to do)" part.
    result = run_cli(["--db", "postgresql://alice:hunter2@db.example.invalid/todo", "list"])
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "error: cannot reach postgresql://alice:***@db.example.invalid/todo: "
    )
    assert result.stderr.endswith("(check the host name in the URL, and the network's DNS)\n")
    assert "hunter2" not in result.stderr


def test_unreachable_server_in_a_real_process_shows_no_traceback() -> None:
    from tests.conftest import run_process

    url = f"postgresql://alice:hunter2@127.0.0.1:{_closed_port()}/todo"
    proc = run_process(["--db", url, "add", "x"])
    assert proc.returncode == 3
    assert b"Traceback" not in proc.stderr
    assert b"hunter2" not in proc.stderr
    assert proc.stdout == b""


def test_wrong_password_is_exit_3_and_not_retried(postgres: PostgresHandle) -> None:
    if postgres.server is None:
        not_applicable("needs the suite's own server to know the real password")
    url = postgres.server.url("postgres", password="wrong-password")
    offset = postgres.server.log_offset()
    result = run_cli(["--db", url, "list"], env={"TODO_CONNECT_RETRIES": "3"})
    assert result.exit_code == 3
    assert "password authentication failed" in result.stderr
    assert "wrong-password" not in result.stderr
    # The server logs each refused login before it answers: one attempt, not 1 + 3.
    with postgres.server.log.open("rb") as log:
        log.seek(offset)
        logged = log.read().decode("utf-8", "replace")
    refused = f'FATAL:  password authentication failed for user "{APP_ROLE}"'
    assert logged.count(refused) == 1


def test_a_url_without_the_password_the_server_asks_for_is_a_refused_login(
    postgres: PostgresHandle,
) -> None:
    # It was "cannot reach ... (check the URL, that the server is up, and the network)".
    if postgres.server is None:
        not_applicable("needs the suite's own server, which asks every TCP login for one")
    url = postgres.server.url("postgres").replace(f":{APP_PASSWORD}@", "@")
    assert APP_ROLE + "@127.0.0.1" in url
    result = run_cli(["--db", url, "list"], env={"PGPASSWORD": "", "PGPASSFILE": "/dev/null"})
    assert result.exit_code == 3
    assert result.stderr.startswith("error: postgresql://")
    assert " refused the login: " in result.stderr
    assert result.stderr.endswith("(check the user and password)\n")


def test_libpqs_url_of_a_socket_directory_as_the_host_connects(
    postgres: PostgresHandle,
) -> None:
    # `postgresql://me@%2Fvar%2Frun%2Fpostgresql/db`, as psql takes it, was sent to DNS.
    from urllib.parse import quote

    if postgres.server is None:
        not_applicable("needs the suite's own server, to know its socket directory")
    host = quote(str(postgres.server.socket_dir), safe="")
    url = f"postgresql://{APP_ROLE}@{host}:{postgres.server.port}/postgres"
    result = run_cli(["--db", url, "db", "current"])
    assert result.exit_code in (0, 4), result.stderr  # reached: a revision, or none yet
    assert "cannot reach" not in result.stderr


def test_sqlite_file_in_a_missing_directory_is_exit_3(tmp_path: object) -> None:
    result = run_cli(["--db", "sqlite:////nonexistent/dir/todo.db", "list"])
    assert result.exit_code == 3
    assert "Traceback" not in result.stderr


def test_a_database_file_that_cannot_be_made_names_the_setting_its_url_came_from(
    tmp_path: Path,
) -> None:
    # The hint said "set TODO_DATABASE_URL to a writable place" whatever named the file,
    # though --db outranks TODO_DATABASE_URL and the config file may name it instead.
    path = tmp_path / "missing" / "todo.db"
    url = f"sqlite:///{path}"
    config = tmp_path / "config.toml"
    config.write_text(f'database_url = "{url}"\n', encoding="utf-8")
    message = (
        f"error: cannot create the database file {path}: No such file or directory ({path.parent})"
    )
    for args, env, named in (
        (["--db", url], {"TODO_DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"}, "--db"),
        ([], {"TODO_DATABASE_URL": url}, "TODO_DATABASE_URL"),
        ([], {"TODO_CONFIG": str(config)}, f"database_url in {config}"),
    ):
        result = run_cli([*args, "list"], env=env)
        assert (result.exit_code, result.stderr) == (
            3,
            f"{message} (point {named} at a writable place)\n",
        ), named
    # The default file, in a data directory that cannot be made: each place a URL is
    # looked for, in the order they are looked at.
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = run_cli(["list"], env={"XDG_DATA_HOME": str(blocker / "data")})
    default = blocker / "data" / "todo-cli"
    assert (result.exit_code, result.stderr) == (
        3,
        f"error: cannot create the database file {default / 'todo.db'}: Not a directory "
        f"({default}) (point --db, TODO_DATABASE_URL or database_url in the config file "
        "at a writable place)\n",
    )
    assert not (tmp_path / "env.db").exists()


@pytest.mark.parametrize("command", [["list"], ["db", "upgrade"]], ids=" ".join)
def test_a_file_that_is_not_todos_names_the_setting_its_url_came_from(
    tmp_path: Path, command: list[str]
) -> None:
    # The hints of the connection and migration checks said "point TODO_DATABASE_URL
    # at a new file" when --db or the config file had named it.
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all, " * 200)
    foreign = tmp_path / "notes.db"
    conn = sqlite3.connect(foreign)
    with conn:
        conn.execute("CREATE TABLE notes(x)")
    conn.close()
    for path, told, other in (
        (garbage, f"error: {garbage} is not a usable SQLite database: ", "another file"),
        (
            foreign,
            f"error: {foreign} is not a todo database (it holds other tables: notes) ",
            "a new file",
        ),
    ):
        url = f"sqlite:///{path}"
        config = tmp_path / "config.toml"
        config.write_text(f'database_url = "{url}"\n', encoding="utf-8")
        before = path.read_bytes()
        for args, env, named in (
            (["--db", url], {"TODO_DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"}, "--db"),
            ([], {"TODO_DATABASE_URL": url}, "TODO_DATABASE_URL"),
            ([], {"TODO_CONFIG": str(config)}, f"database_url in {config}"),
        ):
            result = run_cli([*args, *command], env=env)
            assert result.exit_code == 3, (path, named, result.stderr)
            assert result.stderr.startswith(told), result.stderr
            assert result.stderr.endswith(f"(point {named} at {other})\n"), result.stderr
        assert path.read_bytes() == before
    assert not (tmp_path / "env.db").exists()


# sqlite3 could not decode SQLite's message naming the damaged table, and its
# UnicodeDecodeError came out as "this is a bug" (exit 70).
@pytest.mark.parametrize("command", [["list"], ["add", "x"], ["db", "upgrade"]], ids=" ".join)
def test_a_file_with_a_damaged_schema_is_no_usable_database(
    tmp_path: Path, command: list[str]
) -> None:
    from tests.test_chat_formats import damaged_schema

    path = damaged_schema(tmp_path / "todo.db")
    before = path.read_bytes()
    result = run_cli(command, env={"TODO_DATABASE_URL": f"sqlite:///{path}"})
    assert (result.exit_code, result.stderr) == (
        3,
        f"error: {path} is not a usable SQLite database: malformed database schema "
        "(respons\\xd9s) (point TODO_DATABASE_URL at another file)\n",
    )
    assert path.read_bytes() == before


@pytest.mark.parametrize("for_migrations", [False, True])
def test_sqlite_statement_journals_stay_in_memory(tmp_path: object, for_migrations: bool) -> None:
    """Each journaled INSERT opens a statement journal: in a file it cost ~27 writes a task."""
    from pathlib import Path

    from todo_cli.db.engine import create_engine

    url = parse_url(f"sqlite:///{Path(str(tmp_path)) / 'todo.db'}")
    engine = create_engine(url, for_migrations=for_migrations)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
    finally:
        engine.dispose()


def test_a_file_that_is_not_a_database_is_exit_3(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "notes.txt"
    path.write_text("not a database at all, just some text " * 100)
    result = run_cli(["--db", f"sqlite:///{path}", "list"])
    assert result.exit_code == 3
    assert result.stderr.startswith("error: ")


@pytest.mark.parametrize(
    ("message", "retry"),
    [
        ("connection refused", True),
        ("timeout expired", True),
        ('FATAL:  password authentication failed for user "x"', False),
        ('FATAL:  database "nope" does not exist', False),
    ],
)
def test_only_transient_connect_failures_are_retried(message: str, retry: bool) -> None:
    assert _is_retryable(Exception(message)) is retry


def test_connect_is_retried_a_bounded_number_of_times() -> None:
    """A server that hangs up at once (as a waking compute may) gets 1 + retries attempts."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted = 0
    stop = threading.Event()

    def serve() -> None:
        nonlocal accepted
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted += 1
            conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        url = f"postgresql://alice:pw@127.0.0.1:{port}/todo?sslmode=disable"
        result = run_cli(["--db", url, "list"], env={"TODO_CONNECT_RETRIES": "2"})
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert result.exit_code == 3
    assert accepted == 3


def test_parse_url_rejects_postgres_without_host() -> None:
    with pytest.raises(ConfigError):
        parse_url("postgresql:///db")


def test_pooler_engine_never_prepares_statements(todo: Todo, backend: str) -> None:
    if backend != "postgresql":
        not_applicable("prepared statements are a PostgreSQL matter")
    from todo_cli.db.engine import create_engine

    engine = create_engine(parse_url(todo.url))
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            assert raw.prepare_threshold is None
    finally:
        engine.dispose()


def test_debug_logs_the_masked_url_and_the_sql(todo: Todo) -> None:
    proc = todo.process("--debug", "list")
    assert proc.returncode == 0
    err = proc.stderr.decode()
    assert "debug: todo_cli.db.engine: engine for" in err
    assert "SELECT" in err
    from tests.pgharness import APP_PASSWORD

    assert APP_PASSWORD not in err


def test_debug_shows_a_traceback_on_purpose() -> None:
    from tests.conftest import run_process

    proc = run_process(["--db", "mysql://x:hunter2@h/d", "list"], env={"TODO_DEBUG": "1"})
    assert proc.returncode != 0
    assert b"Traceback" in proc.stderr
    assert b"hunter2" not in proc.stderr


def test_tls_and_channel_binding_as_neon_requires(
    todo: Todo, backend: str, postgres: PostgresHandle
) -> None:
    """With a TLS-capable server (TODO_TEST_PG_BINDIR), the Neon URL form just works."""
    if backend != "postgresql" or postgres.server is None:
        not_applicable("TLS is tested on the suite's own PostgreSQL server")
    requires_tls_server(postgres.server.tls)
    url = todo.url + "&channel_binding=require"
    assert run_cli(["--db", url, "add", "over TLS"]).exit_code == 0
    from sqlalchemy import text

    from todo_cli.db.engine import create_engine

    engine = create_engine(parse_url(url))
    try:
        with engine.connect() as conn:
            ssl = conn.execute(
                text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            ).scalar_one()
    finally:
        engine.dispose()
    assert ssl is True


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["add", "x"],
        ["show", "1"],
        ["chat-log"],
        ["chat-log", "show", "1"],
        ["db", "current"],
        ["db", "upgrade"],
        ["db", "info"],
    ],
    ids=lambda command: " ".join(command),
)
def test_every_command_on_a_down_database_is_exit_3_with_the_password_masked(
    command: list[str],
) -> None:
    url = f"postgresql://alice:hunter2@127.0.0.1:{_closed_port()}/todo"
    result = run_cli(["--db", url, *command])
    assert result.exit_code == 3
    assert result.stderr.startswith("error: cannot reach postgresql://alice:***@")
    assert "hunter2" not in result.stderr
    assert result.stdout == ""


def test_psycopgs_teardown_warnings_stay_off_stderr_with_psycopg_imported_first() -> None:
    # A lost connection mid-COPY: psycopg warns "error ignored terminating <Copy>"
    # beside todo's own one-line error. Importing psycopg sets its logger to
    # WARNING, and the command server imports it before any command: the level
    # todo sets must not depend on the order. (A process of its own: logging is
    # process-wide.)
    script = (
        "import logging, psycopg\n"
        "from todo_cli.db.engine import create_engine\n"
        "from todo_cli.db.url import parse_url\n"
        "create_engine(parse_url('postgresql://u:p@127.0.0.1:1/db'))\n"
        "logging.getLogger('psycopg').warning('error ignored terminating <Copy>')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert (proc.returncode, proc.stderr) == (0, "")


def test_a_database_in_a_read_only_directory_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on read-only media: SQLite cannot make its -wal and -shm files beside the file,
    # and "check that its directory exists" sent the user looking for the wrong thing.
    import os

    from todo_cli.db.connect import _translate_sqlite

    path = tmp_path / "backup.db"
    assert run_cli(["add", "x"], env={"TODO_DATABASE_URL": f"sqlite:///{path}"}).exit_code == 0
    writable = os.access

    def read_only_dir(target: str | Path, mode: int) -> bool:
        if str(target) == str(tmp_path) and mode == os.W_OK:
            return False
        return writable(target, mode)

    monkeypatch.setattr(os, "access", read_only_dir)
    detail = "unable to open database file"
    error = _translate_sqlite(parse_url(f"sqlite:///{path}"), detail, detail)
    assert error.exit_code == 3
    assert error.message == (
        f"cannot open the SQLite file {path}: its directory is read-only, and SQLite writes "
        "its -wal and -shm files beside it"
    )
    # A database already in WAL mode: every command, `list` too, fails as "attempt to
    # write a readonly database"; it was said as the file being read-only.
    readonly = "attempt to write a readonly database"
    error = _translate_sqlite(parse_url(f"sqlite:///{path}"), readonly, readonly)
    assert (error.exit_code, error.message) == (
        3,
        f"cannot open the SQLite file {path}: its directory is read-only, and SQLite writes "
        "its -wal and -shm files beside it",
    )
    missing = tmp_path / "nowhere" / "x.db"
    other = _translate_sqlite(parse_url(f"sqlite:///{missing}"), detail, detail)
    assert other.message == f"cannot open the SQLite file {missing}: {detail}"
    assert other.hint == "check that its directory exists and that you may write there"


@pytest.mark.parametrize("kind", ["directory", "named pipe", "character device"])
def test_a_sqlite_url_naming_no_regular_file_says_what_it_is(tmp_path: Path, kind: str) -> None:
    # /dev/null and a FIFO failed as "disk I/O error (free some disk space)", leaving a
    # -journal file beside them; a directory was "unable to open database file".
    path = {"character device": Path(os.devnull)}.get(kind, tmp_path / "todo.db")
    if kind == "directory":
        path.mkdir()
    elif kind == "named pipe":
        os.mkfifo(path)
    for command in (["add", "x"], ["list"], ["db", "upgrade"]):
        result = run_cli(["--db", f"sqlite:///{path}", *command])
        assert (result.exit_code, result.stderr) == (
            3,
            f"error: {path} is a {kind}, not a database file (point --db at a "
            "file: sqlite:///path/to/todo.db)\n",
        )
    assert [p.name for p in tmp_path.iterdir()] == (
        [] if kind == "character device" else ["todo.db"]
    )
    assert not Path(f"{os.devnull}-journal").exists()


def test_a_database_made_through_a_dangling_symlink_is_private_to_its_owner(
    tmp_path: Path,
) -> None:
    # O_EXCL does not follow a symlink: its EEXIST read as "made by another process",
    # and SQLite made the file with the umask's 0644.
    (tmp_path / "todo.db").symlink_to(tmp_path / "real.db")
    old = os.umask(0o022)
    try:
        result = run_cli(["--db", f"sqlite:///{tmp_path / 'todo.db'}", "add", "secret"])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.stderr
    assert oct((tmp_path / "real.db").stat().st_mode & 0o777) == oct(0o600)


@pytest.mark.parametrize("impl", ["bogus", "c-not-there"])
def test_a_psycopg_implementation_that_cannot_load_is_exit_3_not_a_bug(impl: str) -> None:
    # PSYCOPG_IMPL=c without psycopg-c was "unexpected ImportError (this is a bug)", exit 70.
    env = {"PSYCOPG_IMPL": "c" if impl == "c-not-there" else impl}
    if impl == "c-not-there":
        import importlib.util

        if importlib.util.find_spec("psycopg_c") is not None:
            not_applicable("psycopg-c is installed here")
    proc = run_process(["--db", "postgresql://alice:hunter2@127.0.0.1:1/todo", "list"], env=env)
    assert proc.returncode == 3, proc.stderr
    err = proc.stderr.decode()
    assert err.startswith("error: cannot load the PostgreSQL driver: ")
    assert err.endswith("(unset PSYCOPG_IMPL, or install the implementation it names)\n")
    assert "hunter2" not in err


def test_a_commands_transaction_runs_without_jit_on_postgresql(todo: Todo, backend: str) -> None:
    # A long list is costed above a stock server's JIT thresholds: compiling it took
    # 0.6-1.0 s of a 1.5 s query, for every `todo list`. Off for the transaction, in
    # the statement that checks the revision (no round trip more); a pooler's next
    # client is not given it.
    if backend == "sqlite":
        not_applicable("JIT is a PostgreSQL matter")
    from sqlalchemy import text

    from todo_cli.db.transaction import transaction
    from todo_cli.settings import resolve

    with transaction(resolve(db=todo.url, user=todo.user, environ={}), read_only=True) as conn:
        assert conn.execute(text("SELECT current_setting('jit')")).scalar() == "off"
    with transaction(resolve(db=todo.url, user=todo.user, environ={})) as conn:
        assert conn.execute(text("SELECT current_setting('jit')")).scalar() == "off"
