"""One connection for one command: engine, connect, translate errors, dispose.

Every way `todo` reaches a database goes through :func:`connected`, so driver
and SQLAlchemy errors always leave as one-line, password-free TodoErrors and
no engine is ever left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from todo_cli.db.engine import create_engine
from todo_cli.errors import ConfigError, DatabaseError, Refused, TodoError
from todo_cli.redact import mask_text

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Connection

    from todo_cli.db.url import DatabaseURL
    from todo_cli.settings import Settings


@contextmanager
def connected(
    db: DatabaseURL, settings: Settings, *, for_migrations: bool = False
) -> Iterator[Connection]:
    """An open connection to `db`; errors translated, the engine disposed of."""
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(
        db,
        connect_timeout=settings.connect_timeout,
        connect_retries=settings.connect_retries,
        for_migrations=for_migrations,
        create_parent=settings.is_default_sqlite,
        source=settings.database_source,
    )
    # Whether the connection was made: a connection lost after that is lost in the
    # middle of the command, not a server out of reach.
    made: list[bool] = []
    try:
        with engine.connect() as conn:
            made.append(True)
            yield conn
    except TodoError:
        raise
    except SQLAlchemyError as exc:
        raise translate(exc, db, lost=bool(made)) from exc
    except Exception as exc:
        # Work done on the driver's own connection (COPY, executemany) raises
        # the driver's errors; wrapped as SQLAlchemy would, they read the same.
        wrapped = _as_dbapi_error(exc)
        if wrapped is None and db.backend == "sqlite":
            wrapped = _undecodable_sqlite_error(exc)
        if wrapped is None:
            raise
        raise translate(wrapped, db, lost=bool(made)) from exc
    finally:
        engine.dispose()


def _as_dbapi_error(exc: Exception) -> Exception | None:
    import sys

    from sqlalchemy.exc import DBAPIError

    for module in ("psycopg", "sqlite3"):
        driver = sys.modules.get(module)
        base = getattr(driver, "Error", None)
        if base is not None and isinstance(exc, base):
            wrapped: Exception = DBAPIError.instance(None, None, exc, base)
            return wrapped
    return None


def _undecodable_sqlite_error(exc: Exception) -> Exception | None:
    """SQLite's error whose message Python's sqlite3 could not decode, as that error.

    A damaged file's "malformed database schema (NAME)" carries the damaged bytes of
    the name; sqlite3 then raises the UnicodeDecodeError of decoding its message
    instead of the error itself.
    """
    if not isinstance(exc, UnicodeDecodeError) or not isinstance(exc.object, bytes):
        return None
    message = exc.object.decode("utf-8", "backslashreplace")
    if not any(word in message for word in ("malformed", "not a database", "corrupt")):
        return None
    import sqlite3

    return _as_dbapi_error(sqlite3.DatabaseError(message))


def translate(exc: BaseException, db: DatabaseURL, *, lost: bool = False) -> TodoError:
    """Turn an SQLAlchemy or driver error into a one-line, password-free TodoError.

    `lost`: the error came once the connection was made (a connection failing then
    was lost during the command: said so, with what became of its change)."""
    from sqlalchemy.exc import DBAPIError, IntegrityError

    where = f"the direct URL {db.masked}" if db.given_as_direct else db.masked
    if isinstance(exc, IntegrityError):
        diagnosis = getattr(exc.orig, "diag", None)
        return Refused(
            f"the database refused the change: {_first_line(exc.orig)}",
            constraint=getattr(diagnosis, "constraint_name", None),
        )
    if not isinstance(exc, DBAPIError):
        return DatabaseError(f"database error on {where}: {_first_line(exc)}")
    detail = _first_line(exc.orig)
    lowered = detail.lower()
    if db.backend == "sqlite":
        return _translate_sqlite(db, detail, lowered)
    if (
        "password authentication failed" in lowered
        or "authentication failed" in lowered
        # The URL has none, and the server asks for one.
        or "no password supplied" in lowered
    ):
        return DatabaseError(
            f"{where} refused the login: {detail}", hint="check the user and password"
        )
    if "cannot be dropped because some objects depend on it" in lowered:
        # `db revoke` of a role that owns something (here, or in another database of
        # the server): PostgreSQL's detail names what.
        what = getattr(getattr(exc.orig, "diag", None), "message_detail", None)
        return DatabaseError(
            f"{where} refused: {detail}" + (f" ({_first_line(what)})" if what else ""),
            hint="as a superuser, in each database where it owns something: REASSIGN "
            "OWNED BY the role TO another (or DROP OWNED BY it); then revoke again",
        )
    if "must have admin option on role" in lowered:
        return DatabaseError(
            f"{where} refused: {detail}",
            hint="the admin needs CREATEROLE, and from PostgreSQL 16 the ADMIN option on "
            "that role (GRANT it TO the admin WITH ADMIN OPTION, as a superuser)",
        )
    if "permission denied for table alembic_version" in lowered:
        # The first thing every command reads. A member's login meets this when
        # isolation is off (`todo db isolate --off`, a downgrade below 0008 takes
        # the members' grants away); "permission denied for table
        # alembic_version" named a table no user of todo knows.
        return DatabaseError(
            f"{where} may not read todo's tables here: the login is a member while "
            "this database's isolation is off, or one it never granted",
            hint="ask the database's admin to run `todo db isolate` (it lets members "
            "back in), or `todo db grant NAME --existing-role`",
        )
    if "permission denied" in lowered:
        return DatabaseError(f"{where} refused: {detail}", hint="ask the database's owner")
    if "lock timeout" in lowered:
        # Migrations and the admin's commands wait 5 s (db.migrate), every other
        # command 30 s (db.session.STATE_SQL).
        return DatabaseError(
            f"{where} is busy: another session holds a lock on todo's tables (an open "
            f"transaction); nothing was changed",
            hint="run the command again once it ends; a forgotten one (pg_stat_activity "
            "shows it, often 'idle in transaction') can be ended",
        )
    if "deadlock detected" in lowered or "could not serialize access" in lowered:
        # Two commands at once, each waiting on a row the other had written (two
        # imports of the same tasks in opposite orders): the server ends one. Not
        # a broken database, and the other command's change may be why this one
        # fails when run again (said then, as a refusal of its own).
        return DatabaseError(
            f"{where} stopped the command: another command running at the same time "
            f"was writing the same rows ({detail}); nothing was changed",
            hint="run it again",
        )
    if "too many connections for role" in lowered:
        # The login's own CONNECTION LIMIT (`todo db grant --connection-limit`), not the
        # server's: the server is up and reachable.
        return DatabaseError(
            f"{where} refused the connection: {detail}",
            hint="this login holds as many connections as its role may: end one of its "
            "other sessions, or ask the admin to raise the limit (ALTER ROLE ... "
            "CONNECTION LIMIT)",
        )
    if "too many clients" in lowered or "connection slots are reserved" in lowered:
        return DatabaseError(
            f"{where} refused the connection: {detail}",
            hint="every connection the server allows is in use: try again, or use a pooled URL",
        )
    if "failed to resolve host" in lowered or "could not translate host name" in lowered:
        # psycopg resolves the name itself (its message names no connect).
        return DatabaseError(
            f"cannot reach {where}: {detail}",
            hint="check the host name in the URL, and the network's DNS",
        )
    if exc.connection_invalidated or "connect" in lowered or "server closed" in lowered:
        if lost:
            return _lost(where, detail)
        return DatabaseError(
            f"cannot reach {where}: {detail}",
            hint="check the URL, that the server is up, and the network",
        )
    return DatabaseError(f"database error on {where}: {detail}")


def _lost(where: str, detail: str) -> TodoError:
    """A connection lost during the command (the server restarted, the session ended
    by an admin, the network gone): "cannot reach", with advice for connecting,
    said nothing of the change. Before the commit the server rolls it back; during
    it, whether it stands cannot be told from here."""
    import sys

    recorder = sys.modules.get("todo_cli.db.transaction")
    if recorder is not None and recorder.commit_in_doubt():
        return DatabaseError(
            f"lost the connection to {where} while committing: {detail}",
            hint="whether the change stands cannot be told: `todo history` lists it if it does",
        )
    return DatabaseError(
        f"lost the connection to {where} during the command: {detail}",
        hint="its change was rolled back; run it again once the server is reachable",
    )


def _translate_sqlite(db: DatabaseURL, detail: str, lowered: str) -> TodoError:
    path = db.sqlite_path
    if "database is locked" in lowered or "database is busy" in lowered:
        return DatabaseError(
            f"{path} is busy: another process held the write lock too long", hint="try again"
        )
    if "unable to open" in lowered:
        return _unopenable(path, detail)
    if "not a database" in lowered or "malformed" in lowered:
        return ConfigError(
            f"{path} is not a usable SQLite database: {detail}",
            hint=f"point {db.setting} at another file",
        )
    if "readonly" in lowered or "read-only" in lowered:
        import os

        if path is not None and os.access(path, os.W_OK) and not os.access(path.parent, os.W_OK):
            # A command that only reads failed as "the file is read-only" too, a
            # writable file: SQLite keeps the write-ahead log and index beside it.
            return _unopenable(path, detail)
        return ConfigError(
            f"{path} is read-only: {detail}", hint="check the file's and directory's permissions"
        )
    if "disk is full" in lowered or "disk i/o" in lowered:
        return DatabaseError(f"cannot write {path}: {detail}", hint="free some disk space")
    return DatabaseError(f"SQLite error on {path}: {detail}")


def _unopenable(path: Path | None, detail: str) -> TodoError:
    """Why SQLite could not open the file, as far as the file system tells."""
    import os

    if path is not None:
        if path.is_file() and not os.access(path, os.R_OK):
            return ConfigError(
                f"cannot read the SQLite file {path}: {detail}",
                hint="check the file's permissions",
            )
        if path.is_file() and not os.access(path.parent, os.W_OK):
            # A copy on read-only media, or a directory without write permission.
            return ConfigError(
                f"cannot open the SQLite file {path}: its directory is read-only, and "
                "SQLite writes its -wal and -shm files beside it",
                hint="copy the file to a directory you may write, or make this one writable",
            )
    return ConfigError(
        f"cannot open the SQLite file {path}: {detail}",
        hint="check that its directory exists and that you may write there",
    )


def _first_line(exc: object) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    # psycopg puts the useful part ("Connection refused", "password
    # authentication failed ...") on the first line, after a long prefix.
    return mask_text(lines[0] if lines else type(exc).__name__)
