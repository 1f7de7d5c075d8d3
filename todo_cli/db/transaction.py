"""One command, one transaction.

:func:`transaction` opens the engine, checks the schema revision, and hands
the caller a connection inside a single transaction that commits when the
block ends and rolls back if anything raises. Driver and SQLAlchemy errors
leave here as :class:`~todo_cli.errors.TodoError` subclasses, so no command
ever shows a traceback for a database that is down.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from todo_cli.engine import DatabaseURL, create_engine, parse_url
from todo_cli.errors import DatabaseError, InvalidInput, SchemaMismatch, TodoError
from todo_cli.schema import HEAD_REVISION

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from todo_cli.settings import Settings

# Every revision this todo ships, oldest first, so a command can tell "behind"
# from "newer than me" without importing Alembic; a test holds it to the scripts.
KNOWN_REVISIONS = ("0001", HEAD_REVISION)


def read_revision(conn: Connection, *, look_first: bool = False) -> str | None:
    """The schema revision stamped in the database, None when there is none.

    Commands just try the SELECT (one round trip; a failure ends the command
    anyway). Migrations pass ``look_first``: on PostgreSQL a failed statement
    would poison the transaction they still need.
    """
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import DBAPIError

    if look_first and not inspect(conn).has_table("alembic_version"):
        return None
    try:
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError as exc:
        if _is_missing_table(exc):
            return None
        raise
    return None if row is None else str(row[0])


def _is_missing_table(exc: Exception) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "no such table" in text or "does not exist" in text


def translate(exc: BaseException, db: DatabaseURL) -> TodoError:
    """Turn an SQLAlchemy or driver error into a one-line, password-free TodoError."""
    from sqlalchemy.exc import DBAPIError, IntegrityError

    where = db.masked
    if isinstance(exc, IntegrityError):
        detail = _first_line(exc.orig)
        return InvalidInput(f"the database refused the change: {detail}")
    if isinstance(exc, DBAPIError):
        detail = _first_line(exc.orig)
        lowered = detail.lower()
        if "password authentication failed" in lowered or "authentication failed" in lowered:
            return DatabaseError(
                f"{where} refused the login: {detail}", hint="check the user and password"
            )
        if "database is locked" in lowered:
            return DatabaseError(
                f"{where} is busy: another process held the write lock too long",
                hint="try again",
            )
        if exc.connection_invalidated or "connect" in lowered or "unable to open" in lowered:
            return DatabaseError(
                f"cannot reach {where}: {detail}",
                hint="check the URL, that the server is up, and the network",
            )
        return DatabaseError(f"database error on {where}: {detail}")
    return DatabaseError(f"database error on {where}: {_first_line(exc)}")


def _first_line(exc: object) -> str:
    from todo_cli.engine import mask_url

    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    # psycopg puts the useful part ("Connection refused", "password
    # authentication failed ...") on the first line, after a long prefix.
    text = lines[0] if lines else type(exc).__name__
    return mask_url(text)


def schema_behind_error(db: DatabaseURL, revision: str | None) -> SchemaMismatch:
    if revision is None:
        return SchemaMismatch(
            f"{db.masked} has no todo schema", hint="run `todo db upgrade` to create it"
        )
    if revision not in KNOWN_REVISIONS:
        return SchemaMismatch(
            f"{db.masked} is at schema revision {revision}, which this todo does not know",
            hint="upgrade todo, or run `todo db downgrade` with the todo that made it",
        )
    return SchemaMismatch(
        f"{db.masked} is at schema revision {revision}, this todo needs {HEAD_REVISION}",
        hint="run `todo db upgrade`",
    )


@contextmanager
def transaction(settings: Settings, *, read_only: bool = False) -> Iterator[Connection]:
    """The one transaction of one command.

    SQLite (an embedded, personal file) is created or upgraded on first use.
    A PostgreSQL schema is never changed implicitly: behind head is exit 4.
    """
    from sqlalchemy.exc import SQLAlchemyError

    db = parse_url(settings.database_url)
    engine = create_engine(
        db,
        connect_timeout=settings.connect_timeout,
        connect_retries=settings.connect_retries,
        create_parent=settings.is_default_sqlite,
    )
    try:
        with engine.connect() as conn:
            if read_only:
                conn.execution_options(todo_read_only=True)
            txn = conn.begin()
            try:
                revision = read_revision(conn)
                if revision != HEAD_REVISION:
                    txn.rollback()
                    if db.backend != "sqlite" or revision not in (None, *KNOWN_REVISIONS):
                        raise schema_behind_error(db, revision)
                    from todo_cli import migrate

                    migrate.upgrade_sqlite_in_place(db)
                    txn = conn.begin()
                yield conn
                txn.commit()
            finally:
                if txn.is_active:
                    txn.rollback()
    except TodoError:
        raise
    except SQLAlchemyError as exc:
        raise translate(exc, db) from exc
    finally:
        engine.dispose()
