"""The one place that turns a URL into a synchronous SQLAlchemy engine.

A `todo` process runs one command and exits, so engines keep no pool
(``NullPool``): a pooled connection would only outlive its usefulness, and
through Neon's PgBouncer a kept session is exactly what must not happen.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from todo_cli.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg3"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite"}
_PASSWORD_IN_NETLOC = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)[^@/?#\s]*@")
_PASSWORD_IN_QUERY = re.compile(r"(?i)(?P<head>[?&]password=)[^&#\s]*")

# How long a SQLite writer waits for another process's write lock before giving
# up. Long enough for a burst of concurrent `todo add`s; short enough to notice
# a stuck process.
SQLITE_BUSY_TIMEOUT_S = 30.0


def mask_url(raw: str) -> str:
    """A URL safe to print: any password replaced by ``***``.

    Works on text that is not a valid URL too, because the URLs worth masking
    are most often the ones that failed to parse.
    """
    masked = _PASSWORD_IN_NETLOC.sub(lambda m: m.group("head") + "***@", raw)
    return _PASSWORD_IN_QUERY.sub(lambda m: m.group("head") + "***", masked)


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed, normalised database URL."""

    url: URL
    backend: str  # "sqlite" or "postgresql"

    @property
    def masked(self) -> str:
        return mask_url(self.url.render_as_string(hide_password=False))

    @property
    def sqlite_path(self) -> Path | None:
        if self.backend != "sqlite" or not self.url.database or self.url.database == ":memory:":
            return None
        return Path(self.url.database)

    @property
    def is_neon_pooler(self) -> bool:
        return self.backend == "postgresql" and "-pooler" in (self.url.host or "")

    def direct(self, explicit: str | None) -> DatabaseURL:
        """The endpoint migrations must use.

        PgBouncer in transaction mode cannot hold the session a migration needs,
        so a Neon pooled host (``ep-x-pooler.region...``) becomes its direct host
        (``ep-x.region...``), unless ``TODO_DIRECT_DATABASE_URL`` says otherwise.
        """
        if explicit:
            return parse_url(explicit)
        if not self.is_neon_pooler:
            return self
        host = (self.url.host or "").replace("-pooler", "", 1)
        return DatabaseURL(self.url.set(host=host), self.backend)


def parse_url(raw: str) -> DatabaseURL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = raw.strip()
    hint = "use postgresql://user:password@host/db or sqlite:///path/to/todo.db"
    if "://" not in text:
        raise ConfigError(f"not a database URL: {mask_url(text)!r}", hint=hint)
    scheme = text.split("://", 1)[0].lower()
    if scheme in _POSTGRES_SCHEMES:
        text = "postgresql+psycopg://" + text.split("://", 1)[1]
        backend = "postgresql"
    elif scheme in _SQLITE_SCHEMES:
        backend = "sqlite"
    else:
        raise ConfigError(f"unsupported database URL scheme {scheme!r}", hint=hint)
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise ConfigError(f"cannot parse database URL {mask_url(raw)!r}", hint=hint) from None
    if backend == "postgresql" and not (url.host or url.query.get("host")):
        # libpq would silently fall back to a local socket; be explicit instead.
        raise ConfigError(f"database URL {mask_url(raw)!r} names no host", hint=hint)
    return DatabaseURL(url, backend)


def create_engine(
    db: DatabaseURL,
    *,
    connect_timeout: float = 10.0,
    connect_retries: int = 2,
    for_migrations: bool = False,
    create_parent: bool = False,
) -> Engine:
    """Build the engine for one command.

    ``for_migrations`` turns SQLite foreign keys off for the connection, as
    Alembic's batch mode needs: it rebuilds a table by copy-and-rename, and with
    foreign keys on, dropping the old table would cascade-delete child rows.
    """
    import logging

    logging.getLogger(__name__).debug(
        "engine for %s%s", db.masked, " (migrations)" if for_migrations else ""
    )
    if db.backend == "sqlite":
        return _sqlite_engine(db, for_migrations=for_migrations, create_parent=create_parent)
    engine = _postgres_engine(db, connect_timeout=connect_timeout, connect_retries=connect_retries)
    if not for_migrations:
        _skip_first_connect_queries(engine)
    return engine


def _sqlite_engine(db: DatabaseURL, *, for_migrations: bool, create_parent: bool) -> Engine:
    from sqlalchemy import create_engine as sa_create_engine
    from sqlalchemy import event
    from sqlalchemy.pool import NullPool

    path = db.sqlite_path
    if path is not None and create_parent:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the data directory {path.parent}: {exc.strerror}",
                hint="set TODO_DATABASE_URL to a writable place",
            ) from None
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
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'OFF' if for_migrations else 'ON'}")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        if path is not None:
            # WAL lets readers go on while one process writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock up front. With a deferred BEGIN, two
        # processes that both read first and then write deadlock, and SQLite
        # answers one of them "database is locked" at once, busy timeout or not.
        read_only = conn.get_execution_options().get("todo_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


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
    from sqlalchemy import create_engine as sa_create_engine
    from sqlalchemy import event
    from sqlalchemy.pool import NullPool

    engine = sa_create_engine(
        db.url,
        poolclass=NullPool,
        # hstore lookup at first connect is a round trip we never need.
        use_native_hstore=False,
        connect_args={
            # libpq takes whole seconds, and treats under 2 as 2.
            "connect_timeout": max(2, round(connect_timeout)),
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
        delay = 0.5
        for attempt in range(connect_retries + 1):
            try:
                return dialect.loaded_dbapi.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError as exc:
                if attempt == connect_retries or not _is_retryable(exc):
                    raise
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    return engine
