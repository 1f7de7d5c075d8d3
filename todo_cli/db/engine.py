"""The one place that turns a URL into a synchronous SQLAlchemy engine.

A `todo` process runs one command and exits, so engines keep no pool
(``NullPool``): a pooled connection would only outlive its usefulness, and
through Neon's PgBouncer a kept session is exactly what must not happen.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from todo_cli.db.url import DatabaseURL, setting_named
from todo_cli.dirs import file_kind
from todo_cli.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import Engine

# How long a SQLite writer waits for another process's write lock before giving
# up. Long enough for a burst of concurrent `todo add`s; short enough to notice
# a stuck process.
SQLITE_BUSY_TIMEOUT_S = 30.0
# libpq counts connect_timeout in whole seconds and treats less than 2 as 2.
_LIBPQ_MIN_TIMEOUT_S = 2


def create_engine(
    db: DatabaseURL,
    *,
    connect_timeout: float = 10.0,
    connect_retries: int = 2,
    for_migrations: bool = False,
    create_parent: bool = False,
    source: str | None = None,
) -> Engine:
    """Build the engine for one command.

    ``for_migrations`` turns SQLite foreign keys off for the connection, as
    Alembic's batch mode needs: it rebuilds a table by copy-and-rename, and with
    foreign keys on, dropping the old table would cascade-delete child rows.
    ``create_parent`` makes the (default) data directory, private to the user.
    ``source`` is where the URL came from (``Settings.database_source``), for the hint
    of an error about the SQLite file it names; None names every place it may come from.
    """
    import logging

    logging.getLogger(__name__).debug(
        "engine for %s%s", db.masked, " (migrations)" if for_migrations else ""
    )
    if db.backend == "sqlite":
        return _sqlite_engine(
            db, for_migrations=for_migrations, create_parent=create_parent, source=source
        )
    try:
        engine = _postgres_engine(
            db, connect_timeout=connect_timeout, connect_retries=connect_retries
        )
    except ImportError as exc:
        # psycopg is a dependency: what fails is the implementation the environment
        # asks for (PSYCOPG_IMPL=c without psycopg-c), a misconfiguration, not a bug.
        raise ConfigError(
            f"cannot load the PostgreSQL driver: {exc}",
            hint="unset PSYCOPG_IMPL, or install the implementation it names",
        ) from None
    if not for_migrations:
        _skip_first_connect_queries(engine)
    return engine


def _create_private_file(path: Path, create_parent: bool, source: str | None = None) -> None:
    """Create a new SQLite file readable by its owner alone (0600).

    A task list is personal; SQLite would create it with the umask's 0644. The
    default data directory is made 0700 for the same reason; a directory the
    user named is theirs to set.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = None
    if mode is not None:
        if not stat.S_ISREG(mode):
            # SQLite would open /dev/null or a FIFO and fail with "disk I/O error"
            # (leaving a -journal file beside it), and say of a directory only that
            # it is "unable to open database file".
            raise ConfigError(
                f"{path} is a {file_kind(mode)}, not a database file",
                hint=f"point {setting_named(source)} at a file: sqlite:///path/to/todo.db",
            )
        return
    try:
        if create_parent:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Through a dangling symlink too: O_EXCL refuses to follow one, and the
        # EEXIST read as "made by another process" had SQLite create it 0644.
        fd = os.open(os.path.realpath(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        pass  # another process made it first; fine
    except OSError as exc:
        where = path.parent if not path.parent.exists() else path
        raise ConfigError(
            f"cannot create the database file {path}: {exc.strerror} ({where})",
            hint=f"point {setting_named(source)} at a writable place",
        ) from None


def _sqlite_engine(
    db: DatabaseURL, *, for_migrations: bool, create_parent: bool, source: str | None
) -> Engine:
    from sqlalchemy import create_engine as sa_create_engine
    from sqlalchemy import event
    from sqlalchemy.pool import NullPool

    path = db.sqlite_path
    if path is not None:
        _create_private_file(path, create_parent, source)
    engine = sa_create_engine(
        db.url,
        poolclass=NullPool,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how a
        # transaction starts (see _on_begin).
        dbapi_conn.isolation_level = None
        # SQLite's own lower() folds ASCII only; PostgreSQL's folds all of
        # Unicode. Searches and title sorting use this one, so `éclair` finds
        # `Éclair` on both backends.
        dbapi_conn.create_function("todo_lower", 1, _lower, deterministic=True)
        # Chat-log search finds a word of an unspaced script (東京 in 東京タワー) in
        # the text: FTS5 holds the whole run as one word.
        dbapi_conn.create_function("todo_find", 2, _find, deterministic=True)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'OFF' if for_migrations else 'ON'}")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        # Statement journals in memory, not in a temporary file: every INSERT
        # that fires a journal trigger opens one (so that a failing statement
        # can be undone alone) and copies each page it touches there first;
        # on disk that was ~27 write calls a task, 40% of a bulk add.
        cursor.execute("PRAGMA temp_store=MEMORY")
        if path is not None:
            # WAL lets readers go on while one process writes.
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock up front. With a deferred BEGIN, two
        # processes that both read first and then write deadlock, and SQLite
        # answers one of them "database is locked" at once, busy timeout or not.
        read_only = conn.get_execution_options().get("todo_read_only", False)
        if read_only:
            conn.exec_driver_sql("BEGIN")
        else:
            _begin_immediate(conn.connection.dbapi_connection)

    return engine


# SQLite's page cache for a bulk write, in KiB (its default is 2 MiB). A bulk
# add or import puts rows at random places of several B-trees (the tasks' ids,
# the journal's row keys): with the default cache, pages were evicted and read
# back again and again. Measured on 100,000 imported tasks: 19 s with 2 MiB,
# 18 s with 16 MiB, 15 s with 32 MiB, no faster with 128 MiB. The cache fills
# only as pages are used, and the connection (no pool) ends with the command.
BULK_CACHE_KIB = 32 * 1024


def widen_sqlite_cache(conn: Connection) -> None:
    """Give this SQLite connection the bulk writer's page cache (no-op elsewhere)."""
    if conn.dialect.name == "sqlite" and not conn.info.get("todo_wide_cache"):
        conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        conn.info["todo_wide_cache"] = True


# What every todo schema has, from its first revision: a SQLite file with tables
# but not all of these is another program's (migrate.refuse_foreign_sqlite).
TODO_SQLITE_TABLES: Final = frozenset({"alembic_version", "users", "tasks"})
_OURS_SQL: Final = ", ".join(f"'{name}'" for name in sorted(TODO_SQLITE_TABLES))
# Columns every revision's users and tasks have: another program's `users` and
# `tasks` (the web back end todo grew from) lack them, whatever it stamped.
TODO_COLUMNS_SQL: Final = (
    "SELECT (SELECT count(*) FROM pragma_table_info('users') WHERE name = 'name') "
    "+ (SELECT count(*) FROM pragma_table_info('tasks') "
    "WHERE name IN ('user_id', 'number', 'title')) = 4"
)


def use_wal(conn: Connection) -> None:
    """WAL mode for the SQLite file `conn` is on, outside any transaction: a file that
    was empty when the connection opened was left in SQLite's default mode (see
    _use_wal), and is switched once its schema is committed."""
    if conn.dialect.name != "sqlite":
        return
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        _use_wal(cursor)
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Put todo's file in WAL mode (kept in the file: once done, this is a no-op).

    Switching a file that is not in WAL yet takes an exclusive lock, and
    SQLite answers "database is locked" at once, without the busy handler,
    while any other connection holds a lock on it: two first commands on a
    new file (one creating the tables) collide here. Waiting as the busy
    timeout would is what the user expects.
    """
    import sqlite3

    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        return
    if not cursor.execute("PRAGMA page_count").fetchone()[0]:
        # An empty file (0 bytes, or one made just now): switching writes its
        # first page, and a command that only looks (`db current`), or fails,
        # left a 4 KiB file where it found none. The first command that writes
        # makes the schema in SQLite's default mode; the next one switches.
        return
    # Another program's file (tables, not all of TODO_SQLITE_TABLES) is left
    # exactly as found: the mode is kept in the file, and the command is about
    # to refuse the file anyway (db.migrate names its tables).
    tables, stamped, ours = cursor.execute(
        "SELECT count(*), coalesce(sum(name = 'alembic_version'), 0), "
        f"coalesce(sum(name IN ({_OURS_SQL})), 0) "
        "FROM sqlite_master WHERE type = 'table'"
    ).fetchone()
    # (alembic_version alone is todo's file downgraded to base.)
    if tables > stamped and ours < len(TODO_SQLITE_TABLES):
        return
    if ours == len(TODO_SQLITE_TABLES) and not cursor.execute(TODO_COLUMNS_SQL).fetchone()[0]:
        return  # tables named like todo's, another program's: refused, left as found
    if stamped:
        # Stamped by another program that Alembic manages (its ids are not four
        # digits, todo's are): refused as not todo's, left as found.
        from todo_cli.db.revisions import is_todo_revision

        row = cursor.execute("SELECT max(version_num) FROM alembic_version").fetchone()
        if row[0] is not None and not is_todo_revision(row[0]):
            return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    pause = 0.002
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


# How long SQLite itself waits for the write lock at a time, in ms: its busy wait
# sleeps in C, where a Ctrl-C is only seen once it returns.
_LOCK_STEP_MS = 100


def _begin_immediate(raw: Any) -> None:
    """BEGIN IMMEDIATE, waiting for another process's write lock in short steps.

    Left to SQLite, the whole 30 s wait was one call: a Ctrl-C pressed while
    another process held the file was answered only when the wait ran out.
    """
    import sqlite3

    try:
        raw.execute(f"PRAGMA busy_timeout={_LOCK_STEP_MS}")
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
    finally:
        # Every other statement keeps the full wait (a reader meeting a checkpoint).
        raw.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")


def _lower(value: str | None) -> str | None:
    return None if value is None else fold(value)


# Where lower() differs by who does it: Python makes a word's last capital sigma a
# final sigma (U+03C2), PostgreSQL's always the other small sigma (U+03C3); Python and ICU
# make İ an i with a combining dot above, PostgreSQL's libc a plain i. Both sides
# of every search fold them the same way, so that a word typed as it is stored, or
# a part of it, is found on either backend (db.transaction.lowered does it in SQL).
# And where lower case is no case folding: ß (and ẞ) is "ss" in capitals, so
# STRASSE, strasse and Straße are one word (as str.casefold has them).
FOLDED_AFTER_LOWER = (("\u03c2", "\u03c3"), ("i\u0307", "i"), ("\u00df", "ss"))


def fold(text: str) -> str:
    """Text as a search compares it: Unicode's composed form (NFC), then lower case,
    then the letters whose lower case depends on who makes it, one way.

    SQLite's todo_lower and the needle of every search (db.transaction.folded).
    """
    if text.isascii():  # composed already, and none of the letters to fold
        return text.lower()
    import unicodedata

    text = unicodedata.normalize("NFC", text).lower()
    for before, after in FOLDED_AFTER_LOWER:
        text = text.replace(before, after)
    return text


def _find(value: str | None, pattern: str) -> bool:
    """Whether `pattern` (a Python regular expression, any case) is found in `value`."""
    return value is not None and _compiled(pattern).search(value) is not None


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    # One search compiles each term's pattern once, not once a row.
    return re.compile(pattern, re.IGNORECASE)


def _is_retryable(exc: BaseException) -> bool:
    """Whether a failed connect may succeed if tried again in a moment.

    A waking Neon compute or a restarting server is worth a retry; a wrong
    password, a missing database or a TLS demand will not change by waiting.
    """
    text = str(exc).lower()
    permanent = (
        "password",
        "authentication",
        "does not exist",
        "pg_hba.conf",
        "ssl",
        "invalid",
        "unsupported",
        "could not translate host name",
        "name or service not known",
        "permission denied",
    )
    return not any(word in text for word in permanent)


def _skip_first_connect_queries(engine: Engine) -> None:
    """Learn on first connect, without a round trip, what SQLAlchemy would query for.

    SQLAlchemy's PostgreSQL dialect normally spends six statements (BEGIN, four
    SELECT/SHOWs, ROLLBACK) finding out the server version, default schema,
    isolation level and string quoting. Over a Neon region each costs a round
    trip, and a one-shot command would pay them every time. libpq already
    received the version and `standard_conforming_strings` in the startup
    handshake, so read them from there. Commands never reflect, so the default
    schema is not needed; migrations use a normal engine.
    """
    dialect: Any = engine.dialect

    def server_version(connection: Any) -> tuple[int, ...]:
        number = int(connection.connection.dbapi_connection.info.server_version)
        major, rest = divmod(number, 10000)
        return (major, rest) if major >= 10 else (major, rest // 100, rest % 100)

    def backslash_escapes(connection: Any) -> None:
        info = connection.connection.dbapi_connection.info
        dialect._backslash_escapes = info.parameter_status("standard_conforming_strings") == b"off"

    dialect._get_server_version_info = server_version
    dialect._get_default_schema_name = lambda connection: None
    dialect.get_default_isolation_level = lambda dbapi_connection: "READ COMMITTED"
    dialect._set_backslash_escapes = backslash_escapes


def _postgres_engine(db: DatabaseURL, *, connect_timeout: float, connect_retries: int) -> Engine:
    import logging

    from sqlalchemy import create_engine as sa_create_engine
    from sqlalchemy import event
    from sqlalchemy.pool import NullPool

    # psycopg logs "error ignored in terminating COPY" when the server dies in
    # the middle of a bulk add; the command reports the failure itself, as one
    # error line (one JSON object with --json), so the stray line must not
    # reach stderr. Under --debug (its handler on the root logger) it is shown.
    # Not "only if unset": importing psycopg sets WARNING itself, and the command
    # server has it imported before any command.
    if not logging.getLogger().handlers:
        logging.getLogger("psycopg").setLevel(logging.CRITICAL)

    engine = sa_create_engine(
        db.url,
        poolclass=NullPool,
        # hstore lookup at first connect is a round trip we never need.
        use_native_hstore=False,
        connect_args={
            # No server-side prepared statements: PgBouncer in transaction mode
            # (Neon's pooled endpoint) may run each statement on another backend.
            "prepare_threshold": None,
            "application_name": "todo-cli",
        },
    )

    # A batch INSERT without RETURNING (a chat-log import of many messages)
    # would otherwise go to psycopg's executemany: one INSERT per row.
    # SQLAlchemy's "insertmanyvalues" sends one multi-row INSERT per 1,000 rows.
    engine.dialect.use_insertmanyvalues_wo_returning = True

    @event.listens_for(engine, "do_connect")
    def _connect_with_retry(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        # connect_timeout is the budget of the whole connect, retries included:
        # a hung server costs what the user set, not that times the retries.
        deadline = time.monotonic() + connect_timeout
        delay = 0.5
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            cparams["connect_timeout"] = max(_LIBPQ_MIN_TIMEOUT_S, int(remaining + 0.5))
            try:
                return dialect.loaded_dbapi.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError as exc:
                attempt += 1
                out_of_time = time.monotonic() + delay + _LIBPQ_MIN_TIMEOUT_S > deadline
                if attempt > connect_retries or out_of_time or not _is_retryable(exc):
                    raise
                time.sleep(delay)
                delay *= 2

    @event.listens_for(engine, "connect")
    def _iso_dates(dbapi_connection: Any, _record: Any) -> None:
        # psycopg reads timestamps in DateStyle ISO only: a `PGDATESTYLE=German` in
        # the user's shell, `PGOPTIONS='-c datestyle=...'` or a database's own
        # `datestyle` made every command that reads a task fail as a bug. The
        # server says the style at connect: a round trip only where it is not ISO.
        # A session setting (committed), which PgBouncer keeps for its client.
        style = dbapi_connection.pgconn.parameter_status(b"DateStyle") or b"ISO"
        if not style.startswith(b"ISO"):
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET datestyle TO ISO")
            dbapi_connection.commit()

    return engine
