"""One command, one transaction.

:func:`transaction` connects, checks the schema revision, and hands the
caller a connection inside a single transaction that commits when the block
ends and rolls back if anything raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from todo_cli.db import session
from todo_cli.db.connect import connected
from todo_cli.db.revisions import HEAD, is_newer, is_todo_revision, mismatch, read_revision
from todo_cli.db.url import parse_url
from todo_cli.repository import recording

if TYPE_CHECKING:
    from typing import Any

    from sqlalchemy import Connection
    from sqlalchemy.sql.elements import ColumnElement

    from todo_cli.settings import Settings

_ISOLATED = "todo_isolated"
_ICU_LOWER = "todo_icu_lower"
_NORMALIZES = "todo_normalizes"


@contextmanager
def transaction(settings: Settings, *, read_only: bool = False) -> Iterator[Connection]:
    """The one transaction of one command.

    SQLite (an embedded, personal file) is created or upgraded on first use.
    A PostgreSQL schema is never changed implicitly: behind head is exit 4.
    A transaction that may write opens its operation in the journal first
    (its id in ``conn.info["todo_operation"]``): the database's triggers
    record every row it changes under it, and it commits or vanishes with them.

    On PostgreSQL the revision check also says whether row-level security
    holds this session (``db.session``); if it does, the login role is the
    acting user, whatever name the settings would have defaulted to.
    """
    db = parse_url(settings.database_url, settings.database_source)
    # Each signal whose handler this transaction changed, with the one to put back.
    held: dict[int, Any] = {}
    if not read_only:
        _committed[0] = _committing[0] = False
        held |= _terminations_interrupt()
    try:
        with connected(db, settings) as conn:
            yield from _transaction(conn, db, settings, read_only, held)
    finally:
        if held:
            import signal

            for signum, handler in held.items():
                signal.signal(signum, handler)


# Whether the command's latest write transaction committed (see committed_last).
_committed = [False]


def forget_commits() -> None:
    """A new command line (a process may run several: tests, the server's children)."""
    _committed[0] = _committing[0] = False


# Whether the latest write transaction has sent its commit (see commit_in_doubt).
_committing = [False]


def commit_in_doubt() -> bool:
    """Whether the latest write transaction sent its commit and did not hear back:
    a connection lost then may or may not have committed it."""
    return _committing[0] and not _committed[0]


def committed_last() -> bool:
    """Whether the last write transaction begun has committed: a Ctrl-C that
    comes after that point ended a command whose change stands (exit 0, not 130)."""
    return _committed[0]


def began_writing() -> None:
    """A write transaction begins: until it commits, a Ctrl-C undoes it."""
    _committed[0] = _committing[0] = False


def committing() -> None:
    """The write transaction begun last sends its commit now (see commit_in_doubt)."""
    _committing[0] = True


def committed() -> None:
    """The write transaction begun last has committed."""
    _committed[0] = True


def hold_interrupts() -> Any:
    """Ignore Ctrl-C from the commit until the connection is closed: once the
    commit has begun the change stands, and a KeyboardInterrupt inside it or in
    the pool's close would report 130 (with a traceback, from the pool) for a
    command that did its work. Returns the handler to put back, or None where
    there is nothing to hold (not the main thread, or a handler not Python's)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return None
    return signal.signal(signal.SIGINT, signal.SIG_IGN)


def _hold_terminations(held: dict[int, Any]) -> None:
    """From the commit on, SIGTERM and SIGHUP wait as Ctrl-C does (hold_interrupts):
    the change stands, and the command ends as it would have."""
    import signal

    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signum in held:
            signal.signal(signum, signal.SIG_IGN)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM and SIGHUP taken as Ctrl-C from here on, as a write transaction takes
    them (see _terminations_interrupt), for a write command that first reads its
    input (`add -`, `import`): by their default they ended it there with 143 or 129
    and not a word, where Ctrl-C said "interrupted (nothing was changed)". The
    transaction inside finds them taken and leaves them; here they are put back."""
    import signal

    held = _terminations_interrupt()
    try:
        yield
    finally:
        for signum, handler in held.items():
            signal.signal(signum, handler)


def _terminations_interrupt() -> dict[int, Any]:
    """SIGTERM and SIGHUP (`timeout`, systemd, a closed ssh session) taken as Ctrl-C
    until the commit: the transaction is rolled back and said so (exit 130).

    A write command says what it did before it commits (`added 100,000 tasks`);
    by their default these signals ended it in that gap with nothing stored and
    nothing more said, the log keeping a change that never happened. Left alone
    where someone set them (nohup ignores SIGHUP). A served command's client
    passes them on to the command, which takes them so too. Returns the handlers
    to put back.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    changed: dict[int, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            changed[signum] = signal.signal(signum, _interrupt)
    return changed


def _transaction(
    conn: Connection, db: Any, settings: Settings, read_only: bool, held: dict[int, Any]
) -> Iterator[Connection]:
    if read_only:
        conn.execution_options(todo_read_only=True)
    user = settings.user
    txn = conn.begin()
    try:
        if db.backend == "postgresql":
            state = session.read_state(conn)
        else:
            state = session.State(read_revision(conn))
        revision = state.revision
        if revision != HEAD:
            from todo_cli.db import migrate

            # Another program's file (with an alembic_version of its own) is
            # refused as such, not as a todo schema too new or too old.
            migrate.refuse_foreign_sqlite(conn, db)
            txn.rollback()
            if db.backend != "sqlite" and revision is None:
                # The state query also reads todo's tables: another program's
                # alembic_version alone reads as no schema. Say whose it is.
                with conn.begin():
                    stamped = read_revision(conn, look_first=True)
                    if stamped is not None and is_todo_revision(stamped):
                        # Stamped in todo's form, yet the state query failed:
                        # another program's users and tasks are told by their columns.
                        migrate.refuse_foreign_columns(conn, db)
                    # No stamp, yet todo's tables (its stamp deleted) or tables
                    # named like them: said so, not "run todo db upgrade".
                    migrate.refuse_clashing_tables(conn, db, stamped)
                if stamped is not None and not is_todo_revision(stamped):
                    revision = stamped
            if db.backend != "sqlite" or is_newer(revision):
                raise mismatch(db, revision)
            migrate.upgrade_sqlite_in_place(db, settings)
            txn = conn.begin()
        elif state.isolated:
            user = session.acting_user(settings, state)
            conn.info[_ISOLATED] = True
        if state.icu_lower:
            conn.info[_ICU_LOWER] = True
        if state.normalizes:
            conn.info[_NORMALIZES] = True
        conn.info["todo_user"] = user
        if not read_only:
            conn.info["todo_operation"] = recording.begin(
                conn, user, settings.command or "todo", datetime.now(UTC)
            )
        yield conn
        if not read_only:
            recording.finish(conn)
            handler = hold_interrupts()
            if handler is not None:
                import signal

                held.setdefault(signal.SIGINT, handler)
            _hold_terminations(held)
            _committing[0] = True
        txn.commit()
        if not read_only:
            _committed[0] = True
    finally:
        if txn.is_active:
            txn.rollback()


def acting_user(conn: Connection) -> str:
    """Whose data this transaction reads and writes (set when it began)."""
    user: str = conn.info["todo_user"]
    return user


def isolated(conn: Connection) -> bool:
    """Whether row-level security holds this transaction (its writes must suit it)."""
    return bool(conn.info.get(_ISOLATED, False))


def lowered(conn: Connection, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column` in Unicode's composed form (NFC) and lower case, every letter folded,
    compared with a needle made by :func:`folded`.

    The same letter typed precomposed (é, U+00E9) or decomposed (e and U+0301, as
    macOS file names and some pasted text have it) is the same text to whoever
    reads it, so a search finds either. SQLite: todo_lower (db.engine), Python's
    own. PostgreSQL: normalize() where it can (13+, a UTF8 database), then lower(),
    which follows the database's LC_CTYPE; on a C or POSIX database that folds
    ASCII only ('CAFÉ' -> 'cafÉ'), so there it is ICU's root collation that folds.
    """
    from sqlalchemy import func, literal_column

    if conn.dialect.name == "sqlite":
        return func.todo_lower(column)
    composed = (
        func.normalize(column, literal_column("NFC")) if conn.info.get(_NORMALIZES) else column
    )
    if conn.info.get(_ICU_LOWER):
        lower = func.lower(composed.collate("und-x-icu"))
    else:
        lower = func.lower(composed)
    if not conn.info.get(_NORMALIZES):
        return lower  # not a UTF8 database: it cannot hold the letters (db.engine)
    from todo_cli.db.engine import FOLDED_AFTER_LOWER

    for before, after in FOLDED_AFTER_LOWER:
        lower = func.replace(lower, before, after)
    return lower


def folded(text: str) -> str:
    """A search's needle as :func:`lowered` makes what it is compared with."""
    from todo_cli.db.engine import fold

    return fold(text)
